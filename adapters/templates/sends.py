"""Template sends through the proxy pipeline: one-off, test and Mail-Tester (console.md §2.3).

These span the console (contacts), content (templates) and sending (messages, suppressions)
logs, so they live here like ``adapters/console_ops.py``. A send is a proxy Message whose
client id is its dedupe key (``oneoff:<key>``, ``test:<uuid4>``), so its ``sendId`` is the
message ``pk`` and a retry finds it. One-offs go through ``adapters/console_sends.py``
(§2.3's decision table, a sealed render recipe rendered at each attempt: ADR 0019); test
and Mail-Tester sends go to staff addresses, are rendered here once and carry no tracking.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from adapters.console_checks import suppression_reason
from adapters.console_sends import ConsoleSend, SendResult, enqueue_sends
from adapters.templates.outgoing import account_for, console_origin, entry_of, queue_entry
from application.base import SYSTEM, CommandMeta
from application.templates.content import compile_content, content_key, content_of
from application.templates.ports import CompileFailed, RenderFailed
from application.templates.render import Page, Recipient, check_vars, context, render_page
from domain.console.rules import ContactNotFound
from domain.sending.ids import message_uuid
from domain.suppression import normalize_address
from domain.templates.rules import (
    GateRefused,
    RecipientSuppressed,
    TemplateNotPublished,
)
from domain.templates.template import Template, Version

if TYPE_CHECKING:
    from adapters.bootstrap import Container


def alignment_domains(container: Container) -> list[str] | None:
    return_path = container.tenancy.instance_config().bounce.return_path
    return [return_path.rpartition("@")[2]] if return_path else None


def sample(data: dict[str, Any] | None) -> dict[str, Any]:
    d = data or {}
    return {
        "external_id": d.get("externalId"),
        "email": d.get("email"),
        "fields": d.get("fields") or {},
        "tags": d.get("tags") or [],
        "locale": d.get("locale"),
        "timezone": d.get("timezone"),
    }


def recipient_of(container: Container, tenant_id: str, external_id: str) -> tuple[Any, Recipient]:
    contact = container.console.live_contact(tenant_id, external_id)
    data = container.console.personal_of(contact)
    if data is None:  # its key is gone: forgotten a moment ago
        raise ContactNotFound(f"contact {external_id} not found")
    return contact, Recipient(
        external_id=external_id,
        email=data.email,
        fields=data.fields,
        tags=data.tags,
        locale=data.locale,
        timezone=data.timezone,
    )


def draft_version(container: Container, template: Template, overrides: dict[str, Any]) -> Version:
    """The draft as an unpublished version (preview, test sends, Mail-Tester)."""
    draft = template.current_draft()
    content = content_of(draft, template.fields, overrides)
    try:
        compiled = compile_content(content, container.content.compiler)
    except CompileFailed as exc:
        raise GateRefused("compile_failed", 422, str(exc)) from exc
    f = template.fields
    return Version(
        version=0,
        subject=content.subject,
        preheader=content.preheader,
        format=content.format,
        html=compiled.html,
        text=content.text,
        mjml=None,
        content_key=content_key(compiled.html, content.subject, content.from_email),
        published_at=0.0,
        published_by="",
        lint={},
        sender=dict(f),
        variables_schema=f.get("variables_schema"),
    )


def render_for(
    container: Container,
    tenant_id: str,
    slug: str,
    version: Version,
    recipient: Recipient,
    values: dict[str, Any] | None,
    *,
    event: dict[str, Any] | None = None,
    check: bool = True,
    unsubscribe_url: str | None = None,
) -> Page:
    if check:
        check_vars(values, version.variables_schema)
    settings = container.content.settings(tenant_id)
    ctx = context(
        recipient,
        values,
        event=event,
        unsubscribe_url=unsubscribe_url or f"{container.settings.public_url}/t/u/preview",
        sender_address=settings.sender_address,
        slug=slug,
        version=version.version,
        now=container.clock.now(),
    )
    try:
        return render_page(
            container.content.renderer, version.subject, version.preheader, version.html, version.text, ctx
        )
    except RenderFailed as exc:
        raise GateRefused("render_failed", 422, str(exc)) from exc


def oneoff(
    container: Container,
    tenant_id: str,
    slug: str,
    dedupe_key: str,
    *,
    external_id: str | None,
    to: str | None,
    values: dict[str, Any] | None,
    account_id: str | None,
    meta: CommandMeta = SYSTEM,
) -> SendResult:
    """A one-off through ``enqueue_sends``; rendered once first, so a template that cannot
    render answers 422 now rather than failing at its attempt."""
    client_id = f"oneoff:{dedupe_key}"
    if container.sending.get_message(tenant_id, client_id) is None:
        template = container.content.template(tenant_id, slug)
        version = template.latest
        if version is None:
            raise TemplateNotPublished(f"template {slug} has no published version")
        recipient = recipient_of(container, tenant_id, external_id)[1] if external_id else \
            Recipient(email=normalize_address(to or ""))
        render_for(container, tenant_id, slug, version, recipient, values)  # vars -> 400, render -> 422
    send = ConsoleSend(origin="oneoff", dedupe_key=client_id, slug=slug, external_id=external_id, to=to,
                       values=values, account_id=account_id)
    return enqueue_sends(container, tenant_id, [send], meta)[0]


def send_test(
    container: Container,
    tenant_id: str,
    slug: str,
    to: str,
    *,
    external_id: str | None,
    values: dict[str, Any] | None,
    use_draft: bool,
    meta: CommandMeta = SYSTEM,
    version: Version | None = None,
    label: bool = True,
) -> SendResult:
    """A ``test:`` send: ``[TEST]`` subject, never tracked, no List-Unsubscribe, counts nowhere."""
    template = container.content.template(tenant_id, slug)
    if version is None:
        version = draft_version(container, template, {}) if use_draft else template.latest
    if version is None:
        raise TemplateNotPublished(f"template {slug} has no published version")
    address = normalize_address(to)
    if suppression_reason(container, tenant_id, address, "all") is not None:
        raise RecipientSuppressed(f"{address} is suppressed (all)")
    recipient = (
        recipient_of(container, tenant_id, external_id)[1] if external_id else Recipient(email=address)
    )
    page = render_for(container, tenant_id, slug, version, recipient, values, check=False)
    client_id, kind = f"test:{uuid.uuid4()}", version.sender.get("kind") or "marketing"
    entry = entry_of(
        client_id,
        version,
        page,
        address,
        account_for(container, tenant_id, version, None),
        kind,
        slug,
        tenant_id,
        test=True,
        label=label,
    )
    console = console_origin("test", kind, client_id, None, slug, version)
    position = queue_entry(container, tenant_id, entry, meta, console)
    return SendResult(str(message_uuid(tenant_id, client_id)), "queued", False, None, position)
