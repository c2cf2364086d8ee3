"""Identity and console keys: GET /me, /tokens (console.md §1.1, §1.2, §3)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath

from adapters.reputation import health_ops
from api.admin_auth import ADMIN, PERMISSIONS, any_scope, console_meta, console_of
from api.admin_common import iso, parse_iso
from api.body import decode_body
from api.calls import container_of, in_thread, settle
from api.contracts.admin import (
    Accounts,
    Counts,
    HealthStatus,
    Me,
    Permissions,
    TokenCreate,
    TokenCreated,
    TokenInfo,
    TokenList,
    TokenRevoked,
)

KEY_VIEWS = ["console_keys"]
CONFIRMATION_THRESHOLD = 1000  # console.md §16 broadcasts.confirmationThreshold default


class IdentityController(Controller):
    path = "/admin/api"
    tags = ["console: identity"]

    @get(
        "/me",
        operation_id="ConsoleMe",
        summary="The caller, its tenant and what its scopes allow",
        guards=[any_scope],
    )
    async def me(self, request: Request[Any, Any, Any]) -> Me:
        console, container = console_of(request), container_of(request)
        tenant_id = console.tenant_id
        contacts = await in_thread(container.projections["contacts"].view.counts, tenant_id)
        suppressions = await in_thread(
            container.projections["suppressions"].view.count, tenant_id, container.clock.now()
        )
        accounts = await in_thread(container.projections["accounts"].view.list, tenant_id)
        flows = await in_thread(container.projections["flows"].view.count, tenant_id)
        broadcasts = await in_thread(container.projections["broadcasts"].view.count, tenant_id)
        tuning = (await in_thread(container.content.settings, tenant_id)).broadcasts  # console.md §16
        flags = {name: console.has(scope) for name, scope in PERMISSIONS.items()}
        return Me(
            actor=console.actor,
            tenant_id=tenant_id,
            key_id=console.key_id,
            scopes=list(console.scopes),
            permissions=Permissions(
                flags["canRead"],
                flags["canPublish"],
                flags["canSendBroadcasts"],
                flags["canManageSuppressions"],
            ),
            counts=Counts(
                flows=flows, templates=0, broadcasts=broadcasts, contacts=contacts["subscribed"],
                suppressions=suppressions,
            ),
            health=HealthStatus(status=await in_thread(health_ops.health_status, container, tenant_id)),
            accounts=Accounts(
                names=[a.account_id for a in accounts], default_marketing=None, default_transactional=None
            ),
            broadcast_confirmation_threshold=tuning.confirmation_threshold,
        )

    @post(
        "/tokens",
        operation_id="ConsoleCreateToken",
        summary="Issue a scoped console key (shown once)",
        guards=[ADMIN],
        status_code=201,
    )
    async def create_token(self, request: Request[Any, Any, Any]) -> TokenCreated:
        body = await decode_body(request, TokenCreate)
        expires = parse_iso(body.expires_at, "expiresAt") if body.expires_at else None
        tenant_id = console_of(request).tenant_id
        issued = await in_thread(
            container_of(request).tenancy.issue_console_key,
            tenant_id,
            body.label,
            list(body.scopes),
            expires,
            console_meta(request),
        )
        await settle(request, issued.position, KEY_VIEWS)
        return TokenCreated(
            key_id=issued.key_id,
            token=issued.token,
            label=issued.label,
            scopes=issued.scopes,
            expires_at=iso(issued.expires_at),
        )

    @get(
        "/tokens", operation_id="ConsoleListTokens", summary="The tenant's live console keys", guards=[ADMIN]
    )
    async def list_tokens(self, request: Request[Any, Any, Any]) -> TokenList:
        rows = await in_thread(
            container_of(request).projections["console_keys"].view.list, console_of(request).tenant_id
        )
        return TokenList(
            tokens=[
                TokenInfo(r.key_id, r.label, r.scopes, iso(r.expires_at), iso(r.created_ts)) for r in rows
            ]
        )

    @delete(
        "/tokens/{key_id:str}",
        operation_id="ConsoleRevokeToken",
        summary="Revoke a console key",
        guards=[ADMIN],
        status_code=200,
    )
    async def revoke_token(self, request: Request[Any, Any, Any], key_id: FromPath[str]) -> TokenRevoked:
        revoked, position = await in_thread(
            container_of(request).tenancy.revoke_console_key,
            console_of(request).tenant_id,
            key_id,
            console_meta(request),
        )
        await settle(request, position, KEY_VIEWS)
        return TokenRevoked(ok=True, revoked=revoked)
