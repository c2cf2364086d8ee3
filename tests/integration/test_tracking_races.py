"""Tracking hits racing on one message (found by the load benchmark, issue #12: with two API
processes, two opens of one mail at the same moment made the pixel answer 500). The loser of
the optimistic append reloads the message and records its hit too."""

from __future__ import annotations

from adapters.bootstrap import Container
from application.base import CommandMeta
from domain.model import Envelope, command_context
from domain.sending.content import MessageContent, QueueFields
from domain.sending.message import Message

T0 = 1_790_000_000.0


def sent_message(container: Container) -> Message:
    with command_context(Envelope(actor="tenant:acme", command_id="c", tenant_id="acme"), now=T0):
        content = MessageContent(from_addr="a@acme.test", to=["u@dest.test"], subject="s", body="b")
        msg = Message.queue("acme", "m1", QueueFields(account_id="smtp1"), content,
                            message_id="<1@acme.test>", report=True)
        attempt = msg.start_attempt("w1", T0 + 300)
        msg.record_sent(attempt, "250 2.0.0 queued")
    container.sending.record(msg)
    return msg


def hit(container: Container, message: Message, kind: str = "open") -> int:
    return container.tracking_hits.hit(message, kind, CommandMeta(actor="system:tracking"),
                                       user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0",
                                       sealed_ua=None, sealed_ip=None, ip="203.0.113.9",
                                       link_id="l1" if kind == "click" else None,
                                       url="https://shop.example/" if kind == "click" else None)


def test_two_hits_on_copies_loaded_before_either_saved_are_both_recorded(container: Container) -> None:
    pk = sent_message(container).id
    first, second = container.tracking_hits.message(pk), container.tracking_hits.message(pk)
    assert first is not None and second is not None
    assert hit(container, first) > 0
    assert hit(container, second, "click") > 0  # its copy was stale: reloaded, then appended
    fresh = container.tracking_hits.message(pk)
    assert fresh is not None and fresh.version == first.version + 1  # queued, attempt, sent, open, click
