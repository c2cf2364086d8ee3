"""A fan-out killed between a page's sends and its PageDispatched resumes exactly: no
duplicate, no miss, checked in the event store (console.md §1.6 ``fanout_page_committed``,
§9.2, §17 #50), on both backends, with the worker in a process of its own."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from adapters.bootstrap import Container, bootstrap
from adapters.settings import Settings
from domain.console.ids import contact_uuid
from tests.support.broadcasts import Harness, ManualClock

pytestmark = pytest.mark.integration
CONTACTS, PAGE = 500, 100  # scenario 50: 500 recipients, fanoutPageSize 100, killed at page 2


@pytest.fixture
def h(settings: Settings) -> Iterator[Harness]:
    clock = ManualClock()
    c = bootstrap(settings, create_tables=True, clock=clock)
    c.tenancy.initialise_instance()
    yield Harness(c, clock, page_size=PAGE)
    c.close()


def worker(settings: Settings, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    extra = {"fault": fault} if fault else {}
    return subprocess.run([sys.executable, "-m", "adapters.campaigns.broadcast_worker"],
                          env=settings.child_env(**extra), capture_output=True, text=True, timeout=240,
                          check=False)


def queued_keys(c: Container, prefix: str) -> list[str]:
    """Every Message.Queued of the sending log whose dedupe key has ``prefix``: from the store."""
    out, start = [], 1
    while True:
        page = c.sending.recorder.select_notifications(start, 1000, topics=("Message.Queued",))
        if not page:
            return out
        for n in page:
            event = c.sending.mapper.to_domain_event(n)
            key = getattr(event, "dedupe_key", None) or event.client_id  # type: ignore[attr-defined]
            if key.startswith(prefix):
                out.append(key)
        start = page[-1].id + 1


def test_killed_mid_fanout_resumes_without_duplicate_or_miss(h: Harness, settings: Settings) -> None:
    names = [f"c{i:05d}" for i in range(CONTACTS)]
    h.contacts(names)
    h.create()
    h.start(at=h.clock.now() - 1)
    killed = worker(settings, "fanout_page_committed:2")
    assert killed.returncode == 137, killed.stdout + killed.stderr
    b = h.broadcast()
    assert (b.status, b.sent_total) == ("sending", PAGE)  # page 2 saved its sends, not its page event
    prefix = f"broadcast:{b.id}:"
    assert len(queued_keys(h.c, prefix)) == 2 * PAGE
    done = worker(settings)
    assert done.returncode == 0, done.stdout + done.stderr
    b = h.broadcast()
    keys = queued_keys(h.c, prefix)
    assert (b.status, b.sent_total) == ("sent", CONTACTS)
    assert len(keys) == CONTACTS and len(set(keys)) == CONTACTS
    assert set(keys) == {f"{prefix}{contact_uuid('acme', n)}" for n in names}


def test_two_worker_processes_at_once_send_each_contact_once(h: Harness, settings: Settings) -> None:
    names = [f"c{i:05d}" for i in range(CONTACTS)]
    h.contacts(names)
    h.create()
    h.start(at=h.clock.now() - 1)
    cmd = [sys.executable, "-m", "adapters.campaigns.broadcast_worker"]
    both = [subprocess.Popen(cmd, env=settings.child_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True) for _ in range(2)]
    assert [p.wait(timeout=240) for p in both] == [0, 0]
    b = h.broadcast()
    keys = queued_keys(h.c, f"broadcast:{b.id}:")
    assert (b.status, b.sent_total, len(keys), len(set(keys))) == ("sent", CONTACTS, CONTACTS, CONTACTS)
