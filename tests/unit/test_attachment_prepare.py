"""Large-file rules at attempt time (spec proxy.md §9.4), with in-memory fetcher and store."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from application.sending.dispatch_attachments import AttachmentsFailed, AttachmentWork, Offload, prepare
from application.sending.ports import AttachmentFetchError, AttachmentTenant, FetchedFile
from domain.sending.content import Attachment, MessageContent
from domain.sending.failure import AttemptFailure
from domain.tenancy.settings import LargeFileConfig, TenantSettings

pytestmark = pytest.mark.unit
MIB = 1024 * 1024


class Fetcher:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.fetched: list[str] = []

    async def fetch(self, tenant: AttachmentTenant, attachment: Attachment) -> FetchedFile:
        self.fetched.append(attachment.storage_path)
        if attachment.storage_path not in self.files:
            raise AttachmentFetchError(AttemptFailure(kind="attachment_permanent", text="HTTP 404"))
        return FetchedFile(self.files[attachment.storage_path], "application/pdf")


class Downloads:
    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}

    def store(self, data: bytes, filename: str, mime_type: str | None, *, expires: float) -> str:
        file_id = f"f{len(self.stored)}".ljust(22, "x")
        self.stored[file_id] = data
        return file_id

    def size(self, file_id: str) -> int | None:
        return len(self.stored[file_id]) if file_id in self.stored else None

    def url(self, base_url: str, file_id: str, filename: str, expires: int) -> str:
        return f"{base_url}/downloads/{file_id}/{filename}?expires={expires}&sig=s"


def run(action: str, paths: list[str], files: dict[str, bytes], offloaded: dict[int, Any] | None = None,
        downloads: Downloads | None = None) -> tuple[Any, Fetcher, Downloads]:
    fetcher, downloads = Fetcher(files), downloads or Downloads()
    content = MessageContent(from_addr="a@x.test", to=["u@y.test"], subject="s", body="b",
                             attachments=[Attachment(filename=f"{p}.pdf", storage_path=p,
                                                                     fetch_mode="endpoint") for p in paths])
    settings = TenantSettings(name="acme", client_base_url="http://c.test", large_file_config=LargeFileConfig(
        enabled=True, max_size_mb=1, action=action, file_ttl_days=2))  # type: ignore[arg-type]
    tenant = SimpleNamespace(tenant_id="acme", settings=settings)
    message = SimpleNamespace(content=content, offloaded=offloaded or {})
    work = AttachmentWork(fetcher, downloads, SimpleNamespace(now=lambda: 1000.5))  # type: ignore[arg-type]
    try:
        prepared = asyncio.run(prepare(work, tenant, message, "https://m.test/"))  # type: ignore[arg-type]
        return prepared, fetcher, downloads
    except AttachmentsFailed as exc:
        return exc, fetcher, downloads


def test_small_files_are_attached_whatever_the_action() -> None:
    prepared, _, _ = run("reject", ["a"], {"a": b"a"})
    assert prepared.files == [("a.pdf", "application/pdf", b"a")] and prepared.warnings == []


def test_warn_attaches_and_warns() -> None:
    prepared, _, _ = run("warn", ["a"], {"a": b"a" * 2 * MIB})
    assert len(prepared.files) == 1
    assert prepared.warnings == ["attachment a.pdf is 2.0 MB, over the 1 MB limit"]


def test_rewrite_stores_links_and_a_failure_later_keeps_the_offloads() -> None:
    prepared, _, downloads = run("rewrite", ["a", "b"], {"a": b"a" * 2 * MIB, "b": b"b"})
    [file_id] = downloads.stored
    assert prepared.files == [("b.pdf", "application/pdf", b"b")]
    assert prepared.offloads == [Offload(0, file_id, 1000.0 + 2 * 86400)]
    url = f"https://m.test/downloads/{file_id}/a.pdf?expires={1000 + 2 * 86400}&sig=s"
    assert f"a.pdf (2.0 MB): {url}" in prepared.content.body



def test_a_failure_after_an_offload_still_carries_it() -> None:
    failed, _, downloads = run("rewrite", ["a", "missing"], {"a": b"a" * 2 * MIB})
    assert isinstance(failed, AttachmentsFailed) and failed.failure.kind == "attachment_permanent"
    assert [o.file_id for o in failed.offloads] == list(downloads.stored)


def test_reject_fails_too_large() -> None:
    failed, _, _ = run("reject", ["a"], {"a": b"a" * 2 * MIB})
    assert isinstance(failed, AttachmentsFailed)
    assert failed.failure.kind == "attachment_too_large" and failed.offloads == []


def test_a_retry_reuses_the_offloaded_link_without_fetching() -> None:
    downloads = Downloads()
    downloads.stored["f0".ljust(22, "x")] = b"a" * 2 * MIB
    known = SimpleNamespace(file_id="f0".ljust(22, "x"), expires=5000.0)
    prepared, fetcher, _ = run("rewrite", ["a"], {}, offloaded={0: known}, downloads=downloads)
    assert fetcher.fetched == [] and prepared.offloads == [] and prepared.files == []
    assert "/downloads/f0" in prepared.content.body
