"""Console sends into the proxy pipeline: §2.3's decision table, then one save per call.

A console send is a proxy Message whose client id is its dedupe key, created only if
absent. It carries ``contactId`` and a render recipe (template version, variables and
trigger event sealed with the contact's key), never a clear address: the dispatcher renders
it at each attempt (``adapters/console_render.py``), after running rules 4-7 again. One-offs,
flows and broadcasts all come through ``enqueue_sends``; a broadcast page of 500 is one
transaction. Holds (health trips, broadcast pauses) are added and lifted in batches here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec

from adapters.console_checks import SendFacts, from_domain, hold_for, refusal, suppression_reasons
from adapters.dispatch_loader import EventTableMessages
from adapters.templates.outgoing import PRIORITY, account_of, feedback_id
from application.base import SYSTEM, CommandMeta
from application.sending.console_holds import hold_messages, release_messages
from application.sending.console_queue import ConsoleItem
from application.templates.render import VarsInvalid, check_vars
from domain.console.ids import contact_uuid
from domain.console.rules import ContactNotFound
from domain.sending.content import ConsoleOrigin, MessageContent, QueueFields, RenderRecipe, TemplateRef
from domain.sending.ids import message_uuid
from domain.sending.validate import new_message_id
from domain.suppression import normalize_address
from domain.templates.rules import GateRefused, TemplateNotPublished
from domain.templates.template import Version

if TYPE_CHECKING:
    from adapters.bootstrap import Container

ORIGIN_PRIORITY = {"flow": 2, "broadcast": 3}


class ConsoleSend(msgspec.Struct, frozen=True, kw_only=True):
    origin: str  # oneoff | flow | broadcast
    # the full client id: broadcast:<id>:<contactId>, flowrun:<runId>:step<path>, oneoff:<key>
    dedupe_key: str
    slug: str
    version: int | None = None  # None: the latest published version
    external_id: str | None = None
    to: str | None = None  # one-offs only: a bare address
    values: dict[str, Any] | None = None
    event: dict[str, Any] | None = None
    batch_code: str | None = None
    priority: int | None = None
    not_before: float | None = None
    campaign: str | None = None
    holds: tuple[str, ...] = ()
    account_id: str | None = None


class SendResult(msgspec.Struct, frozen=True):
    send_id: str
    status: str  # queued | held | suppressed | failed | skipped
    duplicate: bool
    status_reason: str | None = None
    position: int = 0


class _Call:
    """Look-ups shared by the sends of one call: templates, contacts, keys, accounts."""

    def __init__(self, container: Container, tenant_id: str, sends: Sequence[ConsoleSend]) -> None:
        self.c, self.tenant_id = container, tenant_id
        self.versions: dict[tuple[str, int | None], Version | None] = {}
        ids = list(dict.fromkeys(s.external_id for s in sends if s.external_id))
        # one query on the console log for the page's contacts (not one repository read each)
        found = EventTableMessages(container.db, container.console.mapper, "console").get_messages(
            [contact_uuid(tenant_id, x) for x in ids])
        by_id = {c.id: c for c in found}
        self.contacts = {x: by_id.get(contact_uuid(tenant_id, x)) for x in ids}
        self.settings = container.content.settings(tenant_id)  # read once, not once per send
        live = [c.id for c in self.contacts.values() if c is not None and not c.forgotten]
        self.keys = container.vault.keys(tenant_id, live, create=False) if live else {}
        self.accounts = {a.account_id for a in container.projections["accounts"].view.list(tenant_id)}
        self.config = container.tenancy.instance_config()
        self.blocked: dict[tuple[str, str], str] = {}
        self.opened: dict[str, tuple[Any, str | None]] = {}

    def check_suppressions(self, sends: Sequence[ConsoleSend]) -> None:
        """Rule 4 for the whole call in one query (``suppression_reasons``)."""
        wanted = []
        for send in sends:
            version = self.version(send.slug, send.version)
            _, address = self.address(send)
            if version is not None and address is not None:
                wanted.append((address, version.sender.get("kind") or "marketing"))
        self.blocked = suppression_reasons(self.c, self.tenant_id, wanted)

    def version(self, slug: str, number: int | None) -> Version | None:
        if (slug, number) not in self.versions:
            template = self.c.content.find_template(self.tenant_id, slug)
            found = None
            if template is not None and not template.deleted:
                found = template.latest if number is None else template.versions.get(number)
            self.versions[(slug, number)] = found
        return self.versions[(slug, number)]

    def address(self, send: ConsoleSend) -> tuple[Any, str | None]:
        """(contact, address) of a send; (None, None) when its contact is unknown or forgotten."""
        if send.external_id is None:
            return None, normalize_address(send.to or "")
        if send.external_id not in self.opened:  # decrypted once per contact and call
            contact = self.contacts.get(send.external_id)
            key = self.keys.get(contact.id) if contact is not None else None
            personal = self.c.console.personal_of(contact, key) if key is not None else None
            found = (contact, personal.email) if personal is not None and personal.email else (None, None)
            self.opened[send.external_id] = found
        return self.opened[send.external_id]


def enqueue_sends(container: Container, tenant_id: str, sends: Sequence[ConsoleSend],
                  meta: CommandMeta = SYSTEM) -> list[SendResult]:
    """§2.3's table for each send, in order; the new messages of the call in ONE save.

    One-offs raise (404 ``contact_not_found``, 400 ``validation_failed``, 409
    ``account_not_configured``, template not published); flow and broadcast sends answer
    ``skipped`` or ``failed`` instead, so one bad recipient never stops a page."""
    existing = container.sending.existing_ids(tenant_id, [s.dedupe_key for s in sends])
    call = _Call(container, tenant_id, sends)
    call.check_suppressions([s for s in sends if s.dedupe_key not in existing])
    results: list[SendResult] = []
    items: list[ConsoleItem] = []
    for send in sends:
        send_id = str(message_uuid(tenant_id, send.dedupe_key))
        if send.dedupe_key in existing:  # 1: the key exists
            results.append(SendResult(send_id, "queued", True))
            continue
        existing.add(send.dedupe_key)
        result, item = _decide(call, send, send_id)
        results.append(result)
        if item is not None:
            items.append(item)
    position = container.sending.queue_console(tenant_id, items, meta)
    return [msgspec.structs.replace(r, position=position) if not r.duplicate else r for r in results]


def _decide(call: _Call, send: ConsoleSend, send_id: str) -> tuple[SendResult, ConsoleItem | None]:
    version = call.version(send.slug, send.version)
    if version is None:
        if send.origin == "oneoff":
            raise TemplateNotPublished(f"template {send.slug} has no published version")
        return SendResult(send_id, "skipped", False, "template_not_published"), None
    contact, address = call.address(send)
    if address is None:  # 2: unknown or forgotten contact
        if send.origin == "oneoff":
            raise ContactNotFound(f"contact {send.external_id} not found")
        return SendResult(send_id, "skipped", False, "contact_not_found"), None
    kind = version.sender.get("kind") or "marketing"
    account = account_of(call.settings, version, send.account_id)
    item = _item(call, send, version, contact, address, kind, account)
    if account not in call.accounts:
        if send.origin == "oneoff":
            problem = f"account_not_found: no account {account!r} in this tenant"
            raise GateRefused("send_rejected", 409, problem)
        item = msgspec.structs.replace(item, failed=("account_not_found", f"account {account} not found"))
        return SendResult(send_id, "failed", False, "account_not_found"), item
    try:  # 3: vars against the schema
        check_vars(send.values, version.variables_schema)
    except VarsInvalid as exc:
        if send.origin == "oneoff":
            raise
        item = msgspec.structs.replace(item, failed=("vars_invalid", exc.message))
        return SendResult(send_id, "failed", False, "vars_invalid"), item
    reason = refusal(call.c, call.tenant_id, address, kind, contact, call.blocked)  # 4, 5
    if reason is not None:
        item = msgspec.structs.replace(item, suppressed=reason)
        return SendResult(send_id, "suppressed", False, reason), item
    facts = SendFacts(origin=send.origin, kind=kind, from_domain=from_domain(item.content.from_addr),
                      batch_code=send.batch_code, dedupe_key=send.dedupe_key)
    health = hold_for(call.c, call.tenant_id, facts)  # 6 (and 7, when a broadcast registers it)
    holds = tuple(sorted({*send.holds, *([health] if health else [])}))
    if holds:
        return SendResult(send_id, "held", False, holds[0]), msgspec.structs.replace(item, holds=holds)
    return SendResult(send_id, "queued", False), item


def _item(call: _Call, send: ConsoleSend, version: Version, contact: Any, address: str, kind: str,
          account: str) -> ConsoleItem:
    sender = version.sender
    from_email, name = sender.get("from_email") or "", sender.get("from_name")
    from_addr = f'"{name}" <{from_email}>' if name else from_email
    campaign = send.campaign or send.slug
    content = MessageContent(
        from_addr=from_addr,
        to=[] if contact is not None else [address],  # a contact's address stays sealed
        subject="",
        reply_to=sender.get("reply_to") or None,
        headers=list(feedback_id(campaign, kind, call.tenant_id).items()),
    )
    contact_id = str(contact_uuid(call.tenant_id, send.external_id)) if send.external_id else None
    recipe = RenderRecipe(slug=send.slug, version=version.version, campaign=campaign,
                          vars=_seal(call, contact, send.values), event=_seal(call, contact, send.event))
    priority = ORIGIN_PRIORITY.get(send.origin, PRIORITY[kind]) if send.priority is None else send.priority
    return ConsoleItem(
        client_id=send.dedupe_key,
        fields=QueueFields(account_id=account, priority=priority, batch_code=send.batch_code,
                           deferred_ts=send.not_before),
        content=content,
        console=ConsoleOrigin(origin=send.origin, kind=kind, dedupe_key=send.dedupe_key,
                              contact_id=contact_id, template=TemplateRef(send.slug, version.version),
                              recipe=recipe),
        message_id=new_message_id(from_addr, call.config.message_id_domain),
    )


def _seal(call: _Call, contact: Any, value: dict[str, Any] | None) -> str | None:
    """Variables are personal data: sealed with the contact's key, else the instance's box."""
    if not value:
        return None
    if contact is not None:
        return call.c.vault.seal(call.keys[contact.id], value)
    return call.c.secret_box.encrypt(msgspec.json.encode(value).decode())


# --- holds (health trips, broadcast pauses) -------------------------------------------------


def _waiting_pks(container: Container, tenant_id: str, **filters: str | None) -> list[UUID]:
    return [UUID(pk) for pk in container.projections["sends"].view.waiting_sends(tenant_id, **filters)]


def _loader(container: Container) -> EventTableMessages:
    """A page of messages in one query on the sending log (not one repository read each)."""
    return EventTableMessages(container.db, container.sending.mapper)


def hold_sends(container: Container, tenant_id: str, hold: str, *, batch_code: str | None = None,
               from_domain: str | None = None, kind: str | None = None, meta: CommandMeta = SYSTEM) -> int:
    """Add ``hold`` to every waiting console send of the tenant matching the filters."""
    container.catch_up(["sends"])
    pks = _waiting_pks(container, tenant_id, batch_code=batch_code, from_domain=from_domain, kind=kind)
    return hold_messages(container.sending, tenant_id, hold, pks, meta, _loader(container))


def release_sends(container: Container, tenant_id: str, hold: str, meta: CommandMeta = SYSTEM) -> int:
    """Lift ``hold`` from every send that has it (an emptied set releases the send)."""
    container.catch_up(["sends"])
    pks = _waiting_pks(container, tenant_id, hold=hold)
    return release_messages(container.sending, tenant_id, hold, pks, meta, _loader(container))


def cancel_sends(container: Container, tenant_id: str, *, batch_code: str | None = None,
                 contact_id: str | None = None, meta: CommandMeta = SYSTEM) -> int:
    """Cancel every waiting (queued or held) send of the batch (a broadcast cancelled) or of
    the contact (a contact forgotten, §2.4 step 3)."""
    if batch_code is None and contact_id is None:
        raise ValueError("cancel_sends needs a batch_code or a contact_id")
    container.catch_up(["sends"])
    view = container.projections["sends"].view
    client_ids = view.waiting_client_ids(tenant_id, batch_code=batch_code, contact_id=contact_id)
    done = 0
    for start in range(0, len(client_ids), 500):
        done += container.sending.cancel_messages(tenant_id, client_ids[start:start + 500], meta).removed
    return done
