"""Parsing DMARC aggregate report XML: RFC 7489 appendix C (no namespace) and RFC 9990
(``urn:ietf:params:xml:ns:dmarc-2.0``), console.md §13 Parse.

Safety first, in C: a pass of expat with only the DOCTYPE, entity-declaration and
external-reference handlers set refuses any DTD before anything could expand (XXE and
expansion bombs fail as ``ingest_failed``, in any encoding expat reads); only then does the
C ElementTree builder run. That is what defusedxml checks, without its pure-Python tree
builder, which was ~6x slower here (ADR 0022). Every other problem (wrong root, a missing
required field, a bad count) names what is wrong.
"""

from __future__ import annotations

import ipaddress
import pyexpat
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from adapters.reputation.dmarc_files import fail
from domain.reputation.dmarc import DmarcRow, ParsedReport, summed

NS_9990 = "urn:ietf:params:xml:ns:dmarc-2.0"
MAX_TEXT = 512


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _children(el: ET.Element, name: str) -> Iterator[ET.Element]:
    return (c for c in el if isinstance(c.tag, str) and _local(c.tag) == name)


def _child(el: ET.Element | None, name: str) -> ET.Element | None:
    return None if el is None else next(_children(el, name), None)


def _text(el: ET.Element | None, *path: str) -> str | None:
    for name in path:
        el = _child(el, name)
    if el is None or el.text is None:
        return None
    value = el.text.strip()
    return value[:MAX_TEXT] if value else None


def _required(el: ET.Element | None, *path: str) -> str:
    value = _text(el, *path)
    if value is None:
        raise fail(f"missing required field {'/'.join(path)}")
    return value


def _unix(el: ET.Element | None, name: str) -> int:
    raw = _required(el, "report_metadata", "date_range", name)
    try:
        value = int(float(raw))
    except ValueError:
        raise fail(f"date_range/{name} is not a unix time: {raw[:40]!r}") from None
    if value <= 0:
        raise fail(f"date_range/{name} must be > 0")
    return value


def _pct(raw: str | None) -> int:
    try:
        return max(0, min(100, int(raw))) if raw is not None else 100
    except ValueError:
        return 100


def _kids(el: ET.Element | None) -> dict[str, ET.Element]:
    """Children by local name (the first of each): one pass per element on the hot path."""
    out: dict[str, ET.Element] = {}
    for c in el if el is not None else ():
        if isinstance(c.tag, str):
            out.setdefault(_local(c.tag), c)
    return out


def _t(el: ET.Element | None) -> str | None:
    value = el.text.strip() if el is not None and el.text else ""
    return value[:MAX_TEXT] or None


def _row(record: ET.Element) -> DmarcRow:
    parts = _kids(record)
    row = _kids(parts.get("row"))
    ip_text, raw_count = _t(row.get("source_ip")), _t(row.get("count"))
    if ip_text is None or raw_count is None:
        raise fail(f"missing required field row/{'source_ip' if ip_text is None else 'count'}")
    try:
        ip = str(ipaddress.ip_address(ip_text))
    except ValueError:
        raise fail(f"record source_ip is not an IP address: {ip_text[:60]!r}") from None
    if not raw_count.isdigit():
        raise fail(f"record count is not a whole number: {raw_count[:40]!r}")
    evaluated = _kids(row.get("policy_evaluated"))

    def result(name: str) -> str:
        return (_t(evaluated.get(name)) or "none").lower()

    header_from = _t(_kids(parts.get("identifiers")).get("header_from")) or ""
    return DmarcRow(source_ip=ip, header_from=header_from.lower(), dkim=result("dkim"), spf=result("spf"),
                    disposition=result("disposition"), count=int(raw_count))


def _refuse_dtd(*_: Any) -> None:
    raise fail("XML with a DOCTYPE is refused (no DTDs, entities or external references in DMARC reports)")


def _guard(xml: bytes) -> None:
    scanner = pyexpat.ParserCreate()
    scanner.StartDoctypeDeclHandler = _refuse_dtd
    scanner.EntityDeclHandler = _refuse_dtd
    scanner.UnparsedEntityDeclHandler = _refuse_dtd
    scanner.ExternalEntityRefHandler = _refuse_dtd
    scanner.Parse(xml, True)


def _root(xml: bytes) -> ET.Element:
    try:
        _guard(xml)
        root = ET.fromstring(xml)
    except (pyexpat.ExpatError, ET.ParseError) as exc:
        raise fail(f"not well-formed XML: {exc}") from None
    if not isinstance(root.tag, str) or _local(root.tag) != "feedback":
        raise fail(f"not a DMARC aggregate report: root element <{_local(str(root.tag))[:60]}>")
    return root


def parse_report(xml: bytes) -> ParsedReport:
    root = _root(xml)
    bis = root.tag.startswith("{" + NS_9990 + "}")
    start, end = _unix(root, "begin"), _unix(root, "end")
    if end < start:
        raise fail("date_range ends before it begins")
    policy = _child(root, "policy_published")
    return ParsedReport(
        schema="rfc9990" if bis else "rfc7489",
        org_name=_required(root, "report_metadata", "org_name"),
        report_id=_required(root, "report_metadata", "report_id"),
        email=_text(root, "report_metadata", "email"),
        generator=_text(root, "report_metadata", "generator") if bis else None,
        range_start=start,
        range_end=end,
        domain=_required(root, "policy_published", "domain").lower().rstrip("."),
        policy_p=(_text(policy, "p") or "none").lower(),
        policy_pct=None if bis else _pct(_text(policy, "pct")),
        np=(_text(policy, "np") or "").lower() or None if bis else None,
        testing=bis and (_text(policy, "testing") or "n").lower() == "y",
        discovery_method=_text(policy, "discovery_method") if bis else None,
        rows=summed([_row(r) for r in _children(root, "record")]),
    )
