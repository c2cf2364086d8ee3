"""The command log (proxy.md §11): filtered pages with totals, and a streamed NDJSON export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get
from litestar.params import FromQuery, QueryParameter
from litestar.response import Stream

from api.auth import admin_only
from api.calls import container_of, in_thread
from api.errors import ApiError
from projections.tenancy.command_log import CommandLogEntry, CommandLogFilter

VIEWS = ["command_log"]


class CommandLogPage(msgspec.Struct, frozen=True):
    ok: bool
    commands: list[CommandLogEntry]
    total: int
    next_cursor: str | None


def _filter(tenant_id: str | None, since_ts: float | None, until_ts: float | None,
            endpoint: str | None, outcome: str | None) -> CommandLogFilter:
    return CommandLogFilter(tenant_id=tenant_id, since_ts=since_ts, until_ts=until_ts,
                            endpoint=endpoint, outcome=outcome)


def _cursor_id(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.startswith("c") or not cursor[1:].isdigit():
        raise ApiError(422, "validation_failed", "cursor is not one this API issued",
                       details=[{"field": "cursor", "reason": "pattern", "message": "bad cursor"}])
    return int(cursor[1:])


Outcome = Literal["accepted", "rejected"] | None
OptStr = FromQuery[str | None]
OptTs = FromQuery[float | None]
Order = Literal["asc", "desc"]


class CommandLogController(Controller):
    path = "/command-log"
    tags = ["audit"]
    guards = [admin_only]

    @get("", operation_id="ListCommands", summary="Query the command log")
    async def list_commands(
        self, request: Request[Any, Any, Any], tenant_id: OptStr = None, since_ts: OptTs = None,
        until_ts: OptTs = None, endpoint: OptStr = None, outcome: FromQuery[Outcome] = None,
        order: FromQuery[Order] = "asc", limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0, cursor: OptStr = None,
    ) -> CommandLogPage:
        container = container_of(request)
        await in_thread(container.catch_up, VIEWS)
        view = container.projections["command_log"].view
        after = _cursor_id(cursor)
        f = _filter(tenant_id, since_ts, until_ts, endpoint, outcome)
        entries, total = await in_thread(view.query, f, order=order, limit=limit,
                                         offset=0 if after is not None else offset, after_id=after)
        more = len(entries) == limit and (after is not None or offset + limit < total)
        return CommandLogPage(ok=True, commands=entries, total=total,
                              next_cursor=f"c{entries[-1].id}" if more and entries else None)

    @get("/export", operation_id="ExportCommands", summary="The command log as JSON lines",
         media_type="application/x-ndjson")
    async def export(
        self, request: Request[Any, Any, Any], tenant_id: OptStr = None, since_ts: OptTs = None,
        until_ts: OptTs = None, endpoint: OptStr = None, outcome: FromQuery[Outcome] = None,
        order: FromQuery[Order] = "asc",
    ) -> Stream:
        container = container_of(request)
        await in_thread(container.catch_up, VIEWS)
        view = container.projections["command_log"].view
        f = _filter(tenant_id, since_ts, until_ts, endpoint, outcome)
        encoder = msgspec.json.Encoder()

        async def lines() -> AsyncIterator[bytes]:
            after: int | None = None
            while True:  # keyset pages: the export is never held in memory whole
                page, _ = await in_thread(view.query, f, order=order, limit=500, after_id=after)
                for entry in page:
                    yield encoder.encode(entry) + b"\n"
                if len(page) < 500:
                    return
                after = page[-1].id

        return Stream(lines(), media_type="application/x-ndjson")
