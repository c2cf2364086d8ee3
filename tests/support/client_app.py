"""A client application on loopback: records every request, answers as a test scripts it.

``ClientApp`` runs a threaded ``http.server``; ``answer(...)`` queues answers (used in
order, then ``default``, ``200 {"ok":true}`` unless a test sets another: a client that is
down answers 503 until it is set back). An answer can stall (sleep before replying) to act
as a timeout. Each request records the status it was answered with.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import msgspec


class Request(msgspec.Struct):
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # monotonic
    status: int = 0  # what the app answered

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def reports(self) -> list[dict[str, Any]]:
        return list(self.json["reports"])


class Answer(msgspec.Struct):
    status: int = 200
    body: Any = msgspec.field(default_factory=lambda: {"ok": True})  # dict: JSON; str: as is
    content_type: str | None = None
    stall: float = 0.0


class ClientApp:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.answers: list[Answer] = []
        self.default = Answer()
        self.lock = threading.Condition()
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                answer = app._record(Request("POST", self.path, headers, body, time.monotonic()))
                time.sleep(answer.stall)
                text = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
                plain = isinstance(answer.body, str)
                kind = answer.content_type or ("text/plain" if plain else "application/json")
                data = text.encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the caller gave up (a stall longer than its timeout)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _record(self, request: Request) -> Answer:
        with self.lock:
            answer = self.answers.pop(0) if self.answers else self.default
            request.status = answer.status
            self.requests.append(request)
            self.lock.notify_all()
            return answer

    def answer(self, *answers: Answer) -> None:
        with self.lock:
            self.answers.extend(answers)

    def count(self) -> int:
        with self.lock:
            return len(self.requests)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Request]:
        """Block until at least ``count`` requests arrived; all of them."""
        with self.lock:
            if not self.lock.wait_for(lambda: len(self.requests) >= count, timeout=timeout):
                raise AssertionError(f"{len(self.requests)} requests arrived, waited for {count}")
            return list(self.requests)

    def quiet(self, seconds: float) -> list[Request]:
        """Wait ``seconds`` and return what arrived meanwhile (to assert nothing did)."""
        before = self.count()
        time.sleep(seconds)
        with self.lock:
            return self.requests[before:]


@contextmanager
def client_app() -> Iterator[ClientApp]:
    app = ClientApp()
    app.thread.start()
    try:
        yield app
    finally:
        app.server.shutdown()
        app.server.server_close()
