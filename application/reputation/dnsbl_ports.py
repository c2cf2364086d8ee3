"""What the DNSBL checks need from outside: one DNS A lookup (console.md §12)."""

from __future__ import annotations

from typing import Literal, Protocol

import msgspec

Outcome = Literal["answers", "nxdomain", "transient", "error"]


class Lookup(msgspec.Struct, frozen=True):
    """``answers``: the A records (empty for NODATA); ``nxdomain``; ``transient`` (timeout,
    SERVFAIL, REFUSED, no connection: nothing is written, the last verdict stands); ``error``:
    any other resolver failure, kept as the pair's verdict with ``message``."""

    outcome: Outcome
    addresses: list[str] = []
    message: str | None = None


class DnsblResolver(Protocol):
    async def lookup_a(self, name: str) -> Lookup:
        """The A records of ``name``; never raises for DNS failures (they are outcomes)."""
        ...
