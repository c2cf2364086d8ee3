"""One-off template sends: ``POST /admin/api/sends`` (console.md §6, §2.3)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post

from adapters.templates import sends
from api.admin_auth import PUBLISH, console_meta, console_of
from api.admin_common import EXTERNAL_ID, bad_value, check_id
from api.body import decode_body
from api.calls import container_of, in_thread
from api.contracts.admin_templates import OneOffBody, SendAnswer
from api.controllers.admin.contact_writes import settle_all


class TemplateSendsController(Controller):
    path = "/admin/api/sends"
    tags = ["console: sends"]

    @post(
        "/",
        operation_id="ConsoleOneOffSend",
        summary="Send a published template to a contact",
        guards=[PUBLISH],
        status_code=202,
    )
    async def send(self, request: Request[Any, Any, Any]) -> SendAnswer:
        body = await decode_body(request, OneOffBody)
        if (body.external_id is None) == (body.to is None):
            raise bad_value("externalId", "give externalId (a contact) or to (an address), not both")
        if body.external_id is not None:
            check_id(body.external_id, EXTERNAL_ID, "externalId")
        if body.to is not None and "@" not in body.to:
            raise bad_value("to", "an email address")
        done = await in_thread(
            sends.oneoff,
            container_of(request),
            console_of(request).tenant_id,
            body.template_slug,
            body.dedupe_key,
            external_id=body.external_id,
            to=body.to,
            values=body.vars,
            account_id=body.account_id,
            meta=console_meta(request),
        )
        await settle_all(request, {"sending": done.position}, ["messages"])
        return SendAnswer(
            send_id=done.send_id,
            status=done.status,
            duplicate=done.duplicate,
            status_reason=done.status_reason,
        )
