"""Pulling Google Postmaster Tools for one tenant (console.md §14): fetch each due domain,
append the changed days, then judge the domain's newest day once (trip or signal).

A failed domain is reported in ``errors`` and tried again later: after ``Retry-After`` when
the API throttled us (429), else after ``RETRY_SECONDS``; the others go on.
"""

from __future__ import annotations

import msgspec

from application.base import CommandMeta
from application.ports import Clock
from application.reputation.postmaster_app import PostmasterApplication
from application.reputation.postmaster_ports import (
    BucketTripper,
    FeedError,
    FeedSchedule,
    PostmasterClient,
    PostmasterCredentials,
)
from domain.reputation.postmaster import verdict_of
from domain.reputation.postmaster_parse import parse_page, under
from domain.reputation.postmaster_settings import PostmasterSettings

FEED = "postmaster"
RETRY_SECONDS = 900.0
TRIP_META = "system:postmaster"
KINDS = {"marketing": ("marketing",), "transactional": ("transactional",),
         "both": ("marketing", "transactional")}


class PostmasterOutcome(msgspec.Struct):
    fetched: int = 0
    recorded: int = 0
    tripped: list[str] = msgspec.field(default_factory=list)
    errors: list[dict[str, object]] = msgspec.field(default_factory=list)
    position: int = 0


class PostmasterPull:
    def __init__(self, app: PostmasterApplication, client: PostmasterClient, tripper: BucketTripper,
                 schedule: FeedSchedule, clock: Clock) -> None:
        self.app, self.client, self.tripper = app, client, tripper
        self.schedule, self.clock = schedule, clock

    def pull(self, tenant_id: str, settings: PostmasterSettings, credentials: PostmasterCredentials,
             domains: list[str], registry: dict[str, str], *, forced: bool,
             meta: CommandMeta) -> PostmasterOutcome:
        out = PostmasterOutcome()
        for domain in domains:
            now = self.clock.now()
            due = self.schedule.due_at(tenant_id, FEED, domain)
            if not forced and due is not None and due > now:
                continue
            try:
                pages = self.client.traffic_stats(credentials, domain)
            except FeedError as exc:
                out.errors.append({"domain": domain, "status": exc.status, "message": exc.message})
                self.schedule.set_due(tenant_id, FEED, domain, now + (exc.retry_after or RETRY_SECONDS))
                continue
            days = dict(day for page in pages for day in parse_page(page)[0])
            out.fetched += len(days)
            recorded, position = self.app.record_postmaster(tenant_id, domain, sorted(days.items()), meta)
            out.recorded += recorded
            out.position = max(out.position, position)
            self.schedule.set_due(tenant_id, FEED, domain, now + settings.interval_hours * 3600)
            if days:
                newest = max(days)
                out.tripped += self._judge(tenant_id, domain, newest, days[newest], settings, registry, meta)
        return out

    def _judge(self, tenant_id: str, domain: str, date: str, values: dict[str, object],
               settings: PostmasterSettings, registry: dict[str, str], meta: CommandMeta) -> list[str]:
        """Once per (domain, date): trip the sender domains' buckets or raise a signal."""
        if self.app.verdict(tenant_id, FEED, domain, date) is not None:
            return []
        verdict, reason = verdict_of(values, settings.spam_rate_pct_trip, settings.spam_rate_pct_review)
        system = CommandMeta(actor=TRIP_META, command_id=meta.command_id)
        tripped: list[str] = []
        targets: list[tuple[str, str | None]] = [
            (d, kind) for d in registry if under(d, domain) for kind in KINDS.get(registry[d], ())]
        if not targets:  # no sender domain of the registry under it: its existing buckets
            targets = [(domain, None)]
        for sender, kind in targets if reason else ():
            if verdict == "trip":
                tripped += self.tripper.trip(tenant_id, sender, kind, reason, FEED, system)
            elif verdict == "review":
                self.tripper.signal(tenant_id, sender, kind, FEED, reason, system)
        self.app.reach_verdict(tenant_id, FEED, domain, date, verdict, reason, tripped, system)
        return tripped
