"""Lint, preview and publish (console.md §5.2-§5.4): the content linter and the publish gate."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, post
from litestar.params import FromPath

from adapters.templates import sends
from api.admin_auth import PUBLISH, READ, console_meta, console_of
from api.admin_common import SLUG, check_id
from api.body import decode_body
from api.calls import container_of, in_thread
from api.contracts.admin_templates import LintBody, PreviewBody, PublishBody
from api.controllers.admin.contact_writes import settle_all
from api.controllers.admin.templates import VIEWS, TemplatesWriteController, tenant_accounts
from api.errors import ApiError
from application.templates.content import content_of, prepare
from application.templates.publish import publish_template
from application.templates.render import Recipient
from domain.templates.rules import NotPublished

LINT_KEYS = {"subject", "preheader", "mjml", "html", "text", "from_email", "kind"}


class TemplatesGateController(TemplatesWriteController):
    @post(
        "/{slug:str}/lint",
        operation_id="ConsoleLintTemplate",
        summary="Run the content linter",
        guards=[READ],
        status_code=200,
    )
    async def lint(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> dict[str, Any]:
        check_id(slug, SLUG, "slug")
        body = await decode_body(request, LintBody, empty_ok=True)
        overrides = {
            k: v for k, v in msgspec.structs.asdict(body).items() if v is not msgspec.UNSET and k in LINT_KEYS
        }
        container, tenant_id = container_of(request), console_of(request).tenant_id

        def run() -> dict[str, Any]:
            template = container.content.template(tenant_id, slug)
            draft = (
                template.draft if template.draft is not None else template.seed_draft(template.version_number)
            )
            content = content_of(draft, template.fields, overrides)
            prepared = prepare(
                content,
                container.content.compiler,
                container.content.renderer,
                container.content.settings(tenant_id),
                container.settings.public_url,
                sends.alignment_domains(container),
            )
            return prepared.lint.as_dict()

        return await in_thread(run)

    @post(
        "/{slug:str}/preview",
        operation_id="ConsolePreviewTemplate",
        summary="Render for a contact",
        guards=[READ],
        status_code=200,
    )
    async def preview(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> dict[str, Any]:
        check_id(slug, SLUG, "slug")
        body = await decode_body(request, PreviewBody, empty_ok=True)
        container, tenant_id = container_of(request), console_of(request).tenant_id

        def run() -> dict[str, Any]:
            template = container.content.template(tenant_id, slug)
            if body.external_id is not None:
                _, recipient = sends.recipient_of(container, tenant_id, body.external_id)
            else:
                recipient = msgspec.convert(sends.sample(body.sample_contact), Recipient)
            if body.use_draft:
                source = (
                    {"mjml": body.mjml} if body.mjml is not None else {"html": body.html} if body.html else {}
                )
                version = sends.draft_version(container, template, source)
            else:
                version = template.latest
                if version is None:
                    raise NotPublished(f"template {slug} has no published version")
            page = sends.render_for(
                container,
                tenant_id,
                template.slug,
                version,
                recipient,
                body.vars,
                event=body.event,
                check=False,
            )
            return {
                "subject": page.subject,
                "preheader": page.preheader,
                "html": page.html,
                "text": page.text,
                "contact": recipient.as_root(),
            }

        return await in_thread(run)

    @post(
        "/{slug:str}/publish",
        operation_id="ConsolePublishTemplate",
        summary="Publish the draft",
        guards=[PUBLISH],
        status_code=200,
    )
    async def publish(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> dict[str, Any]:
        check_id(slug, SLUG, "slug")
        body = await decode_body(request, PublishBody, empty_ok=True)
        container, tenant_id = container_of(request), console_of(request).tenant_id
        accounts = await tenant_accounts(request, tenant_id)
        done = await in_thread(
            publish_template,
            container.content,
            tenant_id,
            slug,
            bypass=body.bypass_mail_tester,
            public_url=container.settings.public_url,
            accounts=accounts,
            meta=console_meta(request),
        )
        await settle_all(request, {"content": done.position}, VIEWS)
        return {"ok": True, "version": done.version, "warnings": done.warnings, "lint": done.lint}


def upstream(message: str) -> ApiError:
    return ApiError(502, "upstream_error", message)
