"""The dispatcher's ``MimeBuilder``: ``adapters.mime.build_mime`` with the attempt's Date.

The attachments come fetched (``adapters.attachments``, spec proxy.md §9) as ``files``.
Without them only inline (``base64``) attachments can be built: one that needs a fetch fails
``build_failed`` rather than going out without its files.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from adapters.mime import build_mime
from application.sending.ports import MimeFile
from domain.sending.attachment_entry import decode_base64
from domain.sending.content import MessageContent


class AttachmentNotAvailable(ValueError):
    """An attachment this build cannot produce."""


def build_message(content: MessageContent, *, message_id: str, date: str, pk: UUID,
                  files: Sequence[MimeFile] | None = None) -> bytes:
    attached = list(files) if files is not None else _inline(content)
    # the Date of the first attempt, exactly as recorded: every retry repeats it
    return build_mime(content, message_id=message_id, date=date, pk=pk,
                      attachments=attached)


def _inline(content: MessageContent) -> list[MimeFile]:
    files: list[MimeFile] = []
    for attachment in content.attachments:
        if attachment.fetch_mode != "base64":
            raise AttachmentNotAvailable(
                f"attachment {attachment.filename}: no fetcher for {attachment.fetch_mode} attachments")
        data = decode_base64(attachment.storage_path)
        if data is None:
            raise AttachmentNotAvailable(f"attachment {attachment.filename}: bad base64")
        files.append((attachment.filename, attachment.mime_type, data))
    return files
