"""The event store on SQLite and PostgreSQL: batching, positions, envelopes, isolation."""

from __future__ import annotations

import msgspec
import pytest
from eventsourcing.persistence import IntegrityError

from adapters.bootstrap import Container, bootstrap
from adapters.settings import Settings
from application.base import LedgerApplication
from domain.instance import SecretKeyMismatch
from tests.support.probe import Probe, probes

pytestmark = pytest.mark.integration


def test_a_batch_is_one_save_with_contiguous_positions(container: Container) -> None:
    before = container.tenancy.max_position()
    batch = probes(100, ticks=9)  # 1000 events
    position = container.tenancy.record(*batch)
    assert position == before + 1000
    notes = container.tenancy.recorder.select_notifications(before + 1, 1000)
    assert [n.id for n in notes] == list(range(before + 1, before + 1001))


def test_stored_state_is_plain_json_with_the_envelope(container: Container) -> None:
    with container.tenancy.command(actor="tenant:acme", tenant_id="acme", command_id="cmd-42"):
        probe = Probe.start("env")
        probe.tick(3)
        position = container.tenancy.record(probe)
    note = container.tenancy.recorder.select_notifications(position, 1)[0]
    state = msgspec.json.decode(note.state)
    assert note.topic == "Test.Probe.Ticked"
    assert state["meta"] == {"actor": "tenant:acme", "command_id": "cmd-42", "tenant_id": "acme",
                             "recorded_at": state["meta"]["recorded_at"]}
    again = container.tenancy.repository.get(probe.id)
    assert again.ticks == 1 and again.version == 2


def test_concurrent_writers_cannot_both_append_the_same_version(container: Container) -> None:
    probe = Probe.start()
    container.tenancy.record(probe)
    first = container.tenancy.repository.get(probe.id)
    second = container.tenancy.repository.get(probe.id)
    first.tick(1)
    second.tick(2)
    container.tenancy.record(first)
    with pytest.raises(IntegrityError):
        container.tenancy.record(second)
    assert container.tenancy.repository.get(probe.id).version == 2


def test_applications_do_not_share_a_notification_log(container: Container, settings: Settings) -> None:
    class OtherApplication(LedgerApplication):
        name = "otherapp"

    env = dict(container.tenancy.env)
    other = OtherApplication(env)
    try:
        base = container.tenancy.max_position()
        other.record(Probe.start())
        assert other.max_position() == 1
        assert container.tenancy.max_position() == base
    finally:
        other.close()


def test_a_different_secret_key_refuses_to_start(settings: Settings) -> None:
    first = bootstrap(settings, create_tables=True)
    first.tenancy.initialise_instance()
    first.close()
    other_key = msgspec.json.encode(b"\x01" * 32).decode().strip('"')
    wrong = msgspec.structs.replace(settings, secret_key=other_key)
    c = bootstrap(wrong)
    try:
        with pytest.raises(SecretKeyMismatch, match="LEDGERMAIL_SECRET_KEY"):
            c.tenancy.initialise_instance()
    finally:
        c.close()


def test_generated_secret_key_file_is_private(settings: Settings) -> None:
    c = bootstrap(settings, create_tables=True)
    c.close()
    mode = (settings.data_dir / "secret.key").stat().st_mode & 0o777
    assert mode == 0o600


def test_admin_token_is_stored_only_as_a_digest(container: Container) -> None:
    token = container.tenancy.issue_admin_token(replace=False)
    assert token is not None and token.startswith("lma_") and len(token) == 47
    assert container.tenancy.issue_admin_token(replace=False) is None
    assert container.tenancy.admin_token_matches(token)
    assert not container.tenancy.admin_token_matches(token + "x")
    stored = container.tenancy.recorder.select_notifications(1, 100)
    assert all(token.encode() not in n.state for n in stored)
    rotated = container.tenancy.issue_admin_token(replace=True)
    assert rotated and container.tenancy.admin_token_matches(rotated)
    assert not container.tenancy.admin_token_matches(token)
