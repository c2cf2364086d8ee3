"""Builders for health tests: messages sent, bounced, complained or failing, straight into
the sending log at a controllable service clock, and the health views caught up."""

from __future__ import annotations

from typing import Any

from adapters.bootstrap import Container
from adapters.reputation.health_evaluator import HealthEvaluator, Transition
from domain.sending.content import ConsoleOrigin, MessageContent, QueueFields
from domain.sending.failure import AttemptFailure
from domain.sending.ids import message_uuid
from domain.sending.message import Message

T0 = 1_800_000_000.0
NETWORK = AttemptFailure(kind="network", text="connection refused")


class StepClock:
    """The service clock of a test: moved by hand, never by sleeping."""

    def __init__(self, now: float = T0) -> None:
        self.t = now

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def _queue(tenant: str, client_id: str, from_addr: str, kind: str | None, origin: str | None) -> Message:
    console = (
        ConsoleOrigin(origin=origin, kind=kind or "marketing", dedupe_key=client_id)
        if origin is not None
        else None
    )
    content = MessageContent(from_addr=from_addr, to=[f"{client_id}@ex.test"], subject="s", body="b")
    return Message.queue(
        tenant,
        client_id,
        QueueFields(account_id="sink"),
        content,
        message_id=f"<{client_id}@x.test>",
        report=False,
        console=console,
    )


def send(
    c: Container,
    tenant: str,
    ids: list[str],
    *,
    from_addr: str = "hello@news.acme.test",
    kind: str | None = "marketing",
    origin: str | None = "oneoff",
    fail: bool = False,
) -> list[str]:
    """Queue and attempt each id in one save: sent, or (``fail``) deferred by a network
    error (a sender-side failure). ``origin`` None: a proxy API message."""
    msgs = []
    with c.sending.command("tenant:" + tenant, tenant):
        now = c.clock.now()
        for client_id in ids:
            msg = _queue(tenant, client_id, from_addr, kind, origin)
            attempt = msg.start_attempt("w1", now + 300)
            if fail:
                msg.record_failure(attempt, NETWORK, policy=c.tenancy.instance_config().retry, rand=0.0)
            else:
                msg.record_sent(attempt, "250 2.0.0 ok")
            msgs.append(msg)
        c.sending.record(*msgs)
    return [str(m.id) for m in msgs]


def bounce(
    c: Container,
    tenant: str,
    ids: list[str],
    *,
    kind: str = "hard",
    category: str = "recipient",
    complaint: bool = False,
) -> None:
    with c.sending.command("system:outcomes", tenant):
        msgs = [c.sending.repository.get(message_uuid(tenant, i)) for i in ids]
        for msg in msgs:
            if complaint:
                msg.record_complaint(msg.content.to[0], "abuse")
            else:
                msg.record_bounce(
                    msg.content.to[0],
                    kind,
                    bounce_code="5.1.1" if kind == "hard" else "4.2.2",
                    category=category,
                    reason="r",
                    source="webhook",
                )
        c.sending.record(*msgs)


def settle(c: Container) -> None:
    for name in ("health", "health_buckets", "sends", "audit"):
        c.runner(name, leader=False).catch_up()


def evaluate(c: Container, tenant: str | None = None) -> list[Transition]:
    settle(c)
    done = HealthEvaluator(c).evaluate(tenant)
    settle(c)
    return done


def set_health(c: Container, tenant: str, **health: Any) -> None:
    c.content.change_settings(tenant, {"health": health})
