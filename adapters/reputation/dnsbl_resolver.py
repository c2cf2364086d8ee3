"""``DnspythonResolver``: DNSBL A lookups with dnspython's async stub resolver (console.md §12).

Pointed at ``LEDGERMAIL_DNS_RESOLVER`` (``host:port``; default: the system's resolv.conf),
each query bounded by ``LEDGERMAIL_DNS_TIMEOUT_S``. Failures become outcomes, never
exceptions: NXDOMAIN and NODATA are answers (clean); timeouts, SERVFAIL, REFUSED and
unreachable servers are transient (the last verdict stands); anything else (YXDOMAIN, a name
that cannot be encoded) is an error verdict with the resolver's message.
"""

from __future__ import annotations

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

from application.reputation.dnsbl_ports import Lookup


def parse_address(value: str) -> tuple[str, int]:
    """``host:port``, ``host`` (port 53) or ``[v6]:port``."""
    value = value.strip()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, int(rest.lstrip(":") or 53)
    if value.count(":") == 1:
        host, _, port = value.partition(":")
        return host, int(port)
    return value, 53


class DnspythonResolver:
    def __init__(self, address: str | None, timeout: float = 3.0) -> None:
        self.address = parse_address(address) if address else None
        self.timeout = timeout

    def _resolver(self) -> dns.asyncresolver.Resolver:
        if self.address is None:
            resolver = dns.asyncresolver.Resolver()
        else:
            resolver = dns.asyncresolver.Resolver(configure=False)
            host, port = self.address
            resolver.nameservers = [dns.nameserver.Do53Nameserver(host, port)]
        resolver.timeout = resolver.lifetime = self.timeout
        resolver.cache = None  # a recheck must ask again
        return resolver

    async def lookup_a(self, name: str) -> Lookup:
        try:
            qname = dns.name.from_text(name)  # absolute: no search domains appended
            answer = await self._resolver().resolve(qname, dns.rdatatype.A, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return Lookup("nxdomain")
        except dns.exception.Timeout:
            return Lookup("transient", message=f"no answer within {self.timeout:g} s")
        except dns.resolver.NoNameservers as exc:
            return Lookup("transient", message=_server_errors(exc))
        except dns.exception.DNSException as exc:
            return Lookup("error", message=f"{type(exc).__name__}: {exc}"[:300])
        except OSError as exc:
            return Lookup("transient", message=f"resolver unreachable: {exc}")
        return Lookup("answers", sorted({r.address for r in answer}))


def _server_errors(exc: dns.resolver.NoNameservers) -> str:
    """SERVFAIL, REFUSED or a transport error, as the resolver reported them."""
    errors = exc.kwargs.get("errors") or []
    texts = sorted({str(e[3]) for e in errors if len(e) > 3})
    return "resolver failed: " + (", ".join(texts) if texts else "no usable answer")
