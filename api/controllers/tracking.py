"""Token-less recipient routes under /t (console.md §10): pixel, click, unsubscribe, DOI.

No route echoes input into a page and no GET changes anything: a GET shows a page whose
button POSTs the same URL (mail scanners follow GETs). HEAD records nothing. The pixel
answers the same PNG whatever happens, so a tracker cannot probe signatures by status.
"""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, head, post
from litestar.params import FromPath

from adapters import console_outcomes
from api.calls import container_of, in_thread
from application.base import CommandMeta
from domain.sending.bots import truncate_ip

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
NO_STORE = {"Cache-Control": "no-store"}


def _page(title: str, text: str, status: int = 200, *, button: str | None = None) -> Response[str]:
    form = f'<form method="post"><button type="submit">{button}</button></form>' if button else ""
    body = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><h1>{title}</h1><p>{text}</p>{form}</body></html>"
    )
    return Response(body, status_code=status, media_type="text/html", headers=NO_STORE)


def _client(request: Request[Any, Any, Any]) -> tuple[str | None, str | None]:
    ua = request.headers.get("user-agent") or None
    return ua, request.client.host if request.client else None


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


def _record_hit(
    request: Request[Any, Any, Any], send_id: str, kind: str, sig: str, link_id: str | None = None
) -> str | None:
    """Record an open/click when the signature holds; the click's target URL, else None."""
    container, pk = container_of(request), _uuid(send_id)
    recorder = container.tracking_hits
    message = recorder.message(pk) if pk else None
    if message is None:
        return None
    links = container.tracking
    expected = (
        links.open_sig(message.tenant_id, send_id)
        if kind == "open"
        else links.click_sig(message.tenant_id, send_id, link_id or "")
    )
    if not links.valid(sig, expected) or not recorder.live(message, container.clock.now()):
        return None
    url = links.link_url(send_id, link_id) if link_id else None
    if kind == "click" and (url is None or not url.lower().startswith(("http://", "https://"))):
        return url or None  # an unknown link records nothing; a non-web one gets the 400 page
    ua, ip = _client(request)
    contact = message.contact_id
    seal = console_outcomes.sealer(container, message.tenant_id, contact)  # the contact's key (§2.4)
    recorder.hit(
        message,
        kind,
        CommandMeta(actor=f"recipient:{contact}" if contact else "system:tracking"),
        user_agent=ua,
        ip=ip,
        sealed_ua=seal(ua),
        sealed_ip=seal(truncate_ip(ip)),
        link_id=link_id,
        url=url,
    )
    return url


class TrackingController(Controller):
    path = "/t"
    tags = ["recipient routes"]
    include_in_schema = False

    @get("/o/{name:str}", operation_id="TrackOpen")
    async def pixel(self, request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
        send_id, _, rest = name.partition(".")
        sig, _, ext = rest.partition(".")
        if ext == "png":
            await in_thread(_record_hit, request, send_id, "open", sig)
        return Response(PNG, media_type="image/png", headers=NO_STORE)

    @head("/o/{name:str}", operation_id="TrackOpenHead")
    async def pixel_head(self, name: FromPath[str]) -> None:
        return None  # HEAD records nothing (console.md §10)

    @get("/c/{send_id:str}/{link_id:str}/{sig:str}", operation_id="TrackClick")
    async def click(
        self,
        request: Request[Any, Any, Any],
        send_id: FromPath[str],
        link_id: FromPath[str],
        sig: FromPath[str],
    ) -> Response[Any]:
        url = await in_thread(_record_hit, request, send_id, "click", sig, link_id)
        if url is None:
            return _page("Link not found", "This link is not valid or has expired.", 404)
        if not url.lower().startswith(("http://", "https://")):
            return _page("Link refused", "This link does not lead to a web page.", 400)
        return Response(None, status_code=302, headers={"Location": url, **NO_STORE})

    @head("/c/{send_id:str}/{link_id:str}/{sig:str}", operation_id="TrackClickHead")
    async def click_head(self, send_id: FromPath[str], link_id: FromPath[str], sig: FromPath[str]) -> None:
        return None  # HEAD records nothing (console.md §10)

    # --- unsubscribe (RFC 8058) -----------------------------------------------------------
    @get("/u/{token:str}", operation_id="UnsubscribePage")
    async def unsubscribe_page(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Response[str]:
        container = container_of(request)
        if container.tracking.read_token(token, "unsub", container.clock.now()) is None:
            return _page("Link not valid", "This unsubscribe link is not valid or has expired.", 400)
        return _page("Unsubscribe", "Stop receiving these emails?", button="Unsubscribe")

    @post("/u/{token:str}", operation_id="UnsubscribeOneClick", status_code=200)
    async def unsubscribe(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Response[str]:
        container = container_of(request)
        claims = container.tracking.read_token(token, "unsub", container.clock.now())
        if claims is None:
            return _page("Link not valid", "This unsubscribe link is not valid; nothing was changed.")
        try:
            positions = await in_thread(
                console_outcomes.one_click_unsubscribe, container, claims, "one_click"
            )
        except Exception:  # the store is down: the mail client retries one-click POSTs
            return Response(
                "unavailable",
                status_code=503,
                media_type="text/plain",
                headers={"Retry-After": "60", **NO_STORE},
            )
        if positions.as_dict():
            await in_thread(container.wait_for, positions.as_dict(), ["sends", "contacts", "suppressions"])
        return _page("Unsubscribed", "You will not receive these emails any more.")

    @head("/u/{token:str}", operation_id="UnsubscribeHead")
    async def unsubscribe_head(self, token: FromPath[str]) -> None:
        return None  # HEAD records nothing (console.md §10)

    # --- double opt-in --------------------------------------------------------------------
    @get("/doi/{token:str}", operation_id="DoiPage")
    async def doi_page(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Response[str]:
        container = container_of(request)
        if container.tracking.read_token(token, "doi", container.clock.now()) is None:
            return _page("Link not valid", "This confirmation link is not valid or has expired.", 400)
        return _page("Confirm your subscription", "Please confirm you want these emails.", button="Confirm")

    @post("/doi/{token:str}", operation_id="DoiConfirm", status_code=200)
    async def doi_confirm(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Response[str]:
        container = container_of(request)
        claims = container.tracking.read_token(token, "doi", container.clock.now())
        contact_id = _uuid(str(claims.get("c"))) if claims else None
        if claims is None or contact_id is None:
            return _page("Link not valid", "This confirmation link is not valid or has expired.", 400)
        ua, ip = _client(request)
        consent = {k: v for k, v in (("ip", truncate_ip(ip)), ("userAgent", ua)) if v}
        await in_thread(_confirm, container, claims["t"], contact_id, token, consent)
        return _page("Subscription confirmed", "Thank you, your subscription is confirmed.")

    @head("/doi/{token:str}", operation_id="DoiHead")
    async def doi_head(self, token: FromPath[str]) -> None:
        return None  # HEAD records nothing (console.md §10)


def _confirm(container: Any, tenant_id: str, contact_id: UUID, token: str, consent: dict[str, str]) -> None:
    """pending_doi -> subscribed, then the `subscription.confirmed` event (key per contact)."""
    meta = CommandMeta(actor=f"recipient:{contact_id}")
    changed, position = container.console.confirm_doi(tenant_id, contact_id, token, consent, meta)
    if not changed:
        return
    contact = container.console.contacts_with_address(tenant_id, [contact_id])
    if contact:
        fired = container.console.fire_event(
            tenant_id,
            contact[0].external_id,
            "subscription.confirmed",
            key=f"doi-confirmed:{contact_id}",
            occurred_at=None,
            properties=None,
            meta=meta,
        )
        position = max(position, getattr(fired, "position", 0))
    container.wait_for({"console": position}, ["contacts", "contact_events"])
