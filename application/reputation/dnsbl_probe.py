"""Ask the lists: every pair's query, at most ``concurrency`` in flight (console.md §12)."""

from __future__ import annotations

import asyncio

import msgspec

from application.reputation.dnsbl_ports import DnsblResolver
from domain.reputation.dnsbl_rules import Pair, Verdict, query_name, verdict

CONCURRENCY = 8


class Probed(msgspec.Struct, frozen=True):
    """One pair's answer: a verdict, or None when the failure was transient."""

    pair: Pair
    verdict: Verdict | None
    detail: str | None = None  # why it was transient


async def probe(
    pairs: list[Pair], resolver: DnsblResolver, *, dqs_key: str | None = None, concurrency: int = CONCURRENCY
) -> list[Probed]:
    gate = asyncio.Semaphore(concurrency)

    async def one(pair: Pair) -> Probed:
        try:
            name = query_name(pair, dqs_key)
        except ValueError as exc:
            return Probed(pair, Verdict("error", [], f"cannot build the query: {exc}"))
        async with gate:
            found = await resolver.lookup_a(name)
        if found.outcome == "transient":
            return Probed(pair, None, found.message)
        if found.outcome == "error":
            return Probed(pair, Verdict("error", [], found.message or "resolver error"))
        addresses = found.addresses if found.outcome == "answers" else []
        return Probed(pair, verdict(addresses, pair.loopback_is_error))

    return list(await asyncio.gather(*(one(p) for p in pairs)))
