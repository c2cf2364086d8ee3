"""Malformed and hostile files for the DMARC corpus: each must be refused with a clear
``ingest_failed`` message, and nothing of it stored."""

from __future__ import annotations

import gzip
import struct
import zipfile

from tests.corpus.dmarc.corpus_xml import Record, report, without

JAN1 = 1_704_067_200
MIB = 1 << 20
ROWS = [Record("192.0.2.10", 5, "pass", "pass")]


def _base(**kw: object) -> bytes:
    return report(
        "google.com", "noreply-dmarc-support@google.com", "hostile-1", JAN1, JAN1 + 86_400, ROWS, **kw
    )  # type: ignore[arg-type]


def _patch_central_size(data: bytes, size: int) -> bytes:
    """Rewrite the uncompressed size every central directory entry declares."""
    out = bytearray(data)
    pos = out.find(b"PK\x01\x02")
    while pos != -1:
        out[pos + 24 : pos + 28] = struct.pack("<I", size)
        pos = out.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<feedback><report_metadata><org_name>&lol9;</org_name></report_metadata></feedback>
"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE feedback [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feedback><report_metadata><org_name>&xxe;</org_name><report_id>x</report_id></report_metadata></feedback>
"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE feedback SYSTEM "http://127.0.0.1:9/evil.dtd">
<feedback/>
"""


def hostile_files(zipped, gz) -> dict[str, tuple[bytes, dict[str, object]]]:  # type: ignore[no-untyped-def]
    def bad(fragment: str) -> dict[str, object]:
        return {"ok": False, "error": fragment}

    base = _base()
    stored = zipped([("r.xml", base * 1)], zipfile.ZIP_STORED)
    utf16 = (
        '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE feedback [<!ENTITY e "x">]>\n<feedback/>'
    ).encode("utf-16")
    return {
        "hostile-billion-laughs.xml": (BILLION_LAUGHS, bad("DOCTYPE")),
        "hostile-xxe-file.xml": (XXE, bad("DOCTYPE")),
        "hostile-external-dtd.xml": (EXTERNAL_DTD, bad("DOCTYPE")),
        "hostile-utf16-doctype.xml": (utf16, bad("DOCTYPE")),
        "hostile-zip-bomb.zip": (zipped([("bomb.xml", b"\0" * (20 * MIB))]), bad("zip bomb")),
        "hostile-gzip-bomb.xml.gz": (gz(b"\0" * (51 * MIB)), bad("expands past 50 MiB")),
        "hostile-zip-traversal.zip": (zipped([("../x.xml", base)]), bad("'..'")),
        "hostile-zip-absolute.zip": (zipped([("/etc/cron.d/x.xml", base)]), bad("absolute")),
        "hostile-zip-drive-letter.zip": (zipped([("C:\\Windows\\x.xml", base)]), bad("absolute")),
        "hostile-zip-empty.zip": (zipped([]), bad("empty")),
        "hostile-zip-zero-size.zip": (_patch_central_size(stored, 0), bad("declares no size")),
        "hostile-zip-size-lie.zip": (_patch_central_size(stored, 100), bad("cannot read an entry")),
        "hostile-zip-declares-60mib.zip": (_patch_central_size(stored, 60 * MIB), bad("more than 50 MiB")),
        "hostile-zip-in-zip.zip": (zipped([("inner.zip", zipped([("r.xml", base)]))]), bad("well-formed")),
        "malformed-truncated.xml": (base[: len(base) // 2], bad("not well-formed")),
        "malformed-binary.xml": (b"%PDF-1.4\n\x00\x01\x02 not a report", bad("not well-formed")),
        "malformed-wrong-root.xml": (b"<not-a-report/>", bad("root element <not-a-report>")),
        "malformed-html-page.xml": (b"<html><body>502 Bad Gateway</body></html>", bad("root element <html>")),
        "malformed-missing-org-name.xml": (without(base, "org_name"), bad("report_metadata/org_name")),
        "malformed-missing-report-id.xml": (without(base, "report_id"), bad("report_metadata/report_id")),
        "malformed-missing-date-range.xml": (without(base, "date_range"), bad("date_range/begin")),
        "malformed-missing-domain.xml": (
            base.replace(b"<domain>acme.test</domain><adkim>", b"<adkim>"),
            bad("policy_published/domain"),
        ),
        "malformed-zero-date.xml": (
            base.replace(b"<begin>1704067200</begin>", b"<begin>0</begin>"),
            bad("must be > 0"),
        ),
        "malformed-end-before-begin.xml": (
            base.replace(b"<end>1704153600</end>", b"<end>1700000000</end>"),
            bad("ends before"),
        ),
        "malformed-bad-count.xml": (
            base.replace(b"<count>5</count>", b"<count>5abc</count>"),
            bad("whole number"),
        ),
        "malformed-bad-source-ip.xml": (base.replace(b"192.0.2.10", b"999.1.2.3"), bad("not an IP address")),
        "malformed-truncated.xml.gz": (gzip.compress(base, mtime=0)[:-12], bad("truncated gzip")),
        "malformed-not-gzip.xml.gz": (base, bad("not valid gzip")),
        "malformed-not-a-zip.zip": (b"PK\x03\x04 but nothing else", bad("not a readable zip")),
    }
