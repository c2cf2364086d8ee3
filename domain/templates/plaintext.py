"""The plain-text part made from rendered HTML (console.md §5.1).

Head, style, script and hidden elements (the preheader) are left out; blocks and ``<br>``
break lines; ``<li>`` becomes ``- ``; links become ``text (url)`` unless the text is the
URL; images become ``[alt]`` when alt is not empty; whitespace collapses; lines wrap at 78
columns without breaking URLs.
"""

from __future__ import annotations

import re
import textwrap
from html.parser import HTMLParser

BLOCKS = frozenset(
    [
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "tr",
        "ul",
        "ol",
        "li",
        "blockquote",
        "section",
        "article",
        "header",
        "footer",
        "hr",
        "pre",
        "center",
    ]
)
SKIPPED = frozenset({"head", "style", "script", "title"})
WIDTH = 78


def _hidden(attrs: dict[str, str | None]) -> bool:
    style = (attrs.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "preheader" in (attrs.get("class") or "")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip: list[str] = []
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if self.skip:
            if tag not in ("br", "img", "hr", "meta", "link"):
                self.skip.append(tag)
            return
        if tag in SKIPPED or (tag not in ("br", "img") and _hidden(a)):
            self.skip.append(tag)
        elif tag == "br":
            self._emit("\n")
        elif tag in BLOCKS:
            self._emit("\n")
            if tag == "li":
                self._emit("- ")
        elif tag == "a":
            self.href, self.link_text = (a.get("href") or "").strip(), []
        elif tag == "img" and (a.get("alt") or "").strip():
            self._emit(f"[{(a.get('alt') or '').strip()}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "img", "hr") and self.skip and self.skip[-1] == tag:
            self.skip.pop()

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            if self.skip[-1] == tag:
                self.skip.pop()
            return
        if tag == "a" and self.href is not None:
            text = re.sub(r"\s+", " ", "".join(self.link_text)).strip()
            href, self.href = self.href, None
            if href and not href.startswith("#") and href not in (text, f"mailto:{text}"):
                text = f"{text} ({href})" if text else href
            self._emit(text)
        elif tag in BLOCKS:
            self._emit("\n")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.href is not None:
            self.link_text.append(data)
        else:
            self._emit(data)

    def _emit(self, text: str) -> None:
        if self.href is not None and text != "\n":
            self.link_text.append(text)
        else:
            self.out.append(text)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = []
    for raw in "".join(parser.out).split("\n"):
        line = re.sub(r"[ \t\r\f\v\u00a0]+", " ", raw).strip()
        if line:
            lines.extend(textwrap.wrap(line, WIDTH, break_long_words=False, break_on_hyphens=False) or [""])
        elif lines and lines[-1] != "":
            lines.append("")
    return "\n".join(lines).strip()
