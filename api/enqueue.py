"""``POST /commands/add-messages``: who the messages are for, the rules they meet, one save."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request

from api.auth import caller_of, forbidden_tenant, select_tenant, state_of
from api.calls import container_of, in_thread, meta_of, settle
from api.contracts.messages import AcceptedOut, AddMessages, AddMessagesAnswer
from api.errors import ApiError
from api.views import tenant_row
from application.sending.app import QueueOptions
from application.sending.enqueue_context import queue_context
from domain.errors import InvalidValue
from domain.instance_config import InstanceConfig
from domain.sending.priority import parse_priority
from domain.sending.validate import ValidationContext, named_tenant


def _target_tenant(request: Request[Any, Any, Any], entries: list[Any]) -> str:
    """A tenant key implies its tenant (any entry naming another one: 403, nothing queued);
    the admin names it with ``?tenant_id=`` or in the messages themselves."""
    caller = caller_of(request)
    named = {t for t in (named_tenant(e) for e in entries) if t is not None}
    if not caller.is_admin:
        if named - {caller.tenant_id}:
            state_of(request)["command_tenant"] = caller.tenant_id
            raise forbidden_tenant()
        return str(caller.tenant_id)
    query = request.query_params.get("tenant_id")
    if query is None and len(named) == 1:
        query = next(iter(named))
    tenant_id = select_tenant(request, query)
    assert tenant_id is not None
    return tenant_id


async def _context(request: Request[Any, Any, Any], tenant_id: str, default_priority: Any,
                   config: InstanceConfig) -> tuple[ValidationContext, QueueOptions]:
    container = container_of(request)
    tenant = await tenant_row(request, tenant_id)
    accounts = await in_thread(container.projections["accounts"].view.list, tenant_id)
    priority = None
    if default_priority is not None:
        try:
            priority = parse_priority(default_priority, "default_priority")
        except InvalidValue as exc:
            raise ApiError(422, "validation_failed", exc.message,
                           details=[{"field": "default_priority", "reason": "enum",
                                     "message": exc.message}]) from exc
    return queue_context(tenant_id, tenant.settings, (a.account_id for a in accounts), config,
                         container.clock.now(), priority)


async def enqueue(request: Request[Any, Any, Any], body: AddMessages) -> AddMessagesAnswer:
    container = container_of(request)
    config = await in_thread(container.tenancy.instance_config)
    if len(body.messages) > config.max_messages_per_call:
        raise ApiError(422, "validation_failed",
                       f"at most {config.max_messages_per_call} messages per call",
                       details=[{"field": "messages", "reason": "length", "message": "too many items"}])
    tenant_id = _target_tenant(request, body.messages)
    ctx, options = await _context(request, tenant_id, body.default_priority, config)
    result = await in_thread(container.sending.queue_messages, ctx, body.messages, options, meta_of(request))
    await settle(request, result.position, ["messages"], "sending")
    return AddMessagesAnswer(ok=True, queued=result.queued, rejected=result.rejected,
                             accepted=[msgspec.convert(msgspec.to_builtins(a), AcceptedOut)
                                       for a in result.accepted])
