"""The ``postmaster`` view: Google Postmaster Tools and SNDS snapshots (console.md §14).

One row per snapshot (the aggregate id), overwritten by each ``Recorded``: a domain's or an
IP's history is its newest rows by date (activity start), of which the API shows 30.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from domain.reputation.postmaster import PostmasterSnapshot
from domain.reputation.snds import SndsSnapshot
from projections.base import Projection, Recorded, View
from projections.sending import bulk
from projections.sql import SqlTx

GOOGLE = {"id": "text", "tenant_id": "text", "domain": "text", "date": "text", "doc": "text",
          "fetched_at": "real"}
MICROSOFT = {"id": "text", "tenant_id": "text", "ip": "text", "activity_start": "real", "doc": "text",
             "fetched_at": "real"}
HISTORY = 30


class PostmasterView(View):
    NAME = "postmaster"
    TABLES = ("postmaster_snapshots", "snds_snapshots")

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        types = {"text": "TEXT", "real": real}

        def cols(kinds: dict[str, str]) -> str:
            return ", ".join(f"{c} {types[k]}" for c, k in kinds.items())

        return [f"CREATE TABLE IF NOT EXISTS {self.t('postmaster_snapshots')} "
                f"({cols(GOOGLE)}, PRIMARY KEY (id))",
                f"CREATE TABLE IF NOT EXISTS {self.t('snds_snapshots')} "
                f"({cols(MICROSOFT)}, PRIMARY KEY (id))"]

    def index_ddl(self) -> list[str]:
        return [f"CREATE INDEX IF NOT EXISTS {self.t('postmaster_snapshots_domain')} ON "
                f"{self.t('postmaster_snapshots')} (tenant_id, domain, date)",
                f"CREATE INDEX IF NOT EXISTS {self.t('snds_snapshots_ip')} ON "
                f"{self.t('snds_snapshots')} (tenant_id, ip, activity_start)"]

    def _history(self, table: str, key: str, order: str, tenant_id: str) -> dict[str, list[dict[str, Any]]]:
        """target -> its newest ``HISTORY`` snapshots, newest first."""
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"SELECT {key}, doc FROM {self.t(table)} WHERE tenant_id = ? "
                              f"ORDER BY {key}, {order} DESC", (tenant_id,))
        out: dict[str, list[dict[str, Any]]] = {}
        for target, doc in rows:
            kept = out.setdefault(str(target), [])
            if len(kept) < HISTORY:
                kept.append(msgspec.json.decode(doc))
        return out

    def domains(self, tenant_id: str) -> dict[str, list[dict[str, Any]]]:
        return self._history("postmaster_snapshots", "domain", "date", tenant_id)

    def ips(self, tenant_id: str) -> dict[str, list[dict[str, Any]]]:
        return self._history("snds_snapshots", "ip", "activity_start", tenant_id)

    def put(self, tx: SqlTx, google: Sequence[Sequence[Any]], microsoft: Sequence[Sequence[Any]]) -> None:
        bulk.upsert(tx, self.db.dialect, self.t("postmaster_snapshots"), GOOGLE, "id", google)
        bulk.upsert(tx, self.db.dialect, self.t("snds_snapshots"), MICROSOFT, "id", microsoft)


def _doc(values: dict[str, Any], **head: Any) -> str:
    return msgspec.json.encode({**head, **values}).decode()


class PostmasterProjection(Projection[PostmasterView]):
    VIEW = PostmasterView
    FOLLOWS = ("postmaster",)
    TOPICS = frozenset({PostmasterSnapshot.Recorded.TOPIC, SndsSnapshot.Recorded.TOPIC})

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        google: dict[str, list[Any]] = {}
        microsoft: dict[str, list[Any]] = {}
        for rec in page:
            e, ident = rec.event, str(rec.event.originator_id)
            if isinstance(e, PostmasterSnapshot.Recorded):
                doc = _doc(e.values, domain=e.domain, date=e.date, fetchedAt=e.fetched_at)
                google[ident] = [ident, e.tenant_id, e.domain, e.date, doc, e.fetched_at]
            elif isinstance(e, SndsSnapshot.Recorded):
                doc = _doc(e.values, ip=e.ip, activityStart=e.activity_start, fetchedAt=e.fetched_at)
                microsoft[ident] = [ident, e.tenant_id, e.ip, e.activity_start, doc, e.fetched_at]
        self.view.put(tx, list(google.values()), list(microsoft.values()))
