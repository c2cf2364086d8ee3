"""The ports of the provider feeds (console.md §14): the HTTP clients, the bucket tripper and
the due schedule. Adapters implement them (httpx, health_signals, a coordination table)."""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from application.base import CommandMeta


class FeedError(Exception):
    """A pull failed: ``status`` the HTTP status (0: no answer), ``retry_after`` seconds the
    provider asked us to wait (a 429 throttle), ``message`` safe to show (no secrets)."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


class PostmasterCredentials(msgspec.Struct, frozen=True):
    client_id: str
    client_secret: str
    refresh_token: str


class PostmasterClient(Protocol):
    def traffic_stats(self, credentials: PostmasterCredentials, domain: str) -> list[dict[str, Any]]:
        """The domain's trafficStats pages (≤3) as decoded JSON bodies; raises FeedError."""
        ...


class SndsClient(Protocol):
    def data(self, key: str) -> str:
        """The SNDS data feed as CSV text; raises FeedError (whose message never has the key)."""
        ...


class BucketTripper(Protocol):
    def trip(self, tenant_id: str, domain: str, kind: str | None, reason: str, source: str,
             meta: CommandMeta) -> list[str]:
        """Trip the bucket(s) of ``domain`` (``kind`` None: its existing buckets); returns the
        ``<domain>|<kind>`` it tripped now (already tripped ones are not listed)."""
        ...

    def signal(self, tenant_id: str, domain: str | None, kind: str | None, source: str, detail: str,
               meta: CommandMeta) -> None:
        """Raise a monitor signal on the (domain, kind) bucket (kind None: both kinds;
        domain None: the roll-up)."""
        ...


class FeedSchedule(Protocol):
    def due_at(self, tenant_id: str, feed: str, target: str) -> float | None:
        """When (service time) the target is due next; None: never pulled, due now."""
        ...

    def set_due(self, tenant_id: str, feed: str, target: str, due_at: float) -> None: ...
