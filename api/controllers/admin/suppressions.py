"""Suppressions (console.md §7): list newest first, add, lift (audited), gdpr_forget.

Entries are the proxy's ``SuppressionEntry`` in the sending log, so the dispatcher checks
exactly what the console shows. Hash-only rows (a console unsubscribe, a forget) show the
address of the tenant's live contact with that hash, if there is one.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post

from adapters import console_ops
from api.admin_auth import READ, SUPPRESSIONS, console_meta, console_of
from api.admin_common import bad_value, limit_of, make_cursor, parse_iso, read_cursor
from api.body import decode_body
from api.calls import container_of, in_thread
from api.contact_views import suppression_out
from api.contracts.admin_suppressions import (
    SuppressionAdd,
    SuppressionAdded,
    SuppressionLift,
    SuppressionLifted,
    SuppressionPage,
)
from api.controllers.admin.contact_writes import SUPPRESSION_VIEWS, settle_all
from domain.console.personal import email_problem, normal_email

FILTERS = ("email", "scope", "reason", "source")


def _emails_of(request: Request[Any, Any, Any], tenant_id: str, keys: list[str]) -> dict[str, str]:
    """address key -> address, for hash-only rows whose contact is known and not forgotten."""
    container = container_of(request)
    view = container.projections["contacts"].view
    rows = [r for k in dict.fromkeys(keys) for r in view.by_address(tenant_id, k)]
    sealed = container.vault.keys(tenant_id, [UUID(r.contact_id) for r in rows], create=False)
    out = {}
    for row in rows:
        data = container.vault.open(sealed.get(UUID(row.contact_id)), row.personal)
        if isinstance(data, dict) and data.get("email"):
            out[row.address_key] = data["email"]
    return out


class SuppressionsController(Controller):
    path = "/admin/api/suppressions"
    tags = ["console: suppressions"]

    @get("/", operation_id="ConsoleListSuppressions", summary="Suppressions, newest first", guards=[READ])
    async def list_suppressions(self, request: Request[Any, Any, Any]) -> SuppressionPage:
        tenant_id, container = console_of(request).tenant_id, container_of(request)
        filters = {k: request.query_params[k] for k in FILTERS if request.query_params.get(k)}
        limit, after = limit_of(request, 100, 500), read_cursor(request, "suppressions", filters)
        key = container.secret_box.address_key(tenant_id, filters["email"]) if "email" in filters else None
        rows = await in_thread(
            container.projections["suppressions"].view.list,
            tenant_id,
            address_key=key,
            scope=filters.get("scope"),
            reason=filters.get("reason"),
            source=filters.get("source"),
            before=tuple(after) if after else None,
            limit=limit + 1,
        )
        page = rows[:limit]
        emails = await in_thread(
            _emails_of, request, tenant_id, [r.address_key for r in page if r.email is None]
        )
        cursor = (
            make_cursor(request, "suppressions", filters, [page[-1].added_ts, page[-1].seq])
            if len(rows) > limit
            else None
        )
        return SuppressionPage([suppression_out(r, emails.get(r.address_key)) for r in page], cursor)

    @post("/", operation_id="ConsoleAddSuppression", summary="Suppress an address", guards=[SUPPRESSIONS])
    async def add(self, request: Request[Any, Any, Any]) -> Response[SuppressionAdded]:
        body = await decode_body(request, SuppressionAdd)
        email = normal_email(body.email)
        if email_problem(email):
            raise bad_value("email", "not an email address")
        if body.reason == "gdpr_forget" and body.scope != "all":
            raise bad_value("scope", "gdpr_forget needs scope all")
        expires = parse_iso(body.expires_at, "expiresAt") if body.expires_at else None
        tenant_id, container, meta = (
            console_of(request).tenant_id,
            container_of(request),
            console_meta(request),
        )
        positions, forgot = console_ops.Positions(), 0
        if body.reason == "gdpr_forget":  # forget every contact with the address, keep a hash-only row
            key = container.secret_box.address_key(tenant_id, email)
            positions, forgot = await in_thread(console_ops.forget_address, container, tenant_id, key, meta)
        key = container.secret_box.address_key(tenant_id, email)
        # a contact's address stays sealed with the contact (console.md §2.4): the row keeps the
        # hash only and shows the address through the contact, so a forget erases it here too
        contacts = container.projections["contacts"].view
        known = bool(await in_thread(contacts.by_address, tenant_id, key))
        done = await in_thread(
            container.sending.add_suppression,
            tenant_id,
            None if body.reason == "gdpr_forget" or known else email,
            body.scope,
            body.reason,
            source=body.source,
            notes=body.notes,
            expires_at=expires,
            address_key=key,
            meta=meta,
        )
        positions.sending = max(positions.sending, done.position)
        await settle_all(request, positions.as_dict())
        row = await in_thread(container.projections["suppressions"].view.get, done.entry_id)
        given = None if body.reason == "gdpr_forget" else email
        shown = suppression_out(row, given) if row is not None else {}
        created = done.created or forgot > 0
        return Response(
            SuppressionAdded(ok=True, created=created, suppression=shown), status_code=201 if created else 200
        )

    @post(
        "/lift",
        operation_id="ConsoleLiftSuppression",
        summary="Stop suppressing an address",
        guards=[SUPPRESSIONS],
        status_code=200,
    )
    async def lift(self, request: Request[Any, Any, Any]) -> SuppressionLifted:
        body = await decode_body(request, SuppressionLift)
        tenant_id, container = console_of(request).tenant_id, container_of(request)
        lifted, position = await in_thread(
            container.sending.lift_suppression,
            tenant_id,
            normal_email(body.email),
            body.scope,
            body.note,
            force=body.force,
            meta=console_meta(request),
        )
        await settle_all(request, {"sending": position}, SUPPRESSION_VIEWS)
        return SuppressionLifted(ok=True, lifted=len(lifted))
