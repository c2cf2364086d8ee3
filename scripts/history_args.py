"""Options the history commands share: times, positions, ids and the event filter."""

from __future__ import annotations

import argparse
import datetime as dt
import uuid
from collections.abc import Sequence

from adapters.history.reader import EventFilter
from adapters.registry import APPLICATIONS


def moment(value: str) -> float:
    """Unix seconds, or ISO-8601 (a time without a zone is UTC)."""
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not unix seconds or an ISO-8601 time: {value!r}") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).timestamp()


def positions(value: str) -> dict[str, int]:
    """``N`` (for every application named) or ``app=N[,app=N...]``."""
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        app, sep, number = part.rpartition("=")
        if not number.isdigit() or (sep and app not in APPLICATIONS):
            raise argparse.ArgumentTypeError(
                f"expected N or app=N with app one of {', '.join(APPLICATIONS)}: {part!r}"
            )
        out[app if sep else "*"] = int(number)
    return out


def aggregate_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a UUID: {value!r}") from None


def add_filter_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tenant", help="only this tenant's events")
    p.add_argument(
        "--application",
        action="append",
        choices=APPLICATIONS,
        default=[],
        help="only this application's log (repeatable; default every one)",
    )
    p.add_argument(
        "--aggregate",
        action="append",
        type=aggregate_id,
        default=[],
        metavar="UUID",
        help="only this aggregate's events (repeatable)",
    )
    p.add_argument(
        "--type",
        action="append",
        default=[],
        metavar="TOPIC",
        dest="types",
        help="only this event type, e.g. Message.Sent (repeatable)",
    )
    p.add_argument("--since", type=moment, help="events at or after this time (unix s or ISO-8601)")
    p.add_argument("--until", type=moment, help="events before this time")
    p.add_argument(
        "--after-position",
        type=positions,
        default={},
        metavar="N|APP=N,...",
        help="start after these positions (resume: the positions a run printed)",
    )
    p.add_argument(
        "--until-position",
        type=positions,
        default={},
        metavar="N|APP=N,...",
        help="stop at these positions (inclusive)",
    )


def _expand(given: dict[str, int], apps: Sequence[str], what: str) -> dict[str, int]:
    if "*" in given:
        if len(apps) != 1:
            raise ValueError(f"{what} N needs exactly one --application (or use app=N,...)")
        return {apps[0]: given["*"]}
    return given


def event_filter(args: argparse.Namespace) -> EventFilter:
    apps = tuple(dict.fromkeys(args.application))
    return EventFilter(
        applications=apps,
        tenant_id=args.tenant,
        aggregate_ids=frozenset(args.aggregate),
        topics=frozenset(args.types),
        since=args.since,
        until=args.until,
        after=_expand(args.after_position, apps, "--after-position"),
        stop=_expand(args.until_position, apps, "--until-position"),
    )


def format_positions(positions: dict[str, int]) -> str:
    return ",".join(f"{app}={pos}" for app, pos in positions.items())
