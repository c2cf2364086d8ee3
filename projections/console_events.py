"""The ``contact_events`` view: the event registry and every fired contact event (sealed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from domain.console.contact import Contact
from domain.console.contact_event import ContactEvent, EventDefinition
from projections.base import Projection, Recorded, View
from projections.sql import SqlTx

DAY = 86400.0


class Definition(msgspec.Struct, frozen=True):
    name: str
    dedupe_policy: str
    registered_ts: float


class EventRow(msgspec.Struct, frozen=True):
    event_id: str
    contact_id: str
    name: str
    dedupe_key: str
    occurred_at: float
    properties: str | None


class NameStats(msgspec.Struct, frozen=True):
    total: int
    last7d: int
    last30d: int
    first_at: float
    last_at: float


class ContactEventsView(View):
    NAME = "contact_events"
    TABLES = ("event_definitions", "contact_events")

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('event_definitions')} (tenant_id TEXT NOT NULL, "
            f"name TEXT NOT NULL, dedupe_policy TEXT NOT NULL, registered_ts {real} NOT NULL, "
            "PRIMARY KEY (tenant_id, name))",
            f"CREATE TABLE IF NOT EXISTS {self.t('contact_events')} (event_id TEXT PRIMARY KEY, "
            "tenant_id TEXT NOT NULL, contact_id TEXT NOT NULL, name TEXT NOT NULL, "
            "dedupe_key TEXT NOT NULL, "
            f"occurred_at {real} NOT NULL, properties TEXT)",
        ]

    def index_ddl(self) -> list[str]:
        table = self.t("contact_events")
        return [
            f"CREATE INDEX IF NOT EXISTS {self.t('contact_events_name')} ON {table} "
            "(tenant_id, name, occurred_at)",
            f"CREATE INDEX IF NOT EXISTS {self.t('contact_events_contact')} ON {table} "
            "(contact_id, occurred_at)",
        ]

    def definitions(self, tenant_id: str) -> list[Definition]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT name, dedupe_policy, registered_ts FROM {self.t('event_definitions')} "
                "WHERE tenant_id = ? ORDER BY name",
                (tenant_id,),
            )
        return [Definition(n, p, float(ts)) for n, p, ts in rows]

    def stats(self, tenant_id: str, now: float) -> dict[str, NameStats]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                "SELECT name, COUNT(*), SUM(CASE WHEN occurred_at >= ? THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN occurred_at >= ? THEN 1 ELSE 0 END), MIN(occurred_at), MAX(occurred_at) "
                f"FROM {self.t('contact_events')} WHERE tenant_id = ? GROUP BY name",
                (now - 7 * DAY, now - 30 * DAY, tenant_id),
            )
        return {
            n: NameStats(int(t), int(a or 0), int(b or 0), float(lo), float(hi))
            for n, t, a, b, lo, hi in rows
        }

    def recent(self, contact_id: str, limit: int = 50) -> list[EventRow]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT event_id, contact_id, name, dedupe_key, occurred_at, properties FROM "
                f"{self.t('contact_events')} WHERE contact_id = ? ORDER BY occurred_at DESC, "
                "event_id LIMIT ?",
                (contact_id, limit),
            )
        return [EventRow(*r) for r in rows]


class ContactEventsProjection(Projection[ContactEventsView]):
    VIEW = ContactEventsView
    FOLLOWS = ("console",)
    TOPICS = frozenset(
        cls.TOPIC
        for cls in (
            ContactEvent.Fired,
            EventDefinition.Registered,
            EventDefinition.PolicyChanged,
            EventDefinition.Removed,
            Contact.Forgotten,
        )
    )

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        v = self.view
        for rec in page:
            e: Any = rec.event
            if isinstance(e, ContactEvent.Fired):
                tx.execute(
                    f"INSERT INTO {v.t('contact_events')} (event_id, tenant_id, contact_id, name, "
                    "dedupe_key, occurred_at, properties) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (event_id) DO NOTHING",
                    (
                        str(e.originator_id),
                        e.tenant_id,
                        e.contact_id,
                        e.name,
                        e.dedupe_key,
                        e.occurred_at,
                        e.properties,
                    ),
                )
            elif isinstance(e, EventDefinition.Registered):
                tx.execute(
                    f"INSERT INTO {v.t('event_definitions')} (tenant_id, name, dedupe_policy, "
                    "registered_ts) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, name) DO UPDATE SET "
                    "dedupe_policy = excluded.dedupe_policy, registered_ts = excluded.registered_ts",
                    (e.tenant_id, e.name, e.dedupe_policy, e.timestamp),
                )
            elif isinstance(e, EventDefinition.PolicyChanged):
                tx.execute(
                    f"UPDATE {v.t('event_definitions')} SET dedupe_policy = ? WHERE tenant_id = ? "
                    "AND name = ?",
                    (e.dedupe_policy, e.meta.tenant_id, e.name),
                )
            elif isinstance(e, EventDefinition.Removed):
                tx.execute(
                    f"DELETE FROM {v.t('event_definitions')} WHERE tenant_id = ? AND name = ?",
                    (e.meta.tenant_id, e.name),
                )
            elif isinstance(e, Contact.Forgotten):
                # the erased contact's events leave the read model (their properties were sealed anyway)
                tx.execute(
                    f"DELETE FROM {v.t('contact_events')} WHERE contact_id = ?", (str(e.originator_id),)
                )
