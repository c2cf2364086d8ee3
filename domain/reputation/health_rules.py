"""The circuit breaker's rules (console.md §11): counters, rates, thresholds, the verdict.

Pure functions of a bucket's window counters and the tenant's ``health`` settings, so the
evaluator, ``GET /health`` and a rebuild all reach the same status from the same numbers.
"""

from __future__ import annotations

from typing import Literal

import msgspec

HealthStatus = Literal["healthy", "review", "degraded", "tripped"]
SEVERITY: dict[str, int] = {"healthy": 0, "degraded": 1, "review": 2, "tripped": 3}
KINDS = ("marketing", "transactional")
ROLLUP = "agg"


class HealthSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """``settings.health`` (console.md §11); ``Pct`` values are percentages."""

    window_minutes: float = 60
    min_sends_before_eval: int = 100
    hard_bounce_rate_pct_review: float = 1
    complaint_rate_pct_review: float = 0.1
    combined_bounce_rate_pct_review: float = 2
    hard_bounce_rate_pct_trip: float = 2
    complaint_rate_pct_trip: float = 0.3
    combined_bounce_rate_pct_trip: float = 5
    failed_to_send_rate_pct_degrade: float = 10
    hold_transactional_on_trip: bool = False

    def __post_init__(self) -> None:
        if self.window_minutes <= 0 or self.min_sends_before_eval < 0:
            raise ValueError("health.windowMinutes must be > 0 and minSendsBeforeEval >= 0")


class Counters(msgspec.Struct, frozen=True, rename="camel"):
    sent: int = 0
    delivered: int = 0
    bounced: int = 0
    hard_bounced: int = 0
    soft_bounced: int = 0
    policy_bounced: int = 0
    complained: int = 0
    failed_to_send: int = 0


class Rates(msgspec.Struct, frozen=True, rename="camel"):
    bounce_rate: float | None
    hard_bounce_rate: float | None
    complaint_rate: float | None
    failure_rate: float | None


def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def rates_of(c: Counters) -> Rates:
    return Rates(
        bounce_rate=_ratio(c.bounced, c.sent),
        hard_bounce_rate=_ratio(c.hard_bounced, c.sent),
        complaint_rate=_ratio(c.complained, c.sent),
        failure_rate=_ratio(c.failed_to_send, c.sent + c.failed_to_send),
    )


class Verdict(msgspec.Struct, frozen=True):
    status: HealthStatus
    reasons: list[str]  # every crossed threshold, then every signal
    trip_reason: str | None = None  # the first trip rule crossed


def _crossed(label: str, rate: float | None, threshold: float) -> str | None:
    if rate is None or rate * 100 < threshold:
        return None
    return f"{label} {rate * 100:.2f}% >= {threshold:g}%"


def verdict(c: Counters, s: HealthSettings, signals: dict[str, str] | None = None) -> Verdict:
    """Steps (2)-(6) of §11's evaluation, in order; ``signals`` (source -> detail) lift the
    status to at least ``review`` and are listed after the thresholds."""
    r = rates_of(c)
    volume = c.sent >= s.min_sends_before_eval
    rules = (
        ("hard bounce rate", r.hard_bounce_rate),
        ("complaint rate", r.complaint_rate),
        ("combined bounce rate", r.bounce_rate),
    )
    trips = (
        [
            x
            for x in (
                _crossed(n, v, t)
                for (n, v), t in zip(
                    rules,
                    (s.hard_bounce_rate_pct_trip, s.complaint_rate_pct_trip, s.combined_bounce_rate_pct_trip),
                    strict=True,
                )
            )
            if x
        ]
        if volume
        else []
    )
    reviews = (
        [
            x
            for x in (
                _crossed(n, v, t)
                for (n, v), t in zip(
                    rules,
                    (
                        s.hard_bounce_rate_pct_review,
                        s.complaint_rate_pct_review,
                        s.combined_bounce_rate_pct_review,
                    ),
                    strict=True,
                )
            )
            if x
        ]
        if volume
        else []
    )
    failing = c.sent + c.failed_to_send >= s.min_sends_before_eval
    degrade = _crossed("failure rate", r.failure_rate, s.failed_to_send_rate_pct_degrade) if failing else None
    flagged = [f"signal {src}: {detail}" for src, detail in sorted((signals or {}).items())]
    reasons = list(dict.fromkeys([*trips, *reviews, *([degrade] if degrade else []), *flagged]))
    if trips:
        return Verdict("tripped", reasons, trips[0])
    if reviews or flagged:
        return Verdict("review", reasons)
    if degrade:
        return Verdict("degraded", reasons)
    return Verdict("healthy", reasons)


def worst(statuses: list[str]) -> str | None:
    return max(statuses, key=lambda s: SEVERITY.get(s, 0)) if statuses else None


def window_start(anchor: float, now: float, window_minutes: float) -> float:
    """Windows roll on a grid from ``anchor`` (a resume or the first activity): the start of
    the window ``now`` falls in. Rolling needs no event: it follows from time alone."""
    width = window_minutes * 60
    if now <= anchor:
        return anchor
    return anchor + ((now - anchor) // width) * width


# attempts ending in a non-recipient error (console.md §11 failedToSend)
SENDER_SIDE_CODES = frozenset({"tls_certificate", "tls_unavailable", "smtp_auth", "account_not_found"})
_RELAY = ("relay", "5.7.1 relaying", "not permitted to relay")


def is_sender_side_failure(error_code: str | None, error: str | None) -> bool:
    """Connection, TLS, auth, timeout and relay refusals are the sender's problem; a reply
    about the recipient (user unknown, mailbox full) is not."""
    if error_code in SENDER_SIDE_CODES:
        return True
    text = (error or "").lower()
    if error_code == "smtp_permanent":
        return any(word in text for word in _RELAY)
    if error_code not in (None, "retries_exhausted"):
        return False
    if not text.startswith("smtp ") and "smtp " not in text[:40]:
        return True  # network: refused, reset, timeout, DNS
    return text.startswith("smtp 421") or any(word in text for word in _RELAY)
