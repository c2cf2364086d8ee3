"""Read-only queries a broadcast asks of other read models (sends, send activity, contact
events): segment facts per page of contacts, the stop-rule sample, live stats.

They read the ``sends``/``send_activity``/``contact_events`` tables of those views (names
through the views' ``t()``); nothing here writes, so the views keep their owners.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from projections.sql import SqlDatabase

# the bounce column holds msgspec JSON ({"type":"hard",...}); patterns go as parameters (psycopg)
HARD, SOFT = "bounce LIKE ?", "bounce LIKE ?"
HARD_PATTERN, SOFT_PATTERN = '%"type":"hard"%', '%"type":"soft"%'
WAITING = ("queued", "held", "deferred")
CHUNK = 500


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


class BroadcastFacts:
    def __init__(self, db: SqlDatabase, sends: str, activity: str, events: str) -> None:
        self.db, self.sends, self.activity, self.events = db, sends, activity, events

    def _chunks(self, sql: str, tenant_id: str, ids: Sequence[str], tail: Sequence[Any] = ()) -> list[Any]:
        out: list[Any] = []
        with self.db.transaction(write=False) as tx:
            for start in range(0, len(ids), CHUNK):
                chunk = list(ids[start:start + CHUNK])
                out += tx.execute(sql.format(marks=_marks(chunk)), [tenant_id, *chunk, *tail])
        return out

    def contact_events(self, tenant_id: str, ids: Sequence[str]) -> list[tuple[str, str, float]]:
        return [(str(c), str(n), float(t)) for c, n, t in self._chunks(
            f"SELECT contact_id, name, occurred_at FROM {self.events} WHERE tenant_id = ? "
            "AND contact_id IN ({marks})", tenant_id, ids)]

    def activity_of(self, tenant_id: str, ids: Sequence[str]) -> list[tuple[str, str, float, Any, bool]]:
        """(contactId, open|click, at, templateSlug, bot) of non-test console sends."""
        return [(str(c), str(k), float(a), t, bool(b)) for c, k, a, t, b in self._chunks(
            f"SELECT s.contact_id, a.kind, a.at, s.template_slug, a.bot FROM {self.activity} a "
            f"JOIN {self.sends} s ON s.pk = a.pk WHERE s.tenant_id = ? AND s.contact_id IN ({{marks}}) "
            "AND s.origin <> 'test'", tenant_id, ids)]

    def first_sends(self, tenant_id: str, ids: Sequence[str]) -> dict[str, float]:
        """First console send (not test, not suppressed/cancelled) per contact: hygiene's 'never'."""
        rows = self._chunks(
            f"SELECT contact_id, MIN(queued_ts) FROM {self.sends} WHERE tenant_id = ? "
            "AND contact_id IN ({marks}) AND origin IN ('oneoff', 'flow', 'broadcast') "
            "AND status NOT IN ('suppressed', 'cancelled') GROUP BY contact_id", tenant_id, ids)
        return {str(c): float(t) for c, t in rows}

    def broadcasts_of(self, tenant_id: str, ids: Sequence[str]) -> list[tuple[str, str]]:
        return [(str(c), str(s)) for c, s in self._chunks(
            f"SELECT DISTINCT contact_id, broadcast_slug FROM {self.sends} WHERE tenant_id = ? "
            "AND contact_id IN ({marks}) AND broadcast_slug IS NOT NULL", tenant_id, ids)]

    def sent_contacts(self, tenant_id: str, slug: str) -> set[str]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"SELECT contact_id FROM {self.sends} WHERE tenant_id = ? "
                              "AND broadcast_slug = ? AND origin = 'broadcast'", (tenant_id, slug))
        return {str(r[0]) for r in rows if r[0] is not None}

    def waiting(self, tenant_id: str, slug: str) -> int:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"SELECT COUNT(*) FROM {self.sends} WHERE tenant_id = ? AND broadcast_slug = ? "
                              f"AND origin = 'broadcast' AND status IN ({_marks(WAITING)})",
                              (tenant_id, slug, *WAITING))
        return int(rows[0][0])

    def sample(self, tenant_id: str, slug: str, since: float) -> tuple[int, dict[str, int]]:
        """Sends accepted (or bounced) at/after ``since`` and their bad outcomes."""
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT COUNT(*), SUM(CASE WHEN {HARD} THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN complained_ts IS NOT NULL THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN unsubscribed_ts IS NOT NULL THEN 1 ELSE 0 END) "
                f"FROM {self.sends} WHERE tenant_id = ? AND broadcast_slug = ? AND origin = 'broadcast' "
                "AND (sent_ts >= ? OR (sent_ts IS NULL AND bounced > 0 AND updated_ts >= ?))",
                (HARD_PATTERN, tenant_id, slug, since, since))
        n, hard, complained, unsub = rows[0]
        return int(n or 0), {"hardBounced": int(hard or 0), "complained": int(complained or 0),
                             "unsubscribed": int(unsub or 0)}

    def stats(self, tenant_id: str, slugs: Sequence[str]) -> dict[str, dict[str, int]]:
        """§9.2 ``stats`` per broadcast (opens and clicks: human)."""
        if not slugs:
            return {}
        sql = (
            "SELECT broadcast_slug, COUNT(*), "
            "SUM(CASE WHEN sent_ts IS NOT NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN delivered_ts IS NOT NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN bounced > 0 THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN {HARD} THEN 1 ELSE 0 END), SUM(CASE WHEN {SOFT} THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN complained_ts IS NOT NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN unsubscribed_ts IS NOT NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN human_open_count > 0 OR human_click_count > 0 THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN human_click_count > 0 THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN status = 'held' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) "
            f"FROM {self.sends} WHERE tenant_id = ? AND origin = 'broadcast' "
            f"AND broadcast_slug IN ({_marks(slugs)}) GROUP BY broadcast_slug")
        names = ("total", "accepted", "delivered", "bounced", "hardBounced", "softBounced", "complained",
                 "unsubscribed", "opened", "clicked", "held", "cancelled")
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(sql, [HARD_PATTERN, SOFT_PATTERN, tenant_id, *slugs])
        return {str(r[0]): {n: int(v or 0) for n, v in zip(names, r[1:], strict=True)} for r in rows}


EMPTY_STATS = dict.fromkeys(("total", "accepted", "delivered", "bounced", "hardBounced", "softBounced",
                             "complained", "unsubscribed", "opened", "clicked", "held", "cancelled"), 0)
