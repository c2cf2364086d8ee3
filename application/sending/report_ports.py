"""The ports the reporter works through (proxy.md §8): ``adapters.report_client`` implements
``ReportClient``, ``adapters.report_leases`` the ``ReportLeases``; the composition root
passes the tenants and the reports view as ``ReportTargets`` and ``ReportQueue``."""

from __future__ import annotations

from typing import Protocol

import msgspec

from domain.tenancy.settings import ClientAuth


class ReportTarget(msgspec.Struct, frozen=True):
    """A tenant with a ``client_base_url``: where its reports go (``url`` = base + sync path)."""

    tenant_id: str
    url: str
    active: bool
    auth: ClientAuth  # secrets still ``enc:v1:`` ciphertext
    created_ts: float


class SyncView(Protocol):
    """What the reporter reads of a tenant's ``report_sync`` row."""

    last_sync_ts: float | None
    next_attempt_ts: float | None
    dnd_until: float | None
    queued_more: int


class ReportQueue(Protocol):
    """The ``reports`` read model."""

    def pending(self, tenant_id: str, limit: int) -> list[tuple[str, str]]: ...

    def sync(self, tenant_id: str) -> SyncView: ...


class ReportTargets(Protocol):
    def __call__(self) -> list[ReportTarget]: ...


class ViewWaiter(Protocol):
    """Block until the ``reports`` view has processed ``position`` of the sending log."""

    def __call__(self, position: int) -> None: ...


class ReportClient(Protocol):
    async def post(self, url: str, body: bytes, headers: dict[str, str], *,
                   timeout: float) -> tuple[int | None, bytes | None, str | None]:
        """(status, body, None) for any HTTP answer; (None, None, error) when there was none."""
        ...

    async def close(self) -> None: ...


class ReportLeases(Protocol):
    """One reporter per tenant at a time, across processes."""

    def claim(self, tenant_id: str, worker_id: str, seconds: float) -> bool: ...

    def release(self, tenant_id: str, worker_id: str) -> None: ...
