"""Link and image rules of the content linter (console.md §5.3)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from domain.templates.htmlscan import Scan
from domain.templates.lint import UNSUBSCRIBE_TAG, LintInput, LintItem, error, warning
from domain.templates.sender import domain_of, registrable

SHORTENERS = frozenset(
    [
        "bit.ly",
        "t.co",
        "tinyurl.com",
        "goo.gl",
        "ow.ly",
        "is.gd",
        "buff.ly",
        "rebrand.ly",
        "cutt.ly",
        "shorturl.at",
        "rb.gy",
        "tiny.cc",
    ]
)
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
BARE_URL = re.compile(r"https?://[^\s<>\"']+", re.I)


def _merge_tag(href: str) -> bool:
    return "{{" in href or "{%" in href


def _host(href: str) -> str | None:
    try:
        return (urlsplit(href).hostname or "").lower() or None
    except ValueError:
        return None


def _web(href: str) -> bool:
    return href.lower().startswith(("http://", "https://")) and not _merge_tag(href)


def url_shortener(i: LintInput, s: Scan) -> list[LintItem]:
    listed = SHORTENERS | {d.lower() for d in i.settings.lint.url_shorteners}
    hosts = sorted(
        {
            h
            for link in s.links
            if _web(link.href)
            and (h := _host(link.href))
            and (h in listed or h.removeprefix("www.") in listed)
        }
    )
    if not hosts:
        return []
    return [
        error(
            "url_shortener",
            f"links use a URL shortener: {', '.join(hosts)}",
            "shorteners are shared by spammers and blocklisted: link to your own domain",
        )
    ]


def unsafe_link_scheme(i: LintInput, s: Scan) -> list[LintItem]:
    bad = []
    for link in s.links:
        href = link.href
        if not href or href.startswith("#") or _merge_tag(href):
            continue
        scheme = href.split(":", 1)[0].lower() if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", href) else None
        if scheme is not None and scheme not in SAFE_SCHEMES:
            bad.append(scheme)
    if not bad:
        return []
    return [
        error(
            "unsafe_link_scheme",
            f"links use unsafe schemes: {', '.join(sorted(set(bad)))}",
            "only http, https, mailto and tel links are allowed",
        )
    ]


def bare_url(i: LintInput, s: Scan) -> list[LintItem]:
    if any(BARE_URL.search(t) for t in s.loose_text):
        return [
            warning("bare_url", "the HTML shows a URL as text outside a link", "link a few words instead")
        ]
    return []


def too_many_links(i: LintInput, s: Scan) -> list[LintItem]:
    if len(s.links) > 10:
        return [warning("too_many_links", f"{len(s.links)} links (more than 10)", "keep the message focused")]
    return []


def offdomain_links(i: LintInput, s: Scan) -> list[LintItem]:
    domain = domain_of(i.from_email)
    counted = [link for link in s.links if _web(link.href) and not UNSUBSCRIBE_TAG.search(link.href)]
    if domain is None or not counted:
        return []
    own = registrable(domain)
    away = [link for link in counted if registrable(_host(link.href) or "") != own]
    if len(away) * 2 > len(counted):
        return [
            warning(
                "offdomain_links",
                f"{len(away)} of {len(counted)} links leave {own}",
                "links to other domains than the sender's look like phishing",
            )
        ]
    return []


def insecure_link(i: LintInput, s: Scan) -> list[LintItem]:
    if any(link.href.lower().startswith("http://") for link in s.links):
        return [warning("insecure_link", "a link uses http://", "use https://")]
    return []


def image_missing_alt(i: LintInput, s: Scan) -> list[LintItem]:
    missing = [img.src for img in s.images if img.alt is None]
    if missing:
        return [
            warning(
                "image_missing_alt",
                f"{len(missing)} image(s) without alt text",
                'add alt text (alt="" for decorative images)',
            )
        ]
    return []


def image_only_link(i: LintInput, s: Scan) -> list[LintItem]:
    bad = [
        link
        for link in s.links
        if link.image_alts and not link.text.strip() and not any(alt.strip() for alt in link.image_alts)
    ]
    if bad:
        return [
            warning(
                "image_only_link",
                f"{len(bad)} link(s) are images without alt text",
                "give linked images an alt text that says where they go",
            )
        ]
    return []


def image_text_ratio(i: LintInput, s: Scan) -> list[LintItem]:
    text = len(i.text.strip())
    if not s.images or text < 20 or text / len(s.images) >= 200:
        return []
    return [
        warning(
            "image_text_ratio",
            f"{text} text characters for {len(s.images)} image(s)",
            "aim for at least 200 characters of text per image",
        )
    ]


def gmail_clipping(i: LintInput, s: Scan) -> list[LintItem]:
    size, limit = len(i.tracked_html.encode()), i.settings.lint.max_html_bytes
    if i.compile_error is None and size > limit:
        return [
            warning(
                "gmail_clipping",
                f"the HTML is {size} bytes (over {limit}): Gmail clips it",
                "shorten the message or move content to a web page",
            )
        ]
    return []


LINK_RULES = [
    url_shortener,
    unsafe_link_scheme,
    bare_url,
    too_many_links,
    offdomain_links,
    insecure_link,
    image_missing_alt,
    image_only_link,
    image_text_ratio,
    gmail_clipping,
]
