"""Messages (proxy.md §4.2): queue, cancel, clean up, list, and one message with its history."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter

from adapters.operations import purge_messages
from api.auth import authenticated, query_tenant, select_tenant
from api.body import decode_body
from api.calls import container_of, in_thread, meta_of, settle
from api.contracts.messages import (
    AddMessages,
    AddMessagesAnswer,
    CleanupAnswer,
    CleanupMessages,
    DeleteAnswer,
    DeleteMessages,
    MessageDetail,
    MessageList,
    NotRemovable,
)
from api.enqueue import enqueue
from api.errors import ApiError
from api.message_views import detail_from_aggregate, history_of, record_from_row
from api.views import not_found, tenant_row

STATUSES = frozenset({"pending", "deferred", "sending", "sent", "error", "rejected", "cancelled"})
ACTIVE = ["pending", "deferred", "sending"]
VIEWS = ["messages"]


def _statuses(status: str | None, active_only: bool) -> list[str] | None:
    if active_only:
        return ACTIVE
    if status is None:
        return None
    wanted = [s.strip() for s in status.split(",") if s.strip()]
    bad = [s for s in wanted if s not in STATUSES]
    if bad or not wanted:
        raise ApiError(422, "validation_failed", f"unknown status {', '.join(bad) or status!r}",
                       details=[{"field": "status", "reason": "enum", "message": "not a message status"}])
    return wanted


class MessagesController(Controller):
    tags = ["messages"]
    guards = [authenticated, query_tenant]

    @post("/commands/add-messages", operation_id="AddMessages", summary="Queue messages for delivery")
    async def add(self, request: Request[Any, Any, Any]) -> Response[AddMessagesAnswer]:
        body = await decode_body(request, AddMessages)
        answer = await enqueue(request, body)
        nothing = answer.queued == 0 and answer.rejected and all(
            r.reason not in ("already_sent", "in_progress") for r in answer.rejected)
        if nothing:
            raise ApiError(400, "validation_failed", "no message was queued", ok=False, queued=0,
                           rejected=[_builtin(r) for r in answer.rejected])
        return Response(answer, status_code=200)

    @post("/commands/delete-messages", operation_id="DeleteMessages", summary="Cancel queued messages",
          status_code=200)
    async def delete(self, request: Request[Any, Any, Any]) -> DeleteAnswer:
        body = await decode_body(request, DeleteMessages)
        tenant_id = select_tenant(request, body.tenant_id)
        assert tenant_id is not None
        await tenant_row(request, tenant_id)
        result = await in_thread(container_of(request).sending.cancel_messages, tenant_id, body.ids,
                                 meta_of(request))
        await settle(request, result.position, VIEWS, "sending")
        return DeleteAnswer(ok=True, removed=result.removed, not_found=result.not_found,
                            not_removable=[_not_removable(x) for x in result.not_removable])

    @post("/commands/cleanup-messages", operation_id="CleanupMessages",
          summary="Remove old reported messages from the lists", status_code=200)
    async def cleanup(self, request: Request[Any, Any, Any]) -> CleanupAnswer:
        body = await decode_body(request, CleanupMessages, empty_ok=True)
        tenant_id = select_tenant(request, body.tenant_id)
        assert tenant_id is not None
        await tenant_row(request, tenant_id)
        container = container_of(request)
        older = body.older_than_seconds
        if older is None:
            older = (await in_thread(container.tenancy.instance_config)).reporting.retention_seconds
        removed = await in_thread(purge_messages, container, tenant_id, older, automatic=False,
                                  meta=meta_of(request))
        return CleanupAnswer(ok=True, removed=removed)

    @get("/messages", operation_id="ListMessages", summary="Queued and sent messages, in queue order")
    async def list_messages(
        self, request: Request[Any, Any, Any], status: FromQuery[str | None] = None,
        active_only: FromQuery[bool] = False, batch_code: FromQuery[str | None] = None,
        account_id: FromQuery[str | None] = None, since_ts: FromQuery[float | None] = None,
        until_ts: FromQuery[float | None] = None, include_history: FromQuery[bool] = False,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100, cursor: FromQuery[str | None] = None,
    ) -> MessageList:
        tenant_id = select_tenant(request)
        assert tenant_id is not None
        await tenant_row(request, tenant_id)
        container = container_of(request)
        view = container.projections["messages"].view
        try:
            rows, next_cursor = await in_thread(
                view.list, tenant_id, statuses=_statuses(status, active_only), batch_code=batch_code,
                account_id=account_id, since_ts=since_ts, until_ts=until_ts, limit=limit, after=cursor)
        except ValueError as exc:
            raise ApiError(422, "validation_failed", "cursor is not one this API issued",
                           details=[{"field": "cursor", "reason": "pattern", "message": str(exc)}]) from exc
        records = []
        for row in rows:
            history = None
            if include_history:
                message = await in_thread(container.sending.get_message, tenant_id, row.client_id)
                reported = await in_thread(view.reported, row.pk)
                history = history_of(message, reported) if message is not None else []
            records.append(record_from_row(row, history))
        return MessageList(ok=True, messages=records, next_cursor=next_cursor)

    @get("/messages/{id:str}", operation_id="GetMessage", summary="One message, its payload and history")
    async def get_message(self, request: Request[Any, Any, Any], id: FromPath[str]) -> MessageDetail:
        tenant_id = select_tenant(request)
        assert tenant_id is not None
        container = container_of(request)
        message = await in_thread(container.sending.get_message, tenant_id, id)
        if message is None:
            raise not_found(f"message {id}")
        tenant = await in_thread(container.projections["tenants"].view.get, tenant_id)
        view = container.projections["messages"].view
        row = await in_thread(view.get, tenant_id, id)
        reported = await in_thread(view.reported, str(message.id))
        held = _held_by(tenant, message.fields.batch_code if message.fields else None)
        return detail_from_aggregate(message, held_by=held, purged=row is None, reported=reported,
                                     tenant_deleted=tenant is None or tenant.deleted)


def _held_by(tenant: Any, batch_code: str | None) -> str | None:
    if tenant is None or tenant.deleted:
        return None
    if not tenant.settings.active:
        return "tenant_inactive"
    if "*" in tenant.suspended:
        return "tenant_suspended"
    if batch_code is not None and batch_code in tenant.suspended:
        return "batch_suspended"
    return None


def _not_removable(item: dict[str, str]) -> NotRemovable:
    return NotRemovable(id=item["id"], status=item["status"])


def _builtin(rejection: Any) -> dict[str, Any]:
    return msgspec.to_builtins(rejection)  # type: ignore[no-any-return]
