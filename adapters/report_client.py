"""``HttpxReportClient``: the reporter's POSTs to client sync endpoints (proxy.md §8.1)."""

from __future__ import annotations

import httpx

from application.sending.reporter import USER_AGENT


class HttpxReportClient:
    """One pooled ``httpx.AsyncClient``; created lazily in the reporter's own event loop."""

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None

    async def post(self, url: str, body: bytes, headers: dict[str, str], *,
                   timeout: float) -> tuple[int | None, bytes | None, str | None]:
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False)
        sent = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
        try:
            response = await self._client.post(url, content=body, headers=sent, timeout=timeout)
        except httpx.TimeoutException:
            return None, None, f"timeout after {timeout:g} s"
        except httpx.HTTPError as exc:
            return None, None, f"{type(exc).__name__}: {exc}"[:500]
        return response.status_code, response.content, None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
