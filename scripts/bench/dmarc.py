"""DMARC ingest throughput (issue 10's bar): reports/s and records/s on the corpus of
``tests/corpus/dmarc``, for a big reporter's file, and stored through the intake.

    .venv/bin/python -m scripts.bench.dmarc --markdown

* ``corpus``: every good corpus file (xml, gz, zip; both schemas) unpacked and parsed
  ``--passes`` times per round; best and median round.
* ``big report``: one RFC 7489 report with ``--big-records`` records (a large sender's
  daily Google report), gzipped, unpacked and parsed.
* ``ingest``: ``--ingest`` distinct reports through ``ingest_file`` (unpack, parse,
  registry check, one event-store save each) into a fresh embedded SQLite store, then the
  ``dmarc`` view's catch-up; reports/s and records/s end to end.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from adapters.bootstrap import bootstrap
from adapters.reputation.dmarc_files import unpack
from adapters.reputation.dmarc_intake import ingest_file
from adapters.reputation.dmarc_xml import parse_report
from adapters.settings import Settings
from domain.reputation.dmarc import DmarcIngestFailed
from scripts.bench.report import md_table, text_table, write_section
from scripts.bench.stores import load_average, machine

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus" / "dmarc"
DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:dmarc:start -->", "<!-- bench:dmarc:end -->"
HEADER = [
    "case",
    "files per round",
    "records per round",
    "rounds",
    "best reports/s",
    "best records/s",
    "median records/s",
]


def corpus() -> list[tuple[str, bytes]]:
    expected = json.loads((CORPUS / "expected.json").read_text())
    return [(name, (CORPUS / name).read_bytes()) for name, e in sorted(expected.items()) if e["ok"]]


def records_in(files: Sequence[tuple[str, bytes]]) -> int:
    return sum(f.xml.count(b"<record>") for name, data in files for f in unpack(name, data))


def parse_round(files: Sequence[tuple[str, bytes]], passes: int) -> float:
    """Seconds for ``passes`` passes of unpack + parse over ``files``."""
    started = time.perf_counter()
    for _ in range(passes):
        for name, data in files:
            for f in unpack(name, data):
                try:
                    parse_report(f.xml)
                except DmarcIngestFailed:  # the corpus's one broken zip entry: refused, as it should be
                    pass
    return time.perf_counter() - started


def big_report(records: int, report_id: str = "big-1") -> bytes:
    """An RFC 7489 report laid out as Google sends them, with ``records`` distinct sources."""
    body = []
    for n in range(records):
        ip = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        dkim, spf = ("pass" if n % 7 else "fail"), ("pass" if n % 3 else "fail")
        body.append(
            f"<record><row><source_ip>{ip}</source_ip><count>{1 + n % 50}</count><policy_evaluated>"
            f"<disposition>none</disposition><dkim>{dkim}</dkim><spf>{spf}</spf></policy_evaluated></row>"
            "<identifiers><header_from>acme.test</header_from></identifiers><auth_results><dkim>"
            f"<domain>acme.test</domain><result>{dkim}</result></dkim><spf><domain>acme.test</domain>"
            f"<result>{spf}</result></spf></auth_results></record>"
        )
    xml = (
        '<?xml version="1.0" encoding="UTF-8" ?><feedback><report_metadata><org_name>google.com</org_name>'
        "<email>noreply-dmarc-support@google.com</email>"
        f"<report_id>{report_id}</report_id><date_range><begin>1704067200</begin><end>1704153599</end>"
        "</date_range></report_metadata><policy_published><domain>acme.test</domain><p>none</p><pct>100</pct>"
        f"</policy_published>{''.join(body)}</feedback>"
    )
    return gzip.compress(xml.encode(), mtime=0)


def row(case: str, files: int, records: int, times: list[float], passes: int) -> list[str]:
    best, median = min(times), statistics.median(times)

    def rate(n: float) -> str:
        return f"{n:,.1f}" if n < 100 else f"{n:,.0f}"

    return [
        case,
        f"{files * passes:,}",
        f"{records * passes:,}",
        str(len(times)),
        rate(files * passes / best),
        f"{records * passes / best:,.0f}",
        f"{records * passes / median:,.0f}",
    ]


def ingest_phase(count: int, records: int, progress: bool) -> list[str]:
    files = [(f"r{n}.xml.gz", big_report(records, f"ingest-{n}")) for n in range(count)]
    with tempfile.TemporaryDirectory() as tmp:
        container = bootstrap(Settings.from_env({}, data_dir=Path(tmp) / "data"), create_tables=True)
        try:
            started = time.perf_counter()
            for name, data in tqdm(files, desc="ingest", unit="report", disable=not progress):
                ingest_file(container, "bench", name, data)
            container.runner("dmarc", leader=False).catch_up()
            elapsed = time.perf_counter() - started
        finally:
            container.close()
    return row(f"ingest into SQLite + view ({records} records each)", count, count * records, [elapsed], 1)


def section(rows: list[list[str]], info: dict[str, str], command: str) -> str:
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "\n\n".join(
            [
                START,
                "## DMARC ingest (`scripts/bench/dmarc.py`)",
                f"Measured {date} with:\n\n```\n{command}\n```",
                "### Machine\n\n" + md_table(["", ""], [[k, v] for k, v in info.items()]),
                "### Figures\n\n" + md_table(HEADER, rows),
                "### Notes\n\n- A record is one `<record>` element of a report. Parsing is a guard "
                "pass of expat (DTDs and entities refused before anything expands), the C ElementTree, "
                "msgspec structs; gunzip and unzip are streamed with output caps.\n- `ingest` is what "
                "`POST /dmarc/upload` and the mailbox poller do per file (minus HTTP): one save per "
                "file, then the view's catch-up.",
                END,
            ]
        )
        + "\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--passes", type=int, default=20, help="corpus passes per round")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--big-records", type=int, default=10_000, help="records in the big report")
    p.add_argument("--ingest", type=int, default=200, help="reports stored in the ingest phase")
    p.add_argument("--ingest-records", type=int, default=50, help="records per stored report")
    p.add_argument("--quick", action="store_true", help="one pass, one round, few reports (a smoke run)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--markdown", action="store_true", help="refresh the section in docs/benchmarks.md")
    p.add_argument("--out", type=Path, help="refresh the section in this markdown file")
    args = p.parse_args(argv)
    if args.quick:
        args.passes, args.rounds, args.big_records, args.ingest = 1, 1, 500, 5
    load, files = load_average(), corpus()
    times = [
        parse_round(files, args.passes)
        for _ in tqdm(range(args.rounds), desc="corpus", disable=args.no_progress)
    ]
    rows = [row(f"corpus ({len(files)} good files)", len(files), records_in(files), times, args.passes)]
    big = [("big.xml.gz", big_report(args.big_records))]
    times = [
        parse_round(big, 1) for _ in tqdm(range(args.rounds), desc="big report", disable=args.no_progress)
    ]
    rows.append(row(f"big report ({args.big_records:,} records, gz)", 1, args.big_records, times, 1))
    rows.append(ingest_phase(args.ingest, args.ingest_records, not args.no_progress))
    print(text_table(HEADER, rows))
    if args.markdown or args.out:
        command = ".venv/bin/python -m scripts.bench.dmarc " + " ".join(
            argv if argv is not None else sys.argv[1:]
        )
        info = {k: v for k, v in machine(None, load).items() if k != "PostgreSQL"}
        write_section(args.out or DOCS, section(rows, info, command.strip()), start=START, end=END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
