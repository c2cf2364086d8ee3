"""DMARC on both backends (console.md §13; §17 scenarios 45, 46, 52): dedupe and tenant walls,
rollups, the 14-day series and the ladder from stored reports, tagging, retention sweeps
and rebuild equality, and the IMAP intake against a real loopback IMAP server."""

from __future__ import annotations

import gzip
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.bootstrap import Container, bootstrap
from adapters.rebuild import rebuild_view, verify_view
from adapters.reputation.dmarc_intake import ingest_file
from adapters.reputation.dmarc_mailbox import DmarcImapOpener
from adapters.reputation.dmarc_overview import overview
from adapters.reputation.dmarc_poll import MailboxUnreachable, poll_mailbox
from adapters.settings import Settings
from domain.reputation.dmarc_upkeep import MailboxConfig
from domain.templates.settings import ConsoleSettings
from tests.corpus.dmarc.corpus_xml import Record, report
from tests.support.dmarc_imap import DmarcImapServer, report_mail

pytestmark = pytest.mark.integration
CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "dmarc"
DAY = 86_400
NOW = 1_780_000_000 - 1_780_000_000 % DAY + 12 * 3600  # a fixed noon UTC


class StepClock:
    def __init__(self, now: float) -> None:
        self.at = now

    def now(self) -> float:
        return self.at


@pytest.fixture
def clock() -> StepClock:
    return StepClock(NOW)


@pytest.fixture
def dmarc(settings: Settings, clock: StepClock) -> Iterator[Container]:
    c = bootstrap(settings, create_tables=True, clock=clock)
    c.tenancy.initialise_instance()
    yield c
    c.close()


def daily(
    n: int,
    *,
    days_ago: int,
    p: str = "none",
    pct: str = "100",
    fail: int = 0,
    ip: str = "192.0.2.9",
    org: str = "google.com",
    later: int = 0,
) -> bytes:
    end = NOW - days_ago * DAY + later
    rows = [Record("149.72.45.10", 100 - fail, "pass", "pass")] + (
        [Record(ip, fail, "fail", "fail")] if fail else []
    )
    return report(org, "r@x.test", f"{org}-{n}", int(end - DAY), int(end), rows, p=p, pct=pct)


def put(c: Container, tenant: str, data: bytes, name: str = "r.xml") -> None:
    ingest_file(c, tenant, name, data)


def settle(c: Container) -> dict:
    c.runner("dmarc", leader=False).catch_up()
    return overview(c, "acme")


def set_dmarc_settings(c: Container, tenant: str, dmarc: dict) -> None:
    existing = c.content.settings_aggregate(tenant)
    document = {**(existing.document if existing else {}), "dmarc": dmarc}
    with c.content.command(tenant_id=tenant):
        c.content.record(ConsoleSettings.change(tenant, existing, document))  # type: ignore[arg-type]


def test_dedupe_is_per_tenant_and_rollups_add_up(dmarc: Container) -> None:
    data = (CORPUS / "scenario-43.xml.gz").read_bytes()
    first = ingest_file(dmarc, "acme", "s.xml.gz", data)
    again = ingest_file(dmarc, "acme", "s.xml.gz", data)
    other = ingest_file(dmarc, "beta", "s.xml.gz", data)
    assert (first.duplicate, first.new, again.duplicate, again.new, again.position) == (False, 1, True, 0, 0)
    assert other.duplicate is False
    dmarc.runner("dmarc", leader=False).catch_up()
    view = dmarc.projections["dmarc"].view
    [acme] = view.reports("acme", limit=10)
    [beta] = view.reports("beta", limit=10)
    assert acme.id != beta.id and (acme.total, acme.pass_count) == (218, 200)


def test_the_ladder_from_stored_reports(dmarc: Container) -> None:  # scenario 45
    for n in range(35):
        put(dmarc, "acme", daily(n, days_ago=n))
    domain = settle(dmarc)["domains"][0]
    assert domain["reportCount"] == 35 and domain["totalMessages"] == 3500
    assert domain["progression"]["policy"] == "quarantine" and domain["progression"]["pct"] == 10
    assert [p["alignmentRate"] for p in domain["series"]] == [1.0] * 14


def test_few_reports_low_alignment_and_unknown_sources_block(dmarc: Container) -> None:
    for n in range(5):
        put(dmarc, "acme", daily(n, days_ago=n))
    assert settle(dmarc)["domains"][0]["progressionBlockedBy"] == "insufficient_reports"
    for n in range(5, 35):
        put(dmarc, "acme", daily(n, days_ago=n, fail=5, ip="198.51.100.7"))
    domain = settle(dmarc)["domains"][0]
    assert domain["progressionBlockedBy"] == "unknown_sources"
    dmarc.dmarc.tag_source("acme", "198.51.100.7", "forwarder", True)
    domain = settle(dmarc)["domains"][0]
    assert domain["progressionBlockedBy"] == "alignment_below_threshold"  # ignored now: 95.7 % < 99 %
    source = next(s for s in settle(dmarc)["sources"] if s["sourceIp"] == "198.51.100.7")
    assert (source["ignored"], source["tagSource"], source["daysSeen"]) == (
        True,
        "db",
        26,
    )  # days 5..30 are within the 30 days


def test_quarantine_climbs_to_reject_and_config_tags_count(dmarc: Container) -> None:
    for n in range(30):
        put(dmarc, "acme", daily(n, days_ago=n, p="quarantine"))
    assert settle(dmarc)["domains"][0]["progression"]["policy"] == "reject"
    set_dmarc_settings(dmarc, "acme", {"knownSources": {"149.72.45.10": "ESP"}, "retentionDays": 45})
    got = settle(dmarc)
    assert got["retentionDays"] == 45
    assert (got["sources"][0]["label"], got["sources"][0]["tagSource"]) == ("ESP", "config")


def test_ten_days_at_quarantine_100_hold_and_the_newest_policy_counts(dmarc: Container) -> None:
    for n in range(1, 31):
        put(dmarc, "acme", daily(n, days_ago=n, p="quarantine", pct="10"))
    assert settle(dmarc)["domains"][0]["progression"]["pct"] == 25  # quarantine 10 -> 25
    for n in range(10):
        put(dmarc, "acme", daily(n, days_ago=n, p="quarantine", pct="100", org="yahoo"))
    domain = settle(dmarc)["domains"][0]
    assert (domain["currentPct"], domain["progressionBlockedBy"]) == (100, "quarantine_hold")
    put(dmarc, "acme", daily(99, days_ago=0, p="reject", later=60))
    assert settle(dmarc)["domains"][0]["progressionBlockedBy"] == "already_reject"


def test_retention_sweeps_rows_keeps_summaries_and_rebuilds_the_same(
    dmarc: Container, clock: StepClock
) -> None:
    put(dmarc, "acme", daily(1, days_ago=120))
    put(dmarc, "acme", daily(2, days_ago=1))
    put(dmarc, "beta", daily(3, days_ago=120))
    set_dmarc_settings(dmarc, "beta", {"retentionDays": 0})  # 0 keeps everything
    dmarc.runner("dmarc", leader=False).catch_up()
    view = dmarc.projections["dmarc"].view
    jobs = dmarc.dmarc_jobs()
    assert jobs.run_due() == ["dmarc-retention"]
    assert jobs.run_due() == []  # not due again before the interval
    dmarc.runner("dmarc", leader=False).catch_up()
    old, new = sorted(view.reports("acme", limit=10), key=lambda r: r.range_end)
    assert view.report("acme", old.id)[1] == [] and len(view.report("acme", new.id)[1]) == 1  # type: ignore[index]
    assert old.total == 100  # the summary stays
    assert len(view.source_rows("beta", 0)) == 1
    put(dmarc, "acme", daily(4, days_ago=100))  # late, and past the cut already: no rows
    dmarc.runner("dmarc", leader=False).catch_up()
    assert len(view.source_rows("acme", 0)) == 1
    before = {k: v for k, v in _rows(dmarc).items()}
    rebuild_view(dmarc, "dmarc")
    assert _rows(dmarc) == before and verify_view(dmarc, "dmarc").verified is True


def _rows(c: Container) -> dict:
    with c.db.transaction(write=False) as tx:
        return c.projections["dmarc"].view.rows(tx)


@pytest.mark.parametrize("move", [True, False], ids=["move", "copy"])
def test_the_mailbox_intake(dmarc: Container, move: bool) -> None:  # scenario 46
    server = DmarcImapServer(user="dmarc", password="pw", move=move).start()
    try:
        dmarc.dmarc.configure_mailbox(
            "acme",
            MailboxConfig(
                host="127.0.0.1", port=server.port, tls="none", username="dmarc", password="pw", enabled=True
            ),
        )
        server.add("INBOX", report_mail(("a.xml.gz", gzip.compress(daily(1, days_ago=1)))))
        server.add("INBOX", report_mail(("google.zip", (CORPUS / "google-two-reports.zip").read_bytes())))
        server.add("INBOX", report_mail(("broken.xml.gz", b"not gzip at all")))
        result = poll_mailbox(dmarc, "acme")
        assert (result.messages, result.reports_ingested, result.failed, result.duplicates) == (3, 3, 1, 0)
        assert "broken.xml.gz" in result.errors[0]
        assert len(server.uids("DMARC/Processed")) == 2 and len(server.uids("DMARC/Failed")) == 1
        assert server.count() == (3 if move else 6)  # nothing deleted (a copy keeps the original, seen)
        assert poll_mailbox(dmarc, "acme").messages == 0
        server.add("INBOX", report_mail(("again.xml.gz", gzip.compress(daily(1, days_ago=1)))))
        again = poll_mailbox(dmarc, "acme")
        assert (again.messages, again.reports_ingested, again.duplicates) == (1, 0, 1)
    finally:
        server.stop()
    with pytest.raises(MailboxUnreachable):
        poll_mailbox(dmarc, "acme")  # the server is gone


def test_mailbox_jobs_poll_on_their_interval_and_keep_the_password_sealed(
    dmarc: Container, clock: StepClock
) -> None:
    server = DmarcImapServer(user="dmarc", password="pw").start()
    try:
        changed, _ = dmarc.dmarc.configure_mailbox(
            "acme",
            MailboxConfig(
                host="127.0.0.1",
                port=server.port,
                tls="none",
                username="dmarc",
                password="pw",
                enabled=True,
                interval_minutes=30,
            ),
        )
        assert "password" in changed and dmarc.dmarc.mailbox("acme").password.startswith("enc:")  # type: ignore[union-attr]
        assert dmarc.dmarc.configure_mailbox(
            "acme",
            MailboxConfig(
                host="127.0.0.1",
                port=server.port,
                tls="none",
                username="dmarc",
                password="***",
                enabled=True,
                interval_minutes=30,
            ),
        ) == ([], 0)
        dmarc.tenancy.create_tenant("acme", {}, None)
        dmarc.runner("tenants", leader=False).catch_up()
        jobs = dmarc.dmarc_jobs()
        assert "dmarc-mailbox:acme" in jobs.run_due()
        server.add("INBOX", report_mail(("a.xml.gz", gzip.compress(daily(1, days_ago=1)))))
        assert "dmarc-mailbox:acme" not in jobs.run_due()
        clock.at += 31 * 60
        assert "dmarc-mailbox:acme" in jobs.run_due() and jobs.polls == 2
        assert len(server.uids("DMARC/Processed")) == 1
    finally:
        server.stop()


def test_a_racing_upload_of_the_same_report_answers_duplicate(dmarc: Container, settings: Settings) -> None:
    from adapters.reputation.dmarc_xml import parse_report

    report = parse_report(daily(1, days_ago=1))
    other = bootstrap(settings)  # a second process on the same store
    real_find = dmarc.dmarc._find

    def the_other_wins_meanwhile(ident):  # type: ignore[no-untyped-def]
        found = real_find(ident)
        dmarc.dmarc._find = real_find  # type: ignore[method-assign]
        other.dmarc.ingest_reports("acme", [report], channel="upload")
        return found

    try:
        dmarc.dmarc._find = the_other_wins_meanwhile  # type: ignore[method-assign]
        done, position = dmarc.dmarc.ingest_reports("acme", [report], channel="upload")
    finally:
        other.close()
    assert done[0].duplicate is True and position == 0
    assert dmarc.dmarc.max_position() == 1


def test_the_mailbox_over_implicit_tls(dmarc: Container, smtp_sink_cert: Any) -> None:
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(smtp_sink_cert.certfile, smtp_sink_cert.keyfile)
    server = DmarcImapServer(user="dmarc", password="pw", tls=server_side).start()
    try:
        config = MailboxConfig(host="127.0.0.1", port=server.port, tls="implicit", username="dmarc",
                               password="pw")
        dmarc.dmarc.configure_mailbox("acme", config)
        server.add("INBOX", report_mail(("a.xml.gz", gzip.compress(daily(1, days_ago=1)))))
        with pytest.raises(MailboxUnreachable):  # the system trust store does not know the test CA
            poll_mailbox(dmarc, "acme")
        trusting = DmarcImapOpener(ssl.create_default_context(cafile=smtp_sink_cert.cafile))
        assert poll_mailbox(dmarc, "acme", trusting).reports_ingested == 1
    finally:
        server.stop()
