"""A recorded run for history tests: every context writes events, and the state of message m1
is observed (read from the write model) at each step, with the time and position it was seen."""

from __future__ import annotations

from typing import Any

import msgspec

from adapters.bootstrap import Container
from adapters.console_ops import forget
from adapters.history.aggregates import snapshot
from adapters.history.reader import payload_of
from adapters.runner import Source
from domain.sending.ids import message_uuid
from tests.support.dispatch import DispatchRig, M


class Observed(msgspec.Struct):
    step: str
    ts: float  # service clock when it was seen
    position: int  # sending log position when it was seen
    state: dict[str, Any]


def observe(rig: DispatchRig, step: str) -> Observed:
    return Observed(step, rig.now(), rig.c.sending.max_position(), snapshot(rig.message("m1")))


def recorded_run(rig: DispatchRig) -> list[Observed]:
    """m1 queued, then (10 s later) sent; m2 queued and cancelled; a contact made and forgotten."""
    seen = []
    rig.queue(M("m1"), M("m2", to=["other@dest.test"]))
    seen.append(observe(rig, "queued"))
    rig.advance(10)
    rig.c.sending.cancel_messages("acme", ["m2"])
    rig.start()
    rig.wait_status("m1", "sent")
    seen.append(observe(rig, "sent"))
    rig.advance(10)
    rig.c.console.upsert_contact("acme", "u2", {"email": "u2@ex.test", "fields": {"plan": "gold-u2"}})
    forget(rig.c, "acme", "u2")
    return seen


def m1_id() -> Any:
    return message_uuid("acme", "m1")


def every_event(container: Container) -> list[dict[str, Any]]:
    """Ground truth: each log read whole through its recorder and mapper."""
    out = []
    for name, source in container.sources().items():
        for n in _all(source):
            e = source.mapper.to_domain_event(n)
            out.append(
                {
                    "application": name,
                    "position": n.id,
                    "topic": type(e).TOPIC,
                    "aggregate_id": str(e.originator_id),
                    "aggregate_version": e.originator_version,
                    "timestamp": e.timestamp,
                    "actor": e.meta.actor,
                    "command_id": e.meta.command_id,
                    "payload": msgspec.to_builtins(payload_of(e)),
                }
            )
    return out


def _all(source: Source) -> list[Any]:
    got, after = [], 0
    while batch := source.select(after, 1000, None):
        got.extend(batch)
        after = batch[-1].id
    return got
