"""A minimal, fast SMTP sink for the dispatch benchmark, in a process of its own.

It answers every command with success and counts the messages it accepts after DATA in a
shared counter; nothing is parsed or stored. Running in another process keeps its work off
the benchmarked process's GIL (the aiosmtpd test sink, ``tests/support/smtp_sink.py``, is
built for scripting and inspection, not for speed).

    with FastSink() as sink:
        ... send to 127.0.0.1:sink.port ...
        sink.received  # messages accepted so far
"""

from __future__ import annotations

import asyncio
import os
import signal
from multiprocessing.sharedctypes import Synchronized

from scripts.bench.loopback import LoopbackProcess

_EHLO = b"250-bench-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 104857600\r\n"
_REPLIES = {b"HELO": b"250 bench-sink\r\n", b"MAIL": b"250 2.1.0 ok\r\n",
            b"RCPT": b"250 2.1.5 ok\r\n", b"RSET": b"250 2.0.0 ok\r\n",
            b"NOOP": b"250 2.0.0 ok\r\n", b"DATA": b"354 go ahead\r\n"}


class _Session(asyncio.Protocol):
    def __init__(self, counter: Synchronized) -> None:  # type: ignore[type-arg]
        self.counter = counter
        self.buffer = b""
        self.in_data = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(b"220 bench-sink ESMTP\r\n")  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        out = []
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    break
                self.buffer = self.buffer[end + 5:]
                self.in_data = False
                with self.counter.get_lock():
                    self.counter.value += 1
                out.append(b"250 2.0.0 queued\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                break
            line, self.buffer = self.buffer[:end], self.buffer[end + 2:]
            out.append(self._reply(line[:4].upper()))
        if out and self.transport is not None:
            self.transport.write(b"".join(out))

    def _reply(self, verb: bytes) -> bytes:
        if verb == b"DATA":
            self.in_data = True
            self.buffer = b"\r\n" + self.buffer  # a message may be empty: ".\r\n" right away
        elif verb == b"QUIT" and self.transport is not None:
            self.transport.write(b"221 bye\r\n")
            self.transport.close()
            return b""
        return _EHLO if verb == b"EHLO" else _REPLIES.get(verb, b"250 ok\r\n")


def _serve(counter: Synchronized, port: Synchronized) -> None:  # type: ignore[type-arg]
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Session(counter), "127.0.0.1", 0, backlog=512)
        port.value = server.sockets[0].getsockname()[1]
        await server.serve_forever()

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    asyncio.run(main())


class FastSink(LoopbackProcess):
    WHAT = "SMTP sink"
    host = "127.0.0.1"

    def __init__(self) -> None:
        self._counter = self.counter()
        super().__init__(_serve, self._counter)

    @property
    def received(self) -> int:
        return int(self._counter.value)
