"""List hygiene: engagement buckets, sunset candidates, and the reversible sunset (console.md §15).

Buckets are a pure function of (now, last engagement, first send): ``bucket_of``. A sunset is a
``SunsetRun`` of the sending log, next to the ``list_cleaning`` suppressions it adds (source
``sunset:<runId>``), so a run and its first page of suppressions commit together; reverting
lifts the run's rows that are still in place and appends ``Reverted`` (once: a second revert
is ``already_reverted``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal
from uuid import UUID, uuid5

import msgspec

from domain.errors import RuleViolation
from domain.instance import LEDGERMAIL_NAMESPACE
from domain.model import Aggregate

DAY = 86400.0
SunsetScope = Literal["marketing", "all"]


class Bucket(msgspec.Struct, frozen=True):
    label: str
    min_days: int | None
    max_days: int | None
    never_engaged: bool = False


BUCKETS: tuple[Bucket, ...] = (
    Bucket("Engaged (last 30 days)", 0, 30),
    Bucket("Engaged (31-60 days)", 31, 60),
    Bucket("Engaged (61-90 days)", 61, 90),
    Bucket("Engaged (91-180 days)", 91, 180),
    Bucket("Inactive (>180 days)", 181, None),
    Bucket("Never engaged", None, None, True),
)
NEVER = len(BUCKETS) - 1
SEGMENT_NAMES = ("engaged_30", "engaged_60", "engaged_90", "engaged_180", "inactive", "never")


def bucket_of(now: float, last_engaged: float | None) -> int:
    """Index into BUCKETS of a member with sends (last human engagement, or None)."""
    if last_engaged is None:
        return NEVER
    days = (now - last_engaged) / DAY
    for index, limit in enumerate((30, 60, 90, 180)):
        if days <= limit:
            return index
    return NEVER - 1


def is_candidate(now: float, last_engaged: float | None, first_send: float, sunset_days: int) -> bool:
    """Inactive past ``sunsetDays``, or never engaged with a first send older than that."""
    since = last_engaged if last_engaged is not None else first_send
    return (now - since) / DAY > sunset_days


class CountMismatch(RuleViolation):
    code = "count_mismatch"
    status = 409

    def __init__(self, message: str, count: int) -> None:
        super().__init__(message)
        self.count = count


class AlreadyReverted(RuleViolation):
    code = "already_reverted"
    status = 409


def sunset_run_uuid(tenant_id: str, run_id: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"sunset-run/{tenant_id}/{run_id}")


class SunsetRun(Aggregate):
    TOPIC = "SunsetRun"

    class Started(Aggregate.Created, frozen=True, kw_only=True):
        """Sunset `run_id` suppressed `suppressed` candidates (reason list_cleaning, source
        `sunset:<run_id>`) in `scope`; `skipped` were suppressed in that scope already;
        `notes` why, `started_by` who."""

        TOPIC: ClassVar[str] = "SunsetRun.Started"
        tenant_id: str
        run_id: str
        scope: SunsetScope
        notes: str | None
        suppressed: int
        skipped: int
        started_by: str

        def apply(self, r: Any) -> None:
            for name in ("tenant_id", "run_id", "scope", "notes", "suppressed", "skipped", "started_by"):
                setattr(r, name, getattr(self, name))
            r.reverted_ts = None

    class Reverted(Aggregate.Event, frozen=True, kw_only=True):
        """The run was undone: `lifted` of its suppressions were lifted, `skipped` were no
        longer in place (lifted or replaced since); `reverted_by` who."""

        TOPIC: ClassVar[str] = "SunsetRun.Reverted"
        lifted: int
        skipped: int
        reverted_by: str

        def apply(self, r: Any) -> None:
            r.reverted_ts = self.timestamp

    tenant_id: str
    run_id: str
    scope: str
    notes: str | None
    suppressed: int
    skipped: int
    started_by: str
    reverted_ts: float | None

    @property
    def source(self) -> str:
        return f"sunset:{self.run_id}"

    @classmethod
    def start(cls, tenant_id: str, run_id: str, scope: SunsetScope, notes: str | None, *,
              suppressed: int, skipped: int, started_by: str) -> SunsetRun:
        return cls._create(cls.Started, id=sunset_run_uuid(tenant_id, run_id), tenant_id=tenant_id,
                           run_id=run_id, scope=scope, notes=notes, suppressed=suppressed,
                           skipped=skipped, started_by=started_by)

    def revert(self, lifted: int, skipped: int, reverted_by: str) -> None:
        if self.reverted_ts is not None:
            raise AlreadyReverted(f"sunset {self.run_id} was reverted already")
        self.trigger_event(self.Reverted, lifted=lifted, skipped=skipped, reverted_by=reverted_by)
