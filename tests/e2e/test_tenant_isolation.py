"""Tenants are walls (issue #12; proxy.md §1, console.md §1.1, §1.3).

acme holds data of every kind; beta, with its tenant key and with a console key of its own,
calls every route of the live OpenAPI schema naming acme's ids or tenant. Nothing of acme is
readable or changeable, and "exists in another tenant" answers exactly like "does not exist"
(status, error code and body, modulo request_id). A new route in the schema fails
``test_every_route_is_classified`` until it gets probes here or a reason it needs none.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from adapters.settings import Settings
from tests.support import pg
from tests.support.console import Console
from tests.support.dns_server import dns_server
from tests.support.isolation import (
    DMARC_REPORT,
    GHOST,
    Probe,
    acme_markers,
    fill,
    random_ids,
    seed,
    shape,
    snapshot,
)
from tests.support.live import live_server
from tests.support.postmaster_server import feed_server
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.e2e

C = "/admin/api"
HOOK = {"source": "mta", "events": [{"id": "{acme-pk}-e", "type": "bounce", "messageId": "{acme-pk}",
                                     "occurredAt": "2026-01-01T00:00:00.000Z", "bounce": {"code": "5.1.1"}}]}
T = f"{C}/templates/{{acme-tpl}}"
F, B = f"{C}/flows/{{acme-flow}}", f"{C}/broadcasts/{{acme-bc}}"
# "METHOD path" -> probes, or the reason the route takes neither a tenant-scoped id nor a selector.
ROUTES: dict[str, list[Probe] | str] = {
    "GET /health": "public, no tenant data",
    # Known, by contract: public by default (proxy.md §3, §13, scenario 2) with tenant_id and
    # account_id labels, so any caller sees every tenant's and account's ids and counts; closed
    # only by metrics_require_token. Not a tenant-key route, so not probed here.
    "GET /metrics": "public instance metrics (tenant_id/account_id labels by contract, see above)",
    "GET /downloads/{file_id}/{filename}": "public signed URL: no tenant key is involved (proxy.md §9.4)",
    "GET /status": [("GET", "/status", "own", None)],
    "POST /commands/run-now": [("POST", "/commands/run-now?tenant_id={t}", "sel", None)],
    "POST /commands/suspend": [("POST", "/commands/suspend?tenant_id={t}", "sel", None)],
    "POST /commands/activate": [("POST", "/commands/activate?tenant_id={t}", "sel", None)],
    "POST /commands/add-messages": [
        ("POST", "/commands/add-messages?tenant_id={t}", "sel", {"messages": [{"id": "x"}]}),
        ("POST", "/commands/add-messages", "new", {"messages": [{
            "id": "{acme-m}", "account_id": "sink", "from": "a@mail.acme.test", "to": "z@ex.test",
            "subject": "s", "body": "b"}]})],
    "POST /commands/delete-messages": [
        ("POST", "/commands/delete-messages", "id", {"ids": ["{acme-m}"]}),
        ("POST", "/commands/delete-messages", "sel", {"ids": ["x"], "tenant_id": "{t}"})],
    "POST /commands/cleanup-messages": [
        ("POST", "/commands/cleanup-messages", "sel", {"tenant_id": "{t}", "older_than_seconds": 0})],
    "GET /messages": [("GET", "/messages?tenant_id={t}", "sel", None), ("GET", "/messages", "own", None),
                      ("GET", "/messages?account_id={acme-acct}", "id", None)],
    "GET /messages/{id}": [("GET", "/messages/{acme-m}", "id", None),
                           ("GET", "/messages/{acme-m}?tenant_id={t}", "sel", None)],
    "POST /account": [("POST", "/account", "sel", {"id": "x", "host": "h", "port": 25, "tenant_id": "{t}"}),
                      ("POST", "/account", "new", {"id": "{acme-acct}", "host": "127.0.0.1", "port": 9})],
    "GET /accounts": [("GET", "/accounts?tenant_id={t}", "sel", None), ("GET", "/accounts", "own", None)],
    "DELETE /account/{id}": [("DELETE", "/account/{acme-acct}", "id", None),
                             ("DELETE", "/account/{acme-acct}?tenant_id={t}", "sel", None)],
    "GET /tenant/{id}": [("GET", "/tenant/{t}", "sel", None)],
    "PUT /tenant/{id}": [("PUT", "/tenant/{t}", "sel", {"name": "pwned"})],
    "DELETE /tenant/{id}": [("DELETE", "/tenant/{t}", "sel", None)],
    "POST /tenant/{id}/api-key": [("POST", "/tenant/{t}/api-key", "sel", None)],
    "DELETE /tenant/{id}/api-key": [("DELETE", "/tenant/{t}/api-key", "sel", None)],
    "POST /tenant": [("POST", "/tenant", "new", {"id": "{acme-acct}"})],
    "GET /tenants": [("GET", "/tenants?tenant_id={t}", "sel", None)],
    "GET /tenants/sync-status": [("GET", "/tenants/sync-status?tenant_id={t}", "sel", None)],
    "GET /instance": [("GET", "/instance?tenant_id={t}", "sel", None)],
    "PUT /instance": [("PUT", "/instance?tenant_id={t}", "sel", {"name": "x"})],
    "POST /instance/reload-bounce": [("POST", "/instance/reload-bounce?tenant_id={t}", "sel", None)],
    "POST /bounces/inbound": [("POST", "/bounces/inbound?tenant_id={t}", "sel", None)],
    "GET /command-log": [("GET", "/command-log?tenant_id={t}", "sel", None)],
    "GET /command-log/export": [("GET", "/command-log/export?tenant_id={t}", "sel", None)],
    # console: every route also gets the X-Tenant-Id probe (beta's keys naming acme vs ghost)
    f"GET {C}/me": [("GET", f"{C}/me", "own", None)],
    f"GET {C}/dashboard": [("GET", f"{C}/dashboard", "own", None)],
    f"GET {C}/audit": [("GET", f"{C}/audit", "own", None)],
    f"GET {C}/events": [("GET", f"{C}/events", "own", None)],
    f"POST {C}/events": [("POST", f"{C}/events", "id",
                          {"name": "{acme-reg}", "externalId": "{acme-u}", "dedupeKey": "k"})],
    f"PUT {C}/events/registry/{{name}}": [
        ("PUT", f"{C}/events/registry/{{acme-reg}}", "new", {"dedupePolicy": "every-time"})],
    f"DELETE {C}/events/registry/{{name}}": [("DELETE", f"{C}/events/registry/{{acme-reg}}", "id", None)],
    f"GET {C}/contacts": [("GET", f"{C}/contacts", "own", None)],
    f"POST {C}/contacts/import": [("POST", f"{C}/contacts/import", "new", {
        "contacts": [{"externalId": "{acme-u}", "email": "{acme-u}@ex.test"}]})],
    f"GET {C}/contacts/{{external_id}}": [("GET", f"{C}/contacts/{{acme-u}}", "id", None)],
    f"PUT {C}/contacts/{{external_id}}": [
        ("PUT", f"{C}/contacts/{{acme-u}}", "new", {"email": "{acme-u}@ex.test"})],
    f"GET {C}/contacts/{{external_id}}/export": [("GET", f"{C}/contacts/{{acme-u}}/export", "id", None)],
    f"POST {C}/contacts/{{external_id}}/forget": [("POST", f"{C}/contacts/{{acme-u}}/forget", "id", None)],
    f"POST {C}/contacts/{{external_id}}/subscribe": [
        ("POST", f"{C}/contacts/{{acme-u}}/subscribe", "id", {"source": "t"})],
    f"POST {C}/contacts/{{external_id}}/tags": [
        ("POST", f"{C}/contacts/{{acme-u}}/tags", "id", {"add": ["x"]})],
    f"POST {C}/contacts/{{external_id}}/unsubscribe": [
        ("POST", f"{C}/contacts/{{acme-u}}/unsubscribe", "id", {})],
    f"GET {C}/history/aggregates/{{aggregate_id}}": [
        ("GET", f"{C}/history/aggregates/{{acme-pk}}", "id", None)],
    f"GET {C}/history/aggregates/{{aggregate_id}}/transitions": [
        ("GET", f"{C}/history/aggregates/{{acme-pk}}/transitions", "id", None)],
    f"GET {C}/history/messages/{{client_id}}": [("GET", f"{C}/history/messages/{{acme-m}}", "id", None)],
    # Known side channel, left as designed: the positions are of the instance-wide logs, so a
    # tenant key with admin-read sees them advance with other tenants' activity (no ids, no data).
    f"GET {C}/history/positions": [("GET", f"{C}/history/positions?as_of_ts=0", "own", None)],
    f"GET {C}/history/views/{{name}}": [("GET", f"{C}/history/views/messages", "own", None)],
    f"GET {C}/sends": [("GET", f"{C}/sends", "own", None)],
    f"POST {C}/sends": [("POST", f"{C}/sends", "id",
                         {"templateSlug": "{acme-tpl}", "externalId": "{acme-u}", "dedupeKey": "d"})],
    f"GET {C}/sends/{{send_id}}": [("GET", f"{C}/sends/{{acme-pk}}", "id", None)],
    f"GET {C}/settings": [("GET", f"{C}/settings", "own", None)],
    f"PATCH {C}/settings": [("PATCH", f"{C}/settings", "own", {"defaultAccounts": {}})],
    f"GET {C}/suppressions": [("GET", f"{C}/suppressions", "own", None)],
    f"POST {C}/suppressions": [("POST", f"{C}/suppressions", "new",
                                {"email": "{acme-supp}", "scope": "all", "reason": "manual"})],
    f"POST {C}/suppressions/lift": [
        ("POST", f"{C}/suppressions/lift", "id", {"email": "{acme-supp}", "note": "why"})],
    f"GET {C}/templates": [("GET", f"{C}/templates", "own", None)],
    f"POST {C}/templates": [("POST", f"{C}/templates", "new", {
        "slug": "{acme-tpl}", "name": "B", "kind": "transactional", "fromEmail": "x@mail.acme.test"})],
    f"GET {C}/templates/{{slug}}": [("GET", T, "id", None)],
    f"DELETE {C}/templates/{{slug}}": [("DELETE", T, "id", None)],
    f"PATCH {C}/templates/{{slug}}/draft": [("PATCH", f"{T}/draft", "id", {"notes": "x"})],
    f"POST {C}/templates/{{slug}}/lint": [("POST", f"{T}/lint", "id", {})],
    f"GET {C}/templates/{{slug}}/mail-tester": [("GET", f"{T}/mail-tester", "id", None)],
    # Mail-Tester is not configured here: check and result both answer 400 not_configured first
    f"POST {C}/templates/{{slug}}/mail-tester-check": [("POST", f"{T}/mail-tester-check", "id", {})],
    f"GET {C}/templates/{{slug}}/mail-tester-result": [
        ("GET", f"{T}/mail-tester-result?checkId=c1", "id", None)],
    f"POST {C}/templates/{{slug}}/preview": [("POST", f"{T}/preview", "id", {})],
    f"POST {C}/templates/{{slug}}/publish": [("POST", f"{T}/publish", "id", {})],
    f"POST {C}/templates/{{slug}}/send-test": [("POST", f"{T}/send-test", "id", {"to": "q@ex.test"})],
    f"GET {C}/templates/{{slug}}/versions": [("GET", f"{T}/versions", "id", None)],
    f"GET {C}/templates/{{slug}}/versions/{{number}}": [("GET", f"{T}/versions/1", "id", None)],
    f"GET {C}/tokens": [("GET", f"{C}/tokens", "own", None)],
    f"POST {C}/tokens": [("POST", f"{C}/tokens", "new", {"label": "acme-console", "scopes": ["publish"]})],
    f"DELETE {C}/tokens/{{key_id}}": [("DELETE", f"{C}/tokens/{{acme-key}}", "id", None)],
    f"POST {C}/webhooks/events": [("POST", f"{C}/webhooks/events", "id", HOOK)],
    f"GET {C}/health": [("GET", f"{C}/health", "own", None)],
    f"GET {C}/health/trips": [("GET", f"{C}/health/trips", "own", None)],
    f"POST {C}/health/trip": [("POST", f"{C}/health/trip", "new", {"senderDomain": "news.acme.test",
                                                                   "reason": "probe"})],
    f"POST {C}/health/resume": [("POST", f"{C}/health/resume", "own", {})],
    f"GET {C}/dnsbl": [("GET", f"{C}/dnsbl", "own", None)],
    f"POST {C}/dnsbl/recheck": [("POST", f"{C}/dnsbl/recheck", "own", {}),
                                ("POST", f"{C}/dnsbl/recheck", "id", {"targets": ["{acme-bl-ip}"]})],
    f"GET {C}/dmarc": [("GET", f"{C}/dmarc", "own", None)],
    f"GET {C}/dmarc/reports": [("GET", f"{C}/dmarc/reports", "own", None)],
    f"GET {C}/dmarc/reports/{{report_id}}": [("GET", f"{C}/dmarc/reports/{{acme-dmarc}}", "id", None)],
    # a raw gzip body (bytes): another tenant uploads acme's very report, answered as for any
    f"POST {C}/dmarc/upload": [("POST", f"{C}/dmarc/upload?filename=r.xml.gz", "new", DMARC_REPORT)],
    # DELETE before PUT: beta's own tag of acme's source ip (from the PUT probe) would be deleted
    f"DELETE {C}/dmarc/sources/{{ip}}": [("DELETE", f"{C}/dmarc/sources/{{acme-ip}}", "id", None)],
    f"PUT {C}/dmarc/sources/{{ip}}": [("PUT", f"{C}/dmarc/sources/{{acme-ip}}", "id", {"label": "x"})],
    f"GET {C}/dmarc/mailbox": [("GET", f"{C}/dmarc/mailbox", "own", None)],
    f"PUT {C}/dmarc/mailbox": [("PUT", f"{C}/dmarc/mailbox", "own", {"host": "", "enabled": False})],
    f"POST {C}/dmarc/mailbox/poll": [("POST", f"{C}/dmarc/mailbox/poll", "own", {})],
    f"GET {C}/postmaster": [("GET", f"{C}/postmaster", "own", None)],
    f"POST {C}/postmaster/refresh": [("POST", f"{C}/postmaster/refresh", "own", {})],
    f"GET {C}/snds": [("GET", f"{C}/snds", "own", None)],
    f"POST {C}/snds/refresh": [("POST", f"{C}/snds/refresh", "own", {})],
    f"GET {C}/hygiene": [("GET", f"{C}/hygiene?refresh=1", "own", None)],
    f"POST {C}/hygiene/sunset": [("POST", f"{C}/hygiene/sunset", "own", {"confirmCount": 0})],
    f"GET {C}/hygiene/sunsets": [("GET", f"{C}/hygiene/sunsets", "own", None)],
    f"POST {C}/hygiene/sunsets/{{run_id}}/revert": [
        ("POST", f"{C}/hygiene/sunsets/{{acme-run}}/revert", "id", None)],
    f"GET {C}/flows": [("GET", f"{C}/flows", "own", None)],
    f"POST {C}/flows": [("POST", f"{C}/flows", "new", {
        "slug": "{acme-flow}", "name": "F", "trigger": {"type": "event", "eventName": "AcmeSignup"}})],
    f"GET {C}/flows/{{slug}}": [("GET", F, "id", None)],
    f"GET {C}/flows/{{slug}}/versions": [("GET", f"{F}/versions", "id", None)],
    f"GET {C}/flows/{{slug}}/runs": [("GET", f"{F}/runs", "id", None)],
    f"PATCH {C}/flows/{{slug}}/draft": [("PATCH", f"{F}/draft", "id", {"notes": "x"})],
    f"POST {C}/flows/{{slug}}/publish": [("POST", f"{F}/publish", "id", {"enable": False})],
    f"POST {C}/flows/{{slug}}/pause": [("POST", f"{F}/pause", "id", {})],
    f"POST {C}/flows/{{slug}}/resume": [("POST", f"{F}/resume", "id", None)],
    f"POST {C}/flows/{{slug}}/abort": [("POST", f"{F}/abort", "id", {"externalId": "{acme-u}"})],
    f"DELETE {C}/flows/{{slug}}": [("DELETE", F, "id", None)],
    f"GET {C}/broadcasts": [("GET", f"{C}/broadcasts", "own", None)],
    f"POST {C}/broadcasts": [
        ("POST", f"{C}/broadcasts", "new", {"slug": "{acme-bc}", "name": "B", "templateSlug": "{acme-news}"}),
        ("POST", f"{C}/broadcasts", "id", {"slug": "b-probe", "name": "B", "templateSlug": "{acme-news}"})],
    f"GET {C}/broadcasts/{{slug}}": [("GET", B, "id", None)],
    f"PATCH {C}/broadcasts/{{slug}}": [("PATCH", B, "id", {"name": "x"})],
    f"POST {C}/broadcasts/{{slug}}/count": [("POST", f"{B}/count", "id", {})],
    f"POST {C}/broadcasts/{{slug}}/confirm": [("POST", f"{B}/confirm", "id", {"confirmedCount": 0})],
    f"POST {C}/broadcasts/{{slug}}/schedule": [
        ("POST", f"{B}/schedule", "id", {"scheduledAt": "2020-01-01T00:00:00Z"})],
    f"POST {C}/broadcasts/{{slug}}/unschedule": [("POST", f"{B}/unschedule", "id", None)],
    f"POST {C}/broadcasts/{{slug}}/pause": [("POST", f"{B}/pause", "id", {})],
    f"POST {C}/broadcasts/{{slug}}/resume": [("POST", f"{B}/resume", "id", {})],
    f"POST {C}/broadcasts/{{slug}}/cancel": [("POST", f"{B}/cancel", "id", None)],
}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One server per backend: acme and beta seeded, acme's own view of its data before any probe."""
    data_dir: Path = tmp_path_factory.mktemp("isolation") / "data"
    settings = Settings.from_env({}, data_dir=data_dir, projection_poll_seconds=0.05)
    if request.param == "postgres":
        db_url = request.getfixturevalue("pg_database")
        settings = msgspec.structs.replace(settings, database_url=db_url,
                                           database_schema=pg.create_schema(db_url))
    sink = SmtpSink().start()
    try:
        with dns_server() as dns, feed_server() as feeds:  # DNSBL, Postmaster and SNDS on loopback
            settings = msgspec.structs.replace(settings, dns_resolver=dns.address, dns_timeout_s=0.3)
            with live_server(settings, dispatch=True) as live:
                live.container.feed_endpoints = feeds.endpoints  # type: ignore[attr-defined]
                console = Console(live)
                ids, beta_console = seed(console, sink, feeds)
                yield console, ids, beta_console, snapshot(console), own_views(console, ids, beta_console)
    finally:
        sink.stop()


def schema_routes(console: Console) -> set[str]:
    schema = console.live.call("GET", "/schema/openapi.json", None)
    assert schema.status_code == 200, schema.text[:300]
    return {f"{m.upper()} {p}" for p, ops in schema.json()["paths"].items() for m in ops}


def probes(kind: str) -> list[tuple[str, Probe]]:
    return [(route, p) for route, ps in ROUTES.items() if not isinstance(ps, str) for p in ps if p[2] == kind]


def beta_tokens(console: Console, beta_console: str, path: str) -> list[str]:
    return [console.keys["beta"], beta_console] if path.startswith(C) else [console.keys["beta"]]


def call(console: Console, token: str, method: str, path: str, body: Any, headers: Any = None) -> Any:
    kwargs: dict[str, Any] = {"headers": dict(headers or {})}
    if isinstance(body, bytes):  # a raw upload (the DMARC report is gzip)
        kwargs["content"], kwargs["headers"]["Content-Type"] = body, "application/gzip"
    elif body is not None:
        kwargs["json"] = body
    return console.live.call(method, path, token, **kwargs)


def own_views(console: Console, ids: dict[str, str], beta_console: str) -> list[tuple[str, str]]:
    """beta's own listings, read before any probe of beta's could echo acme's ids back to it."""
    return [(route, call(console, token, method, fill(path, ids), fill(body, ids)).text)
            for route, (method, path, _, body) in probes("own")
            for token in beta_tokens(console, beta_console, path)]


def test_every_route_is_classified(world: Any) -> None:
    console = world[0]
    live_routes = schema_routes(console)
    assert sorted(live_routes - set(ROUTES)) == [], "new routes: add isolation probes or a reason"
    assert sorted(set(ROUTES) - live_routes) == [], "routes gone from the schema"


def test_other_tenants_ids_answer_like_unknown_ids(world: Any) -> None:
    console, ids, beta_console, before, _ = world
    wrong = []
    for route, (method, path, _, body) in probes("id"):
        ghost = random_ids(ids)
        for token in beta_tokens(console, beta_console, path):
            theirs = call(console, token, method, fill(path, ids), fill(body, ids))
            unknown = call(console, token, method, fill(path, ghost), fill(body, ghost))
            if shape(theirs, ids) != shape(unknown, ghost):
                wrong.append(f"{route}: {shape(theirs, ids)} != {shape(unknown, ghost)}")
    assert wrong == [], "\n".join(wrong)
    assert snapshot(console) == before


def test_naming_another_tenant_is_403_identical_to_a_missing_one(world: Any) -> None:
    console, ids, beta_console, before, _ = world
    wrong = []
    selector = [(r, p) for r, p in probes("sel")]
    selector += [(r, (p[0], p[1], "hdr", p[3])) for r, ps in ROUTES.items() if r.split()[1].startswith(C)
                 and not isinstance(ps, str) for p in ps[:1]]
    for route, (method, path, kind, body) in selector:
        for token in beta_tokens(console, beta_console, path):
            answers = []
            for tenant in ("acme", GHOST):
                where = {**ids, "t": tenant}
                headers = {"X-Tenant-Id": tenant} if kind == "hdr" else None
                answers.append(call(console, token, method, fill(path, where), fill(body, where), headers))
            shapes = [shape(a, {"t": t}) for a, t in zip(answers, ("acme", GHOST), strict=True)]
            if shapes[0] != shapes[1] or answers[0].status_code != 403:
                wrong.append(f"{route} {kind}: {shapes[0]} vs {shapes[1]}")
            elif answers[0].json()["error"] != "forbidden":
                wrong.append(f"{route}: error {answers[0].json()['error']}")
    assert wrong == [], "\n".join(wrong)
    assert snapshot(console) == before


def test_beta_sees_nothing_of_acme_in_its_own_views(world: Any) -> None:
    console, ids, _, before, views = world
    leaks = [f"{route}: {marker}" for route, text in views for marker in acme_markers(ids) if marker in text]
    assert leaks == [], "\n".join(leaks)
    assert snapshot(console) == before


def test_reusing_acmes_names_in_another_tenant_changes_nothing_of_acme(world: Any) -> None:
    """A new tenant creates things named like acme's: answered as for fresh names; acme unchanged."""
    console, ids, _, before, _ = world
    wrong = []
    for route, (method, path, _, body) in probes("new"):
        gamma, fresh = console.tenant(f"g-{uuid.uuid4().hex[:12]}"), random_ids(ids)
        account = {"id": "sink", "host": "127.0.0.1", "port": 9}
        assert call(console, gamma, "POST", "/account", account).status_code == 201
        theirs = call(console, gamma, method, fill(path, ids), fill(body, ids))
        unknown = call(console, gamma, method, fill(path, fresh), fill(body, fresh))
        if theirs.status_code != unknown.status_code:
            wrong.append(f"{route}: {theirs.status_code} {theirs.text[:120]} != {unknown.status_code}")
    assert wrong == [], "\n".join(wrong)
    assert snapshot(console) == before
