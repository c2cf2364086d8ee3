"""DNSBL rules (console.md §12): verdicts, query names, targets, change-only snapshots."""

from __future__ import annotations

import msgspec
import pytest

from adapters.reputation.dnsbl_psl import registrable
from domain.model import Envelope, command_context
from domain.reputation.dnsbl import DnsblCheck, dnsbl_check_uuid
from domain.reputation.dnsbl_rules import (
    DEFAULT_LISTS,
    DnsblList,
    DnsblSettings,
    Pair,
    domains_under,
    ip_query_labels,
    pairs_for,
    query_name,
    sender_domains,
    verdict,
)
from domain.templates.settings import SettingsDoc

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("answers", "loopback_is_error", "result", "codes"),
    [
        ([], False, "clean", []),  # NXDOMAIN / NODATA
        (["127.0.0.2"], False, "listed", ["127.0.0.2"]),
        (["127.0.1.5", "127.0.0.2"], False, "listed", ["127.0.0.2", "127.0.1.5"]),
        (["127.255.255.254"], False, "error", ["127.255.255.254"]),
        (["127.255.255.252"], False, "error", ["127.255.255.252"]),
        (["127.255.255.255", "127.255.255.254"], True, "error", ["127.255.255.254", "127.255.255.255"]),
        (["127.0.0.1"], True, "error", ["127.0.0.1"]),
        (["127.0.0.1"], False, "listed", ["127.0.0.1"]),
        (["127.0.0.1", "127.0.0.4"], True, "listed", ["127.0.0.1", "127.0.0.4"]),
        (["192.0.2.10"], False, "clean", []),  # a wildcarding resolver, not the list
        (["127.255.255.254", "127.0.0.2"], False, "listed", ["127.0.0.2"]),
    ],
)
def test_verdicts(answers: list[str], loopback_is_error: bool, result: str, codes: list[str]) -> None:
    found = verdict(answers, loopback_is_error)
    assert (found.result, found.return_codes) == (result, codes)
    assert (found.error_message is not None) == (result == "error")


def test_the_public_resolver_code_says_why() -> None:
    assert "public or open resolvers" in (verdict(["127.255.255.254"], False).error_message or "")


def test_query_names() -> None:
    assert ip_query_labels("203.0.113.5") == "5.113.0.203"
    nibbles = ip_query_labels("2001:db8::1")
    assert nibbles == "1.0.0.0." + "0.0.0.0." * 5 + "8.b.d.0.1.0.0.2"
    assert len(nibbles.split(".")) == 32
    ip = Pair("2001:db8::1", "ip", "zen.spamhaus.org", "ZEN", False)
    assert query_name(ip) == f"{nibbles}.zen.spamhaus.org"
    assert query_name(ip, "abc12345") == f"{nibbles}.abc12345.zen.dq.spamhaus.net"
    domain = Pair("acme.test", "domain", "multi.surbl.org", "SURBL", True)
    assert query_name(domain, "abc12345") == "acme.test.multi.surbl.org"  # DQS is Spamhaus only


def test_registrable_domains_from_the_bundled_public_suffix_list() -> None:
    assert registrable("news.acme.test") == "acme.test"  # unknown TLD: the default rule
    assert registrable("Mail.Shop.Example.CO.UK.") == "example.co.uk"
    assert registrable("a.b.example.com") == "example.com"
    assert registrable("team.github.io") == "team.github.io"  # a private suffix counts


def test_targets_per_spec() -> None:
    senders = sender_domains({"news.acme.test": "marketing", "mail.bravo.test": "transactional"},
                             ["hello.acme.test"])
    assert senders == {"news.acme.test": "marketing", "mail.bravo.test": "transactional",
                       "hello.acme.test": "both"}
    pairs = pairs_for(senders, list(DEFAULT_LISTS), ["203.0.113.5", "2001:DB8::1"], registrable)
    by_zone: dict[str, list[str]] = {}
    for p in pairs:
        by_zone.setdefault(p.zone, []).append(p.target)
    # the DBL also gets the exact sender subdomains; SURBL and URIBL only registrable domains
    assert by_zone["dbl.spamhaus.org"] == ["acme.test", "bravo.test", "hello.acme.test", "mail.bravo.test",
                                           "news.acme.test"]
    assert by_zone["multi.surbl.org"] == ["acme.test", "bravo.test"]
    assert by_zone["zen.spamhaus.org"] == ["203.0.113.5", "2001:db8::1"]
    assert "dnsbl.sorbs.net" not in by_zone  # decommissioned in 2024
    assert domains_under("acme.test", senders) == ["hello.acme.test", "news.acme.test"]


def test_settings_validation_and_defaults() -> None:
    doc = msgspec.convert({}, SettingsDoc)
    assert doc.dnsbl.interval_hours == 24 and doc.dnsbl.trip_on_listing is False
    assert [dnsbl.zone for dnsbl in doc.dnsbl.lists][:3] == ["dbl.spamhaus.org", "multi.surbl.org",
                                                             "multi.uribl.com"]
    for bad in ({"lists": [{"zone": "not a zone", "type": "ip"}]}, {"dedicatedIps": ["nope"]},
                {"intervalHours": -1}, {"lists": [{"zone": "x.test", "type": "uri"}]}):
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert(bad, DnsblSettings)
    custom = msgspec.convert({"zone": "uri.test", "type": "domain", "loopbackIsError": True}, DnsblList)
    assert custom.name == "uri.test" and custom.loopback_is_error


def _observe(existing: DnsblCheck | None, result: str, codes: list[str], now: float) -> DnsblCheck | None:
    with command_context(Envelope(actor="system:dnsbl", tenant_id="acme"), now=now):
        return DnsblCheck.observe(existing, tenant_id="acme", target="acme.test", target_kind="domain",
                                  zone="dbl.test", label="DBL", result=result,  # type: ignore[arg-type]
                                  return_codes=codes, error_message=None)


def test_a_verdict_is_appended_only_when_it_changes() -> None:
    first = _observe(None, "listed", ["127.0.1.5"], 100.0)
    assert first is not None and first.id == dnsbl_check_uuid("acme", "acme.test", "dbl.test")
    first.collect_events()
    assert _observe(first, "listed", ["127.0.1.5"], 200.0) is None  # same verdict: nothing
    again = _observe(first, "listed", ["127.0.1.5", "127.0.1.2"], 300.0)
    assert again is not None and again.listed_since == 100.0  # the listing goes on
    (event,) = again.collect_events()
    assert event.previous == "listed" and event.originator_version == 2  # type: ignore[attr-defined]
    clean = _observe(again, "clean", [], 400.0)
    assert clean is not None and clean.listed_since is None and clean.version == 3
