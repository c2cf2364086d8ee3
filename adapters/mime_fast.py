"""The common message written straight to bytes: the same RFC 5322 output as ``adapters.mime``
for ASCII-addressed mail, at a tenth of the cost.

The stdlib builder parses every header it is given back into a tree (the header registry)
and folds it again: two thirds of the dispatcher's event-loop time went there. Nearly every
message is plain: ASCII addresses, a subject, a text and/or html body, perhaps attachments
with ASCII names. Those are written here directly; anything else (non-ASCII in a display
name, a custom header or a filename, a header too long to fold simply) answers ``None`` and
``build_mime`` takes the stdlib path. ``tests/unit/test_mime_fast.py`` checks that both
paths parse to the same message.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
import uuid
from collections.abc import Sequence

from domain.sending.addresses import parse_mailbox
from domain.sending.content import MessageContent

CRLF = "\r\n"
MAX_LINE = 78  # RFC 5322 §2.1.1: SHOULD; the stdlib policy uses the same
_ATOM_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*")
_HEADER_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 ftext
_WORD_OCTETS = 39  # 52 base64 characters + 12 of the word's frame
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class NotSimple(Exception):
    """This message needs the stdlib builder."""


def build_simple(content: MessageContent, *, message_id: str, date_header: str, pk: str,
                 attachments: Sequence[tuple[str, str, bytes]]) -> bytes | None:
    """The message, or None when it is not simple. ``attachments``: (clean filename, mime
    type, bytes), already resolved by ``adapters.mime``."""
    try:
        lines = _headers(content, message_id, date_header, pk)
        body = _body(content, attachments)
    except NotSimple:
        return None
    return (CRLF.join(lines) + CRLF + body).encode("ascii")


def _headers(content: MessageContent, message_id: str, date_header: str, pk: str) -> list[str]:
    lines = [_header("From", _mailbox(content.from_addr)),
             _header("To", ", ".join(_mailbox(m) for m in content.to))]
    if content.cc:
        lines.append(_header("Cc", ", ".join(_mailbox(m) for m in content.cc)))
    if content.reply_to:
        lines.append(_header("Reply-To", _mailbox(content.reply_to)))
    lines += [_header("Subject", _unstructured(content.subject)), f"Date: {date_header}",
              _header("Message-ID", _ascii(message_id)), "MIME-Version: 1.0", f"X-Ledgermail-Id: {pk}"]
    for name, value in content.headers:
        if not _HEADER_NAME.fullmatch(name):
            raise NotSimple
        lines.append(_header(name, _ascii(value)))
    return lines


def _mailbox(text: str) -> str:
    mailbox = parse_mailbox(text)
    if not mailbox.name:
        return mailbox.addr_spec
    name = mailbox.name
    if not name.isascii() or _CONTROL.search(name) or "=?" in name:
        raise NotSimple
    if not _ATOM_PHRASE.fullmatch(name) or name != " ".join(name.split()):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{mailbox.addr_spec}>"


def _unstructured(value: str) -> str:
    if not value.isascii():
        return _encoded_words(value)
    return _ascii(value)


def _ascii(value: str) -> str:
    if not value.isascii() or _CONTROL.search(value) or "=?" in value:
        raise NotSimple  # CR/LF (header injection) and look-alike encoded words: stdlib decides
    return value


def _encoded_words(value: str) -> str:
    """RFC 2047 base64 words, split between characters, each short enough that even the first
    (after ``Subject: ``) stays within ``MAX_LINE``."""
    if _CONTROL.search(value):
        raise NotSimple
    words, chunk = [], b""
    for char in value:
        octets = char.encode("utf-8")
        if len(chunk) + len(octets) > _WORD_OCTETS:
            words.append(chunk)
            chunk = b""
        chunk += octets
    words.append(chunk)
    return (CRLF + " ").join(f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words)


def _header(name: str, value: str) -> str:
    """``Name: value`` folded at spaces to ``MAX_LINE``; a word that cannot fit: not simple."""
    line = f"{name}: {value}"
    if len(line) <= MAX_LINE or CRLF in value:
        return line
    out, current = [], f"{name}:"
    for word in value.split(" "):
        if not word:
            raise NotSimple  # runs of spaces: folding them is the stdlib's business
        if len(current) + 1 + len(word) > MAX_LINE and current != f"{name}:":
            out.append(current)
            current = ""
        current += " " + word
        if len(current) > 998:
            raise NotSimple
    out.append(current)
    return CRLF.join(out)


def _body(content: MessageContent, attachments: Sequence[tuple[str, str, bytes]]) -> str:
    if content.text is not None and content.html is not None:
        main = _alternative(content.text, content.html)
    elif content.html is not None:
        main = _text_part("html", content.html)
    elif content.text is not None:
        main = _text_part("plain", content.text)
    else:
        main = _text_part(content.content_type, content.body)
    if not attachments:
        return main
    parts = [main] + [_attachment(*a) for a in attachments]
    return _multipart("mixed", parts)


def _alternative(text: str, html: str) -> str:
    return _multipart("alternative", [_text_part("plain", text), _text_part("html", html)])


def _multipart(subtype: str, parts: list[str]) -> str:
    boundary = f"===============ledgermail{uuid.uuid4().hex}=="
    out = [f'Content-Type: multipart/{subtype}; boundary="{boundary}"', ""]
    for part in parts:
        out += [f"--{boundary}", part]  # each part ends in CRLF: the delimiter's own CRLF
    out += [f"--{boundary}--", ""]
    return CRLF.join(out)


def _text_part(subtype: str, text: str) -> str:
    cte, encoded = _encode_text(text)
    return (f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
            f"Content-Transfer-Encoding: {cte}{CRLF}{CRLF}{encoded}")


def _encode_text(text: str) -> tuple[str, str]:
    """The stdlib content manager's choice: 7bit when ASCII with short lines, else the shorter
    of quoted-printable and base64 (judged on the first ten lines, as it does)."""
    lines = text.encode("utf-8").splitlines()
    if max((len(x) for x in lines), default=0) <= MAX_LINE and text.isascii():
        return "7bit", CRLF.join(line.decode("ascii") for line in lines) + CRLF
    raw = b"\r\n".join(lines) + b"\r\n"
    sniff = b"\r\n".join(lines[:10]) + b"\r\n"
    if len(quopri.encodestring(sniff)) > len(binascii.b2a_base64(sniff)):
        return "base64", _base64_lines(raw)
    encoded = binascii.b2a_qp(b"\n".join(lines) + b"\n", istext=True).decode("ascii")
    return "quoted-printable", encoded.replace("\n", CRLF)


def _attachment(filename: str, mime_type: str, data: bytes) -> str:
    if not filename.isascii() or _CONTROL.search(filename) or '"' in filename or "\\" in filename:
        raise NotSimple  # RFC 2231 parameters: the stdlib writes them
    if len(filename) > 50:
        raise NotSimple  # a long name gets folded parameters
    return (f"Content-Type: {mime_type}{CRLF}Content-Transfer-Encoding: base64{CRLF}"
            f'Content-Disposition: attachment; filename="{filename}"{CRLF}{CRLF}{_base64_lines(data)}')


def _base64_lines(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii").replace("\n", CRLF)
