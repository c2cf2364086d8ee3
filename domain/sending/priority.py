"""Message priority: an int 0-3 or its label. Anything else is refused, never clamped."""

from __future__ import annotations

from domain.errors import InvalidValue

IMMEDIATE, HIGH, MEDIUM, LOW = 0, 1, 2, 3
PRIORITY_LABELS: dict[str, int] = {"immediate": IMMEDIATE, "high": HIGH, "medium": MEDIUM, "low": LOW}
LABEL_OF: dict[int, str] = {n: label for label, n in PRIORITY_LABELS.items()}


def parse_priority(value: object, field: str = "priority") -> int:
    """0-3, or ``immediate|high|medium|low`` in any case. ``field`` names the input in the error
    (``priority`` of a message, ``default_priority`` of a request)."""
    # bool is an int subclass: ``true`` must not read as priority 1
    if isinstance(value, int) and not isinstance(value, bool) and IMMEDIATE <= value <= LOW:
        return value
    if isinstance(value, str):
        found = PRIORITY_LABELS.get(value.lower())
        if found is not None:
            return found
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise InvalidValue(f"{field} must be 0-3 or one of immediate, high, medium, low, not {shown}",
                       field=field)
