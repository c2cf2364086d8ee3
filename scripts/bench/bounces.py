"""Bounce parse throughput: the corpus of ``tests/corpus/bounces`` through the parser and the
classification table, messages per second (issue 6's bar: the figure in docs/benchmarks.md).

    .venv/bin/python -m scripts.bench.bounces --markdown

Each round parses every corpus mail ``--passes`` times (parse + classify every recipient);
the best and the median round are shown. Pure CPU: no database, no network.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from adapters.bounces import parse_report
from scripts.bench.report import md_table, text_table, write_section
from scripts.bench.stores import load_average, machine

CORPUS = Path(__file__).resolve().parents[2] / "tests" / "corpus" / "bounces"
START, END = "<!-- bench:bounces:start -->", "<!-- bench:bounces:end -->"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"


def corpus() -> list[bytes]:
    return [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]


def one_round(mails: Sequence[bytes], passes: int) -> float:
    """Messages per second over ``passes`` passes of the corpus."""
    started = time.perf_counter()
    for _ in range(passes):
        for raw in mails:
            report = parse_report(raw)
            for finding in report.findings:
                finding.verdict()
    return passes * len(mails) / (time.perf_counter() - started)


def section(rows: list[list[str]], info: dict[str, str], command: str) -> str:
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n\n".join([
        START,
        "## Bounce parsing (`scripts/bench/bounces.py`)",
        f"Measured {date} with:\n\n```\n{command}\n```",
        "### Machine\n\n" + md_table(["", ""], [[k, v] for k, v in info.items()]),
        "### Figures\n\n" + md_table(["case", "mails per round", "rounds", "best", "median"], rows),
        "### Notes\n\n- One round parses the whole corpus (DSN, ARF, heuristic bounces and ignored "
        "mail, as they come) `passes` times and classifies every recipient; stdlib `email` "
        "parsing dominates.\n- The IMAP poller and `POST /bounces/inbound` add one event-store "
        "save per mail on top of this.",
        END,
    ]) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--passes", type=int, default=40, help="corpus passes per round")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="one pass, one round (a smoke run)")
    p.add_argument("--markdown", action="store_true", help="refresh the section in docs/benchmarks.md")
    p.add_argument("--out", type=Path, help="refresh the section in this markdown file")
    args = p.parse_args(argv)
    passes, rounds = (1, 1) if args.quick else (args.passes, args.rounds)
    load = load_average()
    mails = corpus()
    rates = [one_round(mails, passes) for _ in range(rounds)]
    rows = [[f"corpus of {len(mails)} mails", f"{passes * len(mails):,}", str(rounds),
             f"{max(rates):,.0f} msg/s", f"{statistics.median(rates):,.0f} msg/s"]]
    print(text_table(["case", "mails per round", "rounds", "best", "median"], rows))
    if args.markdown or args.out:
        command = ".venv/bin/python -m scripts.bench.bounces " + " ".join(argv or sys.argv[1:])
        info = {k: v for k, v in machine(None, load).items() if k != "PostgreSQL"}  # not used here
        write_section(args.out or DOCS, section(rows, info, command.strip()), start=START, end=END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
