"""The base of the aggregate state machines (tests/fuzz/test_aggregate_machines.py).

Each step runs one command on the in-memory aggregate under a command context at the
machine's own service time, saves what it triggered through the real application's
recorder (``record``) and reads the aggregate back from the store: the replayed state must
equal the in-memory one. A command the rules refuse must raise and change nothing (no
event, same state); ``refused`` also fails a step the machine's model says is illegal but
the aggregate accepted.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
from hypothesis.stateful import RuleBasedStateMachine

from adapters.bootstrap import Container, bootstrap
from adapters.settings import Settings
from application.base import LedgerApplication
from domain.errors import RuleViolation
from domain.model import Aggregate, Envelope, command_context

_container: Container | None = None
REFUSALS: tuple[type[BaseException], ...] = (RuleViolation, ValueError)


def shared_container() -> Container:
    """One SQLite store for every example (each machine uses fresh ids in it)."""
    global _container
    if _container is None:
        data = Path(tempfile.mkdtemp(prefix="ledgermail-machines-"))
        _container = bootstrap(Settings.from_env({}, data_dir=data), create_tables=True)
        _container.tenancy.initialise_instance()
        atexit.register(shutil.rmtree, data, True)
        atexit.register(_container.close)  # runs first: close, then remove the files
    return _container


def state_of(aggregate: Aggregate) -> dict[str, Any]:
    """Everything the aggregate holds but its unsaved events, as plain data."""
    return {k: msgspec.to_builtins(v, builtin_types=(uuid.UUID,)) if isinstance(v, msgspec.Struct) else v
            for k, v in vars(aggregate).items() if k != "_pending_events"}


class ReplayMachine(RuleBasedStateMachine):
    app_name = ""

    def __init__(self) -> None:
        super().__init__()
        self.container = shared_container()
        self.app: LedgerApplication = self.container.applications[self.app_name]
        self.tenant = f"t{uuid.uuid4().hex[:12]}"
        self.now = 1_800_000_000.0
        self.aggregate: Any = None
        self.saved_events = 0

    @contextmanager
    def at_now(self) -> Any:
        with command_context(Envelope(actor="fuzz", command_id=uuid.uuid4().hex, tenant_id=self.tenant),
                             now=self.now) as ctx:
            yield ctx

    def run(self, command: Callable[[], Any]) -> bool:
        """Run ``command`` on the aggregate; True if it was accepted, False if refused."""
        before = state_of(self.aggregate) if self.aggregate is not None else None
        pending = len(self.aggregate.pending_events) if self.aggregate is not None else 0
        try:
            with self.at_now():
                command()
        except REFUSALS:
            if self.aggregate is not None:
                assert len(self.aggregate.pending_events) == pending, "a refused command left an event"
                assert state_of(self.aggregate) == before, "a refused command changed the state"
            return False
        return True

    def refused(self, command: Callable[[], Any], why: str) -> None:
        assert not self.run(command), f"illegal transition accepted: {why}"

    def save_and_replay(self) -> None:
        if self.aggregate is None:
            return
        self.saved_events += len(self.aggregate.pending_events)
        self.app.record(self.aggregate)
        replayed = self.app.repository.get(self.aggregate.id)
        assert state_of(replayed) == state_of(self.aggregate), "replayed state differs from the in-memory one"
        assert replayed.version == self.aggregate.version
