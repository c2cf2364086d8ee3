"""List hygiene on both backends (console.md §15, §17 scenario 49): buckets, candidates,
projected impact, the sunset (list_cleaning suppressions), its revert, audit, rebuilds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters.bootstrap import Container, bootstrap
from adapters.rebuild import rebuild_view, verify_view
from adapters.reputation import hygiene_ops, hygiene_report
from adapters.settings import Settings
from application.base import CommandMeta
from domain.errors import NotFound
from domain.reputation.hygiene import AlreadyReverted, CountMismatch
from projections.console_audit import AuditFilters
from tests.support.health import StepClock
from tests.support.hygiene_sends import DAY, contact, mail, scenario_49

pytestmark = pytest.mark.integration
ACTOR = CommandMeta(actor="key:k1")


@pytest.fixture
def hc(settings: Settings) -> Iterator[tuple[Container, StepClock]]:
    clock = StepClock()
    c = bootstrap(settings, create_tables=True, clock=clock)
    c.tenancy.initialise_instance()
    for tenant in ("acme", "beta"):
        c.tenancy.create_tenant(tenant, {}, None)
    c.start_projections()
    yield c, clock
    c.close()


def report(c: Container, tenant: str = "acme") -> dict[str, Any]:
    c.catch_up(hygiene_ops.VIEWS)
    return hygiene_report.report(c, tenant, refresh=True)


def test_scenario_49_buckets_sunset_and_revert(hc: tuple[Container, StepClock]) -> None:
    c, clock = hc
    scenario_49(c, "acme", clock.advance)
    got = report(c)
    assert got["totalSubscribers"] == 5 and got["totalWithSends"] == 5
    assert [b["count"] for b in got["buckets"]] == [1, 0, 1, 0, 1, 2]
    assert got["buckets"][0] == {
        "label": "Engaged (last 30 days)",
        "minDays": 0,
        "maxDays": 30,
        "neverEngaged": False,
        "count": 1,
        "pctOfTotal": 0.2,
    }
    assert got["sunsetCandidate"]["count"] == 2 and got["sunsetCandidate"]["pctOfTotal"] == 0.4
    assert got["sunsetCandidate"]["cohortLifetime"] == {
        "totalSends": 2,
        "bouncedRate": 0.0,
        "hardBouncedRate": 0.0,
        "complaintRate": 0.0,
    }
    assert report(c, "beta")["totalSubscribers"] == 0  # tenants are walls
    with pytest.raises(CountMismatch) as mismatch:
        hygiene_ops.sunset(c, "acme", 3, "marketing", None, ACTOR)
    assert mismatch.value.count == 2
    done = hygiene_ops.sunset(c, "acme", 2, "marketing", "cleanup", ACTOR)
    assert (done.suppressed, done.skipped) == (2, 0)
    c.catch_up(["suppressions"])
    rows = c.projections["suppressions"].view.list("acme", source=f"sunset:{done.run_id}")
    assert {(r.reason, r.scope, r.email) for r in rows} == {("list_cleaning", "marketing", None)}
    after = hygiene_report.report(c, "acme", refresh=False)  # the sunset dropped the cached answer
    assert after["sunsetCandidate"]["count"] == 0 and after["totalSubscribers"] == 3
    assert after["lastSunset"]["runId"] == done.run_id and after["lastSunset"]["by"] == "key:k1"
    undone = hygiene_ops.revert(c, "acme", done.run_id, ACTOR)
    assert (undone.lifted, undone.skipped) == (2, 0)
    with pytest.raises(AlreadyReverted):
        hygiene_ops.revert(c, "acme", done.run_id, ACTOR)
    with pytest.raises(NotFound):
        hygiene_ops.revert(c, "beta", done.run_id, ACTOR)
    assert report(c)["sunsetCandidate"]["count"] == 2
    c.catch_up(["audit", "hygiene"])
    actions = [
        e.action
        for e in c.projections["audit"].view.list(
            "acme", AuditFilters(action="hygiene."), before=None, limit=10
        )
    ]
    assert actions == ["hygiene.revert", "hygiene.sunset"]
    runs = c.projections["hygiene"].view.runs("acme")
    assert [(r["suppressed"], r["lifted"]) for r in runs] == [(2, 2)] and runs[0]["reverted_ts"] is not None


def test_sunset_skips_rows_already_in_place_and_revert_leaves_replaced_ones(
    hc: tuple[Container, StepClock],
) -> None:
    c, clock = hc
    for user in ("a1", "a2"):
        contact(c, "acme", user)
        mail(c, "acme", user, "old")
    clock.advance(200 * DAY)
    done = hygiene_ops.sunset(c, "acme", 2, "all", None, ACTOR)
    assert done.suppressed == 2
    # an operator lifts one and then suppresses it by hand: that row is no longer the run's
    c.sending.lift_suppression("acme", "a1@ex.test", "all", "oops", meta=ACTOR)
    c.sending.add_suppression("acme", "a1@ex.test", "all", "manual", meta=ACTOR)
    undone = hygiene_ops.revert(c, "acme", done.run_id, ACTOR)
    assert (undone.lifted, undone.skipped) == (1, 1)


def test_projected_impact_and_apple_opens(hc: tuple[Container, StepClock]) -> None:
    c, clock = hc
    for user in ("e1", "e2", "i1", "x1"):
        contact(c, "acme", user)
    mail(c, "acme", "i1", "first")  # i1 never engages: a candidate once 181 days old
    mail(c, "acme", "e2", "first", opens=((clock.now(), "apple_mpp"),))
    clock.advance(181 * DAY)
    mail(c, "acme", "e1", "n1", clicks=(clock.now(),))
    mail(c, "acme", "e1", "n2", bounce="soft")
    mail(c, "acme", "i1", "n1", bounce="soft")
    mail(c, "acme", "e2", "n1")
    mail(c, "acme", "x1", "n1", complaint=True)  # suppressed (all) now: out of the population
    got = report(c)
    assert got["totalSubscribers"] == 3
    cohort = got["sunsetCandidate"]
    assert cohort["count"] == 2  # i1, and e2 whose only open is Apple's proxy
    impact = cohort["projectedImpact"]
    assert {k: v for k, v in impact.items() if not k.startswith("projected")} == {
        "recentTotalSends": 5,
        "recentBounced": 2,
        "recentComplained": 1,
        "cohortRecentSends": 2,
        "cohortRecentBounced": 1,
        "cohortRecentComplained": 0,
        "currentOverallBounceRate": 0.4,
        "currentOverallComplaintRate": 0.2,
    }
    assert impact["projectedBounceRate"] == pytest.approx(1 / 3)
    assert impact["projectedComplaintRate"] == pytest.approx(1 / 3)
    assert cohort["cohortLifetime"] == {
        "totalSends": 4,
        "bouncedRate": 0.25,
        "hardBouncedRate": 0.0,
        "complaintRate": 0.0,
    }
    assert [b["count"] for b in got["buckets"]] == [1, 0, 0, 0, 0, 2]
    c.content.change_settings("acme", {"hygiene": {"countAppleMppOpens": True}})
    assert [b["count"] for b in report(c)["buckets"]] == [1, 0, 0, 0, 1, 1]  # e2: inactive, not never
    c.content.change_settings("acme", {"hygiene": {"sunsetDays": 365}})
    assert report(c)["sunsetCandidate"]["count"] == 0


def test_the_views_rebuild_to_the_same_rows(hc: tuple[Container, StepClock]) -> None:
    c, clock = hc
    scenario_49(c, "acme", clock.advance)
    hygiene_ops.sunset(c, "acme", 2, "marketing", None, ACTOR)
    before = report(c)
    assert verify_view(c, "hygiene").verified is True
    rebuild_view(c, "hygiene")
    again = report(c)
    assert {k: v for k, v in again.items() if k != "computedAt"} == {
        k: v for k, v in before.items() if k != "computedAt"
    }
