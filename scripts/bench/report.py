"""Figures, the bars they must clear, the console table and the docs/benchmarks.md section."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

START = "<!-- bench:eventstore:start -->"
END = "<!-- bench:eventstore:end -->"
HEADER = """# Benchmarks

Measured figures of ledgermail's event store and read models, with the machine they were
measured on. Refresh a section by re-running its command; it rewrites only its own part
of this page. Figures from a shared 2-core machine are noisy: each rate is measured in
several rounds and both the best and the median are shown; bars are judged on the median.
"""


@dataclass(frozen=True)
class Figure:
    backend: str  # "sqlite" | "postgres"
    kind: str  # "append" | "catch-up" | "latency"
    case: str
    count: int  # events measured (latency: samples)
    first: float  # best events/s (latency: p50 seconds)
    second: float  # median events/s (latency: p99 seconds)
    rounds: int = 1

    def cells(self) -> list[str]:
        if self.kind == "latency":
            values = [f"p50 {self.first * 1000:.1f} ms", f"p99 {self.second * 1000:.1f} ms"]
        else:
            values = [f"{self.first:,.0f} ev/s", f"{self.second:,.0f} ev/s"]
        return [self.backend, self.kind, self.case, f"{self.count:,}", str(self.rounds), *values]


COLUMNS = ["backend", "measurement", "case", "events/samples", "rounds",
           "best (p50)", "median (p99)"]


@dataclass(frozen=True)
class Bar:
    backend: str
    kind: str
    case: str
    minimum: float

    def label(self) -> str:
        return f"{self.kind} {self.case} on {self.backend} >= {self.minimum:,.0f} ev/s (median)"

    def judge(self, figures: Sequence[Figure]) -> tuple[str, str]:
        got = [f for f in figures
               if (f.backend, f.kind, f.case) == (self.backend, self.kind, self.case)]
        if not got:
            return "not measured", "-"
        value = got[0].second
        return ("PASS" if value >= self.minimum else "FAIL"), f"{value:,.0f} ev/s"


PAGED_CASES = ("event_stats (paged)", "per-event rows (paged)")
BARS = [
    *(Bar("postgres", "catch-up", case, 20_000) for case in PAGED_CASES),
    *(Bar("sqlite", "catch-up", case, 50_000) for case in PAGED_CASES),
    Bar("postgres", "append", "batch 1000", 10_000),
]


METHOD = [
    "append: one `record()` (one transaction) per batch of one-event, message-sized "
    "aggregates; only the save is timed, spread over `rounds` rounds.",
    "catch-up (paged): `adapters.runner.ProjectionRunner.catch_up` from position 0 into a "
    "fresh scratch copy of the view, page size 1000, view rows and tracking position in one "
    "transaction per page; `event_stats` is the registered view, per-event rows writes one "
    "row per event.",
    "catch-up (library): `eventsourcing.projection.ProjectionRunner` with a tracking-recorder "
    "view that writes its row and tracking record in one transaction per event, from "
    "position 0; on SQLite (no library subscriptions) a 50 ms polled "
    "`ListenNotifySubscription` stands in for NOTIFY.",
    "the paged figures include two changes made with this benchmark: PostgreSQL view "
    "writes of a plain `INSERT ... VALUES` page go as one `INSERT ... SELECT FROM unnest` "
    "(`adapters/sqldb.py`), and SQLite pages are read without converting every originator "
    "id to a UUID (`adapters/runner.py`).",
    "latency: from the start of a save of 10 events to the live `event_stats` runner "
    "(`Container.start_projections`) committing that position; in-process the save wakes it "
    "through the WakeHub; in the LISTEN/NOTIFY mode the writer is another container, so "
    "only NOTIFY (or the 0.5 s poll) wakes it.",
]


def verdicts(figures: Sequence[Figure]) -> list[list[str]]:
    return [[bar.label(), *bar.judge(figures)] for bar in BARS]


def comparisons(figures: Sequence[Figure]) -> list[str]:
    """The paged runner against the library's per-event runner, per backend."""
    out = []
    for backend in ("sqlite", "postgres"):
        by_case = {f.case: f for f in figures if f.backend == backend and f.kind == "catch-up"}
        paged, library = by_case.get(PAGED_CASES[1]), by_case.get("per-event rows (library)")
        if paged and library:
            out.append(f"{backend}: paged {paged.second:,.0f} ev/s vs library "
                       f"{library.second:,.0f} ev/s per-event rows: "
                       f"{paged.second / library.second:.0f}x")
    return out


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=False))
             for line in [header, ["-" * w for w in widths], *rows]]
    return "\n".join(line.rstrip() for line in lines)


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(str(c) for c in line) + " |" for line in lines)


def markdown_section(figures: Sequence[Figure], machine: dict[str, str], command: str,
                     date: str, notes: Sequence[str]) -> str:
    parts = [
        START,
        "## Event store and projections (`scripts/bench/eventstore.py`)",
        f"Measured {date} with:\n\n```\n{command}\n```",
        "### Machine\n\n" + md_table(["", ""], [[k, v] for k, v in machine.items()]),
        "### Figures\n\n" + md_table(COLUMNS, [f.cells() for f in figures]),
        "### Bars\n\n" + md_table(["bar", "result", "measured"], verdicts(figures)),
    ]
    parts.append("### Notes\n\n" + "\n".join(f"- {n}" for n in [*notes, *METHOD]))
    parts.append(END)
    return "\n\n".join(parts) + "\n"


def write_section(path: Path, section: str, *, start: str = START, end: str = END) -> None:
    """Replace one benchmark's section of ``path`` (or append it), leaving the rest."""
    text = path.read_text() if path.exists() else HEADER
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end) + r"\n?", re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
