"""Signed tracking and recipient links (console.md §10), for whoever renders a send.

Console sends call these when they build a message:

* ``track_html(tenant_id, send_id, html, opens=, clicks=, unsubscribe_url=)`` rewrites the
  links to click URLs (remembering each linkId's target) and adds the open pixel;
* ``unsubscribe_url(tenant_id, contact_id, send_id)`` is ``{{ unsubscribeUrl }}`` and the
  target of ``list_unsubscribe_headers(...)`` (RFC 8058, marketing only);
* ``doi_url(tenant_id, contact_id, token)`` is ``vars.confirmUrl`` of the DOI mail.

Signatures: first 16 chars of base64url(HMAC-SHA256(tenant tracking key,
``lm.track.v1:open:<sendId>`` | ``lm.track.v1:click:<sendId>:<linkId>``)). Tokens:
base64url(JSON) + ``.`` + base64url(HMAC); no address ever appears in a URL. The linkId ->
URL map lives in ``tracking_links`` (created by migrate, never rebuilt): the click route
redirects only to a URL this instance rewrote, so it cannot be an open redirect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

import msgspec

from adapters.contact_keys import derive
from adapters.sqldb import PostgresDatabase, SqliteDatabase
from domain.templates.tracking import rewrite

TRACKING_DAYS, UNSUBSCRIBE_DAYS, DOI_DAYS = 365, 365, 7


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TrackingLinks:
    TABLE = "tracking_links"

    def __init__(self, db: SqliteDatabase | PostgresDatabase, master_key: bytes, public_url: str) -> None:
        self.db, self.public_url = db, public_url.rstrip("/")
        self._base = derive(master_key, "ledgermail tracking v1")

    def create(self) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS {self.TABLE} (send_id TEXT NOT NULL, "
                "link_id TEXT NOT NULL, url TEXT NOT NULL, PRIMARY KEY (send_id, link_id))"
            )

    # --- signatures ------------------------------------------------------------------------
    def _key(self, tenant_id: str) -> bytes:
        return hmac.new(self._base, f"tenant:{tenant_id}".encode(), hashlib.sha256).digest()

    def _sig(self, tenant_id: str, text: str) -> str:
        return _b64(hmac.new(self._key(tenant_id), text.encode(), hashlib.sha256).digest())[:16]

    def open_sig(self, tenant_id: str, send_id: str) -> str:
        return self._sig(tenant_id, f"lm.track.v1:open:{send_id}")

    def click_sig(self, tenant_id: str, send_id: str, link_id: str) -> str:
        return self._sig(tenant_id, f"lm.track.v1:click:{send_id}:{link_id}")

    def valid(self, given: str, expected: str) -> bool:
        return hmac.compare_digest(given.encode(), expected.encode())

    # --- URLs ------------------------------------------------------------------------------
    def pixel_url(self, tenant_id: str, send_id: str) -> str:
        return f"{self.public_url}/t/o/{send_id}.{self.open_sig(tenant_id, send_id)}.png"

    def click_url(self, tenant_id: str, send_id: str, link_id: str) -> str:
        return f"{self.public_url}/t/c/{send_id}/{link_id}/{self.click_sig(tenant_id, send_id, link_id)}"

    def track_html(
        self,
        tenant_id: str,
        send_id: str,
        html: str,
        *,
        opens: bool = True,
        clicks: bool = True,
        unsubscribe_url: str | None = None,
    ) -> str:
        """The HTML with click URLs and the pixel; the link targets are remembered first,
        so no mail can carry a click URL the redirect does not know."""
        click = (lambda ident, _url: self.click_url(tenant_id, send_id, ident)) if clicks else None
        out, links = rewrite(
            html, send_id, click, self.pixel_url(tenant_id, send_id) if opens else None, unsubscribe_url
        )
        self.remember(send_id, links)
        return out

    def remember(self, send_id: str, links: dict[str, str]) -> None:
        if not links:
            return
        with self.db.transaction() as tx:
            for link_id, url in links.items():
                tx.execute(
                    f"INSERT INTO {self.TABLE} (send_id, link_id, url) VALUES (?, ?, ?) "
                    "ON CONFLICT (send_id, link_id) DO NOTHING",
                    (send_id, link_id, url),
                )

    def link_url(self, send_id: str, link_id: str) -> str | None:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT url FROM {self.TABLE} WHERE send_id = ? AND link_id = ?", (send_id, link_id)
            )
        return str(rows[0][0]) if rows else None

    # --- recipient tokens (unsubscribe, double opt-in) --------------------------------------
    def token(
        self,
        tenant_id: str,
        contact_id: str,
        purpose: str,
        *,
        now: float,
        send_id: str | None = None,
        scope: str = "marketing",
        days: int | None = None,
    ) -> str:
        lifetime = days if days is not None else (DOI_DAYS if purpose == "doi" else UNSUBSCRIBE_DAYS)
        claims: dict[str, Any] = {
            "t": tenant_id,
            "c": contact_id,
            "s": scope,
            "p": purpose,
            "x": int(now + lifetime * 86400),
        }
        if send_id is not None:
            claims["m"] = send_id
        if purpose == "doi":
            claims["n"] = secrets.token_hex(8)  # each confirmation mail gets its own token
        body = _b64(msgspec.json.encode(claims))
        return f"{body}.{_b64(hmac.new(self._key(tenant_id), body.encode(), hashlib.sha256).digest())}"

    def read_token(self, token: str, purpose: str, now: float) -> dict[str, Any] | None:
        """The claims of a valid, unexpired token of this purpose; None otherwise."""
        body, _, sig = token.partition(".")
        try:
            claims = msgspec.json.decode(_unb64(body))
        except (ValueError, msgspec.DecodeError):
            return None
        if not isinstance(claims, dict) or not isinstance(claims.get("t"), str):
            return None
        expected = _b64(hmac.new(self._key(claims["t"]), body.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(sig.encode(), expected.encode()):
            return None
        if claims.get("p") != purpose or not isinstance(claims.get("x"), int) or claims["x"] < now:
            return None
        return claims

    def unsubscribe_url(self, tenant_id: str, contact_id: str, send_id: str | None, *, now: float) -> str:
        return f"{self.public_url}/t/u/{self.token(tenant_id, contact_id, 'unsub', now=now, send_id=send_id)}"

    def doi_url(self, token: str) -> str:
        return f"{self.public_url}/t/doi/{token}"

    def list_unsubscribe_headers(
        self, unsubscribe_url: str, mailto: str | None = None
    ) -> list[tuple[str, str]]:
        """RFC 2369 + RFC 8058 headers of a marketing mail (both must be DKIM-signed)."""
        value = f"<{unsubscribe_url}>" + (f", <mailto:{mailto}>" if mailto else "")
        return [("List-Unsubscribe", value), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
