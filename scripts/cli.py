"""The ``ledgermail`` command: serve, api, worker, migrate, rebuild, export, replay, report, admin-token."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence

from adapters.settings import Settings
from domain.errors import RuleViolation


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    return Settings.from_env(**overrides)


def cmd_serve(args: argparse.Namespace) -> int:
    from scripts.serve import serve

    return serve(_settings(args), http=True, workers=True, migrate_first=True)


def cmd_api(args: argparse.Namespace) -> int:
    from scripts.serve import serve

    if args.workers < 1:
        print("ledgermail: error: --workers must be at least 1", file=sys.stderr)
        return 2
    return serve(_settings(args), http=True, workers=False, migrate_first=False,
                 api_processes=args.workers)


# role -> its --no-<flag> (proxy.md §16 names them after what they run)
WORKER_ROLES = {"project": "projections", "dispatch": "dispatcher", "report": "reporter", "jobs": "jobs",
                "monitor": "monitor"}


def cmd_worker(args: argparse.Namespace) -> int:
    from scripts.serve import serve

    roles = [r for r in (args.role or list(WORKER_ROLES)) if not getattr(args, f"no_{r}")]
    if not roles:
        print("ledgermail: error: every role is switched off", file=sys.stderr)
        return 2
    return serve(_settings(args), http=False, workers=True, migrate_first=False, roles=roles)


def cmd_migrate(args: argparse.Namespace) -> int:
    from adapters.bootstrap import migrate

    settings = _settings(args)
    migrate(settings)
    print(f"ledgermail: schema ready ({settings.backend})")
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from scripts.rebuild import main as rebuild_main

    argv = [*args.names] + (["--all"] if args.all else []) + (["--verify"] if args.verify else [])
    argv += ["--no-progress"] if args.no_progress else []
    return rebuild_main(argv)


def cmd_admin_token(args: argparse.Namespace) -> int:
    from adapters.bootstrap import bootstrap

    container = bootstrap(_settings(args), create_tables=False)
    try:
        token = container.tenancy.issue_admin_token(replace=True, actor="cli")
    finally:
        container.close()
    print(f"ledgermail: admin token (shown once): {token}")
    if container.settings.admin_token:
        print("ledgermail: note: LEDGERMAIL_ADMIN_TOKEN is set and takes precedence", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ledgermail", description="Self-hosted email deliverability platform."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="API, workers and projections in one process (embedded default)")
    p.add_argument("--host", help="bind address (default 127.0.0.1 or LEDGERMAIL_HOST)")
    p.add_argument("--port", type=int, help="port (default 8000 or LEDGERMAIL_PORT)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("api", help="the HTTP API only (no workers); needs `ledgermail migrate` first")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="N HTTP processes behind the one port (default 1; docs/operations.md)")
    p.set_defaults(func=cmd_api)

    p = sub.add_parser("worker", help="background roles only, no HTTP")
    p.add_argument("--role", action="append", choices=list(WORKER_ROLES),
                   default=None, help="which role(s) to run (repeatable; default all); jobs: the "
                   "retention job; monitor: mailbox polls, DNSBL, DMARC, Postmaster and SNDS (one "
                   "process at a time runs each; docs/operations.md §2)")
    for role, flag in WORKER_ROLES.items():
        p.add_argument(f"--no-{flag}", dest=f"no_{role}", action="store_true",
                       help=f"do not run the {role} role")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("migrate", help="create every table once (events, views, tracking)")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("rebuild", help="drop read models and replay them from the event store")
    p.add_argument("names", nargs="*", help="view names (see --all)")
    p.add_argument("--all", action="store_true", help="every read model")
    p.add_argument("--verify", action="store_true", help="rebuild into a scratch copy and compare")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_rebuild)

    from scripts.cli_tenancy import add_parsers

    add_parsers(sub)

    from scripts.cli_messages import add_parser as add_messages_parser

    add_messages_parser(sub)

    from scripts.cli_history import add_parsers as add_history_parsers

    add_history_parsers(sub)  # export, replay, report

    p = sub.add_parser("admin-token", help="admin token operations")
    p.add_argument("action", choices=["rotate"], help="rotate: issue a new admin token, printed once")
    p.set_defaults(func=cmd_admin_token)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 0
    except RuleViolation as exc:
        print(f"ledgermail: error: {exc.message}", file=sys.stderr)
        return 1
    except (ValueError, RuntimeError, OSError) as exc:
        print(f"ledgermail: error: {exc}", file=sys.stderr)
        return 1


def install_stop_signals(stop: threading.Event) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())


if __name__ == "__main__":
    sys.exit(main())
