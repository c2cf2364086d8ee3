"""Classification, error texts and the retry schedule (spec proxy.md §6.4)."""

from __future__ import annotations

import pytest

from domain.sending.classify import classify, enhanced_code, is_temporary_reply, smtp_error_text
from domain.sending.failure import AttemptFailure, FailureKind
from domain.sending.retry import (
    exhausted_error,
    hinted_delay,
    next_delay,
    retries_exhausted,
    retry_delay,
)

pytestmark = pytest.mark.unit

DELAYS = [60.0, 300.0, 900.0, 3600.0, 7200.0]


def smtp(code: int, text: str = "x") -> AttemptFailure:
    return AttemptFailure(kind="smtp_reply", text=f"SMTP {code} {text}", code=code)


def of(kind: FailureKind) -> AttemptFailure:
    return AttemptFailure(kind=kind, text=kind)


# --- classification ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "temporary", "code"),
    [
        (of("tls_certificate"), False, "tls_certificate"),
        (of("tls_unavailable"), False, "tls_unavailable"),
        (smtp(530), False, "smtp_auth"),
        (smtp(534), False, "smtp_auth"),
        (smtp(535), False, "smtp_auth"),
        (smtp(454, "4.7.0 auth temporarily unavailable"), True, "retries_exhausted"),
        (smtp(421), True, "retries_exhausted"),
        (smtp(451), True, "retries_exhausted"),
        (smtp(550), False, "smtp_permanent"),
        (smtp(554), False, "smtp_permanent"),
        (of("network"), True, "retries_exhausted"),
        (of("attachment_permanent"), False, "attachment_failed"),
        (of("attachment_temporary"), True, "retries_exhausted"),
        (of("attachment_too_large"), False, "attachment_too_large"),
        (of("build"), False, "build_failed"),
        (of("other"), True, "retries_exhausted"),
        (AttemptFailure(kind="smtp_reply", text="garbled reply"), True, "retries_exhausted"),  # rule 9
    ],
)
def test_classification_follows_the_rules_in_order(
    failure: AttemptFailure, temporary: bool, code: str
) -> None:
    verdict = classify(failure)
    assert (verdict.temporary, verdict.error_code) == (temporary, code)
    temporary_again, code_again = verdict  # a plain pair as well
    assert (temporary_again, code_again) == (temporary, code)


def test_only_4xx_replies_are_temporary_replies() -> None:
    assert is_temporary_reply(smtp(451)) and not is_temporary_reply(smtp(550))
    assert not is_temporary_reply(of("network"))


# --- error texts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "text", "enhanced", "expected"),
    [
        (550, "user unknown", "5.1.1", "SMTP 550 5.1.1 user unknown"),
        (550, "5.1.1 user unknown", None, "SMTP 550 5.1.1 user unknown"),
        (550, "5.1.1 user unknown", "5.1.1", "SMTP 550 5.1.1 user unknown"),
        (451, "4.3.0 try later\n4.3.0 see https://x.test", None, "SMTP 451 4.3.0 try later see https://x.test"),
        (421, "  too   many\r\n connections ", None, "SMTP 421 too many connections"),
        (554, "", None, "SMTP 554"),
        (535, "Authentication failed", "5.7.8", "SMTP 535 5.7.8 Authentication failed"),
    ],
)
def test_smtp_error_texts_carry_both_codes_on_one_line(
    code: int, text: str, enhanced: str | None, expected: str
) -> None:
    assert smtp_error_text(code, text, enhanced) == expected


@pytest.mark.parametrize(
    ("text", "found"),
    [("5.1.1 user unknown", "5.1.1"), (" 4.7.1 try again", "4.7.1"), ("2.0.0", "2.0.0"),
     ("user 5.1.1 unknown", None), ("5.1 user", None), ("5.1.1x", None), ("", None)],
)
def test_the_enhanced_code_is_read_from_the_start_of_a_reply(text: str, found: str | None) -> None:
    assert enhanced_code(text) == found


# --- the schedule ------------------------------------------------------------------------


@pytest.mark.parametrize(("retry", "base"), [(1, 60), (2, 300), (3, 900), (4, 3600), (5, 7200), (6, 7200),
                                             (50, 7200)])
def test_retry_n_waits_the_nth_delay_and_the_last_one_repeats(retry: int, base: float) -> None:
    assert retry_delay(retry, DELAYS, 0.0, 0.3) == base
    assert retry_delay(retry, DELAYS, 0.1, 0.5) == pytest.approx(base)


@pytest.mark.parametrize("rand", [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
@pytest.mark.parametrize("jitter", [0.0, 0.1, 0.5])
def test_jitter_stays_within_its_band(rand: float, jitter: float) -> None:
    delay = retry_delay(2, DELAYS, jitter, rand)
    assert 300 * (1 - jitter) - 1e-9 <= delay <= 300 * (1 + jitter) + 1e-9
    assert retry_delay(2, DELAYS, 0.1, 0.0) == pytest.approx(270)
    assert retry_delay(2, DELAYS, 0.1, 1.0) == pytest.approx(330)


@pytest.mark.parametrize(("retry", "delays", "rand"), [(0, DELAYS, 0.5), (1, [], 0.5), (1, DELAYS, 1.5),
                                                       (1, DELAYS, -0.1)])
def test_a_retry_delay_refuses_nonsense(retry: int, delays: list[float], rand: float) -> None:
    with pytest.raises(ValueError):
        retry_delay(retry, delays, 0.1, rand)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("4.7.1 Try again in 90 seconds", 90),
        ("try again in 5 minutes", 300),
        ("Try again in 1 minute", 60),
        ("TRY AGAIN IN 30 SECS", 30),
        ("try again in 2 min please", 120),
        ("try  again after 45s", 45),
        ("Too many connections, retry after 120", 120),
        ("retry in 10 seconds", 10),
        ("try again in 2 hours", 7200),
        ("try again in 0.2 seconds", 1),  # clamped up to 1 s
        ("try again in 0 seconds", 1),
        ("try again in 5000 minutes", 86400),  # clamped down to 24 h
        ("try again later", None),
        ("greylisted, come back soon", None),
        ("", None),
    ],
)
def test_a_server_hint_names_the_delay(text: str, seconds: float | None) -> None:
    assert hinted_delay(text) == seconds


def test_the_hint_is_used_only_for_4xx_replies_and_without_jitter() -> None:
    hinted = AttemptFailure(kind="smtp_reply", text="SMTP 451 4.7.1 Try again in 90 seconds", code=451)
    assert next_delay(hinted, 3, DELAYS, 0.5, 1.0) == 90
    permanent = AttemptFailure(kind="smtp_reply", text="SMTP 554 try again in 90 seconds", code=554)
    network = AttemptFailure(kind="network", text="reset; try again in 90 seconds")
    assert next_delay(permanent, 1, DELAYS, 0.0, 0.5) == 60
    assert next_delay(network, 1, DELAYS, 0.0, 0.5) == 60
    assert next_delay(smtp(451, "4.3.0 later"), 2, DELAYS, 0.0, 0.5) == 300


@pytest.mark.parametrize(("count", "max_retries", "done"), [(0, 5, False), (4, 5, False), (5, 5, True),
                                                            (6, 5, True), (0, 0, True)])
def test_retries_run_out_at_max_retries(count: int, max_retries: int, done: bool) -> None:
    assert retries_exhausted(count, max_retries) is done


def test_the_exhausted_error_names_the_limit_and_the_last_error() -> None:
    text = exhausted_error(5, "SMTP 451 4.3.0 try later")
    assert text == "max retries (5) exceeded: SMTP 451 4.3.0 try later"
