"""One pass over an HTML body: its links, images and loose text (what the linter looks at).

stdlib ``html.parser`` only: the domain does no I/O and needs no HTML library for this.
"""

from __future__ import annotations

from html.parser import HTMLParser

import msgspec

SKIPPED = frozenset({"head", "style", "script", "title"})
PIXEL_SIZES = frozenset({"0", "1", "0px", "1px"})


class Link(msgspec.Struct):
    href: str
    text: str = ""
    image_alts: list[str] = []
    notrack: bool = False


class Image(msgspec.Struct, frozen=True):
    src: str
    alt: str | None


class Scan(msgspec.Struct):
    links: list[Link]
    images: list[Image]
    loose_text: list[str]  # text outside anchors, head, style and script


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = Scan(links=[], images=[], loose_text=[])
        self.skip = 0
        self.link: Link | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in SKIPPED:
            self.skip += 1
        elif tag == "a" and a.get("href") is not None:
            self.link = Link(href=(a.get("href") or "").strip(), notrack="data-lm-notrack" in a)
            self.scan.links.append(self.link)
        elif tag == "img":
            self._image(a)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self._image(dict(attrs))
        elif tag != "a":
            self.handle_starttag(tag, attrs)

    def _image(self, a: dict[str, str | None]) -> None:
        if a.get("width") in PIXEL_SIZES and a.get("height") in PIXEL_SIZES:
            return  # a tracking pixel or a spacer, not content
        if "/t/o/" in (a.get("src") or ""):
            return
        image = Image(src=a.get("src") or "", alt=a.get("alt"))
        self.scan.images.append(image)
        if self.link is not None:
            self.link.image_alts.append(image.alt or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED and self.skip:
            self.skip -= 1
        elif tag == "a":
            self.link = None

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.link is not None:
            self.link.text += data
        elif data.strip():
            self.scan.loose_text.append(data)


def scan(html: str) -> Scan:
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner.scan


VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
# elements whose end tag may be left out (HTML's implied end tags)
OPTIONAL_END = frozenset(
    [
        "p",
        "li",
        "dt",
        "dd",
        "option",
        "optgroup",
        "tr",
        "td",
        "th",
        "thead",
        "tbody",
        "tfoot",
        "colgroup",
        "rt",
        "rp",
        "html",
        "head",
        "body",
    ]
)


_BLOCK = [
    "address",
    "article",
    "aside",
    "blockquote",
    "div",
    "dl",
    "fieldset",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "ul",
]
IMPLIED_BY: dict[str, frozenset[str]] = {
    **{b: frozenset({"p"}) for b in _BLOCK},
    "li": frozenset({"li", "p"}),
    "dt": frozenset({"dt", "dd", "p"}),
    "dd": frozenset({"dt", "dd", "p"}),
    "tr": frozenset({"td", "th", "tr"}),
    "td": frozenset({"td", "th"}),
    "th": frozenset({"td", "th"}),
    "tbody": frozenset({"td", "th", "tr", "thead"}),
    "option": frozenset({"option"}),
}
# only the document wrappers may stay open at the end: an element left open at the end of
# the text is a mistake even where HTML would close it (console.md §17 #18: "<p>hi")
END_OPTIONAL = frozenset({"html", "head", "body"})


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        closes = IMPLIED_BY.get(tag, frozenset())
        while self.stack and self.stack[-1] in closes:
            self.stack.pop()  # <li> ends the open <li>, a block ends the open <p>, ...
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if tag not in self.stack:
            self.problems.append(f"</{tag}> closes nothing")
            return
        while self.stack:
            top = self.stack.pop()
            if top == tag:
                return
            if top not in OPTIONAL_END:
                self.problems.append(f"<{top}> is not closed before </{tag}>")


def balance(html: str) -> tuple[list[str], set[str]]:
    """(problems, tag names seen): unclosed or stray tags, implied end tags honoured."""
    checker = _Balance()
    checker.feed(html)
    checker.close()
    checker.problems += [f"<{t}> is not closed" for t in checker.stack if t not in END_OPTIONAL]
    return checker.problems, checker.tags
