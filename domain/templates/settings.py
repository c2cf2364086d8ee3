"""Console settings a tenant configures (console.md §16), stored as one aggregate per tenant.

Only the settings the templates need exist so far; later contexts add theirs to the same
document. ``PATCH /settings`` deep-merges a change into the current document, validates the
result as ``SettingsDoc`` and appends ``Changed`` with the changed top-level fields only.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import msgspec

from domain.campaigns.broadcast_rules import BroadcastSettings
from domain.model import Aggregate
from domain.reputation.dmarc_settings import DmarcSettings
from domain.reputation.dnsbl_rules import DnsblSettings
from domain.reputation.health_rules import HealthSettings
from domain.reputation.postmaster_settings import HygieneSettings, PostmasterSettings, SndsSettings
from domain.templates.ids import console_settings_uuid

DomainKind = Literal["marketing", "transactional", "both"]


class FromDefaults(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    from_email: str
    from_name: str | None = None
    reply_to: str | None = None


class DefaultAccounts(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    marketing: str | None = None
    transactional: str | None = None


class LintSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    spam_phrases: list[str] = []
    max_html_bytes: int = 104_448  # 102 KiB: Gmail clips bigger messages
    url_shorteners: list[str] = []  # added to the built-in list
    freemail_domains: list[str] = []


class MailTesterSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    api_key: str | None = None  # sealed (enc:v1:) before it enters an event
    min_score: float = 8.0
    require_score: bool = False
    cache_hours: float = 24.0


class SettingsDoc(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    sender_domains: dict[str, DomainKind] = {}
    from_defaults: FromDefaults | None = None
    transactional_from_defaults: FromDefaults | None = None
    default_accounts: DefaultAccounts = DefaultAccounts()
    sender_address: str | None = None
    unsubscribe_mailto: str | None = None
    lint: LintSettings = msgspec.field(default_factory=LintSettings)
    mail_tester: MailTesterSettings = MailTesterSettings()
    dnsbl: DnsblSettings = msgspec.field(default_factory=DnsblSettings)  # console.md §12
    dmarc: DmarcSettings = msgspec.field(default_factory=DmarcSettings)  # console.md §13
    health: HealthSettings = msgspec.field(default_factory=HealthSettings)  # console.md §11
    # the provider feeds and hygiene (console.md §14, §15; domain/reputation/postmaster_settings.py)
    postmaster: PostmasterSettings = msgspec.field(default_factory=PostmasterSettings)
    snds: SndsSettings = msgspec.field(default_factory=SndsSettings)
    hygiene: HygieneSettings = msgspec.field(default_factory=HygieneSettings)
    broadcasts: BroadcastSettings = msgspec.field(default_factory=BroadcastSettings)  # console.md §9.2

    def from_defaults_for(self, kind: str) -> FromDefaults | None:
        if kind == "transactional" and self.transactional_from_defaults is not None:
            return self.transactional_from_defaults
        return self.from_defaults

    def account_for(self, kind: str) -> str | None:
        return getattr(self.default_accounts, kind, None)


DEFAULTS = SettingsDoc()


def merge(current: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """Deep merge: objects merge key by key, anything else (arrays too) replaces."""
    out = dict(current)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


class ConsoleSettings(Aggregate):
    TOPIC = "ConsoleSettings"

    class Changed(Aggregate.Created, frozen=True, kw_only=True):
        """The tenant's settings document became `settings`; `changed` names the top-level
        fields that differ from before (the first change creates the aggregate)."""

        TOPIC: ClassVar[str] = "ConsoleSettings.Changed"
        tenant_id: str
        settings: dict[str, Any]
        changed: list[str]
        before: dict[str, Any]

        def apply(self, s: Any) -> None:
            s.tenant_id, s.document = self.tenant_id, self.settings

    tenant_id: str
    document: dict[str, Any]

    @classmethod
    def change(
        cls, tenant_id: str, existing: ConsoleSettings | None, document: dict[str, Any]
    ) -> ConsoleSettings | None:
        """Append the new document, or None when nothing changed."""
        before = existing.document if existing is not None else msgspec.to_builtins(DEFAULTS)
        changed = sorted(k for k in set(before) | set(document) if before.get(k) != document.get(k))
        if not changed:
            return None
        fields = dict(
            tenant_id=tenant_id,
            settings=document,
            changed=changed,
            before={k: before.get(k) for k in changed},
        )
        if existing is None:
            return cls._create(cls.Changed, id=console_settings_uuid(tenant_id), **fields)
        existing.trigger_event(cls.Changed, **fields)  # type: ignore[arg-type]
        return existing

    def doc(self) -> SettingsDoc:
        return msgspec.convert(self.document, SettingsDoc)
