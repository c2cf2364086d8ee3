"""Broadcast fan-out rate: N contacts, one broadcast, the fan-out worker in a process of
its own (as ``worker`` runs it), optionally killed mid-fan-out and restarted (console.md
§9.2, §1.6 ``fanout_page_committed``). Prints contacts/s for the count and the fan-out and
checks in the event store that every contact got exactly one send (no duplicate, no miss).

    .venv/bin/python -m scripts.bench.broadcast --backend both --contacts 100000 --kill-page 5 --markdown
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from adapters.bootstrap import Container, bootstrap
from adapters.campaigns import broadcast_ops as ops
from adapters.settings import Settings
from application.templates.publish import publish_template
from domain.campaigns.broadcast_rules import new_settings
from scripts.bench import report, stores

DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
START, END = "<!-- bench:broadcast:start -->", "<!-- bench:broadcast:end -->"
HTML = '<p>Hello {{ contact.email }}</p><p><a href="{{ unsubscribeUrl }}">Unsubscribe</a></p>'
TENANT = "acme"


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m scripts.bench.broadcast",
                                description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--contacts", type=int, default=100_000, help="subscribed contacts (100,000)")
    p.add_argument("--page-size", type=int, default=1000, help="broadcasts.fanoutPageSize (1000)")
    p.add_argument("--kill-page", type=int, default=0,
                   help="kill the worker at this page (LEDGERMAIL_FAULT=fanout_page_committed:<n>), "
                   "then restart it")
    args = stores.parse_common(p, argv)
    if args.quick:
        args.contacts, args.page_size = min(args.contacts, 1000), min(args.page_size, 200)
    return args


def setup(c: Container, contacts: int, page_size: int, progress: bool) -> None:
    c.tenancy.create_tenant(TENANT, {}, None)
    c.tenancy.register_account(TENANT, "sink", {"host": "127.0.0.1", "port": 2525, "use_tls": False})
    c.content.change_settings(TENANT, {"senderDomains": {"news.acme.test": "marketing"},
                                       "defaultAccounts": {"marketing": "sink"},
                                       "broadcasts": {"fanoutPageSize": page_size}})
    fields = {"name": "news", "description": "", "kind": "marketing", "from_name": None,
              "from_email": "hello@news.acme.test", "reply_to": None, "account_id": None,
              "body_format": "multipart", "track_opens": False, "track_clicks": False, "tags": [],
              "variables_schema": None}
    c.content.create_template(TENANT, "news", fields, "News", "", "html")
    c.content.save_draft(TENANT, "news", {"html": HTML}, {}, None)
    publish_template(c.content, TENANT, "news", bypass=True, public_url="http://127.0.0.1:8000",
                     accounts={"sink"})
    with tqdm(total=contacts, desc="import", unit="contact", disable=not progress) as bar:
        for first in range(0, contacts, 10_000):
            rows = [{"externalId": f"c{n:07d}", "email": f"c{n:07d}@ex.test", "tags": ["all"]}
                    for n in range(first, min(contacts, first + 10_000))]
            c.console.import_contacts(TENANT, rows, {"source": "bench"}, [])
            bar.update(len(rows))
    c.broadcasts.create_broadcast(TENANT, "b", "bench", "news", new_settings({"segment": {"tag": "all"}}))


def queued_keys(c: Container, prefix: str) -> list[str]:
    out, start = [], 1
    while page := c.sending.recorder.select_notifications(start, 5000, topics=("Message.Queued",)):
        out += [k for k in (c.sending.mapper.to_domain_event(n).client_id for n in page)  # type: ignore[attr-defined]
                if k.startswith(prefix)]
        start = page[-1].id + 1
    return out


def fan_out(settings: Settings, c: Container, total: int, kill_page: int, progress: bool) -> dict[str, Any]:
    """Run the worker process (killed at ``kill_page`` first, if asked) until the broadcast is sent."""
    runs, started = [], time.perf_counter()
    faults = [f"fanout_page_committed:{kill_page}", None] if kill_page else [None]
    with tqdm(total=total, desc="fan-out", unit="send", disable=not progress) as bar:
        for fault in faults:
            env = settings.child_env(**({"fault": fault} if fault else {}))
            child = subprocess.Popen([sys.executable, "-m", "adapters.campaigns.broadcast_worker"], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            while child.poll() is None:
                time.sleep(0.5)
                bar.n = c.broadcasts.broadcast(TENANT, "b").sent_total
                bar.refresh()
            runs.append(child.returncode)
        bar.n = c.broadcasts.broadcast(TENANT, "b").sent_total
        bar.refresh()
    return {"seconds": time.perf_counter() - started, "exits": runs}


def run(backend: str, settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    c = bootstrap(settings, create_tables=True)
    try:
        c.tenancy.initialise_instance()
        setup(c, args.contacts, args.page_size, not args.no_progress)
        c.start_projections()
        c.catch_up(["contacts", "suppressions", "sends", "broadcasts"], timeout=600)
        b = c.broadcasts.broadcast(TENANT, "b")
        t0 = time.perf_counter()
        count = ops.live_count(c, TENANT, b)["recipientCount"]
        counted = time.perf_counter() - t0
        ops.confirm(c, TENANT, "b", count)
        ops.schedule(c, TENANT, "b", c.clock.now(), None, None)
        c.catch_up(["broadcasts"])
        done = fan_out(settings, c, count, args.kill_page, not args.no_progress)
        b = c.broadcasts.broadcast(TENANT, "b")
        keys = queued_keys(c, f"broadcast:{b.id}:")
        return {"backend": backend, "contacts": args.contacts, "count_s": counted, "status": b.status,
                "sends": len(keys), "distinct": len(set(keys)), **done}
    finally:
        c.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    load, rows, failed = stores.load_average(), [], False
    for backend, store in stores.backends(args):
        with store() as settings:
            r = run(backend, settings, args)
        ok = r["status"] == "sent" and r["sends"] == r["distinct"] == r["contacts"]
        failed |= not ok
        kill = (f"killed at page {args.kill_page} (exit {r['exits'][0]}), restarted" if args.kill_page
                else "one run")
        rows.append([backend, f"{r['contacts']:,}", f"{r['contacts'] / r['count_s']:,.0f} contacts/s",
                     f"{r['contacts'] / r['seconds']:,.0f} contacts/s", f"{r['seconds']:,.1f} s", kill,
                     f"{r['sends']:,} sends, {r['distinct']:,} distinct: {'PASS' if ok else 'FAIL'}"])
    header = ["backend", "contacts", "count", "fan-out", "fan-out time", "worker", "exactly once"]
    print(report.text_table(header, rows))
    out = args.out or (DOCS if args.markdown else None)
    if out is not None:
        command = shlex.join([".venv/bin/python", "-m", "scripts.bench.broadcast",
                              *(sys.argv[1:] if argv is None else argv)])
        machine = stores.machine(args.pg_url if any(r[0] == "postgres" for r in rows) else None, load)
        section = "\n".join([
            START, "## Broadcast fan-out (console.md §9.2)", "",
            f"`{command}`, {time.strftime('%Y-%m-%d %H:%M %Z')}. One broadcast to every subscribed contact "
            "(segment `{tag: all}`), fanned out by the worker in a process of its own "
            "(`python -m adapters.campaigns.broadcast_worker`), each page of sends one save through "
            "`enqueue_sends` then one `PageDispatched`; *count* is `POST /count` (decrypt, segment, "
            "suppressions) over all contacts; *exactly once* reads the sending log's `Message.Queued` "
            "events back.", "",
            report.md_table(header, rows), "", *(f"- {k}: {v}" for k, v in machine.items()), END, ""])
        report.write_section(out, section, start=START, end=END)
        print(f"wrote {out}")
    return 1 if failed and args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
