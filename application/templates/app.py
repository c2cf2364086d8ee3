"""The content Application (log ``content``): templates, versions, the console settings."""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec
from eventsourcing.application import AggregateNotFoundError

from application.base import SYSTEM, CommandMeta, LedgerApplication
from application.ports import Clock, SecretBox
from application.templates.ports import Compiler, Renderer
from domain.errors import NotFound
from domain.reputation.postmaster_settings import seal_secrets
from domain.templates.ids import console_settings_uuid, template_uuid
from domain.templates.settings import DEFAULTS, ConsoleSettings, SettingsDoc, merge
from domain.templates.template import Template, blank_draft

SECRET = "***"


class ContentApplication(LedgerApplication):
    name: ClassVar[str] = "content"

    def __init__(
        self,
        env: dict[str, Any],
        compiler: Compiler,
        renderer: Renderer,
        secret_box: SecretBox,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(env, clock)
        self.compiler, self.renderer, self.secret_box = compiler, renderer, secret_box

    # --- settings -------------------------------------------------------------------------
    def settings_aggregate(self, tenant_id: str) -> ConsoleSettings | None:
        try:
            return self.repository.get(console_settings_uuid(tenant_id))  # type: ignore[no-any-return]
        except AggregateNotFoundError:
            return None

    def settings(self, tenant_id: str) -> SettingsDoc:
        found = self.settings_aggregate(tenant_id)
        return found.doc() if found is not None else DEFAULTS

    def mail_tester_key(self, tenant_id: str) -> str | None:
        sealed = self.settings(tenant_id).mail_tester.api_key
        return self.secret_box.decrypt(sealed) if sealed else None

    def change_settings(
        self, tenant_id: str, change: dict[str, Any], meta: CommandMeta = SYSTEM
    ) -> tuple[SettingsDoc, list[str], int]:
        """Deep-merge ``change`` (camelCase JSON); ``"***"`` keeps the stored secret."""
        existing = self.settings_aggregate(tenant_id)
        current = existing.document if existing is not None else msgspec.to_builtins(DEFAULTS)
        key = (
            (change.get("mailTester") or {}).get("apiKey")
            if isinstance(change.get("mailTester"), dict)
            else None
        )
        if key == SECRET:
            change = merge(change, {"mailTester": {"apiKey": current.get("mailTester", {}).get("apiKey")}})
        elif key:
            change = merge(change, {"mailTester": {"apiKey": self.secret_box.encrypt(key)}})
        change = seal_secrets(change, current, self.secret_box.encrypt)  # the feeds' secrets (§14)
        merged = merge(current, change)
        doc = msgspec.convert(merged, SettingsDoc)  # raises ValidationError for the API to map
        document = msgspec.to_builtins(doc)
        with self.under(meta, tenant_id):
            aggregate = ConsoleSettings.change(tenant_id, existing, document)
            if aggregate is None:
                return doc, [], 0
            changed = list(aggregate.pending_events[-1].changed)  # type: ignore[attr-defined]
            return doc, changed, self.record(aggregate)

    # --- templates ------------------------------------------------------------------------
    def find_template(self, tenant_id: str, slug: str) -> Template | None:
        try:
            return self.repository.get(template_uuid(tenant_id, slug))  # type: ignore[no-any-return]
        except AggregateNotFoundError:
            return None

    def template(self, tenant_id: str, slug: str) -> Template:
        """The live template, or 404 (deleted ones too)."""
        found = self.find_template(tenant_id, slug)
        if found is None or found.deleted:
            raise NotFound(f"template {slug} not found")
        return found

    def create_template(
        self,
        tenant_id: str,
        slug: str,
        fields: dict[str, Any],
        subject: str,
        preheader: str,
        fmt: str,
        meta: CommandMeta = SYSTEM,
    ) -> int:
        existing = self.find_template(tenant_id, slug)
        with self.under(meta, tenant_id):
            template = Template.create(
                tenant_id, slug, fields, blank_draft(subject, preheader, fmt), existing
            )
            return self.record(template)

    def save_draft(
        self,
        tenant_id: str,
        slug: str,
        draft: dict[str, Any],
        fields: dict[str, Any],
        if_match: int | None,
        meta: CommandMeta = SYSTEM,
    ) -> tuple[bool, int, int]:
        """(changed, revision, position)."""
        template = self.template(tenant_id, slug)
        with self.under(meta, tenant_id):
            changed = template.save_draft(draft, fields, if_match)
            position = self.record(template) if changed else 0
        return changed, template.current_draft()["revision"], position

    def delete_template(self, tenant_id: str, slug: str, meta: CommandMeta = SYSTEM) -> int:
        template = self.template(tenant_id, slug)
        with self.under(meta, tenant_id):
            template.delete()
            return self.record(template)
