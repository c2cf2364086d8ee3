"""The bounce corpus (issue 6's bar): every mail in ``tests/corpus/bounces`` parses to its
expected kind, format, recipients and classification (``expected.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters.bounces import StdlibBounceParser, parse_report

pytestmark = pytest.mark.unit

CORPUS = Path(__file__).parent.parent / "corpus" / "bounces"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text())
PRODUCERS = ("postfix", "exim", "sendmail", "qmail", "m365", "outlook", "exchange", "gmail", "yahoo", "arf",
             "autoreply")


def test_the_corpus_is_big_enough_and_every_mail_has_an_expectation() -> None:
    files = sorted(p.name for p in CORPUS.glob("*.eml"))
    assert files == sorted(EXPECTED)
    reports = [name for name, e in EXPECTED.items() if e["kind"] != "ignored"]
    assert len(reports) >= 40
    for producer in PRODUCERS:
        assert any(name.startswith(producer) for name in files), producer


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_mail_parses_to_its_expected_classification(name: str) -> None:
    expected = EXPECTED[name]
    report = parse_report((CORPUS / name).read_bytes())
    assert (report.kind, report.format) == (expected["kind"], expected["format"])
    if report.kind == "bounce":
        got = [[f.email, *f.verdict()] for f in report.findings]
        assert got == expected["recipients"]
    if report.format == "arf":
        assert report.complaint_type == expected["complaint_type"]
        assert report.complainants == expected["complainants"]
    wanted = [expected["ledgermail_id"]] if "ledgermail_id" in expected else []
    assert report.references.ledgermail_ids[:1] == wanted
    if "message_id" in expected:
        assert report.references.message_ids[0] == expected["message_id"]
    assert report.identity and all(len(f.reason) <= 500 for f in report.findings)


def test_the_identity_is_the_message_id_else_a_hash_of_the_bytes() -> None:
    raw = (CORPUS / "postfix-user-unknown.eml").read_bytes()
    assert parse_report(raw).identity == "<20260601100005.4XkT2b0Q1hz9sWs@mail.dest.test>"
    headless = b"From: MAILER-DAEMON@x.test\nSubject: failure notice\n\n<a@b.test>: 550 5.1.1 no\n"
    assert parse_report(headless).identity.startswith("sha256:")
    assert parse_report(headless).identity == parse_report(headless).identity


def test_a_verp_address_is_offered_for_correlation() -> None:
    report = parse_report((CORPUS / "postfix-sender-domain-auth.eml").read_bytes())
    assert "bounces+bmhg6tc7hznyvhi6hqvb6aaaim@mx.acme.test" in report.references.envelope_to


BROKEN = [b"", b"\x00\xff\xfe garbage", b"Content-Type: multipart/report\n\n--x",
          b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
          b"--b\nContent-Type: message/delivery-status\n\nFinal-Recipient: ;\n--b--\n"]


@pytest.mark.parametrize("raw", BROKEN)
def test_the_parser_never_raises_on_broken_mail(raw: bytes) -> None:
    report = StdlibBounceParser().parse(raw)
    assert report.kind in ("bounce", "complaint", "ignored")
