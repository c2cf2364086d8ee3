"""Operational commands (proxy.md §4.1): run-now, suspend and activate batches."""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, post

from api.auth import authenticated, query_tenant, select_tenant
from api.body import decode_body
from api.calls import container_of, in_thread, meta_of, settle
from api.contracts.tenancy import BatchRequest, Ok, RunNow, SuspensionState
from api.errors import ApiError
from api.views import tenant_row
from application.sending.reporter import nudge
from domain.tenancy.ids import BATCH_CODE_PATTERN

_BATCH = re.compile(BATCH_CODE_PATTERN)


def _batch_code(request: Request[Any, Any, Any], body: BatchRequest) -> str | None:
    query = request.query_params.get("batch_code")
    if query is not None and not _BATCH.match(query):
        raise ApiError(422, "validation_failed", "batch_code does not match ^[A-Za-z0-9._:-]{1,64}$",
                       details=[{"field": "batch_code", "reason": "pattern", "message": "bad batch code"}])
    if query is not None and body.batch_code is not None and query != body.batch_code:
        raise ApiError(422, "validation_failed", "batch_code in the query and the body differ",
                       details=[{"field": "batch_code", "reason": "type", "message": "differs"}])
    return query if query is not None else body.batch_code


class CommandsController(Controller):
    path = "/commands"
    tags = ["commands"]
    guards = [authenticated, query_tenant]

    @post("/run-now", operation_id="RunNow", summary="Wake every worker now", status_code=200)
    async def run_now(self, request: Request[Any, Any, Any]) -> Ok:
        body = await decode_body(request, RunNow, empty_ok=True)
        tenant_id = select_tenant(request, body.tenant_id, required=False)
        container = container_of(request)
        if tenant_id is not None:
            await tenant_row(request, tenant_id)
            position = await in_thread(nudge, container.sending, tenant_id, meta_of(request))
            await settle(request, position, ["reports"], "sending")
        container.hub.wake()
        return Ok()

    @post("/suspend", operation_id="SuspendSending", summary="Suspend a batch, or all sending",
          status_code=200)
    async def suspend(self, request: Request[Any, Any, Any]) -> SuspensionState:
        return await self._change(request, suspend=True)

    @post("/activate", operation_id="ActivateSending", summary="Resume a batch, or all sending",
          status_code=200)
    async def activate(self, request: Request[Any, Any, Any]) -> SuspensionState:
        return await self._change(request, suspend=False)

    async def _change(self, request: Request[Any, Any, Any], *, suspend: bool) -> SuspensionState:
        body = await decode_body(request, BatchRequest, empty_ok=True)
        tenant_id = select_tenant(request, body.tenant_id)
        assert tenant_id is not None
        batch_code = _batch_code(request, body)
        await tenant_row(request, tenant_id)
        tenancy = container_of(request).tenancy
        command = tenancy.suspend if suspend else tenancy.activate
        tenant, position = await in_thread(command, tenant_id, batch_code, meta_of(request))
        # the dispatcher reads holds from the messages view: once we answer, nothing held leaves
        await settle(request, position, ["tenants", "messages"])
        pending = await in_thread(container_of(request).projections["messages"].view.pending_count, tenant_id)
        return SuspensionState(ok=True, tenant_id=tenant_id, batch_code=batch_code,
                               suspended_batches=list(tenant.suspended), pending_messages=pending)
