"""The IMAP bounce poller against a real IMAP4rev1 server on loopback (spec proxy.md §10.1):
progress per message, \\Seen only after the events are saved, no reprocessing after a
restart, a UIDVALIDITY change handled by de-duplication, errors counted and retried."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from adapters.bootstrap import Container
from application.sending.bounce_poller import mailbox_key
from tests.support.bounce_mail import dsn, sent_message
from tests.support.dispatch import wait_until
from tests.support.imap_server import ImapServer

pytestmark = pytest.mark.integration


@pytest.fixture
def imap() -> Iterator[ImapServer]:
    server = ImapServer(user="bounces", password="imap-pw").start()
    yield server
    server.stop()


def enable(container: Container, imap: ImapServer, **extra: object) -> None:
    container.tenancy.configure_instance({"bounce": {
        "enabled": True, "imap_host": "127.0.0.1", "imap_port": imap.port, "imap_user": "bounces",
        "imap_password": "imap-pw", "imap_ssl": False, "poll_interval": 10, **extra}})
    container.tenancy.request_bounce_reload()


def bounced(container: Container, client_id: str) -> int:
    store = container.sending.repository.event_store
    message = container.sending.get_message("acme", client_id)
    assert message is not None
    return sum(type(e).TOPIC == "Message.Bounced" for e in store.get(message.id))  # type: ignore[arg-type]


def test_two_dsns_are_processed_flagged_and_never_reprocessed(container: Container, imap: ImapServer) -> None:
    first, second = (sent_message(container, "acme", c, f"{c}@dest.test") for c in ("p1", "p2"))
    uids = [imap.add("INBOX", dsn(f"{m.client_id}@dest.test", "5.1.1", "550 5.1.1 unknown",
                                  ledgermail_id=str(m.id))) for m in (first, second)]
    enable(container, imap)
    poller = container.start_bounce_poller(tick=0.05)
    wait_until(lambda: poller.polls >= 1, what="a poll")
    assert (bounced(container, "p1"), bounced(container, "p2")) == (1, 1)
    assert all(imap.flags("INBOX", uid) == {"\\Seen"} for uid in uids)
    assert container.mailbox_progress.load(mailbox_key(poller.config)) == (1000, uids[-1])  # type: ignore[arg-type]
    assert "imap-pw" not in str(container.tenancy.instance_config().bounce.imap_password)  # sealed at rest
    poller.stop()
    # a new process (a restart): nothing is fetched again
    fetched = sum("FETCH" in c for c in imap.commands)
    again = container.start_bounce_poller(tick=0.05)
    wait_until(lambda: again.polls >= 1, what="a poll after the restart")
    assert sum("FETCH" in c for c in imap.commands) == fetched
    assert (bounced(container, "p1"), bounced(container, "p2")) == (1, 1)


def test_a_new_uidvalidity_starts_again_and_deduplication_prevents_repeats(container: Container,
                                                                          imap: ImapServer) -> None:
    message = sent_message(container, "acme", "p3", "p3@dest.test")
    imap.add("INBOX", dsn("p3@dest.test", "5.1.1", "550 5.1.1 unknown", ledgermail_id=str(message.id)))
    enable(container, imap)
    poller = container.start_bounce_poller(tick=0.05)
    wait_until(lambda: poller.polls >= 1, what="a poll")
    imap.renumber("INBOX", 2000)
    fresh = sent_message(container, "acme", "p4", "p4@dest.test")
    imap.add("INBOX", dsn("p4@dest.test", "5.2.2", "552 5.2.2 full", ledgermail_id=str(fresh.id)))
    container.tenancy.request_bounce_reload()  # poll again now rather than in 10 s
    wait_until(lambda: poller.polls >= 2, what="a second poll")
    assert (bounced(container, "p3"), bounced(container, "p4")) == (1, 1)
    assert container.mailbox_progress.load(mailbox_key(poller.config)) == (2000, 2)  # type: ignore[arg-type]


def test_errors_are_counted_and_retried_and_reload_applies_new_config(container: Container,
                                                                      imap: ImapServer) -> None:
    message = sent_message(container, "acme", "p5", "p5@dest.test")
    imap.add("INBOX", dsn("p5@dest.test", "5.1.1", "550 5.1.1 unknown", ledgermail_id=str(message.id)))
    enable(container, imap, imap_password="wrong")
    poller = container.start_bounce_poller(tick=0.05)
    wait_until(lambda: poller.polls >= 1, what="a failed poll")
    state = container.mailbox_progress.states()[0]
    assert state.errors == 1 and "LOGIN" in (state.last_error or "") and bounced(container, "p5") == 0
    # a PUT alone changes nothing until reload-bounce (spec §14: bounce changes at reload)
    container.tenancy.configure_instance({"bounce": {"imap_password": "imap-pw"}})
    assert poller.config is not None and poller.config.imap_password != container.tenancy.instance_config(
    ).bounce.imap_password
    container.tenancy.request_bounce_reload()
    wait_until(lambda: bounced(container, "p5") == 1, what="the bounce after the reload")
    assert container.mailbox_progress.states()[0].errors == 1


def test_a_disabled_poller_does_nothing(container: Container, imap: ImapServer) -> None:
    enable(container, imap, enabled=False)
    poller = container.start_bounce_poller(tick=0.05)
    wait_until(lambda: poller.config is not None, what="the poller to read its config")
    assert imap.logins == 0 and poller.polls == 0


def test_one_poller_polls_at_a_time(container: Container, imap: ImapServer) -> None:
    message = sent_message(container, "acme", "p6", "p6@dest.test")
    imap.add("INBOX", dsn("p6@dest.test", "5.1.1", "550 5.1.1 unknown", ledgermail_id=str(message.id)))
    enable(container, imap)
    pollers = [container.start_bounce_poller(tick=0.05) for _ in range(2)]
    # a poller that missed the lease (a slow first connection) asks again one interval (10 s) on
    wait_until(lambda: sum(p.polls for p in pollers) >= 1, timeout=25, what="a poll")
    wait_until(lambda: all(p.config is not None for p in pollers), what="both pollers started")
    time.sleep(0.5)
    assert sum(p.polls for p in pollers) == 1 and imap.logins == 1  # the other is a standby
    assert bounced(container, "p6") == 1
