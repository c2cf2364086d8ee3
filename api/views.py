"""Read-model rows to response structs: the one place secrets are masked on the way out."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request

from api.calls import container_of, in_thread
from api.contracts.tenancy import (
    ApiKeyInfo,
    ClientAuthOut,
    LargeFileConfigIn,
    RateLimitsIn,
    SyncState,
    TenantInfo,
)
from api.errors import ApiError
from domain.tenancy.settings import ClientAuth
from projections.sending.reports_view import SyncRow
from projections.tenancy.tenants import TenantRow

MASK = "***"


def masked(value: str | None) -> str | None:
    return None if value is None else MASK


def client_auth_out(auth: ClientAuth) -> ClientAuthOut:
    return ClientAuthOut(method=auth.method, token=masked(auth.token), user=auth.user,
                         password=masked(auth.password))


def tenant_info(row: TenantRow) -> TenantInfo:
    s = row.settings
    key = ApiKeyInfo(row.key_id, row.key_expires_at) if row.key_id else None
    return TenantInfo(
        id=row.tenant_id, name=s.name, client_base_url=s.client_base_url,
        client_sync_path=s.client_sync_path, client_attachment_path=s.client_attachment_path,
        client_auth=client_auth_out(s.client_auth),
        rate_limits=msgspec.convert(msgspec.to_builtins(s.rate_limits), RateLimitsIn),
        large_file_config=msgspec.convert(msgspec.to_builtins(s.large_file_config), LargeFileConfigIn),
        active=s.active, suspended_batches=list(row.suspended), api_key=key,
        created_ts=round(row.created_ts, 3), updated_ts=round(row.updated_ts, 3),
        deleted=row.deleted, deleted_ts=None if row.deleted_ts is None else round(row.deleted_ts, 3),
    )


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


async def tenant_row(request: Request[Any, Any, Any], tenant_id: str, *,
                     include_deleted: bool = False) -> TenantRow:
    row = await in_thread(container_of(request).projections["tenants"].view.get, tenant_id)
    if row is None or (row.deleted and not include_deleted):
        raise not_found(f"tenant {tenant_id}")
    return row  # type: ignore[no-any-return]


def sync_state(row: TenantRow, sync: SyncRow | None, pending: int, now: float, interval: float) -> SyncState:
    """A tenant's report-delivery state (proxy.md §4.4) from the ``reports`` view's row."""
    s = row.settings
    sync = sync or SyncRow(row.tenant_id)
    in_dnd = sync.dnd_until is not None and now < sync.dnd_until
    since = sync.last_sync_ts if sync.last_sync_ts is not None else row.created_ts
    due = bool(s.client_base_url and s.active and not pending
               and (sync.queued_more or (not in_dnd and now >= since + interval)))
    return SyncState(id=row.tenant_id, name=s.name, active=s.active, client_base_url=s.client_base_url,
                     last_sync_ts=sync.last_sync_ts, last_attempt_ts=sync.last_attempt_ts,
                     last_status=sync.last_status, last_error=sync.last_error,
                     consecutive_failures=sync.consecutive_failures, next_attempt_ts=sync.next_attempt_ts,
                     dnd_until=sync.dnd_until, in_dnd=in_dnd, next_sync_due=due, pending_reports=pending)
