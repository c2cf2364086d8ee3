"""``FlowContacts`` over the console application and its views: the contact as flows see it.

State comes from the write model (a step must not act on a contact forgotten a moment ago);
events and opens/clicks come from the ``contact_events`` and ``sends`` views and are read
only when a predicate needs them (``predicate_needs``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from application.campaigns.flow_ports import ContactState
from domain.campaigns.predicates import Activity, ContactFacts
from domain.campaigns.segment_facts import ACTIVITY, EVENTS

if TYPE_CHECKING:
    from adapters.bootstrap import Container

SENDS_LOOKED_AT = 500


class ContainerFlowContacts:
    def __init__(self, container: Container) -> None:
        self.c = container

    def state(self, tenant_id: str, external_id: str) -> ContactState:
        contact = self.c.console.find_contact(tenant_id, external_id)
        if contact is None:
            return ContactState(exists=False)
        if contact.forgotten:
            return ContactState(exists=True, forgotten=True)
        personal = self.c.console.personal_of(contact)
        if personal is None:  # its key went a moment ago: forgotten
            return ContactState(exists=True, forgotten=True)
        return ContactState(exists=True, status=contact.status, timezone=personal.timezone)

    def facts(
        self,
        tenant_id: str,
        external_id: str,
        needs: set[str],
        trigger: dict[str, Any] | None,
        flow_start: float | None,
    ) -> ContactFacts:
        contact = self.c.console.find_contact(tenant_id, external_id)
        personal = (
            self.c.console.personal_of(contact) if contact is not None and not contact.forgotten else None
        )
        if contact is None or personal is None:
            return ContactFacts(contact_id="", trigger=trigger, flow_start=flow_start)
        cid = str(contact.id)
        sub = contact.subscription
        events: tuple[tuple[str, float], ...] = ()
        if EVENTS in needs:
            rows = self.c.projections["contact_events"].view.recent(cid, 1000)
            events = tuple((r.name, float(r.occurred_at)) for r in rows)
        return ContactFacts(
            contact_id=cid,
            tags=frozenset(personal.tags),
            fields=dict(personal.fields),
            status=contact.status,
            created_at=contact.created_ts,
            subscribed_at=sub.subscribed_at if sub else None,
            locale=personal.locale,
            timezone=personal.timezone,
            email=personal.email,
            events=events,
            activity=self._activity(tenant_id, cid) if ACTIVITY in needs else (),
            trigger=trigger,
            flow_start=flow_start,
        )

    def _activity(self, tenant_id: str, contact_id: str) -> tuple[Activity, ...]:
        view: Any = self.c.projections["sends"].view
        out: list[Activity] = []
        for send in view.page(tenant_id, {"contact_id": contact_id}, None, SENDS_LOOKED_AT):
            for kind, count in (("open", send["open_count"]), ("click", send["click_count"])):
                if count:
                    out += [
                        Activity(kind, float(a["at"]), send["template_slug"], bool(a["bot"]))
                        for a in view.activity(send["pk"], kind)
                    ]
        return tuple(out)

    def seal(self, tenant_id: str, external_id: str, data: dict[str, Any] | None) -> str | None:
        contact = self.c.console.find_contact(tenant_id, external_id)
        if not data or contact is None:
            return None
        key = self.c.vault.keys(tenant_id, [contact.id], create=True)[contact.id]
        return self.c.vault.seal(key, data)

    def open(self, tenant_id: str, external_id: str, sealed: str | None) -> dict[str, Any] | None:
        if not sealed:
            return None
        contact = self.c.console.find_contact(tenant_id, external_id)
        if contact is None:
            return None
        key = self.c.vault.keys(tenant_id, [contact.id], create=False).get(contact.id)
        opened = self.c.vault.open(key, sealed)
        return opened if isinstance(opened, dict) else None
