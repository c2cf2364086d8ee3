"""The dispatcher's ``ConsoleGate``: a console send re-checked and rendered right before its attempt.

console.md §2.3: rules 4-7 run again right before a console message is sent (a suppression
or a trip that came in between still holds), and a send to a contact is rendered from its
recipe at each attempt: the contact's current address and fields, the sealed variables and
trigger event, the published version (immutable, so cached), tracking and list headers.
A contact forgotten meanwhile cannot be opened: the send fails ``contact_forgotten`` and
nothing reaches SMTP.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError

from adapters.console_checks import SendFacts, from_domain, hold_for, refusal, suppression_reason
from adapters.templates.outgoing import outgoing, unsubscribe_url
from adapters.templates.sends import render_for
from application.sending.ports import ConsoleVerdict
from application.templates.render import Recipient
from domain.sending.content import MessageContent
from domain.sending.message import Message
from domain.templates.rules import GateRefused
from domain.templates.template import Version

if TYPE_CHECKING:
    from adapters.bootstrap import Container

_CACHE_MAX = 512


class ConsoleRenderer:
    def __init__(self, container: Container) -> None:
        self.c = container
        self._versions: dict[tuple[str, str, int], Version] = {}
        self._lock = threading.Lock()

    def prepare(self, tenant_id: str, message: Message) -> ConsoleVerdict:
        content, kind = message.content, message.kind or "transactional"
        assert content is not None
        if message.recipe is None:  # rendered at enqueue (a test send): only suppressions apply
            scope = "all" if message.origin == "test" else kind
            for address in content.to:
                reason = suppression_reason(self.c, tenant_id, address, scope)
                if reason is not None:
                    return ConsoleVerdict(suppressed=f"suppressed:{reason}")
            return ConsoleVerdict(content=content)
        contact, address, personal, key = self._recipient(tenant_id, message)
        if address is None:
            return ConsoleVerdict(error_code="contact_forgotten",
                                  error="the contact was forgotten: its data can no longer be opened")
        reason = refusal(self.c, tenant_id, address, kind, contact)
        if reason is not None:
            return ConsoleVerdict(suppressed=reason)
        facts = SendFacts(origin=message.origin, kind=kind, from_domain=from_domain(content.from_addr),
                          batch_code=message.fields.batch_code if message.fields else None,
                          dedupe_key=message.client_id)
        hold = hold_for(self.c, tenant_id, facts)
        if hold is not None:
            return ConsoleVerdict(hold=hold)
        try:
            return ConsoleVerdict(content=self._render(tenant_id, message, contact, address, personal, key))
        except GateRefused as exc:
            return ConsoleVerdict(error_code="render_failed", error=exc.message)

    def _recipient(self, tenant_id: str, message: Message) -> tuple[Any, str | None, Any, bytes | None]:
        """(contact, address, personal data, its key); address None when the contact is gone."""
        content = message.content
        assert content is not None
        if message.contact_id is None:
            return None, (content.to[0] if content.to else None), None, None
        try:
            contact = self.c.console.repository.get(UUID(message.contact_id))
        except AggregateNotFoundError:
            return None, None, None, None
        if contact.forgotten:
            return None, None, None, None
        key = self.c.vault.keys(tenant_id, [contact.id], create=False).get(contact.id)
        personal = self.c.console.personal_of(contact, key) if key is not None else None
        if personal is None or not personal.email:
            return None, None, None, None
        return contact, personal.email, personal, key

    def _render(self, tenant_id: str, message: Message, contact: Any, address: str, personal: Any,
                key: bytes | None) -> MessageContent:
        recipe, content = message.recipe, message.content
        assert recipe is not None and content is not None
        version = self.version(tenant_id, recipe.slug, recipe.version)
        values, event = self._open(key, recipe.vars), self._open(key, recipe.event)
        recipient = Recipient(external_id=contact.external_id, email=address, fields=personal.fields,
                              tags=personal.tags, locale=personal.locale, timezone=personal.timezone) \
            if contact is not None else Recipient(email=address)
        send_id, contact_id = str(message.id), message.contact_id
        unsubscribe = unsubscribe_url(self.c, tenant_id, contact_id, send_id)
        page = render_for(self.c, tenant_id, recipe.slug, version, recipient, values, event=event,
                          check=False,
                          unsubscribe_url=unsubscribe)
        kind = message.kind or "marketing"
        html, headers = outgoing(self.c, tenant_id, send_id, version, page.html, kind=kind,
                                 contact_id=contact_id, unsubscribe=unsubscribe)
        text_only = version.sender.get("body_format") == "text_only"
        return msgspec.structs.replace(
            content, to=[address], subject=page.subject, text=page.text, html=None if text_only else html,
            content_type="plain" if text_only else "html", headers=[*content.headers, *headers.items()])

    def _open(self, key: bytes | None, sealed: str | None) -> dict[str, Any] | None:
        if not sealed:
            return None
        if key is not None:
            value = self.c.vault.open(key, sealed)
        else:
            value = msgspec.json.decode(self.c.secret_box.decrypt(sealed))
        return value if isinstance(value, dict) else None

    def version(self, tenant_id: str, slug: str, number: int) -> Version:
        """A published version: immutable, so kept once read (console.md §5.1)."""
        key = (tenant_id, slug, number)
        with self._lock:
            found = self._versions.get(key)
        if found is not None:
            return found
        template = self.c.content.find_template(tenant_id, slug)
        found = template.versions.get(number) if template is not None else None
        if found is None:
            raise GateRefused("render_failed", 422, f"template {slug} version {number} not found")
        with self._lock:
            if len(self._versions) >= _CACHE_MAX:
                self._versions.pop(next(iter(self._versions)))
            self._versions[key] = found
        return found
