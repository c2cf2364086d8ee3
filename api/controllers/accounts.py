"""SMTP accounts of a tenant (proxy.md §4.3)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath

from api.auth import authenticated, query_tenant, select_tenant
from api.body import decode_body, peek_json
from api.calls import container_of, in_thread, meta_of, settle
from api.contracts.accounts import AccountInfo, AccountList, AccountPayload, AccountSaved
from api.contracts.tenancy import Ok
from api.views import masked, not_found, tenant_row
from projections.tenancy.accounts import AccountRow

REQUIRED_ON_CREATE = ("host", "port")


def account_info(row: AccountRow) -> AccountInfo:
    s = row.settings
    return AccountInfo(
        id=row.account_id, tenant_id=row.tenant_id, host=s.host, port=s.port, user=s.user,
        password=masked(s.password), use_tls=s.use_tls, tls_verify=s.tls_verify,
        batch_size=s.batch_size, max_concurrency=s.max_concurrency, ttl=s.ttl,
        limit_per_minute=s.limit_per_minute, limit_per_hour=s.limit_per_hour,
        limit_per_day=s.limit_per_day, limit_behavior=s.limit_behavior,
        created_ts=round(row.created_ts, 3), updated_ts=round(row.updated_ts, 3),
    )


class AccountsController(Controller):
    tags = ["accounts"]
    guards = [authenticated, query_tenant]

    @post("/account", operation_id="SaveAccount", summary="Add or update an SMTP account")
    async def save(self, request: Request[Any, Any, Any]) -> Response[AccountSaved]:
        container = container_of(request)
        peek = peek_json(await request.body())
        named = peek.get("tenant_id") if isinstance(peek, dict) else None
        tenant_id = select_tenant(request, named if isinstance(named, str) else None)
        assert tenant_id is not None
        account_id = peek.get("id") if isinstance(peek, dict) else None
        existing = None
        if isinstance(account_id, str):
            existing = await in_thread(container.projections["accounts"].view.get, tenant_id, account_id)
        body = await decode_body(request, AccountPayload,
                                 required=() if existing else REQUIRED_ON_CREATE)
        await tenant_row(request, tenant_id)
        fields = msgspec.to_builtins(body)
        fields.pop("id"), fields.pop("tenant_id", None)
        _, created, position = await in_thread(container.tenancy.register_account, tenant_id, body.id,
                                               fields, meta_of(request))
        await settle(request, position, ["accounts"])
        row = await in_thread(container.projections["accounts"].view.get, tenant_id, body.id)
        saved = AccountSaved(ok=True, created=created, account=account_info(row))
        return Response(saved, status_code=201 if created else 200)

    @get("/accounts", operation_id="ListAccounts", summary="A tenant's SMTP accounts")
    async def list_accounts(self, request: Request[Any, Any, Any]) -> AccountList:
        tenant_id = select_tenant(request)
        assert tenant_id is not None
        await tenant_row(request, tenant_id)
        rows = await in_thread(container_of(request).projections["accounts"].view.list, tenant_id)
        return AccountList(ok=True, accounts=[account_info(r) for r in rows])

    @delete("/account/{id:str}", operation_id="DeleteAccount", summary="Delete an SMTP account",
            status_code=200)
    async def delete_account(self, request: Request[Any, Any, Any], id: FromPath[str]) -> Ok:
        account_id = id
        tenant_id = select_tenant(request)
        assert tenant_id is not None
        container = container_of(request)
        await tenant_row(request, tenant_id)
        if await in_thread(container.projections["accounts"].view.get, tenant_id, account_id) is None:
            raise not_found(f"account {account_id}")
        position = await in_thread(container.tenancy.delete_account, tenant_id, account_id,
                                   meta_of(request))
        await settle(request, position, ["accounts"])
        return Ok()
