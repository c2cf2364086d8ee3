"""Every content-lint rule of console.md §5.3: one input that triggers it, one that does not."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from domain.templates.lint import LintInput, lint
from domain.templates.settings import SettingsDoc

pytestmark = pytest.mark.unit

TEXT = "Hello there, this is our weekly letter with enough words in it to read well. " * 4
HTML = (
    "<html><body><p>Hello there, our weekly letter.</p>"
    '<a href="https://news.acme.test/a">Read more</a> <a href="{{ unsubscribeUrl }}">unsubscribe</a>'
    "</body></html>"
)
REGISTRY = SettingsDoc(sender_domains={"news.acme.test": "marketing"})


def base(**changes: Any) -> LintInput:
    fields: dict[str, Any] = dict(
        subject="Our weekly letter",
        preheader="This week",
        source=HTML,
        format="mjml",
        html=HTML,
        tracked_html=HTML,
        text=TEXT,
        kind="marketing",
        from_email="hello@news.acme.test",
        settings=SettingsDoc(),
    )
    fields.update(changes)
    if "html" in changes and "source" not in changes and fields["format"] == "html":
        fields["source"] = changes["html"]
    return LintInput(**fields)


def img(n: int, alt: str | None = "pic") -> str:
    alt_attr = "" if alt is None else f' alt="{alt}"'
    return "".join(f'<img src="https://news.acme.test/{i}.png"{alt_attr}>' for i in range(n))


def links(n: int, host: str = "news.acme.test", scheme: str = "https") -> str:
    return "".join(f'<a href="{scheme}://{host}/{i}">link {i}</a>' for i in range(n))


CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("compile_failed", {"compile_error": "unexpected end of stream"}, {}),
    ("template_syntax_error", {"syntax_errors": {"subject": "line 1: unexpected end"}}, {}),
    ("empty_subject", {"subject": "  "}, {"subject": "Hi"}),
    ("missing_plain_text", {"text": ""}, {}),
    ("image_only_body", {"html": img(1), "text": "a"}, {"html": img(1), "text": TEXT * 2}),
    (
        "url_shortener",
        {"html": '<a href="https://bit.ly/x">x</a>'},
        {"html": '<a href="https://acme.test/x">x</a>'},
    ),
    ("url_shortener", {"html": '<a href="https://www.tinyurl.com/x">x</a>'}, {"html": links(1)}),
    (
        "unsafe_link_scheme",
        {"html": '<a href="javascript:alert(1)">x</a>'},
        {"html": '<a href="mailto:a@b.test">m</a><a href="#top">t</a><a href="{{ vars.url }}">v</a>'},
    ),
    (
        "missing_unsubscribe_tag",
        {"source": "<p>no link</p>", "text": "no link here at all"},
        {"source": '<a href="{{  unsubscribeUrl  }}">u</a>'},
    ),
    (
        "missing_unsubscribe_tag",
        {"source": "<p>x</p>", "text": "x"},
        {"source": "<p>x</p>", "text": "x", "kind": "transactional"},
    ),
    ("sender_domain_invalid", {"settings": REGISTRY, "from_email": "a@other.test"}, {"settings": REGISTRY}),
    ("freemail_from", {"from_email": "x@gmail.com"}, {}),
    (
        "from_domain_alignment",
        {"alignment_domains": ["bounce.other.test"]},
        {"alignment_domains": ["bounces.acme.test"]},
    ),
    (
        "missing_sender_address",
        {"settings": SettingsDoc(sender_address="1 Main St, Springfield")},
        {"settings": SettingsDoc(sender_address="1 Main St, Springfield"), "source": "{{ senderAddress }}"},
    ),
    ("spam_phrases", {"subject": "FREE stuff"}, {"subject": "Free stuff"}),
    ("spam_phrases", {"text": TEXT + " Act now!!!"}, {}),
    (
        "spam_phrases",
        {"settings": msgspec.convert({"lint": {"spamPhrases": ["weekly letter"]}}, SettingsDoc)},
        {},
    ),
    ("all_caps_subject", {"subject": "BIG SALE TODAY ONLY"}, {"subject": "HI"}),
    ("subject_too_long", {"subject": "x" * 61}, {"subject": "x" * 60}),
    (
        "bare_url",
        {"html": "<p>see https://news.acme.test/x</p>"},
        {
            "html": '<style>a{background:url(https://x.test/a.png)}</style><a href="https://news.acme.test/x">'
            "https://news.acme.test/x</a>"
        },
    ),
    ("too_many_links", {"html": links(11)}, {"html": links(10)}),
    (
        "offdomain_links",
        {"html": links(2, "other.test") + links(1)},
        {"html": links(1, "other.test") + links(1)},
    ),
    ("insecure_link", {"html": links(1, scheme="http")}, {"html": links(1)}),
    ("image_missing_alt", {"html": img(1, None)}, {"html": img(1, "")}),
    (
        "image_only_link",
        {"html": f'<a href="https://news.acme.test/">{img(1, "")}</a>'},
        {"html": f'<a href="https://news.acme.test/">{img(1, "Acme")}</a>'},
    ),
    ("image_text_ratio", {"html": img(3), "text": "t" * 100}, {"html": img(1), "text": "t" * 250}),
    ("gmail_clipping", {"tracked_html": "x" * 110_000}, {"tracked_html": "x" * 100_000}),
    (
        "unknown_variable",
        {"references": ["vars.orderNo"]},
        {"references": ["vars.orderId", "contact"], "schema_properties": ["orderId"]},
    ),
    ("unknown_variable", {"references": ["customer"]}, {"references": ["unsubscribeUrl", "now"]}),
    ("html_empty", {"format": "html", "source": " ", "html": ""}, {"format": "html", "html": HTML}),
    (
        "html_unclosed_comment",
        {"format": "html", "html": HTML + "<!-- note"},
        {"format": "html", "html": HTML + "<!-- ok -->"},
    ),
    (
        "html_unbalanced_tags",
        {"format": "html", "html": "<p>hi"},
        {"format": "html", "html": "<html><body><ul><li>a<li>b</ul><p>x<p>y</body></html>"},
    ),
    (
        "html_script_tag",
        {"format": "html", "html": HTML + "<script>x()</script>"},
        {"format": "html", "html": HTML},
    ),
    ("html_missing_body", {"format": "html", "html": "<p>hi</p>"}, {"format": "html", "html": HTML}),
    ("empty_preheader", {"preheader": ""}, {}),
]


def found(i: LintInput) -> dict[str, str]:
    result = lint(i)
    return {item.rule: item.severity for item in result.errors + result.warnings + result.infos}


@pytest.mark.parametrize(
    ("rule", "trigger", "clean"), CASES, ids=[f"{c[0]}-{n}" for n, c in enumerate(CASES)]
)
def test_rule_triggers_and_not(rule: str, trigger: dict[str, Any], clean: dict[str, Any]) -> None:
    assert rule in found(base(**trigger)), found(base(**trigger))
    assert rule not in found(base(**clean)), found(base(**clean))


def test_every_spec_rule_has_a_case() -> None:
    spec = {
        "compile_failed",
        "template_syntax_error",
        "empty_subject",
        "missing_plain_text",
        "image_only_body",
        "url_shortener",
        "unsafe_link_scheme",
        "missing_unsubscribe_tag",
        "sender_domain_invalid",
        "freemail_from",
        "from_domain_alignment",
        "missing_sender_address",
        "spam_phrases",
        "all_caps_subject",
        "subject_too_long",
        "bare_url",
        "too_many_links",
        "offdomain_links",
        "insecure_link",
        "image_missing_alt",
        "image_only_link",
        "image_text_ratio",
        "gmail_clipping",
        "unknown_variable",
        "html_empty",
        "html_unclosed_comment",
        "html_unbalanced_tags",
        "html_script_tag",
        "html_missing_body",
        "empty_preheader",
    }
    assert spec == {c[0] for c in CASES}


def test_severities_and_clean_input() -> None:
    result = lint(base())
    assert result.errors == [] and result.warnings == [] and result.infos == []
    assert found(base(preheader=""))["empty_preheader"] == "info"
    assert found(base(subject="x" * 80))["subject_too_long"] == "warning"
    assert msgspec.to_builtins(lint(base(subject="")))["errors"][0]["rule"] == "empty_subject"
