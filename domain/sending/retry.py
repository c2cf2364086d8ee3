"""When a temporarily failed message is tried again, and when it stops (spec proxy.md §6.4).

Pure functions: the caller passes the randomness (``rand``, uniform in [0, 1]) so the same
inputs always give the same schedule, in tests and on replay.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from domain.sending.classify import is_temporary_reply
from domain.sending.failure import AttemptFailure

HINT_MIN_SECONDS = 1.0
HINT_MAX_SECONDS = 24 * 3600.0

_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0}
# "try again in 90 seconds", "Try again after 5 minutes", "retry after 120", "retry in 2 min"
_HINT = re.compile(
    r"\b(?:try\s+again|retry)\s+(?:in|after)\s+(\d+(?:\.\d+)?)\s*"
    r"(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)?\b",
    re.IGNORECASE,
)


def retry_delay(retry_number: int, delays: Sequence[float], jitter: float, rand: float) -> float:
    """Seconds before retry ``retry_number`` (1-based): the n-th delay (the last one repeats),
    scaled by 1 + uniform(-jitter, +jitter), where ``rand`` in [0, 1] is that uniform draw."""
    if retry_number < 1:
        raise ValueError(f"retry numbers start at 1, not {retry_number}")
    if not delays:
        raise ValueError("delays must not be empty")
    if not 0.0 <= rand <= 1.0:
        raise ValueError(f"rand must be in [0, 1], not {rand}")
    base = delays[min(retry_number, len(delays)) - 1]
    return base * (1.0 + jitter * (2.0 * rand - 1.0))


def hinted_delay(text: str) -> float | None:
    """The server's own "try again in N seconds/minutes" (or "retry after N"), clamped to
    1 s ... 24 h; ``None`` when the text names no delay. A bare number means seconds."""
    found = _HINT.search(text)
    if found is None:
        return None
    unit = (found.group(2) or "s")[0].lower()
    seconds = float(found.group(1)) * _UNIT_SECONDS[unit]
    return min(max(seconds, HINT_MIN_SECONDS), HINT_MAX_SECONDS)


def next_delay(
    failure: AttemptFailure, retry_number: int, delays: Sequence[float], jitter: float, rand: float
) -> float:
    """A 4xx reply's hint wins (without jitter: the server said when); else the schedule."""
    if is_temporary_reply(failure):
        hint = hinted_delay(failure.text)
        if hint is not None:
            return hint
    return retry_delay(retry_number, delays, jitter, rand)


def retries_exhausted(retry_count: int, max_retries: int) -> bool:
    """Once ``max_retries`` retries were used, the next temporary failure ends the message."""
    return retry_count >= max_retries


def exhausted_error(max_retries: int, last_error: str) -> str:
    return f"max retries ({max_retries}) exceeded: {last_error}"
