"""A client app's attachment endpoint on loopback: a tiny threaded ``http.server``.

    with AttachmentServer() as server:
        server.files["doc_id=7"] = (200, b"a", "application/pdf")
        ...  # POST {server.base_url}/mail-proxy/attachments {"storage_path": "doc_id=7"}
        server.requests  # [(method, path, headers, body)]

GET requests look ``path`` up in ``files`` too (for ``http_url`` attachments).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class AttachmentServer:
    def __init__(self) -> None:
        self.files: dict[str, tuple[int, bytes, str]] = {}
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.requests.append(("POST", self.path, dict(self.headers.items()), body))
                try:
                    key = str(json.loads(body)["storage_path"])
                except (ValueError, KeyError, TypeError):
                    key = ""
                self._answer(key)

            def do_GET(self) -> None:
                owner.requests.append(("GET", self.path, dict(self.headers.items()), b""))
                self._answer(self.path)

            def _answer(self, key: str) -> None:
                status, data, kind = owner.files.get(key, (404, b"not found", "text/plain"))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> AttachmentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
