"""Google Postmaster Tools and Microsoft SNDS (console.md §14): ``GET /postmaster``, ``GET /snds``
(R) the snapshots with 30 entries of history, ``POST /postmaster/refresh``, ``POST
/snds/refresh`` (R: refreshing observations) a forced pull now, audited."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post

from adapters.reputation import postmaster_ops
from api.admin_auth import READ, console_meta, console_of
from api.admin_common import iso
from api.body import decode_body
from api.calls import container_of, in_thread
from api.controllers.admin.contact_writes import settle_all
from api.errors import ApiError
from application.reputation.postmaster_ports import FeedError

VIEWS = ["postmaster", "audit"]


class RefreshBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pass


def _google(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "fetchedAt": iso(doc.get("fetchedAt"))}


def _microsoft(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "activityStart": iso(doc.get("activityStart")), "activityEnd": iso(doc.get("activityEnd")),
            "fetchedAt": iso(doc.get("fetchedAt"))}


def _postmaster(container: Any, tenant_id: str) -> dict[str, Any]:
    settings = postmaster_ops.postmaster_settings(container, tenant_id)
    known = container.projections["postmaster"].view.domains(tenant_id)
    wanted = postmaster_ops.postmaster_domains(settings, postmaster_ops.registry_of(container, tenant_id))
    domains = []
    for domain in sorted({*wanted, *known}):
        history = [_google(d) for d in known.get(domain, [])]
        domains.append({"domain": domain, "latest": history[0] if history else None, "history": history})
    return {"configured": settings.configured, "intervalHours": settings.interval_hours, "domains": domains}


def _snds(container: Any, tenant_id: str) -> dict[str, Any]:
    settings = postmaster_ops.snds_settings(container, tenant_id)
    known = container.projections["postmaster"].view.ips(tenant_id)
    wanted = set(settings.ips or ())
    ips = []
    for ip in sorted({*wanted, *known}):
        history = [_microsoft(d) for d in known.get(ip, [])]
        ips.append({"ip": ip, "latest": history[0] if history else None, "history": history})
    return {"configured": settings.configured, "intervalHours": settings.interval_hours, "ips": ips}


class PostmasterController(Controller):
    path = "/admin/api/postmaster"
    tags = ["console: postmaster"]

    @get("/", operation_id="ConsolePostmaster", summary="Google Postmaster Tools snapshots", guards=[READ])
    async def read(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        return await in_thread(_postmaster, container_of(request), console_of(request).tenant_id)

    @post("/refresh", operation_id="ConsolePostmasterRefresh", summary="Pull Google Postmaster Tools now",
          guards=[READ], status_code=200)
    async def refresh(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        await decode_body(request, RefreshBody, empty_ok=True)
        answer = await in_thread(postmaster_ops.pull_postmaster, container_of(request),
                                 console_of(request).tenant_id, forced=True, meta=console_meta(request))
        position = answer.pop("position", 0)
        await settle_all(request, {"postmaster": position} if position else {}, VIEWS)
        return answer


class SndsController(Controller):
    path = "/admin/api/snds"
    tags = ["console: postmaster"]

    @get("/", operation_id="ConsoleSnds", summary="Microsoft SNDS snapshots", guards=[READ])
    async def read(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        return await in_thread(_snds, container_of(request), console_of(request).tenant_id)

    @post("/refresh", operation_id="ConsoleSndsRefresh", summary="Pull the Microsoft SNDS feed now",
          guards=[READ], status_code=200)
    async def refresh(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        await decode_body(request, RefreshBody, empty_ok=True)
        try:
            answer = await in_thread(postmaster_ops.pull_snds, container_of(request),
                                     console_of(request).tenant_id, forced=True, meta=console_meta(request))
        except FeedError as exc:
            raise ApiError(502, "upstream_error", exc.message, upstreamStatus=exc.status) from None
        position = answer.pop("position", 0)
        await settle_all(request, {"postmaster": position} if position else {}, VIEWS)
        return answer
