"""Service routes: liveness, metrics, status."""

from __future__ import annotations

import time
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.datastructures import State

from adapters.bootstrap import Container
from adapters.heartbeat import WorkerInfo, dispatching, workers
from api.auth import authenticated
from api.metrics import render_metrics

VERSION = "0.1.0"


class Health(msgspec.Struct):
    status: str


class Status(msgspec.Struct, omit_defaults=True):
    ok: bool
    active: bool
    version: str
    uptime_seconds: float
    pending_messages: int
    store: str | None = None
    workers: list[WorkerInfo] | None = None
    projection_lag: dict[str, int] | None = None


class ServiceController(Controller):
    tags = ["service"]

    @get("/health", operation_id="GetHealth", summary="Liveness")
    async def health(self) -> Health:
        return Health(status="ok")

    @get("/metrics", operation_id="GetMetrics", summary="Prometheus metrics", sync_to_thread=True,
         media_type="text/plain; version=0.0.4")
    def metrics(self, state: State) -> Response[bytes]:
        body = render_metrics(state.container, state.auth)
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")

    @get("/status", operation_id="GetStatus", summary="Service status", guards=[authenticated],
         sync_to_thread=True)
    def status(self, request: Request[Any, Any, Any], state: State) -> Status:
        container: Container = state.container
        caller = request.scope["state"]["caller"]  # type: ignore[typeddict-item]
        messages = container.projections["messages"].view
        status = Status(
            ok=True,
            active=bool(container.dispatchers) or dispatching(container.db),
            version=VERSION,
            uptime_seconds=round(time.time() - container.started_at, 3),
            pending_messages=messages.pending_count(None if caller.is_admin else caller.tenant_id),
        )
        if caller.is_admin:
            status.store = container.settings.backend
            status.workers = workers(container.db)
            status.projection_lag = container.projection_lag()
        return status
