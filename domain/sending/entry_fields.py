"""Reading fields of a decoded JSON entry, each failure named as a §5.3 rejection reason.

Validation code raises ``Problem`` at the first bad field; ``validate_entry`` turns it into a
``Rejection``. A JSON ``null`` counts as absent everywhere: clients send it for "not set".
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any


class Problem(Exception):
    def __init__(self, reason: str, field: str | None, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.field = field
        self.message = f"{field}: {message}" if field else message

    @classmethod
    def invalid(cls, field: str, message: str) -> Problem:
        return cls("invalid_field", field, message)


def known_keys(obj: dict[str, Any], allowed: Collection[str], at: str = "") -> None:
    for key in obj:
        if key not in allowed:
            raise Problem("unknown_field", f"{at}{key}", "unknown field")


def optional_str(obj: dict[str, Any], key: str, at: str = "") -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise Problem.invalid(f"{at}{key}", "must be a string")
    return value


def required_str(obj: dict[str, Any], key: str, at: str = "") -> str:
    value = optional_str(obj, key, at)
    if value is None:
        raise Problem("missing_field", f"{at}{key}", "is required")
    return value
