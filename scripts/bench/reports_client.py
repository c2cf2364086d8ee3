"""A minimal, fast client app for the reports benchmark: the sync endpoint, in a process of its own.

It reads each HTTP/1.1 request (keep-alive), counts the POSTs and the report items in them
(occurrences of ``"event_id"``), and answers ``200 {"ok":true}``; nothing else is parsed
or stored. A process of its own keeps its work off the benchmarked process's GIL (the test
client app, ``tests/support/client_app.py``, records everything for assertions instead).

    with FastClient() as client:
        ... POST to client.url + "/mail-proxy/sync" ...
        client.items, client.posts
"""

from __future__ import annotations

import asyncio
import os
import signal
from multiprocessing.sharedctypes import Synchronized

from scripts.bench.loopback import LoopbackProcess

_ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
           b'{"ok":true}')
_ITEM = b'"event_id"'


class _Connection(asyncio.Protocol):
    def __init__(self, items: Synchronized, posts: Synchronized) -> None:  # type: ignore[type-arg]
        self.items, self.posts = items, posts
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            at = head.find(b"content-length:")
            length = int(head[at + 15:].split(b"\r\n", 1)[0]) if at >= 0 else 0
            if len(self.buffer) < end + 4 + length:
                return  # the rest of the body is still coming
            body = self.buffer[end + 4:end + 4 + length]
            self.buffer = self.buffer[end + 4 + length:]
            with self.items.get_lock():
                self.items.value += body.count(_ITEM)
            with self.posts.get_lock():
                self.posts.value += 1
            if self.transport is not None:
                self.transport.write(_ANSWER)


def _serve(items: Synchronized, posts: Synchronized, port: Synchronized) -> None:  # type: ignore[type-arg]
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Connection(items, posts), "127.0.0.1", 0, backlog=128)
        port.value = server.sockets[0].getsockname()[1]
        await server.serve_forever()

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    asyncio.run(main())


class FastClient(LoopbackProcess):
    WHAT = "client app"

    def __init__(self) -> None:
        self._items, self._posts = self.counter(), self.counter()
        super().__init__(_serve, self._items, self._posts)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def items(self) -> int:
        return int(self._items.value)

    @property
    def posts(self) -> int:
        return int(self._posts.value)
