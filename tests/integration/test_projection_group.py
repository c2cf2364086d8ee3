"""Several projections off one read a page: exactly-once per member, members at their own
positions, and a failing member that stalls only itself (adapters/runner_group.py)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import ClassVar

import pytest

from adapters.bootstrap import Container
from adapters.runner import ProjectionRunner
from adapters.runner_group import ProjectionGroup
from projections.base import Recorded
from projections.sql import SqlTx
from tests.support.probe import ProbeProjection, ProbeView, probes

pytestmark = pytest.mark.integration


class PoisonedProjection(ProbeProjection):
    poisoned: ClassVar[bool] = True

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        super().process(tx, page)  # writes first: the rollback must take them back
        if self.poisoned:
            raise RuntimeError("poisoned view")


@pytest.fixture
def views(container: Container) -> Iterator[list[ProbeView]]:
    made = [ProbeView(container.db, prefix=p) for p in ("a_", "b_", "c_")]
    for view in made:
        view.create()
    yield made
    PoisonedProjection.poisoned = True


def runner(container: Container, projection: ProbeProjection) -> ProjectionRunner:
    return ProjectionRunner(projection, container.sources(), page_size=64, hub=container.hub)


def drain(group: ProjectionGroup) -> None:
    for _ in range(1000):
        if not group.run_page():
            return
    raise AssertionError("the group never ran dry")


def exactly_once(view: ProbeView, last: int) -> bool:
    applied = view.applied()
    return sorted(applied) == list(range(1, last + 1)) and set(applied.values()) == {1}


def test_members_at_different_positions_each_see_every_event_once(
    container: Container, views: list[ProbeView]
) -> None:
    last = container.tenancy.record(*probes(30, ticks=9))
    runners = [runner(container, ProbeProjection(v)) for v in views]
    runners[0].catch_up()  # one member far ahead, one a page ahead, one at the start
    runners[1].run_page()
    group = ProjectionGroup(runners, container.db, hub=container.hub, page_size=64)
    drain(group)
    assert all(exactly_once(v, last) for v in views)
    assert all(v.positions() == {"tenancy": last} for v in views)
    more = container.tenancy.record(*probes(5, ticks=1))
    drain(group)
    assert all(exactly_once(v, more) for v in views)
    assert [r.processed for r in runners] == [more] * 3  # alone or grouped, each event once


def test_a_failing_member_stalls_only_itself_and_catches_up_when_mended(
    container: Container, views: list[ProbeView]
) -> None:
    last = container.tenancy.record(*probes(20, ticks=9))
    healthy, poisoned = ProbeProjection(views[0]), PoisonedProjection(views[1])
    runners = [runner(container, healthy), runner(container, poisoned)]
    group = ProjectionGroup(runners, container.db, hub=container.hub, page_size=64)
    drain(group)
    assert exactly_once(views[0], last)
    assert views[1].applied() == {} and views[1].positions() == {}  # every page rolled back
    assert isinstance(runners[1].error, RuntimeError)
    PoisonedProjection.poisoned = False
    drain(group)  # still quarantined: it runs alone, and now succeeds
    assert exactly_once(views[1], last)
