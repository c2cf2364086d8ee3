"""Attachments through the API to the SMTP sink (spec proxy.md §9; scenarios 47-50)."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.attachment_server import AttachmentServer
from tests.support.live import Live, eventually

pytestmark = pytest.mark.e2e
MIB = 1024 * 1024
CONFIG_WAIT = 2.1  # the dispatcher re-reads the instance configuration every 2 s


def M(x: str, attachments: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": x, "account_id": "smtp1", "from": "a@acme.test", "to": "u@dest.test", "subject": "s",
            "body": "b", "attachments": attachments, **extra}


@pytest.fixture
def client_app() -> Iterator[AttachmentServer]:
    with AttachmentServer() as server:
        yield server


@pytest.fixture
def acme(live_dispatching: Live, smtp_sink: Any, client_app: AttachmentServer) -> tuple[Live, str, Any]:
    sink = smtp_sink()
    live = live_dispatching
    ka = live.create_tenant("acme", client_base_url=client_app.base_url,
                            client_auth={"method": "bearer", "token": "cb"})
    answer = live.call("POST", "/account", ka, json={"id": "smtp1", "host": sink.host, "port": sink.port,
                                                     "use_tls": False})
    assert answer.status_code == 201, answer.text
    return live, ka, sink


def send(live: Live, key: str, *messages: dict[str, Any]) -> dict[str, Any]:
    answer = live.call("POST", "/commands/add-messages", key, json={"messages": list(messages)})
    assert answer.status_code in (200, 400), answer.text
    return dict(answer.json())


def message(live: Live, key: str, client_id: str) -> dict[str, Any]:
    return dict(live.call("GET", f"/messages/{client_id}", key).json())


def ended(live: Live, key: str, client_id: str) -> dict[str, Any]:
    return eventually(lambda: (m := message(live, key, client_id))["status"] in ("sent", "error") and m)


def parts(mail: Any) -> dict[str, bytes]:
    return {part.get_filename(): part.get_payload(decode=True) for part in mail.iter_attachments()}


def test_scenario_47_base64_and_endpoint_attachments(acme: tuple[Live, str, Any],
                                                     client_app: AttachmentServer) -> None:
    live, ka, sink = acme
    client_app.files["doc_id=7"] = (200, b"a", "application/pdf")
    send(live, ka, M("m1", [{"filename": "a.txt", "storage_path": "base64:SGVsbG8="},
                            {"filename": "r_{MD5:0cc175b9c0f1b6a831c399e269772661}.pdf",
                             "storage_path": "doc_id=7"}]))
    mail = sink.wait_for_messages(1)[0].message
    assert parts(mail) == {"a.txt": b"Hello", "r.pdf": b"a"}
    assert ended(live, ka, "m1")["status"] == "sent"
    [(method, _path, headers, body)] = [r for r in client_app.requests if r[1] == "/mail-proxy/attachments"]
    assert (method, body) == ("POST", b'{"storage_path":"doc_id=7"}')
    assert headers["Authorization"] == "Bearer cb"


def test_scenario_48_fetch_failures(acme: tuple[Live, str, Any], client_app: AttachmentServer) -> None:
    live, ka, sink = acme
    client_app.files["busy"] = (503, b"later", "text/plain")
    client_app.files["x"] = (200, b"x", "text/plain")
    send(live, ka, M("m1", [{"filename": "b.txt", "storage_path": "busy"}]),
         M("m2", [{"filename": "gone.txt", "storage_path": "missing"}]),
         M("m3", [{"filename": "x.txt", "storage_path": "x", "content_md5": "0" * 32}]))
    eventually(lambda: message(live, ka, "m1")["status"] == "deferred")
    for client_id in ("m2", "m3"):
        failed = ended(live, ka, client_id)
        assert (failed["status"], failed["error_code"]) == ("error", "attachment_failed")
        assert failed["attempts"] == 1
    assert "checksum" in message(live, ka, "m3")["error"]
    client_app.files["busy"] = (200, b"ready", "text/plain")
    live.advance(70)
    mail = sink.wait_for_messages(1)[0].message
    assert parts(mail) == {"b.txt": b"ready"}
    assert ended(live, ka, "m1")["status"] == "sent"
    rejected = send(live, ka, M("m4", [{"filename": "c.txt", "storage_path": "base64:@@@"}]))
    assert rejected["rejected"][0]["reason"] == "attachment_invalid"


def test_scenario_49_filesystem_roots_and_private_urls(acme: tuple[Live, str, Any], tmp_path: Path,
                                                      client_app: AttachmentServer) -> None:
    live, ka, sink = acme
    (tmp_path / "acme").mkdir()
    (tmp_path / "beta").mkdir()
    (tmp_path / "acme" / "x.pdf").write_bytes(b"%PDF x")
    (tmp_path / "beta" / "y.pdf").write_bytes(b"%PDF y")
    answer = live.admin("PUT", "/instance", json={"attachments": {
        "filesystem_roots": {"docs": f"{tmp_path}/{{tenant_id}}"}}})
    assert answer.status_code == 200, answer.text
    send(live, ka, M("m1", [{"filename": "x.pdf", "storage_path": "docs:x.pdf"}]))
    assert parts(sink.wait_for_messages(1)[0].message) == {"x.pdf": b"%PDF x"}
    for path in ("docs:../beta/y.pdf", f"{tmp_path}/beta/y.pdf", "/etc/passwd"):
        answer = send(live, ka, M("bad", [{"filename": "y.pdf", "storage_path": path}]))
        assert answer["rejected"][0]["reason"] == "attachment_invalid", path
    client_app.files["/f.txt"] = (200, b"f", "text/plain")
    send(live, ka, M("m2", [{"filename": "f.txt", "storage_path": f"{client_app.base_url}/f.txt"}]))
    failed = ended(live, ka, "m2")
    assert (failed["error_code"], failed["attempts"]) == ("attachment_failed", 1)
    assert "private" in failed["error"]
    assert not [r for r in client_app.requests if r[1] == "/f.txt"]


def test_scenario_50_large_file_reject(acme: tuple[Live, str, Any], client_app: AttachmentServer) -> None:
    live, ka, _ = acme
    answer = live.call("PUT", "/tenant/acme", ka, json={"large_file_config": {
        "enabled": True, "max_size_mb": 1, "action": "reject"}})
    assert answer.status_code == 200, answer.text
    big = b"z" * (2 * MIB)
    rejected = send(live, ka, M("m1", [{"filename": "big.bin",
                                        "storage_path": "base64:" + base64.b64encode(big).decode()}]))
    assert rejected["rejected"][0]["reason"] == "attachment_too_large"
    client_app.files["big"] = (200, big, "application/octet-stream")
    send(live, ka, M("m2", [{"filename": "big.bin", "storage_path": "big"}]))
    failed = ended(live, ka, "m2")
    assert (failed["status"], failed["error_code"]) == ("error", "attachment_too_large")


def test_scenario_50_large_file_rewrite(acme: tuple[Live, str, Any], client_app: AttachmentServer) -> None:
    live, ka, sink = acme
    assert live.admin("PUT", "/instance", json={"public_base_url": live.base_url}).status_code == 200
    answer = live.call("PUT", "/tenant/acme", ka, json={"large_file_config": {
        "enabled": True, "max_size_mb": 1, "action": "rewrite", "file_ttl_days": 30}})
    assert answer.status_code == 200, answer.text
    time.sleep(CONFIG_WAIT)
    big = bytes(range(256)) * (8 * 1024)  # 2 MiB
    client_app.files["big"] = (200, big, "application/pdf")
    send(live, ka, M("m1", [{"filename": "big report.pdf", "storage_path": "big"},
                            {"filename": "small.txt", "storage_path": "base64:SGVsbG8="}]))
    mail = sink.wait_for_messages(1)[0].message
    assert parts(mail) == {"small.txt": b"Hello"}
    text = mail.get_body(("plain",)).get_content()
    line = next(x for x in text.splitlines() if x.startswith("big report.pdf (2.0 MB): "))
    url = line.split(": ", 1)[1]
    assert url.startswith(f"{live.base_url}/downloads/") and "big%20report.pdf" in url
    assert ended(live, ka, "m1")["status"] == "sent"
    got = live.call("GET", url.removeprefix(live.base_url), None)
    assert got.status_code == 200 and hashlib.md5(got.content).digest() == hashlib.md5(big).digest()
    assert got.headers["content-type"].startswith("application/pdf")
    assert got.headers["content-disposition"].startswith('attachment; filename="big report.pdf"')
    parsed = urlsplit(url)
    tampered = f"{parsed.path}?{parsed.query[:-1]}{'0' if parsed.query[-1] != '0' else '1'}"
    assert live.call("GET", tampered, None).status_code == 403
    file_id = parsed.path.split("/")[2]
    (Path(live.container.settings.data_dir) / "files" / file_id).unlink()
    assert live.call("GET", url.removeprefix(live.base_url), None).status_code == 404
    live.advance(30 * 86400 + 1)
    assert live.call("GET", url.removeprefix(live.base_url), None).status_code == 410


def test_large_file_warn_attaches_and_warns(acme: tuple[Live, str, Any],
                                           client_app: AttachmentServer) -> None:
    live, ka, sink = acme
    answer = live.call("PUT", "/tenant/acme", ka, json={"large_file_config": {
        "enabled": True, "max_size_mb": 1, "action": "warn"}})
    assert answer.status_code == 200, answer.text
    client_app.files["big"] = (200, b"w" * (2 * MIB), "application/octet-stream")
    send(live, ka, M("m1", [{"filename": "big.bin", "storage_path": "big"}]))
    assert parts(sink.wait_for_messages(1)[0].message) == {"big.bin": b"w" * (2 * MIB)}
    assert ended(live, ka, "m1")["status"] == "sent"
    [sent] = [h for h in message(live, ka, "m1")["history"] if h["type"] == "sent"]
    assert sent["data"]["warnings"] == ["attachment big.bin is 2.0 MB, over the 1 MB limit"]


def test_a_retry_reuses_the_offloaded_link(acme: tuple[Live, str, Any], client_app: AttachmentServer) -> None:
    live, ka, sink = acme
    assert live.admin("PUT", "/instance", json={"public_base_url": live.base_url}).status_code == 200
    answer = live.call("PUT", "/tenant/acme", ka, json={"large_file_config": {
        "enabled": True, "max_size_mb": 1, "action": "rewrite"}})
    assert answer.status_code == 200, answer.text
    time.sleep(CONFIG_WAIT)
    client_app.files["big"] = (200, b"r" * (2 * MIB), "application/octet-stream")
    sink.reply("DATA", "451 4.3.0 try later")
    send(live, ka, M("m1", [{"filename": "big.bin", "storage_path": "big"}], body="",
                            html="<html><body><p>hi</p></body></html>", text="hi"))
    eventually(lambda: message(live, ka, "m1")["status"] == "deferred")
    live.advance(70)
    mail = sink.wait_for_messages(1)[0].message
    assert ended(live, ka, "m1")["status"] == "sent"
    history = message(live, ka, "m1")["history"]
    assert [h["type"] for h in history].count("attachment_offloaded") == 1
    file_id = next(h["data"]["file_id"] for h in history if h["type"] == "attachment_offloaded")
    assert f"/downloads/{file_id}/big.bin?" in mail.get_body(("plain",)).get_content()
    rich = mail.get_body(("html",)).get_content()
    assert f"/downloads/{file_id}/big.bin?" in rich and "<hr>" in rich and "<ul>" in rich
    assert rich.rstrip().endswith("</ul></body></html>")
    assert len([r for r in client_app.requests if r[1] == "/mail-proxy/attachments"]) == 1
