"""Microsoft SNDS data feed rows -> snapshot values (console.md §14).

The feed is header-less CSV (quotes allowed): IP, ActivityStart, ActivityEnd, RCPT, DATA,
message recipients, filter result, complaint rate, trap hits, sample HELO, sample MAIL FROM.
Rows with fewer than 7 fields or unreadable dates are skipped. Times ``M/D/YYYY h:mm[:ss]
AM|PM`` are US Pacific (DST from the 2nd Sunday of March to the 1st Sunday of November, 02:00
local) and become UTC; ISO times are read as given (UTC without an offset).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import ipaddress
import re
from typing import Any

_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])$")
_RATE = re.compile(r"^\s*[<>]?\s*(?:\d+(?:\.\d+)?\s*-\s*)?(\d+(?:\.\d+)?)\s*%\s*$")
FILTERS = ("GREEN", "YELLOW", "RED")


def _sunday(year: int, month: int, nth: int) -> int:
    first = dt.date(year, month, 1)
    offset = (6 - first.weekday()) % 7  # days to the first Sunday
    return 1 + offset + 7 * (nth - 1)


def pacific_to_utc(local: dt.datetime) -> float:
    """Seconds since the epoch of a naive US Pacific wall time (PDT -7 h, PST -8 h)."""
    year = local.year
    dst_start = dt.datetime(year, 3, _sunday(year, 3, 2), 2)
    dst_end = dt.datetime(year, 11, _sunday(year, 11, 1), 2)
    offset = 7 if dst_start <= local < dst_end else 8
    return (local + dt.timedelta(hours=offset)).replace(tzinfo=dt.UTC).timestamp()


def parse_time(text: str) -> float | None:
    text = text.strip()
    found = _US.match(text)
    if found:
        month, day, year, hour, minute, second, half = found.groups()
        h = int(hour)
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if half.upper() == "PM" else 0)
        try:
            local = dt.datetime(int(year), int(month), int(day), h, int(minute), int(second or 0))
        except ValueError:
            return None
        return pacific_to_utc(local)
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def complaint_rate(text: str) -> float | None:
    """``<X%``, ``>X%``, ``X%`` -> X/100; ``A-B%`` -> B/100; ``-``, ``n/a``, empty -> null."""
    found = _RATE.match(text or "")
    return float(found.group(1)) / 100 if found else None


def _int(text: str | None) -> int | None:
    try:
        return int((text or "").strip())
    except ValueError:
        return None


def _field(row: list[str], index: int) -> str | None:
    return row[index].strip() if len(row) > index and row[index].strip() else None


def row_values(row: list[str]) -> dict[str, Any] | None:
    """One feed row as snapshot values, or None when it is to be skipped."""
    if len(row) < 7:
        return None
    try:
        ip = str(ipaddress.ip_address(row[0].strip()))
    except ValueError:
        return None
    start, end = parse_time(row[1]), parse_time(row[2])
    if start is None or end is None:
        return None
    verdict = (row[6] or "").strip().upper()
    return {
        "ip": ip,
        "activityStart": start,
        "activityEnd": end,
        "rcptCommands": _int(row[3]),
        "dataCommands": _int(row[4]),
        "messageRecipients": _int(row[5]),
        "filterResult": verdict if verdict in FILTERS else "UNKNOWN",
        "complaintRate": complaint_rate(row[7]) if len(row) > 7 else None,
        "trapMessageCount": _int(row[8]) if len(row) > 8 else None,
        "sampleHelo": _field(row, 9),
        "sampleMailFrom": _field(row, 10),
    }


def parse_feed(text: str) -> tuple[int, list[dict[str, Any]]]:
    """(rows read, the usable rows' values) of a whole feed."""
    rows = [r for r in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in r)]
    parsed = [v for v in (row_values(r) for r in rows) if v is not None]
    return len(rows), parsed
