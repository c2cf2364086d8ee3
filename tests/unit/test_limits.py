"""Rate-limit windows and the claim-time check (spec proxy.md §7)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.sending.limits import (
    Limit,
    account_limits,
    limits_of,
    next_boundary,
    tenant_limits,
    window_start,
    would_exceed,
)
from domain.tenancy.settings import AccountSettings, RateLimits

pytestmark = pytest.mark.unit


def utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()  # type: ignore[arg-type, misc]


NOW = utc(2026, 3, 14, 10, 0, 5)  # 10:00:05 UTC


@pytest.mark.parametrize(
    ("window", "start", "boundary"),
    [("minute", utc(2026, 3, 14, 10, 0), utc(2026, 3, 14, 10, 1)),
     ("hour", utc(2026, 3, 14, 10), utc(2026, 3, 14, 11)),
     ("day", utc(2026, 3, 14), utc(2026, 3, 15))],
)
def test_windows_are_fixed_and_aligned_to_utc(window: str, start: float, boundary: float) -> None:
    assert window_start(window, NOW) == start  # type: ignore[arg-type]
    assert next_boundary(window, NOW) == boundary  # type: ignore[arg-type]
    assert window_start(window, start) == start  # a boundary opens the next window
    assert next_boundary(window, boundary - 0.001) == boundary  # type: ignore[arg-type]


def test_the_day_ends_at_midnight_utc_and_rolls_over_months_and_years() -> None:
    assert next_boundary("day", utc(2026, 12, 31, 23, 59, 59)) == utc(2027, 1, 1)
    assert next_boundary("hour", utc(2026, 2, 28, 23, 30)) == utc(2026, 3, 1)


def test_within_the_limit_is_allowed() -> None:
    limits = limits_of("account:smtp1", 2, None, None, "defer")
    check = would_exceed({("account:smtp1", "minute"): 1}, limits, NOW)
    assert check.allowed and (check.exceeded, check.until, check.action) == ([], None, None)
    assert would_exceed({}, limits, NOW).allowed


def test_the_message_that_would_pass_the_limit_is_held() -> None:
    limits = limits_of("account:smtp1", 2, None, None, "defer")
    check = would_exceed({("account:smtp1", "minute"): 2}, limits, NOW)
    assert not check.allowed and check.action == "defer"
    assert check.until == utc(2026, 3, 14, 10, 1)


def test_until_is_the_latest_boundary_among_the_exceeded_windows_only() -> None:
    limits = limits_of("a", 10, 100, 1000, "defer")
    minute_and_day = {("a", "minute"): 10, ("a", "hour"): 50, ("a", "day"): 1000}
    check = would_exceed(minute_and_day, limits, NOW)
    assert [lim.window for lim in check.exceeded] == ["minute", "day"]
    assert check.until == utc(2026, 3, 15)
    only_hour = would_exceed({("a", "minute"): 1, ("a", "hour"): 100}, limits, NOW)
    assert only_hour.until == utc(2026, 3, 14, 11)


def test_any_exceeded_limit_in_reject_mode_rejects() -> None:
    limits = [*limits_of("account:smtp1", 2, None, None, "defer"), *limits_of("tenant:acme", 3, None, None,
                                                                                 "reject")]
    both = would_exceed({("account:smtp1", "minute"): 2, ("tenant:acme", "minute"): 3}, limits, NOW)
    assert both.action == "reject" and len(both.exceeded) == 2
    only_defer = would_exceed({("account:smtp1", "minute"): 2, ("tenant:acme", "minute"): 1}, limits, NOW)
    assert only_defer.action == "defer"
    only_reject = would_exceed({("tenant:acme", "minute"): 3}, limits, NOW)
    assert only_reject.action == "reject" and only_reject.exceeded == [Limit("tenant:acme", "minute", 3,
                                                                               "reject")]


def test_counts_of_other_scopes_do_not_count() -> None:
    limits = limits_of("account:smtp1", 1, None, None, "defer")
    assert would_exceed({("account:smtp2", "minute"): 9}, limits, NOW).allowed


@pytest.mark.parametrize(("count", "adding", "allowed"), [(0, 5, True), (1, 5, False), (5, 0, True)])
def test_a_batch_is_checked_as_a_whole(count: int, adding: int, allowed: bool) -> None:
    limits = limits_of("a", 5, None, None, "defer")
    assert would_exceed({("a", "minute"): count}, limits, NOW, adding=adding).allowed is allowed


def test_a_zero_limit_holds_everything() -> None:
    assert not would_exceed({}, limits_of("a", None, 0, None, "defer"), NOW).allowed


def test_limits_come_from_account_and_tenant_settings() -> None:
    account = AccountSettings(host="h", port=25, limit_per_minute=2, limit_per_day=100,
                              limit_behavior="reject")
    assert account_limits(account, "account:smtp1") == [
        Limit("account:smtp1", "minute", 2, "reject"), Limit("account:smtp1", "day", 100, "reject")]
    assert tenant_limits(RateLimits(per_hour=3), "tenant:acme") == [Limit("tenant:acme", "hour", 3, "defer")]
    assert tenant_limits(RateLimits(), "tenant:acme") == []
