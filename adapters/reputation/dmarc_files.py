"""Unpacking DMARC report files (console.md §13 Intake) with every guard the contract names.

``.gz`` is gunzipped to at most 50 MiB; ``.zip`` yields each file entry after refusing
empty archives, absolute names, ``..``, drive letters, NUL, entries without a positive
declared size, totals (declared or actual) over 50 MiB and entries over 10 KiB that expand
past 64x + 1 KiB (zip bombs); anything else is XML of at most 50 MiB. Decompression is
streamed with an output cap, so a lying header never makes us allocate more than the cap.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

import msgspec

from domain.reputation.dmarc import DmarcIngestFailed

MIB = 1 << 20
MAX_OUTPUT = 50 * MIB
SMALL_ENTRY = 10 * 1024
MAX_RATIO = 64
RATIO_SLACK = 1024
CHUNK = 64 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"


class ReportFile(msgspec.Struct, frozen=True):
    """One XML document out of an upload: its name (for messages) and bytes."""

    name: str
    xml: bytes


def fail(message: str) -> DmarcIngestFailed:
    return DmarcIngestFailed(message)


def check_name(name: str) -> None:
    """Refuse names that could point outside where they came from."""
    if "\x00" in name:
        raise fail("file name contains NUL")
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        raise fail(f"absolute file name {name!r}")
    if ".." in parts:
        raise fail(f"file name {name!r} climbs out with '..'")


def gunzip(data: bytes, name: str, limit: int = MAX_OUTPUT) -> bytes:
    """Every gzip member, at most ``limit`` bytes of output."""
    out = bytearray()
    rest = data
    try:
        while rest:
            inflater = zlib.decompressobj(wbits=31)
            pending = rest
            while pending and not inflater.eof:
                out += inflater.decompress(pending, limit + 1 - len(out))
                pending = inflater.unconsumed_tail
                if len(out) > limit:
                    raise fail(f"{name}: expands past {limit // MIB} MiB")
            if not inflater.eof:
                raise fail(f"{name}: truncated gzip data")
            rest = inflater.unused_data.lstrip(b"\x00")
    except zlib.error as exc:
        raise fail(f"{name}: not valid gzip ({exc})") from None
    return bytes(out)


def _entry_guards(info: zipfile.ZipInfo) -> None:
    check_name(info.filename)
    if info.file_size <= 0:
        raise fail(f"zip entry {info.filename!r} declares no size")


def _ratio_guard(info: zipfile.ZipInfo) -> None:
    if info.file_size > SMALL_ENTRY and info.file_size > MAX_RATIO * info.compress_size + RATIO_SLACK:
        raise fail(
            f"zip entry {info.filename!r} expands {info.file_size / max(1, info.compress_size):.0f}x "
            "(zip bomb?)"
        )


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """The entry's bytes, never more than it declared nor than the archive's budget."""
    cap = min(info.file_size, budget)
    out = bytearray()
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(min(CHUNK, cap + 1 - len(out)))
            if not chunk:
                break
            out += chunk
            if len(out) > cap:
                raise fail(
                    f"zip entry {info.filename!r} is larger than declared or than "
                    f"{MAX_OUTPUT // MIB} MiB in total"
                )
    return bytes(out)


def unzip(data: bytes, name: str) -> list[ReportFile]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise fail(f"{name}: not a readable zip archive ({exc})") from None
    if not entries:
        raise fail(f"{name}: the zip archive is empty")
    for info in entries:
        _entry_guards(info)
    if sum(i.file_size for i in entries) > MAX_OUTPUT:
        raise fail(f"{name}: entries declare more than {MAX_OUTPUT // MIB} MiB")
    for info in entries:
        _ratio_guard(info)
    files, used = [], 0
    try:
        for info in entries:
            raw = _read_entry(archive, info, MAX_OUTPUT - used)
            used += len(raw)
            inner = info.filename
            xml = gunzip(raw, inner, MAX_OUTPUT - used) if inner.lower().endswith(".gz") else raw
            files.append(ReportFile(inner, xml))
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error, EOFError) as exc:
        raise fail(f"{name}: cannot read an entry ({exc})") from None
    return files


def unpack(name: str | None, data: bytes) -> list[ReportFile]:
    """The XML documents of one uploaded or attached file: by suffix, else by magic bytes."""
    label = name or "upload"
    if name:
        check_name(name)
    lower = label.lower()
    if lower.endswith(".zip") or (not lower.endswith((".gz", ".xml")) and data.startswith(ZIP_MAGIC)):
        return unzip(data, label)
    if lower.endswith(".gz") or (not lower.endswith(".xml") and data.startswith(GZIP_MAGIC)):
        return [ReportFile(label.removesuffix(".gz"), gunzip(data, label))]
    if len(data) > MAX_OUTPUT:
        raise fail(f"{label}: XML over {MAX_OUTPUT // MIB} MiB")
    return [ReportFile(label, data)]
