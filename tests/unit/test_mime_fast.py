"""The direct writer and the stdlib builder produce the same message (adapters/mime_fast.py)."""

from __future__ import annotations

from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any
from uuid import UUID

import pytest

from adapters.mime import build_with_stdlib
from adapters.mime_fast import build_simple
from domain.sending.content import MessageContent

pytestmark = pytest.mark.unit

PK = "0b6f3c1e-8a41-4c55-9d2e-3f7a1b2c4d5e"
DATE = "Thu, 01 Jan 1970 00:00:00 +0000"
PNG = bytes(range(256)) * 5

SIMPLE: dict[str, dict[str, Any]] = {
    "plain ascii": {},
    "html only": {"html": "<p>Hello <b>there</b></p>"},
    "text and html": {"text": "Hi\nthere\n", "html": "<p>Hi</p>"},
    "non-ascii subject and body": {"subject": "Grüße aus Köln, ça va? " * 4, "body": "Grüße\n" * 30},
    "long ascii subject": {"subject": "word " * 40 + "end"},
    "long body lines": {"body": "x" * 3000 + "\nshort\n"},
    "trailing spaces and dots": {"body": "line with trailing space \n.\n..\nend"},
    "names needing quotes": {
        "from_addr": '"Doe, John Q." <j@acme.test>',
        "to": ['"A \\"B\\"" <b@dest.test>', "c@dest.test"],
    },
    "plain names": {
        "from_addr": "Acme News <news@acme.test>",
        "cc": ["Carol <c@dest.test>"],
        "reply_to": "Help <h@acme.test>",
    },
    "many recipients": {"to": [f"User Number {i} <user{i}@dest.test>" for i in range(12)]},
    "custom headers": {
        "headers": [
            ("X-Campaign", "c1"),
            ("List-Unsubscribe", "<https://acme.test/u?x=1>"),
            ("X-Campaign", "c2"),
        ]
    },
    "attachments": {
        "text": "see attached",
        "html": "<p>see</p>",
        "files": [("report.pdf", "application/pdf", PNG), ("a.txt", "text/plain", b"hi\n")],
    },
    "attachment only body": {"body": "b", "files": [("pic.png", "image/png", PNG)]},
}

NOT_SIMPLE: dict[str, dict[str, Any]] = {
    "non-ascii display name": {"from_addr": "Jöhn <a@acme.test>"},
    "non-ascii custom header": {"headers": [("X-Note", "été")]},
    "non-ascii filename": {"files": [("résumé.pdf", "application/pdf", b"x")]},
    "encoded-word look-alike": {"subject": "=?utf-8?q?hi?="},
    "double spaces in a long subject": {"subject": "a  b " * 30},
}


def content(changes: dict[str, Any]) -> tuple[MessageContent, list[tuple[str, str, bytes]]]:
    fields: dict[str, Any] = {"from_addr": "a@acme.test", "to": ["u@dest.test"], "subject": "s", "body": "b"}
    changes = dict(changes)
    files = changes.pop("files", [])
    return MessageContent(**{**fields, **changes}), files


def parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=email_policy.default)
    assert isinstance(message, EmailMessage)
    return message


def shape(message: EmailMessage) -> list[Any]:
    """Everything a reader sees: decoded headers (minus boundaries), the tree, each body."""
    out: list[Any] = []
    for part in message.walk():
        headers = [(k, str(v)) for k, v in part.items() if k.lower() != "content-type"]
        out.append((part.get_content_type(), part.get_content_charset(), part.get_filename(), headers))
        if not part.is_multipart():
            body = part.get_content()
            out.append(body.replace("\r\n", "\n") if isinstance(body, str) else body)
    return out


@pytest.mark.parametrize("case", SIMPLE, ids=list(SIMPLE))
def test_simple_messages_match_the_stdlib_builder(case: str) -> None:
    message, files = content(SIMPLE[case])
    fast = build_simple(message, message_id="<m1@acme.test>", date_header=DATE, pk=PK, attachments=files)
    assert fast is not None, "expected the direct path"
    slow = build_with_stdlib(message, message_id="<m1@acme.test>", date_header=DATE, pk=UUID(PK), files=files)
    assert fast.isascii()
    assert max(len(line) for line in fast.split(b"\r\n")) <= 998
    assert b"\n" not in fast.replace(b"\r\n", b"")  # CRLF only
    assert shape(parsed(fast)) == shape(parsed(slow))


@pytest.mark.parametrize("case", NOT_SIMPLE, ids=list(NOT_SIMPLE))
def test_the_rest_goes_to_the_stdlib(case: str) -> None:
    message, files = content(NOT_SIMPLE[case])
    assert (
        build_simple(message, message_id="<m1@acme.test>", date_header=DATE, pk=PK, attachments=files) is None
    )


def test_header_injection_is_never_written_directly() -> None:
    message, _ = content({"headers": [("X-Evil", "a\r\nBcc: victim@dest.test")]})
    assert build_simple(message, message_id="<m1@acme.test>", date_header=DATE, pk=PK, attachments=[]) is None
