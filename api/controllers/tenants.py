"""Tenants and their API keys (proxy.md §4.4): admin routes, and a tenant's own record."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.params import FromPath, FromQuery

from adapters.operations import delete_tenant
from api.auth import admin_only, caller_of, path_tenant
from api.body import decode_body
from api.calls import container_of, in_thread, meta_of, settle
from api.contracts.tenancy import (
    KeyIssued,
    KeyRequest,
    KeyRevoked,
    SyncStatus,
    TenantAnswer,
    TenantCreate,
    TenantCreated,
    TenantDeleted,
    TenantInfo,
    TenantList,
    TenantUpdate,
)
from api.errors import ApiError
from api.views import sync_state, tenant_info, tenant_row

VIEWS = ["tenants"]


class TenantsController(Controller):
    tags = ["tenants"]

    @post("/tenant", operation_id="CreateTenant", summary="Create a tenant (its key is shown once)",
          guards=[admin_only], status_code=201)
    async def create(self, request: Request[Any, Any, Any]) -> TenantCreated:
        body = await decode_body(request, TenantCreate)
        request.scope["state"]["command_tenant"] = body.id  # type: ignore[typeddict-item]
        fields = msgspec.to_builtins(body)
        fields.pop("id"), fields.pop("api_key_expires_at", None)
        app = container_of(request).tenancy
        _, key = await in_thread(app.create_tenant, body.id, fields, body.api_key_expires_at,
                                 meta_of(request))
        await settle(request, key.position, VIEWS)
        info = tenant_info(await tenant_row(request, body.id))
        return TenantCreated(ok=True, tenant=info, api_key=key.api_key)

    @get("/tenants", operation_id="ListTenants", summary="All tenants", guards=[admin_only])
    async def list_tenants(self, request: Request[Any, Any, Any], active_only: FromQuery[bool] = False,
                           include_deleted: FromQuery[bool] = False) -> TenantList:
        view = container_of(request).projections["tenants"].view
        rows = await in_thread(view.list, include_deleted=include_deleted, active_only=active_only)
        return TenantList(ok=True, tenants=[tenant_info(r) for r in rows])

    @get("/tenants/sync-status", operation_id="GetSyncStatus", summary="Report delivery state per tenant",
         guards=[admin_only])
    async def sync_status(self, request: Request[Any, Any, Any]) -> SyncStatus:
        container = container_of(request)
        rows = await in_thread(container.projections["tenants"].view.list)
        config = await in_thread(container.tenancy.instance_config)
        reports = container.projections["reports"].view
        syncs, counts = await in_thread(reports.all_sync), await in_thread(reports.pending_counts)
        interval, now = config.reporting.heartbeat_interval_seconds, container.clock.now()
        return SyncStatus(ok=True, sync_interval_seconds=interval,
                          tenants=[sync_state(r, syncs.get(r.tenant_id), counts.get(r.tenant_id, 0),
                                              now, interval) for r in rows])

    @get("/tenant/{id:str}", operation_id="GetTenant", summary="One tenant's configuration",
         guards=[path_tenant])
    async def get_tenant(self, request: Request[Any, Any, Any], id: FromPath[str],
                         include_deleted: FromQuery[bool] = False) -> TenantInfo:
        tenant_id = id
        deleted_ok = include_deleted and caller_of(request).is_admin
        return tenant_info(await tenant_row(request, tenant_id, include_deleted=deleted_ok))

    @put("/tenant/{id:str}", operation_id="UpdateTenant", summary="Change a tenant (partial)",
         guards=[path_tenant])
    async def update(self, request: Request[Any, Any, Any], id: FromPath[str]) -> TenantAnswer:
        tenant_id = id
        body = await decode_body(request, TenantUpdate)
        fields = msgspec.to_builtins(body)
        for read_only in ("id", "suspended_batches"):
            if read_only in fields:
                raise ApiError(422, "validation_failed", f"{read_only} is read-only",
                               details=[{"field": read_only, "reason": "read_only",
                                         "message": f"{read_only} cannot be changed here"}])
        if "rate_limits" in fields and not caller_of(request).is_admin:
            raise ApiError(403, "forbidden", "rate_limits can only be changed with the admin token")
        _, position = await in_thread(container_of(request).tenancy.update_tenant, tenant_id, fields,
                                      meta_of(request))
        await settle(request, position, [*VIEWS, "messages"])  # `active` holds or frees messages
        return TenantAnswer(ok=True, tenant=tenant_info(await tenant_row(request, tenant_id)))

    @delete("/tenant/{id:str}", operation_id="DeleteTenant", summary="Delete a tenant",
            guards=[admin_only, path_tenant], status_code=200)
    async def delete_tenant(self, request: Request[Any, Any, Any], id: FromPath[str]) -> TenantDeleted:
        tenant_id = id
        await tenant_row(request, tenant_id)
        cancelled, position = await in_thread(delete_tenant, container_of(request), tenant_id,
                                              meta_of(request))
        await settle(request, position, ["tenants", "accounts", "messages"])
        return TenantDeleted(ok=True, cancelled=cancelled)

    @post("/tenant/{id:str}/api-key", operation_id="IssueTenantKey",
          summary="Issue a new key (the old one stops working)", guards=[admin_only, path_tenant],
          status_code=201)
    async def issue_key(self, request: Request[Any, Any, Any], id: FromPath[str]) -> KeyIssued:
        tenant_id = id
        body = await decode_body(request, KeyRequest, empty_ok=True)
        key = await in_thread(container_of(request).tenancy.issue_api_key, tenant_id, body.expires_at,
                              meta_of(request))
        await settle(request, key.position, VIEWS)
        return KeyIssued(ok=True, tenant_id=tenant_id, api_key=key.api_key, key_id=key.key_id,
                         expires_at=key.expires_at)

    @delete("/tenant/{id:str}/api-key", operation_id="RevokeTenantKey",
            summary="Revoke the tenant's key", guards=[admin_only, path_tenant], status_code=200)
    async def revoke_key(self, request: Request[Any, Any, Any], id: FromPath[str]) -> KeyRevoked:
        tenant_id = id
        revoked, position = await in_thread(container_of(request).tenancy.revoke_api_key, tenant_id,
                                            meta_of(request))
        await settle(request, position, VIEWS)
        return KeyRevoked(ok=True, revoked=revoked)

