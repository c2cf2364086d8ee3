"""A real ledgermail HTTP server on loopback (uvicorn in a thread) for API tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import msgspec
import uvicorn

from adapters.bootstrap import Container, bootstrap
from adapters.settings import Settings
from api.app import create_app

ADMIN = "admin-test-token"


class Live:
    def __init__(self, container: Container, base_url: str) -> None:
        self.container = container
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def call(self, method: str, path: str, token: str | None = ADMIN, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["X-API-Token"] = token
        return self.http.request(method, path, headers=headers, **kwargs)

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.call(method, path, ADMIN, **kwargs)

    def advance(self, seconds: float) -> float:
        answer = self.admin("POST", "/_test/clock", json={"advance": seconds})
        assert answer.status_code == 200, answer.text
        return float(answer.json()["now"])

    def create_tenant(self, tenant_id: str, **fields: Any) -> str:
        answer = self.admin("POST", "/tenant", json={"id": tenant_id, **fields})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["api_key"])


@contextmanager
def live_server(settings: Settings, *, dispatch: bool = False) -> Iterator[Live]:
    settings = msgspec.structs.replace(settings, admin_token=ADMIN, fake_clock=True)
    container = bootstrap(settings, create_tables=True)
    container.tenancy.initialise_instance()
    container.start_projections()
    if dispatch:
        container.start_dispatcher()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(container), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    live = Live(container, f"http://127.0.0.1:{port}")
    try:
        yield live
    finally:
        live.http.close()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        container.close()



def eventually(check: Any, timeout: float = 15.0) -> Any:
    """Poll ``check`` until it returns something truthy (and return that), or fail."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
