"""What the content application needs from outside: a compiler, a renderer, Mail-Tester."""

from __future__ import annotations

from typing import Any, Protocol

import msgspec


class CompileFailed(Exception):
    """The MJML did not compile (any compiler exception becomes this, never a 500)."""


class Compiled(msgspec.Struct, frozen=True):
    html: str
    warnings: list[dict[str, Any]]  # {line?, message, tagName?, formattedMessage}


class Compiler(Protocol):
    def compile(self, mjml: str) -> Compiled:
        """MJML 4 -> HTML with soft-validation warnings; raises CompileFailed."""
        ...


class RenderFailed(Exception):
    """Variables could not be rendered into the template (a runtime error in a tag)."""


class Rendered(msgspec.Struct, frozen=True):
    subject: str
    preheader: str
    html: str
    text: str | None  # None: the template has no text part of its own


class Renderer(Protocol):
    def syntax_errors(self, parts: dict[str, str]) -> dict[str, str]:
        """Jinja parse errors by part name (subject, preheader, body, text)."""
        ...

    def references(self, parts: dict[str, str]) -> list[str]:
        """Undeclared roots and ``vars.<name>`` paths used by the parts (sorted)."""
        ...

    def render(
        self, subject: str, preheader: str, html: str, text: str | None, context: dict[str, Any]
    ) -> Rendered:
        """Sandboxed, HTML autoescaped; raises RenderFailed."""
        ...


class MailTesterUnavailable(Exception):
    """Mail-Tester answered with something other than a result or a 404 (pending)."""


class MailTesterCheck(msgspec.Struct, frozen=True):
    check_id: str
    address: str


class MailTesterResult(msgspec.Struct, frozen=True):
    ready: bool
    score: float | None = None
    feedback: list[dict[str, Any]] = []
    summary: str | None = None


class MailTester(Protocol):
    def new_check(self, api_key: str) -> MailTesterCheck: ...

    def result(self, api_key: str, check_id: str) -> MailTesterResult: ...
