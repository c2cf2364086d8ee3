"""Mail-Tester over HTTP (console.md §5.5): ``POST {url}/{apiKey}/new`` provisions a check,
``GET {url}/{apiKey}/{checkId}`` reads it (404 = not ready yet); anything else is a 502."""

from __future__ import annotations

import math
from typing import Any

import httpx

from application.templates.ports import MailTesterCheck, MailTesterResult, MailTesterUnavailable


class HttpxMailTester:
    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url, self.timeout = base_url.rstrip("/"), timeout

    def _call(self, method: str, path: str) -> httpx.Response:
        try:
            with httpx.Client(timeout=self.timeout) as client:
                return client.request(method, f"{self.base_url}/{path}")
        except httpx.HTTPError as exc:
            raise MailTesterUnavailable(f"Mail-Tester unreachable: {type(exc).__name__}") from exc

    @staticmethod
    def _json(answer: httpx.Response) -> dict[str, Any]:
        try:
            data = answer.json()
        except ValueError as exc:
            raise MailTesterUnavailable("Mail-Tester answered with something that is not JSON") from exc
        if not isinstance(data, dict):
            raise MailTesterUnavailable("Mail-Tester answered with something that is not an object")
        return data

    def new_check(self, api_key: str) -> MailTesterCheck:
        answer = self._call("POST", f"{api_key}/new")
        if answer.status_code >= 300:
            raise MailTesterUnavailable(f"Mail-Tester refused a new check: HTTP {answer.status_code}")
        data = self._json(answer)
        check_id = data.get("check_id") or data.get("checkId")
        address = data.get("email_address") or data.get("email")
        if not isinstance(check_id, str) or not isinstance(address, str) or "@" not in address:
            raise MailTesterUnavailable("Mail-Tester's answer has no check id or address")
        return MailTesterCheck(check_id, address)

    def result(self, api_key: str, check_id: str) -> MailTesterResult:
        answer = self._call("GET", f"{api_key}/{check_id}")
        if answer.status_code == 404:
            return MailTesterResult(ready=False)
        if answer.status_code >= 300:
            raise MailTesterUnavailable(f"Mail-Tester answered HTTP {answer.status_code}")
        data = self._json(answer)
        score = data.get("score")
        finite = isinstance(score, (int, float)) and not isinstance(score, bool) and math.isfinite(score)
        if not data.get("ready") or not finite:
            return MailTesterResult(ready=False)
        feedback = [f for f in data.get("feedback") or [] if isinstance(f, dict)]
        summary = data.get("summary") if isinstance(data.get("summary"), str) else None
        return MailTesterResult(
            ready=True, score=max(0.0, min(10.0, float(score))), feedback=feedback, summary=summary
        )
