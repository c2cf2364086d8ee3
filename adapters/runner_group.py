"""Many projections run off one read of each log, in one transaction a page.

A runner per view reads and decodes every page once per view and commits once per view:
with nine views, each save woke nine threads that repeated the same queries and fought
for the GIL and SQLite's write lock (the dispatch benchmark lost ~40% of its time there).
The group reads a page once, decodes each event once (for the views that want it) and
commits every view's rows and position together, so it is exactly-once as each runner is.

Each member keeps its own leader lock (a process leads the views whose lock it holds) and
its own position: a member behind the others (after a rebuild, say) is fed from its own
position. A member whose page raises is run alone for a while, so one poisoned view
stalls only itself.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.runner import ProjectionRunner, Source, recorded
from adapters.wake import WakeHub
from projections.base import TRACKING_TABLE, Recorded
from projections.sql import SqlDatabase, SqlTx

log = logging.getLogger(__name__)
QUARANTINE_SECONDS = 30.0


class _MemberFailed(Exception):
    def __init__(self, runner: ProjectionRunner) -> None:
        super().__init__(runner.name)
        self.runner = runner


class ProjectionGroup:
    def __init__(self, runners: Sequence[ProjectionRunner], db: SqlDatabase, *, hub: WakeHub,
                 page_size: int = 1000, poll_seconds: float = 0.5,
                 stops: Mapping[str, Mapping[str, int]] | None = None) -> None:
        self.runners = list(runners)
        # a replay (rebuild, verify): member (its view's name) -> log -> the position it stops at
        self.stops = stops
        self.db = db
        self.hub = hub
        self.page_size = page_size
        self.poll_seconds = poll_seconds
        self.sources: dict[str, Source] = {}
        for runner in self.runners:
            self.sources.update(runner.sources)
        self._solo: dict[str, float] = {}  # member name -> run alone until (monotonic)

    # --- one round ----------------------------------------------------------------------
    def run_page(self) -> int:
        """At most one page of each log for every member this process leads."""
        leading = [r for r in self.runners if r.lock is None or r.lock.try_acquire()]
        now = time.monotonic()
        solo = [r for r in leading if self._solo.get(r.name, 0.0) > now]
        grouped = [r for r in leading if r not in solo]
        read = sum(self._run_alone(r) for r in solo)
        if not grouped:
            return read
        positions = self._positions(grouped)
        for app, source in self.sources.items():
            members = [r for r in grouped if app in r.sources]
            if members:
                read += self._page(app, source, members, positions)
        return read

    def _ends(self, members: list[ProjectionRunner], app: str) -> dict[str, int | None]:
        """Where each member must stop in ``app``'s log: None (follow it) unless replaying."""
        if self.stops is None:
            return dict.fromkeys((r.name for r in members), None)
        return {r.name: self.stops.get(r.name, {}).get(app, 0) for r in members}

    def _page(self, app: str, source: Source, members: list[ProjectionRunner],
              positions: dict[str, dict[str, int]]) -> int:
        seen = {r.name: positions.get(r.name, {}).get(app, 0) for r in members}
        ends = self._ends(members, app)
        members = [r for r in members if _before(seen[r.name], ends[r.name])]
        if not members:
            return 0
        bounded = [e for r in members if (e := ends[r.name]) is not None]
        limit = max(bounded) if len(bounded) == len(members) else None
        # read before taking the write lock (see ProjectionRunner.run_page)
        notifications = source.select(min(seen[r.name] for r in members), self.page_size, limit)
        if not notifications:
            return 0
        last = notifications[-1].id
        upto = {r.name: _upto(last, ends[r.name]) for r in members}
        behind = [r for r in members if seen[r.name] < upto[r.name]]
        page = self._decode(app, source, notifications, behind)
        try:
            committed = self._commit(app, behind, seen, page, upto)
        except _MemberFailed as failed:
            self._quarantine(failed.runner, failed.__cause__)
            return 1  # something to retry at once, without the failed member
        ids = [n.id for n in notifications]
        for runner in committed:
            runner.processed += _between(ids, seen[runner.name], upto[runner.name])
            if runner.on_commit is not None:
                runner.on_commit(runner.name, {app: upto[runner.name]})
        return len(notifications)

    @staticmethod
    def _decode(app: str, source: Source, notifications: Sequence[Any],
                members: list[ProjectionRunner]) -> list[tuple[str, Recorded]]:
        """(stored topic, event) of each notification some member wants, decoded once."""
        wanted = {t for t in {n.topic for n in notifications} if any(r.projection.wants(t) for r in members)}
        return [(n.topic, recorded(app, n, source.mapper.to_domain_event(n))) for n in notifications
                if n.topic in wanted]

    def _commit(self, app: str, members: list[ProjectionRunner], seen: dict[str, int],
                page: list[tuple[str, Recorded]], upto: dict[str, int]) -> list[ProjectionRunner]:
        committed = []
        topics = {topic for topic, _ in page}
        first, last = (page[0][1].position, page[-1][1].position) if page else (0, 0)
        with self.db.transaction() as tx:
            locked = self._positions(members, tx, lock=True)
            for runner in members:
                start = seen[runner.name]
                if locked.get(runner.name, {}).get(app, 0) != start:
                    continue  # moved since the unlocked read (a rebuild swap): next round
                end = upto[runner.name]
                mine = _mine(page, {t for t in topics if runner.projection.wants(t)}, topics,
                             start, end, first, last)
                try:
                    if mine:
                        runner.projection.process(tx, mine)
                    runner.projection.view.set_position(tx, app, end)
                except Exception as exc:
                    raise _MemberFailed(runner) from exc
                committed.append(runner)
        return committed

    def _run_alone(self, runner: ProjectionRunner) -> int:
        try:
            return runner.run_page()
        except Exception as exc:
            runner.error = exc
            log.exception("projection %s failed (running alone); retrying", runner.name)
            return 0

    def _quarantine(self, runner: ProjectionRunner, exc: BaseException | None) -> None:
        runner.error = exc
        if self.stops is not None:  # a replay never skips a view: it fails, loudly
            raise RuntimeError(f"projection {runner.name} failed during the replay") from exc
        log.error("projection %s failed; running it alone for %.0f s", runner.name,
                  QUARANTINE_SECONDS, exc_info=exc)
        self._solo[runner.name] = time.monotonic() + QUARANTINE_SECONDS

    def _positions(self, members: Sequence[ProjectionRunner], tx: SqlTx | None = None, *,
                   lock: bool = False) -> dict[str, dict[str, int]]:
        if tx is None:
            with self.db.transaction(write=False) as rtx:
                return self._positions(members, rtx)
        names = [r.name for r in members]
        marks = ", ".join("?" for _ in names)
        lock_sql = " FOR UPDATE" if lock and self.db.dialect == "postgresql" else ""
        rows = tx.execute(
            f"SELECT view, application, position FROM {TRACKING_TABLE} WHERE view IN ({marks}){lock_sql}",
            tuple(names))
        out: dict[str, dict[str, int]] = {}
        for view, application, position in rows:
            out.setdefault(view, {})[application] = int(position)
        return out

    # --- the thread ---------------------------------------------------------------------
    def run_forever(self, stop: threading.Event) -> None:
        seen = self.hub.generation()
        while not stop.is_set():
            try:
                if self.run_page():
                    continue
            except Exception:  # a database hiccup: retried, and logged
                log.exception("projection group failed; retrying")
                stop.wait(1.0)
                continue
            seen = self.hub.wait(seen, timeout=self.poll_seconds)
        for runner in self.runners:
            if runner.lock is not None:
                runner.lock.release()

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, args=(stop,), name="projection-group",
                                  daemon=True)
        thread.start()
        return thread


def _mine(page: list[tuple[str, Recorded]], wanted: set[str], topics: set[str], start: int, end: int,
          first: int, last: int) -> list[Recorded]:
    """The records of ``page`` a member takes: its topics, inside (start, end]. Asked per member
    per page, so the common cases (the whole page, by topic alone) skip the per-record tests."""
    inside = start < first and last <= end
    if inside and wanted == topics:
        return [r for _, r in page]
    if inside:
        return [r for topic, r in page if topic in wanted]
    return [r for topic, r in page if topic in wanted and start < r.position <= end]


def _between(ids: list[int], after: int, upto: int) -> int:
    """How many of the sorted ``ids`` are in (after, upto]."""
    return bisect.bisect_right(ids, upto) - bisect.bisect_right(ids, after)


def _before(position: int, end: int | None) -> bool:
    return end is None or position < end


def _upto(last: int, end: int | None) -> int:
    return last if end is None else min(last, end)
