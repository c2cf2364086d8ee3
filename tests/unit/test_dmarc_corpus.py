"""The DMARC parser over the corpus (tests/corpus/dmarc): every reporter style and both
schemas parse to the expected figures; every malformed or hostile file is refused with a
clear message (console.md §13)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.reputation.dmarc_files import MAX_OUTPUT, check_name, unpack
from adapters.reputation.dmarc_intake import parse_file
from domain.reputation.dmarc import DmarcIngestFailed
from tests.corpus.dmarc import make_corpus

pytestmark = pytest.mark.unit
CORPUS = Path(make_corpus.__file__).resolve().parent
EXPECTED: dict[str, dict] = json.loads((CORPUS / "expected.json").read_text())
REGISTRY = ["news.acme.test", "mail.acme.test"]


def test_the_corpus_is_big_enough_and_what_the_script_makes(tmp_path: Path) -> None:
    names = make_corpus.write(tmp_path)
    assert len(names) >= 25 and names == sorted(EXPECTED)
    good = [n for n in names if EXPECTED[n]["ok"]]
    assert {EXPECTED[n]["schema"] for n in good} == {"rfc7489", "rfc9990"}
    assert any(n.endswith(".gz") for n in good) and any(n.endswith(".zip") for n in good)
    for name in names:
        assert (tmp_path / name).read_bytes() == (CORPUS / name).read_bytes(), (
            f"{name}: regenerate the corpus"
        )


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e["ok"]))
def test_good_reports_parse(name: str) -> None:
    expected = EXPECTED[name]
    registry = [] if expected.get("registry_refuses") else REGISTRY
    reports, errors = parse_file(name, (CORPUS / name).read_bytes(), registry)
    first = reports[0]
    assert (first.org_name, first.report_id, first.schema, first.domain) == (
        expected["org"],
        expected["reportId"],
        expected["schema"],
        expected["domain"],
    )
    assert (first.total, first.pass_count) == (expected["total"], expected["pass"])
    assert len(reports) == expected.get("reports", 1)
    assert len(errors) == (1 if name.startswith("zip-one-good") else 0)
    for field, attr in (("policy", "policy_p"), ("pct", "policy_pct"), ("testing", "testing"), ("np", "np")):
        if field in expected:
            assert getattr(first, attr) == expected[field], field
    if "rows" in expected:
        assert len(first.rows) == expected["rows"]


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if not e["ok"]))
def test_malformed_and_hostile_files_are_refused_with_a_clear_message(name: str) -> None:
    with pytest.raises(DmarcIngestFailed) as refused:
        reports, errors = parse_file(name, (CORPUS / name).read_bytes(), REGISTRY)
        if not reports:
            raise errors[0]
    assert EXPECTED[name]["error"] in refused.value.message
    assert refused.value.status == 400 and refused.value.code == "ingest_failed"


def test_a_report_for_a_foreign_domain_is_refused_when_the_registry_has_domains() -> None:
    reports, errors = parse_file("f.xml", (CORPUS / "foreign-domain.xml").read_bytes(), REGISTRY)
    assert reports == [] and "other.test is not one of this tenant's sender domains" in errors[0].message


def test_the_scenario_report_sums_rows_and_takes_the_midpoint_day() -> None:
    [report], _ = parse_file("s.xml.gz", (CORPUS / "scenario-43.xml.gz").read_bytes(), [])
    assert report.day == "2024-01-01" and report.policy_p == "quarantine" and report.policy_pct == 50
    rows = {r.source_ip: (r.count, r.dkim, r.spf, r.aligned) for r in report.rows}
    assert rows == {
        "149.72.45.10": (200, "pass", "pass", True),
        "198.51.100.7": (15, "fail", "fail", False),
        "203.0.113.50": (3, "fail", "none", False),
    }


def test_oversized_xml_and_hostile_upload_names_are_refused() -> None:
    with pytest.raises(DmarcIngestFailed, match="over 50 MiB"):
        unpack("big.xml", b" " * (MAX_OUTPUT + 1))
    for name in ("../x.xml", "/etc/x.xml", "C:x.xml", "a\x00.xml", "a/../../b.gz"):
        with pytest.raises(DmarcIngestFailed):
            check_name(name)
    check_name("google.com!acme.test!1!2.xml.gz")  # reporters' names are fine


def test_an_unknown_suffix_is_sniffed() -> None:
    data = (CORPUS / "scenario-43.xml.gz").read_bytes()
    assert unpack("attachment.bin", data)[0].xml.startswith(b"<?xml")
    zipped = (CORPUS / "google-two-reports.zip").read_bytes()
    assert len(unpack(None, zipped)) == 2
