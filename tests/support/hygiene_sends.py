"""Builders for hygiene tests: subscribed contacts and console sends to them (sent, opened,
clicked, bounced) written straight into the console and sending logs at the service clock."""

from __future__ import annotations

from typing import Any

from adapters import console_ops
from adapters.bootstrap import Container
from domain.console.ids import contact_uuid
from domain.sending.content import ConsoleOrigin, MessageContent, QueueFields
from domain.sending.ids import message_uuid
from domain.sending.message import Message

DAY = 86400.0


def contact(c: Container, tenant: str, user: str, *, subscribe: bool = True) -> str:
    c.console.upsert_contact(tenant, user, {"email": f"{user}@ex.test"})
    if subscribe:
        c.console.subscribe_contact(tenant, user, "test", None, None, None)
    return str(contact_uuid(tenant, user))


def mail(
    c: Container,
    tenant: str,
    user: str,
    key: str,
    *,
    origin: str = "broadcast",
    opens: tuple[tuple[float, str | None], ...] = (),
    clicks: tuple[float, ...] = (),
    bounce: str | None = None,
    complaint: bool = False,
) -> str:
    """One console send to ``user`` sent now; ``opens``: (at, bot_reason) pairs; returns its pk."""
    client_id = f"{origin}:{key}:{user}"
    console = ConsoleOrigin(
        origin=origin, kind="marketing", dedupe_key=client_id, contact_id=str(contact_uuid(tenant, user))
    )
    content = MessageContent(from_addr="hello@news.acme.test", to=[f"{user}@ex.test"], subject="s", body="b")
    with c.sending.command("system:test", tenant):
        msg = Message.queue(
            tenant,
            client_id,
            QueueFields(account_id="sink"),
            content,
            message_id=f"<{key}.{user}@x.test>",
            report=False,
            console=console,
        )
        attempt = msg.start_attempt("w1", c.clock.now() + 300)
        msg.record_sent(attempt, "250 ok")
        for at, bot in opens:
            msg.record_open(at=at, bot_reason=bot)
        for at in clicks:
            msg.record_click(at=at, link_id="l1", url="https://acme.test/", bot_reason=None)
        if bounce:
            msg.record_bounce(
                f"{user}@ex.test",
                bounce,
                bounce_code="5.1.1",
                category="recipient",
                reason="r",
                source="webhook",
            )
        if complaint:
            msg.record_complaint(f"{user}@ex.test", "abuse")
        c.sending.record(msg)
    return str(message_uuid(tenant, client_id))


def scenario_49(c: Container, tenant: str, advance: Any) -> None:
    """console.md §17 #49 from 250 days before ``now``: ``advance(seconds)`` moves the clock."""
    for n in range(1, 7):
        contact(c, tenant, f"u{n}")
    start = c.clock.now()
    now = start + 250 * DAY
    mail(c, tenant, "u4", "b1", opens=((start + 60, "apple_mpp"),))
    mail(c, tenant, "u3", "b1", opens=((now - 200 * DAY, None),))
    mail(c, tenant, "u2", "b1", opens=((now - 70 * DAY, None),))
    mail(c, tenant, "u1", "b1", opens=((now - 5 * DAY, None),))
    mail(c, tenant, "u6", "b1")
    advance(230 * DAY)
    mail(c, tenant, "u5", "b2")
    advance(20 * DAY)
    console_ops.unsubscribe(c, tenant, "u6", "marketing", "user_request", "test")
