"""DNSBL over HTTP on both backends (console.md §12; §17 scenario 42) with a real DNS server on
loopback: the recheck and its counts, the GET shape, transient failures, scopes, tenant walls,
validation."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest

from adapters.settings import Settings
from tests.support.console import Console
from tests.support.dns_server import DnsServer, dns_server
from tests.support.live import live_server

pytestmark = pytest.mark.e2e
LISTS = [{"zone": "dbl.test", "type": "domain"}, {"zone": "ip.test", "type": "ip"},
         {"zone": "uri.test", "type": "domain", "loopbackIsError": True}]


@pytest.fixture
def dns() -> Iterator[DnsServer]:
    with dns_server() as server:
        yield server


@pytest.fixture
def console(settings: Settings, dns: DnsServer) -> Iterator[Console]:
    settings = msgspec.structs.replace(settings, dns_resolver=dns.address, dns_timeout_s=0.3)
    with live_server(settings) as live:
        c = Console(live)
        c.tenant("acme")
        c.tenant("beta")
        patched = c.admin("PATCH", "/settings", json={
            "senderDomains": {"news.acme.test": "marketing", "mail.bravo.test": "transactional"},
            "dnsbl": {"lists": LISTS, "dedicatedIps": ["203.0.113.5"]}})
        assert patched.status_code == 200, patched.text
        dns.answer("acme.test.dbl.test", "127.0.1.5")
        dns.answer("5.113.0.203.ip.test", "127.0.0.2")
        dns.answer("bravo.test.uri.test", "127.0.0.1")
        yield c


def test_scenario_42_recheck_and_read(console: Console, dns: DnsServer) -> None:
    answer = console.admin("POST", "/dnsbl/recheck")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"ran": True, "totalChecks": 5, "listedCount": 2, "errorCount": 1,
                             "transientCount": 0}
    body = console.admin("GET", "/dnsbl").json()
    assert body["intervalHours"] == 24 and body["latestRunAt"].endswith("Z")
    checks = {(c["target"], c["zone"]): c for c in body["checks"]}
    assert len(checks) == 5
    listed = checks[("acme.test", "dbl.test")]
    assert listed == {"target": "acme.test", "targetKind": "domain", "zone": "dbl.test", "label": "dbl.test",
                      "result": "listed", "returnCodes": ["127.0.1.5"], "errorMessage": None,
                      "checkedAt": listed["checkedAt"], "listedSince": listed["checkedAt"]}
    assert checks[("203.0.113.5", "ip.test")]["targetKind"] == "ip"
    assert checks[("bravo.test", "uri.test")]["result"] == "error"
    health = console.admin("GET", "/health").json()
    flagged = next(b for b in health["buckets"] if b["id"] == "d:news.acme.test|k:marketing")
    assert flagged["status"] == "review" and [s["source"] for s in flagged["signals"]] == ["dnsbl"]
    entries = console.admin("GET", "/audit?action=dnsbl.").json()["entries"]
    assert sorted((e["action"], e["actor"], e["category"]) for e in entries) == [
        ("dnsbl.listed", "system:dnsbl", "system"), ("dnsbl.listed", "system:dnsbl", "system"),
        ("dnsbl.recheck", "admin", "config")]
    first = next(e for e in entries if e["resource"].get("slug") == "acme.test@dbl.test")
    assert first["after"]["returnCodes"] == ["127.0.1.5"] and first["before"] == {"result": None}

    # the DNS stops answering for acme.test: a forced run keeps those rows as they were
    dns.stall("acme.test.dbl.test")
    dns.stall("acme.test.uri.test")
    again = console.admin("POST", "/dnsbl/recheck", json={}).json()
    assert (again["transientCount"], again["listedCount"]) == (2, 1)
    kept = {(c["target"], c["zone"]): c for c in console.admin("GET", "/dnsbl").json()["checks"]}
    assert kept[("acme.test", "dbl.test")] == listed

    # 127.255.255.254: the list refuses the resolver, an error and not a listing
    dns.answer("bravo.test.dbl.test", "127.255.255.254")
    only = console.admin("POST", "/dnsbl/recheck", json={"targets": ["bravo.test"]}).json()
    assert (only["totalChecks"], only["listedCount"], only["errorCount"]) == (2, 0, 2)
    row = next(c for c in console.admin("GET", "/dnsbl").json()["checks"]
               if (c["target"], c["zone"]) == ("bravo.test", "dbl.test"))
    assert row["result"] == "error" and row["returnCodes"] == ["127.255.255.254"]


def test_scopes_tenants_and_validation(console: Console) -> None:
    reader, _ = console.token(["admin-read"])
    publisher, _ = console.token(["publish"], label="p")
    assert console.call("POST", "/dnsbl/recheck", reader).status_code == 200
    assert console.call("GET", "/dnsbl", reader).status_code == 200
    for method, path in (("GET", "/dnsbl"), ("POST", "/dnsbl/recheck")):
        denied = console.call(method, path, publisher)
        assert denied.status_code == 403 and denied.json()["error"] == "forbidden"
    assert console.call("GET", "/dnsbl").status_code == 401
    # beta has no sender domains: nothing to check, and it never sees acme's rows
    assert console.as_key("POST", "/dnsbl/recheck", "beta").json() == {"ran": False, "reason": "no_targets"}
    assert console.as_key("GET", "/dnsbl", "beta").json()["checks"] == []
    wall = console.call("GET", "/dnsbl", console.keys["acme"], "beta")
    assert wall.status_code == 403
    bad = console.admin("POST", "/dnsbl/recheck", json={"target": ["acme.test"]})
    assert bad.status_code == 400 and bad.json()["details"][0]["path"] == "$.target"
    bad = console.admin("POST", "/dnsbl/recheck", json={"targets": ["not a domain"]})
    assert bad.status_code == 400 and bad.json()["error"] == "validation_failed"
    json_type = {"Content-Type": "application/json"}
    broken = console.admin("POST", "/dnsbl/recheck", content=b"{", headers=json_type)
    assert broken.status_code == 400
    for change in ({"lists": [{"zone": "bad zone", "type": "ip"}]}, {"dedicatedIps": ["nope"]},
                   {"lists": [{"zone": "x.test", "type": "domain", "extra": 1}]}):
        refused = console.admin("PATCH", "/settings", json={"dnsbl": change})
        assert refused.status_code == 400, refused.text
    assert console.admin("DELETE", "/dnsbl").status_code == 405
