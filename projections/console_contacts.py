"""The ``contacts`` view: one row per live contact, personal data still sealed.

Rows keep the sealed blob, never clear personal data: the API opens it with the contact's
key, so a forgotten contact (key deleted) shows nothing even before its row is erased,
and a rebuild after a forget cannot bring the address back (console.md §2.4).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import msgspec

from domain.console.contact import Contact, Subscription
from projections.base import Projection, Recorded, View
from projections.sql import SqlTx

COLUMNS = (
    "contact_id",
    "tenant_id",
    "external_id",
    "address_key",
    "personal",
    "status",
    "subscription",
    "created_ts",
    "updated_ts",
)
STATUSES = ("subscribed", "pending_doi", "unsubscribed", "bounced", "complained")


class ContactRow(msgspec.Struct, frozen=True):
    contact_id: str
    tenant_id: str
    external_id: str
    address_key: str
    personal: str
    status: str | None
    subscription: Subscription | None
    created_ts: float
    updated_ts: float


def _decode(raw: Sequence[Any]) -> ContactRow:
    data = dict(zip(COLUMNS, raw, strict=True))
    sub = data["subscription"]
    data["subscription"] = msgspec.json.decode(sub, type=Subscription) if sub else None
    return msgspec.convert(data, ContactRow)


class ContactsView(View):
    NAME = "contacts"
    TABLES = ("contacts", "contacts_forgotten")

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('contacts')} (contact_id TEXT PRIMARY KEY, "
            "tenant_id TEXT NOT NULL, external_id TEXT NOT NULL, address_key TEXT NOT NULL, "
            "personal TEXT NOT NULL, status TEXT, subscription TEXT, "
            f"created_ts {real} NOT NULL, updated_ts {real} NOT NULL)",
            # forgotten ids only: the start-up sweep finishes forgets cut short by a crash
            f"CREATE TABLE IF NOT EXISTS {self.t('contacts_forgotten')} (contact_id TEXT PRIMARY KEY, "
            f"tenant_id TEXT NOT NULL, forgotten_ts {real} NOT NULL)",
        ]

    def index_ddl(self) -> list[str]:
        table = self.t("contacts")
        return [
            f"CREATE INDEX IF NOT EXISTS {self.t('contacts_page')} ON {table} "
            "(tenant_id, created_ts, contact_id)",
            f"CREATE INDEX IF NOT EXISTS {self.t('contacts_address')} ON {table} (tenant_id, address_key)",
        ]

    def _select(self) -> str:
        return f"SELECT {', '.join(COLUMNS)} FROM {self.t('contacts')}"

    def get(self, tenant_id: str, external_id: str) -> ContactRow | None:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"{self._select()} WHERE tenant_id = ? AND external_id = ?", (tenant_id, external_id)
            )
        return _decode(rows[0]) if rows else None

    def page(
        self, tenant_id: str, *, status: str | None, after: tuple[float, str] | None, limit: int
    ) -> list[ContactRow]:
        """Newest first by (created_ts, contact_id); ``after`` is the last key already seen."""
        sql, params = f"{self._select()} WHERE tenant_id = ?", [tenant_id]
        if status is not None:
            sql, params = sql + " AND status = ?", [*params, status]
        if after is not None:
            sql += " AND (created_ts < ? OR (created_ts = ? AND contact_id < ?))"
            params += [after[0], after[0], after[1]]
        sql += " ORDER BY created_ts DESC, contact_id DESC LIMIT ?"
        with self.db.transaction(write=False) as tx:
            return [_decode(r) for r in tx.execute(sql, [*params, limit])]

    def by_address(self, tenant_id: str, address_key: str) -> list[ContactRow]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"{self._select()} WHERE tenant_id = ? AND address_key = ?", (tenant_id, address_key)
            )
        return [_decode(r) for r in rows]

    def by_ids(self, tenant_id: str, contact_ids: Sequence[str]) -> list[ContactRow]:
        """Rows of these contacts (a sends page opens its recipients' addresses with them)."""
        out: list[ContactRow] = []
        for start in range(0, len(contact_ids), 500):
            chunk = list(contact_ids[start : start + 500])
            with self.db.transaction(write=False) as tx:
                rows = tx.execute(
                    f"{self._select()} WHERE tenant_id = ? "
                    f"AND contact_id IN ({', '.join('?' for _ in chunk)})",
                    [tenant_id, *chunk],
                )
            out += [_decode(r) for r in rows]
        return out

    def counts(self, tenant_id: str) -> dict[str, int]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT status, COUNT(*) FROM {self.t('contacts')} WHERE tenant_id = ? GROUP BY status",
                (tenant_id,),
            )
        found = {str(s): int(n) for s, n in rows if s is not None}
        out = {s: found.get(s, 0) for s in STATUSES}
        out["total"] = sum(int(n) for _, n in rows)
        return out

    # --- writes -------------------------------------------------------------------------
    def put(self, tx: SqlTx, rows: list[ContactRow]) -> None:
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
        for row in rows:
            values = list(msgspec.structs.astuple(row))
            values[6] = msgspec.json.encode(row.subscription).decode() if row.subscription else None
            tx.execute(
                f"INSERT INTO {self.t('contacts')} ({', '.join(COLUMNS)}) VALUES "
                f"({', '.join('?' for _ in COLUMNS)}) ON CONFLICT (contact_id) DO UPDATE SET {updates}",
                values,
            )

    def load(self, tx: SqlTx, ids: list[str]) -> dict[str, ContactRow]:
        out: dict[str, ContactRow] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = tx.execute(
                f"{self._select()} WHERE contact_id IN ({', '.join('?' for _ in chunk)})", chunk
            )
            out.update({r.contact_id: r for r in map(_decode, rows)})
        return out

    def erase(self, tx: SqlTx, contact_id: str, tenant_id: str, ts: float) -> None:
        tx.execute(f"DELETE FROM {self.t('contacts')} WHERE contact_id = ?", (contact_id,))
        tx.execute(
            f"INSERT INTO {self.t('contacts_forgotten')} (contact_id, tenant_id, forgotten_ts) "
            "VALUES (?, ?, ?) ON CONFLICT (contact_id) DO NOTHING",
            (contact_id, tenant_id, ts),
        )

    def forgotten_with_keys(self, keys_table: str) -> list[UUID]:
        """Forgotten contacts whose data key still exists (a forget that died before step 5)."""
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT f.contact_id FROM {self.t('contacts_forgotten')} f "
                f"JOIN {keys_table} k ON k.contact_id = f.contact_id"
            )
        return [UUID(r[0]) for r in rows]


class ContactsProjection(Projection[ContactsView]):
    VIEW = ContactsView
    FOLLOWS = ("console",)
    TOPICS = frozenset(
        cls.TOPIC
        for cls in (
            Contact.Created,
            Contact.Updated,
            Contact.Subscribed,
            Contact.DoiConfirmed,
            Contact.Unsubscribed,
            Contact.Forgotten,
        )
    )

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        # Fold the page in memory: one upsert per contact, however many events it had.
        ids = list(dict.fromkeys(str(r.event.originator_id) for r in page))
        rows = self.view.load(tx, ids)
        erased: dict[str, tuple[str, float]] = {}
        for rec in page:
            event, ident = rec.event, str(rec.event.originator_id)
            if isinstance(event, Contact.Forgotten):
                rows.pop(ident, None)
                erased[ident] = (event.meta.tenant_id or "", event.timestamp)
                continue
            row = rows.get(ident)
            if isinstance(event, Contact.Created):
                erased.pop(ident, None)
                rows[ident] = ContactRow(
                    ident,
                    event.tenant_id,
                    event.external_id,
                    event.address_key,
                    event.personal,
                    None,
                    None,
                    event.timestamp,
                    event.timestamp,
                )
            elif row is not None:
                rows[ident] = _applied(row, event)
        for ident, (tenant_id, ts) in erased.items():
            self.view.erase(tx, ident, tenant_id, ts)
        self.view.put(tx, [r for i, r in rows.items() if i in ids and i not in erased])


def _applied(row: ContactRow, event: Any) -> ContactRow:
    changes: dict[str, Any] = {"updated_ts": event.timestamp}
    if isinstance(event, Contact.Updated):
        changes.update(personal=event.personal, address_key=event.address_key)
    elif isinstance(event, (Contact.Subscribed, Contact.DoiConfirmed, Contact.Unsubscribed)):
        changes["subscription"] = event.next_subscription(row.subscription)
    sub = changes.get("subscription", row.subscription)
    changes["status"] = sub.status if sub is not None else None
    return msgspec.structs.replace(row, **changes)
