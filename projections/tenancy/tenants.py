"""The tenants view: settings, suspensions and the API key index (auth reads it per request)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from domain.tenancy.settings import TenantSettings
from domain.tenancy.tenant import Tenant
from projections.base import Projection, Recorded, View
from projections.sql import SqlTx

COLUMNS = (
    "tenant_id", "settings", "suspended", "key_id", "key_salt", "key_digest", "key_expires_at",
    "created_ts", "updated_ts", "deleted", "deleted_ts", "aggregate_id",
)


class TenantRow(msgspec.Struct, frozen=True):
    tenant_id: str
    settings: TenantSettings
    suspended: list[str]
    key_id: str | None
    key_salt: str | None
    key_digest: str | None
    key_expires_at: float | None
    created_ts: float
    updated_ts: float
    deleted: bool
    deleted_ts: float | None
    aggregate_id: str


def _row(raw: Sequence[Any]) -> TenantRow:
    data = dict(zip(COLUMNS, raw, strict=True))
    data["settings"] = msgspec.json.decode(data["settings"], type=TenantSettings)
    data["suspended"] = msgspec.json.decode(data["suspended"])
    data["deleted"] = bool(data["deleted"])
    return msgspec.convert(data, TenantRow)


class TenantsView(View):
    NAME = "tenants"
    TABLES = ("tenants",)

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('tenants')} (tenant_id TEXT PRIMARY KEY, "
            "settings TEXT NOT NULL, suspended TEXT NOT NULL, key_id TEXT, key_salt TEXT, "
            f"key_digest TEXT, key_expires_at {real}, created_ts {real} NOT NULL, "
            f"updated_ts {real} NOT NULL, deleted INTEGER NOT NULL, deleted_ts {real}, "
            "aggregate_id TEXT NOT NULL UNIQUE)"
        ]

    def index_ddl(self) -> list[str]:
        return [f"CREATE UNIQUE INDEX IF NOT EXISTS {self.t('tenants_key_id')} "
                f"ON {self.t('tenants')} (key_id)"]

    def _select(self) -> str:
        return f"SELECT {', '.join(COLUMNS)} FROM {self.t('tenants')}"

    def get(self, tenant_id: str) -> TenantRow | None:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"{self._select()} WHERE tenant_id = ?", (tenant_id,))
        return _row(rows[0]) if rows else None

    def by_key_id(self, key_id: str) -> TenantRow | None:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"{self._select()} WHERE key_id = ?", (key_id,))
        return _row(rows[0]) if rows else None

    def list(self, *, include_deleted: bool = False, active_only: bool = False) -> list[TenantRow]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"{self._select()} ORDER BY tenant_id")
        out = [_row(r) for r in rows]
        return [r for r in out if (include_deleted or not r.deleted)
                and (not active_only or (r.settings.active and not r.deleted))]

    def upsert(self, tx: SqlTx, row: TenantRow) -> None:
        values = msgspec.structs.astuple(row)
        values = (values[0], msgspec.json.encode(row.settings).decode(),
                  msgspec.json.encode(row.suspended).decode(), *values[3:9], int(row.deleted), values[10],
                  row.aggregate_id)
        placeholders = ", ".join("?" for _ in COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
        tx.execute(f"INSERT INTO {self.t('tenants')} ({', '.join(COLUMNS)}) VALUES ({placeholders}) "
                   f"ON CONFLICT (tenant_id) DO UPDATE SET {updates}", values)

    def load(self, tx: SqlTx, aggregate_id: str) -> TenantRow | None:
        rows = tx.execute(f"{self._select()} WHERE aggregate_id = ?", (aggregate_id,))
        return _row(rows[0]) if rows else None


class TenantsProjection(Projection[TenantsView]):
    VIEW = TenantsView
    FOLLOWS = ("tenancy",)
    TOPICS = frozenset(cls.TOPIC for cls in (
        Tenant.Created, Tenant.Updated, Tenant.BatchSuspended, Tenant.BatchActivated,
        Tenant.ApiKeyIssued, Tenant.ApiKeyRevoked, Tenant.Deleted,
    ))

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        for rec in page:
            event = rec.event
            if isinstance(event, Tenant.Created):
                row = TenantRow(event.tenant_id, event.settings, [], None, None, None, None,
                                event.timestamp, event.timestamp, False, None, str(event.originator_id))
            else:
                current = self.view.load(tx, str(event.originator_id))
                if current is None:
                    continue
                row = self._apply(current, event)
            self.view.upsert(tx, row)

    @staticmethod
    def _apply(row: TenantRow, event: Any) -> TenantRow:
        changes: dict[str, Any] = {"updated_ts": event.timestamp}
        if isinstance(event, Tenant.Updated):
            changes["settings"] = event.settings
        elif isinstance(event, (Tenant.BatchSuspended, Tenant.BatchActivated)):
            changes["suspended"] = list(event.suspended)
        elif isinstance(event, Tenant.ApiKeyIssued):
            changes.update(key_id=event.key_id, key_salt=event.salt, key_digest=event.digest,
                           key_expires_at=event.expires_at)
        elif isinstance(event, (Tenant.ApiKeyRevoked, Tenant.Deleted)):
            changes.update(key_id=None, key_salt=None, key_digest=None, key_expires_at=None)
            if isinstance(event, Tenant.Deleted):
                changes.update(deleted=True, deleted_ts=event.timestamp, suspended=[])
        return msgspec.structs.replace(row, **changes)
