"""Google Postmaster Tools and SNDS pulls on both backends against a loopback HTTP server
(console.md §14, §17 scenarios 47-48): snapshots, change-only events, 30-entry history,
token caching, throttles (429 + Retry-After), forced vs scheduled pulls, trip rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters.bootstrap import Container, bootstrap
from adapters.rebuild import verify_view
from adapters.reputation import health_ops
from adapters.reputation.postmaster_ops import pull_postmaster, pull_snds
from adapters.reputation.postmaster_wiring import feeds_job
from adapters.settings import Settings
from application.base import CommandMeta
from application.reputation.postmaster_ports import FeedError
from domain.reputation.health_bucket import bucket_key
from tests.support.health import StepClock
from tests.support.postmaster_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    SNDS_KEY,
    FeedServer,
    feed_server,
    stat,
)

pytestmark = pytest.mark.integration
ME = CommandMeta(actor="key:k1")
ROW = "203.0.113.5,6/1/2026 12:00 AM,6/2/2026 12:00 AM,120,118,118,RED,0.1-0.3%,2,mx.acme.test,x@acme.test"


@pytest.fixture
def feeds(settings: Settings) -> Iterator[tuple[Container, StepClock, FeedServer]]:
    clock = StepClock()
    c = bootstrap(settings, create_tables=True, clock=clock)
    c.tenancy.initialise_instance()
    for tenant in ("acme", "beta"):
        c.tenancy.create_tenant(tenant, {}, None)
    c.content.change_settings(
        "acme", {"senderDomains": {"news.acme.test": "marketing", "mail.acme.test": "transactional"}}
    )
    c.start_projections()
    with feed_server() as server:
        c.feed_endpoints = server.endpoints  # type: ignore[attr-defined]
        yield c, clock, server
    c.close()


def configure(c: Container, tenant: str = "acme", **more: Any) -> None:
    c.content.change_settings(
        tenant,
        {
            "postmaster": {
                "clientId": CLIENT_ID,
                "clientSecret": CLIENT_SECRET,
                "refreshToken": REFRESH_TOKEN,
                **more,
            },
            "snds": {"key": SNDS_KEY},
        },
    )


def days(n: int, start: int = 1, month: str = "202605", **values: Any) -> list[dict[str, Any]]:
    return [
        stat("acme.test", f"{month}{d:02d}", domainReputation="HIGH", userReportedSpamRatio=0.0001, **values)
        for d in range(start, start + n)
    ]


def history(c: Container, domain: str = "acme.test", tenant: str = "acme") -> list[dict[str, Any]]:
    c.catch_up(["postmaster"])
    return c.projections["postmaster"].view.domains(tenant).get(domain, [])


def test_unconfigured_and_secrets_are_sealed(feeds: tuple[Container, StepClock, FeedServer]) -> None:
    c, _, server = feeds
    assert pull_postmaster(c, "acme", forced=True, meta=ME) == {"ran": False, "reason": "not_configured"}
    assert pull_snds(c, "acme", forced=True, meta=ME) == {"ran": False, "reason": "not_configured"}
    configure(c)
    stored = c.content.settings("acme").postmaster
    assert stored.client_secret and stored.client_secret.startswith("enc:") and stored.configured
    c.content.change_settings("acme", {"postmaster": {"clientSecret": "***"}})
    assert c.content.settings("acme").postmaster.client_secret == stored.client_secret
    assert server.requests == []


def test_snapshots_change_only_history_and_token_cache(
    feeds: tuple[Container, StepClock, FeedServer],
) -> None:
    c, clock, server = feeds
    configure(c)
    server.stats["acme.test"] = days(30, month="202604") + days(5)  # 35 days, served 12 a page
    server.page_size = 12
    first = pull_postmaster(c, "acme", forced=True, meta=ME)
    assert (first["fetched"], first["errors"], first["trippedDomains"]) == (35, [], [])
    shown = history(c)
    assert len(shown) == 30 and shown[0]["date"] == "2026-05-05" and shown[-1]["date"] == "2026-04-06"
    assert shown[0]["domainReputation"] == "HIGH" and shown[0]["userReportedSpamRatio"] == 0.0001
    assert server.calls("/v1/domains/acme.test/trafficStats") == 3  # at most 3 pages
    head = c.postmaster.max_position()
    again = pull_postmaster(c, "acme", forced=True, meta=ME)
    assert again["fetched"] == 35 and c.postmaster.max_position() == head + 1  # only the run's event
    server.stats["acme.test"][-1]["domainReputation"] = "MEDIUM"
    pull_postmaster(c, "acme", forced=True, meta=ME)
    assert c.postmaster.max_position() == head + 3  # one changed snapshot + the run
    assert server.tokens_issued == 1
    clock.advance(3600 - 299)  # within 5 minutes of expiry: a new token
    pull_postmaster(c, "acme", forced=True, meta=ME)
    assert server.tokens_issued == 2
    assert history(c, tenant="beta") == []  # tenants are walls


def test_throttle_and_schedule(feeds: tuple[Container, StepClock, FeedServer]) -> None:
    c, clock, server = feeds
    configure(c)
    server.stats["acme.test"] = days(2)
    server.fail("/v1/domains/acme.test", 429, retry_after=120)
    throttled = pull_postmaster(c, "acme", forced=True, meta=ME)
    assert throttled["errors"] == [
        {
            "domain": "acme.test",
            "status": 429,
            "message": "Postmaster Tools throttled the pull (429); retry after 120 s",
        }
    ]
    job = feeds_job(c, worker_id="w1")
    calls = server.calls("/v1/")
    assert job.run_due() is not None and server.calls("/v1/") == calls  # not due before Retry-After
    clock.advance(121)
    done = job.run_due()
    assert done is not None and done.fetched == 2 and len(history(c)) == 2
    clock.advance(3600)
    assert job.run_due() is not None and server.calls("/v1/") == calls + 1  # due again after 24 h
    clock.advance(24 * 3600)
    assert job.run_due() is not None and server.calls("/v1/") == calls + 2
    clock.advance(3600)
    server.fail("/token", 500)  # the cached token expired: the grant fails
    failed = pull_postmaster(c, "acme", forced=True, meta=ME)["errors"]
    assert failed == [{"domain": "acme.test", "status": 500, "message": "the token endpoint answered 500"}]


def test_trip_rules_once_per_snapshot(feeds: tuple[Container, StepClock, FeedServer]) -> None:  # 47
    c, _, server = feeds
    configure(c)
    server.stats["acme.test"] = days(2)
    assert pull_postmaster(c, "acme", forced=True, meta=ME)["trippedDomains"] == []
    server.stats["acme.test"].append(
        stat("acme.test", "20260503", domainReputation="MEDIUM", userReportedSpamRatio=0.0045)
    )
    tripped = pull_postmaster(c, "acme", forced=True, meta=ME)
    assert tripped["trippedDomains"] == ["news.acme.test|marketing", "mail.acme.test|transactional"]
    bucket = c.reputation.bucket("acme", bucket_key("news.acme.test", "marketing"))
    assert (
        bucket.tripped
        and "0.45%" in (bucket.tripped_reason or "")
        and bucket.tripped_by == "system:postmaster"
    )
    assert pull_postmaster(c, "acme", forced=True, meta=ME)["trippedDomains"] == []
    health_ops.resume(c, "acme", None, None, resume_broadcasts=False, meta=ME)
    assert pull_postmaster(c, "acme", forced=True, meta=ME)["trippedDomains"] == []  # same snapshot
    assert not c.reputation.bucket("acme", bucket_key("news.acme.test", "marketing")).tripped
    server.stats["acme.test"].append(stat("acme.test", "20260504", domainReputation="BAD"))
    assert len(pull_postmaster(c, "acme", forced=True, meta=ME)["trippedDomains"]) == 2
    server.stats["acme.test"].append(stat("acme.test", "20260505", domainReputation="LOW"))
    health_ops.resume(c, "acme", None, None, resume_broadcasts=False, meta=ME)
    assert pull_postmaster(c, "acme", forced=True, meta=ME)["trippedDomains"] == []
    signalled = c.reputation.bucket("acme", bucket_key("news.acme.test", "marketing"))
    assert "postmaster" in signalled.signals and "LOW" in str(signalled.signals["postmaster"])
    c.catch_up(["audit"])
    from projections.console_audit import AuditFilters

    entries = c.projections["audit"].view.list("acme", AuditFilters(), before=None, limit=200)
    assert {"postmaster.refresh", "health.trip"} <= {e.action for e in entries}
    assert {e.actor for e in entries if e.action == "health.trip"} == {"system:postmaster"}


def test_snds_rows_signals_and_trip_on_red(feeds: tuple[Container, StepClock, FeedServer]) -> None:  # 48
    c, _, server = feeds
    configure(c)
    server.snds_csv = "\n".join(
        [
            ROW,
            '"203.0.113.6","6/1/2026 12:00 AM","6/2/2026 12:00 AM","5","5","5","GREEN","<0.1%","0","h","m"',
            "203.0.113.7,bad date,x,1,1,1,GREEN",
            "203.0.113.8,2026-06-01T00:00:00Z,2026-06-02T00:00:00Z,1,1,1,YELLOW,n/a",
        ]
    )
    done = pull_snds(c, "acme", forced=True, meta=ME)
    assert (done["rowsParsed"], done["rowsPersisted"]) == (3, 3)
    c.catch_up(["postmaster"])
    ips = c.projections["postmaster"].view.ips("acme")
    red = ips["203.0.113.5"][0]
    assert red["activityStart"] == 1780297200.0  # 2026-06-01T07:00:00Z (PDT)
    assert (red["complaintRate"], red["trapMessageCount"], red["filterResult"]) == (0.003, 2, "RED")
    assert ips["203.0.113.6"][0]["complaintRate"] == 0.001 and ips["203.0.113.8"][0]["complaintRate"] is None
    assert "snds" in c.reputation.bucket("acme", "agg").signals
    assert pull_snds(c, "acme", forced=True, meta=ME)["rowsPersisted"] == 0
    c.content.change_settings("acme", {"snds": {"tripOnRed": True}})
    server.snds_csv = ROW.replace("6/1/2026", "6/2/2026").replace(
        "6/2/2026 12:00 AM,120", "6/3/2026 12:00 AM,120"
    )
    again = pull_snds(c, "acme", forced=True, meta=ME)
    assert again["rowsPersisted"] == 1
    assert c.reputation.bucket("acme", bucket_key("news.acme.test", "marketing")).tripped
    assert not c.reputation.bucket("acme", bucket_key("mail.acme.test", "transactional"))
    server.fail("/snds", 503)
    with pytest.raises(FeedError) as failed:
        pull_snds(c, "acme", forced=True, meta=ME)
    assert failed.value.status == 503 and SNDS_KEY not in failed.value.message
    assert verify_view(c, "postmaster").verified is True
