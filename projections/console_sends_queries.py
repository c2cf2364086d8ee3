"""Queries of the ``sends`` view: lists, one send, and the dashboard's aggregates (§3, §6).

The dashboard reads the hourly roll-up ``send_hours`` (``console_sends_hours``) for the whole
hours of a window and range-scans ``sends`` through the (tenant_id, queued_ts) index only for
the two partial hours at its edges, so its cost follows the window's hours, not its sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from projections.console_sends_fold import COLUMNS
from projections.console_sends_hours import HOUR, hour_of
from projections.sql import SqlDatabase

FILTERS = {
    "status": "status",
    "kind": "kind",
    "origin": "origin",
    "template": "template_slug",
    "broadcast": "broadcast_slug",
    "flow": "flow_slug",
    "contact_id": "contact_id",
}


# dashboard counts: name in the answer -> column of send_hours (the scan's order too)
_STATS = {
    "sends": "sends",
    "delivered": "delivered",
    "bounced": "bounced",
    "opened": "opened",
    "openedInclBots": "opened_any",
    "clicked": "clicked",
    "complained": "complained",
    "unsubscribed": "unsubscribed",
}


def decode(raw: Sequence[Any]) -> dict[str, Any]:
    row = dict(zip(COLUMNS, raw, strict=True))
    row["bounce"] = msgspec.json.decode(row["bounce"]) if row["bounce"] else None
    row["holds"] = msgspec.json.decode(row["holds"]) if row["holds"] else []
    return row


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


class SendQueries:
    """Mixed into ``SendsView`` (which provides ``db`` and ``t``)."""

    db: SqlDatabase
    t: Any

    def _select(self) -> str:
        return f"SELECT {', '.join(COLUMNS)} FROM {self.t('sends')}"

    def page(
        self, tenant_id: str, filters: dict[str, str], before: tuple[float, str] | None, limit: int
    ) -> list[dict[str, Any]]:
        """Newest first by (queued_ts, pk); ``before`` is the last key already seen."""
        sql, params = f"{self._select()} WHERE tenant_id = ?", [tenant_id]
        for name, value in filters.items():
            sql, params = sql + f" AND {FILTERS[name]} = ?", [*params, value]
        if before is not None:
            sql += " AND (queued_ts < ? OR (queued_ts = ? AND pk < ?))"
            params += [before[0], before[0], before[1]]
        sql += " ORDER BY queued_ts DESC, pk DESC LIMIT ?"
        with self.db.transaction(write=False) as tx:
            return [decode(r) for r in tx.execute(sql, [*params, limit])]

    def get(self, tenant_id: str, pk: str) -> dict[str, Any] | None:
        with self.db.transaction(write=False) as tx:
            raw = tx.execute(f"{self._select()} WHERE tenant_id = ? AND pk = ?", (tenant_id, pk))
        return decode(raw[0]) if raw else None

    def activity(self, pk: str, kind: str, limit: int = 50) -> list[dict[str, Any]]:
        """The last ``limit`` opens or clicks, oldest first."""
        with self.db.transaction(write=False) as tx:
            raw = tx.execute(
                f"SELECT at, bot, bot_reason, link_id, url FROM {self.t('send_activity')} "
                "WHERE pk = ? AND kind = ? ORDER BY version DESC LIMIT ?",
                (pk, kind, limit),
            )
        return [
            {"at": a, "bot": bool(b), "botReason": r, "linkId": li, "url": u} for a, b, r, li, u in raw[::-1]
        ]

    def outcomes(self, pk: str) -> list[dict[str, Any]]:
        with self.db.transaction(write=False) as tx:
            raw = tx.execute(
                f"SELECT source, item_id, type, occurred_at, received_ts, bounce_type, bounce_code "
                f"FROM {self.t('send_outcomes')} WHERE send_pk = ? ORDER BY received_ts, item_id",
                (pk,),
            )
        names = ("source", "id", "type", "occurredAt", "receivedAt", "bounceType", "bounceCode")
        return [dict(zip(names, r, strict=True)) for r in raw]

    def newest_for_contacts(self, tenant_id: str, contact_ids: Sequence[str], sent_by: float) -> str | None:
        """The newest console send to one of these contacts sent at or before ``sent_by``."""
        if not contact_ids:
            return None
        with self.db.transaction(write=False) as tx:
            raw = tx.execute(
                f"SELECT pk FROM {self.t('sends')} WHERE tenant_id = ? AND contact_id IN "
                f"({_marks(contact_ids)}) AND origin <> 'api' AND sent_ts IS NOT NULL AND sent_ts <= ? "
                "ORDER BY sent_ts DESC, pk DESC LIMIT 1",
                [tenant_id, *contact_ids, sent_by],
            )
        return str(raw[0][0]) if raw else None

    # --- holds (console.md §2.3): what a trip, a pause or a cancel applies to ------------------
    def waiting_sends(self, tenant_id: str, **filters: str | None) -> list[str]:
        """pks of the tenant's console sends not yet attempted for good (queued, deferred,
        held) that match every filter given: ``hold`` they carry, ``batch_code``
        (``b:<slug>``/``f:<slug>``), ``from_domain``, ``kind``, ``contact_id``."""
        return [str(r[0]) for r in self._waiting("pk", tenant_id, filters)]

    def waiting_client_ids(self, tenant_id: str, **filters: str | None) -> list[str]:
        return [str(r[0]) for r in self._waiting("client_id", tenant_id, filters)]

    def _waiting(self, column: str, tenant_id: str, filters: dict[str, str | None]) -> list[Any]:
        sql = (f"SELECT {column} FROM {self.t('sends')} WHERE tenant_id = ? AND origin <> 'api' "
               "AND status IN ('queued', 'deferred', 'held')")
        params: list[Any] = [tenant_id]
        batch_code = filters.get("batch_code")
        if batch_code is not None:
            column_of = {"b": "broadcast_slug", "f": "flow_slug"}.get(batch_code[:1], "")
            if batch_code[1:2] != ":" or not column_of:
                return []
            sql, params = sql + f" AND {column_of} = ?", [*params, batch_code[2:]]
        clauses = {"hold": ("holds LIKE ?", '%"{}"%'), "from_domain": ("from_email LIKE ?", "%@{}"),
                   "kind": ("kind = ?", "{}"), "contact_id": ("contact_id = ?", "{}")}
        for name, (clause, pattern) in clauses.items():
            value = filters.get(name)
            if value is not None:
                sql, params = f"{sql} AND {clause}", [*params, pattern.format(value.lower() if name ==
                                                                              "from_domain" else value)]
        with self.db.transaction(write=False) as tx:
            return list(tx.execute(sql + " ORDER BY queued_ts, pk", params))

    # --- the dashboard --------------------------------------------------------------------
    def window_stats(
        self, tenant_id: str, start: float, end: float, origins: Sequence[str]
    ) -> dict[str, int]:
        """Counts over sends queued in (start, end] of ``origins``, minus suppressed/cancelled:
        the whole hours from the ``send_hours`` roll-up, the two partial edge hours from rows."""
        first, last = hour_of(start) + 1, hour_of(end) - 1  # the hours wholly inside
        with self.db.transaction(write=False) as tx:
            if first > last:
                return self._scan(tx, tenant_id, ("queued_ts > ? AND queued_ts <= ?", start, end), origins)
            sums = ", ".join(f"COALESCE(SUM({c}), 0)" for c in _STATS.values())
            raw = tx.execute(
                f"SELECT {sums} FROM {self.t('send_hours')} WHERE tenant_id = ? "
                f"AND origin IN ({_marks(origins)}) AND hour >= ? AND hour <= ?",
                [tenant_id, *origins, first, last],
            )[0]
            out = {n: int(v) for n, v in zip(_STATS, raw, strict=True)}
            edges = (
                ("queued_ts > ? AND queued_ts < ?", start, first * HOUR),
                ("queued_ts >= ? AND queued_ts <= ?", (last + 1) * HOUR, end),
            )
            for edge in edges:
                for name, n in self._scan(tx, tenant_id, edge, origins).items():
                    out[name] += n
        return out

    def _scan(
        self, tx: Any, tenant_id: str, span: tuple[str, float, float], origins: Sequence[str]
    ) -> dict[str, int]:
        """The same counts from the rows, over a ``queued_ts`` range (an edge hour)."""
        delivered = "sent_ts IS NOT NULL AND bounced = 0"
        facts = {
            "delivered": delivered,
            "bounced": "bounced <> 0",
            "opened": f"{delivered} AND engaged_ts IS NOT NULL",
            "openedInclBots": f"{delivered} AND (first_open_ts IS NOT NULL OR first_click_ts IS NOT NULL)",
            "clicked": f"{delivered} AND human_click_count > 0",
            "complained": f"{delivered} AND complained_ts IS NOT NULL",
            "unsubscribed": f"{delivered} AND unsubscribed_ts IS NOT NULL",
        }
        sums = ", ".join(f"COALESCE(SUM(CASE WHEN {c} THEN 1 ELSE 0 END), 0)" for c in facts.values())
        raw = tx.execute(
            f"SELECT COUNT(*), {sums} FROM {self.t('sends')} WHERE tenant_id = ? AND {span[0]} "
            f"AND origin IN ({_marks(origins)}) AND status NOT IN ('suppressed', 'cancelled')",
            [tenant_id, span[1], span[2], *origins],
        )[0]
        return {n: int(v) for n, v in zip(_STATS, raw, strict=True)}

    def hourly(self, tenant_id: str, start: float, origins: Sequence[str]) -> tuple[list[int], list[int]]:
        """24 clock hours ending with the one holding ``start`` + 24 h (index 23, so far):
        sends by queued hour, first human opens by engaged hour, from the roll-up."""
        last = hour_of(start + 86400)
        sends, opens = [0] * 24, [0] * 24
        with self.db.transaction(write=False) as tx:
            raw = tx.execute(
                f"SELECT hour, SUM(sends), SUM(engaged) FROM {self.t('send_hours')} WHERE tenant_id = ? "
                f"AND origin IN ({_marks(origins)}) AND hour > ? AND hour <= ? GROUP BY hour",
                [tenant_id, *origins, last - 24, last],
            )
        for hour, sent, engaged in raw:
            sends[23 - (last - int(hour))], opens[23 - (last - int(hour))] = int(sent), int(engaged)
        return sends, opens

    def queue(self, tenant_id: str, now: float) -> dict[str, Any]:
        sql = (
            "SELECT COALESCE(SUM(CASE WHEN status = 'sending' THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN status = 'deferred' OR (status = 'queued' AND not_before > ?) "
            "THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN status = 'held' THEN 1 ELSE 0 END), 0) "
            f"FROM {self.t('sends')} WHERE tenant_id = ? "
            "AND status IN ('sending', 'deferred', 'queued', 'held')"
        )
        with self.db.transaction(write=False) as tx:
            flight, delayed, held = tx.execute(sql, (now, tenant_id))[0]
            accept = tx.execute(
                f"SELECT sent_ts, account_id FROM {self.t('sends')} WHERE tenant_id = ? "
                "AND sent_ts IS NOT NULL ORDER BY sent_ts DESC LIMIT 1",
                (tenant_id,),
            )
            failure = tx.execute(
                f"SELECT last_failure_ts, account_id FROM {self.t('sends')} WHERE tenant_id = ? "
                "AND last_failure_ts IS NOT NULL ORDER BY last_failure_ts DESC LIMIT 1",
                (tenant_id,),
            )
        ok = (
            None
            if not accept and not failure
            else bool(accept) and (not failure or float(accept[0][0]) >= float(failure[0][0]))
        )
        newest = max([*accept, *failure], key=lambda r: float(r[0]), default=None)
        return {
            "inFlight": int(flight),
            "delayed": int(delayed),
            "held": int(held),
            "providerOk": ok,
            "providerName": newest[1] if newest else None,
        }

    def recent(self, tenant_id: str, origins: Sequence[str], limit: int) -> list[dict[str, Any]]:
        sql = (
            f"{self._select()} WHERE tenant_id = ? AND origin IN ({_marks(origins)}) "
            "ORDER BY queued_ts DESC, pk DESC LIMIT ?"
        )
        with self.db.transaction(write=False) as tx:
            return [decode(r) for r in tx.execute(sql, [tenant_id, *origins, limit])]
