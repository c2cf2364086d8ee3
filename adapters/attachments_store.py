"""Attachment bytes on disk: the content cache (spec proxy.md §9.3) under
``<data_dir>/cache/attachments`` and offloaded large files (§9.4) under ``<data_dir>/files``,
with their signed download URLs."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import msgspec

MIB = 1024 * 1024


def download_signature(key: bytes, file_id: str, filename: str, expires: int) -> str:
    """hex HMAC-SHA256(download key, ``file_id \\n filename \\n expires``)."""
    return hmac.new(key, f"{file_id}\n{filename}\n{expires}".encode(), hashlib.sha256).hexdigest()


def signature_ok(key: bytes, file_id: str, filename: str, expires: str, sig: str) -> bool:
    if not expires.isdigit():
        return False
    return hmac.compare_digest(download_signature(key, file_id, filename, int(expires)), sig.lower())


class ContentCache:
    """Bytes keyed by their MD5; at most ``limit_mb()`` MiB, oldest use evicted first."""

    def __init__(self, directory: Path, limit_mb: Callable[[], int]) -> None:
        self.directory = directory
        self.limit_mb = limit_mb
        self._lock = threading.Lock()

    def get(self, md5: str) -> bytes | None:
        if self.limit_mb() <= 0 or not _is_md5(md5):
            return None
        path = self.directory / md5
        try:
            data = path.read_bytes()
            os.utime(path)  # a hit is a use: eviction goes by last use
        except OSError:
            return None
        return data

    def put(self, data: bytes) -> None:
        limit = self.limit_mb() * MIB
        if limit <= 0 or len(data) > limit:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        md5 = hashlib.md5(data).hexdigest()
        temporary = self.directory / f".{md5}.{secrets.token_hex(4)}"
        temporary.write_bytes(data)
        os.replace(temporary, self.directory / md5)
        with self._lock:
            self._evict(limit)

    def _evict(self, limit: int) -> None:
        entries = []
        for path in self.directory.iterdir():
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= limit:
                break
            path.unlink(missing_ok=True)
            total -= size


def _is_md5(text: str) -> bool:
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text)


class StoredFile(msgspec.Struct, frozen=True):
    filename: str
    mime_type: str | None = None
    expires: float | None = None  # service clock; None: stored before expiries were kept


class FileDownloads:
    """``DownloadStore``: ``<data_dir>/files/<file_id>`` plus ``<file_id>.json`` (name, type,
    expiry). The retention job deletes expired files (``delete_expired``)."""

    def __init__(self, directory: Path, key: bytes) -> None:
        self.directory = directory
        self.key = key

    def store(self, data: bytes, filename: str, mime_type: str | None, *, expires: float) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        file_id = secrets.token_urlsafe(16)  # 22 URL-safe characters
        info = StoredFile(filename, mime_type, expires)
        (self.directory / f"{file_id}.json").write_bytes(msgspec.json.encode(info))
        (self.directory / file_id).write_bytes(data)
        return file_id

    def size(self, file_id: str) -> int | None:
        path = self.path(file_id)
        return path.stat().st_size if path is not None and path.is_file() else None

    def url(self, base_url: str, file_id: str, filename: str, expires: int) -> str:
        sig = download_signature(self.key, file_id, filename, expires)
        return f"{base_url}/downloads/{file_id}/{quote(filename, safe='')}?expires={expires}&sig={sig}"

    def path(self, file_id: str) -> Path | None:
        """None for an id that cannot be one of ours (no path tricks)."""
        if len(file_id) != 22 or not all(c.isalnum() or c in "-_" for c in file_id):
            return None
        return self.directory / file_id

    def delete_expired(self, now: float) -> int:
        """Delete every file whose link expired before ``now`` (spec §9.4); how many went.
        A link is good up to and including its ``expires`` second, as the download route
        checks it. Files without a recorded expiry are left alone."""
        deleted = 0
        try:
            sidecars = list(self.directory.glob("*.json"))
        except OSError:
            return 0
        for sidecar in sidecars:
            path = self.path(sidecar.stem)
            try:
                info = msgspec.json.decode(sidecar.read_bytes(), type=StoredFile)
            except (OSError, msgspec.DecodeError):
                continue
            if path is None or info.expires is None or now <= info.expires:
                continue
            path.unlink(missing_ok=True)  # the bytes first: a half-deleted file is simply gone
            sidecar.unlink(missing_ok=True)
            deleted += 1
        return deleted

    def info(self, file_id: str) -> StoredFile | None:
        path = self.path(file_id)
        if path is None or not path.is_file():
            return None
        try:
            return msgspec.json.decode((self.directory / f"{file_id}.json").read_bytes(), type=StoredFile)
        except (OSError, msgspec.DecodeError):
            return StoredFile(filename=file_id)
