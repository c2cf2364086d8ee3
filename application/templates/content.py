"""A template's content made ready: compiled, its text made, its lint input assembled."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from application.templates.ports import Compiled, CompileFailed, Compiler, Renderer
from domain.templates.lint import LintInput, LintResult, lint
from domain.templates.plaintext import html_to_text
from domain.templates.settings import SettingsDoc
from domain.templates.tracking import placeholder_tracking


class Content(msgspec.Struct, frozen=True, kw_only=True):
    """What the linter and the publish gate look at (console.md §5.3 inputs)."""

    subject: str
    preheader: str
    format: str
    source: str
    text: str | None
    from_email: str | None
    kind: str
    variables_schema: dict[str, Any] | None = None


class Prepared(msgspec.Struct, frozen=True, kw_only=True):
    content: Content
    compiled: Compiled | None
    compile_error: str | None
    lint: LintResult

    @property
    def html(self) -> str:
        return self.compiled.html if self.compiled is not None else ""


def content_of(
    draft: dict[str, Any], fields: dict[str, Any], overrides: dict[str, Any] | None = None
) -> Content:
    """The draft (or version) with any fields the caller overrides (lint's fallback order)."""
    o = overrides or {}
    fmt = "mjml" if "mjml" in o else "html" if "html" in o else draft.get("format") or "mjml"
    source = o.get(fmt, draft.get(fmt) or "")
    return Content(
        subject=o.get("subject", draft.get("subject") or ""),
        preheader=o.get("preheader", draft.get("preheader") or ""),
        format=fmt,
        source=source or "",
        text=o.get("text", draft.get("text")),
        from_email=o.get("from_email", fields.get("from_email")),
        kind=o.get("kind", fields.get("kind") or "marketing"),
        variables_schema=fields.get("variables_schema"),
    )


def compile_content(content: Content, compiler: Compiler) -> Compiled:
    if content.format == "html":
        return Compiled(html=content.source, warnings=[])
    return compiler.compile(content.source)


def content_key(html: str, subject: str, from_email: str | None) -> str:
    """console.md §5.5: SHA-256 of ``<SHA-256 of compiled HTML>|<subject>|<fromEmail>``."""
    inner = hashlib.sha256(html.encode()).hexdigest()
    return hashlib.sha256(f"{inner}|{subject}|{from_email or ''}".encode()).hexdigest()


def prepare(
    content: Content,
    compiler: Compiler,
    renderer: Renderer,
    settings: SettingsDoc,
    public_url: str,
    alignment: list[str] | None = None,
) -> Prepared:
    compiled: Compiled | None = None
    error: str | None = None
    if content.source.strip() or content.format == "mjml":
        try:
            compiled = compile_content(content, compiler)
        except CompileFailed as exc:
            error = str(exc)
    else:
        compiled = Compiled(html="", warnings=[])
    html = compiled.html if compiled is not None else ""
    text = content.text if content.text and content.text.strip() else html_to_text(html)
    parts = {"subject": content.subject, "preheader": content.preheader, "body": content.source}
    if content.text:
        parts["text"] = content.text
    schema = content.variables_schema or {}
    result = lint(
        LintInput(
            subject=content.subject,
            preheader=content.preheader,
            source=content.source,
            format=content.format,
            html=html,
            tracked_html=placeholder_tracking(html, public_url),
            text=text,
            kind=content.kind,
            from_email=content.from_email,
            settings=settings,
            compile_error=error,
            syntax_errors=renderer.syntax_errors(parts),
            references=renderer.references(parts),
            schema_properties=sorted((schema.get("properties") or {}).keys()),
            alignment_domains=alignment,
        )
    )
    return Prepared(content=content, compiled=compiled, compile_error=error, lint=result)
