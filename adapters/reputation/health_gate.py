"""The enqueue and pre-claim gate of console sends (console.md §2.3 rule 6, §11).

It is called for every send of a broadcast page and before every console attempt, so it must
cost a dictionary look-up: ``HealthGate`` keeps what each bucket holds, read from the
HealthBucket aggregate itself (its uuid5 id, no read model to lag), and forgets all of it
whenever the ``health`` log moves. A save in this process clears it at once; another
process's trip is noticed within ``RECHECK_SECONDS`` (a trip also holds the sends already
waiting, so a send slipping through in that moment is caught at its pre-claim check).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from domain.reputation.health_bucket import bucket_key

if TYPE_CHECKING:
    from adapters.bootstrap import Container
    from adapters.console_checks import SendFacts

RECHECK_SECONDS = 0.25


class HealthGate:
    def __init__(self, container: Container) -> None:
        self.c = container
        self._lock = threading.Lock()
        self._position = -1
        self._checked = 0.0
        self._holds: dict[tuple[str, str], tuple[bool, bool]] = {}  # (marketing, transactional)
        container.health.listeners.append(self._saved)

    def _saved(self, _application: str, _position: int) -> None:
        self._checked = 0.0  # our own trip or resume: look at the log again on the next call

    def holds(self, tenant_id: str, key: str, kind: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._checked >= RECHECK_SECONDS:
                position = self.c.health.max_position()
                if position != self._position:
                    self._holds.clear()
                    self._position = position
                self._checked = now
            found = self._holds.get((tenant_id, key))
        if found is None:
            bucket = self.c.health.bucket(tenant_id, key)
            found = (
                bucket is not None and bucket.holds("marketing"),
                bucket is not None and bucket.holds("transactional"),
            )
            with self._lock:
                self._holds[(tenant_id, key)] = found
        return found[0] if kind == "marketing" else found[1]


def health_hold(container: Container, tenant_id: str, from_domain: str, kind: str) -> str | None:
    """ "health:<bucketId>" when the bucket (tenant, from_domain, kind) is tripped and holds
    this kind (a marketing bucket holds marketing; a transactional one only with
    ``holdsTransactional``), else None. The roll-up never trips, so never holds."""
    key = bucket_key(from_domain, kind)
    return f"health:{key}" if container.health_gate.holds(tenant_id, key, kind) else None


def health_send_hold(container: Container, tenant_id: str, facts: SendFacts) -> str | None:
    """``health_hold`` as a ``HoldCheck`` of ``Container.send_holds``. Test sends are never
    held: they count nowhere (console.md §2.3) and exist to look at a draft."""
    if facts.origin == "test" or not facts.from_domain:
        return None
    return health_hold(container, tenant_id, facts.from_domain, facts.kind)
