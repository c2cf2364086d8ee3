"""Pulling the Microsoft SNDS data feed for one tenant (console.md §14): fetch, parse, append
the changed rows, then judge each IP's newest row once (a roll-up signal; with
``snds.tripOnRed`` a RED row trips every marketing bucket)."""

from __future__ import annotations

from typing import Any

import msgspec

from application.base import CommandMeta
from application.ports import Clock
from application.reputation.postmaster_app import PostmasterApplication
from application.reputation.postmaster_ports import BucketTripper, FeedError, FeedSchedule, SndsClient
from domain.reputation.postmaster_settings import SndsSettings
from domain.reputation.snds import snds_verdict
from domain.reputation.snds_parse import parse_feed

FEED = "snds"
TARGET = "feed"  # one schedule row per tenant: the feed is one download
RETRY_SECONDS = 900.0
TRIP_META = "system:snds"


class SndsOutcome(msgspec.Struct):
    ran: bool
    rows_parsed: int = 0
    rows_persisted: int = 0
    tripped: list[str] = msgspec.field(default_factory=list)
    position: int = 0


class SndsPull:
    def __init__(self, app: PostmasterApplication, client: SndsClient, tripper: BucketTripper,
                 schedule: FeedSchedule, clock: Clock) -> None:
        self.app, self.client, self.tripper = app, client, tripper
        self.schedule, self.clock = schedule, clock

    def pull(self, tenant_id: str, settings: SndsSettings, registry: dict[str, str], *, forced: bool,
             meta: CommandMeta) -> SndsOutcome:
        """Raises FeedError when the feed could not be read (forced: the API's 502)."""
        now = self.clock.now()
        due = self.schedule.due_at(tenant_id, FEED, TARGET)
        if not forced and due is not None and due > now:
            return SndsOutcome(ran=False)
        try:
            text = self.client.data(settings.key or "")
        except FeedError as exc:
            self.schedule.set_due(tenant_id, FEED, TARGET, now + (exc.retry_after or RETRY_SECONDS))
            raise
        _, rows = parse_feed(text)
        wanted = set(settings.ips or ())
        kept = [r for r in rows if not wanted or r["ip"] in wanted]
        persisted, position = self.app.record_snds(tenant_id, kept, meta)
        self.schedule.set_due(tenant_id, FEED, TARGET, now + settings.interval_hours * 3600)
        out = SndsOutcome(ran=True, rows_parsed=len(rows), rows_persisted=persisted, position=position)
        newest: dict[str, dict[str, Any]] = {}
        for row in kept:
            if row["ip"] not in newest or row["activityStart"] > newest[row["ip"]]["activityStart"]:
                newest[row["ip"]] = row
        for ip in sorted(newest):
            out.tripped += self._judge(tenant_id, newest[ip], settings, registry, meta)
        return out

    def _judge(self, tenant_id: str, row: dict[str, Any], settings: SndsSettings,
               registry: dict[str, str], meta: CommandMeta) -> list[str]:
        period = f"{row['activityStart']:.0f}"
        if self.app.verdict(tenant_id, FEED, row["ip"], period) is not None:
            return []
        verdict, reason = snds_verdict(row, settings.trip_on_red)
        system = CommandMeta(actor=TRIP_META, command_id=meta.command_id)
        tripped: list[str] = []
        if reason:
            self.tripper.signal(tenant_id, None, None, FEED, f"{row['ip']}: {reason}", system)
        if verdict == "trip" and reason:
            for domain in sorted(d for d, kind in registry.items() if kind in ("marketing", "both")):
                tripped += self.tripper.trip(tenant_id, domain, "marketing", reason, FEED, system)
        self.app.reach_verdict(tenant_id, FEED, row["ip"], period, verdict, reason, tripped, system)
        return tripped
