"""XML builders for the DMARC corpus: RFC 7489 appendix C and RFC 9990 aggregate reports,
laid out the way the big reporters lay theirs out (Google's compact one-liners, Microsoft's
xsd/xsi declarations and version element, Yahoo's indented layout)."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

NS_9990 = "urn:ietf:params:xml:ns:dmarc-2.0"


@dataclass(frozen=True)
class Record:
    ip: str
    count: int
    dkim: str  # policy_evaluated
    spf: str
    disposition: str = "none"
    header_from: str = "acme.test"
    dkim_auth: str | None = None  # auth_results (defaults to the evaluated result)
    spf_auth: str | None = None


def _el(name: str, value: object) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def _record(r: Record, bis: bool) -> str:
    dkim_auth = r.dkim_auth or r.dkim
    spf_auth = r.spf_auth or r.spf
    envelope = _el("envelope_from", r.header_from) if bis else ""
    return (
        "<record><row>"
        + _el("source_ip", r.ip)
        + _el("count", r.count)
        + "<policy_evaluated>"
        + _el("disposition", r.disposition)
        + _el("dkim", r.dkim)
        + _el("spf", r.spf)
        + "</policy_evaluated></row>"
        + "<identifiers>"
        + envelope
        + _el("header_from", r.header_from)
        + "</identifiers>"
        + "<auth_results><dkim>"
        + _el("domain", r.header_from)
        + _el("selector", "s1")
        + _el("result", dkim_auth)
        + "</dkim><spf>"
        + _el("domain", r.header_from)
        + _el("scope", "mfrom")
        + _el("result", spf_auth)
        + "</spf></auth_results></record>"
    )


def _open(style: str, bis: bool) -> str:
    if bis:
        return f'<feedback xmlns="{NS_9990}">' + _el("version", "1.0")
    if style == "microsoft":
        return (
            '<feedback xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' + _el("version", "1.0")
        )
    return "<feedback>"


def _layout(xml: str, style: str) -> bytes:
    head = '<?xml version="1.0" encoding="UTF-8" ?>\n' if style != "microsoft" else '<?xml version="1.0"?>\n'
    if style == "yahoo":  # one element per line, indented: whitespace must not matter
        xml = xml.replace("><", ">\n  <")
    return (head + xml + "\n").encode()


def report(
    org: str,
    email: str,
    report_id: str,
    begin: int,
    end: int,
    records: list[Record],
    *,
    p: str = "none",
    pct: str | None = "100",
    domain: str = "acme.test",
    style: str = "plain",
) -> bytes:
    """An RFC 7489 (appendix C) aggregate report."""
    policy = (
        _el("domain", domain)
        + _el("adkim", "r")
        + _el("aspf", "r")
        + _el("p", p)
        + _el("sp", p)
        + (_el("pct", pct) if pct is not None else "")
        + _el("fo", "0")
    )
    extra = _el("extra_contact_info", "https://support.example/dmarc") if style == "google" else ""
    xml = (
        _open(style, False)
        + "<report_metadata>"
        + _el("org_name", org)
        + _el("email", email)
        + extra
        + _el("report_id", report_id)
        + "<date_range>"
        + _el("begin", begin)
        + _el("end", end)
        + "</date_range></report_metadata><policy_published>"
        + policy
        + "</policy_published>"
        + "".join(_record(r, False) for r in records)
        + "</feedback>"
    )
    return _layout(xml, style)


def bis_report(
    org: str,
    email: str,
    report_id: str,
    begin: int,
    end: int,
    records: list[Record],
    *,
    p: str = "none",
    testing: str = "n",
    np: str | None = None,
    generator: str | None = None,
    discovery: str = "psl",
    domain: str = "acme.test",
) -> bytes:
    """An RFC 9990 (DMARCbis) aggregate report, in its namespace."""
    policy = (
        _el("domain", domain)
        + _el("p", p)
        + _el("sp", p)
        + (_el("np", np) if np else "")
        + _el("adkim", "r")
        + _el("aspf", "r")
        + _el("discovery_method", discovery)
        + _el("testing", testing)
        + _el("fo", "0")
    )
    meta = (
        _el("org_name", org)
        + _el("email", email)
        + _el("report_id", report_id)
        + "<date_range>"
        + _el("begin", begin)
        + _el("end", end)
        + "</date_range>"
        + (_el("generator", generator) if generator else "")
    )
    xml = (
        _open("plain", True)
        + "<report_metadata>"
        + meta
        + "</report_metadata><policy_published>"
        + policy
        + "</policy_published>"
        + "".join(_record(r, True) for r in records)
        + "</feedback>"
    )
    return _layout(xml, "plain")


def without(xml: bytes, element: str) -> bytes:
    """The report with every ``<element>...</element>`` removed (missing-field cases)."""
    text = xml.decode()
    while f"<{element}>" in text:
        start = text.index(f"<{element}>")
        stop = text.index(f"</{element}>", start) + len(element) + 3
        text = text[:start] + text[stop:]
    return text.encode()
