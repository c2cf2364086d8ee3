"""Pure rules of the provider feeds and hygiene (console.md §14, §15): SNDS rows and times,
Postmaster items, verdicts, buckets, and the snapshot aggregates' change-only events."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.reputation.hygiene import DAY, NEVER, bucket_of, is_candidate
from domain.reputation.postmaster import PostmasterSnapshot, verdict_of
from domain.reputation.postmaster_parse import date_of, parse_page, under
from domain.reputation.postmaster_settings import mask_secrets, seal_secrets
from domain.reputation.snds import SndsSnapshot, snds_verdict
from domain.reputation.snds_parse import complaint_rate, parse_feed, parse_time

pytestmark = pytest.mark.unit


def utc(*args: int) -> float:
    return dt.datetime(*args, tzinfo=dt.UTC).timestamp()


def test_snds_times_are_us_pacific() -> None:
    assert parse_time("6/1/2026 12:00 AM") == utc(2026, 6, 1, 7)  # PDT
    assert parse_time("1/15/2026 1:30:15 PM") == utc(2026, 1, 15, 21, 30, 15)  # PST
    assert parse_time("3/8/2026 1:59 AM") == utc(2026, 3, 8, 9, 59)  # before the 2nd Sunday's 02:00
    assert parse_time("3/8/2026 3:00 AM") == utc(2026, 3, 8, 10)
    assert parse_time("11/1/2026 1:00 AM") == utc(2026, 11, 1, 8)  # still PDT until 02:00
    assert parse_time("11/1/2026 2:00 AM") == utc(2026, 11, 1, 10)
    assert parse_time("2026-06-01T00:00:00Z") == utc(2026, 6, 1)
    assert parse_time("13/1/2026 1:00 AM") is None and parse_time("yesterday") is None


def test_snds_complaint_rates_and_rows() -> None:
    assert [complaint_rate(t) for t in ("<0.1%", ">10%", "2%", "0.1-0.3%", "-", "n/a", "")] == [
        0.001,
        0.1,
        0.02,
        0.003,
        None,
        None,
        None,
    ]
    read, rows = parse_feed(
        "203.0.113.5,6/1/2026 12:00 AM,6/2/2026 12:00 AM,120,118,118,RED,0.1-0.3%,2,"
        'mx.acme.test,x@acme.test\n"203.0.113.6","6/1/2026 12:00 AM","6/2/2026 12:00 AM",'
        '"1","1","1","purple"\nshort,row\n\nnot-an-ip,6/1/2026 12:00 AM,6/1/2026 1:00 AM,1,1,1,RED'
    )
    assert read == 4 and len(rows) == 2
    assert rows[0] == {
        "ip": "203.0.113.5",
        "activityStart": utc(2026, 6, 1, 7),
        "activityEnd": utc(2026, 6, 2, 7),
        "rcptCommands": 120,
        "dataCommands": 118,
        "messageRecipients": 118,
        "filterResult": "RED",
        "complaintRate": 0.003,
        "trapMessageCount": 2,
        "sampleHelo": "mx.acme.test",
        "sampleMailFrom": "x@acme.test",
    }
    assert rows[1]["filterResult"] == "UNKNOWN" and rows[1]["complaintRate"] is None
    assert snds_verdict(rows[0], False) == (
        "review",
        "SNDS filter result RED; SNDS complaint rate 0.30% >= 0.3%; SNDS trap hits 2",
    )
    assert snds_verdict(rows[0], True)[0] == "trip" and snds_verdict(rows[1], True) == ("none", None)


def test_postmaster_items_and_verdicts() -> None:
    page = {
        "trafficStats": [
            {
                "name": "domains/acme.test/trafficStats/20260503",
                "domainReputation": "REPUTATION_CATEGORY_UNSPECIFIED",
                "userReportedSpamRatio": 0.0045,
                "ipReputations": [{"reputation": "HIGH", "ipCount": "3", "sampleIps": ["203.0.113.5"]}],
                "deliveryErrors": [
                    {"errorClass": "PERMANENT_ERROR", "errorType": "RATE_LIMIT_EXCEEDED", "errorRatio": 0.01}
                ],
            },
            {"name": "domains/acme.test/somethingElse"},
        ],
        "nextPageToken": "p2",
    }
    found, token = parse_page(page)
    assert token == "p2" and [d for d, _ in found] == ["2026-05-03"]
    values = found[0][1]
    assert values["domainReputation"] is None and values["ipReputations"][0]["ipCount"] == 3
    assert values["deliveryErrors"][0]["errorRatio"] == 0.01 and values["spfSuccessRatio"] is None
    assert verdict_of(values, 0.3, 0.1) == ("trip", "Postmaster user-reported spam rate 0.45% >= 0.3%")
    assert verdict_of({"domainReputation": "BAD"}, 0.3, 0.1)[0] == "trip"
    assert verdict_of({"domainReputation": "LOW", "userReportedSpamRatio": 0.0}, 0.3, 0.1)[0] == "review"
    assert verdict_of({"userReportedSpamRatio": 0.0015}, 0.3, 0.1)[0] == "review"
    assert verdict_of({"domainReputation": "HIGH", "userReportedSpamRatio": 0.0009}, 0.3, 0.1) == (
        "none",
        None,
    )
    assert date_of("domains/a/trafficStats/20261340") is None and under("news.acme.test", "acme.test")
    assert not under("badacme.test", "acme.test")


def test_snapshots_record_only_changes() -> None:
    first = PostmasterSnapshot.record("acme", "acme.test", "2026-05-01", {"a": 1}, 1.0, None)
    assert first is not None and len(first.collect_events()) == 1
    assert PostmasterSnapshot.record("acme", "acme.test", "2026-05-01", {"a": 1}, 2.0, first) is None
    changed = PostmasterSnapshot.record("acme", "acme.test", "2026-05-01", {"a": 2}, 3.0, first)
    assert changed is first and first.values == {"a": 2} and first.version == 2
    row = {"ip": "203.0.113.5", "activityStart": 10.0, "filterResult": "RED"}
    snds = SndsSnapshot.record("acme", row, 1.0, None)
    assert snds is not None and SndsSnapshot.record("acme", dict(row), 2.0, snds) is None


def test_buckets_and_candidates() -> None:
    now = 1000 * DAY
    assert [bucket_of(now, now - d * DAY) for d in (0, 30, 30.5, 60, 90, 180, 181)] == [0, 0, 1, 1, 2, 3, 4]
    assert bucket_of(now, None) == NEVER
    assert is_candidate(now, now - 181 * DAY, 0.0, 180) and not is_candidate(now, now - 179 * DAY, 0.0, 180)
    assert is_candidate(now, None, now - 250 * DAY, 180) and not is_candidate(now, None, now - 20 * DAY, 180)


def test_secrets_are_sealed_and_masked() -> None:
    sealed = seal_secrets(
        {"postmaster": {"clientId": "id", "clientSecret": "***"}, "snds": {"key": "k"}},
        {"postmaster": {"clientSecret": "enc:old"}},
        lambda s: f"enc:{s}",
    )
    assert sealed == {
        "postmaster": {"clientId": "enc:id", "clientSecret": "enc:old"},
        "snds": {"key": "enc:k"},
    }
    shown = mask_secrets(
        {
            "postmaster": {"clientId": "enc:id", "clientSecret": None, "refreshToken": "x"},
            "snds": {"key": None},
        }
    )
    assert shown["postmaster"] == {
        "clientId": "***",
        "clientSecret": None,
        "refreshToken": "***",
        "configured": False,
    }
    assert shown["snds"] == {"key": None, "configured": False}
