"""Helpers for console e2e tests: tenants acme and beta, their keys, console calls."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.live import ADMIN, Live


class Console:
    """Calls /admin/api/* as the admin naming a tenant, or with a key."""

    def __init__(self, live: Live) -> None:
        self.live = live
        self.keys: dict[str, str] = {}

    def tenant(self, tenant_id: str) -> str:
        self.keys[tenant_id] = self.live.create_tenant(tenant_id)
        return self.keys[tenant_id]

    def call(
        self, method: str, path: str, token: str | None = None, tenant: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if tenant is not None:
            headers["X-Tenant-Id"] = tenant
        return self.live.call(method, f"/admin/api{path}", token, headers=headers, **kwargs)

    def admin(self, method: str, path: str, tenant: str = "acme", **kwargs: Any) -> httpx.Response:
        return self.call(method, path, ADMIN, tenant, **kwargs)

    def as_key(self, method: str, path: str, tenant: str = "acme", **kwargs: Any) -> httpx.Response:
        return self.call(method, path, self.keys[tenant], **kwargs)

    def token(self, scopes: list[str], tenant: str = "acme", label: str = "k") -> tuple[str, str]:
        answer = self.admin("POST", "/tokens", tenant, json={"label": label, "scopes": scopes})
        assert answer.status_code == 201, answer.text
        return answer.json()["token"], answer.json()["keyId"]


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "request_id"}
