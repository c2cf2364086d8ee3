"""Replay history: an aggregate or a read model as of a past time or position, and the exact
transition list of an aggregate (who, when, which command, before -> after).

    ledgermail replay aggregate UUID [--as-of-ts T] [--as-of-position N] [--as-of-version N]
    ledgermail replay message --tenant T CLIENT_ID [--as-of-ts T] ...
    ledgermail replay transitions UUID [--full] [--json]
    ledgermail replay view NAME [--as-of-ts T | --as-of-position APP=N,...] [--limit N]

Times are unix seconds or ISO-8601 on the service clock (the events' ``timestamp``).
Aggregate positions are in the aggregate's own application log.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import msgspec
from tqdm import tqdm

from adapters.bootstrap import Container, bootstrap
from adapters.history.aggregates import AggregateHistory, AsOf, state_document, transitions
from adapters.history.views import positions_at, view_as_of
from adapters.registry import PROJECTIONS
from adapters.settings import Settings
from domain.sending.ids import message_uuid
from scripts.history_args import aggregate_id, moment, positions


def _cut_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of-ts", type=moment, metavar="T", help="state after the events at or before T")
    p.add_argument("--as-of-position", type=int, metavar="N", help="... at or before this log position")
    p.add_argument("--as-of-version", type=int, metavar="N", help="... up to this aggregate version")


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="what", required=True, metavar="WHAT")
    a = sub.add_parser("aggregate", help="an aggregate's state as of a time, position or version")
    a.add_argument("id", type=aggregate_id)
    _cut_arguments(a)
    m = sub.add_parser("message", help="a message's state, by tenant and client id")
    m.add_argument("client_id")
    m.add_argument("--tenant", required=True)
    _cut_arguments(m)
    t = sub.add_parser("transitions", help="every event of an aggregate: who, when, command, before -> after")
    t.add_argument("id", type=aggregate_id)
    t.add_argument("--full", action="store_true", help="whole before and after states, not only changes")
    t.add_argument("--json", action="store_true", help="JSON instead of one line per transition")
    v = sub.add_parser("view", help="a read model as of a time or positions (replayed into a scratch copy)")
    v.add_argument("name", choices=list(PROJECTIONS))
    v.add_argument("--as-of-ts", type=moment, metavar="T")
    v.add_argument("--as-of-position", type=positions, metavar="APP=N,...", help="per application")
    v.add_argument("--limit", type=int, default=100, help="rows shown per table (100; totals are exact)")
    v.add_argument("--no-progress", action="store_true")


def _print(doc: Any) -> None:
    sys.stdout.write(msgspec.json.format(msgspec.json.encode(doc), indent=2).decode() + "\n")


def _state(container: Container, ident: UUID, args: argparse.Namespace) -> int:
    events = AggregateHistory(container.sources(), container.db).events(ident)
    if not events:
        print(f"ledgermail replay: no aggregate {ident}", file=sys.stderr)
        return 1
    cut = AsOf(ts=args.as_of_ts, position=args.as_of_position, version=args.as_of_version)
    doc = state_document(events, cut)
    if doc is None:
        print(f"ledgermail replay: {ident} did not exist yet at that point", file=sys.stderr)
        return 1
    _print(doc)
    return 0


def _transitions(container: Container, args: argparse.Namespace) -> int:
    events = AggregateHistory(container.sources(), container.db).events(args.id)
    if not events:
        print(f"ledgermail replay: no aggregate {args.id}", file=sys.stderr)
        return 1
    steps = transitions(events, full=args.full)
    if args.json:
        _print(steps)
        return 0
    for s in steps:
        when = dt.datetime.fromtimestamp(s["timestamp"], dt.UTC).isoformat(timespec="milliseconds")
        print(
            f"v{s['version']:<4} @{s['position']:<8} {when}  {s['topic']:<28} actor={s['actor']} "
            f"command={s['command_id']}"
        )
        for key, change in s["changes"].items():
            print(f"      {key}: {_short(change['before'])} -> {_short(change['after'])}")
    return 0


def _short(value: Any) -> str:
    text = msgspec.json.encode(value).decode()
    return text if len(text) <= 120 else text[:117] + "..."


def _view(container: Container, args: argparse.Namespace) -> int:
    if args.as_of_position is not None and "*" in args.as_of_position:
        raise ValueError("--as-of-position of a view names each application: APP=N,...")
    if args.as_of_position is not None:
        cut = args.as_of_position
    elif args.as_of_ts is not None:
        cut = positions_at(container, args.as_of_ts)
    else:
        cut = {n: s.max_position() for n, s in container.sources().items()}
    follows = PROJECTIONS[args.name].FOLLOWS
    total = sum(v for k, v in cut.items() if k in follows)
    with tqdm(total=total, desc=args.name, unit="ev", file=sys.stderr, disable=args.no_progress) as bar:
        result = view_as_of(container, args.name, cut, limit=args.limit, progress=bar.update)
    _print(result)
    return 0


def run(args: argparse.Namespace) -> int:
    container = bootstrap(Settings.from_env())
    try:
        if args.what == "aggregate":
            return _state(container, args.id, args)
        if args.what == "message":
            return _state(container, message_uuid(args.tenant, args.client_id), args)
        if args.what == "transitions":
            return _transitions(container, args)
        return _view(container, args)
    finally:
        container.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ledgermail replay", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
