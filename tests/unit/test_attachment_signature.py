"""Download links (spec proxy.md §9.4): the signature and the URL."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from adapters.attachments_store import FileDownloads, download_signature, signature_ok

pytestmark = pytest.mark.unit
KEY = b"k" * 32


def test_the_signature_is_hmac_sha256_of_id_name_and_expiry() -> None:
    expected = hmac.new(KEY, b"abc\nr.pdf\n1700000000", hashlib.sha256).hexdigest()
    assert download_signature(KEY, "abc", "r.pdf", 1700000000) == expected
    assert signature_ok(KEY, "abc", "r.pdf", "1700000000", expected)
    assert signature_ok(KEY, "abc", "r.pdf", "1700000000", expected.upper())


@pytest.mark.parametrize(("file_id", "filename", "expires", "sig_of"), [
    ("abd", "r.pdf", "1700000000", None),
    ("abc", "s.pdf", "1700000000", None),
    ("abc", "r.pdf", "1700000001", None),
    ("abc", "r.pdf", "", None),
    ("abc", "r.pdf", "-1", None),
    ("abc", "r.pdf", "1700000000", b"other key" * 4),
])
def test_anything_changed_breaks_the_signature(file_id: str, filename: str, expires: str,
                                               sig_of: bytes | None) -> None:
    sig = download_signature(KEY, "abc", "r.pdf", 1700000000)
    assert not signature_ok(sig_of or KEY, file_id, filename, expires, sig)


def test_stored_files_get_22_char_ids_and_signed_urls(tmp_path: Path) -> None:
    downloads = FileDownloads(tmp_path / "files", KEY)
    file_id = downloads.store(b"data", "big report.pdf", "application/pdf", expires=1700000000)
    assert len(file_id) == 22 and downloads.size(file_id) == 4
    info = downloads.info(file_id)
    assert info is not None and (info.filename, info.mime_type) == ("big report.pdf", "application/pdf")
    url = downloads.url("https://mail.example", file_id, "big report.pdf", 1700000000)
    sig = download_signature(KEY, file_id, "big report.pdf", 1700000000)
    assert url == f"https://mail.example/downloads/{file_id}/big%20report.pdf?expires=1700000000&sig={sig}"


def test_ids_that_are_not_ours_find_nothing(tmp_path: Path) -> None:
    downloads = FileDownloads(tmp_path / "files", KEY)
    assert downloads.path("../secret.key") is None and downloads.info("x" * 22) is None
    assert downloads.size("../../../../etc/passwd") is None
