"""DMARC over HTTP (console.md §13; §17 scenarios 43, 44): upload, dedupe, zips, refusals,
the overview, source tags, scopes and tenant walls, on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.corpus.dmarc.corpus_xml import Record, bis_report
from tests.support.console import Console
from tests.support.dmarc_imap import DmarcImapServer, report_mail
from tests.support.live import Live

pytestmark = pytest.mark.e2e
CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "dmarc"
JAN2 = 1_704_153_600  # the scenario report covers 2024-01-01


@pytest.fixture
def console(live: Live) -> Iterator[Console]:
    live.container.fake_clock.set(JAN2 + 3600)  # type: ignore[union-attr]
    c = Console(live)
    c.tenant("acme")
    c.tenant("beta")
    body = {"senderDomains": {"news.acme.test": "marketing", "mail.acme.test": "transactional"}}
    assert c.admin("PATCH", "/settings", json=body).status_code == 200
    yield c


def upload(console: Console, name: str, data: bytes | None = None, tenant: str = "acme", **kw: object):
    content = data if data is not None else (CORPUS / name).read_bytes()
    return console.admin("POST", "/dmarc/upload", tenant, files={"file": (name, content)}, **kw)


def test_upload_dedupes_and_a_zip_of_two_counts_the_second(console: Console) -> None:  # scenario 43
    first = upload(console, "scenario-43.xml.gz")
    assert first.status_code == 200, first.text
    body = first.json()
    assert {k: body[k] for k in ("totalMessages", "passCount", "failCount", "duplicate")} == {
        "totalMessages": 218,
        "passCount": 200,
        "failCount": 18,
        "duplicate": False,
    }
    assert body["reportId"] == "20240101.acme.test.000456" and body["domain"] == "acme.test"
    assert body["rangeStart"] == "2024-01-01T00:00:00.000Z" and body["additionalReports"] == 0
    assert upload(console, "scenario-43.xml.gz").json()["duplicate"] is True
    two = upload(console, "google-two-reports.zip").json()
    assert two["additionalReports"] == 1 and two["reportId"] == "zip-two-a"
    reports = console.admin("GET", "/dmarc/reports").json()["reports"]
    assert sorted(r["reportId"] for r in reports) == ["20240101.acme.test.000456", "zip-two-a", "zip-two-b"]


@pytest.mark.parametrize(
    "name",
    [
        "malformed-wrong-root.xml",
        "hostile-zip-traversal.zip",
        "hostile-xxe-file.xml",
        "hostile-billion-laughs.xml",
        "hostile-zip-bomb.zip",
        "foreign-domain.xml",
    ],
)
def test_bad_files_are_400_ingest_failed_and_store_nothing(console: Console, name: str) -> None:
    refused = upload(console, name)
    assert refused.status_code == 400 and refused.json()["error"] == "ingest_failed", refused.text
    assert refused.json()["message"]
    assert console.admin("GET", "/dmarc").json()["recentReports"] == []


def test_no_file_and_oversized_files(console: Console) -> None:
    empty = console.admin("POST", "/dmarc/upload", data={"other": "x"})
    assert empty.status_code == 400 and empty.json()["error"] == "no_file"
    big = upload(console, "big.xml", b" " * (11 << 20))
    assert big.status_code == 413 and big.json()["error"] == "payload_too_large"
    raw = console.admin(
        "POST",
        "/dmarc/upload",
        params={"filename": "s.xml.gz"},
        content=(CORPUS / "scenario-43.xml.gz").read_bytes(),
        headers={"Content-Type": "application/gzip"},
    )
    assert raw.status_code == 200 and raw.json()["totalMessages"] == 218


def test_overview_sources_and_tags(console: Console) -> None:  # scenario 44
    upload(console, "scenario-43.xml.gz")
    overview = console.admin("GET", "/dmarc").json()
    [domain] = overview["domains"]
    assert (domain["domain"], domain["currentPolicy"], domain["currentPct"]) == (
        "acme.test",
        "quarantine",
        50,
    )
    assert domain["alignmentRate"] == pytest.approx(200 / 218)
    assert domain["progressionBlockedBy"] == "insufficient_reports" and domain["progression"] is None
    assert len(domain["series"]) == 14 and domain["series"][-2] == {
        "day": "2024-01-01",
        "alignmentRate": pytest.approx(200 / 218),
    }
    sources = {s["sourceIp"]: s for s in overview["sources"]}
    assert len(sources) == 3 and overview["retentionDays"] == 90
    assert (sources["198.51.100.7"]["totalMessages"], sources["198.51.100.7"]["failCount"]) == (15, 15)
    tagged = console.admin("PUT", "/dmarc/sources/198.51.100.7", json={"label": " Hubspot "})
    assert tagged.json() == {"ok": True, "changed": True}
    source = next(
        s for s in console.admin("GET", "/dmarc").json()["sources"] if s["sourceIp"] == "198.51.100.7"
    )
    assert (source["label"], source["tagSource"], source["ignored"]) == ("Hubspot", "db", False)
    assert console.admin("DELETE", "/dmarc/sources/198.51.100.7").json() == {"ok": True, "deleted": 1}
    assert console.admin("DELETE", "/dmarc/sources/198.51.100.7").json() == {"ok": True, "deleted": 0}
    empty = console.admin("PUT", "/dmarc/sources/198.51.100.7", json={"label": "  "})
    assert empty.status_code == 400 and empty.json()["error"] == "validation_failed"
    assert console.admin("PUT", "/dmarc/sources/not-an-ip", json={"label": "x"}).json()["error"] == "bad_id"
    ident = overview["recentReports"][0]["id"]
    detail = console.admin("GET", f"/dmarc/reports/{ident}").json()
    assert len(detail["rows"]) == 3 and detail["rows"][0] == {
        "sourceIp": "149.72.45.10",
        "headerFrom": "acme.test",
        "dkim": "pass",
        "spf": "pass",
        "disposition": "none",
        "count": 200,
        "aligned": True,
    }


def test_an_rfc9990_report_shows_testing_and_no_pct(console: Console) -> None:  # scenario 44
    xml = bis_report(
        "bis.example",
        "r@bis.example",
        "bis-44",
        JAN2 - 86_400,
        JAN2,
        [Record("192.0.2.1", 10, "pass", "pass")],
        p="quarantine",
        testing="y",
    )
    assert upload(console, "bis.xml.gz", gzip.compress(xml)).status_code == 200
    [domain] = console.admin("GET", "/dmarc").json()["domains"]
    assert (domain["currentPct"], domain["currentTesting"], domain["currentPolicy"]) == (
        None,
        True,
        "quarantine",
    )


def test_tenants_are_walls_and_a_read_key_may_upload(console: Console) -> None:
    upload(console, "scenario-43.xml.gz")
    beta = console.admin("GET", "/dmarc", "beta").json()
    assert beta["domains"] == [] and beta["sources"] == [] and beta["recentReports"] == []
    ident = console.admin("GET", "/dmarc").json()["recentReports"][0]["id"]
    assert console.admin("GET", f"/dmarc/reports/{ident}", "beta").status_code == 404
    assert console.admin("GET", "/dmarc/reports/00000000-0000-0000-0000-000000000000").status_code == 404
    # beta ingests the same report: its own copy, not a duplicate of acme's
    assert upload(console, "scenario-43.xml.gz", tenant="beta").json()["duplicate"] is False
    reader, _ = console.token(["admin-read"])
    sent = console.call(
        "POST",
        "/dmarc/upload",
        reader,
        files={"file": ("y.xml", (CORPUS / "gmx-no-records.xml").read_bytes())},
    )
    assert sent.status_code == 200, sent.text
    publisher, _ = console.token(["publish"], label="p")
    assert console.call("GET", "/dmarc", publisher).status_code == 403
    assert console.call("PUT", "/dmarc/mailbox", reader, json={"host": "x"}).status_code == 403


def test_changes_are_audited_and_the_mailbox_hides_its_password(console: Console) -> None:
    upload(console, "scenario-43.xml.gz")
    console.admin("PUT", "/dmarc/sources/198.51.100.7", json={"label": "Hubspot", "ignored": True})
    actions = [
        e["action"] for e in console.admin("GET", "/audit", params={"action": "dmarc."}).json()["entries"]
    ]
    assert actions == ["dmarc.source_tag", "dmarc.upload"]
    assert console.admin("GET", "/dmarc/mailbox").json()["configured"] is False
    assert console.admin("POST", "/dmarc/mailbox/poll").json() == {
        "ran": False,
        "messages": 0,
        "reportsIngested": 0,
        "duplicates": 0,
        "failed": 0,
        "errors": [],
        "reason": "not_configured",
    }
    body = {
        "host": "127.0.0.1",
        "port": 9,
        "tls": "none",
        "username": "dmarc",
        "password": "s3cret",
        "enabled": True,
    }
    put = console.admin("PUT", "/dmarc/mailbox", json=body)
    assert (
        put.status_code == 200 and put.json()["changed"] is True and "password" not in put.json()["mailbox"]
    )
    assert (
        put.json()["mailbox"]["passwordSet"] is True
        and put.json()["mailbox"]["processedFolder"] == "DMARC/Processed"
    )
    assert console.admin("PUT", "/dmarc/mailbox", json={**body, "password": "***"}).json()["changed"] is False
    assert "s3cret" not in console.admin("GET", "/audit").text
    bad = console.admin("PUT", "/dmarc/mailbox", json={**body, "tls": "ssl"})
    assert bad.status_code == 400 and bad.json()["error"] == "validation_failed"
    down = console.admin("POST", "/dmarc/mailbox/poll")
    assert down.status_code == 502 and down.json()["error"] == "upstream_error"


def test_known_sources_and_retention_come_from_settings(console: Console) -> None:
    upload(console, "scenario-43.xml.gz")
    body = {
        "dmarc": {
            "knownSources": {"149.72.45.10": "Our ESP", "203.0.113.50": {"label": "old", "ignored": True}},
            "retentionDays": 30,
        }
    }
    assert console.admin("PATCH", "/settings", json=body).status_code == 200
    got = console.admin("GET", "/dmarc").json()
    tags = {s["sourceIp"]: (s["label"], s["ignored"], s["tagSource"]) for s in got["sources"]}
    assert tags == {
        "149.72.45.10": ("Our ESP", False, "config"),
        "203.0.113.50": ("old", True, "config"),
        "198.51.100.7": (None, False, None),
    }
    assert got["retentionDays"] == 30
    assert console.admin("DELETE", "/dmarc/sources/149.72.45.10").json()["deleted"] == 0  # config tags stay
    console.admin("PUT", "/dmarc/sources/149.72.45.10", json={"label": "db label"})
    source = next(
        s for s in console.admin("GET", "/dmarc").json()["sources"] if s["sourceIp"] == "149.72.45.10"
    )
    assert (source["label"], source["tagSource"]) == ("db label", "db")
    bad = console.admin("PATCH", "/settings", json={"dmarc": {"retentionDays": -1}})
    assert bad.status_code == 400


def test_the_mailbox_poll_over_http(console: Console) -> None:  # scenario 46
    server = DmarcImapServer(user="dmarc", password="pw").start()
    try:
        body = {
            "host": "127.0.0.1",
            "port": server.port,
            "tls": "none",
            "username": "dmarc",
            "password": "pw",
        }
        assert console.admin("PUT", "/dmarc/mailbox", json=body).status_code == 200
        server.add("INBOX", report_mail(("s.xml.gz", (CORPUS / "scenario-43.xml.gz").read_bytes())))
        server.add(
            "INBOX",
            report_mail(
                ("y.xml.gz", (CORPUS / "yahoo.com!acme.test!1704240000!1704326399.xml.gz").read_bytes())
            ),
        )
        server.add("INBOX", report_mail(("bad.xml.gz", (CORPUS / "hostile-xxe-file.xml").read_bytes())))
        polled = console.admin("POST", "/dmarc/mailbox/poll").json()
        assert (polled["messages"], polled["reportsIngested"], polled["failed"]) == (3, 2, 1)
        assert len(server.uids("DMARC/Processed")) == 2 and len(server.uids("DMARC/Failed")) == 1
        assert server.count() == 3 and console.admin("POST", "/dmarc/mailbox/poll").json()["messages"] == 0
        assert len(console.admin("GET", "/dmarc").json()["recentReports"]) == 2
        entries = console.admin("GET", "/audit", params={"action": "dmarc.mailbox_ingest"}).json()["entries"]
        assert len(entries) == 2
    finally:
        server.stop()
    down = console.admin("POST", "/dmarc/mailbox/poll")
    assert down.status_code == 502 and down.json()["error"] == "upstream_error"


def test_retention_runs_in_the_drain_and_keeps_summaries(console: Console) -> None:
    upload(console, "scenario-43.xml.gz")
    ident = console.admin("GET", "/dmarc").json()["recentReports"][0]["id"]
    console.live.advance(89 * 86_400)
    assert console.live.admin("POST", "/_test/drain", json={}).status_code == 200
    assert len(console.admin("GET", f"/dmarc/reports/{ident}").json()["rows"]) == 3  # 90 days not yet over
    console.live.advance(3 * 86_400)
    assert console.live.admin("POST", "/_test/drain", json={}).json()["idle"] is True
    detail = console.admin("GET", f"/dmarc/reports/{ident}").json()
    assert detail["rows"] == [] and detail["totalMessages"] == 218  # the summary stays
    entry = console.admin("GET", "/audit", params={"action": "dmarc.retention"}).json()["entries"][0]
    assert entry["actor"] == "system:dmarc-retention" and entry["category"] == "system"
