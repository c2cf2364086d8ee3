"""The dispatch benchmark's figures, bars and its own section of docs/benchmarks.md."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scripts.bench.report import md_table
from scripts.bench.report import write_section as shared_write_section

START = "<!-- bench:dispatch:start -->"
END = "<!-- bench:dispatch:end -->"
COLUMNS = ["backend", "measurement", "case", "messages", "rounds", "best", "median", "notes"]
INGEST_BAR = 10_000  # msg/s, PostgreSQL
DELIVERY_BAR = 60.0  # % of the raw ceiling


@dataclass(frozen=True)
class Row:
    backend: str  # "-" for the raw ceiling
    kind: str  # "raw ceiling" | "ingest" | "end to end"
    case: str
    count: int
    best: float  # msg/s
    median: float  # msg/s
    rounds: int = 1
    notes: str = ""
    cpu_ms: float | None = None  # CPU of every process involved, per message (cpu_account)

    def cells(self) -> list[str]:
        return [self.backend, self.kind, self.case, f"{self.count:,}", str(self.rounds),
                f"{self.best:,.0f} msg/s", f"{self.median:,.0f} msg/s", self.notes]


def _find(rows: Sequence[Row], backend: str, kind: str) -> Row | None:
    return next((r for r in rows if (r.backend, r.kind) == (backend, kind)), None)


def verdicts(rows: Sequence[Row]) -> list[list[str]]:
    out = []
    ingest = _find(rows, "postgres", "ingest")
    label = f"ingest on postgres >= {INGEST_BAR:,} msg/s (median)"
    if ingest is None:
        out.append([label, "not measured", "-"])
    else:
        out.append([label, "PASS" if ingest.median >= INGEST_BAR else "FAIL",
                    f"{ingest.median:,.0f} msg/s"])
    ceiling = _find(rows, "-", "raw ceiling")
    for backend in ("sqlite", "postgres"):
        runs = [r for r in rows if (r.backend, r.kind) == (backend, "end to end")]
        if not runs or ceiling is None:
            label = f"end-to-end delivery on {backend} >= {DELIVERY_BAR:.0f} % of the raw ceiling"
            out.append([label, "not measured", "-"])
            continue
        for e2e in runs:  # one per layout: the dispatcher in process, or a process of its own
            label = (f"end-to-end delivery on {backend} ({e2e.case.split(',')[0]}) >= "
                     f"{DELIVERY_BAR:.0f} % of the raw ceiling")
            share = 100 * e2e.median / ceiling.median
            out.append([label, "PASS" if share >= DELIVERY_BAR else "FAIL",
                        f"{share:.1f} % ({e2e.median:,.0f} of {ceiling.median:,.0f} msg/s)"])
    return out


METHOD = [
    "sink: `scripts/bench/dispatch_sink.py`, a minimal asyncio SMTP server in a process of "
    "its own on loopback; it accepts everything and only counts messages.",
    "raw ceiling: aiosmtplib `sendmail` of a ~0.6 kB message over as many persistent "
    "connections as the dispatcher's pool has (`smtp.pool_size_per_key`), one transaction "
    "at a time on each; no application code.",
    "ingest: `SendingApplication.queue_messages` with a `ValidationContext` built as "
    "`api/enqueue.py` builds it (instance config, tenant, accounts view), 1000 messages "
    "per call (one save); no projections or dispatcher running; fresh store.",
    "end to end: a fresh store and `Container(create_tables=True)`, all projections and one "
    "dispatcher running, account `batch_size` 1000 and "
    "`max_concurrency` 100; the clock starts at the first `queue_messages` call (1000 per "
    "call) and stops when the sink has all messages and the `messages` view shows every one "
    "`sent` (so each `Message.Sent` is persisted and projected). One round per backend.",
    "layouts: *in process*, the dispatcher (`Container.start_dispatcher`) runs in the "
    "benchmark's process beside the projection group and the queueing calls (one GIL); "
    "*dispatcher process*, it runs as `ledgermail worker --role dispatch` (the deployment of "
    "docs/scaling.md) and the projections stay in the benchmark's process. Either way the "
    "sink, the dispatcher, the projections (and PostgreSQL) share the machine's cores.",
    "latency: `sent_ts - accepted_ts` of the `messages` rows of the end-to-end run; it "
    "includes the time a message waits in the queue behind the ones queued before it.",
    "CPU per message (`scripts/bench/cpu_account.py`): user + system CPU read from /proc at "
    "the start and end of the timed span, per role (the benchmark's process, the dispatcher "
    "process, the sink, every `postgres` server process), divided by the messages. For the "
    "raw ceiling it is aiosmtplib and the sink alone: the floor any delivery pays. The "
    "comparison lines put the run's total against what the delivery bar allows on this "
    "machine's cores (cores / the bar's msg/s); ADR 0032.",
]


def write_section(path: Path, section: str) -> None:
    """Replace the dispatch section of ``path`` (or append it), leaving the rest."""
    shared_write_section(path, section, start=START, end=END)


def markdown_section(rows: Sequence[Row], machine: dict[str, str], command: str, date: str,
                     notes: Sequence[str]) -> str:
    parts = [
        START,
        "## Dispatch: ingest and delivery (`scripts/bench/dispatch.py`)",
        f"Measured {date} with:\n\n```\n{command}\n```",
        "### Machine\n\n" + md_table(["", ""], [[k, v] for k, v in machine.items()]),
        "### Figures\n\n" + md_table(COLUMNS, [r.cells() for r in rows]),
        "### Bars\n\n" + md_table(["bar", "result", "measured"], verdicts(rows)),
        "### Notes\n\n" + "\n".join(f"- {n}" for n in [*notes, *METHOD]),
        END,
    ]
    return "\n\n".join(parts) + "\n"
