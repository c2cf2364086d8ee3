"""The tracking rewrite of console.md §5.1: click URLs for links, a pixel before ``</body>``.

Every ``<a href>`` with an absolute http(s) URL becomes a click URL (one linkId per distinct
URL: first 12 hex of SHA-256 of ``<sendId>:<url>``), except ``#`` anchors, the unsubscribe
URL, unrendered ``{{ }}`` and links marked ``data-lm-notrack``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from html import unescape

_ANCHOR = re.compile(r"<a\b[^>]*>", re.I)
_HREF = re.compile(r"""(\bhref\s*=\s*)(["'])(.*?)\2""", re.I | re.S)

ClickUrl = Callable[[str, str], str]  # (link_id, url) -> click URL


def link_id(send_id: str, url: str) -> str:
    return hashlib.sha256(f"{send_id}:{url}".encode()).hexdigest()[:12]


def rewrite(
    html: str,
    send_id: str,
    click_url: ClickUrl | None,
    pixel_url: str | None,
    unsubscribe_url: str | None = None,
) -> tuple[str, dict[str, str]]:
    """(HTML, {linkId: url}); ``click_url`` None leaves links, ``pixel_url`` None adds no pixel."""
    links: dict[str, str] = {}

    def anchor(match: re.Match[str]) -> str:
        tag = match.group(0)
        if click_url is None or "data-lm-notrack" in tag.lower():
            return tag
        found = _HREF.search(tag)
        if found is None:
            return tag
        url = unescape(found.group(3).strip())  # the attribute's value: &amp; is &
        if (
            not url.lower().startswith(("http://", "https://"))
            or "{{" in url
            or "{%" in url
            or (unsubscribe_url and url == unsubscribe_url)
        ):
            return tag
        ident = link_id(send_id, url)
        links[ident] = url
        return tag[: found.start(3)] + click_url(ident, url) + tag[found.end(3) :]

    out = _ANCHOR.sub(anchor, html)
    if pixel_url is not None:
        pixel = f'<img src="{pixel_url}" width="1" height="1" alt="" style="display:block" />'
        at = out.lower().rfind("</body>")
        out = out[:at] + pixel + out[at:] if at >= 0 else out + pixel
    return out, links


PLACEHOLDER_SEND_ID = "00000000-0000-0000-0000-000000000000"  # 36 characters, as a real one


def placeholder_tracking(html: str, public_url: str) -> str:
    """The HTML as it would leave with tracking, for a placeholder send (size checks)."""
    sig = "x" * 16
    out, _ = rewrite(
        html,
        PLACEHOLDER_SEND_ID,
        lambda ident, _url: f"{public_url}/t/c/{PLACEHOLDER_SEND_ID}/{ident}/{sig}",
        f"{public_url}/t/o/{PLACEHOLDER_SEND_ID}.{sig}.png",
    )
    return out
