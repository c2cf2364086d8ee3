"""Helpers for broadcast tests below HTTP: tenant acme with published ``news`` (marketing)
and ``receipt`` (transactional), contacts in bulk, the fan-out, and what it queued."""

from __future__ import annotations

from typing import Any

from adapters.bootstrap import Container
from adapters.campaigns import broadcast_ops as ops
from adapters.campaigns.broadcast_gate import EnvFaults
from adapters.campaigns.broadcast_worker import build_fanout, run_once
from application.templates.publish import publish_template
from domain.campaigns.broadcast_rules import new_settings
from tests.support.flows import START, ManualClock

NEWS_HTML = ('<html><body><p>News for {{ contact.email }}</p>'
             '<p><a href="{{ unsubscribeUrl }}">Unsubscribe</a></p></body></html>')
__all__ = ["START", "Harness", "ManualClock"]


class Harness:
    def __init__(self, container: Container, clock: ManualClock, tenant: str = "acme",
                 page_size: int | None = None, smtp: tuple[str, int] = ("127.0.0.1", 2525)) -> None:
        self.c, self.clock, self.tenant = container, clock, tenant
        c = container
        c.tenancy.create_tenant(tenant, {}, None)
        c.tenancy.register_account(tenant, "sink", {"host": smtp[0], "port": smtp[1], "use_tls": False})
        domains = {"news.acme.test": "marketing", "mail.acme.test": "transactional"}
        change: dict[str, Any] = {"senderDomains": domains,
                                  "defaultAccounts": {"marketing": "sink", "transactional": "sink"}}
        if page_size:
            change["broadcasts"] = {"fanoutPageSize": page_size}
        c.content.change_settings(tenant, change)
        self.template("news", "marketing", "hello@news.acme.test")
        self.template("receipt", "transactional", "billing@mail.acme.test")
        c.start_projections()
        self.fanout = build_fanout(c, faults=EnvFaults(""))

    def template(self, slug: str, kind: str, sender: str) -> None:
        fields = {"name": slug, "description": "", "kind": kind, "from_name": None, "from_email": sender,
                  "reply_to": None, "account_id": None, "body_format": "multipart",
                  "track_opens": False, "track_clicks": False, "tags": [], "variables_schema": None}
        self.c.content.create_template(self.tenant, slug, fields, f"{slug} today", "", "html")
        self.c.content.save_draft(self.tenant, slug, {"html": NEWS_HTML}, {}, None)
        publish_template(self.c.content, self.tenant, slug, bypass=True, public_url="http://127.0.0.1:8000",
                         accounts={"sink"})

    def contacts(self, names: list[str], *, subscribed: bool = True, **extra: Any) -> None:
        for start in range(0, len(names), 10_000):
            rows = [{"externalId": n, "email": f"{n}@ex.test", **extra} for n in names[start:start + 10_000]]
            self.c.console.import_contacts(self.tenant, rows, {"source": "test"} if subscribed else None, [])

    def create(self, slug: str = "b", template: str = "news", **settings: Any) -> None:
        self.c.broadcasts.create_broadcast(self.tenant, slug, slug, template, new_settings(settings))

    def count(self, slug: str = "b", segment: dict[str, Any] | None = None) -> dict[str, Any]:
        return ops.live_count(self.c, self.tenant, self.c.broadcasts.broadcast(self.tenant, slug), segment)

    def start(self, slug: str = "b", at: float | None = None, **options: Any) -> None:
        """Confirm the live count and schedule (now unless ``at``)."""
        live = self.count(slug)["recipientCount"]
        ops.confirm(self.c, self.tenant, slug, live)
        ops.schedule(self.c, self.tenant, slug, at if at is not None else self.clock.now(),
                     options.get("zone"), options.get("respect"))

    def drain(self) -> int:
        total = 0
        for _ in range(100):
            done = run_once(self.c, self.fanout)
            total += done
            if not done:
                return total
        raise AssertionError("the fan-out never went idle")

    def broadcast(self, slug: str = "b") -> Any:
        return self.c.broadcasts.broadcast(self.tenant, slug)

    def sends(self, slug: str = "b") -> list[dict[str, Any]]:
        """The broadcast's sends from the sends view, in queue order."""
        self.c.catch_up(["sends"])
        view: Any = self.c.projections["sends"].view
        with self.c.db.transaction(write=False) as tx:
            rows = tx.execute("SELECT dedupe_key, status, not_before, contact_id, holds "
                              f"FROM {view.t('sends')} WHERE tenant_id = ? AND broadcast_slug = ? "
                              "ORDER BY queued_ts, pk",
                              (self.tenant, slug))
        return [dict(zip(("dedupe_key", "status", "not_before", "contact_id", "holds"), r, strict=True))
                for r in rows]
