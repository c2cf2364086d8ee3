"""The report's numbers: decoded events folded into polars frames (outcomes, DMARC, health).

The DMARC and health sections read events generically by topic prefix, so they fill in as
soon as the contexts that append those events exist; until then they are empty frames.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
import polars as pl

from adapters.history.reader import Decoded, payload_of
from domain.sending.message_state import shown_recipient

OUTCOMES = {
    "Message.Sent": "sent",
    "Message.Bounced": "bounced",
    "Message.Complained": "complained",
    "Message.Failed": "failed",
    "Message.Deferred": "deferred",
}
DMARC_PREFIXES = ("DmarcReport.",)
HEALTH_PREFIXES = ("HealthBucket.",)
# names the DMARC section looks for in a report event's payload (console.md §11 terms)
DMARC_FIELDS = {
    "total": ("total_messages", "totalMessages", "message_count"),
    "pass": ("pass_count", "passCount", "aligned_count"),
    "fail": ("fail_count", "failCount", "unaligned_count"),
}
OUTCOME_SCHEMA = {
    "ts": pl.Float64,
    "tenant": pl.String,
    "domain": pl.String,
    "kind": pl.String,
    "bounce_type": pl.String,
}
DMARC_SCHEMA = {
    "ts": pl.Float64,
    "tenant": pl.String,
    "topic": pl.String,
    "total": pl.Int64,
    "pass": pl.Int64,
    "fail": pl.Int64,
}
HEALTH_SCHEMA = {"ts": pl.Float64, "tenant": pl.String, "topic": pl.String, "detail": pl.String}


def domain_of(address: str) -> str:
    addr = address.rpartition("<")[2].rstrip(">").strip()
    return addr.rpartition("@")[2].lower() or "unknown"


class Frames(msgspec.Struct):
    outcomes: list[dict[str, Any]] = []
    dmarc: list[dict[str, Any]] = []
    health: list[dict[str, Any]] = []
    events: int = 0


def collect(decoded: Iterable[Decoded]) -> Frames:
    frames = Frames()
    domains: dict[Any, str] = {}  # message aggregate -> first recipient's domain
    for d in decoded:
        frames.events += 1
        event, topic = d.event, type(d.event).TOPIC
        if topic in ("Message.Queued", "Message.Updated"):
            to = event.content.to  # type: ignore[attr-defined]
            domains[event.originator_id] = domain_of(to[0]) if to else "unknown"
        elif topic in OUTCOMES:
            recipient = shown_recipient(event) if hasattr(event, "recipient") else None
            domain = domain_of(recipient) if recipient else domains.get(event.originator_id, "unknown")
            frames.outcomes.append(
                {
                    "ts": event.timestamp,
                    "tenant": d.tenant_id,
                    "domain": domain,
                    "kind": OUTCOMES[topic],
                    "bounce_type": getattr(event, "bounce_type", None),
                }
            )
        elif topic.startswith(DMARC_PREFIXES):
            frames.dmarc.append(_dmarc_row(d))
        elif topic.startswith(HEALTH_PREFIXES):
            detail = msgspec.json.encode(payload_of(event)).decode()
            frames.health.append(
                {"ts": event.timestamp, "tenant": d.tenant_id, "topic": topic, "detail": detail[:300]}
            )
    return frames


def _dmarc_row(d: Decoded) -> dict[str, Any]:
    payload = msgspec.to_builtins(payload_of(d.event))
    row: dict[str, Any] = {"ts": d.event.timestamp, "tenant": d.tenant_id, "topic": type(d.event).TOPIC}
    for name, keys in DMARC_FIELDS.items():
        row[name] = next((int(payload[k]) for k in keys if isinstance(payload.get(k), int | float)), None)
    return row


def frame(rows: list[dict[str, Any]], schema: dict[str, Any], bucket: str) -> pl.DataFrame:
    """Rows with a ``bucket`` column: the UTC day or hour of the event's time."""
    df = pl.DataFrame(rows, schema=schema)
    when = (pl.col("ts") * 1_000_000).round().cast(pl.Int64).cast(pl.Datetime("us", "UTC"))
    fmt = "%Y-%m-%d" if bucket == "1d" else "%Y-%m-%d %H:00"
    return df.with_columns(bucket=when.dt.truncate(bucket).dt.strftime(fmt))


def buckets_of(*frames: pl.DataFrame) -> list[str]:
    seen: set[str] = set()
    for f in frames:
        seen.update(f["bucket"].to_list())
    return sorted(seen)


def outcome_counts(outcomes: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Counts per ``by`` of each outcome, and the rates the report plots (per sent message)."""
    counts = outcomes.group_by(by).agg(
        sent=(pl.col("kind") == "sent").sum(),
        bounced=(pl.col("kind") == "bounced").sum(),
        hard=((pl.col("kind") == "bounced") & (pl.col("bounce_type") == "hard")).sum(),
        complained=(pl.col("kind") == "complained").sum(),
        failed=(pl.col("kind") == "failed").sum(),
        deferred=(pl.col("kind") == "deferred").sum(),
    )
    sent = pl.col("sent").cast(pl.Float64)
    rate = lambda c: pl.when(sent > 0).then(pl.col(c) / sent).otherwise(None)  # noqa: E731
    return counts.with_columns(
        delivery_rate=pl.when(sent > 0).then(((sent - pl.col("bounced")) / sent).clip(0, 1)).otherwise(None),
        bounce_rate=rate("bounced"),
        complaint_rate=rate("complained"),
    ).sort(by)


def top_domains(outcomes: pl.DataFrame, n: int = 5) -> list[str]:
    sent = (
        outcomes.filter(pl.col("kind") == "sent")
        .group_by("domain")
        .len()
        .sort(["len", "domain"], descending=[True, False])
    )
    return sent["domain"].head(n).to_list()


def series(table: pl.DataFrame, labels: list[str], column: str, fill: Any = None) -> list[Any]:
    by_bucket = dict(zip(table["bucket"].to_list(), table[column].to_list(), strict=True))
    return [by_bucket.get(label, fill) for label in labels]
