"""Rendering a version (or a draft) for one recipient: variables checked, then Jinja, then text."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from application.templates.ports import Renderer
from domain.errors import InvalidValue
from domain.templates.plaintext import html_to_text
from domain.templates.schema import vars_problem


class Recipient(msgspec.Struct, frozen=True, kw_only=True):
    external_id: str | None = None
    email: str | None = None
    fields: dict[str, Any] = {}
    tags: list[str] = []
    locale: str | None = None
    timezone: str | None = None

    def as_root(self) -> dict[str, Any]:
        return {
            "externalId": self.external_id,
            "email": self.email,
            "fields": self.fields,
            "tags": self.tags,
            "locale": self.locale,
            "timezone": self.timezone,
        }


class Page(msgspec.Struct, frozen=True):
    subject: str
    preheader: str
    html: str
    text: str


class VarsInvalid(InvalidValue):
    """console.md §2.3 #3: the send's vars break the template's variablesSchema."""


def check_vars(values: dict[str, Any] | None, schema: dict[str, Any] | None) -> None:
    problem = vars_problem(values or {}, schema)
    if problem is not None:
        raise VarsInvalid(problem, field="vars")


def context(
    recipient: Recipient,
    values: dict[str, Any] | None,
    *,
    event: dict[str, Any] | None,
    unsubscribe_url: str,
    sender_address: str | None,
    slug: str,
    version: int,
    now: float,
) -> dict[str, Any]:
    return {
        "contact": recipient.as_root(),
        "vars": values or {},
        "event": event or {},
        "unsubscribeUrl": unsubscribe_url,
        "senderAddress": sender_address or "",
        "template": {"slug": slug, "version": version},
        "now": dt.datetime.fromtimestamp(now, dt.UTC).isoformat(),
    }


def render_page(
    renderer: Renderer, subject: str, preheader: str, html: str, text: str | None, ctx: dict[str, Any]
) -> Page:
    """Raises RenderFailed. The text part is the template's own, else made from the HTML."""
    out = renderer.render(subject, preheader, html, text, ctx)
    return Page(
        out.subject, out.preheader, out.html, out.text if out.text is not None else html_to_text(out.html)
    )
