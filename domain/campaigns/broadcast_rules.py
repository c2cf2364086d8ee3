"""The broadcast's named rules (console.md §9.2): refusals with the contract's codes, and the
checks of a broadcast's settings (cap, order, rate, zones, stop rules)."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from domain.console.personal import timezone_ok
from domain.templates.rules import GateRefused

MAX_CAP = 10_000_000
ORDER_FIELD = re.compile(r"^(createdAt|email|fields\.[A-Za-z_][\w.]{0,127})$")
STOP_DEFAULTS: dict[str, Any] = {"enabled": True, "hardBounceRatePct": 2.0, "complaintRatePct": 0.1,
                                 "unsubscribeRatePct": 1.0, "minSample": 100}
DEFAULT_ORDER: dict[str, str] = {"field": "createdAt", "direction": "asc"}
PAUSE_CODES = ("manual", "cap_reached", "stop_rule", "circuit_breaker", "count_drift")
CONFIRMATION_MAX_AGE = 3600.0  # a confirmation older than 60 minutes cannot be scheduled


class BroadcastRefused(GateRefused):
    """A state or input refusal: ``code``, ``status`` and extras go into the error body."""


def refused(code: str, message: str, status: int = 409, **extra: Any) -> BroadcastRefused:
    return BroadcastRefused(code, status, message, **extra)


def check_cap(cap: Any) -> None:
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= MAX_CAP):
        raise refused("invalid_recipient_cap", "recipientCap is null or an integer 1-10000000", 400)


def check_order(order: Any) -> dict[str, str]:
    if order is None:
        return dict(DEFAULT_ORDER)
    if not isinstance(order, dict) or set(order) - {"field", "direction"}:
        raise refused("invalid_order", "order is {field, direction}", 400)
    field, direction = order.get("field", "createdAt"), order.get("direction", "asc")
    if not isinstance(field, str) or not ORDER_FIELD.match(field):
        raise refused("invalid_order", "order.field is createdAt, email or fields.<path>", 400)
    if direction not in ("asc", "desc"):
        raise refused("invalid_order", "order.direction is asc or desc", 400)
    return {"field": field, "direction": direction}


def check_rate(rate: Any) -> None:
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int) or rate < 1):
        raise refused("validation_failed", "ratePerMinute is null or an integer >= 1", 400)


def check_zone(zone: Any, name: str = "scheduleTimezone") -> None:
    if not isinstance(zone, str) or not timezone_ok(zone):
        raise refused("validation_failed", f"{name} must be an IANA time zone", 400)


def stop_rules(given: Any) -> dict[str, Any]:
    """The effective stop rules: the defaults overridden by the broadcast's own."""
    if given is None:
        return dict(STOP_DEFAULTS)
    if not isinstance(given, dict) or set(given) - set(STOP_DEFAULTS):
        raise refused("validation_failed", f"stopRules keys are {', '.join(STOP_DEFAULTS)}", 400)
    out = {**STOP_DEFAULTS, **given}
    if not isinstance(out["enabled"], bool):
        raise refused("validation_failed", "stopRules.enabled is a boolean", 400)
    for key in ("hardBounceRatePct", "complaintRatePct", "unsubscribeRatePct"):
        value = out[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
            raise refused("validation_failed", f"stopRules.{key} is a percentage 0-100", 400)
        out[key] = float(value)
    if isinstance(out["minSample"], bool) or not isinstance(out["minSample"], int) or out["minSample"] < 1:
        raise refused("validation_failed", "stopRules.minSample is an integer >= 1", 400)
    return out


def breached(rules: dict[str, Any], sample: int, counts: dict[str, int]) -> dict[str, Any] | None:
    """The first rate strictly above its threshold once the sample is big enough, else None."""
    if not rules.get("enabled", True) or sample < rules["minSample"] or sample <= 0:
        return None
    for rule, counter in (("hardBounceRatePct", "hardBounced"), ("complaintRatePct", "complained"),
                          ("unsubscribeRatePct", "unsubscribed")):
        rate = counts.get(counter, 0) / sample
        if rate * 100 > rules[rule]:
            return {"rule": rule, "rate": rate, "thresholdPct": rules[rule], "sample": sample,
                    "count": counts.get(counter, 0)}
    return None


class BroadcastSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """``broadcasts.*`` of the console settings (§9.2, §16)."""

    fanout_page_size: int = 1000
    drift_pct: float = 10.0
    confirmation_threshold: int = 1000

    def __post_init__(self) -> None:
        if not 1 <= self.fanout_page_size <= 10_000:
            raise ValueError("broadcasts.fanoutPageSize is 1-10000")
        if not 0 <= self.drift_pct <= 1000:
            raise ValueError("broadcasts.driftPct is 0-1000")


def checked_settings(raw: dict[str, Any]) -> dict[str, Any]:
    """The stored settings of a create or PATCH (snake_case keys given are checked and
    normalised; absent keys are left out, so a PATCH changes only what it names)."""
    from domain.campaigns.segment import EVERYONE, validate_segment  # segment imports these rules' base

    out: dict[str, Any] = {}
    if "segment" in raw:
        segment = EVERYONE if raw["segment"] is None else raw["segment"]
        validate_segment(segment)
        out["segment"] = segment
    if "recipient_cap" in raw:
        check_cap(raw["recipient_cap"])
        out["recipient_cap"] = raw["recipient_cap"]
    if "order" in raw:
        out["order"] = check_order(raw["order"])
    if "rate_per_minute" in raw:
        check_rate(raw["rate_per_minute"])
        out["rate_per_minute"] = raw["rate_per_minute"]
    if "schedule_timezone" in raw:
        check_zone(raw["schedule_timezone"])
        out["schedule_timezone"] = raw["schedule_timezone"]
    if "respect_recipient_timezone" in raw:
        out["respect_recipient_timezone"] = bool(raw["respect_recipient_timezone"])
    if "stop_rules" in raw:
        out["stop_rules"] = stop_rules(raw["stop_rules"])
    return out


def new_settings(raw: dict[str, Any]) -> dict[str, Any]:
    """A create's settings: every key, defaults filled in."""
    base = {"segment": None, "recipient_cap": None, "order": None, "rate_per_minute": None,
            "schedule_timezone": "UTC", "respect_recipient_timezone": False, "stop_rules": None}
    return checked_settings({**base, **raw})
