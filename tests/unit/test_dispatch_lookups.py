"""SuppressionChecks: concurrent attempts' suppression re-checks share one look-up, each gets
only its own hits, and no answer comes from a look-up that began before the attempt asked."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Collection

import pytest

from application.sending.dispatch_lookups import SuppressionChecks

pytestmark = pytest.mark.unit


class FakeSuppressionList:
    """The port over a dict; ``gate`` holds a look-up until the test lets it go."""

    def __init__(self, entries: dict[str, set[str]]) -> None:
        self.entries = entries
        self.calls: list[tuple[str, set[str]]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()  # a look-up has read its snapshot
        self.fail: Exception | None = None

    def suppressed(self, tenant_id: str, addresses: Collection[str]) -> set[str]:
        snapshot = set(self.entries.get(tenant_id, set()))  # what a query begun now would see
        self.calls.append((tenant_id, set(addresses)))
        self.entered.set()
        self.gate.wait(5)
        if self.fail is not None:
            raise self.fail
        return {a.strip().lower() for a in addresses} & snapshot


def test_attempts_that_ask_together_share_one_look_up_per_tenant_and_get_their_own_hits() -> None:
    port = FakeSuppressionList({"acme": {"bob@x.test", "eve@x.test"}, "beta": {"bob@x.test"}})

    async def scenario() -> list[set[str]]:
        checks = SuppressionChecks(port)
        port.gate.clear()
        first = asyncio.ensure_future(checks.suppressed("acme", ["ann@x.test"]))
        await asyncio.to_thread(port.entered.wait, 5)  # the first look-up runs (held at the gate) ...
        rest = [asyncio.ensure_future(checks.suppressed(t, a)) for t, a in (
            ("acme", ["Bob@X.test", "cat@x.test"]), ("acme", ["eve@x.test"]), ("beta", ["bob@x.test"]),
            ("beta", ["dan@x.test"]))]
        await asyncio.sleep(0)  # ... while four more ask
        port.gate.set()
        return [await first, *[await r for r in rest]]

    answers = asyncio.run(scenario())

    assert answers == [set(), {"bob@x.test"}, {"eve@x.test"}, {"bob@x.test"}, set()]
    # one look-up for the first, then one per tenant for the four that asked meanwhile
    assert port.calls[0] == ("acme", {"ann@x.test"})
    assert sorted(port.calls[1:]) == [("acme", {"Bob@X.test", "cat@x.test", "eve@x.test"}),
                                      ("beta", {"bob@x.test", "dan@x.test"})]


def test_a_look_up_that_began_before_an_attempt_asked_never_answers_it() -> None:
    port = FakeSuppressionList({"acme": set()})

    async def scenario() -> set[str]:
        checks = SuppressionChecks(port)
        port.gate.clear()
        early = asyncio.ensure_future(checks.suppressed("acme", ["bob@x.test"]))
        await asyncio.to_thread(port.entered.wait, 5)  # its look-up has begun (held at the gate)
        port.entries["acme"] = {"bob@x.test"}  # suppressed after that look-up began
        late = asyncio.ensure_future(checks.suppressed("acme", ["bob@x.test"]))
        await asyncio.sleep(0)
        port.gate.set()
        assert await early == set()
        return await late

    assert asyncio.run(scenario()) == {"bob@x.test"}


def test_a_failed_look_up_fails_every_attempt_it_answers_and_the_next_one_runs_afresh() -> None:
    port = FakeSuppressionList({"acme": {"bob@x.test"}})

    async def scenario() -> set[str]:
        checks = SuppressionChecks(port)
        port.fail = RuntimeError("database gone")
        with pytest.raises(RuntimeError, match="database gone"):
            await checks.suppressed("acme", ["bob@x.test"])
        port.fail = None
        return await checks.suppressed("acme", ["bob@x.test"])

    assert asyncio.run(scenario()) == {"bob@x.test"}


def test_no_addresses_need_no_look_up() -> None:
    port = FakeSuppressionList({})
    assert asyncio.run(SuppressionChecks(port).suppressed("acme", [])) == set()
    assert port.calls == []
