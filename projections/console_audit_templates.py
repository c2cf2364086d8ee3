"""Audit entries of the content log (console.md §1.5): templates and console settings."""

from __future__ import annotations

from typing import Any

from domain.templates.settings import ConsoleSettings
from domain.templates.template import Template

MAX_TEXT = 200


def _short(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, str) and len(value) > MAX_TEXT:
            value = value[:MAX_TEXT]
        elif isinstance(value, list) and len(value) > 20:
            value = {"count": len(value)}
        out[key] = value
    return out


def _masked(values: dict[str, Any]) -> dict[str, Any]:
    tester = values.get("mailTester")
    if isinstance(tester, dict) and tester.get("apiKey"):
        values = {**values, "mailTester": {**tester, "apiKey": "***"}}
    return values


def template_entry(e: Any) -> dict[str, Any] | None:
    """(action, resource_id, slug, before, after) as a dict, or None for other events."""
    ident = str(e.originator_id)
    if isinstance(e, Template.Created):
        return dict(
            action="template.create",
            resource_type="template",
            resource_id=ident,
            resource_slug=e.slug,
            after=_short({"kind": e.fields.get("kind"), "name": e.fields.get("name")}),
        )
    if isinstance(e, Template.DraftSaved):
        return dict(
            action="template.update",
            resource_type="template",
            resource_id=ident,
            resource_slug=e.slug,
            after=_short({**e.fields, **e.draft, "revision": e.revision}),
        )
    if isinstance(e, Template.Published):
        return dict(
            action="template.publish",
            resource_type="template",
            resource_id=ident,
            resource_slug=e.slug,
            after={
                "version": e.version.version,
                "bypassMailTester": e.bypass_mail_tester,
                "contentKey": e.version.content_key,
            },
        )
    if isinstance(e, Template.Deleted):
        return dict(
            action="template.delete",
            resource_type="template",
            resource_id=ident,
            resource_slug=e.slug,
            after={"deleted": True},
        )
    if isinstance(e, ConsoleSettings.Changed):
        return dict(
            action="settings.update",
            resource_type="settings",
            resource_id=ident,
            before=_short(_masked(e.before)),
            after=_short(_masked({k: e.settings.get(k) for k in e.changed})),
        )
    return None


TEMPLATE_TOPICS = frozenset(
    c.TOPIC
    for c in (
        Template.Created,
        Template.DraftSaved,
        Template.Published,
        Template.Deleted,
        ConsoleSettings.Changed,
    )
)
