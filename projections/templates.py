"""The ``templates`` view: each template as GET /templates shows it, and its versions.

The document is folded from the Template events (draft and template fields camelCased at
the API); versions are copied whole from ``Template.Published``, so they never change.
Lists are newest-updated first, key-set on (updated_ts, slug).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from domain.templates.template import Template
from projections.base import Projection, Recorded, View
from projections.sql import SqlTx


class TemplateRow(msgspec.Struct, frozen=True):
    tenant_id: str
    slug: str
    doc: dict[str, Any]  # fields, draft, version, published_at, published_by, deleted
    created_ts: float
    updated_ts: float


class VersionRow(msgspec.Struct, frozen=True):
    version: int
    doc: dict[str, Any]  # the Version struct as stored


def _decode(raw: Sequence[Any]) -> TemplateRow:
    return TemplateRow(raw[0], raw[1], msgspec.json.decode(raw[2]), float(raw[3]), float(raw[4]))


class TemplatesView(View):
    NAME = "templates"
    TABLES = ("templates", "template_versions")

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('templates')} (tenant_id TEXT NOT NULL, slug TEXT NOT NULL, "
            f"template_id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL, created_ts {real} NOT NULL, "
            f"updated_ts {real} NOT NULL, "
            "deleted INTEGER NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (tenant_id, slug))",
            f"CREATE TABLE IF NOT EXISTS {self.t('template_versions')} (tenant_id TEXT NOT NULL, "
            "slug TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL, "
            "PRIMARY KEY (tenant_id, slug, version))",
        ]

    def index_ddl(self) -> list[str]:
        return [
            f"CREATE INDEX IF NOT EXISTS {self.t('templates_updated')} ON {self.t('templates')} "
            "(tenant_id, updated_ts, slug)"
        ]

    def _select(self) -> str:
        return f"SELECT tenant_id, slug, doc, created_ts, updated_ts FROM {self.t('templates')}"

    def get(self, tenant_id: str, slug: str) -> TemplateRow | None:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"{self._select()} WHERE tenant_id = ? AND slug = ? AND deleted = 0", (tenant_id, slug)
            )
        return _decode(rows[0]) if rows else None

    def list(
        self, tenant_id: str, *, kind: str | None, before: tuple[float, str] | None, limit: int
    ) -> list[TemplateRow]:
        clauses, params = ["tenant_id = ?", "deleted = 0"], [tenant_id]
        if kind is not None:
            clauses.append("kind = ?")
            params.append(kind)
        if before is not None:
            clauses.append("(updated_ts < ? OR (updated_ts = ? AND slug < ?))")
            params += [before[0], before[0], before[1]]
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"{self._select()} WHERE {' AND '.join(clauses)} ORDER BY updated_ts DESC, slug DESC LIMIT ?",
                [*params, limit],
            )
        return [_decode(r) for r in rows]

    def count(self, tenant_id: str) -> int:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT COUNT(*) FROM {self.t('templates')} WHERE tenant_id = ? AND deleted = 0",
                (tenant_id,),
            )
        return int(rows[0][0])

    def versions(self, tenant_id: str, slug: str) -> list[VersionRow]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT version, doc FROM {self.t('template_versions')} WHERE tenant_id = ? "
                "AND slug = ? ORDER BY version DESC",
                (tenant_id, slug),
            )
        return [VersionRow(int(v), msgspec.json.decode(d)) for v, d in rows]

    def version(self, tenant_id: str, slug: str, number: int) -> VersionRow | None:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT version, doc FROM {self.t('template_versions')} WHERE tenant_id = ? "
                "AND slug = ? AND version = ?",
                (tenant_id, slug, number),
            )
        return VersionRow(int(rows[0][0]), msgspec.json.decode(rows[0][1])) if rows else None

    # --- writes ---------------------------------------------------------------------------
    def load(self, tx: SqlTx, template_id: str) -> tuple[str, str, dict[str, Any]] | None:
        rows = tx.execute(
            f"SELECT tenant_id, slug, doc FROM {self.t('templates')} WHERE template_id = ?", (template_id,)
        )
        return (rows[0][0], rows[0][1], msgspec.json.decode(rows[0][2])) if rows else None

    def put(
        self, tx: SqlTx, template_id: str, tenant_id: str, slug: str, doc: dict[str, Any], ts: float
    ) -> None:
        tx.execute(
            f"INSERT INTO {self.t('templates')} (tenant_id, slug, template_id, doc, created_ts, updated_ts, "
            "deleted, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, slug) DO UPDATE SET "
            "doc = excluded.doc, updated_ts = excluded.updated_ts, deleted = excluded.deleted, "
            "kind = excluded.kind",
            (
                tenant_id,
                slug,
                template_id,
                msgspec.json.encode(doc).decode(),
                ts,
                ts,
                int(doc.get("deleted", False)),
                doc["fields"].get("kind") or "marketing",
            ),
        )

    def put_version(self, tx: SqlTx, tenant_id: str, slug: str, version: Any) -> None:
        tx.execute(
            f"INSERT INTO {self.t('template_versions')} (tenant_id, slug, version, doc) VALUES "
            "(?, ?, ?, ?) ON CONFLICT (tenant_id, slug, version) DO NOTHING",
            (tenant_id, slug, version.version, msgspec.json.encode(version).decode()),
        )


class TemplatesProjection(Projection[TemplatesView]):
    VIEW = TemplatesView
    FOLLOWS = ("content",)
    TOPICS = frozenset(
        c.TOPIC for c in (Template.Created, Template.DraftSaved, Template.Published, Template.Deleted)
    )

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        for rec in page:
            e: Any = rec.event
            ident = str(e.originator_id)
            if isinstance(e, Template.Created):
                doc = {
                    "fields": dict(e.fields),
                    "draft": dict(e.draft),
                    "version": 0,
                    "publishedAt": None,
                    "publishedBy": None,
                    "deleted": False,
                    "lastRevision": 0,
                }
                self.view.put(tx, ident, e.tenant_id, e.slug, doc, e.timestamp)
                continue
            found = self.view.load(tx, ident)
            if found is None:
                continue
            tenant_id, slug, doc = found
            self._apply(tx, doc, e, tenant_id, slug)
            self.view.put(tx, ident, tenant_id, slug, doc, e.timestamp)

    def _apply(self, tx: SqlTx, doc: dict[str, Any], e: Any, tenant_id: str, slug: str) -> None:
        if isinstance(e, Template.DraftSaved):
            if doc["draft"] is None:
                doc["draft"] = self._seed(tx, tenant_id, slug, doc)
            doc["draft"].update(e.draft)
            doc["draft"]["revision"] = e.revision
            doc["fields"].update(e.fields)
        elif isinstance(e, Template.Published):
            doc["lastRevision"] = (doc["draft"] or {}).get("revision", 0)
            doc.update(
                draft=None,
                version=e.version.version,
                publishedAt=e.version.published_at,
                publishedBy=e.version.published_by,
            )
            self.view.put_version(tx, tenant_id, slug, e.version)
        elif isinstance(e, Template.Deleted):
            doc["deleted"] = True

    def _seed(self, tx: SqlTx, tenant_id: str, slug: str, doc: dict[str, Any]) -> dict[str, Any]:
        rows = tx.execute(
            f"SELECT doc FROM {self.view.t('template_versions')} WHERE tenant_id = ? AND slug = ? "
            "AND version = ?",
            (tenant_id, slug, doc["version"]),
        )
        v = msgspec.json.decode(rows[0][0]) if rows else {}
        fmt = v.get("format", "mjml")
        return {
            "subject": v.get("subject", ""),
            "preheader": v.get("preheader", ""),
            "format": fmt,
            "mjml": v.get("mjml") or "",
            "html": v.get("html", "") if fmt == "html" else "",
            "text": v.get("text"),
            "notes": "",
            "revision": doc.get("lastRevision", 0),
        }
