"""The content linter (console.md §5.3): every rule a named function of one ``LintInput``.

The application compiles the source, checks the Jinja syntax and lists the variable
references first (those need libraries); everything here is pure. Each rule returns its
items; ``lint`` runs them all and sorts the items by severity.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import msgspec

from domain.templates.htmlscan import Scan, scan
from domain.templates.sender import FREEMAIL, domain_of, registrable, sender_problem
from domain.templates.settings import SettingsDoc


class LintItem(msgspec.Struct, frozen=True, omit_defaults=True):
    rule: str
    severity: str  # error | warning | info
    message: str
    hint: str | None = None


class LintInput(msgspec.Struct, frozen=True, kw_only=True):
    subject: str
    preheader: str
    source: str  # the MJML or raw HTML as written
    format: str  # mjml | html
    html: str  # compiled, untracked (what the link rules read)
    tracked_html: str  # compiled with tracking for a placeholder send id (what Gmail measures)
    text: str  # the plain text part (the draft's own, else generated)
    kind: str
    from_email: str | None
    settings: SettingsDoc
    compile_error: str | None = None
    syntax_errors: dict[str, str] = {}  # part -> Jinja parse error
    references: list[str] = []  # roots and vars.x paths the template uses
    schema_properties: list[str] | None = None
    alignment_domains: list[str] | None = None  # the account's DKIM and return-path domains


class LintResult(msgspec.Struct, frozen=True, rename="camel"):
    errors: list[LintItem]
    warnings: list[LintItem]
    infos: list[LintItem]
    compile_failed: bool

    def as_dict(self) -> dict[str, object]:
        return msgspec.to_builtins(self)  # type: ignore[no-any-return]


def error(rule: str, message: str, hint: str | None = None) -> LintItem:
    return LintItem(rule, "error", message, hint)


def warning(rule: str, message: str, hint: str | None = None) -> LintItem:
    return LintItem(rule, "warning", message, hint)


UNSUBSCRIBE_TAG = re.compile(r"\{\{-?\s*unsubscribeUrl\s*(\|[^}]*)?-?\}\}")
SPAM_PHRASES = ("act now", "100% guaranteed")
ROOTS = frozenset({"contact", "vars", "event", "unsubscribeUrl", "senderAddress", "template", "now"})


def compile_failed(i: LintInput, s: Scan) -> list[LintItem]:
    if i.compile_error is None:
        return []
    return [
        error(
            "compile_failed",
            f"the template does not compile: {i.compile_error}",
            "fix the MJML markup (every tag closed, known components)",
        )
    ]


def template_syntax_error(i: LintInput, s: Scan) -> list[LintItem]:
    return [
        error("template_syntax_error", f"{part}: {problem}", "check the {{ }} and {% %} tags")
        for part, problem in i.syntax_errors.items()
    ]


def empty_subject(i: LintInput, s: Scan) -> list[LintItem]:
    return [] if i.subject.strip() else [error("empty_subject", "the subject is empty")]


def missing_plain_text(i: LintInput, s: Scan) -> list[LintItem]:
    if i.text.strip():
        return []
    return [
        error("missing_plain_text", "the plain-text part is empty", "add text to the body or a text part")
    ]


def image_only_body(i: LintInput, s: Scan) -> list[LintItem]:
    if s.images and len(i.text.strip()) < 20:
        return [
            error(
                "image_only_body",
                "the message is images with almost no text",
                "spam filters distrust image-only mail: add real text",
            )
        ]
    return []


def missing_unsubscribe_tag(i: LintInput, s: Scan) -> list[LintItem]:
    if i.kind != "marketing" or UNSUBSCRIBE_TAG.search(i.source) or UNSUBSCRIBE_TAG.search(i.text):
        return []
    return [
        error(
            "missing_unsubscribe_tag",
            "marketing mail needs an unsubscribe link",
            'add <a href="{{ unsubscribeUrl }}">unsubscribe</a>',
        )
    ]


def sender_domain_invalid(i: LintInput, s: Scan) -> list[LintItem]:
    code = sender_problem(i.from_email, i.kind, i.settings)
    if code is None:
        return []
    return [
        error(
            "sender_domain_invalid",
            f"sender {i.from_email}: {code}",
            "use a From address on a domain registered for this kind of mail",
        )
    ]


def freemail_from(i: LintInput, s: Scan) -> list[LintItem]:
    domain = domain_of(i.from_email)
    if domain is None or domain not in FREEMAIL | {d.lower() for d in i.settings.lint.freemail_domains}:
        return []
    return [
        error(
            "freemail_from",
            f"From is a freemail address ({domain})",
            "their DMARC policy rejects or quarantines mail sent by others: use your own domain",
        )
    ]


def from_domain_alignment(i: LintInput, s: Scan) -> list[LintItem]:
    domain = domain_of(i.from_email)
    if domain is None or not i.alignment_domains:
        return []
    if registrable(domain) in {registrable(d) for d in i.alignment_domains}:
        return []
    return [
        warning(
            "from_domain_alignment",
            f"From domain {domain} aligns with neither DKIM nor return path",
            "Gmail and Yahoo bulk rules need DMARC alignment: sign with the From domain",
        )
    ]


def missing_sender_address(i: LintInput, s: Scan) -> list[LintItem]:
    address = i.settings.sender_address
    if i.kind != "marketing" or not address:
        return []
    if re.search(r"\{\{-?\s*senderAddress\b", i.source) or address in i.source or address in i.text:
        return []
    return [
        warning(
            "missing_sender_address",
            "marketing mail should show the postal sender address",
            "add {{ senderAddress }} to the footer",
        )
    ]


def spam_phrases(i: LintInput, s: Scan) -> list[LintItem]:
    haystack = f"{i.subject}\n{i.text}"
    found = ["FREE"] if re.search(r"\bFREE\b", haystack) else []
    lowered = haystack.lower()
    found += [p for p in (*SPAM_PHRASES, *i.settings.lint.spam_phrases) if p.lower() in lowered]
    found += ["!!!"] if "!!!" in haystack else []
    if not found:
        return []
    return [warning("spam_phrases", f"spam-like phrases: {', '.join(found)}", "rephrase them")]


def all_caps_subject(i: LintInput, s: Scan) -> list[LintItem]:
    letters = [c for c in i.subject if c.isascii() and c.isalpha()]
    if len(letters) >= 5 and sum(c.isupper() for c in letters) / len(letters) > 0.5:
        return [warning("all_caps_subject", "the subject is mostly capitals", "write it in sentence case")]
    return []


def subject_too_long(i: LintInput, s: Scan) -> list[LintItem]:
    if len(i.subject) > 60:
        return [
            warning(
                "subject_too_long",
                f"the subject has {len(i.subject)} characters (over 60)",
                "mobile clients cut it off",
            )
        ]
    return []


def empty_preheader(i: LintInput, s: Scan) -> list[LintItem]:
    if i.preheader.strip():
        return []
    return [
        LintItem(
            "empty_preheader",
            "info",
            "the preheader is empty",
            "clients then show the first body text as the preview",
        )
    ]


def unknown_variable(i: LintInput, s: Scan) -> list[LintItem]:
    items = []
    known = set(i.schema_properties or [])
    for ref in i.references:
        root, _, rest = ref.partition(".")
        if root not in ROOTS:
            items.append(
                warning(
                    "unknown_variable",
                    f"{{{{ {ref} }}}} is not a known variable",
                    f"roots are {', '.join(sorted(ROOTS))}",
                )
            )
        elif root == "vars" and rest and rest.split(".")[0] not in known:
            items.append(
                warning(
                    "unknown_variable",
                    f"{{{{ {ref} }}}} is not in the variables schema",
                    "declare it in variablesSchema.properties",
                )
            )
    return items


Rule = Callable[[LintInput, Scan], list[LintItem]]


def _rules() -> list[Rule]:
    from domain.templates.lint_html import HTML_RULES
    from domain.templates.lint_links import LINK_RULES

    return [
        compile_failed,
        template_syntax_error,
        empty_subject,
        missing_plain_text,
        image_only_body,
        missing_unsubscribe_tag,
        sender_domain_invalid,
        freemail_from,
        from_domain_alignment,
        missing_sender_address,
        spam_phrases,
        all_caps_subject,
        subject_too_long,
        *LINK_RULES,
        *HTML_RULES,
        unknown_variable,
        empty_preheader,
    ]


def lint(i: LintInput) -> LintResult:
    found = scan(i.html) if i.compile_error is None else scan("")
    items = [item for rule in _rules() for item in rule(i, found)]
    return LintResult(
        errors=[x for x in items if x.severity == "error"],
        warnings=[x for x in items if x.severity == "warning"],
        infos=[x for x in items if x.severity == "info"],
        compile_failed=i.compile_error is not None,
    )
