"""Bulk import: up to 10,000 contacts validated row by row and saved in one transaction.

Keys for every row are fetched (or made) in one query, existing contacts are found with
one indexed query on the events table and only those are loaded; new ids are created
without reading the store, as ``queue_messages`` does for messages.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

import msgspec

from application.base import SYSTEM, CommandMeta
from application.console.contacts import ContactCommands
from domain.console.contact import Contact
from domain.console.contact_event import ContactImport
from domain.console.ids import contact_import_uuid, contact_uuid
from domain.console.personal import EXTERNAL_ID, problem
from domain.errors import RuleViolation

MAX_IMPORT = 10_000


class ImportRow(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One row's shape (a PUT body plus its externalId); rules are checked after."""

    externalId: str
    email: str
    tags: list[str] | msgspec.UnsetType = msgspec.UNSET
    fields: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    timezone: str | msgspec.UnsetType | None = msgspec.UNSET
    locale: str | msgspec.UnsetType | None = msgspec.UNSET


class ExistingAggregates(Protocol):
    def existing(self, ids: Sequence[UUID]) -> set[UUID]: ...


class ImportFailure(msgspec.Struct, frozen=True, omit_defaults=True):
    index: int
    error: str
    message: str
    externalId: str | None = None


class ImportResult(msgspec.Struct, frozen=True):
    import_id: str
    received: int
    created: int
    updated: int
    unchanged: int
    subscribed: int
    failed: list[ImportFailure]
    position: int


class ImportCommands(ContactCommands):
    existing: ExistingAggregates

    def import_contacts(
        self,
        tenant_id: str,
        rows: list[dict[str, Any]],
        subscribe: dict[str, Any] | None,
        add_tags: list[str],
        meta: CommandMeta = SYSTEM,
    ) -> ImportResult:
        import_id = uuid.uuid4().hex
        failed: list[ImportFailure] = []
        valid: dict[str, tuple[int, dict[str, Any]]] = {}
        for index, row in enumerate(rows):
            bad = self._row_problem(row)
            if bad is not None:
                ext = row.get("externalId") if isinstance(row, dict) else None
                failed.append(
                    ImportFailure(index, "validation_failed", bad, ext if isinstance(ext, str) else None)
                )
                continue
            valid[row["externalId"]] = (index, row)  # a repeated externalId: the last row wins
        ids = {ext: contact_uuid(tenant_id, ext) for ext in valid}
        known = self.existing.existing(list(ids.values()))
        loaded = {ext: self.find_contact(tenant_id, ext) for ext in valid if ids[ext] in known}
        # a forgotten contact must not get a new key: its rows fail below without one
        fresh = [ids[ext] for ext in valid if not (loaded.get(ext) and loaded[ext].forgotten)]  # type: ignore[union-attr]
        keys = self.vault.keys(tenant_id, fresh, create=True)
        counts = {"created": 0, "updated": 0, "unchanged": 0, "subscribed": 0}
        touched: list[Contact] = []
        with self.under(meta, tenant_id):
            for ext, (index, row) in valid.items():
                contact = loaded.get(ext)
                changes = {k: v for k, v in row.items() if k != "externalId"}
                key = keys.get(ids[ext], b"")
                try:
                    if add_tags:
                        changes["tags"] = self._with_tags(contact, key, changes, add_tags)
                    contact, created, changed = self._apply_upsert(
                        tenant_id, ext, contact, changes, key, import_id
                    )
                    if subscribe is not None and contact.subscription is None:
                        counts["subscribed"] += contact.subscribe(
                            subscribe["source"],
                            subscribe.get("consentTimestamp") or self.clock.now(),
                            import_id=import_id,
                        )
                except RuleViolation as exc:
                    failed.append(ImportFailure(index, exc.code, exc.message, ext))
                    continue
                counts["created" if created else "updated" if changed else "unchanged"] += 1
                touched.append(contact)
            summary = ContactImport._create(
                ContactImport.Completed,
                id=contact_import_uuid(tenant_id, import_id),
                tenant_id=tenant_id,
                import_id=import_id,
                received=len(rows),
                failed=len(failed),
                **counts,
            )
            position = self.record(*touched, summary)
        return ImportResult(
            import_id, len(rows), failed=sorted(failed, key=lambda f: f.index), position=position, **counts
        )

    @staticmethod
    def _row_problem(row: Any) -> str | None:
        try:
            msgspec.convert(row, ImportRow)
        except msgspec.ValidationError as exc:
            return str(exc)
        ext = row["externalId"]
        if not EXTERNAL_ID.match(ext):
            return "$.externalId: 1-256 characters without control characters"
        found = problem(row)
        return None if found is None else f"{found[0]}: {found[1]}"

    def _with_tags(
        self, contact: Contact | None, key: bytes, changes: dict[str, Any], add: list[str]
    ) -> list[str]:
        base = changes.get("tags")
        if base is None:
            current = self.personal_of(contact, key) if contact is not None else None
            base = current.tags if current else []
        return list(dict.fromkeys([*base, *add]))
