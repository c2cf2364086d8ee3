"""Flows: list, detail, versions, runs, create, draft, publish, pause, resume, abort, delete
(console.md §8)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath

from adapters.campaigns import flow_ops
from api.admin_auth import PUBLISH, READ, console_meta, console_of
from api.admin_common import EXTERNAL_ID, SLUG, bad_value, check_id, iso, limit_of, make_cursor, read_cursor
from api.body import decode_body
from api.calls import container_of, in_thread
from api.controllers.admin.contact_writes import settle_all
from api.controllers.admin.flow_docs import (
    AbortAnswer,
    AbortBody,
    Answer,
    FlowCreate,
    FlowDraftPatch,
    PauseBody,
    PublishBody,
    flow_doc,
    if_match,
    run_doc,
)
from api.errors import ApiError
from domain.campaigns.flow_definition import check_steps, check_trigger

VIEWS = ["flows", "audit"]
RUN_STATUSES = ("active", "held", "completed", "exited", "failed")


def not_found(slug: str) -> ApiError:
    return ApiError(404, "not_found", f"flow {slug} not found")


def _view(request: Request[Any, Any, Any]) -> Any:
    return container_of(request).projections["flows"].view


async def _settle(request: Request[Any, Any, Any], position: int) -> None:
    if position:
        await settle_all(request, {"flows": position}, VIEWS)


class FlowsController(Controller):
    path = "/admin/api/flows"
    tags = ["console: flows"]

    @get("/", operation_id="ConsoleFlows", summary="Flows, newest-updated first", guards=[READ])
    async def list_flows(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        tenant_id, view, now = (
            console_of(request).tenant_id,
            _view(request),
            container_of(request).clock.now(),
        )
        raw = request.query_params.get("enabled")
        if raw is not None and raw not in ("true", "false"):
            raise bad_value("enabled", "true or false")
        enabled = None if raw is None else raw == "true"
        limit, filters = limit_of(request, 50, 200), {"enabled": raw}
        key = read_cursor(request, "flows", filters)
        before = (float(key[0]), str(key[1])) if key else None
        rows = await in_thread(view.list, tenant_id, before=before, limit=limit + 1, enabled=enabled)
        docs = [
            flow_doc(
                r.slug,
                r.doc,
                r.created_ts,
                r.updated_ts,
                await in_thread(view.stats, tenant_id, r.slug, now),
                full=False,
            )
            for r in rows[:limit]
        ]
        out: dict[str, Any] = {"flows": docs}
        if len(rows) > limit:
            out["nextCursor"] = make_cursor(
                request, "flows", filters, [rows[limit - 1].updated_ts, rows[limit - 1].slug]
            )
        return out

    @get("/{slug:str}", operation_id="ConsoleFlow", summary="One flow with live stats", guards=[READ])
    async def get_flow(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> dict[str, Any]:
        check_id(slug, SLUG, "slug")
        tenant_id, view = console_of(request).tenant_id, _view(request)
        row = await in_thread(view.get, tenant_id, slug)
        if row is None:
            raise not_found(slug)
        stats = await in_thread(view.stats, tenant_id, slug, container_of(request).clock.now())
        return flow_doc(row.slug, row.doc, row.created_ts, row.updated_ts, stats)

    @get(
        "/{slug:str}/versions",
        operation_id="ConsoleFlowVersions",
        summary="Published versions",
        guards=[READ],
    )
    async def versions(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> dict[str, Any]:
        check_id(slug, SLUG, "slug")
        tenant_id, view = console_of(request).tenant_id, _view(request)
        if await in_thread(view.get, tenant_id, slug) is None:
            raise not_found(slug)
        docs = await in_thread(view.versions, tenant_id, slug)
        return {
            "versions": [
                {
                    "version": d["version"],
                    "steps": d["steps"],
                    "trigger": d["trigger"],
                    "publishedAt": iso(d["publishedAt"]),
                    "publishedBy": d["publishedBy"],
                }
                for d in docs
            ]
        }

    @get("/{slug:str}/runs", operation_id="ConsoleFlowRuns", summary="Runs, newest first", guards=[READ])
    async def runs(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> dict[str, Any]:
        check_id(slug, SLUG, "slug")
        tenant_id, view = console_of(request).tenant_id, _view(request)
        status = request.query_params.get("status")
        if status is not None and status not in RUN_STATUSES:
            raise bad_value("status", " | ".join(RUN_STATUSES))
        if await in_thread(view.get, tenant_id, slug) is None:
            raise not_found(slug)
        limit, filters = limit_of(request, 50, 200), {"status": status, "slug": slug}
        key = read_cursor(request, "flow-runs", filters)
        before = (float(key[0]), str(key[1])) if key else None
        rows = await in_thread(view.runs, tenant_id, slug, status=status, before=before, limit=limit + 1)
        out: dict[str, Any] = {"runs": [run_doc(r) for r in rows[:limit]]}
        if len(rows) > limit:
            last = rows[limit - 1]
            out["nextCursor"] = make_cursor(
                request, "flow-runs", filters, [last["entered_at"], last["run_id"]]
            )
        return out

    # --- writes ---------------------------------------------------------------------------
    @post(
        "/",
        operation_id="ConsoleCreateFlow",
        summary="Create a flow (disabled, version 0)",
        guards=[PUBLISH],
        status_code=201,
    )
    async def create(self, request: Request[Any, Any, Any]) -> Answer:
        body = await decode_body(request, FlowCreate)
        trigger = check_trigger(body.trigger)
        fields = {"name": body.name, "description": body.description, "goal": body.goal}
        position = await in_thread(
            container_of(request).flows.create_flow,
            console_of(request).tenant_id,
            body.slug,
            fields,
            trigger,
            console_meta(request),
        )
        await _settle(request, position)
        return Answer(ok=True, slug=body.slug)

    @patch("/{slug:str}/draft", operation_id="ConsoleFlowDraft", summary="Change the draft", guards=[PUBLISH])
    async def save_draft(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Answer:
        check_id(slug, SLUG, "slug")
        body = await decode_body(request, FlowDraftPatch)
        changes = {k: v for k, v in msgspec.structs.asdict(body).items() if v is not msgspec.UNSET}
        if "steps" in changes:
            changes["steps"] = check_steps(changes["steps"])
        if "trigger" in changes:
            changes["trigger"] = check_trigger(changes["trigger"])
        draft = {k: v for k, v in changes.items() if k in ("steps", "trigger", "notes")}
        fields = {k: v for k, v in changes.items() if k not in draft}
        changed, revision, position = await in_thread(
            container_of(request).flows.save_flow_draft,
            console_of(request).tenant_id,
            slug,
            draft,
            fields,
            if_match(request),
            console_meta(request),
        )
        await _settle(request, position)
        return Answer(ok=True, revision=revision, changed=changed)

    @post(
        "/{slug:str}/publish",
        operation_id="ConsolePublishFlow",
        summary="Publish the draft",
        guards=[PUBLISH],
        status_code=200,
    )
    async def publish(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Answer:
        check_id(slug, SLUG, "slug")
        body = await decode_body(request, PublishBody) if await request.body() else PublishBody()
        version, enabled, position = await in_thread(
            flow_ops.publish,
            container_of(request),
            console_of(request).tenant_id,
            slug,
            body.enable,
            console_meta(request),
        )
        await _settle(request, position)
        return Answer(ok=True, version=version, enabled=enabled)

    @post(
        "/{slug:str}/pause",
        operation_id="ConsolePauseFlow",
        summary="Stop entries (holdRuns: freeze runs)",
        guards=[PUBLISH],
        status_code=200,
    )
    async def pause(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Answer:
        check_id(slug, SLUG, "slug")
        body = await decode_body(request, PauseBody) if await request.body() else PauseBody()
        changed, position = await in_thread(
            flow_ops.pause,
            container_of(request),
            console_of(request).tenant_id,
            slug,
            body.hold_runs,
            console_meta(request),
        )
        await _settle(request, position)
        return Answer(ok=True, changed=changed)

    @post(
        "/{slug:str}/resume",
        operation_id="ConsoleResumeFlow",
        summary="Take entries again; held runs go on",
        guards=[PUBLISH],
        status_code=200,
    )
    async def resume(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Answer:
        check_id(slug, SLUG, "slug")
        changed, position = await in_thread(
            flow_ops.resume, container_of(request), console_of(request).tenant_id, slug, console_meta(request)
        )
        await _settle(request, position)
        return Answer(ok=True, changed=changed)

    @post(
        "/{slug:str}/abort",
        operation_id="ConsoleAbortFlowRuns",
        summary="Abort a contact's runs",
        guards=[PUBLISH],
        status_code=200,
    )
    async def abort(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> AbortAnswer:
        check_id(slug, SLUG, "slug")
        body = await decode_body(request, AbortBody)
        check_id(body.external_id, EXTERNAL_ID, "externalId")
        runs, sends, position = await in_thread(
            flow_ops.abort,
            container_of(request),
            console_of(request).tenant_id,
            slug,
            body.external_id,
            body.reason,
            body.match_trigger_properties,
            console_meta(request),
        )
        await _settle(request, position)
        return AbortAnswer(aborted_runs=runs, cancelled_sends=sends)

    @delete(
        "/{slug:str}",
        operation_id="ConsoleDeleteFlow",
        summary="Delete a flow without runs",
        guards=[PUBLISH],
        status_code=200,
    )
    async def remove(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Answer:
        check_id(slug, SLUG, "slug")
        position = await in_thread(
            flow_ops.delete, container_of(request), console_of(request).tenant_id, slug, console_meta(request)
        )
        await _settle(request, position)
        return Answer(ok=True)
