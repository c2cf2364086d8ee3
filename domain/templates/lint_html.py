"""Rules for raw-HTML drafts (console.md §5.3): MJML output is well-formed by construction."""

from __future__ import annotations

from domain.templates.htmlscan import Scan, balance
from domain.templates.lint import LintInput, LintItem, error, warning


def _raw(i: LintInput) -> bool:
    return i.format == "html"


def html_empty(i: LintInput, s: Scan) -> list[LintItem]:
    if _raw(i) and not i.source.strip():
        return [error("html_empty", "the HTML body is empty")]
    return []


def html_unclosed_comment(i: LintInput, s: Scan) -> list[LintItem]:
    if _raw(i) and i.source.rfind("<!--") > i.source.rfind("-->"):
        return [
            error(
                "html_unclosed_comment",
                "an HTML comment <!-- is never closed",
                "close it with -->; everything after it is hidden",
            )
        ]
    return []


def html_unbalanced_tags(i: LintInput, s: Scan) -> list[LintItem]:
    if not _raw(i) or not i.source.strip():
        return []
    problems, _ = balance(i.source)
    if problems:
        return [error("html_unbalanced_tags", "; ".join(problems[:5]), "close every element you open")]
    return []


def html_script_tag(i: LintInput, s: Scan) -> list[LintItem]:
    if _raw(i) and "script" in balance(i.source)[1]:
        return [warning("html_script_tag", "the HTML has a <script>", "mail clients strip scripts")]
    return []


def html_missing_body(i: LintInput, s: Scan) -> list[LintItem]:
    if _raw(i) and i.source.strip() and "body" not in balance(i.source)[1]:
        return [warning("html_missing_body", "the HTML has no <body>", "write a full HTML document")]
    return []


HTML_RULES = [html_empty, html_unclosed_comment, html_unbalanced_tags, html_script_tag, html_missing_body]
