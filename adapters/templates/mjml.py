"""MJML 4 -> HTML in-process with MRML (Rust, through the ``mrml`` bindings; ADR 0016).

MRML's own warnings are few, so a soft validation pass adds line-numbered warnings for tags
that are not MJML components; nothing here ever raises anything but ``CompileFailed``.
"""

from __future__ import annotations

import re
from typing import Any

import mrml

from application.templates.ports import Compiled, CompileFailed

COMPONENTS = frozenset(
    [
        "mjml",
        "mj-head",
        "mj-body",
        "mj-section",
        "mj-column",
        "mj-group",
        "mj-wrapper",
        "mj-text",
        "mj-image",
        "mj-button",
        "mj-divider",
        "mj-spacer",
        "mj-table",
        "mj-social",
        "mj-social-element",
        "mj-navbar",
        "mj-navbar-link",
        "mj-hero",
        "mj-raw",
        "mj-attributes",
        "mj-all",
        "mj-class",
        "mj-style",
        "mj-font",
        "mj-preview",
        "mj-title",
        "mj-breakpoint",
        "mj-include",
        "mj-accordion",
        "mj-accordion-element",
        "mj-accordion-title",
        "mj-accordion-text",
        "mj-carousel",
        "mj-carousel-image",
    ]
)
_TAG = re.compile(r"<(mj[a-z0-9-]*)\b")
_OPTIONS = mrml.RenderOptions(disable_comments=True)
_PARSER = mrml.ParserOptions(include_loader=mrml.noop_loader())  # no file or network includes


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, max(0, offset)) + 1


def _warning(line: int, message: str, tag: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"line": line, "message": message, "formattedMessage": f"Line {line}: {message}"}
    if tag:
        out["tagName"] = tag
    return out


def soft_warnings(source: str) -> list[dict[str, Any]]:
    return [
        _warning(line_of(source, m.start()), f"<{m.group(1)}> is not an MJML component", m.group(1))
        for m in _TAG.finditer(source)
        if m.group(1) not in COMPONENTS
    ]


class MrmlCompiler:
    def compile(self, mjml: str) -> Compiled:
        if not mjml.strip():
            raise CompileFailed("the MJML source is empty")
        try:
            output = mrml.to_html(mjml, parser_options=_PARSER, render_options=_OPTIONS)
        except Exception as exc:  # MRML raises OSError/ValueError; any failure is the author's
            raise CompileFailed(str(exc) or type(exc).__name__) from exc
        warnings = [_warning(line_of(mjml, w.start), w.kind, w.origin) for w in output.warnings]
        return Compiled(html=output.content, warnings=warnings + soft_warnings(mjml))
