"""Tenant isolation helpers: acme's data of every kind, and beta's probes naming it.

``seed`` gives acme (and beta) one of everything; ``ROUTES`` maps every OpenAPI operation to
the probes that exercise it, or to the reason it takes no tenant-scoped id nor selector.
"""

from __future__ import annotations

import ipaddress
import random
import re
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.support.console import Console, without_request_id
from tests.support.hygiene_sends import mail
from tests.support.live import eventually
from tests.support.postmaster_server import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SNDS_KEY, stat

ALL_SCOPES = ["admin-read", "publish", "broadcasts", "suppressions"]
GHOST = "ghost-tenant"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HEX32 = re.compile(r"[0-9a-f]{32}")
DMARC_REPORT = (Path(__file__).resolve().parents[1] / "corpus" / "dmarc" / "scenario-43.xml.gz").read_bytes()
DMARC_SOURCE = "198.51.100.7"  # a source of the scenario-43 report
BL_IP, SNDS_IP = "203.0.113.5", "203.0.113.77"
SNDS_ROW = (f"{SNDS_IP},6/1/2026 12:00 AM,6/2/2026 12:00 AM,120,118,118,GREEN,"
            "< 0.1%,0,mx.acme.test,x@acme.test")

ACME_SETTINGS = {
    "senderDomains": {"mail.acme.test": "transactional", "news.acme.test": "marketing"},
    "defaultAccounts": {"transactional": "sink", "marketing": "sink"},
    # no retention sweep of the 2024 report mid-test; every mailed contact is a sunset candidate
    "dmarc": {"retentionDays": 0, "knownSources": {"149.72.45.10": "acme-esp-label"}},
    "hygiene": {"sunsetDays": 0},
    "dnsbl": {"lists": [{"zone": "acme-bl.test", "type": "ip", "label": "Acme BL"}], "dedicatedIps": [BL_IP]},
    "postmaster": {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "refreshToken": REFRESH_TOKEN},
    "snds": {"key": SNDS_KEY},
}


def message(msg_id: str, account: str = "sink") -> dict[str, Any]:
    return {"id": msg_id, "account_id": account, "from": "hello@mail.acme.test",
            "to": "u1@ex.test", "subject": "secret-subject", "body": "b"}


def seed(console: Console, sink: Any, feeds: Any) -> tuple[dict[str, str], str]:
    """acme with messages, an account, contacts, a suppression, a template, a send, a console key,
    DNSBL, DMARC, Postmaster and SNDS data, a sunset run, a flow and a broadcast."""
    live = console.live
    key = console.tenant("acme")
    console.tenant("beta")
    for tenant in ("acme", "beta"):
        answer = live.call("POST", "/account", console.keys[tenant],
                           json={"id": "sink", "host": sink.host, "port": sink.port, "use_tls": False})
        assert answer.status_code == 201, answer.text
    assert console.admin("PATCH", "/settings", json=ACME_SETTINGS).status_code == 200
    assert live.call("POST", "/account", key, json={"id": "acme-only", "host": "127.0.0.1",
                                                     "port": 2525}).status_code == 201
    added = live.call("POST", "/commands/add-messages", key,
                      json={"messages": [message("acme-m1"), message("acme-m2")]})
    assert added.status_code == 200, added.text
    pk = added.json()["accepted"][0]["pk"]
    eventually(lambda: console.admin("GET", f"/sends/{pk}").json().get("send", {}).get("status") == "sent")
    for ext in ("acme-u1", "acme-u2"):
        put = console.admin("PUT", f"/contacts/{ext}", json={"email": f"{ext}@ex.test"})
        assert put.status_code == 201, put.text
    assert console.admin("POST", "/suppressions", json={
        "email": "acme-supp@ex.test", "scope": "all", "reason": "manual"}).status_code == 201
    assert console.admin("PUT", "/events/registry/AcmeSignup",
                         json={"dedupePolicy": "every-time"}).status_code == 200
    created = console.admin("POST", "/templates", json={
        "slug": "acme-tpl", "name": "Acme", "kind": "transactional", "fromEmail": "x@mail.acme.test"})
    assert created.status_code == 201, created.text
    _, key_id = console.token(["admin-read"], label="acme-console")
    beta_console, _ = console.token(ALL_SCOPES, tenant="beta", label="beta-console")
    ids = {"acme-pk": pk, "acme-key": key_id, "acme-m": "acme-m1", "acme-u": "acme-u1",
           "acme-tpl": "acme-tpl", "acme-acct": "acme-only", "acme-supp": "acme-supp@ex.test",
           "acme-reg": "AcmeSignup", **seed_reputation(console), **seed_campaigns(console),
           **seed_feeds(console, feeds)}
    return ids, beta_console


def seed_feeds(console: Console, feeds: Any) -> dict[str, str]:
    """acme's DNSBL verdict, one Postmaster day and one SNDS row, all from loopback servers (not
    listed, good figures: no health signal of acme's to disturb the other probes)."""
    scan = console.admin("POST", "/dnsbl/recheck", json={"targets": [BL_IP]})
    assert scan.status_code == 200 and scan.json()["totalChecks"] == 1, scan.text
    feeds.stats["acme.test"] = [stat("acme.test", "20260501", domainReputation="HIGH")]
    feeds.snds_csv = SNDS_ROW
    for feed in ("postmaster", "snds"):
        pulled = console.admin("POST", f"/{feed}/refresh", json={})
        assert pulled.status_code == 200 and pulled.json()["ran"] is True, pulled.text
    return {"acme-bl-ip": BL_IP}


def seed_reputation(console: Console) -> dict[str, str]:
    """acme's DMARC report, source tag and mailbox, and one sunset run (of acme-u2)."""
    up = console.admin("POST", "/dmarc/upload", files={"file": ("acme.xml.gz", DMARC_REPORT)})
    assert up.status_code == 200, up.text
    [report] = console.admin("GET", "/dmarc/reports").json()["reports"]
    assert console.admin("PUT", f"/dmarc/sources/{DMARC_SOURCE}",
                         json={"label": "acme-src-label"}).status_code == 200
    mailbox = {"host": "imap.acme.test", "username": "acme-mbox-user", "password": "acme-mbox-pw"}
    assert console.admin("PUT", "/dmarc/mailbox", json=mailbox).status_code == 200
    assert console.admin("POST", "/contacts/acme-u2/subscribe", json={"source": "t"}).status_code == 200
    mail(console.live.container, "acme", "acme-u2", "hygiene")
    console.live.advance(1)  # sunsetDays 0: a first send older than now
    sunset = console.admin("POST", "/hygiene/sunset", json={"confirmCount": 1})
    assert sunset.status_code == 201, sunset.text
    return {"acme-dmarc": report["id"], "acme-ip": DMARC_SOURCE, "acme-run": sunset.json()["runId"]}


def seed_campaigns(console: Console) -> dict[str, str]:
    """acme's published (disabled) flow, a marketing template and a draft broadcast of it."""
    flow = {"slug": "acme-flow", "name": "Acme Flow", "trigger": {"type": "event", "eventName": "AcmeSignup"}}
    assert console.admin("POST", "/flows", json=flow).status_code == 201
    steps = [{"type": "tag", "add": ["acme-flow-tag"]}]
    assert console.admin("PATCH", "/flows/acme-flow/draft", json={"steps": steps}).status_code == 200
    published = console.admin("POST", "/flows/acme-flow/publish", json={"enable": False})
    assert published.status_code == 200, published.text
    assert console.admin("POST", "/templates", json={
        "slug": "acme-news", "name": "Acme News", "kind": "marketing",
        "fromEmail": "hi@news.acme.test"}).status_code == 201
    made = console.admin("POST", "/broadcasts", json={
        "slug": "acme-bc", "name": "Acme Broadcast", "templateSlug": "acme-news"})
    assert made.status_code == 201, made.text
    return {"acme-flow": "acme-flow", "acme-news": "acme-news", "acme-bc": "acme-bc"}


def snapshot(console: Console) -> dict[str, Any]:
    """What acme itself sees of its own data (compared before and after the probes)."""
    live, key = console.live, console.keys["acme"]
    reads = {
        "messages": live.call("GET", "/messages", key),
        "m1": live.call("GET", "/messages/acme-m1", key),
        "accounts": live.call("GET", "/accounts", key),
        "tenant": live.call("GET", "/tenant/acme", key),
    }
    for path in ("/contacts", "/contacts/acme-u1", "/suppressions", "/templates", "/templates/acme-tpl",
                 "/templates/acme-tpl/versions", "/tokens", "/events/registry", "/settings", "/sends",
                 "/dmarc", "/dmarc/reports", "/dmarc/mailbox", "/dnsbl", "/postmaster", "/snds",
                 "/hygiene/sunsets", "/flows", "/flows/acme-flow", "/flows/acme-flow/versions", "/broadcasts",
                 "/broadcasts/acme-bc"):
        reads[path] = console.admin("GET", path)
    return {name: (r.status_code, without_request_id(r.json())) for name, r in reads.items()}


# Probes: (method, path, kind, json body or bytes of a raw gzip upload). Path placeholders: {acme-*}
# are filled from acme's data; the same probe is sent a second time with each id replaced by a fresh
# random one of the same form (uuid, 32 hex digits, IP address, email or name).
#   "id":  beta names acme's id -> the answer must equal the random-id answer (404-like).
#   "sel": beta names tenant acme -> 403, identical to naming a tenant that does not exist.
#   "own": beta's own listing -> nothing of acme appears in it.
Probe = tuple[str, str, str, Any]


def fill(path_or_body: Any, ids: dict[str, str]) -> Any:
    if isinstance(path_or_body, str):
        for name, value in ids.items():
            path_or_body = path_or_body.replace("{" + name + "}", value)
        return path_or_body
    if isinstance(path_or_body, dict):
        return {k: fill(v, ids) for k, v in path_or_body.items()}
    if isinstance(path_or_body, list):
        return [fill(v, ids) for v in path_or_body]
    return path_or_body


def random_ids(ids: dict[str, str]) -> dict[str, str]:
    out = {}
    for name, value in ids.items():
        if HEX32.fullmatch(value):
            out[name] = uuid.uuid4().hex
            continue
        try:
            ipaddress.ip_address(value)
            out[name] = f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"  # RFC 2544 range
            continue
        except ValueError:
            pass
        try:
            uuid.UUID(value)
            out[name] = str(uuid.uuid4())
        except ValueError:
            fresh = f"nx{uuid.uuid4().hex[:10]}"
            out[name] = f"{fresh}@ex.test" if "@" in value else fresh
    return out


def shape(answer: httpx.Response, ids: dict[str, str]) -> tuple[int, str]:
    """Status and body without request_id, each id named by its placeholder."""
    try:
        body = answer.json()
    except ValueError:
        text = answer.text
    else:
        text = repr(without_request_id(body) if isinstance(body, dict) else body)
    for name, value in sorted(ids.items(), key=lambda kv: -len(kv[1])):
        text = text.replace(value, "{" + name + "}")
    # ids derived from the caller's own tenant and the id it named (uuid5), not from acme's data
    return answer.status_code, UUID.sub("<uuid>", text)


def acme_markers(ids: dict[str, str]) -> list[str]:
    return [*ids.values(), "acme-console", "secret-subject", "acme-u2", "acme-m2", "acme.test", SNDS_IP,
            "acme-src-label", "acme-esp-label", "imap.acme.test", "acme-mbox-user", "Acme Flow",
            "acme-flow-tag", "Acme News", "Acme Broadcast", "acme-bl.test", "Acme BL"]
