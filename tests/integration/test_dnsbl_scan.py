"""DNSBL scans against a real DNS server on loopback, on both backends (console.md §12):
listed, clean, list error codes, transient failures that keep the last verdict, query forms,
change-only events, health signals, the schedule and rebuild equality."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

from adapters.bootstrap import Container, bootstrap
from adapters.rebuild import rebuild_view, verify_view
from adapters.reputation.dnsbl_ops import scan
from adapters.settings import Settings
from domain.reputation.dnsbl import dnsbl_check_uuid
from tests.support.dns_server import DnsServer, dns_server

pytestmark = pytest.mark.integration
T0 = 1_780_000_000.0
LISTS = [{"zone": "dbl.test", "type": "domain"}, {"zone": "ip.test", "type": "ip"},
         {"zone": "uri.test", "type": "domain", "loopbackIsError": True}]


class StepClock:
    def __init__(self) -> None:
        self.t = T0

    def now(self) -> float:
        return self.t


@pytest.fixture
def dns() -> Iterator[DnsServer]:
    with dns_server() as server:
        yield server


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def box(settings: Settings, dns: DnsServer, clock: StepClock) -> Iterator[Container]:
    settings = msgspec.structs.replace(settings, dns_resolver=dns.address, dns_timeout_s=0.3)
    c = bootstrap(settings, create_tables=True, clock=clock)
    c.tenancy.initialise_instance()
    for tenant in ("acme", "beta"):
        c.tenancy.create_tenant(tenant, {}, None)
    c.content.change_settings("acme", {
        "senderDomains": {"news.acme.test": "marketing", "mail.bravo.test": "transactional"},
        "dnsbl": {"lists": LISTS, "dedicatedIps": ["203.0.113.5"]}})
    c.start_projections()
    yield c
    c.close()


def spec_answers(dns: DnsServer) -> None:
    """console.md §17 scenario 42's DNS."""
    dns.answer("acme.test.dbl.test", "127.0.1.5")
    dns.answer("5.113.0.203.ip.test", "127.0.0.2")
    dns.answer("bravo.test.uri.test", "127.0.0.1")


def recheck(c: Container, tenant: str = "acme", **kw: Any) -> Any:
    return asyncio.run(scan(c, tenant, forced=kw.pop("forced", True), **kw))


def rows(c: Container, tenant: str = "acme") -> dict[tuple[str, str], Any]:
    c.catch_up(["dnsbl"])
    return {(r.target, r.zone): r for r in c.projections["dnsbl"].view.list(tenant)}


def signals(c: Container, key: str) -> dict[str, Any]:
    bucket = c.health.bucket("acme", key)
    return dict(bucket.signals) if bucket is not None else {}


def test_listed_clean_and_error_verdicts_and_the_health_signal(box: Container, dns: DnsServer) -> None:
    spec_answers(dns)
    answer = recheck(box)
    assert (answer.ran, answer.total_checks, answer.listed_count, answer.error_count) == (True, 5, 2, 1)
    assert sorted(dns.asked()) == sorted(["acme.test.dbl.test", "bravo.test.dbl.test", "acme.test.uri.test",
                                          "bravo.test.uri.test", "5.113.0.203.ip.test"])  # reversed IPv4
    found = rows(box)
    assert found[("acme.test", "dbl.test")].result == "listed"
    assert found[("acme.test", "dbl.test")].return_codes == ["127.0.1.5"]
    assert found[("acme.test", "dbl.test")].listed_since == T0
    assert found[("203.0.113.5", "ip.test")].result == "listed"
    assert found[("bravo.test", "uri.test")].result == "error"  # 127.0.0.1 on a loopbackIsError list
    assert found[("bravo.test", "dbl.test")].result == "clean"  # NXDOMAIN
    assert "dnsbl" in signals(box, "d:news.acme.test|k:marketing")
    assert "acme.test listed on dbl.test" in signals(box, "d:news.acme.test|k:marketing")["dnsbl"]["detail"]
    assert "dnsbl" in signals(box, "agg")  # a listed IP flags the roll-up
    assert signals(box, "d:mail.bravo.test|k:transactional") == {}  # an error is not a listing
    assert rows(box, "beta") == {}  # a wall between tenants


def test_a_list_error_code_is_an_error_never_a_listing(box: Container, dns: DnsServer) -> None:
    dns.answer("acme.test.dbl.test", "127.255.255.254")
    recheck(box)
    row = rows(box)[("acme.test", "dbl.test")]
    assert row.result == "error" and row.return_codes == ["127.255.255.254"]
    assert "public or open resolvers" in row.error_message
    assert signals(box, "d:news.acme.test|k:marketing") == {}


@pytest.mark.parametrize("failure", ["stall", "SERVFAIL", "REFUSED"])
def test_transient_failures_keep_the_previous_verdict(box: Container, dns: DnsServer, clock: StepClock,
                                                      failure: str) -> None:
    spec_answers(dns)
    recheck(box)
    before = rows(box)
    version = box.dnsbl.check("acme", "acme.test", "dbl.test").version
    clock.t += 3600
    if failure == "stall":
        dns.stall("acme.test.dbl.test")
    else:
        dns.rcode("acme.test.dbl.test", failure)
    answer = recheck(box)
    assert (answer.total_checks, answer.transient_count, answer.listed_count) == (5, 1, 1)
    after = rows(box)
    kept = after[("acme.test", "dbl.test")]
    assert kept == before[("acme.test", "dbl.test")]  # same verdict, same checkedAt
    assert after[("bravo.test", "dbl.test")].checked_at == T0 + 3600  # the others were checked
    assert box.dnsbl.check("acme", "acme.test", "dbl.test").version == version  # nothing written
    assert "dnsbl" in signals(box, "d:news.acme.test|k:marketing")  # the listing still stands


def test_events_are_appended_only_when_a_verdict_changes(box: Container, dns: DnsServer,
                                                         clock: StepClock) -> None:
    spec_answers(dns)
    recheck(box)
    start = box.dnsbl.max_position()
    clock.t += 60
    recheck(box)
    assert box.dnsbl.max_position() == start + 1  # only the run: every verdict is unchanged
    assert rows(box)[("acme.test", "dbl.test")].checked_at == T0 + 60
    dns.answer("acme.test.dbl.test", "127.255.255.255")  # over quota: says nothing of the listing
    clock.t += 60
    recheck(box)
    assert box.dnsbl.max_position() == start + 3  # one changed verdict and the run
    assert box.dnsbl.check("acme", "acme.test", "dbl.test").result == "error"
    assert "dnsbl" in signals(box, "d:news.acme.test|k:marketing")  # an error does not clear it
    dns.forget("acme.test.dbl.test")  # delisted
    clock.t += 60
    recheck(box)
    assert box.dnsbl.max_position() == start + 5
    check = box.dnsbl.check("acme", "acme.test", "dbl.test")
    assert (check.result, check.listed_since, check.version) == ("clean", None, 3)
    assert "dnsbl" not in signals(box, "d:news.acme.test|k:marketing")  # a clean verdict clears it


def test_ipv6_targets_are_asked_as_nibbles_and_recheck_targets_narrow(box: Container, dns: DnsServer) -> None:
    box.content.change_settings("acme", {"dnsbl": {"dedicatedIps": ["2001:db8::1"]}})
    nibbles = "1.0.0.0." + "0.0.0.0." * 5 + "8.b.d.0.1.0.0.2"
    dns.answer(f"{nibbles}.ip.test", "127.0.0.3")
    answer = recheck(box, targets=["2001:db8::1"])
    assert (answer.total_checks, answer.listed_count) == (1, 1)
    assert dns.asked() == [f"{nibbles}.ip.test"]
    assert rows(box)[("2001:db8::1", "ip.test")].return_codes == ["127.0.0.3"]
    assert recheck(box, targets=["elsewhere.test"]).reason == "no_targets"
    box.content.change_settings("acme", {"dnsbl": {"lists": []}})
    assert recheck(box).reason == "disabled"


def test_trip_on_listing_trips_the_marketing_buckets(box: Container, dns: DnsServer) -> None:
    box.content.change_settings("acme", {"dnsbl": {"tripOnListing": True}})
    spec_answers(dns)
    recheck(box)
    bucket = box.health.bucket("acme", "d:news.acme.test|k:marketing")
    assert bucket is not None and bucket.status == "tripped"
    assert "acme.test listed on dbl.test" in bucket.tripped_reason


def test_the_schedule_asks_again_after_interval_hours(box: Container, dns: DnsServer,
                                                       clock: StepClock) -> None:
    spec_answers(dns)
    job = box.dnsbl_job(worker_id="w1")
    first = job.run_due()
    assert first is not None and first.checks == 5
    assert job.run_due() is None  # not due: the job runs every dnsbl_job_seconds
    other = box.dnsbl_job(worker_id="w2")
    assert other.run_due() is None  # one process at a time: w1's schedule holds for w2 too
    clock.t += 61
    assert job.run_due().checks == 0  # due, but every pair was checked a minute ago
    clock.t += 24 * 3600
    assert job.run_due().checks == 5
    box.content.change_settings("acme", {"dnsbl": {"intervalHours": 0}})
    clock.t += 48 * 3600
    assert job.run_due().checks == 0  # 0: no scheduled scans


def test_rebuild_gives_the_same_rows(box: Container, dns: DnsServer, clock: StepClock) -> None:
    spec_answers(dns)
    recheck(box)
    clock.t += 100
    dns.stall("acme.test.dbl.test")
    dns.answer("bravo.test.dbl.test", "127.0.1.2")
    recheck(box)
    recheck(box, "beta")
    box.catch_up(["dnsbl"])
    with box.db.transaction(write=False) as tx:
        live = box.projections["dnsbl"].view.rows(tx)
    rebuild_view(box, "dnsbl")
    with box.db.transaction(write=False) as tx:
        assert box.projections["dnsbl"].view.rows(tx) == live
    assert verify_view(box, "dnsbl").verified is True
    assert box.dnsbl.check("acme", "bravo.test", "dbl.test").id == dnsbl_check_uuid("acme", "bravo.test",
                                                                                      "dbl.test")
