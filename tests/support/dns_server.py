"""A real DNS server on loopback for the DNSBL tests, programmable per name.

UDP and TCP on one random port of 127.0.0.1 (TCP for clients that fall back on a truncated
answer), each request parsed and answered with dnspython's own message code. Per name:
A answers (``127.0.0.2`` listed, ``127.255.255.254`` a list's error, ...), TXT reasons, an
rcode (NXDOMAIN, SERVFAIL, REFUSED), NODATA, or ``stall`` (never answer: the client times
out). Unknown names answer NXDOMAIN. Every question is logged in ``queries``.

    with dns_server() as dns:
        dns.answer("2.0.0.127.zen.test", "127.0.0.2", txt="listed for a test")
        dns.rcode("broken.test.dbl.test", "SERVFAIL")
        dns.stall("slow.test.dbl.test")
        resolver_address = dns.address  # "127.0.0.1:<port>"
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import msgspec


class Rule(msgspec.Struct):
    a: list[str] = []
    txt: list[str] = []
    rcode: str = "NOERROR"
    stall: bool = False


class DnsServer:
    def __init__(self) -> None:
        self.rules: dict[str, Rule] = {}
        self.queries: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._servers: list[socketserver.BaseServer] = []
        self.port = 0

    # --- programming -----------------------------------------------------------------------
    @staticmethod
    def _key(name: str) -> str:
        return name.lower().rstrip(".")

    def answer(self, name: str, *addresses: str, txt: str | None = None) -> None:
        with self._lock:
            self.rules[self._key(name)] = Rule(a=list(addresses), txt=[txt] if txt else [])

    def rcode(self, name: str, rcode: str) -> None:
        with self._lock:
            self.rules[self._key(name)] = Rule(rcode=rcode)

    def nodata(self, name: str) -> None:
        with self._lock:
            self.rules[self._key(name)] = Rule()

    def stall(self, name: str) -> None:
        with self._lock:
            self.rules[self._key(name)] = Rule(stall=True)

    def forget(self, name: str) -> None:
        with self._lock:
            self.rules.pop(self._key(name), None)

    def asked(self, rdtype: str = "A") -> list[str]:
        with self._lock:
            return [n for n, t in self.queries if t == rdtype]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    # --- answering -------------------------------------------------------------------------
    def respond(self, wire: bytes) -> bytes | None:
        """The answer to one request, or None to stay silent (a stall, garbage)."""
        try:
            query = dns.message.from_wire(wire)
        except Exception:
            return None
        if not query.question:
            return None
        question = query.question[0]
        name = self._key(question.name.to_text())
        rdtype = dns.rdatatype.to_text(question.rdtype)
        with self._lock:
            self.queries.append((name, rdtype))
            rule = self.rules.get(name, Rule(rcode="NXDOMAIN"))
        if rule.stall:
            return None
        response = dns.message.make_response(query)
        response.set_rcode(dns.rcode.from_text(rule.rcode))
        values = rule.a if rdtype == "A" else [f'"{t}"' for t in rule.txt] if rdtype == "TXT" else []
        if rule.rcode == "NOERROR" and values:
            response.answer.append(dns.rrset.from_text(question.name, 60, "IN", rdtype, *values))
        return response.to_wire()

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        for _ in range(20):  # a UDP port whose TCP twin is free too
            udp = socketserver.ThreadingUDPServer(("127.0.0.1", 0), _Udp)
            port = udp.server_address[1]
            try:
                tcp = socketserver.ThreadingTCPServer(("127.0.0.1", port), _Tcp)
            except OSError:
                udp.server_close()
                continue
            self._servers, self.port = [udp, tcp], port
            break
        else:
            raise RuntimeError("no free UDP+TCP port pair on 127.0.0.1")
        for server in self._servers:
            server.daemon_threads = True  # type: ignore[attr-defined]
            server.owner = self  # type: ignore[attr-defined]
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                             name=f"test-dns-{type(server).__name__}").start()

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []


class _Udp(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        out = self.server.owner.respond(data)  # type: ignore[attr-defined]
        if out is not None:
            sock.sendto(out, self.client_address)


class _Tcp(socketserver.BaseRequestHandler):
    """RFC 1035 4.2.2: each message is preceded by its two-byte length."""

    def handle(self) -> None:
        conn: socket.socket = self.request
        header = conn.recv(2)
        if len(header) < 2:
            return
        (size,) = struct.unpack("!H", header)
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                return
            data += chunk
        out = self.server.owner.respond(data)  # type: ignore[attr-defined]
        if out is not None:
            conn.sendall(struct.pack("!H", len(out)) + out)


@contextmanager
def dns_server() -> Iterator[DnsServer]:
    server = DnsServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
