"""Which ``http_url`` targets are private (spec proxy.md §9.2), and the link footer (§9.4)."""

from __future__ import annotations

import asyncio

import pytest

from adapters.attachments_sources import check_public_host, is_public_address
from application.sending.dispatch_attachments import Link, with_footer
from application.sending.ports import AttachmentFetchError
from domain.sending.content import MessageContent

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0",
    "100.64.0.1", "224.0.0.1", "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1",
])
def test_private_loopback_and_link_local_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_a_host_resolving_to_loopback_is_refused(host: str) -> None:
    with pytest.raises(AttachmentFetchError) as caught:
        asyncio.run(check_public_host(host, 80))
    assert caught.value.failure.kind == "attachment_permanent"


def content(**fields: object) -> MessageContent:
    return MessageContent(from_addr="a@x.test", to=["u@y.test"], subject="s", **fields)  # type: ignore[arg-type]


LINK = Link("big.pdf", 2 * 1024 * 1024, "https://m.test/downloads/id/big.pdf?expires=1&sig=a&b", 1767225600)


def test_the_footer_goes_into_each_text_part() -> None:
    both = with_footer(content(text="hi", html="<html><body><p>hi</p></body></html>"), [LINK])
    assert both.text is not None and both.text.startswith("hi\n")
    assert "big.pdf (2.0 MB): https://m.test/downloads/id/big.pdf?expires=1&sig=a&b\n" in both.text
    assert "2026-01-01" in both.text
    assert both.html is not None and both.html.endswith("</ul></body></html>")
    assert "<hr>" in both.html
    assert 'href="https://m.test/downloads/id/big.pdf?expires=1&amp;sig=a&amp;b"' in both.html
    plain = with_footer(content(body="b"), [LINK])
    assert plain.body.startswith("b\n") and "big.pdf (2.0 MB)" in plain.body
    html = with_footer(content(body="<p>b</p>", content_type="html"), [LINK])
    assert html.body.startswith("<p>b</p><hr>") and html.body.endswith("</ul>")


def test_no_links_no_footer() -> None:
    original = content(body="b")
    assert with_footer(original, []) is original
