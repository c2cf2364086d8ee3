"""Who a template sends as: the sender-domain registry, registrable domains, freemail."""

from __future__ import annotations

import re

from domain.templates.settings import SettingsDoc

ADDRESS = re.compile(r"^[^@\s<>\"]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)$")
FREEMAIL = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "aol.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "icloud.com",
    ]
)
# second-level labels under which registrations happen one level deeper (co.uk, com.au, ...);
# a full public-suffix list is not worth a dependency for an alignment warning
_SECOND_LEVEL = frozenset(["co", "com", "net", "org", "gov", "ac", "edu", "ne", "or", "go"])


def domain_of(email: str | None) -> str | None:
    match = ADDRESS.match((email or "").strip())
    return match.group(1).lower() if match else None


def registrable(domain: str) -> str:
    labels = domain.lower().rstrip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def sender_problem(email: str | None, kind: str, settings: SettingsDoc) -> str | None:
    """console.md §5.4 registry check: None, or invalid_email / unregistered_domain / wrong_kind."""
    registry = settings.sender_domains
    if not registry:
        return None
    domain = domain_of(email)
    if domain is None:
        return "invalid_email"
    listed = registry.get(domain)
    if listed is None:
        return "unregistered_domain"
    if listed not in (kind, "both"):
        return "wrong_kind"
    return None
