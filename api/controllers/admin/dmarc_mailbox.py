"""The DMARC report mailbox (console.md §13): read (R), configure (admin only), poll now (R).

The password is sealed before it enters an event and never returned; ``"***"`` or no
password in a PUT keeps the stored one. A poll that cannot reach the server is 502
``upstream_error`` and moves nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post, put

from adapters.reputation.dmarc_poll import MailboxUnreachable, PollResult, poll_mailbox
from api.admin_auth import ADMIN, READ, console_meta, console_of
from api.body import decode_body
from api.calls import container_of, in_thread
from api.errors import ApiError
from domain.reputation.dmarc_upkeep import MailboxConfig

Folder = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class PollBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """POST /dmarc/mailbox/poll takes no options: ``{}`` or nothing."""


class MailboxBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    host: Annotated[str, msgspec.Meta(max_length=253)] = ""
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 993
    tls: Literal["implicit", "starttls", "none"] = "implicit"
    username: Annotated[str, msgspec.Meta(max_length=320)] = ""
    password: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    folder: Folder = "INBOX"
    processed_folder: Folder = "DMARC/Processed"
    failed_folder: Folder = "DMARC/Failed"
    interval_minutes: Annotated[int, msgspec.Meta(ge=1, le=10080)] = 30
    enabled: bool = False


def mailbox_doc(config: MailboxConfig | None) -> dict[str, Any]:
    shown = config or MailboxConfig()
    return {
        "host": shown.host,
        "port": shown.port,
        "tls": shown.tls,
        "username": shown.username,
        "folder": shown.folder,
        "processedFolder": shown.processed_folder,
        "failedFolder": shown.failed_folder,
        "intervalMinutes": shown.interval_minutes,
        "enabled": shown.enabled,
        "configured": bool(config and config.host),
        "passwordSet": bool(config and config.password),
    }


class DmarcMailboxController(Controller):
    path = "/admin/api/dmarc/mailbox"
    tags = ["console: dmarc"]

    @get("/", operation_id="ConsoleGetDmarcMailbox", summary="The report mailbox (no password)",
         guards=[READ])
    async def show(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        tenant_id, container = console_of(request).tenant_id, container_of(request)
        return mailbox_doc(await in_thread(container.dmarc.mailbox, tenant_id))

    @put("/", operation_id="ConsolePutDmarcMailbox", summary="Configure the report mailbox", guards=[ADMIN])
    async def configure(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        body = await decode_body(request, MailboxBody)
        tenant_id, container = console_of(request).tenant_id, container_of(request)
        config = MailboxConfig(**msgspec.structs.asdict(body))
        changed, position = await in_thread(container.dmarc.configure_mailbox, tenant_id, config,
                                            console_meta(request))
        if position:
            await in_thread(container.wait_for, {"dmarc": position}, ["audit"])
        shown = await in_thread(container.dmarc.mailbox, tenant_id)
        return {"ok": True, "changed": bool(changed), "mailbox": mailbox_doc(shown)}

    @post("/poll", operation_id="ConsolePollDmarcMailbox", summary="Poll the report mailbox now",
          status_code=200, guards=[READ])
    async def poll(self, request: Request[Any, Any, Any]) -> PollResult:
        await decode_body(request, PollBody, empty_ok=True)  # no options, but a body must be JSON
        tenant_id, container = console_of(request).tenant_id, container_of(request)
        try:
            result = await in_thread(poll_mailbox, container, tenant_id, meta=console_meta(request))
        except MailboxUnreachable as exc:
            raise ApiError(502, "upstream_error", f"the report mailbox is unreachable: {exc}") from exc
        if result.messages:
            await in_thread(container.catch_up, ["dmarc", "audit"])
        return result
