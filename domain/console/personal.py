"""A contact's personal data as the API takes it, and the rules it must keep (console.md §4).

Pure checks: they return the first broken rule as ``(path, message)`` so that one PUT
answers 400 with the path and one import row lands in ``failed`` with the same words.
"""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

import msgspec

EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))+$"
)
LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
FIELD_KEY = re.compile(r"^[A-Za-z_]\w{0,63}$")
EXTERNAL_ID = re.compile(r"^[^\x00-\x1f\x7f]{1,256}$")
MAX_FIELDS_BYTES = 32 * 1024
MAX_TAGS = 200


class Personal(msgspec.Struct, kw_only=True):
    """What is sealed with the contact's key: the whole personal state."""

    email: str
    tags: list[str] = []
    fields: dict[str, Any] = {}
    timezone: str | None = None
    locale: str | None = None


def normal_email(value: str) -> str:
    return value.strip().lower()


def email_problem(value: str) -> str | None:
    if len(value) > 254 or not EMAIL.match(value) or ".." in value.split("@")[0]:
        return "not an email address (addr-spec with a dotted domain, at most 254 characters)"
    return None


def timezone_ok(value: str) -> bool:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def tags_problem(tags: list[str]) -> str | None:
    if len(tags) > MAX_TAGS:
        return f"at most {MAX_TAGS} tags"
    if any(not 1 <= len(t) <= 64 for t in tags):
        return "tags are 1-64 characters"
    return None


def fields_problem(fields: dict[str, Any]) -> str | None:
    bad = next((k for k in fields if not FIELD_KEY.match(k)), None)
    if bad is not None:
        return f"field name {bad[:70]!r} must match {FIELD_KEY.pattern}"
    if len(msgspec.json.encode(fields)) > MAX_FIELDS_BYTES:
        return "fields exceed 32 KiB"
    return None


def problem(changes: dict[str, Any]) -> tuple[str, str] | None:
    """The first broken rule of an upsert body, as (path, message); None when it is fine."""
    checks = (
        ("email", lambda v: email_problem(normal_email(v))),
        ("timezone", lambda v: None if v is None or timezone_ok(v) else "not an IANA time zone"),
        ("locale", lambda v: None if v is None or LOCALE.match(v) else "not a locale tag"),
        ("tags", tags_problem),
        ("fields", fields_problem),
    )
    for name, check in checks:
        if name in changes:
            message = check(changes[name])
            if message:
                return f"$.{name}", message
    return None


def merged(current: Personal | None, changes: dict[str, Any]) -> Personal:
    """``tags`` replaces, ``fields`` merges (null deletes a field), the rest replaces."""
    base = current or Personal(email="")
    fields = dict(base.fields)
    for key, value in changes.get("fields", {}).items():
        if value is None:
            fields.pop(key, None)
        else:
            fields[key] = value
    tags = list(dict.fromkeys(changes["tags"])) if "tags" in changes else list(base.tags)
    return Personal(
        email=normal_email(changes.get("email", base.email)),
        tags=tags,
        fields=fields,
        timezone=changes.get("timezone", base.timezone),
        locale=changes.get("locale", base.locale),
    )


def differences(old: Personal | None, new: Personal) -> list[str]:
    if old is None:
        return ["email", "tags", "fields", "timezone", "locale"]
    return [
        f for f in ("email", "tags", "fields", "timezone", "locale") if getattr(old, f) != getattr(new, f)
    ]
