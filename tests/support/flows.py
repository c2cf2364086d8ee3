"""Helpers for flow tests: a manual clock, a recording fake of the send effect, a harness."""

from __future__ import annotations

import datetime as dt
from typing import Any

from adapters.bootstrap import Container
from adapters.campaigns.flow_effects import ContainerFlowEffects
from adapters.campaigns.flow_worker import FlowWorker
from application.campaigns.flow_ports import FlowSend, SendOutcome
from domain.campaigns.flow_definition import check_steps, check_trigger
from domain.console.ids import contact_uuid
from domain.sending.ids import message_uuid

DAY = 86_400.0
# Monday 2026-06-01 10:00 UTC: a known weekday for delivery windows
START = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC).timestamp()


class ManualClock:
    """The injectable Clock port, moved by hand."""

    def __init__(self, now: float = START) -> None:
        self.t = now

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class RecordingEffects(ContainerFlowEffects):
    """Real tags, events and webhooks; sends are recorded instead of entering the pipeline
    (tests of the real pipeline live in tests/e2e/test_console_flows.py)."""

    def __init__(self, container: Container, **kwargs: Any) -> None:
        super().__init__(container, **kwargs)
        self.sends: list[FlowSend] = []

    def send(self, tenant_id: str, send: FlowSend) -> SendOutcome:
        if send.slug == "broken":
            return SendOutcome(None, "failed", "vars_invalid")
        if all(s.dedupe_key != send.dedupe_key for s in self.sends):
            self.sends.append(send)
        return SendOutcome(str(message_uuid(tenant_id, send.dedupe_key)), "queued")


class Harness:
    def __init__(self, container: Container, clock: ManualClock, tenant: str = "acme") -> None:
        self.c, self.clock, self.tenant = container, clock, tenant
        self.effects = RecordingEffects(container, allow_private_webhooks=True)
        self.worker = FlowWorker(container, effects=self.effects)

    def contact(self, ext: str, *, subscribed: bool = True, **changes: Any) -> str:
        self.c.console.upsert_contact(self.tenant, ext, {"email": f"{ext}@ex.test", **changes})
        if subscribed:
            self.c.console.subscribe_contact(self.tenant, ext, "test", None, None, None)
        return str(contact_uuid(self.tenant, ext))

    def flow(
        self,
        slug: str,
        steps: list[dict[str, Any]],
        trigger: dict[str, Any] | None = None,
        *,
        publish: bool = True,
    ) -> None:
        trig = check_trigger(trigger or {"type": "event", "eventName": "Signup"})
        if self.c.flows.find_flow(self.tenant, slug) is None:
            self.c.flows.create_flow(
                self.tenant, slug, {"name": slug, "description": "", "goal": "activation"}, trig
            )
        self.c.flows.save_flow_draft(
            self.tenant, slug, {"steps": check_steps(steps), "trigger": trig}, {}, None
        )
        if publish:
            self.c.flows.publish_flow(self.tenant, slug, True, lambda _t: True)

    def fire(self, ext: str, name: str = "Signup", key: str | None = None, **props: Any) -> None:
        self.c.console.fire_event(
            self.tenant,
            ext,
            name,
            key=key or f"{ext}:{name}:{self.clock.now()}",
            occurred_at=None,
            properties=props or None,
        )

    def drain(self) -> int:
        return self.worker.drain()

    def runs(self, slug: str, status: str | None = None) -> list[dict[str, Any]]:
        self.worker.triggers.settle()
        return self.c.projections["flows"].view.runs(self.tenant, slug, status=status, before=None, limit=200)

    def sent(self, slug: str | None = None) -> list[str]:
        return [s.slug for s in self.effects.sends if slug is None or s.batch_code == f"f:{slug}"]

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)


NEWS_HTML = (
    "<html><body><p>News for {{ contact.email }}</p>"
    '<p><a href="{{ unsubscribeUrl }}">Unsubscribe</a></p></body></html>'
)


def acme_fixture(c: Container, tenant: str = "acme", *, create: bool = True, sink: Any = None) -> None:
    """§17's fixture for a tenant: sender domains, account ``sink``, published ``news`` and ``receipt``."""
    from application.templates.publish import publish_template

    if create:
        c.tenancy.create_tenant(tenant, {}, None)
    where = (
        {"host": sink.host, "port": sink.port, "use_tls": False}
        if sink
        else {"host": "127.0.0.1", "port": 2525}
    )
    c.tenancy.register_account(tenant, "sink", where)
    c.content.change_settings(
        tenant,
        {
            "senderDomains": {"news.acme.test": "marketing", "mail.acme.test": "transactional"},
            "defaultAccounts": {"marketing": "sink", "transactional": "sink"},
        },
    )
    for slug, kind, sender in (
        ("news", "marketing", "hello@news.acme.test"),
        ("receipt", "transactional", "billing@mail.acme.test"),
    ):
        fields = {
            "name": slug,
            "description": "",
            "kind": kind,
            "from_name": None,
            "from_email": sender,
            "reply_to": None,
            "account_id": None,
            "body_format": "multipart",
            "track_opens": False,
            "track_clicks": False,
            "tags": [],
            "variables_schema": None,
        }
        c.content.create_template(tenant, slug, fields, f"{slug} today", "", "html")
        c.content.save_draft(tenant, slug, {"html": NEWS_HTML}, {}, None)
        publish_template(
            c.content, tenant, slug, bypass=True, public_url="http://127.0.0.1:8000", accounts={"sink"}
        )


class Pipeline(Harness):
    """Tenant acme as §17's fixture has it, projections running, and the real send pipeline."""

    def __init__(self, container: Container, clock: ManualClock, tenant: str = "acme") -> None:
        acme_fixture(container, tenant)
        container.start_projections()
        super().__init__(container, clock, tenant)
        self.effects = ContainerFlowEffects(container, allow_private_webhooks=True)  # type: ignore[assignment]
        self.worker = FlowWorker(container, effects=self.effects)

    def sends(self, slug: str) -> list[dict[str, Any]]:
        self.c.catch_up(["sends"])
        rows = self.c.projections["sends"].view.page(self.tenant, {}, None, 500)
        return [
            r
            for r in rows
            if (r["dedupe_key"] or "").startswith("flowrun:")
            and any(r["dedupe_key"].startswith(f"flowrun:{run['run_id']}:") for run in self.runs(slug))
        ]
