"""Email addresses as the contract takes them (spec proxy.md §5.1, §5.5).

An address is an RFC 5322 addr-spec, optionally inside a mailbox (``Name <addr>``). Domains
leave here in punycode, so everything downstream (MIME headers, SMTP envelope, suppression
keys) sees one ASCII spelling. Local parts must be ASCII: a UTF-8 local part needs SMTPUTF8,
which we cannot promise for every relay.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Collection
from email.headerregistry import Address
from typing import NamedTuple

from domain.sending.content import MessageContent

ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
DOT_ATOM = rf"{ATEXT}+(?:\.{ATEXT}+)*"
_QUOTED = r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"'
_LOCAL = re.compile(rf"{DOT_ATOM}|{_QUOTED}")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_PHRASE_SPECIALS = frozenset('"<>@,;:\\[]()')
_MAX_LOCAL, _MAX_DOMAIN = 64, 253  # RFC 5321 §4.5.3.1


class AddressError(ValueError):
    """The text is not an acceptable address; the message says why."""


class Mailbox(NamedTuple):
    name: str  # display name, "" when none
    addr_spec: str  # local@domain, domain in punycode

    def __str__(self) -> str:
        if not self.name:
            return self.addr_spec
        # Address quotes the display name when it needs it; RFC 2047 happens only in MIME.
        return str(Address(display_name=self.name, addr_spec=self.addr_spec))


@functools.lru_cache(maxsize=8192)  # pure: a batch repeats its From (and often its To)
def parse_mailbox(text: str) -> Mailbox:
    """``addr``, ``<addr>`` or ``Name <addr>`` (name plain or quoted)."""
    text = text.strip()
    if not text:
        raise AddressError("empty address")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise AddressError("control characters (CR, LF, ...) are not allowed")
    if not text.endswith(">"):
        return Mailbox("", parse_addr_spec(text))
    open_at = _last_unquoted(text, "<")
    if open_at < 0:
        raise AddressError("'>' without '<'")
    return Mailbox(_display_name(text[:open_at].strip()), parse_addr_spec(text[open_at + 1 : -1].strip()))


@functools.lru_cache(maxsize=8192)
def parse_addr_spec(text: str) -> str:
    local, at, domain = text.rpartition("@")
    if not at:
        raise AddressError(f"{text!r} has no '@'")
    if len(local) > _MAX_LOCAL or not _LOCAL.fullmatch(local):
        raise AddressError(f"{text!r} has an invalid local part")
    return f"{local}@{_domain(domain)}"


def split_address_list(text: str) -> list[str]:
    """Split on commas outside double quotes; blank pieces (a trailing comma) are dropped."""
    pieces, current, quoted, escaped = [], [], False, False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            pieces.append("".join(current))
            current = []
            continue
        current.append(char)
    pieces.append("".join(current))
    return [piece.strip() for piece in pieces if piece.strip()]


def domain_of(addr_spec: str) -> str:
    return addr_spec.rpartition("@")[2]


class EnvelopeAddresses(NamedTuple):
    mail_from: str
    rcpt_to: list[str]  # addr-specs to send to, first spelling of each kept
    suppressed: list[str]  # addr-specs left out because they are suppressed


def envelope_addresses(
    content: MessageContent, *, verp_address: str | None = None, suppressed: Collection[str] = ()
) -> EnvelopeAddresses:
    """MAIL FROM and RCPT TO per §5.5: return_path, else VERP, else From; Bcc included."""
    if content.return_path:
        mail_from = parse_mailbox(content.return_path).addr_spec
    else:
        mail_from = verp_address or parse_mailbox(content.from_addr).addr_spec
    blocked = {address.lower() for address in suppressed}
    seen: set[str] = set()
    rcpt_to: list[str] = []
    left_out: list[str] = []
    for mailbox in (*content.to, *content.cc, *content.bcc):
        addr = parse_mailbox(mailbox).addr_spec
        if addr.lower() in seen:
            continue
        seen.add(addr.lower())
        (left_out if addr.lower() in blocked else rcpt_to).append(addr)
    return EnvelopeAddresses(mail_from, rcpt_to, left_out)


def _domain(domain: str) -> str:
    if domain.startswith("[") and domain.endswith("]"):
        return _domain_literal(domain)
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise AddressError(f"invalid domain {domain!r}") from exc
    labels = ascii_domain.split(".")
    if len(ascii_domain) > _MAX_DOMAIN or not all(_LABEL.fullmatch(label) for label in labels):
        raise AddressError(f"invalid domain {domain!r}")
    return ascii_domain


def _domain_literal(domain: str) -> str:
    inner = domain[1:-1]
    try:
        if inner[:5].lower() == "ipv6:":
            ipaddress.IPv6Address(inner[5:])
        else:
            ipaddress.IPv4Address(inner)
    except ValueError as exc:
        raise AddressError(f"invalid address literal {domain!r}") from exc
    return domain


def _display_name(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        inner = raw[1:-1]
        if _last_unquoted(inner, '"', quotes=False) >= 0:
            raise AddressError("unescaped '\"' in the display name")
        return re.sub(r"\\(.)", r"\1", inner)
    if _PHRASE_SPECIALS.intersection(raw):
        raise AddressError(f"display name {raw!r} needs quotes")
    return raw


def _last_unquoted(text: str, wanted: str, *, quotes: bool = True) -> int:
    """Index of the last ``wanted`` outside a quoted string and not backslash-escaped, or -1."""
    found, quoted, escaped = -1, False, False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"' and quotes:
            quoted = not quoted
        elif char == wanted and not quoted:
            found = index
    return found
