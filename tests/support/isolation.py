"""Tenant isolation helpers: acme's data of every kind, and beta's probes naming it.

``seed`` gives acme (and beta) one of everything; ``ROUTES`` maps every OpenAPI operation to
the probes that exercise it, or to the reason it takes no tenant-scoped id nor selector.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from tests.support.console import Console, without_request_id
from tests.support.live import eventually

ALL_SCOPES = ["admin-read", "publish", "broadcasts", "suppressions"]
GHOST = "ghost-tenant"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def message(msg_id: str, account: str = "sink") -> dict[str, Any]:
    return {"id": msg_id, "account_id": account, "from": "hello@mail.acme.test",
            "to": "u1@ex.test", "subject": "secret-subject", "body": "b"}


def seed(console: Console, sink: Any) -> tuple[dict[str, str], str]:
    """acme with messages, an account, contacts, a suppression, a template, a send, a console key."""
    live = console.live
    key = console.tenant("acme")
    console.tenant("beta")
    for tenant in ("acme", "beta"):
        answer = live.call("POST", "/account", console.keys[tenant],
                           json={"id": "sink", "host": sink.host, "port": sink.port, "use_tls": False})
        assert answer.status_code == 201, answer.text
    assert console.admin("PATCH", "/settings", json={
        "senderDomains": {"mail.acme.test": "transactional"},
        "defaultAccounts": {"transactional": "sink"}}).status_code == 200
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
           "acme-reg": "AcmeSignup"}
    return ids, beta_console


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
                 "/templates/acme-tpl/versions", "/tokens", "/events/registry", "/settings", "/sends"):
        reads[path] = console.admin("GET", path)
    return {name: (r.status_code, without_request_id(r.json())) for name, r in reads.items()}


# Probes: (method, path, kind, json body). Path placeholders: {acme-*} are filled from acme's
# data; the same probe is sent a second time with each id replaced by a fresh random one.
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
    return [*ids.values(), "acme-console", "secret-subject", "acme-u2", "acme-m2"]
