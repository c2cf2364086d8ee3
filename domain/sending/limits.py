"""Rate-limit windows and the check made at claim time (spec proxy.md §7).

Windows are fixed and aligned to UTC: the current minute, hour and day. Unix time has no
leap seconds and its epoch is a UTC midnight, so flooring a timestamp to a multiple of the
window size gives exactly the UTC window start. The counts themselves (sent + live
reservations) live in the database; this module only decides.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Literal

import msgspec

from domain.tenancy.settings import AccountSettings, RateLimits

Window = Literal["minute", "hour", "day"]
Behavior = Literal["defer", "reject"]
WINDOWS: tuple[Window, ...] = ("minute", "hour", "day")
WINDOW_SECONDS: dict[Window, int] = {"minute": 60, "hour": 3600, "day": 86400}


def window_start(window: Window, t: float) -> float:
    size = WINDOW_SECONDS[window]
    return float(math.floor(t / size) * size)


def next_boundary(window: Window, t: float) -> float:
    """When the window holding ``t`` closes: the next minute, hour or 00:00 UTC."""
    return window_start(window, t) + WINDOW_SECONDS[window]


class Limit(msgspec.Struct, frozen=True):
    """At most ``limit`` messages per ``window`` for one ``scope`` (e.g. ``account:smtp1``)."""

    scope: str
    window: Window
    limit: int
    behavior: Behavior = "defer"


def limits_of(
    scope: str, per_minute: int | None, per_hour: int | None, per_day: int | None, behavior: Behavior
) -> list[Limit]:
    """The limits that are set (``None`` = no limit for that window)."""
    values = {"minute": per_minute, "hour": per_hour, "day": per_day}
    return [Limit(scope, w, n, behavior) for w, n in values.items() if n is not None]  # type: ignore[arg-type]


def account_limits(settings: AccountSettings, scope: str) -> list[Limit]:
    return limits_of(scope, settings.limit_per_minute, settings.limit_per_hour, settings.limit_per_day,
                     settings.limit_behavior)


def tenant_limits(limits: RateLimits, scope: str) -> list[Limit]:
    return limits_of(scope, limits.per_minute, limits.per_hour, limits.per_day, limits.behavior)


class LimitCheck(msgspec.Struct, frozen=True):
    """The verdict: ``exceeded`` limits, and when all of them reopen (``until``)."""

    exceeded: list[Limit]
    until: float | None  # the latest next boundary among the exceeded windows
    action: Behavior | None  # None: within every limit; "reject" if any exceeded limit rejects

    @property
    def allowed(self) -> bool:
        return not self.exceeded


def would_exceed(
    counts: Mapping[tuple[str, Window], int], limits: Iterable[Limit], now: float, adding: int = 1
) -> LimitCheck:
    """Would ``adding`` more messages now break any limit? ``counts`` holds, per (scope,
    window), the messages already counted in the current window (missing = 0)."""
    exceeded = [lim for lim in limits if counts.get((lim.scope, lim.window), 0) + adding > lim.limit]
    if not exceeded:
        return LimitCheck([], None, None)
    # deferring to the latest boundary means every exceeded window has reopened by then
    until = max(next_boundary(lim.window, now) for lim in exceeded)
    action: Behavior = "reject" if any(lim.behavior == "reject" for lim in exceeded) else "defer"
    return LimitCheck(exceeded, until, action)
