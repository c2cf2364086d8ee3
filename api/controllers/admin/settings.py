"""Console settings: ``GET /settings`` (R), ``PATCH /settings`` (admin) (console.md §16).

Only the settings the templates read exist so far (sender domains, from defaults, default
accounts, sender address, lint, Mail-Tester); later contexts add theirs to the same document.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, patch

from api.admin_auth import ADMIN, READ, console_meta, console_of
from api.body import peek_json, validation_error
from api.calls import container_of, in_thread
from api.controllers.admin.contact_writes import settle_all
from api.errors import ApiError
from domain.reputation.postmaster_settings import mask_secrets
from domain.templates.settings import SettingsDoc


def settings_out(doc: SettingsDoc) -> dict[str, Any]:
    out: dict[str, Any] = msgspec.to_builtins(doc)
    tester = out["mailTester"]
    tester["configured"] = bool(tester.get("apiKey"))
    tester["apiKey"] = "***" if tester.get("apiKey") else None
    mask_secrets(out)  # the feeds' secrets and configured flags (console.md §14)
    return out


class SettingsController(Controller):
    path = "/admin/api/settings"
    tags = ["console: settings"]

    @get("/", operation_id="ConsoleSettings", summary="The tenant's console settings", guards=[READ])
    async def read(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        doc = await in_thread(container_of(request).content.settings, console_of(request).tenant_id)
        return {"settings": settings_out(doc)}

    @patch("/", operation_id="ConsoleChangeSettings", summary="Deep-merge a change", guards=[ADMIN])
    async def change(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        raw = await request.body()
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            raise ApiError(415, "unsupported_media_type", "send the body as application/json")
        change = peek_json(raw)
        if not isinstance(change, dict):
            raise ApiError(400, "invalid_json", "request body must be a JSON object")
        try:
            doc, changed, position = await in_thread(
                container_of(request).content.change_settings,
                console_of(request).tenant_id,
                change,
                console_meta(request),
            )
        except msgspec.ValidationError as exc:
            raise validation_error(request, exc) from exc
        await settle_all(request, {"content": position}, ["audit"])
        return {"settings": settings_out(doc), "changed": bool(changed)}
