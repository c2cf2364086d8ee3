"""Sandboxed Jinja2 over subject, preheader, HTML (autoescaped) and text (console.md §5.1).

Undefined optional values render empty at any depth (``ChainableUndefined``); required
variables are enforced before rendering by the schema check. Compiled templates are cached
by source, so a version's parts are parsed once per process.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import ChainableUndefined, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from application.templates.ports import Rendered, RenderFailed

CURRENCY = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CHF": "CHF "}


def _moment(value: Any) -> dt.datetime | None:
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    if isinstance(value, str) and value:
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return value if isinstance(value, dt.datetime) else None


def format_date(value: Any, style: str = "long", tz: str | None = None) -> str:
    moment = _moment(value)
    if moment is None:
        return ""
    if tz:
        try:
            moment = moment.astimezone(ZoneInfo(tz))
        except (KeyError, ValueError):
            pass
    if style == "iso":
        return moment.isoformat()
    if style == "short":
        return moment.strftime("%Y-%m-%d")
    return f"{moment.strftime('%B')} {moment.day}, {moment.year}"


def format_number(value: Any, decimals: int = 0) -> str:
    try:
        return f"{float(value):,.{decimals}f}"
    except (TypeError, ValueError):
        return ""


def format_currency(cents: Any, currency: str = "USD") -> str:
    try:
        amount = int(cents) / 100
    except (TypeError, ValueError):
        return ""
    symbol = CURRENCY.get(currency.upper())
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency.upper()}"


def pluralize(n: Any, one: str, many: str) -> str:
    return one if n == 1 else many


def _environment(autoescape: bool) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(undefined=ChainableUndefined, autoescape=autoescape)
    env.filters.update(
        format_date=format_date,
        format_number=format_number,
        format_currency=format_currency,
        pluralize=pluralize,
    )
    return env


_HTML = _environment(True)
_TEXT = _environment(False)


@functools.lru_cache(maxsize=512)
def _compiled(source: str, html: bool) -> Any:
    return (_HTML if html else _TEXT).from_string(source)


def _vars_paths(ast: nodes.Template) -> set[str]:
    return {
        f"vars.{n.attr}"
        for n in ast.find_all(nodes.Getattr)
        if isinstance(n.node, nodes.Name) and n.node.name == "vars"
    } | {
        f"vars.{n.arg.value}"
        for n in ast.find_all(nodes.Getitem)
        if isinstance(n.node, nodes.Name) and n.node.name == "vars" and isinstance(n.arg, nodes.Const)
    }


class JinjaRenderer:
    def syntax_errors(self, parts: dict[str, str]) -> dict[str, str]:
        out = {}
        for name, source in parts.items():
            try:
                _TEXT.parse(source)
            except TemplateSyntaxError as exc:
                out[name] = f"line {exc.lineno}: {exc.message}"
        return out

    def references(self, parts: dict[str, str]) -> list[str]:
        found: set[str] = set()
        for source in parts.values():
            try:
                ast = _TEXT.parse(source)
            except TemplateSyntaxError:
                continue
            found |= meta.find_undeclared_variables(ast) | _vars_paths(ast)
        return sorted(found - set(_TEXT.globals))

    def render(
        self, subject: str, preheader: str, html: str, text: str | None, context: dict[str, Any]
    ) -> Rendered:
        try:
            return Rendered(
                subject=_compiled(subject, False).render(context).strip(),
                preheader=_compiled(preheader, False).render(context),
                html=_compiled(html, True).render(context),
                text=_compiled(text, False).render(context) if text else None,
            )
        except TemplateError as exc:
            raise RenderFailed(str(exc)) from exc
        except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
            raise RenderFailed(f"{type(exc).__name__}: {exc}") from exc
