"""Crypto-shredding on both backends: sealed events, key deletion, the start-up sweep."""

from __future__ import annotations

import pytest

from adapters.bootstrap import Container
from adapters.console_ops import sweep_forgotten_keys
from domain.console.ids import contact_uuid

pytestmark = pytest.mark.integration


def test_events_are_sealed_and_a_lost_key_is_swept(container: Container) -> None:
    container.tenancy.create_tenant("acme", {}, None)
    done = container.console.upsert_contact("acme", "u4", {"email": "u4@ex.test", "fields": {"k": "v1x"}})
    with container.db.transaction(write=False) as tx:
        stored = b"".join(bytes(r[0]) for r in tx.execute("SELECT state FROM console_events"))
    assert b"u4@ex.test" not in stored and b"v1x" not in stored
    contact = container.console.live_contact("acme", "u4")
    assert container.console.personal_of(contact).email == "u4@ex.test"  # type: ignore[union-attr]
    ident = contact_uuid("acme", "u4")

    def die() -> None:
        raise RuntimeError("killed before the key delete")

    with pytest.raises(RuntimeError):
        container.console.forget_contact("acme", "u4", before_key_delete=die)
    assert ident in container.vault.keys("acme", [ident], create=False)
    container.start_projections(["contacts"])
    container.wait_for({"console": done.position + 1}, ["contacts"])
    assert sweep_forgotten_keys(container) == 1
    assert container.vault.keys("acme", [ident], create=False) == {}
    forgotten = container.console.find_contact("acme", "u4")
    assert forgotten is not None and container.console.personal_of(forgotten) is None
