"""``POST /bounces/inbound`` (proxy.md §4.5, §10): one raw RFC 822 report mail, admin only.

The same pipeline as the IMAP poller (``Container.bounce_intake``); on 200 the events are
committed, and the answer waits (bounded) until the messages and suppressions views show
them, so a send right after it already skips a suppressed address.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, post

from api.auth import admin_only
from api.calls import container_of, in_thread, meta_of, settle
from api.errors import ApiError

MAX_REPORT_BYTES = 10 * 1024 * 1024
ACCEPTED_TYPES = ("message/rfc822", "application/octet-stream")


class IngestRecipient(msgspec.Struct, frozen=True):
    email: str
    bounce_type: str | None
    bounce_code: str | None
    category: str | None


class IngestAnswer(msgspec.Struct, frozen=True):
    ok: bool
    kind: str
    duplicate: bool
    matched: bool
    tenant_id: str | None
    id: str | None
    pk: str | None
    recipients: list[IngestRecipient]


class BouncesController(Controller):
    path = "/bounces"
    tags = ["bounces"]
    guards = [admin_only]

    @post("/inbound", operation_id="IngestBounce", summary="Ingest one bounce or complaint mail",
          status_code=200, request_max_body_size=MAX_REPORT_BYTES)
    async def inbound(self, request: Request[Any, Any, Any]) -> IngestAnswer:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in ACCEPTED_TYPES:
            raise ApiError(415, "unsupported_media_type", "send the mail as message/rfc822")
        raw = await request.body()  # over MAX_REPORT_BYTES: 413
        if not raw.strip():
            raise ApiError(400, "bad_request", "the body must be one RFC 822 message")
        result = await in_thread(container_of(request).bounce_intake.ingest, raw, channel="http",
                                 meta=meta_of(request))
        await settle(request, result.position, ["messages", "suppressions"], application="sending")
        return IngestAnswer(ok=True, kind=result.kind, duplicate=result.duplicate, matched=result.matched,
                            tenant_id=result.tenant_id, id=result.id, pk=result.pk,
                            recipients=[IngestRecipient(r.email, r.bounce_type, r.bounce_code, r.category)
                                        for r in result.recipients])
