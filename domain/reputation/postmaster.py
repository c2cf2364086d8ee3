"""Google Postmaster Tools snapshots (console.md §14, §2.1).

``PostmasterSnapshot`` is one (tenant, domain, date); its id is uuid5 of tenant + (domain,
date). ``Recorded`` carries the whole snapshot (camelCase, as the API shows it) and is
appended only when the values differ from the last ones: Google serves the same day again on
every pull, and an unchanged day adds nothing. ``FeedVerdict.Reached`` is the trip/signal
decision about a domain's newest date, once per (domain, date) by its id, so a resumed bucket
is never tripped again by the same snapshot, and a replay finds the decision in the log.
``FeedRun.Completed`` is one forced refresh (Postmaster or SNDS): its audit entry.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal
from uuid import UUID, uuid5

from domain.instance import LEDGERMAIL_NAMESPACE
from domain.model import Aggregate

Verdict = Literal["trip", "review", "none"]
REPUTATIONS = ("HIGH", "MEDIUM", "LOW", "BAD")


def postmaster_snapshot_uuid(tenant_id: str, domain: str, date: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"postmaster-snapshot/{tenant_id}/{domain}/{date}")


def feed_run_uuid(tenant_id: str, feed: str, run_id: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"feed-run/{tenant_id}/{feed}/{run_id}")


class PostmasterSnapshot(Aggregate):
    TOPIC = "PostmasterSnapshot"

    class Recorded(Aggregate.Created, frozen=True, kw_only=True):
        """Google's traffic stats of `domain` on `date` (YYYY-MM-DD) became `values`
        (domainReputation, ipReputations, userReportedSpamRatio and its bounds, the
        spf/dkim/dmarc success and encryption ratios, deliveryErrors, spammyFeedbackLoops),
        fetched at `fetched_at`. Appended only when `values` changed."""

        TOPIC: ClassVar[str] = "PostmasterSnapshot.Recorded"
        tenant_id: str
        domain: str
        date: str
        values: dict[str, Any]
        fetched_at: float

        def apply(self, s: Any) -> None:
            s.tenant_id, s.domain, s.date = self.tenant_id, self.domain, self.date
            s.values, s.fetched_at = self.values, self.fetched_at

    tenant_id: str
    domain: str
    date: str
    values: dict[str, Any]
    fetched_at: float

    @classmethod
    def record(cls, tenant_id: str, domain: str, date: str, values: dict[str, Any],
               fetched_at: float, existing: PostmasterSnapshot | None) -> PostmasterSnapshot | None:
        """The snapshot with ``Recorded`` appended, or None when the values are the same."""
        fields = dict(tenant_id=tenant_id, domain=domain, date=date, values=values, fetched_at=fetched_at)
        if existing is None:
            return cls._create(cls.Recorded, id=postmaster_snapshot_uuid(tenant_id, domain, date), **fields)
        if existing.values == values:
            return None
        existing.trigger_event(cls.Recorded, **fields)  # type: ignore[arg-type]
        return existing


class FeedVerdict(Aggregate):
    """The one decision about one snapshot (Postmaster: domain + date; SNDS: ip + activity
    start): its id exists once, so a snapshot is judged once whatever happens after."""

    TOPIC = "FeedVerdict"

    class Reached(Aggregate.Created, frozen=True, kw_only=True):
        """The newest snapshot of `target` (`feed` postmaster: a domain; snds: an IP) for
        `period` (a date or an activity start) was judged: `verdict` trip, review (a signal)
        or none, `reason` in words, `tripped` the buckets it tripped (`<domain>|<kind>`)."""

        TOPIC: ClassVar[str] = "FeedVerdict.Reached"
        tenant_id: str
        feed: str
        target: str
        period: str
        verdict: Verdict
        reason: str | None
        tripped: list[str]

        def apply(self, v: Any) -> None:
            for name in ("tenant_id", "feed", "target", "period", "verdict", "reason", "tripped"):
                setattr(v, name, getattr(self, name))

    tenant_id: str
    feed: str
    target: str
    period: str
    verdict: str
    reason: str | None
    tripped: list[str]

    @classmethod
    def reach(cls, tenant_id: str, feed: str, target: str, period: str, verdict: Verdict,
              reason: str | None, tripped: list[str]) -> FeedVerdict:
        return cls._create(cls.Reached, id=feed_verdict_uuid(tenant_id, feed, target, period),
                           tenant_id=tenant_id, feed=feed, target=target, period=period, verdict=verdict,
                           reason=reason, tripped=tripped)


def feed_verdict_uuid(tenant_id: str, feed: str, target: str, period: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"feed-verdict/{tenant_id}/{feed}/{target}/{period}")


def verdict_of(values: dict[str, Any], trip_pct: float, review_pct: float) -> tuple[Verdict, str | None]:
    """console.md §14: BAD or spam ratio >= trip% trips; LOW or >= review% raises a signal."""
    reputation = values.get("domainReputation")
    spam = values.get("userReportedSpamRatio")
    rate = f"{spam * 100:.2f}%" if isinstance(spam, (int, float)) else None
    if reputation == "BAD":
        return "trip", "Postmaster domain reputation BAD"
    if rate is not None and spam * 100 >= trip_pct:
        return "trip", f"Postmaster user-reported spam rate {rate} >= {trip_pct:g}%"
    if reputation == "LOW":
        return "review", "Postmaster domain reputation LOW"
    if rate is not None and spam * 100 >= review_pct:
        return "review", f"Postmaster user-reported spam rate {rate} >= {review_pct:g}%"
    return "none", None


class FeedRun(Aggregate):
    TOPIC = "FeedRun"

    class Completed(Aggregate.Created, frozen=True, kw_only=True):
        """A forced refresh of `feed` (postmaster or snds) ran: `summary` is its answer
        (fetched, rowsParsed, rowsPersisted, trippedDomains, errors)."""

        TOPIC: ClassVar[str] = "FeedRun.Completed"
        tenant_id: str
        feed: str
        summary: dict[str, Any]

        def apply(self, r: Any) -> None:
            r.tenant_id, r.feed, r.summary = self.tenant_id, self.feed, self.summary

    tenant_id: str
    feed: str
    summary: dict[str, Any]

    @classmethod
    def complete(cls, tenant_id: str, feed: str, run_id: str, summary: dict[str, Any]) -> FeedRun:
        return cls._create(cls.Completed, id=feed_run_uuid(tenant_id, feed, run_id), tenant_id=tenant_id,
                           feed=feed, summary=summary)
