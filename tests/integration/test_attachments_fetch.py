"""``HttpAttachmentFetcher`` against a real loopback HTTP server and real files (spec proxy.md §9)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from adapters.attachments import HttpAttachmentFetcher
from adapters.attachments_store import ContentCache
from adapters.secrets import CryptoSecretBox
from application.sending.ports import AttachmentFetchError, AttachmentTenant
from domain.instance_config import AttachmentsConfig
from domain.sending.content import Attachment, AttachmentAuth
from domain.tenancy.settings import ClientAuth
from tests.support.attachment_server import AttachmentServer

pytestmark = pytest.mark.integration
BOX = CryptoSecretBox(os.urandom(32))


@pytest.fixture
def server() -> Iterator[AttachmentServer]:
    with AttachmentServer() as running:
        yield running


def tenant(server: AttachmentServer, tenant_id: str = "acme",
           auth: ClientAuth | None = None) -> AttachmentTenant:
    return AttachmentTenant(tenant_id, server.base_url, "/mail-proxy/attachments",
                            auth or ClientAuth(method="bearer", token=BOX.encrypt("cb")))


def fetch(attachment: Attachment, source: AttachmentTenant, cache: ContentCache | None = None,
          **config: Any) -> Any:
    fetcher = HttpAttachmentFetcher(lambda: AttachmentsConfig(**config), BOX, cache)
    return asyncio.run(fetcher.fetch(source, attachment))


def failure(attachment: Attachment, source: AttachmentTenant, **config: Any) -> tuple[str, str]:
    with pytest.raises(AttachmentFetchError) as caught:
        fetch(attachment, source, **config)
    return caught.value.failure.kind, caught.value.failure.text


def endpoint(path: str, **fields: Any) -> Attachment:
    return Attachment(filename=fields.pop("filename", "f.bin"), storage_path=path, fetch_mode="endpoint",
                      **fields)


def test_endpoint_uses_the_tenant_auth_and_the_content_type(server: AttachmentServer) -> None:
    server.files["doc"] = (200, b"a", "application/pdf; charset=binary")
    got = fetch(endpoint("doc"), tenant(server))
    assert (got.data, got.mime_type) == (b"a", "application/pdf")
    assert server.requests[0][2]["Authorization"] == "Bearer cb"
    server.files["raw"] = (200, b"r", "application/octet-stream")
    assert fetch(endpoint("raw"), tenant(server)).mime_type is None


def test_an_attachment_auth_overrides_the_tenant(server: AttachmentServer) -> None:
    server.files["doc"] = (200, b"a", "text/plain")
    auth = AttachmentAuth(method="basic", user="u", password=BOX.encrypt("p"))
    fetch(endpoint("doc", auth=auth), tenant(server))
    assert server.requests[0][2]["Authorization"] == "Basic " + base64.b64encode(b"u:p").decode()


@pytest.mark.parametrize(("status", "kind"), [
    (404, "attachment_permanent"), (403, "attachment_permanent"), (400, "attachment_permanent"),
    (408, "attachment_temporary"), (429, "attachment_temporary"), (500, "attachment_temporary"),
    (503, "attachment_temporary"),
])
def test_status_classification(server: AttachmentServer, status: int, kind: str) -> None:
    server.files["doc"] = (status, b"no", "text/plain")
    assert failure(endpoint("doc"), tenant(server))[0] == kind


def test_connection_refused_is_temporary() -> None:
    closed = AttachmentTenant("acme", "http://127.0.0.1:9", "/x", ClientAuth())
    assert failure(endpoint("doc"), closed)[0] == "attachment_temporary"


def test_md5_marker_and_content_md5_are_checked(server: AttachmentServer) -> None:
    server.files["doc"] = (200, b"a", "text/plain")
    good = hashlib.md5(b"a").hexdigest()
    assert fetch(endpoint("doc", filename=f"r_{{MD5:{good}}}.txt"), tenant(server)).data == b"a"
    kind, text = failure(endpoint("doc", content_md5="0" * 32), tenant(server))
    assert kind == "attachment_permanent" and "checksum" in text
    kind, _ = failure(endpoint("doc", filename=f"r_{{MD5:{'1' * 32}}}.txt"), tenant(server))
    assert kind == "attachment_permanent"


def test_max_bytes(server: AttachmentServer, tmp_path: Path) -> None:
    server.files["doc"] = (200, b"x" * 2000, "text/plain")
    kind, text = failure(endpoint("doc"), tenant(server), max_bytes=1000)
    assert kind == "attachment_permanent" and "too large" in text
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "big").write_bytes(b"x" * 2000)
    big = Attachment(filename="big", storage_path="docs:big", fetch_mode="filesystem")
    assert failure(big, tenant(server), max_bytes=1000,
                   filesystem_roots={"docs": f"{tmp_path}/{{tenant_id}}"})[0] == "attachment_permanent"


def test_filesystem_roots(server: AttachmentServer, tmp_path: Path) -> None:
    for name in ("acme", "beta"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "y.pdf").write_bytes(name.encode())
    (tmp_path / "acme" / "escape").symlink_to(tmp_path / "beta" / "y.pdf")
    (tmp_path / "acme" / "inside").symlink_to(tmp_path / "acme" / "y.pdf")
    roots = {"docs": f"{tmp_path}/{{tenant_id}}"}

    def fs(path: str) -> Attachment:
        return Attachment(filename="y.pdf", storage_path=path, fetch_mode="filesystem")

    assert fetch(fs("docs:y.pdf"), tenant(server), filesystem_roots=roots).data == b"acme"
    assert fetch(fs(f"{tmp_path}/acme/y.pdf"), tenant(server), filesystem_roots=roots).data == b"acme"
    assert fetch(fs("docs:inside"), tenant(server), filesystem_roots=roots).data == b"acme"
    assert fetch(fs("docs:y.pdf"), tenant(server, "beta"), filesystem_roots=roots).data == b"beta"
    for refused in ("docs:../beta/y.pdf", f"{tmp_path}/beta/y.pdf", "/etc/passwd", "docs:escape",
                    "docs:missing.pdf", "other:y.pdf", f"{tmp_path}/acme/../beta/y.pdf"):
        kind, _ = failure(fs(refused), tenant(server), filesystem_roots=roots)
        assert kind == "attachment_permanent", refused


def test_http_url_private_targets(server: AttachmentServer) -> None:
    server.files["/f.txt"] = (200, b"f", "text/plain")
    url = Attachment(filename="f.txt", storage_path=f"{server.base_url}/f.txt", fetch_mode="http_url")
    kind, text = failure(url, tenant(server))
    assert kind == "attachment_permanent" and "private" in text
    port = server.base_url.rsplit(':', 1)[1]
    localhost = msgspec.structs.replace(url, storage_path=f"http://localhost:{port}/f.txt")
    assert failure(localhost, tenant(server))[0] == "attachment_permanent"
    assert server.requests == []
    assert fetch(url, tenant(server), http_url_allow_private=True).data == b"f"
    assert "Authorization" not in server.requests[0][2]  # the tenant's credentials stay home


def test_cache_serves_by_md5_and_stays_bounded(server: AttachmentServer, tmp_path: Path) -> None:
    cache = ContentCache(tmp_path / "cache", lambda: 1)
    server.files["doc"] = (200, b"a", "text/plain")
    md5 = hashlib.md5(b"a").hexdigest()
    assert fetch(endpoint("doc", content_md5=md5), tenant(server), cache).data == b"a"
    server.files.clear()  # the source is gone: the cache answers
    assert fetch(endpoint("doc", content_md5=md5), tenant(server), cache).data == b"a"
    assert len(server.requests) == 1
    assert failure(endpoint("doc", content_md5="f" * 32), tenant(server))[0] == "attachment_permanent"
    for index in range(3):
        cache.put(bytes([index]) * (600 * 1024))
    assert sum(p.stat().st_size for p in (tmp_path / "cache").iterdir()) <= 1024 * 1024
