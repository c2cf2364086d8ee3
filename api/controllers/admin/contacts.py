"""Contacts, read side: list, detail, export (console.md §4)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.params import FromPath

from api.admin_auth import READ, console_of
from api.admin_common import EXTERNAL_ID, check_id, limit_of, make_cursor, read_cursor
from api.calls import container_of, in_thread
from api.contact_views import contact_out, event_out, keys_for, subscription_out, suppression_out
from api.contracts.admin_contacts import ContactCounts, ContactDetail, ContactExport, ContactPage
from api.controllers.admin.flow_docs import run_doc
from api.errors import ApiError
from api.send_views import send_out
from projections.console_contacts import STATUSES, ContactRow

SCAN = 500  # rows opened per round when a filter needs the sealed data (tag, q)


def contact_not_found(external_id: str) -> ApiError:
    return ApiError(404, "not_found", f"contact {external_id[:80]} not found")


class ContactsReadController(Controller):
    path = "/admin/api/contacts"
    tags = ["console: contacts"]

    @get("/", operation_id="ConsoleListContacts", summary="Contacts, newest first", guards=[READ])
    async def list_contacts(self, request: Request[Any, Any, Any]) -> ContactPage:
        status, tag, q = (request.query_params.get(k) for k in ("status", "tag", "q"))
        if status is not None and status not in STATUSES:
            raise ApiError(
                400,
                "validation_failed",
                "status: not a subscription status",
                details=[{"path": "$.status", "message": "not a subscription status"}],
            )
        limit = limit_of(request, 50, 200)
        filters = {k: v for k, v in (("status", status), ("tag", tag), ("q", q)) if v is not None}
        after = read_cursor(request, "contacts", filters)
        tenant_id = console_of(request).tenant_id
        page, more = await in_thread(
            self._page,
            request,
            tenant_id,
            status,
            tag,
            (q or "").lower(),
            tuple(after) if after else None,
            limit,
        )
        view = container_of(request).projections["contacts"].view
        counts = await in_thread(view.counts, tenant_id)
        cursor = None
        if more and page:
            cursor = make_cursor(request, "contacts", filters, [page[-1].created_ts, page[-1].contact_id])
        keys = await in_thread(keys_for, request, tenant_id, [r.contact_id for r in page])
        return ContactPage(
            contacts=[contact_out(request, r, keys) for r in page],
            counts=ContactCounts(**counts),
            next_cursor=cursor,
        )

    @staticmethod
    def _page(
        request: Request[Any, Any, Any],
        tenant_id: str,
        status: str | None,
        tag: str | None,
        q: str,
        after: tuple[float, str] | None,
        limit: int,
    ) -> tuple[list[ContactRow], bool]:
        """A page of rows and whether more follow. Tag and prefix filters open sealed data,
        so they scan in rounds until the page is full (no index can see inside the seal)."""
        view = container_of(request).projections["contacts"].view
        if tag is None and not q:
            rows = view.page(tenant_id, status=status, after=after, limit=limit + 1)
            return rows[:limit], len(rows) > limit
        vault, out = container_of(request).vault, []
        while True:
            rows = view.page(tenant_id, status=status, after=after, limit=SCAN)
            keys = keys_for(request, tenant_id, [r.contact_id for r in rows])
            for row in rows:
                data = vault.open(keys.get(UUID(row.contact_id)), row.personal) or {}
                if (tag is None or tag in data.get("tags", [])) and str(data.get("email", "")).startswith(q):
                    if len(out) == limit:
                        return out, True
                    out.append(row)
            if len(rows) < SCAN:
                return out, False
            after = (rows[-1].created_ts, rows[-1].contact_id)

    @get(
        "/{external_id:str}",
        operation_id="ConsoleGetContact",
        summary="One contact and its activity",
        guards=[READ],
    )
    async def get_contact(self, request: Request[Any, Any, Any], external_id: FromPath[str]) -> ContactDetail:
        parts = await self._parts(request, external_id)
        return ContactDetail(
            contact=parts["contact"],
            subscription=parts["contact"].subscription,
            suppressions=parts["suppressions"],
            recent_events=parts["events"],
            recent_sends=parts["sends"],
            active_runs=[run_doc(r) for r in parts["runs"] if r["status"] in ("active", "held")],
        )

    @get(
        "/{external_id:str}/export",
        operation_id="ConsoleExportContact",
        summary="Everything stored about one contact (GDPR access)",
        guards=[READ],
    )
    async def export_contact(
        self, request: Request[Any, Any, Any], external_id: FromPath[str]
    ) -> ContactExport:
        parts = await self._parts(request, external_id, events=1000)
        return ContactExport(
            contact=parts["contact"],
            subscription=parts["contact"].subscription,
            events=parts["events"],
            flow_runs=[run_doc(r) for r in parts["runs"]],
            sends=parts["sends"],
            suppressions=parts["suppressions"],
        )

    @staticmethod
    async def _parts(request: Request[Any, Any, Any], external_id: str, events: int = 50) -> dict[str, Any]:
        check_id(external_id, EXTERNAL_ID, "externalId")
        tenant_id, container = console_of(request).tenant_id, container_of(request)
        row = await in_thread(container.projections["contacts"].view.get, tenant_id, external_id)
        if row is None:
            raise contact_not_found(external_id)
        keys = await in_thread(keys_for, request, tenant_id, [row.contact_id])
        suppressions = await in_thread(
            container.projections["suppressions"].view.list, tenant_id, address_key=row.address_key, limit=50
        )
        recent = await in_thread(container.projections["contact_events"].view.recent, row.contact_id, events)
        sends = await in_thread(
            container.projections["sends"].view.page, tenant_id, {"contact_id": row.contact_id}, None, events
        )
        runs = await in_thread(  # the contact's flow runs (console.md §8), newest first
            container.projections["flows"].view.runs_of_contact, tenant_id, row.contact_id, live_only=False,
            limit=events,
        )
        contact = contact_out(request, row, keys)
        people = {row.contact_id: (row.external_id, contact.email)}
        return {
            "runs": runs,
            "sends": [send_out(s, people) for s in sends],
            "contact": contact,
            "suppressions": [suppression_out(s, contact.email) for s in suppressions],
            "events": [event_out(request, e, keys) for e in recent],
        }


__all__ = ["ContactsReadController", "contact_not_found", "subscription_out"]
