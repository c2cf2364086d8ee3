"""DMARC aggregate reports (console.md §13): upload, overview, reports, source tags.

Uploads are multipart (field ``file``) as the contract says; a raw body (XML, gzip or zip
content type, name in ``?filename=``) is accepted too, for curl and scripts. Either way
the file is at most 10 MiB (else 413) and goes through the same intake as the mailbox
poller (``adapters.reputation.dmarc_intake``); a refusal is 400 ``ingest_failed`` with
the reason, and nothing of the file is stored.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.params import FromPath

from adapters.reputation import dmarc_intake, dmarc_overview
from api.admin_auth import READ, console_meta, console_of
from api.admin_common import UUID_RE, bad_value, check_id, limit_of, make_cursor, read_cursor
from api.body import decode_body
from api.calls import container_of, in_thread
from api.errors import ApiError

MAX_UPLOAD = 10 << 20  # console.md §0: DMARC upload multipart <= 10 MiB
MULTIPART_SLACK = 64 << 10  # boundaries and part headers around the file
RAW_TYPES = (
    "application/xml",
    "text/xml",
    "application/gzip",
    "application/x-gzip",
    "application/zip",
    "application/octet-stream",
)
VIEWS = ["dmarc", "audit"]  # what a write's answer waits for (read-your-writes)


class Uploaded(msgspec.Struct, frozen=True, rename="camel"):
    ok: bool
    report_id: str
    org_name: str
    domain: str
    range_start: str
    range_end: str
    total_messages: int
    pass_count: int
    fail_count: int
    duplicate: bool
    additional_reports: int


class TagBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    label: str
    ignored: bool = False


class TagAnswer(msgspec.Struct, frozen=True):
    ok: bool
    changed: bool


class UntagAnswer(msgspec.Struct, frozen=True):
    ok: bool
    deleted: int


class ReportPage(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    reports: list[dict[str, Any]]
    next_cursor: str | None = None


async def _file_of(request: Request[Any, Any, Any]) -> tuple[str | None, bytes]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        form = await request.form()
        value = form.get("file")
        if isinstance(value, UploadFile):
            return value.filename or None, await value.read()
        if isinstance(value, (str, bytes)) and value:
            return None, value.encode() if isinstance(value, str) else value
        raise ApiError(400, "no_file", "send the report as the multipart field `file`")
    if kind in RAW_TYPES:
        return request.query_params.get("filename"), await request.body()
    raise ApiError(400, "no_file", "send the report as multipart/form-data with a `file` field")


def ip_of(raw: str) -> str:
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        raise ApiError(400, "bad_id", "the source must be an IP literal") from None


class DmarcController(Controller):
    path = "/admin/api/dmarc"
    tags = ["console: dmarc"]
    guards = [READ]

    @post(
        "/upload",
        operation_id="ConsoleUploadDmarcReport",
        summary="Ingest one DMARC aggregate report file",
        status_code=200,
        request_max_body_size=MAX_UPLOAD + MULTIPART_SLACK,
    )
    async def upload(self, request: Request[Any, Any, Any]) -> Uploaded:
        tenant_id, container = console_of(request).tenant_id, container_of(request)
        name, data = await _file_of(request)
        if len(data) > MAX_UPLOAD:
            raise ApiError(413, "payload_too_large", "a DMARC report file is at most 10 MiB")
        if not data:
            raise ApiError(400, "no_file", "the file is empty")
        done = await in_thread(
            dmarc_intake.ingest_file,
            container,
            tenant_id,
            name,
            data,
            channel="upload",
            meta=console_meta(request),
        )
        if done.position:
            await in_thread(container.wait_for, {"dmarc": done.position}, VIEWS)
        r = done.report
        return Uploaded(
            ok=True,
            report_id=r.report_id,
            org_name=r.org_name,
            domain=r.domain,
            range_start=dmarc_overview.iso(r.range_start),
            range_end=dmarc_overview.iso(r.range_end),
            total_messages=r.total,
            pass_count=r.pass_count,
            fail_count=r.total - r.pass_count,
            duplicate=done.duplicate,
            additional_reports=done.additional,
        )

    @get("/", operation_id="ConsoleDmarcOverview", summary="Domains, sources and recent reports")
    async def overview(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        tenant_id, container = console_of(request).tenant_id, container_of(request)
        return await in_thread(dmarc_overview.overview, container, tenant_id)

    @get("/reports", operation_id="ConsoleListDmarcReports", summary="Report summaries, newest first")
    async def reports(self, request: Request[Any, Any, Any]) -> ReportPage:
        tenant_id, container = console_of(request).tenant_id, container_of(request)
        limit, after = limit_of(request, 50, 200), read_cursor(request, "dmarc-reports", {})
        view = container.projections["dmarc"].view
        rows = await in_thread(
            view.reports, tenant_id, limit=limit + 1, before=(int(after[0]), str(after[1])) if after else None
        )
        page = rows[:limit]
        cursor = (
            make_cursor(request, "dmarc-reports", {}, [page[-1].range_end, page[-1].id])
            if len(rows) > limit
            else None
        )
        return ReportPage([dmarc_overview.report_doc(r) for r in page], cursor)

    @get("/reports/{report_id:str}", operation_id="ConsoleGetDmarcReport", summary="One report with its rows")
    async def report(self, request: Request[Any, Any, Any], report_id: FromPath[str]) -> dict[str, Any]:
        check_id(report_id, UUID_RE, "report id")
        tenant_id, container = console_of(request).tenant_id, container_of(request)
        found = await in_thread(container.projections["dmarc"].view.report, tenant_id, report_id)
        if found is None:
            raise ApiError(404, "not_found", f"report {report_id} not found")
        return dmarc_overview.report_doc(found[0], found[1])

    @put(
        "/sources/{ip:str}", operation_id="ConsoleTagDmarcSource", summary="Label a source IP (known/ignored)"
    )
    async def tag(self, request: Request[Any, Any, Any], ip: FromPath[str]) -> TagAnswer:
        address = ip_of(ip)
        body = await decode_body(request, TagBody)
        label = body.label.strip()
        if not 1 <= len(label) <= 200:
            raise bad_value("label", "1-200 characters after trimming")
        tenant_id, container = console_of(request).tenant_id, container_of(request)
        changed, position = await in_thread(
            container.dmarc.tag_source, tenant_id, address, label, body.ignored, console_meta(request)
        )
        if position:
            await in_thread(container.wait_for, {"dmarc": position}, VIEWS)
        return TagAnswer(ok=True, changed=changed)

    @delete(
        "/sources/{ip:str}",
        operation_id="ConsoleUntagDmarcSource",
        summary="Delete a source's DB tag",
        status_code=200,
    )
    async def untag(self, request: Request[Any, Any, Any], ip: FromPath[str]) -> UntagAnswer:
        address = ip_of(ip)
        tenant_id, container = console_of(request).tenant_id, container_of(request)
        deleted, position = await in_thread(
            container.dmarc.untag_source, tenant_id, address, console_meta(request)
        )
        if position:
            await in_thread(container.wait_for, {"dmarc": position}, VIEWS)
        return UntagAnswer(ok=True, deleted=deleted)
