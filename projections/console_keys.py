"""The console keys view: each tenant's scoped console keys (auth reads it per request)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from domain.tenancy.console_key import ConsoleKey
from domain.tenancy.tenant import Tenant
from projections.base import Projection, Recorded, View
from projections.sql import SqlTx

COLUMNS = ("key_id", "tenant_id", "label", "scopes", "salt", "digest", "expires_at", "created_ts", "revoked")


class ConsoleKeyRow(msgspec.Struct, frozen=True):
    key_id: str
    tenant_id: str
    label: str
    scopes: list[str]
    salt: str
    digest: str
    expires_at: float | None
    created_ts: float
    revoked: bool


def _row(raw: Sequence[Any]) -> ConsoleKeyRow:
    data = dict(zip(COLUMNS, raw, strict=True))
    data["scopes"] = msgspec.json.decode(data["scopes"])
    data["revoked"] = bool(data["revoked"])
    return msgspec.convert(data, ConsoleKeyRow)


class ConsoleKeysView(View):
    NAME = "console_keys"
    TABLES = ("console_keys",)

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('console_keys')} (key_id TEXT PRIMARY KEY, "
            "tenant_id TEXT NOT NULL, label TEXT NOT NULL, scopes TEXT NOT NULL, salt TEXT NOT NULL, "
            f"digest TEXT NOT NULL, expires_at {real}, created_ts {real} NOT NULL, "
            "revoked INTEGER NOT NULL)"
        ]

    def index_ddl(self) -> list[str]:
        return [
            f"CREATE INDEX IF NOT EXISTS {self.t('console_keys_tenant')} "
            f"ON {self.t('console_keys')} (tenant_id, created_ts)"
        ]

    def _select(self) -> str:
        return f"SELECT {', '.join(COLUMNS)} FROM {self.t('console_keys')}"

    def by_key_id(self, key_id: str) -> ConsoleKeyRow | None:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"{self._select()} WHERE key_id = ?", (key_id,))
        return _row(rows[0]) if rows else None

    def list(self, tenant_id: str) -> list[ConsoleKeyRow]:
        """The tenant's live keys, newest first."""
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"{self._select()} WHERE tenant_id = ? AND revoked = 0 ORDER BY created_ts DESC, key_id",
                (tenant_id,),
            )
        return [_row(r) for r in rows]

    def put(self, tx: SqlTx, row: ConsoleKeyRow) -> None:
        values = (*msgspec.structs.astuple(row),)
        values = (*values[:3], msgspec.json.encode(row.scopes).decode(), *values[4:8], int(row.revoked))
        tx.execute(
            f"INSERT INTO {self.t('console_keys')} ({', '.join(COLUMNS)}) VALUES "
            f"({', '.join('?' for _ in COLUMNS)}) ON CONFLICT (key_id) DO NOTHING",
            values,
        )

    def revoke(self, tx: SqlTx, key_id: str) -> None:
        tx.execute(f"UPDATE {self.t('console_keys')} SET revoked = 1 WHERE key_id = ?", (key_id,))

    def revoke_tenant(self, tx: SqlTx, tenant_id: str) -> None:
        tx.execute(f"UPDATE {self.t('console_keys')} SET revoked = 1 WHERE tenant_id = ?", (tenant_id,))


class ConsoleKeysProjection(Projection[ConsoleKeysView]):
    VIEW = ConsoleKeysView
    FOLLOWS = ("tenancy",)
    TOPICS = frozenset({ConsoleKey.Issued.TOPIC, ConsoleKey.Revoked.TOPIC, Tenant.Deleted.TOPIC})

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        for rec in page:
            event = rec.event
            if isinstance(event, ConsoleKey.Issued):
                self.view.put(
                    tx,
                    ConsoleKeyRow(
                        event.key_id,
                        event.tenant_id,
                        event.label,
                        list(event.scopes),
                        event.salt,
                        event.digest,
                        event.expires_at,
                        event.timestamp,
                        False,
                    ),
                )
            elif isinstance(event, ConsoleKey.Revoked):
                self.view.revoke(tx, event.key_id)
            elif isinstance(event, Tenant.Deleted) and event.meta.tenant_id:
                # a deleted tenant's console keys die with it (the command names the tenant)
                self.view.revoke_tenant(tx, event.meta.tenant_id)
