"""The MIME message, the SMTP envelope, VERP tokens and sent filenames (spec proxy.md §5.5, §9.3, §10.3)."""

from __future__ import annotations

from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.mime import build_mime, envelope, verp_address, verp_token_to_pk
from domain.sending.content import MessageContent
from domain.sending.filenames import clean_filename
from domain.sending.verp import pk_from_verp_address, pk_to_verp_token

pytestmark = pytest.mark.unit

PK = UUID("0b6f3c1e-8a41-4c55-9d2e-3f7a1b2c4d5e")
TOP = ["From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "MIME-Version", "X-Ledgermail-Id"]


def content(**changes: Any) -> MessageContent:
    fields: dict[str, Any] = {"from_addr": "a@acme.test", "to": ["u@dest.test"], "subject": "s", "body": "b"}
    return MessageContent(**{**fields, **changes})


def built(message: MessageContent, attachments: list[tuple[str, str | None, bytes]] | None = None) -> bytes:
    return build_mime(message, message_id="<m1@acme.test>", date=0.0, pk=PK, attachments=attachments or [])


def parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=email_policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text(part: EmailMessage) -> str:
    """Decoded text with the wire's CRLF line ends turned back into the submitted LF."""
    return str(part.get_content()).replace("\r\n", "\n")


def test_headers_come_in_the_contract_order_then_custom_ones() -> None:
    message = content(
        cc=["c@dest.test"], bcc=["hidden@dest.test"], reply_to="Help <h@acme.test>",
        headers=[("X-Campaign", "c1"), ("List-Id", "<news.acme.test>"), ("X-Campaign", "c2")],
    )  # fmt: skip
    result = parsed(built(message))
    names = list(result.keys())
    assert names[: len(TOP)] == TOP
    assert names[len(TOP) : len(TOP) + 3] == ["X-Campaign", "List-Id", "X-Campaign"]
    assert result.get_all("X-Campaign") == ["c1", "c2"]
    assert result["X-Ledgermail-Id"] == str(PK)
    assert result["Message-ID"] == "<m1@acme.test>"
    assert result["Date"] == "Thu, 01 Jan 1970 00:00:00 +0000"
    assert result["Reply-To"] == "Help <h@acme.test>"


def test_bcc_is_never_a_header() -> None:
    raw = built(content(bcc=["hidden@dest.test"]))
    assert b"hidden@dest.test" not in raw and "Bcc" not in parsed(raw)


def test_non_ascii_headers_are_encoded_words_and_the_output_is_seven_bit() -> None:
    raw = built(
        content(subject="Grüße aus Köln", from_addr="Jöhn <a@acme.test>", headers=[("X-Note", "été")])
    )
    assert raw.isascii()
    assert b"Subject: =?utf-8?" in raw
    result = parsed(raw)
    assert (result["Subject"], result["From"], result["X-Note"]) == (
        "Grüße aus Köln",
        "Jöhn <a@acme.test>",
        "été",
    )


def test_lines_stay_short_and_long_text_survives() -> None:
    body = "é" + "x" * 3000 + "\n" + "y" * 10 + "\n"
    raw = built(content(body=body, subject="z" * 998, headers=[("X-Long", "q" * 990)]))
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    result = parsed(raw)
    assert text(result) == body
    assert (result["Subject"], result["X-Long"]) == ("z" * 998, "q" * 990)


def test_custom_headers_are_opaque_text() -> None:
    raw = built(content(headers=[("Resent-Date", "soon"), ("Sender", "not an address")]))
    assert b"\r\nResent-Date: soon\r\nSender: not an address\r\n" in raw


@pytest.mark.parametrize(("content_type", "mime"), [("plain", "text/plain"), ("html", "text/html")])
def test_a_body_is_one_utf8_part_of_its_content_type(content_type: str, mime: str) -> None:
    result = parsed(built(content(body="héllo", content_type=content_type)))
    assert not result.is_multipart()
    assert result.get_content_type() == mime and result.get_content_charset() == "utf-8"
    assert result["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
    assert text(result) == "héllo\n"


def test_text_and_html_make_an_alternative_text_first() -> None:
    result = parsed(built(content(body="", text="plain words", html="<p>html words</p>")))
    assert result.get_content_type() == "multipart/alternative"
    parts = list(result.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content().strip() == "plain words"
    assert parts[1].get_content().strip() == "<p>html words</p>"


@pytest.mark.parametrize(("field", "mime"), [("text", "text/plain"), ("html", "text/html")])
def test_text_or_html_alone_is_a_single_part(field: str, mime: str) -> None:
    result = parsed(built(content(body="", **{field: "only"})))
    assert not result.is_multipart() and result.get_content_type() == mime


def test_attachments_wrap_the_body_in_mixed() -> None:
    attachments: list[tuple[str, str | None, bytes]] = [
        ("a.txt", "text/plain", b"Hello"),
        ("r_{MD5:0cc175b9c0f1b6a831c399e269772661}.pdf", None, b"a"),
        ("naïve.bin", "application/octet-stream", bytes(range(256))),
        ("note.eml", "message/rfc822", b"Subject: x\r\n\r\nbody"),
    ]
    result = parsed(built(content(body="", text="t", html="<p>h</p>"), attachments))
    assert result.get_content_type() == "multipart/mixed"
    body, *files = list(result.iter_parts())
    assert body.get_content_type() == "multipart/alternative"
    assert [part.get_filename() for part in files] == ["a.txt", "r.pdf", "naïve.bin", "note.eml"]
    assert [part.get_content_type() for part in files] == [
        "text/plain", "application/pdf", "application/octet-stream", "application/octet-stream",
    ]  # fmt: skip
    assert [part.get_payload(decode=True) for part in files] == [item[2] for item in attachments]
    assert all(part.get_content_disposition() == "attachment" for part in files)


def test_a_single_body_part_with_an_attachment() -> None:
    result = parsed(built(content(), [("a.txt", "text/plain", b"x")]))
    first, second = list(result.iter_parts())
    assert first.get_content_type() == "text/plain" and first.get_content().strip() == "b"
    assert second.get_filename() == "a.txt"
    assert list(result.keys()).count("MIME-Version") == 1
    assert all("MIME-Version" not in part for part in (first, second))


# -- envelope ---------------------------------------------------------------------------


def test_mail_from_is_return_path_else_verp_else_from() -> None:
    verp = verp_address("bounces@mx.example", PK)
    assert envelope(content(return_path="rp@acme.test"), verp_address=verp).mail_from == "rp@acme.test"
    assert envelope(content(from_addr="Ann <a@acme.test>"), verp_address=verp).mail_from == verp
    assert envelope(content(from_addr="Ann <a@acme.test>")).mail_from == "a@acme.test"


def test_rcpt_to_is_everyone_deduplicated_minus_suppressed() -> None:
    message = content(
        to=["Ann <Ann@dest.test>", "b@dest.test"], cc=["ann@DEST.test", "c@dest.test"],
        bcc=["hidden@dest.test", "B@dest.test"],
    )  # fmt: skip
    result = envelope(message, suppressed={"C@dest.test"})
    assert result.rcpt_to == ["Ann@dest.test", "b@dest.test", "hidden@dest.test"]
    assert result.suppressed == ["c@dest.test"]
    mail_from, rcpt_to, suppressed = envelope(content())
    assert (mail_from, rcpt_to, suppressed) == ("a@acme.test", ["u@dest.test"], [])


# -- VERP -------------------------------------------------------------------------------


def test_verp_token_is_26_lower_case_base32_characters_and_round_trips() -> None:
    for pk in (PK, uuid4(), UUID(int=0), UUID(int=2**128 - 1)):
        address = verp_address("bounces@mx.example", pk)
        local, domain = address.split("@")
        token = local.removeprefix("bounces+")
        assert domain == "mx.example" and len(token) == 26 and token == token.lower()
        assert token == pk_to_verp_token(pk)
        assert verp_token_to_pk(token) == pk and verp_token_to_pk(token.upper()) == pk
        assert pk_from_verp_address(f"<{address.upper()}>", "bounces@mx.example") == pk


@pytest.mark.parametrize("token", ["", "abc", "a" * 27, "1" * 26, pk_to_verp_token(PK)[:-1] + "b"])
def test_strings_that_are_not_tokens_give_none(token: str) -> None:
    assert verp_token_to_pk(token) is None


def test_only_our_return_path_carries_a_pk() -> None:
    address = verp_address("bounces@mx.example", PK)
    assert pk_from_verp_address(address, "other@mx.example") is None
    assert pk_from_verp_address(address.replace("mx.example", "mx.test"), "bounces@mx.example") is None
    assert pk_from_verp_address("bounces@mx.example", "bounces@mx.example") is None


# -- filenames --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "sent", "md5"),
    [
        ("report_{MD5:ab12}.pdf", "report.pdf", "ab12"),
        ("r_{MD5:0CC175B9C0F1B6A831C399E269772661}.pdf", "r.pdf", "0cc175b9c0f1b6a831c399e269772661"),
        ("{MD5:ab}_report__2024_.pdf", "report_2024.pdf", "ab"),
        ("__a_{MD5:ab}_b__", "a_b", "ab"),
        ("my__notes_.txt", "my__notes_.txt", None),  # no marker: nothing to tidy
        ("{MD5:xyz}.pdf", "{MD5:xyz}.pdf", None),  # not hex: not a marker
    ],
)
def test_md5_markers_are_removed_from_the_sent_name(given: str, sent: str, md5: str | None) -> None:
    assert clean_filename(given) == (sent, md5)
    assert clean_filename(sent)[0] == sent
