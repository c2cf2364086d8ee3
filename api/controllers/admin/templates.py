"""Templates, read and write side: list, detail, versions, create, draft, delete (console.md §5.2)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath

from adapters.template_usage import template_users
from api.admin_auth import PUBLISH, READ, console_meta, console_of
from api.admin_common import SLUG, bad_value, check_id, limit_of, make_cursor, read_cursor
from api.body import decode_body
from api.calls import container_of, in_thread
from api.contracts.admin_templates import DraftPatch, Ok, TemplateCreate
from api.controllers.admin.contact_writes import settle_all
from api.errors import ApiError
from api.template_views import template_doc, version_doc
from domain.templates.rules import AccountUnknown, sender_domain_invalid
from domain.templates.schema import schema_problem
from domain.templates.sender import sender_problem

VIEWS = ["templates", "audit"]
DRAFT = ("subject", "preheader", "format", "mjml", "html", "text", "notes")


async def tenant_accounts(request: Request[Any, Any, Any], tenant_id: str) -> set[str]:
    rows = await in_thread(container_of(request).projections["accounts"].view.list, tenant_id)
    return {r.account_id for r in rows}


def not_found(slug: str) -> ApiError:
    return ApiError(404, "not_found", f"template {slug} not found")


class TemplatesReadController(Controller):
    path = "/admin/api/templates"
    tags = ["console: templates"]

    @get("/", operation_id="ConsoleTemplates", summary="Templates, newest-updated first", guards=[READ])
    async def list_templates(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        tenant_id, view = console_of(request).tenant_id, container_of(request).projections["templates"].view
        kind = request.query_params.get("kind")
        if kind is not None and kind not in ("marketing", "transactional"):
            raise bad_value("kind", "marketing or transactional")
        limit, filters = limit_of(request, 50, 200), {"kind": kind}
        key = read_cursor(request, "templates", filters)
        before = (float(key[0]), str(key[1])) if key else None
        rows = await in_thread(view.list, tenant_id, kind=kind, before=before, limit=limit + 1)
        out: dict[str, Any] = {
            "templates": [
                template_doc(r.slug, r.doc, r.created_ts, r.updated_ts, full=False) for r in rows[:limit]
            ]
        }
        if len(rows) > limit:
            last = rows[limit - 1]
            out["nextCursor"] = make_cursor(request, "templates", filters, [last.updated_ts, last.slug])
        return out

    @get("/{slug:str}", operation_id="ConsoleTemplate", summary="One template", guards=[READ])
    async def get_template(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> dict[str, Any]:
        check_id(slug, SLUG, "slug")
        row = await in_thread(
            container_of(request).projections["templates"].view.get, console_of(request).tenant_id, slug
        )
        if row is None:
            raise not_found(slug)
        return template_doc(row.slug, row.doc, row.created_ts, row.updated_ts)

    @get(
        "/{slug:str}/versions",
        operation_id="ConsoleTemplateVersions",
        summary="Published versions",
        guards=[READ],
    )
    async def versions(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> dict[str, Any]:
        check_id(slug, SLUG, "slug")
        tenant_id, view = console_of(request).tenant_id, container_of(request).projections["templates"].view
        if await in_thread(view.get, tenant_id, slug) is None:
            raise not_found(slug)
        rows = await in_thread(view.versions, tenant_id, slug)
        return {"versions": [version_doc(r.doc, full=False) for r in rows]}

    @get(
        "/{slug:str}/versions/{number:int}",
        operation_id="ConsoleTemplateVersion",
        summary="One published version, whole",
        guards=[READ],
    )
    async def version(
        self, request: Request[Any, Any, Any], slug: FromPath[str], number: FromPath[int]
    ) -> dict[str, Any]:
        check_id(slug, SLUG, "slug")
        # beyond any column's integer range no version exists (and SQLite would raise)
        row = None if not 1 <= number < 2**31 else await in_thread(
            container_of(request).projections["templates"].view.version,
            console_of(request).tenant_id,
            slug,
            number,
        )
        if row is None:
            raise ApiError(404, "not_found", f"template {slug} has no version {number}")
        return version_doc(row.doc, full=True)


def draft_changes(body: DraftPatch) -> tuple[dict[str, Any], dict[str, Any]]:
    changes = {k: v for k, v in msgspec.structs.asdict(body).items() if v is not msgspec.UNSET}
    if "variables_schema" in changes and changes["variables_schema"] is not None:
        problem = schema_problem(changes["variables_schema"], "$.variablesSchema")
        if problem:
            raise bad_value("variablesSchema", problem)
    return {k: v for k, v in changes.items() if k in DRAFT}, {
        k: v for k, v in changes.items() if k not in DRAFT
    }


class TemplatesWriteController(TemplatesReadController):
    @post(
        "/",
        operation_id="ConsoleCreateTemplate",
        summary="Create a template",
        guards=[PUBLISH],
        status_code=201,
    )
    async def create(self, request: Request[Any, Any, Any]) -> Ok:
        body = await decode_body(request, TemplateCreate)
        container, tenant_id = container_of(request), console_of(request).tenant_id
        settings = await in_thread(container.content.settings, tenant_id)
        defaults = settings.from_defaults_for(body.kind)
        from_email = body.from_email or (defaults.from_email if defaults else None)
        code = (
            sender_problem(from_email, body.kind, settings) if from_email or settings.sender_domains else None
        )
        if code is not None:
            raise sender_domain_invalid(code, from_email)
        if body.account_id is not None and body.account_id not in await tenant_accounts(request, tenant_id):
            raise AccountUnknown(f"account {body.account_id} is not one of the tenant's", field="accountId")
        marketing = body.kind == "marketing"
        fields = {
            "name": body.name,
            "description": "",
            "kind": body.kind,
            "from_name": body.from_name or (defaults.from_name if defaults else None),
            "from_email": from_email,
            "reply_to": body.reply_to or (defaults.reply_to if defaults else None),
            "account_id": body.account_id,
            "body_format": "multipart",
            "track_opens": marketing,
            "track_clicks": marketing,
            "tags": [],
            "variables_schema": None,
        }
        position = await in_thread(
            container.content.create_template,
            tenant_id,
            body.slug,
            fields,
            body.subject,
            body.preheader,
            body.format,
            console_meta(request),
        )
        await settle_all(request, {"content": position}, VIEWS)
        return Ok(ok=True, slug=body.slug)

    @patch("/{slug:str}/draft", operation_id="ConsoleSaveDraft", summary="Change the draft", guards=[PUBLISH])
    async def save_draft(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Ok:
        check_id(slug, SLUG, "slug")
        body = await decode_body(request, DraftPatch)
        draft, fields = draft_changes(body)
        tenant_id, container = console_of(request).tenant_id, container_of(request)
        if fields.get("account_id") and fields["account_id"] not in await tenant_accounts(request, tenant_id):
            raise AccountUnknown(
                f"account {fields['account_id']} is not one of the tenant's", field="accountId"
            )
        raw = request.headers.get("if-match")
        if_match = None
        if raw is not None:
            raw = raw.strip().strip('"').removeprefix("W/").strip('"')
            if not raw.isdigit():
                raise bad_value("If-Match", "the draft revision, an integer")
            if_match = int(raw)
        changed, revision, position = await in_thread(
            container.content.save_draft, tenant_id, slug, draft, fields, if_match, console_meta(request)
        )
        await settle_all(request, {"content": position}, VIEWS)
        return Ok(ok=True, revision=revision, changed=changed)

    @delete(
        "/{slug:str}",
        operation_id="ConsoleDeleteTemplate",
        summary="Soft-delete a template",
        guards=[PUBLISH],
        status_code=200,
    )
    async def remove(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Ok]:
        check_id(slug, SLUG, "slug")
        users = await in_thread(template_users, container_of(request), console_of(request).tenant_id, slug)
        if users:
            raise ApiError(409, "template_in_use", f"template {slug} is used by {', '.join(users)}",
                           usedBy=users)
        position = await in_thread(
            container_of(request).content.delete_template,
            console_of(request).tenant_id,
            slug,
            console_meta(request),
        )
        await settle_all(request, {"content": position}, VIEWS)
        return Response(Ok(ok=True))
