"""Entering runs: contact events (followed from the console log), segment scans, cron firings.

The event follower reads a page of the console log after its saved position, starts the runs
it calls for, then saves the position: entering is idempotent by (flow, entryKey), so a crash
between the two re-reads the page and doubles nothing. Whether a flow took entries at the
event's time is decided from the flow's own enable periods, so a lagging follower enters
exactly what a live one would have (console.md §8: triggers while paused are dropped).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from uuid import UUID

from adapters.campaigns.flow_contacts import ContainerFlowContacts
from adapters.campaigns.flow_store import SqlFlowStore
from domain.campaigns.flow import Flow
from domain.campaigns.flow_cron import latest_firing
from domain.campaigns.predicates import ContactFacts, compile_segment
from domain.campaigns.segment import needs as segment_needs
from domain.console.contact_event import ContactEvent

if TYPE_CHECKING:
    from adapters.bootstrap import Container

CURSOR = "console-events"
CONTACTS_PAGE = 500


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class FlowTriggers:
    def __init__(
        self,
        container: Container,
        contacts: ContainerFlowContacts,
        store: SqlFlowStore,
        settle: Any,
        page_size: int = 500,
    ) -> None:
        self.c, self.contacts, self.store, self.settle, self.page_size = (
            container,
            contacts,
            store,
            settle,
            page_size,
        )

    def _flows(self, trigger_type: str) -> dict[str, list[Flow]]:
        out: dict[str, list[Flow]] = {}
        for row in self.c.projections["flows"].view.with_trigger(trigger_type):
            flow = self.c.flows.find_flow(row.tenant_id, row.slug)
            if flow is not None and flow.versions:
                out.setdefault(row.tenant_id, []).append(flow)
        return out

    # --- contact events -------------------------------------------------------------------
    def follow_events(self) -> int:
        source = self.c.sources()["console"]
        start = self.store.position(CURSOR)
        notes = source.select(start, self.page_size, None)
        if not notes:
            return 0
        self.settle()  # the flows view now holds every flow published before these events
        flows, started = self._flows("event"), 0
        for n in notes:
            if n.topic.partition("#")[0] != ContactEvent.Fired.TOPIC:
                continue
            event: Any = source.mapper.to_domain_event(n)
            started += sum(self._enter_event(f, event) for f in flows.get(event.tenant_id, []))
        self.store.set_position(CURSOR, notes[-1].id)
        return started + 1

    def _enter_event(self, flow: Flow, e: Any) -> int:
        at, wall = e.timestamp, e.meta.recorded_at or float("inf")
        if not flow.enabled_at(at, wall):
            return 0
        version = flow.version_at(at, wall)
        trigger = flow.versions[version]["trigger"]
        if trigger.get("type") != "event" or trigger.get("eventName") != e.name:
            return 0
        if trigger.get("where"):
            props = self.contacts.open(e.tenant_id, e.external_id, e.properties) or {}
            if any(props.get(k) != v for k, v in trigger["where"].items()):
                return 0
        if not self._may_enter(e.tenant_id, e.external_id):
            return 0
        run = self.c.flows.enter_flow(
            flow,
            e.contact_id,
            e.external_id,
            e.dedupe_key,
            {"type": "event", "name": e.name, "eventId": str(e.originator_id), "properties": e.properties},
            at,
            once=bool(trigger.get("once", True)),
            version=version,
        )
        return int(run is not None)

    def _may_enter(self, tenant_id: str, external_id: str) -> bool:
        state = self.contacts.state(tenant_id, external_id)
        return state.exists and not state.forgotten and state.status == "subscribed"

    # --- segments and cron ----------------------------------------------------------------
    def matching(
        self, tenant_id: str, segment: dict[str, Any], now: float
    ) -> dict[str, tuple[str, str | None]]:
        """{contactId: (externalId, status)} of the tenant's live contacts in the segment."""
        test, wanted = compile_segment(segment, "$.trigger.segment"), segment_needs(segment)
        self.settle("contacts")  # who matches now: the contacts view holds every change made so far
        view, vault, out = self.c.projections["contacts"].view, self.c.vault, {}
        after = None
        while True:
            rows = view.page(tenant_id, status=None, after=after, limit=CONTACTS_PAGE)
            keys = vault.keys(tenant_id, [UUID(r.contact_id) for r in rows], create=False)
            for r in rows:
                data = vault.open(keys.get(UUID(r.contact_id)), r.personal)
                if data is None:
                    continue
                facts = self._facts(tenant_id, r, data, wanted)
                if test(facts, now):
                    out[r.contact_id] = (r.external_id, r.status)
            if len(rows) < CONTACTS_PAGE:
                return out
            after = (rows[-1].created_ts, rows[-1].contact_id)

    def _facts(self, tenant_id: str, r: Any, data: dict[str, Any], wanted: set[str]) -> ContactFacts:
        if wanted:  # engagement facts: the per-contact loader reads only what is needed
            return self.contacts.facts(tenant_id, r.external_id, wanted, None, None)
        sub = r.subscription
        return ContactFacts(
            contact_id=r.contact_id,
            tags=frozenset(data.get("tags") or []),
            fields=dict(data.get("fields") or {}),
            status=r.status,
            created_at=r.created_ts,
            subscribed_at=sub.subscribed_at if sub else None,
            locale=data.get("locale"),
            timezone=data.get("timezone"),
            email=data.get("email"),
        )

    def scan_segments(self, now: float) -> int:
        started = 0
        for tenant_flows in self._flows("segment_enter").values():
            for flow in tenant_flows:
                started += self._scan(flow, now)
        return started

    def _scan(self, flow: Flow, now: float) -> int:
        if not flow.enabled:
            return 0
        trigger, fid = flow.versions[flow.published_version]["trigger"], str(flow.id)
        epoch = flow.enabled_since
        last, pending, seen_epoch = self.store.scan(fid)
        first_scan = seen_epoch != epoch
        if pending is None:
            if not first_scan and last is not None and now < last + trigger["scanMinutes"] * 60:
                return 0
            pending = now
            self.store.begin_scan(fid, pending)
        matching = self.matching(flow.tenant_id, trigger["segment"], pending)
        before = set() if first_scan else self.store.members(fid)
        entrants = (
            []
            if first_scan and not trigger.get("includeExisting")
            else [cid for cid in matching if cid not in before]
        )
        started = 0
        for cid in entrants:
            external_id, status = matching[cid]
            if status == "subscribed" and self._may_enter(flow.tenant_id, external_id):
                run = self.c.flows.enter_flow(
                    flow,
                    cid,
                    external_id,
                    f"seg:{iso(pending)}:{cid}",
                    {"type": "segment_enter"},
                    pending,
                    once=False,
                )
                started += int(run is not None)
        self.store.finish_scan(fid, pending, epoch, matching)
        return started + 1

    def fire_crons(self, now: float) -> int:
        started = 0
        for tenant_flows in self._flows("cron").values():
            for flow in tenant_flows:
                started += self._fire(flow, now)
        return started

    def _fire(self, flow: Flow, now: float) -> int:
        if not flow.enabled:
            return 0
        trigger, fid = flow.versions[flow.published_version]["trigger"], str(flow.id)
        epoch = flow.enabled_since
        last, _, _ = self.store.scan(fid)
        firing = latest_firing(trigger["cron"], trigger.get("timezone", "UTC"), max(last or 0.0, epoch), now)
        if firing is None:
            return 0
        started = 0
        for cid, (external_id, status) in self.matching(flow.tenant_id, trigger["segment"], firing).items():
            if status == "subscribed" and self._may_enter(flow.tenant_id, external_id):
                run = self.c.flows.enter_flow(
                    flow,
                    cid,
                    external_id,
                    f"cron:{iso(firing)}:{cid}",
                    {"type": "cron", "firingAt": firing},
                    firing,
                    once=False,
                )
                started += int(run is not None)
        self.store.finish_scan(fid, firing, epoch, None)
        return started + 1
