"""Step 3 of an attempt: fetch the attachments and apply the tenant's large-file rules
(spec proxy.md §6.3, §9.4).

Every attempt fetches again (the adapter's cache makes that cheap). A file over the tenant's
``max_size_mb`` is attached with a warning (``warn``), fails the message
``attachment_too_large`` (``reject``) or goes out as a signed download link (``rewrite``):
the link is kept by ``Message.AttachmentOffloaded``, so a retry reuses it without fetching.
"""

from __future__ import annotations

import asyncio
import html
from datetime import UTC, datetime
from typing import NamedTuple

import msgspec

from application.ports import Clock
from application.sending.ports import (
    AttachmentFetcher,
    AttachmentFetchError,
    AttachmentTenant,
    DownloadStore,
    MimeFile,
)
from domain.sending.content import Attachment, MessageContent
from domain.sending.failure import AttemptFailure
from domain.sending.filenames import clean_filename
from domain.sending.message import Message
from domain.tenancy.tenant import Tenant

MIB = 1024 * 1024
DAY = 86_400


class Offload(NamedTuple):
    index: int
    file_id: str
    expires: float


class Link(NamedTuple):
    name: str
    size: int
    url: str
    expires: float


class Prepared(NamedTuple):
    """The attachments of one attempt: what to attach (None: nothing fetched), the content to
    build (with footers), warnings for ``Sent`` and new offloads to record."""

    content: MessageContent
    files: list[MimeFile] | None
    warnings: list[str]
    offloads: list[Offload]


class AttachmentWork(NamedTuple):
    """What the dispatcher needs for attachments beyond base64: built by the composition root."""

    fetcher: AttachmentFetcher
    downloads: DownloadStore
    clock: Clock  # the service clock: download links expire by it


class AttachmentsFailed(Exception):
    """A fetch failed (or a ``reject`` file was too large); ``offloads`` were stored before it
    and must still be recorded."""

    def __init__(self, failure: AttemptFailure, offloads: list[Offload]) -> None:
        super().__init__(failure.text)
        self.failure = failure
        self.offloads = offloads


async def prepare(work: AttachmentWork, tenant: Tenant, message: Message,
                  public_base_url: str | None) -> Prepared:
    """Raises ``AttachmentsFailed``."""
    content = message.content
    assert content is not None
    step = _Preparation(work, tenant, message, (public_base_url or "").rstrip("/"))
    try:
        for index, attachment in enumerate(content.attachments):
            await step.add(index, attachment)
    except AttachmentFetchError as exc:
        raise AttachmentsFailed(exc.failure, step.offloads) from exc
    return Prepared(with_footer(content, step.links), step.files, step.warnings, step.offloads)


class _Preparation:
    def __init__(self, work: AttachmentWork, tenant: Tenant, message: Message, base_url: str) -> None:
        self.work, self.message, self.base_url = work, message, base_url
        self.source = AttachmentTenant(tenant.tenant_id, tenant.settings.client_base_url,
                                       tenant.settings.client_attachment_path, tenant.settings.client_auth)
        self.rules = tenant.settings.large_file_config
        self.files: list[MimeFile] = []
        self.warnings: list[str] = []
        self.offloads: list[Offload] = []
        self.links: list[Link] = []

    async def add(self, index: int, attachment: Attachment) -> None:
        rules, downloads = self.rules, self.work.downloads
        name = clean_filename(attachment.filename)[0]
        known = self.message.offloaded.get(index)
        if known is not None and rules.enabled and rules.action == "rewrite":
            size = await asyncio.to_thread(downloads.size, known.file_id)
            if size is not None:  # a retry: the same link again, nothing fetched
                self.links.append(self._link(known.file_id, name, size, known.expires))
                return
        fetched = await self.work.fetcher.fetch(self.source, attachment)
        file: MimeFile = (attachment.filename, attachment.mime_type or fetched.mime_type, fetched.data)
        size = len(fetched.data)
        if not (rules.enabled and size / MIB > rules.max_size_mb):
            self.files.append(file)
            return
        over = f"attachment {name} is {_mb(size)} MB, over the {rules.max_size_mb:g} MB limit"
        if rules.action == "reject":
            raise AttachmentFetchError(AttemptFailure(kind="attachment_too_large", text=over))
        if rules.action == "warn":
            self.files.append(file)
            self.warnings.append(over)
            return
        expires = float(int(self.work.clock.now()) + rules.file_ttl_days * DAY)
        file_id = await asyncio.to_thread(downloads.store, fetched.data, name, file[1], expires=expires)
        self.offloads.append(Offload(index, file_id, expires))
        self.links.append(self._link(file_id, name, size, expires))

    def _link(self, file_id: str, name: str, size: int, expires: float) -> Link:
        url = self.work.downloads.url(self.base_url, file_id, name, int(expires))
        return Link(name, size, url, expires)


def _mb(size: int) -> str:
    return f"{size / MIB:.1f}"


def with_footer(content: MessageContent, links: list[Link]) -> MessageContent:
    """Each text part lists the links; an HTML part gets ``<hr>`` and a ``<ul>``, before
    ``</body>`` when it has one."""
    if not links:
        return content
    expiry = datetime.fromtimestamp(min(link.expires for link in links), UTC).strftime("%Y-%m-%d")
    plain = "\n\n-- \nLarge attachments (available until " + expiry + "):\n" + "".join(
        f"{link.name} ({_mb(link.size)} MB): {link.url}\n" for link in links)
    items = "".join(f'<li><a href="{html.escape(link.url)}">{html.escape(link.name)}</a> '
                    f"({_mb(link.size)} MB)</li>" for link in links)
    rich = f"<hr><p>Large attachments (available until {expiry}):</p><ul>{items}</ul>"
    changes: dict[str, str] = {}
    if content.text is not None:
        changes["text"] = content.text + plain
    if content.html is not None:
        changes["html"] = _into_html(content.html, rich)
    if content.text is None and content.html is None:
        changes["body"] = (_into_html(content.body, rich) if content.content_type == "html"
                           else content.body + plain)
    return msgspec.structs.replace(content, **changes)


def _into_html(document: str, fragment: str) -> str:
    at = document.lower().rfind("</body>")
    return document + fragment if at < 0 else document[:at] + fragment + document[at:]
