"""``ledgermail tenants ...`` and ``ledgermail accounts ...``: the tenancy routes' rules, from a shell.

Commands call the application layer directly and are written to the command log with
actor ``cli``; reads first bring the views up to date themselves, so they work whether or
not a ``serve`` process is running.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import uuid
from collections.abc import Callable
from typing import Any

import msgspec

from adapters.bootstrap import Container, bootstrap
from adapters.settings import Settings
from application.base import CommandMeta
from domain.errors import RuleViolation

CLI = CommandMeta(actor="cli")


def _container() -> Container:
    return bootstrap(Settings.from_env())


def _fresh(container: Container, *views: str) -> None:
    for name in views:
        container.runner(name, leader=False).catch_up()


def _logged(container: Container, endpoint: str, tenant_id: str | None, payload: dict[str, Any],
            run: Callable[[], Any]) -> Any:
    """Run a command and write its command-log entry (accepted or refused)."""
    from application.base import collect_event_ids

    meta = CommandMeta(actor="cli", command_id=uuid.uuid4().hex)
    status, error, result = 200, None, None
    with collect_event_ids() as ids:
        try:
            result = run()
        except RuleViolation as exc:
            status, error = exc.status, exc.code
            raise
        finally:
            container.tenancy.record_command({
                "endpoint": f"CLI {endpoint}", "path": endpoint, "tenant_id": tenant_id,
                "actor": {"kind": "cli", "user": getpass.getuser()}, "request_id": meta.command_id,
                "payload": {"query": {}, "body": _redacted(payload)}, "status": status,
                "outcome": "accepted" if status < 400 else "rejected", "error": error,
                "event_ids": list(ids)}, meta)
    return result


def _redacted(payload: dict[str, Any]) -> dict[str, Any]:
    """The command log's redaction (nested client_auth secrets included)."""
    from api.recording import redact

    return redact(payload)  # type: ignore[no-any-return]


def _print(value: Any) -> None:
    print(json.dumps(msgspec.to_builtins(value), indent=2, sort_keys=True, default=str))


def _tenant_fields(args: argparse.Namespace) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if args.name:
        fields["name"] = args.name
    if args.base_url:
        fields["client_base_url"] = args.base_url
    if args.bearer:
        fields["client_auth"] = {"method": "bearer", "token": args.bearer}
    if args.inactive:
        fields["active"] = False
    return fields


def tenants(args: argparse.Namespace) -> int:
    container = _container()
    try:
        return _tenants(container, args)
    finally:
        container.close()


def _tenants(container: Container, args: argparse.Namespace) -> int:
    app, action = container.tenancy, args.action
    if action == "list":
        _fresh(container, "tenants")
        for row in container.projections["tenants"].view.list(include_deleted=args.all):
            state = "deleted" if row.deleted else ("active" if row.settings.active else "inactive")
            print(f"{row.tenant_id}\t{row.settings.name}\t{state}\t{row.settings.client_base_url or '-'}")
        return 0
    if not args.id:
        print("ledgermail: error: this action needs a tenant ID", file=sys.stderr)
        return 2
    if action == "show":
        tenant = app.get_tenant(args.id, include_deleted=True)
        shown = msgspec.to_builtins(tenant.settings)
        auth = shown.get("client_auth", {})
        for secret in ("token", "password"):
            if auth.get(secret):
                auth[secret] = "***"
        _print({"id": tenant.tenant_id, **shown, "suspended_batches": tenant.suspended,
                "api_key": None if tenant.api_key is None else {
                    "key_id": tenant.api_key.key_id, "expires_at": tenant.api_key.expires_at},
                "deleted": tenant.deleted})
        return 0
    fields = _tenant_fields(args)
    if action in ("add", "create"):
        _, key = _logged(container, "tenants add", args.id, fields,
                         lambda: app.create_tenant(args.id, fields, args.expires, CLI))
        print(f"ledgermail: tenant {args.id} created; api key (shown once): {key.api_key}")
    elif action == "update":
        _logged(container, "tenants update", args.id, fields, lambda: app.update_tenant(args.id, fields, CLI))
        print(f"ledgermail: tenant {args.id} updated")
    elif action in ("rotate-key", "issue-key"):
        key = _logged(container, "tenants rotate-key", args.id, {},
                      lambda: app.issue_api_key(args.id, args.expires, CLI))
        print(f"ledgermail: new api key for {args.id} (shown once): {key.api_key}")
    elif action == "revoke-key":
        revoked, _ = _logged(container, "tenants revoke-key", args.id, {},
                             lambda: app.revoke_api_key(args.id, CLI))
        print(f"ledgermail: key of {args.id} {'revoked' if revoked else 'was not set'}")
    elif action == "delete":
        _fresh(container, "accounts")
        accounts = [a.account_id for a in container.projections["accounts"].view.list(args.id)]
        _logged(container, "tenants delete", args.id, {}, lambda: app.delete_tenant(args.id, accounts, CLI))
        print(f"ledgermail: tenant {args.id} deleted (its history is kept)")
    return 0


def accounts(args: argparse.Namespace) -> int:
    container = _container()
    try:
        return _accounts(container, args)
    finally:
        container.close()


def _accounts(container: Container, args: argparse.Namespace) -> int:
    app = container.tenancy
    app.get_tenant(args.tenant)
    if args.action == "list":
        _fresh(container, "accounts")
        for row in container.projections["accounts"].view.list(args.tenant):
            s = row.settings
            print(f"{row.account_id}\t{s.host}:{s.port}\t{'tls' if s.use_tls else 'plain'}\t{s.user or '-'}")
        return 0
    if not args.id:
        print("ledgermail: error: --id is required", file=sys.stderr)
        return 2
    if args.action == "delete":
        _logged(container, "accounts delete", args.tenant, {"id": args.id},
                lambda: app.delete_account(args.tenant, args.id, CLI))
        print(f"ledgermail: account {args.id} deleted")
        return 0
    fields = {k: v for k, v in {"host": args.host, "port": args.port, "user": args.user,
                                "password": args.password, "use_tls": args.tls}.items() if v is not None}
    _, created, _ = _logged(container, "accounts add", args.tenant, {"id": args.id, **fields},
                            lambda: app.register_account(args.tenant, args.id, fields, CLI))
    print(f"ledgermail: account {args.id} {'created' if created else 'updated'}")
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("tenants", help="list, show, add, update, delete tenants; issue or revoke keys")
    p.add_argument("action", choices=["list", "show", "add", "create", "update", "delete", "rotate-key",
                                      "issue-key", "revoke-key"])
    p.add_argument("id", nargs="?", help="tenant id")
    p.add_argument("--name")
    p.add_argument("--base-url", help="client_base_url (delivery reports go there)")
    p.add_argument("--bearer", help="client_auth bearer token")
    p.add_argument("--inactive", action="store_true", help="create or set the tenant inactive")
    p.add_argument("--expires", type=float, help="key expiry, unix seconds")
    p.add_argument("--all", action="store_true", help="list: include deleted tenants")
    p.set_defaults(func=tenants)

    p = sub.add_parser("accounts", help="list, add (upsert) or delete a tenant's SMTP accounts")
    p.add_argument("action", choices=["list", "add", "delete"])
    p.add_argument("--tenant", required=True)
    p.add_argument("--id", help="account id")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--user")
    p.add_argument("--password", help="stored encrypted; never printed")
    p.add_argument("--tls", action=argparse.BooleanOptionalAction, default=None, help="use TLS")
    p.set_defaults(func=accounts)
