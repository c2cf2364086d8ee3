"""The feeds' ``BucketTripper``: the health code's ``trip_bucket`` / ``raise_signal``
(adapters/reputation/health_signals.py, console.md §11), which also hold the sends."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.reputation import health_signals
from application.base import CommandMeta

if TYPE_CHECKING:
    from adapters.bootstrap import Container


def shown(bucket_id: str) -> str:
    """``d:news.acme.test|k:marketing`` -> ``news.acme.test|marketing`` (trippedDomains)."""
    domain, _, kind = bucket_id.partition("|")
    return f"{domain.removeprefix('d:')}|{kind.removeprefix('k:')}"


class HealthTripper:
    def __init__(self, container: Container) -> None:
        self.container = container

    def trip(self, tenant_id: str, domain: str, kind: str | None, reason: str, source: str,
             meta: CommandMeta) -> list[str]:
        done = health_signals.trip_bucket(self.container, tenant_id, domain, kind, reason, source, meta)
        return [shown(k) for k in done.tripped]

    def signal(self, tenant_id: str, domain: str | None, kind: str | None, source: str, detail: str,
               meta: CommandMeta) -> None:
        health_signals.raise_signal(self.container, tenant_id, domain, kind, source, detail, meta)
