"""What ``GET /dmarc`` shows (console.md §13), computed from the ``dmarc`` view's rows: per
domain (the 200 newest reports) with its 14-day alignment series and ladder step, and per
source (30 days, top 50 by volume, per source IP + domain) with its tag.

Pure functions of rows, tags and the service time, so the same rows always give the same
answer (and a rebuilt view the same page).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import msgspec

from domain.reputation.dmarc_ladder import WINDOW_DAYS, LadderInput, progression
from projections.dmarc import ReportRow, SourceRow, TagRow

DAY = 86_400
SERIES_DAYS = 14
TOP_SOURCES = 50


def iso(ts: float) -> str:
    moment = dt.datetime.fromtimestamp(ts, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Tag(msgspec.Struct, frozen=True):
    label: str
    ignored: bool
    source: str  # config | db


class SeriesPoint(msgspec.Struct, frozen=True, rename="camel"):
    day: str
    alignment_rate: float | None


class DomainRollup(msgspec.Struct, frozen=True, rename="camel"):
    domain: str
    pass_count: int
    fail_count: int
    total_messages: int
    report_count: int
    latest_range_end: str | None
    alignment_rate: float | None
    current_policy: str | None
    current_pct: int | None
    current_testing: bool
    progression: dict[str, object] | None
    progression_blocked_by: str | None
    series: list[SeriesPoint]


class SourceRollup(msgspec.Struct, frozen=True, rename="camel"):
    source_ip: str
    domain: str
    total_messages: int
    pass_count: int
    fail_count: int
    days_seen: int
    last_seen: str
    dkim_result: str
    spf_result: str
    disposition_applied: str
    label: str | None
    ignored: bool
    tag_source: str | None


def merged_tags(config: dict[str, Tag], db: dict[str, TagRow]) -> dict[str, Tag]:
    """DB tags override ``dmarc.knownSources`` per IP."""
    return {**config, **{ip: Tag(t.label, t.ignored, "db") for ip, t in db.items()}}


def series(reports: list[ReportRow], today: dt.date) -> list[SeriesPoint]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in reports:
        totals[r.day][0] += r.pass_count
        totals[r.day][1] += r.total
    days = [(today - dt.timedelta(days=n)).isoformat() for n in range(SERIES_DAYS - 1, -1, -1)]
    return [
        SeriesPoint(d, totals[d][0] / totals[d][1] if totals.get(d) and totals[d][1] else None) for d in days
    ]


def _ladder(reports: list[ReportRow], rows: list[SourceRow], tags: dict[str, Tag], now: float) -> LadderInput:
    newest = reports[0]
    recent = [r for r in reports if r.range_end >= now - WINDOW_DAYS * DAY]
    failing = {w.source_ip for w in rows if not w.aligned and w.range_end >= now - WINDOW_DAYS * DAY}
    full = {r.day for r in recent if r.policy_p == "quarantine" and r.policy_pct in (None, 100)}
    passed = sum(r.pass_count for r in recent)
    return LadderInput(
        policy=newest.policy_p,
        pct=newest.policy_pct,
        testing=newest.testing,
        reports=len(recent),
        messages=sum(r.total for r in recent),
        passed=passed,
        failed=sum(r.total for r in recent) - passed,
        unknown_failing_sources=len(failing - set(tags)),
        full_quarantine_days=len(full),
    )


def domain_rollups(
    newest: list[ReportRow], window: list[ReportRow], rows: list[SourceRow], tags: dict[str, Tag], now: float
) -> list[DomainRollup]:
    """``newest``: the 200 newest reports; ``window``: every report of the last 30 days."""
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    by_domain: dict[str, list[ReportRow]] = defaultdict(list)
    for r in newest:
        by_domain[r.domain].append(r)
    out = []
    for domain, reports in by_domain.items():
        passed, total = sum(r.pass_count for r in reports), sum(r.total for r in reports)
        mine = [r for r in window if r.domain == domain] or reports[:1]
        step = progression(_ladder(mine, [w for w in rows if w.domain == domain], tags, now))
        out.append(
            DomainRollup(
                domain=domain,
                pass_count=passed,
                fail_count=total - passed,
                total_messages=total,
                report_count=len(reports),
                latest_range_end=iso(max(r.range_end for r in reports)),
                alignment_rate=passed / total if total else None,
                current_policy=reports[0].policy_p,
                current_pct=reports[0].policy_pct,
                current_testing=reports[0].testing,
                progression=msgspec.to_builtins(step.step) if step.step else None,
                progression_blocked_by=step.blocked_by,
                series=series(mine, today),
            )
        )
    return sorted(out, key=lambda d: d.domain)


def _main_row(rows: list[SourceRow]) -> SourceRow:
    volume: dict[tuple[str, str, str], int] = defaultdict(int)
    for w in rows:
        volume[(w.dkim, w.spf, w.disposition)] += w.messages
    key = max(volume, key=lambda k: (volume[k], k))
    return next(w for w in rows if (w.dkim, w.spf, w.disposition) == key)


def source_rollups(rows: list[SourceRow], tags: dict[str, Tag]) -> list[SourceRollup]:
    """Per (source IP, domain) over the rows given (the caller picks the last 30 days)."""
    groups: dict[tuple[str, str], list[SourceRow]] = defaultdict(list)
    for w in rows:
        groups[(w.source_ip, w.domain)].append(w)
    out = []
    for (ip, domain), mine in groups.items():
        total = sum(w.messages for w in mine)
        passed = sum(w.messages for w in mine if w.aligned)
        main, tag = _main_row(mine), tags.get(ip)
        out.append(
            SourceRollup(
                source_ip=ip,
                domain=domain,
                total_messages=total,
                pass_count=passed,
                fail_count=total - passed,
                days_seen=len({w.day for w in mine}),
                last_seen=iso(max(w.range_end for w in mine)),
                dkim_result=main.dkim,
                spf_result=main.spf,
                disposition_applied=main.disposition,
                label=tag.label if tag else None,
                ignored=bool(tag and tag.ignored),
                tag_source=tag.source if tag else None,
            )
        )
    out.sort(key=lambda s: (-s.total_messages, s.source_ip, s.domain))
    return out[:TOP_SOURCES]
