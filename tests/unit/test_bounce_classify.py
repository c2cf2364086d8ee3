"""The classification table of spec proxy.md §10.2, rule by rule (domain.bounces.classify)."""

from __future__ import annotations

import pytest

from domain.bounces.classify import classify_bounce, classify_refusal, find_enhanced, find_reply

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("status", "reply", "text", "expected"), [
    ("5.1.1", 550, "user unknown", ("hard", "5.1.1", "recipient")),
    ("5.1.2", None, "host not found", ("hard", "5.1.2", "recipient")),
    ("5.1.3", 553, "bad address syntax", ("hard", "5.1.3", "recipient")),
    ("5.1.10", 550, "RecipientNotFound", ("hard", "5.1.10", "recipient")),
    ("5.5.0", 550, "mailbox unavailable", ("hard", "5.5.0", "recipient")),
    ("5.7.1", 554, "blocked using zen.spamhaus.org", ("soft", "5.7.1", "policy")),
    ("4.7.1", 450, "greylisted", ("soft", "4.7.1", "policy")),
    ("5.7.26", 550, "unauthenticated", ("soft", "5.7.26", "policy")),
    ("5.2.2", 552, "mailbox full", ("soft", "5.2.2", "mailbox")),
    ("5.0.0", 550, "Unrouteable address", ("hard", "5.0.0", "recipient")),
    (None, 551, "user not local", ("hard", None, "recipient")),
    (None, None, "Sorry, no mailbox here by that name", ("hard", None, "recipient")),
    (None, 554, "This user doesn't have a yahoo.com account", ("hard", None, "recipient")),
    ("5.0.0", 554, "Service unavailable", ("soft", "5.0.0", "other")),
    ("5.4.1", 550, "Recipient address rejected: Access denied", ("soft", "5.4.1", "other")),
    (None, 554, "Message rejected due to content", ("soft", None, "other")),
    ("4.4.1", None, "Connection timed out", ("soft", "4.4.1", "transient")),
    (None, 421, "try later", ("soft", None, "transient")),
    (None, None, "retry timeout exceeded", ("soft", None, "unknown")),
    (None, None, "Mailbox quota exceeded", ("soft", "5.2.2", "mailbox")),
])
def test_the_table_first_match_wins(status: str | None, reply: int | None, text: str,
                                    expected: tuple[str, str | None, str]) -> None:
    assert tuple(classify_bounce(status, reply, text)) == expected


def test_a_delayed_block_is_never_hard_and_never_suppresses() -> None:
    verdict = classify_bounce("5.1.1", 550, "user unknown", delayed=True)
    assert verdict.bounce_type == "soft" and not verdict.suppresses
    assert classify_bounce("5.1.1", 550, "user unknown").suppresses


def test_smtp_refusals_use_the_same_table() -> None:
    assert tuple(classify_refusal(550, "5.1.1 user unknown")) == ("hard", "5.1.1", "recipient")
    assert tuple(classify_refusal(550, "5.7.1 blocked")) == ("soft", "5.7.1", "policy")
    assert tuple(classify_refusal(550, "no such user here")) == ("hard", None, "recipient")
    assert tuple(classify_refusal(452, "4.2.2 over quota")) == ("soft", "4.2.2", "transient")


def test_codes_are_found_in_text() -> None:
    assert find_enhanced("550-5.1.1 The email account") == "5.1.1"
    assert find_enhanced("(#5.2.2)") == "5.2.2"
    assert find_enhanced("version 10.5.1.2") is None
    assert find_reply("Remote host said: 553 5.7.2 [TSS09]") == 553
    assert find_reply("no code here") is None
