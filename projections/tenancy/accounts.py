"""The accounts view: each tenant's live SMTP accounts (passwords stay ciphertext)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from domain.tenancy.account import Account
from domain.tenancy.settings import AccountSettings
from projections.base import Projection, Recorded, View
from projections.sql import SqlTx


class AccountRow(msgspec.Struct, frozen=True):
    tenant_id: str
    account_id: str
    settings: AccountSettings
    created_ts: float
    updated_ts: float


class AccountsView(View):
    NAME = "accounts"
    TABLES = ("accounts",)

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('accounts')} (aggregate_id TEXT PRIMARY KEY, "
            "tenant_id TEXT NOT NULL, account_id TEXT NOT NULL, settings TEXT NOT NULL, "
            f"created_ts {real} NOT NULL, updated_ts {real} NOT NULL, UNIQUE (tenant_id, account_id))"
        ]

    def list(self, tenant_id: str) -> list[AccountRow]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT tenant_id, account_id, settings, created_ts, updated_ts FROM {self.t('accounts')} "
                "WHERE tenant_id = ? ORDER BY account_id", (tenant_id,))
        return [self._row(r) for r in rows]

    def get(self, tenant_id: str, account_id: str) -> AccountRow | None:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT tenant_id, account_id, settings, created_ts, updated_ts FROM {self.t('accounts')} "
                "WHERE tenant_id = ? AND account_id = ?", (tenant_id, account_id))
        return self._row(rows[0]) if rows else None

    @staticmethod
    def _row(raw: Sequence[Any]) -> AccountRow:
        tenant_id, account_id, settings, created, updated = raw
        return AccountRow(tenant_id, account_id, msgspec.json.decode(settings, type=AccountSettings),
                          float(created), float(updated))

    def put(self, tx: SqlTx, aggregate_id: str, row: AccountRow) -> None:
        tx.execute(
            f"INSERT INTO {self.t('accounts')} (aggregate_id, tenant_id, account_id, settings, created_ts, "
            "updated_ts) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (aggregate_id) DO UPDATE SET "
            "settings = excluded.settings, updated_ts = excluded.updated_ts",
            (aggregate_id, row.tenant_id, row.account_id, msgspec.json.encode(row.settings).decode(),
             row.created_ts, row.updated_ts))

    def update_settings(self, tx: SqlTx, aggregate_id: str, settings: AccountSettings, ts: float) -> None:
        tx.execute(f"UPDATE {self.t('accounts')} SET settings = ?, updated_ts = ? WHERE aggregate_id = ?",
                   (msgspec.json.encode(settings).decode(), ts, aggregate_id))

    def remove(self, tx: SqlTx, aggregate_id: str) -> None:
        tx.execute(f"DELETE FROM {self.t('accounts')} WHERE aggregate_id = ?", (aggregate_id,))


class AccountsProjection(Projection[AccountsView]):
    VIEW = AccountsView
    FOLLOWS = ("tenancy",)
    TOPICS = frozenset({Account.Registered.TOPIC, Account.Updated.TOPIC, Account.Deleted.TOPIC})

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        for rec in page:
            event, agg = rec.event, str(rec.event.originator_id)
            if isinstance(event, Account.Registered):
                self.view.remove(tx, agg)  # registering again starts afresh (new created_ts)
                self.view.put(tx, agg, AccountRow(event.tenant_id, event.account_id, event.settings,
                                                  event.timestamp, event.timestamp))
            elif isinstance(event, Account.Updated):
                self.view.update_settings(tx, agg, event.settings, event.timestamp)
            elif isinstance(event, Account.Deleted):
                self.view.remove(tx, agg)
