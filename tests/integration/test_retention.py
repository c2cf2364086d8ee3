"""The retention job (proxy.md §4.2 rule, §8.5, §9.4): purges what is reported and old from the
read models of every tenant, deletes expired offloaded files, runs in one process at a time
on a schedule that follows the service clock; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

from adapters.attachments_store import FileDownloads
from adapters.bootstrap import Container, ProjectionLagError
from adapters.rebuild import verify_view
from adapters.retention import JOB, RetentionJob
from domain.sending.cleanup import Cleanup
from tests.integration.test_messages_view import Desk, M
from tests.integration.test_reports import Rig
from tests.support.client_app import Answer, client_app
from tests.support.messages import T0

pytestmark = pytest.mark.integration
WEEK = 604_800


@pytest.fixture
def rig(container: Container) -> Iterator[Rig]:
    with client_app() as app:
        rig = Rig(container, app)
        container.clock = rig.clock  # the job and the purge read "now" from the container
        container.start_projections(["tenants", "messages", "reports"])
        rig.client_tenant()
        rig.c.tenancy.create_tenant("beta", {}, None)  # no client_base_url: nothing to report
        rig.c.tenancy.register_account("beta", "smtp1", {"host": "127.0.0.1", "port": 25})
        yield rig


def job(rig: Rig, worker_id: str = "j1") -> RetentionJob:
    rig.catch_up()
    return rig.c.retention_job(worker_id=worker_id)


def cleanups(c: Container) -> list[Any]:
    notes = c.sending.recorder.select_notifications(start=1, limit=100_000)
    events = [c.sending.mapper.to_domain_event(n) for n in notes]
    return [e for e in events if isinstance(e, Cleanup.MessagesCleanedUp)]


def listed(rig: Rig, tenant_id: str) -> list[str]:
    rig.catch_up()
    return sorted(rig.listed(tenant_id))


def pk_of(rig: Desk, client_id: str) -> str:
    message = rig.c.sending.get_message("acme", client_id)
    assert message is not None
    return str(message.id)


def history_reported(rig: Rig, client_id: str) -> dict[str, float | None]:
    return rig.view.reported(pk_of(rig, client_id))


def test_purges_reported_old_terminal_messages_of_every_tenant(rig: Rig) -> None:
    rig.queue(M("m1"), M("m2"), M("m3"), report=True)
    rig.send("m1")
    assert rig.cycle() == 1  # m1 acknowledged at T0
    rig.send("m2")
    rig.app.answer(Answer(500))
    assert rig.cycle() == 1  # m2's item is still unreported; m3 is never attempted
    rig.queue(M("b1"), tenant_id="beta")
    rig.send("b1", tenant_id="beta")
    retention = job(rig)
    first = retention.run_due()
    assert first is not None and (first.tenants, first.removed) == (2, 0)  # nothing a week old
    assert retention.run_due() is None  # due again in 600 s
    rig.tick(WEEK + 601)
    run = retention.run_due()
    assert run is not None and run.removed == 2
    assert listed(rig, "acme") == ["m2", "m3"] and listed(rig, "beta") == []
    [acme, beta] = sorted(cleanups(rig.c), key=lambda e: e.tenant_id)
    assert (acme.tenant_id, acme.automatic, acme.cutoff_ts) == ("acme", True, T0 + 601)
    assert acme.message_pks == [pk_of(rig, "m1")] and (beta.tenant_id, beta.automatic) == ("beta", True)
    assert history_reported(rig, "m1") != {} and None not in history_reported(rig, "m1").values()
    assert verify_view(rig.c, "messages").verified is True  # a rebuild reproduces the purge


def test_the_last_acknowledgement_counts_too(rig: Rig) -> None:
    rig.queue(M("m1"), report=True)
    rig.send("m1")
    rig.app.answer(Answer(503))
    rig.cycle()
    rig.tick(WEEK)  # sent a week ago, but acknowledged only now
    assert rig.cycle() == 1
    retention = job(rig)
    assert retention.run_due() is not None and listed(rig, "acme") == ["m1"]
    rig.tick(WEEK - 1)
    assert retention.run_due() is not None and listed(rig, "acme") == ["m1"]
    rig.tick(1)
    retention = job(rig)  # a restart: the schedule in the database decides
    assert retention.run_due() is None  # ran 1 s ago: not due for 599 s
    rig.tick(599)
    assert retention.run_due() is not None and listed(rig, "acme") == []


def test_retention_zero_disables_the_purge_not_the_file_expiry(rig: Rig) -> None:
    rig.c.tenancy.configure_instance({"reporting": {"retention_seconds": 0}})
    rig.queue(M("b1"), tenant_id="beta")
    rig.send("b1", tenant_id="beta")
    files = FileDownloads(rig.c.settings.data_dir / "files", rig.c.secret_box.download_key)
    old = files.store(b"old", "old.pdf", None, expires=T0 + 10)
    fresh = files.store(b"fresh", "fresh.pdf", None, expires=T0 + 3600)
    legacy = files.store(b"legacy", "legacy.pdf", None, expires=T0)
    (files.directory / f"{legacy}.json").write_bytes(b'{"filename": "legacy.pdf"}')  # no expiry kept
    rig.tick(WEEK * 2)
    run = job(rig).run_due()
    assert run is not None and (run.removed, run.files_deleted) == (0, 2)
    assert listed(rig, "beta") == ["b1"]
    assert files.size(old) is None and files.size(fresh) is None and files.size(legacy) == 6
    assert sorted(p.name for p in files.directory.iterdir()) == sorted([legacy, f"{legacy}.json"])


def test_one_process_at_a_time(rig: Rig) -> None:
    one, two = job(rig, "j1"), job(rig, "j2")
    assert rig.c.job_schedule.claim(JOB, "j1", rig.clock.now(), 60)  # j1 is running it
    assert two.run_due() is None
    assert not rig.c.job_schedule.claim(JOB, "j2", rig.clock.now(), 60)
    rig.c.job_schedule.finish(JOB, "j1", rig.clock.now() + 600)
    assert two.run_due() is None and one.run_due() is None  # j1 ran it: due in 600 s for both
    rig.tick(600)
    assert two.run_due() is not None and one.run_due() is None


def test_a_failed_run_is_retried_in_a_minute_not_in_a_loop(container: Container) -> None:
    desk = Desk(container)
    container.clock = desk.clock
    desk.tenant()
    desk.queue(M("m1"))
    desk.send("m1")
    desk.project("tenants", "messages")  # caught up once; no runner keeps it so afterwards
    container.settings = msgspec.structs.replace(container.settings, read_wait_seconds=0.2)
    retention = container.retention_job(worker_id="j1")
    desk.tick(WEEK + 1)
    with pytest.raises(ProjectionLagError):  # the purge cannot see its own cleanup land
        retention.run_due()
    assert container.job_schedule.next_run(JOB) == desk.clock.now() + 60
    assert retention.run_due() is None
    desk.tick(59)
    assert retention.run_due() is None
    desk.project("messages")
    desk.tick(1)
    run = retention.run_due()
    assert run is not None and run.removed == 0  # the first run's cleanup did land: m1 is gone
    assert desk.listed() == []


def test_a_bounce_after_the_purge_is_still_reported(rig: Rig) -> None:  # proxy.md §10.3
    rig.queue(M("m1"), report=True)
    rig.send("m1")
    rig.cycle()
    rig.tick(WEEK + 1)
    assert job(rig).run_due() is not None and listed(rig, "acme") == []
    rig.on("m1", lambda m: m.record_bounce("u@dest.test", "hard", bounce_code="5.1.1", category="recipient",
                                           reason="user unknown", source="dsn"))
    assert rig.cycle() == 1
    [item] = rig.app.requests[-1].reports
    assert (item["id"], item["event"], item["bounce_code"]) == ("m1", "bounce", "5.1.1")
    assert listed(rig, "acme") == []  # the row stays purged
    times = history_reported(rig, "m1")
    assert len(times) == 2 and all(ts is not None for ts in times.values())
