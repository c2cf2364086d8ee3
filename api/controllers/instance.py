"""The instance configuration (proxy.md §4.5, §14): admin only, secrets masked."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post, put

from api.auth import admin_only
from api.body import decode_body
from api.calls import container_of, in_thread, meta_of
from api.controllers.service import VERSION
from api.errors import ApiError
from api.views import masked
from domain.errors import InvalidValue
from domain.instance_config import InstanceConfig


class InstanceAnswer(msgspec.Struct, frozen=True):
    ok: bool
    instance: InstanceConfig
    version: str
    started_ts: float


class InstanceUpdated(msgspec.Struct, frozen=True):
    ok: bool
    instance: InstanceConfig
    reload_required: bool


class BounceReloaded(msgspec.Struct, frozen=True):
    ok: bool
    enabled: bool
    message: str


def shown(config: InstanceConfig) -> InstanceConfig:
    bounce = msgspec.structs.replace(config.bounce, imap_password=masked(config.bounce.imap_password))
    return msgspec.structs.replace(config, bounce=bounce)


class InstanceController(Controller):
    path = "/instance"
    tags = ["instance"]
    guards = [admin_only]

    @get("", operation_id="GetInstance", summary="The instance configuration")
    async def get_instance(self, request: Request[Any, Any, Any]) -> InstanceAnswer:
        container = container_of(request)
        config = await in_thread(container.tenancy.instance_config)
        return InstanceAnswer(ok=True, instance=shown(config), version=VERSION,
                              started_ts=round(container.started_at, 3))

    @put("", operation_id="UpdateInstance", summary="Change the configuration (deep merge)")
    async def update(self, request: Request[Any, Any, Any]) -> InstanceUpdated:
        changes = await decode_body(request, dict[str, Any])
        try:
            config, bounce_changed, _ = await in_thread(container_of(request).tenancy.configure_instance,
                                                        changes, meta_of(request))
        except InvalidValue as exc:
            raise ApiError(422, "validation_failed", exc.message,
                           details=[{"field": _field_of(exc.message), "reason": "type",
                                     "message": exc.message}]) from exc
        return InstanceUpdated(ok=True, instance=shown(config), reload_required=bounce_changed)

    @post("/reload-bounce", operation_id="ReloadBounce", summary="Restart the bounce poller",
          status_code=200)
    async def reload_bounce(self, request: Request[Any, Any, Any]) -> BounceReloaded:
        await decode_body(request, dict[str, Any], empty_ok=True)
        try:
            enabled, _ = await in_thread(container_of(request).tenancy.request_bounce_reload,
                                         meta_of(request))
        except InvalidValue as exc:
            raise ApiError(400, "bounce_misconfigured", exc.message) from exc
        message = "bounce poller restarting" if enabled else "bounce polling is disabled"
        return BounceReloaded(ok=True, enabled=enabled, message=message)


def _field_of(message: str) -> str:
    """msgspec says ``... - at `$.retry.jitter```; the detail wants ``retry.jitter``."""
    if "`$." in message:
        return message.rsplit("`$.", 1)[1].rstrip("`")
    if "unknown field `" in message:
        return message.split("unknown field `", 1)[1].split("`", 1)[0]
    return "body"
