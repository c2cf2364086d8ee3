"""Test sends and the Mail-Tester gate of a template (console.md §5.2, §5.5)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath

from adapters.templates import mail_tester_ops, sends
from adapters.templates.mail_tester import HttpxMailTester
from api.admin_auth import PUBLISH, READ, console_meta, console_of
from api.admin_common import SLUG, bad_value, check_id
from api.body import decode_body
from api.calls import container_of, in_thread
from api.contracts.admin_templates import SendAnswer, SendTestBody
from api.controllers.admin.contact_writes import settle_all
from api.controllers.admin.template_gate import TemplatesGateController, upstream
from application.templates.ports import MailTesterUnavailable


def _client(request: Request[Any, Any, Any]) -> HttpxMailTester:
    return HttpxMailTester(container_of(request).settings.mailtester_url)


class TemplatesController(TemplatesGateController):
    """Every /admin/api/templates handler (inherited: one controller per path)."""

    @post(
        "/{slug:str}/send-test",
        operation_id="ConsoleSendTest",
        summary="Send a [TEST] copy",
        guards=[PUBLISH],
        status_code=202,
    )
    async def send_test(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> SendAnswer:
        check_id(slug, SLUG, "slug")
        body = await decode_body(request, SendTestBody)
        if "@" not in body.to:
            raise bad_value("to", "an email address")
        container = container_of(request)
        done = await in_thread(
            sends.send_test,
            container,
            console_of(request).tenant_id,
            slug,
            body.to,
            external_id=body.external_id,
            values=body.vars,
            use_draft=body.use_draft,
            meta=console_meta(request),
        )
        await settle_all(request, {"sending": done.position}, ["messages"])
        return SendAnswer(send_id=done.send_id)

    @get(
        "/{slug:str}/mail-tester",
        operation_id="ConsoleMailTester",
        summary="Mail-Tester status",
        guards=[READ],
    )
    async def mail_tester(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> dict[str, Any]:
        check_id(slug, SLUG, "slug")
        return await in_thread(
            mail_tester_ops.status, container_of(request), console_of(request).tenant_id, slug
        )

    @post(
        "/{slug:str}/mail-tester-check",
        operation_id="ConsoleMailTesterCheck",
        summary="Score the draft with Mail-Tester (cached by content)",
        guards=[PUBLISH],
        status_code=200,
    )
    async def mail_tester_check(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> dict[str, Any]:
        check_id(slug, SLUG, "slug")
        try:
            out, position = await in_thread(
                mail_tester_ops.check,
                container_of(request),
                _client(request),
                console_of(request).tenant_id,
                slug,
                console_meta(request),
            )
        except MailTesterUnavailable as exc:
            raise upstream(str(exc)) from exc
        await settle_all(request, {"content": position}, ["templates"])
        return out

    @get(
        "/{slug:str}/mail-tester-result",
        operation_id="ConsoleMailTesterResult",
        summary="Poll a Mail-Tester check",
        guards=[READ],
    )
    async def mail_tester_result(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> dict[str, Any]:
        check_id(slug, SLUG, "slug")
        ident = request.query_params.get("checkId")
        if not ident or len(ident) > 200 or not ident.replace("-", "").replace("_", "").isalnum():
            raise bad_value("checkId", "the checkId a mail-tester-check returned")
        try:
            return await in_thread(
                mail_tester_ops.result,
                container_of(request),
                _client(request),
                console_of(request).tenant_id,
                slug,
                ident,
                console_meta(request),
            )
        except MailTesterUnavailable as exc:
            raise upstream(str(exc)) from exc
