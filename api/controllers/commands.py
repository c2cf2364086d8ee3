"""Operational commands that are not about one resource."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.datastructures import State

from adapters.bootstrap import Container
from api.auth import admin_only
from api.body import decode_body


class RunNow(msgspec.Struct, forbid_unknown_fields=True):
    tenant_id: str | None = None


class Ok(msgspec.Struct):
    ok: bool = True


class CommandsController(Controller):
    path = "/commands"
    tags = ["commands"]

    @post("/run-now", operation_id="RunNow", summary="Wake every worker now", guards=[admin_only],
          status_code=200)
    async def run_now(self, request: Request[Any, Any, Any], state: State) -> Ok:
        await decode_body(request, RunNow, empty_ok=True)
        container: Container = state.container
        container.hub.wake()
        return Ok()
