"""Google Postmaster Tools ``trafficStats`` items -> snapshot values (console.md §14).

The API names each item ``domains/{domain}/trafficStats/{YYYYMMDD}``; items whose name does not
end in a date are skipped. Enum values outside HIGH/MEDIUM/LOW/BAD (the API's
``REPUTATION_CATEGORY_UNSPECIFIED``) read as null. ``ipCount`` is an int64 sent as a string.
"""

from __future__ import annotations

import re
from typing import Any

from domain.reputation.postmaster import REPUTATIONS

_NAME = re.compile(r"^domains/[^/]+/trafficStats/(\d{4})(\d{2})(\d{2})$")
RATIOS = (
    "userReportedSpamRatio",
    "userReportedSpamRatioLowerBound",
    "userReportedSpamRatioUpperBound",
    "spfSuccessRatio",
    "dkimSuccessRatio",
    "dmarcSuccessRatio",
    "outboundEncryptionRatio",
    "inboundEncryptionRatio",
)


def date_of(name: Any) -> str | None:
    found = _NAME.match(name) if isinstance(name, str) else None
    if found is None:
        return None
    year, month, day = found.groups()
    if not ("01" <= month <= "12" and "01" <= day <= "31"):
        return None
    return f"{year}-{month}-{day}"


def _reputation(value: Any) -> str | None:
    return value if value in REPUTATIONS else None


def _ratio(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _items(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def values_of(item: dict[str, Any]) -> dict[str, Any]:
    """The snapshot values of one trafficStats item (fetchedAt is added by the caller)."""
    out: dict[str, Any] = {"domainReputation": _reputation(item.get("domainReputation"))}
    out["ipReputations"] = [
        {"reputation": _reputation(r.get("reputation")), "ipCount": _int(r.get("ipCount")),
         "sampleIps": [str(ip) for ip in r.get("sampleIps") or [] if isinstance(ip, str)][:20]}
        for r in _items(item.get("ipReputations"))
    ]
    for name in RATIOS:
        out[name] = _ratio(item.get(name))
    out["deliveryErrors"] = [
        {"errorClass": e.get("errorClass"), "errorType": e.get("errorType"),
         "errorRatio": _ratio(e.get("errorRatio"))}
        for e in _items(item.get("deliveryErrors"))
    ]
    out["spammyFeedbackLoops"] = [
        {"id": f.get("id"), "spamRatio": _ratio(f.get("spamRatio"))}
        for f in _items(item.get("spammyFeedbackLoops"))
    ]
    return out


def parse_page(body: Any) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
    """(date, values) of every dated item of one page, and its ``nextPageToken``."""
    if not isinstance(body, dict):
        return [], None
    found = []
    for item in _items(body.get("trafficStats")):
        date = date_of(item.get("name"))
        if date is not None:
            found.append((date, values_of(item)))
    token = body.get("nextPageToken")
    return found, token if isinstance(token, str) and token else None


def under(sender_domain: str, domain: str) -> bool:
    """``sender_domain`` is ``domain`` or one of its subdomains."""
    s, d = sender_domain.lower(), domain.lower()
    return s == d or s.endswith("." + d)
