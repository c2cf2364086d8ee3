"""The dispatcher's ``MimeBuilder``: ``adapters.mime.build_mime`` with the attempt's Date.

Attachments given inline (``base64``) are decoded here. Fetching the other kinds (client
endpoint, URL, filesystem; spec proxy.md §9) belongs to the attachments work: until it lands,
a message that needs a fetch fails ``build_failed`` rather than going out without its files.
"""

from __future__ import annotations

import base64
import binascii
from email.utils import parsedate_to_datetime
from uuid import UUID

from adapters.mime import build_mime
from domain.sending.content import MessageContent


class AttachmentNotAvailable(ValueError):
    """An attachment this build cannot produce."""


def build_message(content: MessageContent, *, message_id: str, date: str, pk: UUID) -> bytes:
    files: list[tuple[str, str | None, bytes]] = []
    for attachment in content.attachments:
        if attachment.fetch_mode != "base64":
            raise AttachmentNotAvailable(
                f"attachment {attachment.filename}: fetching {attachment.fetch_mode} attachments "
                "is not supported yet")
        try:
            data = base64.b64decode(attachment.storage_path, validate=True)
        except binascii.Error as exc:
            raise AttachmentNotAvailable(f"attachment {attachment.filename}: bad base64") from exc
        files.append((attachment.filename, attachment.mime_type, data))
    # the Date of the first attempt, exactly as recorded: every retry repeats it
    return build_mime(content, message_id=message_id, date=parsedate_to_datetime(date), pk=pk,
                      attachments=files)
