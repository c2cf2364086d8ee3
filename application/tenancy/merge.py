"""Partial updates and secrets: deep merges, and ``"***"`` meaning "keep what is stored"."""

from __future__ import annotations

from typing import Any

from application.ports import SecretBox

MASK = "***"


def deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def seal(given: str | None, stored: str | None, box: SecretBox) -> str | None:
    """The ciphertext to store for a secret field: keep on ``***``, clear on None."""
    if given == MASK:
        return stored
    if given is None:
        return None
    return box.encrypt(given)


def mask(value: str | None) -> str | None:
    return None if value is None else MASK
