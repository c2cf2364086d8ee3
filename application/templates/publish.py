"""Publishing behind the gate of console.md §5.4, stopping at the first gate that fails."""

from __future__ import annotations

from typing import Any

import msgspec

from application.base import SYSTEM, CommandMeta
from application.templates.app import ContentApplication
from application.templates.content import Prepared, content_key, content_of, prepare
from domain.templates.rules import (
    AccountNotConfigured,
    EmptyDraft,
    GateRefused,
    NoDraft,
    sender_domain_invalid,
)
from domain.templates.sender import sender_problem
from domain.templates.settings import SettingsDoc
from domain.templates.template import Template, Version


class Published(msgspec.Struct, frozen=True):
    version: int
    warnings: list[dict[str, Any]]
    lint: dict[str, Any]
    position: int


def mail_tester_gate(template: Template, key: str, settings: SettingsDoc, now: float) -> None:
    tester = settings.mail_tester
    if not tester.api_key:
        return
    cached = template.cached_score(key, now)
    if cached is not None and cached["score"] < tester.min_score:
        raise GateRefused(
            "mail_tester_blocked",
            422,
            f"Mail-Tester scored {cached['score']} (below {tester.min_score})",
            code="low_score",
            score=cached,
            hint="improve the content and run a new check, or publish with bypassMailTester",
        )
    if cached is None and tester.require_score:
        raise GateRefused(
            "mail_tester_blocked",
            422,
            "no Mail-Tester score for this content",
            code="no_score",
            score=None,
            hint="run a Mail-Tester check first",
        )


def _checked(
    app: ContentApplication, template: Template, settings: SettingsDoc, public_url: str, accounts: set[str]
) -> Prepared:
    """Gates 1-4: draft, account, registry, compile, lint."""
    if template.draft is None:
        raise NoDraft(f"template {template.slug} has no draft to publish")
    fields = template.fields
    account = fields.get("account_id") or settings.account_for(fields.get("kind") or "marketing")
    if not account or account not in accounts:
        raise AccountNotConfigured(
            f"no sending account for {fields.get('kind')} mail: set accountId or settings.defaultAccounts"
        )
    code = sender_problem(fields.get("from_email"), fields.get("kind") or "marketing", settings)
    if code is not None:
        raise sender_domain_invalid(code, fields.get("from_email"))
    content = content_of(template.draft, fields)
    if not content.source.strip():
        raise EmptyDraft("the draft has no body")
    prepared = prepare(content, app.compiler, app.renderer, settings, public_url)
    if prepared.compile_error is not None:
        raise GateRefused("compile_failed", 422, prepared.compile_error, lint=prepared.lint.as_dict())
    errors = prepared.lint.errors
    if errors:
        raise GateRefused(
            "lint_failed", 422, f"blocked by {len(errors)} content issue(s)", lint=prepared.lint.as_dict()
        )
    return prepared


def publish_template(
    app: ContentApplication,
    tenant_id: str,
    slug: str,
    *,
    bypass: bool,
    public_url: str,
    accounts: set[str],
    meta: CommandMeta = SYSTEM,
) -> Published:
    template = app.template(tenant_id, slug)
    settings = app.settings(tenant_id)
    prepared = _checked(app, template, settings, public_url, accounts)
    content = prepared.content
    key = content_key(prepared.html, content.subject, content.from_email)
    if not bypass:
        mail_tester_gate(template, key, settings, app.clock.now())
    warnings = prepared.compiled.warnings if prepared.compiled is not None else []
    f = template.fields
    with app.under(meta, tenant_id):
        version = Version(
            version=template.version_number + 1,
            subject=content.subject,
            preheader=content.preheader,
            format=content.format,
            html=prepared.html,
            text=content.text or None,
            mjml=content.source if content.format == "mjml" else None,
            content_key=key,
            published_at=app.clock.now(),
            published_by=meta.actor,
            lint=prepared.lint.as_dict(),
            sender={
                k: f.get(k)
                for k in (
                    "kind",
                    "from_name",
                    "from_email",
                    "reply_to",
                    "account_id",
                    "body_format",
                    "track_opens",
                    "track_clicks",
                )
            },
            variables_schema=f.get("variables_schema"),
        )
        template.publish(version, bypass=bypass, warnings=warnings)
        position = app.record(template)
    return Published(version.version, warnings, prepared.lint.as_dict(), position)
