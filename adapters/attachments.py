"""``AttachmentFetcher`` over httpx and the filesystem (spec proxy.md §9.2, §9.3, §6.4 rules 7-8).

Each fetch runs under ``max_concurrent_fetches`` and ``fetch_timeout_seconds``, stops reading
past ``max_bytes``, and must match the MD5 it was given (``content_md5``, else the filename's
``{MD5:}`` marker). Credentials are decrypted just before the request; ``http_url`` sends
only the attachment's own, never the tenant's.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from adapters.attachments_sources import check_public_host, refuse, resolve_file, retry, tenant_roots
from adapters.attachments_store import ContentCache
from application.ports import SecretBox
from application.sending.ports import AttachmentFetchError, AttachmentTenant, FetchedFile
from domain.instance_config import AttachmentsConfig
from domain.sending.attachment_entry import decode_base64
from domain.sending.content import Attachment, AttachmentAuth
from domain.sending.failure import AttemptFailure
from domain.sending.filenames import clean_filename
from domain.tenancy.settings import ClientAuth

_OCTET_STREAM = "application/octet-stream"


class HttpAttachmentFetcher:
    def __init__(self, config: Callable[[], AttachmentsConfig], secret_box: SecretBox,
                 cache: ContentCache | None = None) -> None:
        self.config = config  # re-read per fetch: PUT /instance takes effect
        self.secret_box = secret_box
        self.cache = cache
        self._slots: tuple[int, asyncio.Semaphore] | None = None

    async def fetch(self, tenant: AttachmentTenant, attachment: Attachment) -> FetchedFile:
        config = await asyncio.to_thread(self.config)
        expected = attachment.content_md5 or clean_filename(attachment.filename)[1]
        cached = await self._cached(expected)
        if cached is not None:
            return FetchedFile(cached)
        async with self._semaphore(config.max_concurrent_fetches):
            try:
                async with asyncio.timeout(config.fetch_timeout_seconds):
                    fetched = await self._fetch(config, tenant, attachment)
            except TimeoutError as exc:
                raise retry(f"attachment {attachment.filename}: fetch timed out after "
                            f"{config.fetch_timeout_seconds:g} s") from exc
        _check(attachment, fetched.data, expected, config.max_bytes)
        if self.cache is not None:
            await asyncio.to_thread(self.cache.put, fetched.data)
        return fetched

    async def _cached(self, md5: str | None) -> bytes | None:
        if self.cache is None or md5 is None:
            return None
        return await asyncio.to_thread(self.cache.get, md5)

    def _semaphore(self, size: int) -> asyncio.Semaphore:
        if self._slots is None or self._slots[0] != size:
            self._slots = (size, asyncio.Semaphore(size))
        return self._slots[1]

    async def _fetch(self, config: AttachmentsConfig, tenant: AttachmentTenant,
                     attachment: Attachment) -> FetchedFile:
        mode, path = attachment.fetch_mode, attachment.storage_path
        if mode == "base64":
            data = decode_base64(path)
            if data is None:
                raise refuse(f"attachment {attachment.filename}: not valid base64")
            return FetchedFile(data)
        if mode == "filesystem":
            return FetchedFile(await asyncio.to_thread(_read_file, path, config, tenant.tenant_id))
        if mode == "http_url":
            parts = urlsplit(path)
            if not config.http_url_allow_private:
                await check_public_host(parts.hostname or "", parts.port or _port(parts.scheme))
            return await _http(config, "GET", path, self._headers(attachment.auth), None)
        if not tenant.client_base_url:
            raise refuse(f"attachment {attachment.filename}: the tenant has no client_base_url")
        url = tenant.client_base_url.rstrip("/") + tenant.client_attachment_path
        headers = self._headers(attachment.auth or tenant.client_auth)
        return await _http(config, "POST", url, headers, {"storage_path": path})

    def _headers(self, auth: AttachmentAuth | ClientAuth | None) -> dict[str, str]:
        """Decrypted only now, only in memory."""
        if auth is None or auth.method == "none":
            return {}
        if auth.method == "bearer" and auth.token:
            return {"Authorization": f"Bearer {self.secret_box.decrypt(auth.token)}"}
        if auth.method == "basic" and auth.user is not None and auth.password:
            pair = f"{auth.user}:{self.secret_box.decrypt(auth.password)}".encode()
            return {"Authorization": f"Basic {base64.b64encode(pair).decode()}"}
        return {}


def _port(scheme: str) -> int:
    return 443 if scheme.lower() == "https" else 80


def _read_file(storage_path: str, config: AttachmentsConfig, tenant_id: str) -> bytes:
    path = resolve_file(storage_path, tenant_roots(config.filesystem_roots, tenant_id))
    if path.stat().st_size > config.max_bytes:
        raise _too_large(storage_path, config.max_bytes)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise refuse(f"attachment file {storage_path} cannot be read: {exc.strerror}") from exc


async def _http(config: AttachmentsConfig, method: str, url: str, headers: dict[str, str],
                body: dict[str, str] | None) -> FetchedFile:
    """One request, no redirects; the body read up to ``max_bytes``."""
    try:
        async with (httpx.AsyncClient(follow_redirects=False, timeout=config.fetch_timeout_seconds) as client,
                    client.stream(method, url, headers=headers, json=body) as response):
            _check_status(response.status_code, url)
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > config.max_bytes:
                    raise _too_large(_safe(url), config.max_bytes)
            kind = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    except httpx.TimeoutException as exc:
        raise retry(f"attachment fetch from {_safe(url)} timed out") from exc
    except httpx.HTTPError as exc:
        raise retry(f"attachment fetch from {_safe(url)} failed: {type(exc).__name__}: {exc}") from exc
    mime_type = kind if "/" in kind and kind != _OCTET_STREAM else None
    return FetchedFile(bytes(data), mime_type)


def _check_status(status: int, url: str) -> None:
    """§6.4: 5xx, 408 and 429 retry; any other non-2xx ends the message."""
    if 200 <= status <= 299:
        return
    text = f"attachment source {_safe(url)} answered HTTP {status}"
    if status >= 500 or status in (408, 429):
        raise retry(text)
    raise refuse(text)


def _check(attachment: Attachment, data: bytes, expected: str | None, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise _too_large(attachment.filename, max_bytes)
    if expected is not None and len(expected) == 32:
        actual = hashlib.md5(data).hexdigest()
        if actual != expected.lower():
            raise refuse(f"attachment {attachment.filename}: checksum mismatch "
                         f"(expected MD5 {expected}, got {actual})")


def _too_large(what: str, max_bytes: int) -> AttachmentFetchError:
    return AttachmentFetchError(AttemptFailure(
        kind="attachment_permanent", text=f"attachment {what} is too large (over {max_bytes} bytes)"))


def _safe(url: str) -> str:
    """The URL without credentials or query (error texts are stored and reported)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}"
