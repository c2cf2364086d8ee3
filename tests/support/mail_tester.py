"""A Mail-Tester stand-in on loopback (console.md §5.5): ``POST /<key>/new`` hands out a check
and an address, ``GET /<key>/<checkId>`` is 404 until a test sets a score, then the result."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class MailTesterStub:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.scores: dict[str, float] = {}
        self.checks = 0
        self.fail_with: int | None = None
        self.base_url = ""

    def score(self, check_id: str, value: float) -> None:
        self.scores[check_id] = value

    def handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any] | None) -> None:
                data = json.dumps(body or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                stub.calls.append(("POST", self.path))
                if stub.fail_with:
                    return self._send(stub.fail_with, {"error": "down"})
                stub.checks += 1
                check_id = f"chk{stub.checks}"
                return self._send(
                    200, {"check_id": check_id, "email_address": f"test-{check_id}@srv1.mail-tester.test"}
                )

            def do_GET(self) -> None:
                stub.calls.append(("GET", self.path))
                if stub.fail_with:
                    return self._send(stub.fail_with, {"error": "down"})
                check_id = self.path.rsplit("/", 1)[-1]
                if check_id not in stub.scores:
                    return self._send(404, {"error": "not ready"})
                return self._send(
                    200,
                    {
                        "ready": True,
                        "score": stub.scores[check_id],
                        "feedback": [
                            {"category": "spam", "severity": "warning", "message": "looks promotional"}
                        ],
                    },
                )

        return Handler


@contextmanager
def mail_tester_stub() -> Iterator[MailTesterStub]:
    stub = MailTesterStub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), stub.handler())
    stub.base_url = f"http://127.0.0.1:{server.server_address[1]}/api"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
