"""httpx clients of Google Postmaster Tools and the Microsoft SNDS data feed (console.md §14).

Base URLs come from the instance environment (``LEDGERMAIL_POSTMASTER_URL``,
``POSTMASTER_TOKEN_URL``, ``SNDS_URL``; ``FeedEndpoints``), so tests point them at a loopback
server. Postmaster: a refresh-token grant, the access token cached (per client id and
refresh token) until 5 minutes before it expires, then ``trafficStats`` with the bearer, up
to 3 pages; a 401 drops the cached token. A 429 becomes ``FeedError`` with the server's
``Retry-After``. SNDS: one GET with the key as a query parameter, never echoed in errors.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx
import msgspec

from application.ports import Clock
from application.reputation.postmaster_ports import FeedError, PostmasterCredentials

MAX_PAGES = 3
EARLY_SECONDS = 300.0  # refresh a token 5 minutes before it expires


class FeedEndpoints(msgspec.Struct, frozen=True):
    postmaster_url: str = "https://gmailpostmastertools.googleapis.com/v1"
    postmaster_token_url: str = "https://oauth2.googleapis.com/token"
    snds_url: str = "https://sendersupport.olc.protection.outlook.com/snds/data.aspx"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> FeedEndpoints:
        env = os.environ if env is None else env
        base = cls()
        return cls(
            postmaster_url=(env.get("LEDGERMAIL_POSTMASTER_URL") or base.postmaster_url).rstrip("/"),
            postmaster_token_url=env.get("LEDGERMAIL_POSTMASTER_TOKEN_URL") or base.postmaster_token_url,
            snds_url=env.get("LEDGERMAIL_SNDS_URL") or base.snds_url,
        )


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def _failure(response: httpx.Response, what: str) -> FeedError:
    if response.status_code == 429:
        wait = _retry_after(response)
        note = f"; retry after {wait:g} s" if wait is not None else ""
        return FeedError(429, f"{what} throttled the pull (429){note}", wait)
    return FeedError(response.status_code, f"{what} answered {response.status_code}")


class HttpxPostmasterClient:
    def __init__(self, endpoints: FeedEndpoints, clock: Clock, *, timeout: float = 15.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.endpoints, self.clock, self.timeout = endpoints, clock, timeout
        self.transport = transport
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def _token(self, http: httpx.Client, credentials: PostmasterCredentials) -> str:
        cache = (credentials.client_id, credentials.refresh_token)
        with self._lock:
            cached = self._tokens.get(cache)
        if cached is not None and cached[1] - EARLY_SECONDS > self.clock.now():
            return cached[0]
        form = {"grant_type": "refresh_token", "client_id": credentials.client_id,
                "client_secret": credentials.client_secret, "refresh_token": credentials.refresh_token}
        answer = http.post(self.endpoints.postmaster_token_url, data=form)
        if answer.status_code != 200:
            raise _failure(answer, "the token endpoint")
        body = answer.json()
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise FeedError(502, "the token endpoint sent no access_token")
        expires = float(body.get("expires_in") or 3600)
        with self._lock:
            self._tokens[cache] = (token, self.clock.now() + expires)
        return token

    def traffic_stats(self, credentials: PostmasterCredentials, domain: str) -> list[dict[str, Any]]:
        url = f"{self.endpoints.postmaster_url}/domains/{quote(domain, safe='')}/trafficStats"
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as http:
                return self._pages(http, credentials, url)
        except httpx.HTTPError as exc:
            raise FeedError(0, f"Postmaster Tools unreachable: {type(exc).__name__}") from None

    def _pages(self, http: httpx.Client, credentials: PostmasterCredentials,
               url: str) -> list[dict[str, Any]]:
        pages: list[dict[str, Any]] = []
        params: dict[str, str] = {"pageSize": "30"}
        for _ in range(MAX_PAGES):
            token = self._token(http, credentials)
            answer = http.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
            if answer.status_code == 401:  # revoked or expired early: fetch a new one next time
                with self._lock:
                    self._tokens.pop((credentials.client_id, credentials.refresh_token), None)
            if answer.status_code != 200:
                raise _failure(answer, "Postmaster Tools")
            body = answer.json()
            pages.append(body if isinstance(body, dict) else {})
            following = pages[-1].get("nextPageToken")
            if not isinstance(following, str) or not following:
                break
            params = {"pageSize": "30", "pageToken": following}
        return pages


class HttpxSndsClient:
    def __init__(self, endpoints: FeedEndpoints, *, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.endpoints, self.timeout, self.transport = endpoints, timeout, transport

    def data(self, key: str) -> str:
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as http:
                answer = http.get(self.endpoints.snds_url, params={"key": key})
        except httpx.HTTPError as exc:  # the message of an httpx error may hold the URL (the key)
            raise FeedError(0, f"SNDS unreachable: {type(exc).__name__}") from None
        if answer.status_code != 200:
            raise _failure(answer, "SNDS")
        return answer.text
