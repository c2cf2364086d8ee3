"""The DNSBL resolver adapter against the loopback DNS server: every answer and failure maps to
the outcome console.md §12 names; the server answers over UDP and TCP, TXT reasons too."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import dns.message
import dns.query
import dns.rcode
import pytest

from adapters.reputation.dnsbl_resolver import DnspythonResolver, parse_address
from tests.support.dns_server import DnsServer, dns_server

pytestmark = pytest.mark.integration


@pytest.fixture
def server() -> Iterator[DnsServer]:
    with dns_server() as s:
        yield s


def lookup(server: DnsServer, name: str, timeout: float = 0.3):  # type: ignore[no-untyped-def]
    return asyncio.run(DnspythonResolver(server.address, timeout).lookup_a(name))


def test_answers_and_failures_map_to_outcomes(server: DnsServer) -> None:
    server.answer("2.0.0.127.zen.test", "127.0.0.2", "127.0.0.4")
    server.nodata("nodata.zen.test")
    server.rcode("servfail.zen.test", "SERVFAIL")
    server.rcode("refused.zen.test", "REFUSED")
    server.rcode("yx.zen.test", "YXDOMAIN")
    found = lookup(server, "2.0.0.127.zen.test")
    assert (found.outcome, found.addresses) == ("answers", ["127.0.0.2", "127.0.0.4"])
    assert lookup(server, "nodata.zen.test").addresses == []
    assert lookup(server, "unknown.zen.test").outcome == "nxdomain"
    assert lookup(server, "servfail.zen.test").message == "resolver failed: SERVFAIL"
    assert lookup(server, "refused.zen.test").outcome == "transient"
    assert lookup(server, "yx.zen.test").outcome == "error"
    assert lookup(server, f"{'a' * 64}.zen.test").outcome == "error"  # a label over 63 octets


def test_a_stall_is_a_timeout_within_the_configured_bound(server: DnsServer) -> None:
    server.stall("slow.zen.test")
    started = time.monotonic()
    found = lookup(server, "slow.zen.test", timeout=0.4)
    assert found.outcome == "transient" and "0.4 s" in (found.message or "")
    assert time.monotonic() - started < 2.0


def test_an_unreachable_resolver_is_transient() -> None:
    with dns_server() as gone:
        address = gone.address
    found = asyncio.run(DnspythonResolver(address, 0.3).lookup_a("x.zen.test"))
    assert found.outcome == "transient"


def test_the_server_answers_udp_and_tcp_with_txt_reasons(server: DnsServer) -> None:
    server.answer("2.0.0.127.zen.test", "127.0.0.2", txt="listed: see https://example.test/why")
    query = dns.message.make_query("2.0.0.127.zen.test", "TXT")
    for send in (dns.query.udp, dns.query.tcp):
        response = send(query, "127.0.0.1", port=server.port, timeout=2)
        assert response.rcode() == dns.rcode.NOERROR
        assert b"see https://example.test/why" in response.answer[0][0].strings[0]
    assert server.asked("TXT") == ["2.0.0.127.zen.test", "2.0.0.127.zen.test"]


def test_resolver_addresses() -> None:
    assert parse_address("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_address("10.0.0.53") == ("10.0.0.53", 53)
    assert parse_address("[::1]:5300") == ("::1", 5300)
