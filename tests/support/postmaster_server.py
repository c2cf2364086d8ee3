"""A real HTTP server on loopback that plays Google Postmaster Tools (OAuth token endpoint and
``trafficStats``) and the Microsoft SNDS data feed (console.md §14), programmable per test:
the stats per domain, the CSV, the page size, and failures (any status, a 429 with
``Retry-After``) for the next n calls of a path prefix.

``FeedServer.endpoints`` is the ``FeedEndpoints`` a container points at it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from adapters.reputation.postmaster_http import FeedEndpoints

CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SNDS_KEY = "cid-1", "csecret-1", "rtoken-1", "snds-key-1"


def stat(domain: str, day: str, **values: Any) -> dict[str, Any]:
    """A trafficStats item for ``day`` (YYYYMMDD)."""
    return {"name": f"domains/{domain}/trafficStats/{day}", **values}


class Failure:
    def __init__(self, prefix: str, status: int, times: int, retry_after: float | None) -> None:
        self.prefix, self.status, self.times, self.retry_after = prefix, status, times, retry_after


class FeedServer:
    def __init__(self) -> None:
        self.stats: dict[str, list[dict[str, Any]]] = {}
        self.snds_csv = ""
        self.page_size: int | None = None  # None: the client's pageSize
        self.expires_in = 3600
        self.failures: list[Failure] = []
        self.requests: list[tuple[str, str]] = []  # (method, path with query)
        self.tokens_issued = 0
        self._valid: set[str] = set()
        self._lock = threading.Lock()
        self.httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.httpd is not None
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def endpoints(self) -> FeedEndpoints:
        return FeedEndpoints(
            postmaster_url=f"{self.base_url}/v1",
            postmaster_token_url=f"{self.base_url}/token",
            snds_url=f"{self.base_url}/snds",
        )

    def fail(self, prefix: str, status: int, *, times: int = 1, retry_after: float | None = None) -> None:
        with self._lock:
            self.failures.append(Failure(prefix, status, times, retry_after))

    def calls(self, prefix: str) -> int:
        return sum(1 for _, path in self.requests if path.startswith(prefix))

    # --- the handler's helpers ---------------------------------------------------------------
    def failure_for(self, path: str) -> Failure | None:
        with self._lock:
            for failure in self.failures:
                if path.startswith(failure.prefix) and failure.times > 0:
                    failure.times -= 1
                    return failure
        return None

    def issue(self) -> str:
        with self._lock:
            self.tokens_issued += 1
            token = f"access-{self.tokens_issued}"
            self._valid.add(token)
        return token

    def valid(self, header: str | None) -> bool:
        return bool(header) and header.removeprefix("Bearer ") in self._valid  # type: ignore[union-attr]

    def page(self, domain: str, size: int, token: str | None) -> dict[str, Any]:
        items = self.stats.get(domain, [])
        start = int(token or 0)
        size = self.page_size or size
        body: dict[str, Any] = {"trafficStats": items[start : start + size]}
        if start + size < len(items):
            body["nextPageToken"] = str(start + size)
        return body


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, *args: Any) -> None:
        pass

    def _send(
        self,
        status: int,
        body: Any,
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _failed(self, feed: FeedServer, path: str) -> bool:
        failure = feed.failure_for(path)
        if failure is None:
            return False
        extra = {"Retry-After": f"{failure.retry_after:g}"} if failure.retry_after is not None else {}
        self._send(
            failure.status,
            {"error": {"code": failure.status, "message": "programmed failure"}},
            headers=extra,
        )
        return True

    def do_POST(self) -> None:
        feed: FeedServer = self.server.feed
        feed.requests.append(("POST", self.path))
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
        if self._failed(feed, self.path):
            return
        if urlsplit(self.path).path != "/token":
            self._send(404, {"error": "not found"})
            return
        wanted = {
            "grant_type": "refresh_token",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
        }
        if any(form.get(k, [""])[0] != v for k, v in wanted.items()):
            self._send(400, {"error": "invalid_grant"})
            return
        self._send(200, {"access_token": feed.issue(), "expires_in": feed.expires_in, "token_type": "Bearer"})

    def do_GET(self) -> None:
        feed: FeedServer = self.server.feed
        feed.requests.append(("GET", self.path))
        if self._failed(feed, self.path):
            return
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if parts.path == "/snds":
            if query.get("key", [""])[0] != SNDS_KEY:
                self._send(403, "denied", content_type="text/plain")
            else:
                self._send(200, feed.snds_csv, content_type="text/csv")
            return
        segments = parts.path.split("/")  # ['', 'v1', 'domains', d, 'trafficStats']
        if len(segments) != 5 or segments[1:3] != ["v1", "domains"] or segments[4] != "trafficStats":
            self._send(404, {"error": "not found"})
            return
        if not feed.valid(self.headers.get("Authorization")):
            self._send(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}})
            return
        size = int(query.get("pageSize", ["30"])[0])
        self._send(200, feed.page(segments[3], size, query.get("pageToken", [None])[0]))


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    feed = FeedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.feed = feed  # type: ignore[attr-defined]
    httpd.daemon_threads = True
    feed.httpd = httpd
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield feed
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
