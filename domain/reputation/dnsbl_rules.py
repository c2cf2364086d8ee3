"""DNSBL rules (console.md §12): the lists, what to ask each one, and what an answer means.

Pure functions: the registrable-domain lookup (a Public Suffix List) is passed in by the
caller, so the domain layer carries no data file and no third-party library.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Literal

import msgspec

from domain.reputation.dnsbl import Result, TargetKind

ZONE = re.compile(r"^(?=.{1,200}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
# 127.255.255.0/24 answers are the lists' own error codes, never listings
ERROR_CODES = {
    "127.255.255.252": "the list rejected the query as malformed (127.255.255.252)",
    "127.255.255.254": "the list refuses queries through public or open resolvers (127.255.255.254)",
    "127.255.255.255": "the query quota of this resolver is exhausted (127.255.255.255)",
}
LOOPBACK_ERROR = "127.0.0.1 on this list means the query was refused (blocked resolver), not a listing"
SPAMHAUS = ".spamhaus.org"


class DnsblList(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    zone: str
    type: Literal["domain", "ip"]
    label: str | None = None
    loopback_is_error: bool = False  # SURBL and URIBL answer 127.0.0.1 to blocked resolvers
    subdomains: bool = False  # also query the exact sender subdomains, not only registrable domains

    def __post_init__(self) -> None:
        if not ZONE.match(self.zone):
            raise ValueError(f"zone {self.zone!r} is not a DNS zone name")

    @property
    def name(self) -> str:
        return self.label or self.zone


DEFAULT_LISTS = (
    DnsblList(zone="dbl.spamhaus.org", type="domain", label="Spamhaus DBL", subdomains=True),
    DnsblList(zone="multi.surbl.org", type="domain", label="SURBL", loopback_is_error=True),
    DnsblList(zone="multi.uribl.com", type="domain", label="URIBL", loopback_is_error=True),
    DnsblList(zone="zen.spamhaus.org", type="ip", label="Spamhaus ZEN"),
    DnsblList(zone="b.barracudacentral.org", type="ip", label="Barracuda"),
    DnsblList(zone="bl.spamcop.net", type="ip", label="SpamCop"),
)


def _default_lists() -> list[DnsblList]:
    return list(DEFAULT_LISTS)


class DnsblSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """``dnsbl.*`` of the console settings (console.md §12, §16)."""

    lists: list[DnsblList] = msgspec.field(default_factory=_default_lists)
    dedicated_ips: list[str] = []
    spamhaus_dqs_key: str | None = None
    interval_hours: float = 24.0  # 0: no scheduled scans (rechecks still run)
    trip_on_listing: bool = False

    def __post_init__(self) -> None:
        for ip in self.dedicated_ips:
            ipaddress.ip_address(ip)  # ValueError: not an IP literal
        if self.interval_hours < 0:
            raise ValueError("intervalHours must be >= 0")
        if self.spamhaus_dqs_key is not None and not re.match(r"^[a-z0-9]{8,64}$", self.spamhaus_dqs_key):
            raise ValueError("spamhausDqsKey must be 8-64 lower-case letters and digits")


class Pair(msgspec.Struct, frozen=True):
    """One (target, list) to ask: the unit of a check."""

    target: str
    target_kind: TargetKind
    zone: str
    label: str
    loopback_is_error: bool


class Verdict(msgspec.Struct, frozen=True):
    result: Result
    return_codes: list[str] = []
    error_message: str | None = None


def ip_query_labels(ip: str) -> str:
    """IPv4 reversed octets; IPv6 the 32 nibbles of the full address, reversed."""
    address = ipaddress.ip_address(ip)
    if address.version == 4:
        return ".".join(reversed(str(address).split(".")))
    return ".".join(reversed(address.exploded.replace(":", "")))


def zone_for_query(zone: str, dqs_key: str | None) -> str:
    """With a Spamhaus DQS key, ``<zone>.spamhaus.org`` is asked as ``<key>.<zone>.dq.spamhaus.net``."""
    if dqs_key and zone.endswith(SPAMHAUS):
        return f"{dqs_key}.{zone[: -len(SPAMHAUS)]}.dq.spamhaus.net"
    return zone


def query_name(pair: Pair, dqs_key: str | None = None) -> str:
    labels = ip_query_labels(pair.target) if pair.target_kind == "ip" else pair.target
    return f"{labels}.{zone_for_query(pair.zone, dqs_key)}"


def verdict(addresses: list[str], loopback_is_error: bool) -> Verdict:
    """The A records of one query (empty: NXDOMAIN or NODATA) -> clean, listed or error."""
    if not addresses:
        return Verdict("clean")
    loopback = sorted({a for a in addresses if a.startswith("127.")})
    only_loopback = len(loopback) == len(set(addresses))
    if loopback and only_loopback and all(a.startswith("127.255.255.") for a in loopback):
        message = "; ".join(ERROR_CODES.get(a, f"the list answered its error code {a}") for a in loopback)
        return Verdict("error", loopback, message)
    codes = [a for a in loopback if not a.startswith("127.255.255.")]
    if not codes:
        return Verdict("clean")  # only non-127 answers: a wildcarding resolver, not the list
    if loopback_is_error and codes == ["127.0.0.1"]:
        return Verdict("error", codes, LOOPBACK_ERROR)
    return Verdict("listed", codes)


def sender_domains(settings_registry: dict[str, str], from_domains: list[str]) -> dict[str, str]:
    """Every sender domain with its registry kind (From defaults outside the registry: both)."""
    out = {d.lower().rstrip("."): kind for d, kind in settings_registry.items()}
    for d in from_domains:
        out.setdefault(d.lower().rstrip("."), "both")
    return out


def pairs_for(
    senders: dict[str, str], lists: list[DnsblList], ips: list[str], registrable: Callable[[str], str]
) -> list[Pair]:
    """What a scan asks: registrable domains of the senders on every domain list (plus the
    exact sender subdomains on lists with ``subdomains``), the dedicated IPs on every IP list."""
    roots = sorted({registrable(d) for d in senders})
    exact = sorted(d for d in senders if d not in roots)
    out: list[Pair] = []
    for dnsbl in lists:
        if dnsbl.type == "ip":
            targets: list[tuple[str, TargetKind]] = [(str(ipaddress.ip_address(ip)), "ip") for ip in ips]
        else:
            targets = [(d, "domain") for d in [*roots, *(exact if dnsbl.subdomains else [])]]
        out += [Pair(t, kind, dnsbl.zone, dnsbl.name, dnsbl.loopback_is_error) for t, kind in targets]
    return out


def domains_under(target: str, senders: dict[str, str]) -> list[str]:
    """The sender domains equal to or under ``target`` (whose buckets a listing flags)."""
    return sorted(d for d in senders if d == target or d.endswith(f".{target}"))
