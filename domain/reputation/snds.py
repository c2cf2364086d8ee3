"""Microsoft SNDS snapshots (console.md §14, §2.1).

``SndsSnapshot`` is one (tenant, ip, activityStart); its id is uuid5 of tenant + (ip, start).
``Recorded`` carries the row's values and is appended only when they changed (the feed
repeats recent days). The signal/trip decision about an IP's newest row is a
``FeedVerdict`` (domain/reputation/postmaster.py), once per (ip, activityStart).
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID, uuid5

from domain.instance import LEDGERMAIL_NAMESPACE
from domain.model import Aggregate
from domain.reputation.postmaster import Verdict


def snds_snapshot_uuid(tenant_id: str, ip: str, activity_start: float) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"snds-snapshot/{tenant_id}/{ip}/{activity_start:.0f}")


class SndsSnapshot(Aggregate):
    TOPIC = "SndsSnapshot"

    class Recorded(Aggregate.Created, frozen=True, kw_only=True):
        """SNDS's row for `ip` over the activity period starting `activity_start` (epoch
        seconds, UTC) became `values` (activityEnd, rcptCommands, dataCommands,
        messageRecipients, filterResult GREEN|YELLOW|RED|UNKNOWN, complaintRate,
        trapMessageCount, sampleHelo, sampleMailFrom), fetched at `fetched_at`."""

        TOPIC: ClassVar[str] = "SndsSnapshot.Recorded"
        tenant_id: str
        ip: str
        activity_start: float
        values: dict[str, Any]
        fetched_at: float

        def apply(self, s: Any) -> None:
            s.tenant_id, s.ip, s.activity_start = self.tenant_id, self.ip, self.activity_start
            s.values, s.fetched_at = self.values, self.fetched_at

    tenant_id: str
    ip: str
    activity_start: float
    values: dict[str, Any]
    fetched_at: float

    @classmethod
    def record(cls, tenant_id: str, values: dict[str, Any], fetched_at: float,
               existing: SndsSnapshot | None) -> SndsSnapshot | None:
        ip, start = values["ip"], values["activityStart"]
        kept = {k: v for k, v in values.items() if k not in ("ip", "activityStart")}
        fields = dict(tenant_id=tenant_id, ip=ip, activity_start=start, values=kept, fetched_at=fetched_at)
        if existing is None:
            return cls._create(cls.Recorded, id=snds_snapshot_uuid(tenant_id, ip, start), **fields)
        if existing.values == kept:
            return None
        existing.trigger_event(cls.Recorded, **fields)  # type: ignore[arg-type]
        return existing


def snds_verdict(values: dict[str, Any], trip_on_red: bool) -> tuple[Verdict, str | None]:
    """RED, complaint >= 0.3 % or trap hits raise a roll-up signal; RED trips with tripOnRed."""
    red = values.get("filterResult") == "RED"
    rate, traps = values.get("complaintRate"), values.get("trapMessageCount") or 0
    reasons = []
    if red:
        reasons.append("SNDS filter result RED")
    if isinstance(rate, (int, float)) and rate >= 0.003:
        reasons.append(f"SNDS complaint rate {rate * 100:.2f}% >= 0.3%")
    if traps > 0:
        reasons.append(f"SNDS trap hits {traps}")
    if not reasons:
        return "none", None
    return ("trip" if red and trip_on_red else "review"), "; ".join(reasons)
