"""A dispatch rig for tests: a container on the fake clock, a tenant, accounts on an SMTP sink,
and waits on conditions (never fixed sleeps).

    rig = DispatchRig(container, sink)
    rig.tenant("acme"); rig.account("smtp1")
    rig.queue(M("m1"))
    rig.start()                      # projections + one dispatcher
    rig.wait_status("m1", "sent")
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import msgspec

from adapters.bootstrap import Container, bootstrap
from adapters.settings import Settings
from application.sending.app import QueueOptions, QueueResult
from application.sending.dispatch_attempts import InFlight, start_attempts
from application.sending.dispatch_settings import CycleSettings
from application.sending.dispatcher import Dispatcher, DispatcherOptions
from domain.sending.message import Message
from domain.sending.validate import ValidationContext
from tests.support.smtp_sink import SmtpSink

ACCOUNTS = frozenset({"smtp1", "smtp2", "smtp3"})  # what validation accepts; deleted later or not
FAST = {"retry": {"jitter": 0.0}, "dispatch": {"poll_interval_seconds": 0.05}}


def M(client_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": client_id, "account_id": "smtp1", "from": "a@acme.test", "to": ["u@dest.test"],
            "subject": "s", "body": "b", **extra}


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition",
               every: float = 0.01) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


class DispatchRig:
    def __init__(self, container: Container, sink: SmtpSink, *, config: dict[str, Any] | None = None):
        self.c = container
        self.sink = sink
        self.c.tenancy.initialise_instance()
        self.c.tenancy.configure_instance({**FAST, **(config or {})})
        self.dispatchers: list[Dispatcher] = []
        self._projecting = False

    # --- setup ------------------------------------------------------------------------------
    def tenant(self, tenant_id: str = "acme", **fields: Any) -> None:
        self.c.tenancy.create_tenant(tenant_id, fields, None)

    def account(self, account_id: str = "smtp1", tenant_id: str = "acme", **fields: Any) -> None:
        base = {"host": self.sink.host, "port": self.sink.port, "use_tls": False}
        self.c.tenancy.register_account(tenant_id, account_id, {**base, **fields})

    def queue(self, *entries: dict[str, Any], tenant_id: str = "acme", report: bool = False) -> QueueResult:
        ctx = ValidationContext(tenant_id=tenant_id, account_ids=ACCOUNTS, now=self.now())
        result = self.c.sending.queue_messages(ctx, list(entries), QueueOptions(report=report))
        assert not result.rejected, result.rejected
        return result

    def start(self, *, worker_id: str | None = None, options: DispatcherOptions | None = None,
              dispatcher: bool = True) -> Dispatcher | None:
        if not self._projecting:
            self.c.start_projections()
            self._projecting = True
        if not dispatcher:
            return None
        started = self.c.start_dispatcher(worker_id=worker_id, options=options)
        self.dispatchers.append(started)
        return started

    def start_as(self, worker_id: str, lease_seconds: float) -> tuple[CycleSettings, list[InFlight]]:
        """A worker's first steps, by hand: claim what is ready and append AttemptStarted (a
        test then plays what the worker does next, or dies before doing)."""
        settings = CycleSettings(self.c.tenancy, self.c.tenancy.instance_config())
        batch = self.c.dispatch_store.claim(self.now(), worker_id, lease_seconds, (1, 2, 3),
                                            settings.limits_of, 10)
        flights, released = start_attempts(self.c.sending, settings, worker_id, batch, deadline=0.0)
        assert released == []
        return settings, flights

    def idle_cycles(self, n: int = 2, timeout: float = 10.0) -> None:
        """Wait until every dispatcher has completed ``n`` more cycles (what it could do, it
        did) and the messages view shows what they saved (its projection runs apart)."""
        marks = [d.cycles for d in self.dispatchers]
        self.c.hub.wake()
        wait_until(lambda: all(d.cycles >= m + n for d, m in zip(self.dispatchers, marks, strict=True)),
                   timeout, f"{n} dispatcher cycles")
        self.c.catch_up(["messages"], timeout=timeout)

    # --- clock ----------------------------------------------------------------------------------
    def now(self) -> float:
        return self.c.clock.now()

    def advance(self, seconds: float) -> float:
        assert self.c.fake_clock is not None, "the rig needs settings with fake_clock=True"
        now = self.c.fake_clock.advance(seconds)
        self.c.hub.wake()  # as POST /_test/clock does: deferrals and leases may be due now
        return now

    def set_clock(self, now: float) -> float:
        assert self.c.fake_clock is not None
        value = self.c.fake_clock.set(now)
        self.c.hub.wake()
        return value

    # --- looking ----------------------------------------------------------------------------------
    def message(self, client_id: str, tenant_id: str = "acme") -> Message:
        message = self.c.sending.get_message(tenant_id, client_id)
        assert message is not None, f"no message {client_id}"
        return message

    def history(self, client_id: str, tenant_id: str = "acme") -> list[str]:
        return [entry["type"] for entry in self.message(client_id, tenant_id).history()]

    def wait_status(self, client_id: str, *statuses: str, timeout: float = 10.0,
                    tenant_id: str = "acme") -> Message:
        def reached() -> Message | None:
            message = self.c.sending.get_message(tenant_id, client_id)
            return message if message is not None and message.status in statuses else None
        return wait_until(reached, timeout, f"{client_id} in {statuses}")  # type: ignore[no-any-return]

    def wait_until_retry(self, message: Message, retry: int, timeout: float = 10.0) -> Message:
        """The message once it waits for retry number ``retry`` (deferred with that count)."""
        client_id = message.client_id

        def waiting() -> Message | None:
            m = self.message(client_id)
            return m if m.status == "deferred" and m.retry_count == retry else None
        return wait_until(waiting, timeout, f"{client_id} deferred for retry {retry}")  # type: ignore[no-any-return]

    def wait_view(self, client_id: str, *statuses: str, timeout: float = 10.0,
                  tenant_id: str = "acme") -> Any:
        """The ``messages`` row once it shows one of ``statuses`` (what the next claim reads)."""
        view = self.c.projections["messages"].view
        return wait_until(lambda: (row := view.get(tenant_id, client_id)) is not None  # type: ignore[attr-defined]
                          and row.status in statuses and row, timeout, f"view row {client_id} in {statuses}")

    def ids_at_sink(self) -> list[str]:
        return [str(m.message["X-Ledgermail-Id"]) for m in self.sink.messages]


@contextmanager
def open_rig(settings: Settings, sink: SmtpSink, *, config: dict[str, Any] | None = None,
             worker_id: str = "w-test") -> Iterator[DispatchRig]:
    """A container on the fake clock with tenant acme and account smtp1 on ``sink``."""
    container = bootstrap(msgspec.structs.replace(settings, fake_clock=True, worker_id=worker_id),
                          create_tables=True)
    try:
        rig = DispatchRig(container, sink, config=config)
        rig.tenant()
        rig.account()
        yield rig
    finally:
        container.close()
