"""List hygiene (console.md §15): ``GET /hygiene`` (R, cached 60 s; ``?refresh=1`` recomputes),
``POST /hygiene/sunset`` (S) suppresses the sunset candidates (``list_cleaning``), ``GET
/hygiene/sunsets`` (R) the runs, ``POST /hygiene/sunsets/{runId}/revert`` (S) undoes one."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath
from msgspec import Meta

from adapters.reputation import hygiene_ops, hygiene_report
from api.admin_auth import READ, SUPPRESSIONS, console_meta, console_of
from api.admin_common import check_id, iso
from api.body import decode_body
from api.calls import container_of, in_thread
from api.controllers.admin.contact_writes import settle_all
from api.errors import ApiError
from domain.reputation.hygiene import CountMismatch

RUN_ID = re.compile(r"^[0-9a-f]{32}$")
VIEWS = ["suppressions", "hygiene", "audit"]


class SunsetBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    confirm_count: Annotated[int, Meta(ge=0)]
    scope: Literal["marketing", "all"] = "marketing"
    notes: Annotated[str, Meta(max_length=500)] | None = None


def _run(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {**row, "at": iso(row["at"]), "revertedAt": iso(row["revertedAt"])}


def _report(container: Any, tenant_id: str, refresh: bool) -> dict[str, Any]:
    if refresh or container.hygiene_cache.get(tenant_id, container.clock.now()) is None:
        container.catch_up(hygiene_ops.VIEWS)
    answer = dict(hygiene_report.report(container, tenant_id, refresh=refresh))
    answer["computedAt"] = iso(answer["computedAt"])
    answer["lastSunset"] = _run(answer["lastSunset"])
    return answer


def _runs(container: Any, tenant_id: str) -> dict[str, Any]:
    container.catch_up(["hygiene"])
    rows = container.projections["hygiene"].view.runs(tenant_id)
    return {"runs": [_run(hygiene_report.run_out(r)) for r in rows]}


class HygieneController(Controller):
    path = "/admin/api/hygiene"
    tags = ["console: hygiene"]

    @get("/", operation_id="ConsoleHygiene", summary="Engagement buckets and sunset candidates",
         guards=[READ])
    async def read(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        refresh = request.query_params.get("refresh") in ("1", "true")
        return await in_thread(_report, container_of(request), console_of(request).tenant_id, refresh)

    @post("/sunset", operation_id="ConsoleHygieneSunset", summary="Suppress the sunset candidates",
          guards=[SUPPRESSIONS], status_code=201,
          responses={200: ResponseSpec(data_container=dict[str, Any],
                                       description="no candidates: nothing changed")})
    async def sunset(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        body = await decode_body(request, SunsetBody)
        try:
            done = await in_thread(hygiene_ops.sunset, container_of(request), console_of(request).tenant_id,
                                   body.confirm_count, body.scope, body.notes, console_meta(request))
        except CountMismatch as exc:
            raise ApiError(409, "count_mismatch", exc.message, sunsetCandidateCount=exc.count) from None
        if not done.run_id:  # no candidates: nothing changed (console.md §1.4)
            return Response({"runId": None, "suppressed": 0, "skipped": 0, "changed": False}, status_code=200)
        await settle_all(request, {"sending": done.position}, VIEWS)
        answer = {"runId": done.run_id, "suppressed": done.suppressed, "skipped": done.skipped}
        return Response(answer, status_code=201)

    @get("/sunsets", operation_id="ConsoleHygieneSunsets", summary="Sunset runs, newest first", guards=[READ])
    async def runs(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        return await in_thread(_runs, container_of(request), console_of(request).tenant_id)

    @post("/sunsets/{run_id:str}/revert", operation_id="ConsoleHygieneRevert", summary="Undo a sunset",
          guards=[SUPPRESSIONS], status_code=200)
    async def revert(self, request: Request[Any, Any, Any], run_id: FromPath[str]) -> dict[str, Any]:
        check_id(run_id, RUN_ID, "runId")
        done = await in_thread(hygiene_ops.revert, container_of(request), console_of(request).tenant_id,
                               run_id, console_meta(request))
        await settle_all(request, {"sending": done.position} if done.position else {}, VIEWS)
        return {"lifted": done.lifted, "skipped": done.skipped}
