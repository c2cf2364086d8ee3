"""Build the DMARC aggregate report corpus (console.md §13) from the two schemas.

    python -m tests.corpus.dmarc.make_corpus [--out DIR]

Writes every file of the corpus and ``expected.json`` (what the parser must make of each)
into this folder. Output is deterministic (fixed gzip mtimes and zip dates), so a unit test
regenerates it and compares bytes: the committed files are exactly what this script makes.
Reporter styles follow what Google, Microsoft, Yahoo and others send (names, ids, layout);
the hostile files are the attacks the intake must refuse.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import zipfile
from pathlib import Path

from tests.corpus.dmarc.corpus_hostile import hostile_files
from tests.corpus.dmarc.corpus_xml import Record, bis_report, report

HERE = Path(__file__).resolve().parent
DAY = 86_400
JAN1 = 1_704_067_200  # 2024-01-01T00:00:00Z
ZIP_DATE = (2024, 1, 2, 0, 0, 0)
MIB = 1 << 20


def gz(data: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as f:
        f.write(data)
    return out.getvalue()


def zipped(entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = method
            archive.writestr(info, data)
    return out.getvalue()


def ok(
    org: str, report_id: str, schema: str, total: int, passed: int, domain: str = "acme.test", **extra: object
) -> dict[str, object]:
    return {
        "ok": True,
        "org": org,
        "reportId": report_id,
        "schema": schema,
        "domain": domain,
        "total": total,
        "pass": passed,
        **extra,
    }


GOOGLE = [
    Record("209.85.220.41", 120, "pass", "pass"),
    Record("209.85.220.41", 3, "pass", "fail", dkim_auth="fail"),
    Record("198.51.100.7", 7, "fail", "fail", disposition="quarantine"),
]
MICROSOFT = [
    Record("40.107.22.55", 40, "pass", "pass"),
    Record("40.107.22.56", 2, "fail", "pass"),
    Record("203.0.113.50", 5, "fail", "fail", disposition="reject"),
]
YAHOO = [Record("149.72.45.10", 60, "pass", "pass"), Record("149.72.45.10", 4, "pass", "pass")]
SCENARIO = [
    Record("149.72.45.10", 200, "pass", "pass"),
    Record("198.51.100.7", 15, "fail", "fail"),
    Record("203.0.113.50", 3, "fail", "none", spf_auth="none"),
]


def good_files() -> dict[str, tuple[bytes, dict[str, object]]]:
    g = report(
        "google.com",
        "noreply-dmarc-support@google.com",
        "12817029373451198263",
        JAN1,
        JAN1 + DAY - 1,
        GOOGLE,
        p="none",
        style="google",
    )
    m = report(
        "Enterprise Outlook",
        "dmarcreport@microsoft.com",
        "a3f2c1d0e9b84c7f9a1e2d3c4b5a6978",
        JAN1 + DAY,
        JAN1 + 2 * DAY,
        MICROSOFT,
        p="quarantine",
        pct="50",
        style="microsoft",
    )
    y = report(
        "Yahoo",
        "dmarchelp@yahooinc.com",
        "1704153600.482913",
        JAN1 + 2 * DAY,
        JAN1 + 3 * DAY - 1,
        YAHOO,
        p="reject",
        style="yahoo",
    )
    s = report(
        "acme-receiver.test",
        "dmarc@receiver.test",
        "20240101.acme.test.000456",
        JAN1,
        JAN1 + DAY,
        SCENARIO,
        p="quarantine",
        pct="50",
    )
    f = bis_report(
        "Fastmail Pty Ltd",
        "dmarc@fastmail.test",
        "fm-2024-01-04-acme",
        JAN1 + 3 * DAY,
        JAN1 + 4 * DAY,
        YAHOO,
        p="quarantine",
        testing="y",
        np="reject",
        generator="fastmail-dmarc/2.1",
    )
    b = bis_report(
        "bis.example",
        "reports@bis.example",
        "bis-0001",
        JAN1 + 4 * DAY,
        JAN1 + 5 * DAY,
        GOOGLE,
        p="reject",
        discovery="treewalk",
    )
    mailru = report("Mail.Ru", "dmarc_support@corp.mail.ru", "94751802839", JAN1, JAN1 + DAY, YAHOO[:1])
    comcast = report(
        "comcast.net", "dmarc@comcast.net", "cmcst-7781", JAN1, JAN1 + DAY, MICROSOFT[:1], pct="250"
    )  # out-of-range pct: clamped to 100
    sub = report(
        "google.com",
        "noreply-dmarc-support@google.com",
        "5551212",
        JAN1,
        JAN1 + DAY,
        GOOGLE[:1],
        domain="News.Acme.Test",
    )
    empty = report("gmx.net", "dmarc@gmx.net", "gmx-empty-1", JAN1, JAN1 + DAY, [])
    two_a = report("google.com", "noreply-dmarc-support@google.com", "zip-two-a", JAN1, JAN1 + DAY, YAHOO)
    two_b = report(
        "google.com", "noreply-dmarc-support@google.com", "zip-two-b", JAN1 + DAY, JAN1 + 2 * DAY, GOOGLE
    )
    foreign = report(
        "google.com",
        "noreply-dmarc-support@google.com",
        "foreign-1",
        JAN1,
        JAN1 + DAY,
        YAHOO,
        domain="other.test",
    )
    return {
        "google.com!acme.test!1704067200!1704153599.zip": (
            zipped([("google.com!acme.test!1704067200!1704153599.xml", g)]),
            ok("google.com", "12817029373451198263", "rfc7489", 130, 123, policy="none", pct=100),
        ),
        "enterprise.protection.outlook.com!acme.test!1704153600!1704240000.xml.gz": (
            gz(m),
            ok(
                "Enterprise Outlook",
                "a3f2c1d0e9b84c7f9a1e2d3c4b5a6978",
                "rfc7489",
                47,
                42,
                policy="quarantine",
                pct=50,
            ),
        ),
        "yahoo.com!acme.test!1704240000!1704326399.xml": (
            y,
            ok("Yahoo", "1704153600.482913", "rfc7489", 64, 64, policy="reject", pct=100, rows=1),
        ),
        "yahoo.com!acme.test!1704240000!1704326399.xml.gz": (
            gz(y),
            ok("Yahoo", "1704153600.482913", "rfc7489", 64, 64),
        ),
        "scenario-43.xml.gz": (
            gz(s),
            ok(
                "acme-receiver.test",
                "20240101.acme.test.000456",
                "rfc7489",
                218,
                200,
                policy="quarantine",
                pct=50,
                rows=3,
            ),
        ),
        "fastmail-rfc9990.xml": (
            f,
            ok(
                "Fastmail Pty Ltd",
                "fm-2024-01-04-acme",
                "rfc9990",
                64,
                64,
                policy="quarantine",
                pct=None,
                testing=True,
                np="reject",
            ),
        ),
        "fastmail-rfc9990.xml.gz": (gz(f), ok("Fastmail Pty Ltd", "fm-2024-01-04-acme", "rfc9990", 64, 64)),
        "bis-treewalk-rfc9990.zip": (
            zipped([("bis.xml", b)]),
            ok("bis.example", "bis-0001", "rfc9990", 130, 123, policy="reject", pct=None, testing=False),
        ),
        "mail.ru!acme.test!1704067200!1704153600.xml": (
            mailru,
            ok("Mail.Ru", "94751802839", "rfc7489", 60, 60),
        ),
        "comcast-pct-clamped.xml": (comcast, ok("comcast.net", "cmcst-7781", "rfc7489", 40, 40, pct=100)),
        "google-subdomain-uppercase.xml": (
            sub,
            ok("google.com", "5551212", "rfc7489", 120, 120, domain="news.acme.test"),
        ),
        "gmx-no-records.xml": (empty, ok("gmx.net", "gmx-empty-1", "rfc7489", 0, 0)),
        "google-two-reports.zip": (
            zipped([("a.xml", two_a), ("b.xml.gz", gz(two_b))]),
            ok("google.com", "zip-two-a", "rfc7489", 64, 64, reports=2),
        ),
        "zip-one-good-one-broken.zip": (
            zipped([("broken.xml", b"<feedback><report_metadata>"), ("good.xml", y)]),
            ok("Yahoo", "1704153600.482913", "rfc7489", 64, 64, reports=1),
        ),
        "google-stored-zip.zip": (
            zipped([("g.xml", g)], zipfile.ZIP_STORED),
            ok("google.com", "12817029373451198263", "rfc7489", 130, 123),
        ),
        "foreign-domain.xml": (
            foreign,
            ok("google.com", "foreign-1", "rfc7489", 64, 64, domain="other.test", registry_refuses=True),
        ),
    }


def corpus() -> dict[str, tuple[bytes, dict[str, object]]]:
    return {**good_files(), **hostile_files(zipped, gz)}


def write(out: Path) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    files = corpus()
    for name, (data, _) in files.items():
        (out / name).write_bytes(data)
    expected = {name: outcome for name, (_, outcome) in sorted(files.items())}
    (out / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    return sorted(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=HERE, help="where to write (default: this folder)")
    args = parser.parse_args(argv)
    names = write(args.out)
    print(f"{len(names)} files written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
