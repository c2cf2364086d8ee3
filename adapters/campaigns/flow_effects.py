"""``FlowEffects`` for real: console sends, contact tags, contact events, signed webhooks.

Sends go through the console send pipeline (``adapters/console_sends.py``, console.md §2.3)
as ``origin="flow"``, priority 2, ``batch_code f:<flowSlug>``; the dedupe key makes a repeat
after a crash return the same send. Webhooks are signed with the tenant's webhook secret:
``X-Ledgermail-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from application.base import CommandMeta
from application.campaigns.flow_ports import FlowSend, SendOutcome, WebhookAnswer
from domain.console.rules import ContactNotFound

if TYPE_CHECKING:
    from adapters.bootstrap import Container

ACTOR = CommandMeta(actor="system:flows")
TIMEOUT_S = 10.0


def webhook_secret(container: Container, tenant_id: str) -> str:
    """The tenant's webhook signing secret, derived from the instance secret (stable, never stored)."""
    return container.secret_box.token_digest(b"flow-webhook/", tenant_id)


def signature(secret: str, at: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def public_target(url: str) -> bool:
    """https to a host that resolves only to public addresses."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return False
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if (
            ip.is_private
            or ip.is_loopback
            or ip.is_link_local
            or ip.is_reserved
            or ip.is_multicast
            or ip.is_unspecified
        ):
            return False
    return True


class ContainerFlowEffects:
    def __init__(
        self, container: Container, *, allow_private_webhooks: bool = False, http: httpx.Client | None = None
    ) -> None:
        self.c = container
        self.allow_private = allow_private_webhooks
        self.http = http or httpx.Client(timeout=TIMEOUT_S)

    def send(self, tenant_id: str, send: FlowSend) -> SendOutcome:
        from adapters.console_sends import ConsoleSend, enqueue_sends  # the lead's pipeline (§2.3)

        result = enqueue_sends(
            self.c,
            tenant_id,
            [
                ConsoleSend(
                    origin="flow",
                    dedupe_key=send.dedupe_key,
                    slug=send.slug,
                    external_id=send.external_id,
                    values=send.values,
                    event=send.event,
                    batch_code=send.batch_code,
                    priority=2,
                    not_before=send.not_before,
                    account_id=send.account_id,
                )
            ],
            ACTOR,
        )[0]
        return SendOutcome(
            result.send_id if result.status != "skipped" else None, result.status, result.status_reason
        )

    def tag(self, tenant_id: str, external_id: str, add: list[str], remove: list[str]) -> None:
        try:
            self.c.console.edit_tags(tenant_id, external_id, add, remove, ACTOR)
        except ContactNotFound:
            return  # forgotten meanwhile: the next step's check exits the run

    def fire_event(
        self, tenant_id: str, external_id: str, name: str, key: str, properties: dict[str, Any] | None
    ) -> None:
        try:
            self.c.console.fire_event(
                tenant_id,
                external_id,
                name,
                key=key,
                occurred_at=None,
                properties=properties or None,
                meta=ACTOR,
            )
        except ContactNotFound:
            return

    def webhook_allowed(self, url: str) -> bool:
        if self.allow_private:
            return urlsplit(url).scheme in ("http", "https")
        return public_target(url)

    def webhook(self, tenant_id: str, url: str, method: str, body: bytes) -> WebhookAnswer:
        at = int(self.c.clock.now())
        headers = {
            "Content-Type": "application/json",
            "X-Ledgermail-Signature": signature(webhook_secret(self.c, tenant_id), at, body),
        }
        try:
            answer = self.http.request(method, url, content=body, headers=headers, follow_redirects=False)
        except httpx.HTTPError as exc:
            return WebhookAnswer(None, type(exc).__name__)
        return WebhookAnswer(answer.status_code)
