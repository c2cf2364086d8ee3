"""What a console send carries besides its rendered content (console.md §2.3, §5.1, §10).

* tracking: links rewritten to signed click URLs and the open pixel, when the template's
  ``trackOpens``/``trackClicks`` say so (default: marketing) and it has an HTML part;
* ``List-Unsubscribe`` (+ ``<mailto:…>`` with ``unsubscribeMailto``) and
  ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` on marketing mail to a contact;
* ``Feedback-ID: <campaign>:<kind>:<tenantId>:lm`` on every console send;
* the console fields of ``Message.Queued`` (origin, kind, dedupe key, contact, template),
  handed to ``queue_messages`` with the entry (``entry_of``, ``queue_entry``).

Test sends get none of the tracking or list headers (``send_test`` never calls ``outgoing``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from application.base import CommandMeta
from application.sending.app import QueueOptions
from application.templates.render import Page
from domain.sending.content import ConsoleOrigin, TemplateRef
from domain.sending.validate import ValidationContext
from domain.templates.rules import AccountNotConfigured, GateRefused
from domain.templates.settings import SettingsDoc
from domain.templates.template import Version

if TYPE_CHECKING:
    from adapters.bootstrap import Container

PRIORITY = {"test": 0, "transactional": 1, "marketing": 2}


def unsubscribe_url(container: Container, tenant_id: str, contact_id: str | None, send_id: str) -> str:
    """``{{ unsubscribeUrl }}`` of a send: a signed token for the contact, else a dead link."""
    if contact_id is None:  # a one-off to a bare address: nobody to unsubscribe
        return f"{container.settings.public_url}/t/u/{send_id}"
    return container.tracking.unsubscribe_url(tenant_id, contact_id, send_id, now=container.clock.now())


def feedback_id(campaign: str, kind: str, tenant_id: str) -> dict[str, str]:
    return {"Feedback-ID": f"{campaign}:{kind}:{tenant_id}:lm"}


def _flag(version: Version, name: str, kind: str) -> bool:
    value = version.sender.get(name)
    return kind == "marketing" if value is None else bool(value)


def outgoing(
    container: Container,
    tenant_id: str,
    send_id: str,
    version: Version,
    html: str,
    *,
    kind: str,
    contact_id: str | None,
    unsubscribe: str,
) -> tuple[str, dict[str, str]]:
    """(HTML to send, extra headers) of a tracked console send."""
    opens, clicks = _flag(version, "track_opens", kind), _flag(version, "track_clicks", kind)
    if version.sender.get("body_format") != "text_only" and (opens or clicks):
        html = container.tracking.track_html(
            tenant_id, send_id, html, opens=opens, clicks=clicks, unsubscribe_url=unsubscribe
        )
    headers: dict[str, str] = {}
    if kind == "marketing" and contact_id is not None:
        mailto = container.content.settings(tenant_id).unsubscribe_mailto
        headers.update(container.tracking.list_unsubscribe_headers(unsubscribe, mailto))
    return html, headers


def console_origin(
    origin: str, kind: str, client_id: str, contact_id: str | None, slug: str, version: Version
) -> ConsoleOrigin:
    return ConsoleOrigin(
        origin=origin,
        kind=kind,
        dedupe_key=client_id,
        contact_id=contact_id,
        template=TemplateRef(slug, version.version),
    )


def account_for(container: Container, tenant_id: str, version: Version, explicit: str | None) -> str:
    return account_of(container.content.settings(tenant_id), version, explicit)


def account_of(settings: SettingsDoc, version: Version, explicit: str | None) -> str:
    """The send's account: asked for, else the template's, else the settings' default for the kind."""
    kind = version.sender.get("kind") or "marketing"
    account = explicit or version.sender.get("account_id") or settings.account_for(kind)
    if not account:
        raise AccountNotConfigured(f"no sending account for {kind} mail")
    return str(account)


def queue_entry(
    container: Container, tenant_id: str, entry: dict[str, Any], meta: CommandMeta, console: ConsoleOrigin
) -> int:
    config = container.tenancy.instance_config()
    accounts = container.projections["accounts"].view.list(tenant_id)
    ctx = ValidationContext(
        tenant_id=tenant_id,
        account_ids=frozenset(a.account_id for a in accounts),
        now=container.clock.now(),
        default_priority=config.default_priority,
        max_recipients_per_message=config.max_recipients_per_message,
        max_body_bytes=config.max_body_bytes,
    )
    result = container.sending.queue_messages(
        ctx,
        [entry],
        QueueOptions(message_id_domain=config.message_id_domain, console={entry["id"]: console}),
        meta,
    )
    if result.rejected:
        problem = result.rejected[0]
        raise GateRefused("send_rejected", 409, f"{problem.reason}: {problem.message}")
    return result.position


def entry_of(
    client_id: str,
    version: Version,
    page: Page,
    to: str,
    account: str,
    kind: str,
    slug: str,
    tenant_id: str,
    *,
    test: bool,
    label: bool = True,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    sender = version.sender
    from_email, name = sender.get("from_email") or "", sender.get("from_name")
    entry: dict[str, Any] = {
        "id": client_id,
        "account_id": account,
        "to": to,
        "from": f'"{name}" <{from_email}>' if name else from_email,
        "subject": f"[TEST] {page.subject}" if test and label else page.subject,
        "text": page.text,
        "priority": PRIORITY["test" if test else kind],
        "headers": {**feedback_id(slug, kind, tenant_id), **(headers or {})},
    }
    if sender.get("body_format") != "text_only":
        entry["html"] = page.html if html is None else html
    if sender.get("reply_to"):
        entry["reply_to"] = sender["reply_to"]
    return entry
