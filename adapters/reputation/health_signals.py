"""What other monitors call to move a health bucket (console.md §11, §12, §14).

* ``trip_bucket``: DNSBL, Google Postmaster or SNDS trip rules open the breaker of a
  (tenant, sender domain, kind) bucket, as the evaluator and ``POST /health/trip`` do.
* ``raise_signal`` / ``clear_signal``: a monitor flags a bucket without tripping it; a
  signal lifts the bucket's status to at least ``review`` and shows in ``signals[]``.

Sends are held with ``hold_sends`` of ``adapters.console_sends`` (``health:<bucketId>``)
only by the writer whose trip was appended, so a repeated or racing trip holds nothing twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from adapters.console_sends import hold_sends, release_sends
from adapters.reputation.health_broadcasts import pause_broadcasts
from adapters.reputation.health_state import assess, first_fact, health_settings, state_of
from application.base import CommandMeta
from domain.reputation.health_bucket import bucket_key
from domain.reputation.health_rules import KINDS, ROLLUP

if TYPE_CHECKING:
    from adapters.bootstrap import Container

BREAKER = CommandMeta(actor="system:circuit-breaker")


class TripResult(msgspec.Struct, frozen=True):
    tripped: list[str]  # bucket ids this call tripped (already tripped ones are not listed)
    held: int  # sends held by this call
    position: int  # health log position of the last trip (0: none)


def _kinds(kind: str | None) -> tuple[str, ...]:
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)} or None, not {kind!r}")
    return KINDS if kind is None else (kind,)


def hold_bucket(
    container: Container,
    tenant_id: str,
    key: str,
    domain: str,
    kind: str,
    holds_transactional: bool,
    meta: CommandMeta,
) -> int:
    """A trip's effects: hold the bucket's waiting sends (marketing always, transactional
    only on request) and pause the domain's sending broadcasts (marketing). Returns held."""
    if kind == "transactional" and not holds_transactional:
        return 0
    held = hold_sends(container, tenant_id, f"health:{key}", from_domain=domain, kind=kind, meta=meta)
    if kind == "marketing":
        pause_broadcasts(container, tenant_id, domain, meta)
    return held


def release_bucket(container: Container, tenant_id: str, key: str, meta: CommandMeta) -> int:
    return release_sends(container, tenant_id, f"health:{key}", meta=meta)


def trip_bucket(
    container: Container,
    tenant_id: str,
    domain: str,
    kind: str | None,
    reason: str,
    source: str,
    meta: CommandMeta = BREAKER,
    *,
    holds_transactional: bool | None = None,
    reasons: list[str] | None = None,
) -> TripResult:
    """Trip (tenant, ``domain``, ``kind``) — ``kind`` None: both kinds of the domain — for
    ``reason`` (e.g. ``"spam rate 0.45% >= 0.3%"``), found by ``source`` (``postmaster``,
    ``snds``, ``dnsbl``, ``manual``, ``circuit-breaker``); ``meta.actor`` is the audit actor
    (``system:postmaster``, ...). Idempotent: a tripped bucket is left as it is. Then holds the
    bucket's waiting marketing sends (and transactional ones when ``holds_transactional``,
    default the tenant's ``health.holdTransactionalOnTrip``). Returns what changed."""
    settings = health_settings(container, tenant_id)
    hold_txn = settings.hold_transactional_on_trip if holds_transactional is None else holds_transactional
    now = container.clock.now()
    seen = container.projections["health"].view.seen(tenant_id)
    tripped, held, position = [], 0, 0
    for k in _kinds(kind):
        key = bucket_key(domain, k)
        state = state_of(container.health.bucket(tenant_id, key), tenant_id, key)
        found = assess(container, tenant_id, key, state, first_fact(seen, key), now, settings)
        changed, pos = container.health.trip_bucket(
            tenant_id,
            key,
            reason,
            source=source,
            holds_transactional=hold_txn,
            reasons=reasons,
            window_started_at=found.window_started_at,
            counters=msgspec.to_builtins(found.counters),
            meta=meta,
        )
        if changed:
            tripped.append(key)
            position = max(position, pos)
            held += hold_bucket(container, tenant_id, key, domain.strip().lower(), k, hold_txn, meta)
    return TripResult(tripped, held, position)


def raise_signal(
    container: Container,
    tenant_id: str,
    domain: str | None,
    kind: str | None,
    source: str,
    detail: str,
    meta: CommandMeta | None = None,
) -> int:
    """Flag (tenant, ``domain``, ``kind``) — ``kind`` None: both kinds; ``domain`` None: the
    roll-up ``agg`` (e.g. an SNDS IP) — with ``detail``; raising the same detail again changes
    nothing. Returns the health log position (0: nothing appended)."""
    return _signal(container, tenant_id, domain, kind, source, detail, meta)


def clear_signal(
    container: Container,
    tenant_id: str,
    domain: str | None,
    kind: str | None,
    source: str,
    meta: CommandMeta | None = None,
) -> int:
    """The monitor ``source`` no longer flags the bucket(s); 0 when nothing was flagged."""
    return _signal(container, tenant_id, domain, kind, source, None, meta)


def _signal(
    container: Container,
    tenant_id: str,
    domain: str | None,
    kind: str | None,
    source: str,
    detail: str | None,
    meta: CommandMeta | None,
) -> int:
    keys = [ROLLUP] if domain is None else [bucket_key(domain, k) for k in _kinds(kind)]
    meta = meta or CommandMeta(actor=f"system:{source}")
    position = 0
    for key in keys:
        _, pos = container.health.set_signal(tenant_id, key, source, detail, meta)
        position = max(position, pos)
    return position


__all__ = ["TripResult", "clear_signal", "raise_signal", "trip_bucket"]
