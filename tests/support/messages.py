"""Builders for Message tests: a service clock, queue fields, content, messages in each state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from adapters.mapper import MsgspecMapper
from domain.instance_config import RetryConfig
from domain.model import Envelope, command_context
from domain.sending.content import MessageContent, QueueFields
from domain.sending.failure import AttemptFailure
from domain.sending.message import Message

T0 = 1_800_000_000.0
LEASE = 300.0
NO_JITTER = RetryConfig(jitter=0.0)
SMTP_451 = AttemptFailure(kind="smtp_reply", text="SMTP 451 4.3.0 try later", code=451, enhanced="4.3.0")
SMTP_550 = AttemptFailure(kind="smtp_reply", text="SMTP 550 5.1.1 user unknown", code=550, enhanced="5.1.1")


class Clock:
    """The service clock the commands run under; ``at()`` opens a command at the current time."""

    def __init__(self) -> None:
        self.now = T0

    @contextmanager
    def at(self, advance: float = 0.0) -> Iterator[None]:
        self.now += advance
        with command_context(Envelope(actor="tenant:acme", command_id="c", tenant_id="acme"), now=self.now):
            yield


def fields(**kw: Any) -> QueueFields:
    return QueueFields(**{"account_id": "smtp1", **kw})


def content(**kw: Any) -> MessageContent:
    base = {"from_addr": "a@acme.test", "to": ["u@dest.test"], "subject": "s", "body": "b"}
    return MessageContent(**{**base, **kw})


def queued(clock: Clock, msg_id: str = "m1", **kw: Any) -> Message:
    with clock.at():
        msg = Message.queue("acme", msg_id, fields(**kw), content(), message_id="<1@acme.test>", report=True)
    msg.collect_events()
    return msg


def new_events(msg: Message) -> list[str]:
    return [type(e).TOPIC.removeprefix("Message.") for e in msg.collect_events()]


def attempting(clock: Clock, **kw: Any) -> tuple[Message, int]:
    msg = queued(clock, **kw)
    with clock.at():
        attempt = msg.start_attempt("w1", clock.now + LEASE)
    msg.collect_events()
    return msg, attempt


def sent(clock: Clock) -> Message:
    msg, attempt = attempting(clock)
    with clock.at(1):
        msg.record_sent(attempt, "250 2.0.0 queued as 1")
    msg.collect_events()
    return msg


def retried(clock: Clock) -> Message:
    """Deferred after one temporary failure (an attempt was made: the id is closed)."""
    msg, attempt = attempting(clock)
    with clock.at(1):
        msg.record_failure(attempt, SMTP_451, policy=NO_JITTER, rand=0.5)
    msg.collect_events()
    return msg


def replay(events: list[Any]) -> Message:
    """Rebuild from the stored form: JSON through the mapper, then fold."""
    mapper = MsgspecMapper(transcoder=None)  # type: ignore[arg-type]
    rebuilt: Any = None
    for event in events:
        rebuilt = mapper.to_domain_event(mapper.to_stored_event(event)).mutate(rebuilt)
    return rebuilt


def state_of(msg: Message) -> dict[str, Any]:
    return {k: v for k, v in vars(msg).items() if k != "_pending_events"}
