"""The DMARC context's upkeep aggregates (console.md §13): each tenant's report mailbox (the
IMAP settings, the password sealed) and its retention sweeps of source rows."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID, uuid5

import msgspec

from domain.instance import LEDGERMAIL_NAMESPACE
from domain.model import Aggregate


def mailbox_uuid(tenant_id: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"dmarc-mailbox/{tenant_id}")


def retention_uuid(tenant_id: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"dmarc-retention/{tenant_id}")


class MailboxConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Where a tenant's DMARC reports arrive (console.md §13 Mailbox); `password` is sealed."""

    host: str = ""
    port: int = 993
    tls: str = "implicit"  # implicit | starttls | none
    username: str = ""
    password: str | None = None
    folder: str = "INBOX"
    processed_folder: str = "DMARC/Processed"
    failed_folder: str = "DMARC/Failed"
    interval_minutes: int = 30
    enabled: bool = False


class DmarcMailbox(Aggregate):
    TOPIC = "DmarcMailbox"

    class Configured(Aggregate.Created, frozen=True, kw_only=True):
        """The tenant's report mailbox settings became `config` (the password sealed)."""

        TOPIC: ClassVar[str] = "DmarcMailbox.Configured"
        tenant_id: str
        config: MailboxConfig
        changed: list[str]

        def apply(self, m: Any) -> None:
            m.tenant_id, m.config = self.tenant_id, self.config

    tenant_id: str
    config: MailboxConfig

    @classmethod
    def configure(
        cls, existing: DmarcMailbox | None, tenant_id: str, config: MailboxConfig
    ) -> DmarcMailbox | None:
        before = msgspec.to_builtins(existing.config if existing is not None else MailboxConfig())
        after = msgspec.to_builtins(config)
        changed = sorted(k for k in after if before.get(k) != after.get(k))
        if existing is not None and not changed:
            return None
        if existing is None:
            return cls._create(
                cls.Configured,
                id=mailbox_uuid(tenant_id),
                tenant_id=tenant_id,
                config=config,
                changed=changed,
            )
        existing.trigger_event(
            cls.Configured,
            tenant_id=tenant_id,
            config=config,  # type: ignore[arg-type]
            changed=changed,
        )
        return existing


class DmarcRetention(Aggregate):
    """Retention sweeps of a tenant's DMARC source rows: an event, so rebuilds cut the same."""

    TOPIC = "DmarcRetention"

    class Swept(Aggregate.Created, frozen=True, kw_only=True):
        """Source rows of reports whose day is before `before_day` leave the read models
        (report summaries stay); `retention_days` was the setting then."""

        TOPIC: ClassVar[str] = "DmarcRetention.Swept"
        tenant_id: str
        before_day: str
        retention_days: int

        def apply(self, r: Any) -> None:
            r.tenant_id, r.before_day = self.tenant_id, self.before_day

    tenant_id: str
    before_day: str

    @classmethod
    def sweep(
        cls, existing: DmarcRetention | None, tenant_id: str, before_day: str, retention_days: int
    ) -> DmarcRetention | None:
        if existing is not None and existing.before_day >= before_day:
            return None
        fields = dict(tenant_id=tenant_id, before_day=before_day, retention_days=retention_days)
        if existing is None:
            return cls._create(cls.Swept, id=retention_uuid(tenant_id), **fields)
        existing.trigger_event(cls.Swept, **fields)  # type: ignore[arg-type]
        return existing
