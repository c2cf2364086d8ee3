"""The tracking rewrite of console.md §5.1 (domain/templates/tracking.py)."""

from __future__ import annotations

import pytest

from domain.templates.tracking import link_id, rewrite

pytestmark = pytest.mark.unit
SEND = "5e2b8a9e-0000-4000-8000-000000000001"


def click(ident: str, _url: str) -> str:
    return f"https://t.test/c/{ident}"


def test_links_become_click_urls_once_per_distinct_url_and_the_pixel_closes_the_body() -> None:
    html = (
        '<html><body><a href="https://a.test/x?p=1&amp;q=2">x</a><a href="https://a.test/x?p=1&amp;q=2">again</a>'
        '<a href="#top">top</a><a href="mailto:a@b.test">mail</a><a data-lm-notrack href="https://a.test/n">n</a>'
        '<a href="https://u.test/t/u/tok">bye</a></body></html>'
    )
    out, links = rewrite(html, SEND, click, "https://t.test/o.png", "https://u.test/t/u/tok")
    ident = link_id(SEND, "https://a.test/x?p=1&q=2")  # the attribute's value, entities decoded
    assert links == {ident: "https://a.test/x?p=1&q=2"}
    assert out.count(f'href="https://t.test/c/{ident}"') == 2
    for kept in (
        'href="#top"',
        'href="mailto:a@b.test"',
        'href="https://a.test/n"',
        'href="https://u.test/t/u/tok"',
    ):
        assert kept in out
    assert out.endswith(
        '<img src="https://t.test/o.png" width="1" height="1" alt="" style="display:block" /></body></html>'
    )


def test_nothing_is_rewritten_without_click_or_pixel_urls() -> None:
    html = '<p><a href="https://a.test/">a</a></p>'
    assert rewrite(html, SEND, None, None) == (html, {})
