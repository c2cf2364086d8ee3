"""A self-contained HTML deliverability report: sends, delivery/bounce/complaint rates over
time by recipient domain, DMARC alignment and health trips. One file, inline SVG charts, no
external URLs: open it in any browser, mail it, archive it.

    ledgermail report --out report.html [--tenant T] [--since] [--until] [--bucket day|hour]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

import polars as pl
from tqdm import tqdm

from adapters.bootstrap import Container, bootstrap
from adapters.history.pg_select import history_sources
from adapters.history.reader import EventFilter, HistoryReader
from adapters.settings import Settings
from scripts import report_data as data
from scripts.history_args import moment
from scripts.report_svg import bar_chart, line_chart, percent

STYLE = """body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.empty{color:#888;font-style:italic}
h2{border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:2em}.note{color:#555;font-size:90%}"""


def _table(df: pl.DataFrame, rates: Sequence[str] = ()) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in df.columns)
    body = []
    for row in df.iter_rows():
        cells = []
        for name, value in zip(df.columns, row, strict=True):
            shown = (
                "-"
                if value is None
                else (
                    percent(value)
                    if name in rates
                    else f"{value:,}"
                    if isinstance(value, int)
                    else str(value)
                )
            )
            cells.append(f"<td>{escape(shown)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _empty(what: str) -> str:
    return f'<p class="empty">No data yet: no {escape(what)} events in this range.</p>'


RATES = ("delivery_rate", "bounce_rate", "complaint_rate")


def sending_sections(outcomes: pl.DataFrame, labels: list[str]) -> list[str]:
    if outcomes.is_empty():
        return ["<h2>Sends and outcomes</h2>", _empty("send outcome")]
    totals = data.outcome_counts(outcomes, ["bucket"])
    top = data.top_domains(outcomes)
    grouped = outcomes.with_columns(
        domain=pl.when(pl.col("domain").is_in(top)).then(pl.col("domain")).otherwise(pl.lit("other"))
    )
    per_domain = data.outcome_counts(grouped, ["bucket", "domain"])
    names = [*top, *(["other"] if "other" in per_domain["domain"].to_list() else [])]
    sends = {d: data.series(per_domain.filter(pl.col("domain") == d), labels, "sent", 0) for d in names}
    rates = {r.replace("_rate", ""): data.series(totals, labels, r) for r in RATES}
    overall = data.outcome_counts(outcomes.with_columns(domain=pl.lit("all")), ["domain"])
    parts = [
        "<h2>Sends and outcomes</h2>",
        _table(overall, RATES),
        bar_chart("Sends by recipient domain", labels, sends),
        line_chart("Delivery, bounce and complaint rates (all domains)", labels, rates, percent),
    ]
    for rate in ("bounce_rate", "complaint_rate"):
        lines = {d: data.series(per_domain.filter(pl.col("domain") == d), labels, rate) for d in names}
        parts.append(
            line_chart(f"{rate.replace('_', ' ').capitalize()} by recipient domain", labels, lines, percent)
        )
    by_domain = data.outcome_counts(outcomes, ["domain"]).sort("sent", descending=True)
    parts += [
        "<h3>By recipient domain</h3>",
        _table(by_domain, RATES),
        '<p class="note">Rates are per message sent in the same bucket; a bounce or complaint counts '
        "in the bucket it arrived in. Delivered = sent - bounced.</p>",
    ]
    return parts


def dmarc_section(dmarc: pl.DataFrame, labels: list[str]) -> list[str]:
    parts = ["<h2>DMARC alignment</h2>"]
    if dmarc.is_empty():
        return [*parts, _empty("DMARC report")]
    daily = (
        dmarc.group_by("bucket")
        .agg(
            reports=pl.len(),
            total=pl.col("total").sum(),
            passed=pl.col("pass").sum(),
            failed=pl.col("fail").sum(),
        )
        .sort("bucket")
    )
    daily = daily.with_columns(
        alignment=pl.when(pl.col("passed") + pl.col("failed") > 0)
        .then(pl.col("passed") / (pl.col("passed") + pl.col("failed")))
        .otherwise(None)
    )
    chart = line_chart(
        "DMARC alignment rate", labels, {"aligned": data.series(daily, labels, "alignment")}, percent
    )
    return [*parts, chart, _table(daily, ("alignment",))]


def health_section(health: pl.DataFrame, labels: list[str]) -> list[str]:
    parts = ["<h2>Health trips</h2>"]
    if health.is_empty():
        return [*parts, _empty("health bucket")]
    counts = health.group_by(["bucket", "topic"]).len()
    topics = sorted(set(counts["topic"].to_list()))
    chart = bar_chart(
        "Health events",
        labels,
        {t: data.series(counts.filter(pl.col("topic") == t), labels, "len", 0) for t in topics},
    )
    recent = health.sort("ts", descending=True).head(50).select("bucket", "tenant", "topic", "detail")
    return [*parts, chart, "<h3>Latest 50</h3>", _table(recent)]


def render(frames: data.Frames, title: str, bucket: str, scope: str) -> str:
    outcomes = data.frame(frames.outcomes, data.OUTCOME_SCHEMA, bucket)
    dmarc = data.frame(frames.dmarc, data.DMARC_SCHEMA, bucket)
    health = data.frame(frames.health, data.HEALTH_SCHEMA, bucket)
    labels = data.buckets_of(outcomes, dmarc, health)
    made = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="note">{escape(scope)} · {frames.events:,} events read · generated {made}</p>',
        *sending_sections(outcomes, labels),
        *dmarc_section(dmarc, labels),
        *health_section(health, labels),
    ]
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n"
    )


def build(container: Container, flt: EventFilter, bucket: str, *, progress: bool = False) -> str:
    reader = HistoryReader(history_sources(container.sources(), container.db))
    with tqdm(
        total=reader.total(flt), desc="report", unit="ev", file=sys.stderr, disable=not progress
    ) as bar:

        def decoded() -> Any:
            for page in reader.pages(flt):
                bar.update(page.read)
                yield from page.events

        frames = data.collect(decoded())
    scope = f"tenant {flt.tenant_id}" if flt.tenant_id else "all tenants"
    return render(frames, "ledgermail deliverability report", "1d" if bucket == "day" else "1h", scope)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, required=True, help="HTML file to write")
    p.add_argument("--tenant", help="only this tenant")
    p.add_argument("--since", type=moment, help="events at or after this time (unix s or ISO-8601)")
    p.add_argument("--until", type=moment, help="events before this time")
    p.add_argument("--bucket", choices=["day", "hour"], default="day", help="time bucket (day)")
    p.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    flt = EventFilter(tenant_id=args.tenant, since=args.since, until=args.until)
    container = bootstrap(Settings.from_env())
    try:
        html = build(container, flt, args.bucket, progress=not args.no_progress)
    finally:
        container.close()
    args.out.write_text(html)
    print(f"ledgermail report: wrote {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ledgermail report", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
