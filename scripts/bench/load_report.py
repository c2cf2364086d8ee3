"""Figures of a load run: latency per endpoint, error rate, resident memory of each server
process over time (start, end, slope) judged against the documented bound, an SVG of the
memory, and the docs/benchmarks.md section."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scripts.bench.load_traffic import OK, Stats
from scripts.bench.phases import percentile
from scripts.bench.report import md_table, text_table
from scripts.report_svg import line_chart

START, END = "<!-- bench:load:start -->", "<!-- bench:load:end -->"
# The memory bound (docs/scaling.md): after the warm-up (the first tenth of the run, at least
# 30 s: imports, pools, caches filling) no process may grow by more than a quarter of its
# post-warm-up size plus 32 MiB by the end, and none may keep growing faster than 2 MiB a
# minute over the run's second half (a leak shows as a steady slope, a cache as a plateau).
GROWTH_FRACTION, GROWTH_MIB, SLOPE_MIB_PER_MIN = 0.25, 32.0, 2.0


def warmup_seconds(duration: float) -> float:
    return min(duration / 2, max(30.0, duration / 10))


def latency_rows(stats: Stats, seconds: float) -> list[list[str]]:
    rows = []
    for kind, values in stats.latencies.items():
        if not values:
            rows.append([kind, "0", "-", "-", "-", "-", str(stats.errors[kind])])
            continue
        rows.append([kind, f"{len(values):,}", f"{len(values) / seconds:,.1f}/s",
                     f"{percentile(values, 50) * 1000:,.1f} ms", f"{percentile(values, 99) * 1000:,.1f} ms",
                     f"{max(values) * 1000:,.0f} ms", f"{stats.errors[kind]:,}"])
    total = stats.total
    rate = stats.failed / total if total else 0.0
    rows.append(["all", f"{total:,}", f"{total / seconds:,.1f}/s", "", "", "",
                 f"{stats.failed:,} ({rate:.3%})"])
    return rows


LATENCY_COLUMNS = ["endpoint", "requests", "rate", "p50", "p99", "max", "errors"]
MEMORY_COLUMNS = ["process", "RSS after warm-up", "RSS at end", "growth", "slope 2nd half", "bound"]


@dataclass(frozen=True)
class Memory:
    label: str
    start: float  # MiB, first sample after the warm-up
    end: float
    slope: float | None  # MiB per minute, least squares over the second half (None: too short)

    @property
    def passed(self) -> bool:
        grown_ok = self.end <= self.start * (1 + GROWTH_FRACTION) + GROWTH_MIB
        return grown_ok and (self.slope is None or self.slope <= SLOPE_MIB_PER_MIN)

    def cells(self) -> list[str]:
        trend = "n/a (run too short)" if self.slope is None else f"{self.slope:+.2f} MiB/min"
        return [self.label, f"{self.start:,.1f} MiB", f"{self.end:,.1f} MiB",
                f"{self.end - self.start:+,.1f} MiB", trend, "PASS" if self.passed else "FAIL"]


def slope(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope in MiB per minute (0 with fewer than two points)."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx, my = sum(p[0] for p in points) / n, sum(p[1] for p in points) / n
    var = sum((p[0] - mx) ** 2 for p in points)
    return 0.0 if var == 0 else 60 * sum((p[0] - mx) * (p[1] - my) for p in points) / var


MIN_SLOPE_SPAN = 60.0  # a slope over less than a minute of samples says nothing about a leak


def memory(samples: dict[str, list[tuple[float, float]]], duration: float) -> list[Memory]:
    warm, half = warmup_seconds(duration), duration / 2
    out = []
    for label, points in sorted(samples.items()):
        after = [p for p in points if p[0] >= warm] or points
        second_half = [p for p in points if p[0] >= half] or after
        span = second_half[-1][0] - second_half[0][0]
        out.append(Memory(label, after[0][1], points[-1][1],
                          slope(second_half) if span >= MIN_SLOPE_SPAN else None))
    return out


def failures(stats: Stats) -> str:
    """What the failed requests answered, per endpoint (``open: ReadTimeout 1``)."""
    out = []
    for kind, statuses in stats.statuses.items():
        bad = {s: n for s, n in statuses.items() if not s.isdigit() or int(s) not in OK[kind]}
        out += [f"{kind}: {status} x{n}" for status, n in sorted(bad.items())]
    return "; ".join(out) or "none"


def svg(samples: dict[str, list[tuple[float, float]]], title: str) -> str:
    """RSS (MiB) of each process over time; one x label per sample round."""
    times = sorted({round(t) for points in samples.values() for t, _ in points})
    index = {t: i for i, t in enumerate(times)}
    series: dict[str, list[float | None]] = {}
    for label, points in sorted(samples.items()):
        line: list[float | None] = [None] * len(times)
        for t, mib in points:
            line[index[round(t)]] = mib
        series[label] = line
    return line_chart(title, [f"{t}s" for t in times], series, fmt=lambda v: f"{v:,.0f} MiB")


def console(stats: Stats, seconds: float, mem: list[Memory]) -> str:
    return "\n\n".join([text_table(LATENCY_COLUMNS, latency_rows(stats, seconds)),
                        f"failed requests: {failures(stats)}",
                        text_table(MEMORY_COLUMNS, [m.cells() for m in mem])])


def markdown(stats: Stats, seconds: float, mem: list[Memory], *, command: str, date: str,
             machine: dict[str, str], setup: str, notes: Sequence[str]) -> str:
    bound = (f"after the warm-up ({warmup_seconds(seconds):.0f} s) each process ends at most "
             f"{GROWTH_FRACTION:.0%} + {GROWTH_MIB:.0f} MiB above its post-warm-up RSS, and its RSS "
             f"slope over the second half is at most {SLOPE_MIB_PER_MIN:g} MiB/min")
    parts = [
        START,
        "## Load (`scripts/bench/load.py`, issue #12)",
        f"Measured {date} with:\n\n```\n{command}\n```\n\n{setup}",
        "### Latency and errors\n\n" + md_table(LATENCY_COLUMNS, latency_rows(stats, seconds))
        + f"\n\nFailed requests: {failures(stats)}.",
        "### Resident memory\n\nThe bound: " + bound + ".\n\n"
        + md_table(MEMORY_COLUMNS, [m.cells() for m in mem]),
        "### Machine\n\n" + md_table(["", ""], [[k, v] for k, v in machine.items()]),
    ]
    if notes:
        parts.append("### Notes\n\n" + "\n".join(f"- {n}" for n in notes))
    parts.append(END)
    return "\n\n".join(parts) + "\n"
