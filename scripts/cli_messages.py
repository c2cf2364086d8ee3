"""``ledgermail messages list|show|add|delete``: the message routes' rules, from a shell (proxy.md §16).

``add`` queues a JSON batch (the body of ``POST /commands/add-messages``, or a bare list of
messages) through the same validation and the same single save as the route; every command
is written to the command log with actor ``cli``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from api.contracts.messages import AddMessages
from api.message_views import detail_from_aggregate
from application.sending.enqueue_context import queue_context
from domain.sending.priority import parse_priority
from scripts.cli_tenancy import CLI, _container, _fresh, _logged, _print


def messages(args: argparse.Namespace) -> int:
    container = _container()
    try:
        container.tenancy.get_tenant(args.tenant)  # unknown tenant: exit 1 with the rule's message
        return {"list": _list, "show": _show, "add": _add, "delete": _delete}[args.action](container, args)
    finally:
        container.close()


def _list(container: Any, args: argparse.Namespace) -> int:
    _fresh(container, "messages")
    statuses = args.status.split(",") if args.status else None
    rows, _ = container.projections["messages"].view.list(
        args.tenant, statuses=statuses, batch_code=None, account_id=None, since_ts=None, until_ts=None,
        limit=args.limit, after=None)
    if args.json:
        _print(rows)
        return 0
    for r in rows:
        print(f"{r.client_id}\t{r.status}\t{','.join(r.to_addrs)}\t{r.subject or ''}")
    return 0


def _show(container: Any, args: argparse.Namespace) -> int:
    if len(args.ids) != 1:
        print("ledgermail: error: show takes one message ID", file=sys.stderr)
        return 2
    message = container.sending.get_message(args.tenant, args.ids[0])
    if message is None:
        print(f"ledgermail: error: no message {args.ids[0]!r} in tenant {args.tenant}", file=sys.stderr)
        return 1
    _fresh(container, "messages")
    view = container.projections["messages"].view
    row = view.get(args.tenant, args.ids[0])
    detail = detail_from_aggregate(message, held_by=row.held_by if row else None, purged=row is None,
                                   reported=view.reported(str(message.id)))
    if args.json:
        _print(detail)
        return 0
    print(f"{detail.id}\t{detail.status}\t{detail.pk}\t{detail.message_id or '-'}")
    for entry in detail.history:
        print(f"  {entry.ts:.3f}\t{entry.type}\t{json.dumps(entry.data, sort_keys=True, default=str)}")
    return 0


def _add(container: Any, args: argparse.Namespace) -> int:
    raw = json.loads(Path(args.file).read_text() if args.file != "-" else sys.stdin.read())
    body = msgspec.convert({"messages": raw} if isinstance(raw, list) else raw, AddMessages)
    config = container.tenancy.instance_config()
    _fresh(container, "accounts")
    accounts = [a.account_id for a in container.projections["accounts"].view.list(args.tenant)]
    priority = None if body.default_priority is None else parse_priority(body.default_priority,
                                                                           "default_priority")
    ctx, options = queue_context(args.tenant, container.tenancy.get_tenant(args.tenant).settings, accounts,
                                 config, container.clock.now(), priority)
    result = _logged(container, "messages add", args.tenant, msgspec.to_builtins(body),
                     lambda: container.sending.queue_messages(ctx, body.messages, options, CLI))
    print(f"ledgermail: queued {result.queued}, rejected {len(result.rejected)}")
    for rejection in result.rejected:
        print(f"  {rejection.id}\t{rejection.reason}\t{rejection.message}", file=sys.stderr)
    return 0 if not result.rejected else 1


def _delete(container: Any, args: argparse.Namespace) -> int:
    outcome = _logged(container, "messages delete", args.tenant, {"ids": args.ids},
                      lambda: container.sending.cancel_messages(args.tenant, args.ids, CLI))
    _print(outcome)
    return 0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("messages", help="list, show, add (queue a JSON batch) or delete (cancel) messages")
    p.add_argument("action", choices=["list", "show", "add", "delete"])
    p.add_argument("ids", nargs="*", help="message id(s): show takes one, delete one or more")
    p.add_argument("--tenant", required=True)
    p.add_argument("--status", help="list: comma-separated statuses")
    p.add_argument("--limit", type=int, default=100, help="list: at most this many (100)")
    p.add_argument("--file", help="add: the batch as JSON ('-' reads stdin)")
    p.add_argument("--json", action="store_true", help="list/show: JSON output")
    p.set_defaults(func=messages)
