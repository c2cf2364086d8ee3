"""The instance view: the shared configuration and the admin token digest."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from domain.instance import Instance
from domain.instance_config import InstanceConfig
from projections.base import Projection, Recorded, View
from projections.sql import SqlTx


class InstanceRow(msgspec.Struct, frozen=True):
    config: InstanceConfig
    admin_salt: str | None
    admin_digest: str | None
    created_ts: float
    updated_ts: float


class InstanceView(View):
    NAME = "instance"
    TABLES = ("instance_config",)

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('instance_config')} (id INTEGER PRIMARY KEY, "
            f"config TEXT NOT NULL, admin_salt TEXT, admin_digest TEXT, created_ts {real} NOT NULL, "
            f"updated_ts {real} NOT NULL)"
        ]

    def get(self) -> InstanceRow | None:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"SELECT config, admin_salt, admin_digest, created_ts, updated_ts "
                              f"FROM {self.t('instance_config')} WHERE id = 1")
        if not rows:
            return None
        config, salt, digest, created, updated = rows[0]
        return InstanceRow(msgspec.json.decode(config, type=InstanceConfig), salt, digest,
                           float(created), float(updated))

    def write(self, tx: SqlTx, changes: dict[str, object], ts: float) -> None:
        if "config" in changes:
            changes["config"] = msgspec.json.encode(changes["config"]).decode()
        changes["updated_ts"] = ts
        sets = ", ".join(f"{k} = ?" for k in changes)
        tx.execute(f"UPDATE {self.t('instance_config')} SET {sets} WHERE id = 1", tuple(changes.values()))

    def create_row(self, tx: SqlTx, ts: float) -> None:
        tx.execute(f"INSERT INTO {self.t('instance_config')} (id, config, created_ts, updated_ts) "
                   "VALUES (1, ?, ?, ?)", (msgspec.json.encode(InstanceConfig()).decode(), ts, ts))


class InstanceProjection(Projection[InstanceView]):
    VIEW = InstanceView
    FOLLOWS = ("tenancy",)
    TOPICS = frozenset({Instance.Initialised.TOPIC, Instance.AdminTokenGenerated.TOPIC,
                        Instance.Configured.TOPIC})

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        for rec in page:
            event = rec.event
            if isinstance(event, Instance.Initialised):
                self.view.create_row(tx, event.timestamp)
            elif isinstance(event, Instance.AdminTokenGenerated):
                self.view.write(tx, {"admin_salt": event.salt, "admin_digest": event.digest}, event.timestamp)
            elif isinstance(event, Instance.Configured):
                self.view.write(tx, {"config": event.config}, event.timestamp)
