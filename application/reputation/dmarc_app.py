"""The DMARC Application (log ``dmarc``): report ingest, source tags, the report mailbox and
retention sweeps (console.md §13). Parsing and unpacking happen in adapters; this is where
(tenant, org, report id) uniqueness holds: the id is a uuid5 of them, so a re-ingest finds
the stored report and adds nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.base import SYSTEM, CommandMeta, LedgerApplication
from application.ports import Clock, SecretBox
from domain.reputation.dmarc import DmarcReport, DmarcSourceTag, ParsedReport, report_uuid, source_tag_uuid
from domain.reputation.dmarc_upkeep import (
    DmarcMailbox,
    DmarcRetention,
    MailboxConfig,
    mailbox_uuid,
    retention_uuid,
)

SECRET = "***"


class Ingested(msgspec.Struct, frozen=True):
    report: ParsedReport
    duplicate: bool


class DmarcApplication(LedgerApplication):
    name: ClassVar[str] = "dmarc"

    def __init__(self, env: dict[str, Any], secret_box: SecretBox, clock: Clock | None = None) -> None:
        super().__init__(env, clock)
        self.secret_box = secret_box

    def _find(self, ident: UUID) -> Any:
        try:
            return self.repository.get(ident)
        except AggregateNotFoundError:
            return None

    # --- reports ----------------------------------------------------------------------------
    def ingest_reports(self, tenant_id: str, reports: list[ParsedReport], *, channel: str,
                       filename: str | None = None, meta: CommandMeta = SYSTEM) -> tuple[list[Ingested], int]:
        """Store the reports not stored yet, all in one save; repeats are ``duplicate``. Two
        uploads of one new report racing: the loser's save conflicts, and its retry finds
        the winner's report, so it answers ``duplicate`` instead of failing."""
        try:
            return self._ingest(tenant_id, reports, channel, filename, meta)
        except IntegrityError:
            return self._ingest(tenant_id, reports, channel, filename, meta)

    def _ingest(self, tenant_id: str, reports: list[ParsedReport], channel: str, filename: str | None,
                meta: CommandMeta) -> tuple[list[Ingested], int]:
        out, new, seen = [], [], set()
        with self.under(meta, tenant_id):
            for report in reports:
                ident = report_uuid(tenant_id, report.org_name, report.report_id)
                duplicate = ident in seen or self._find(ident) is not None
                if not duplicate:
                    new.append(DmarcReport.ingest(tenant_id, report, channel, filename))
                    seen.add(ident)
                out.append(Ingested(report, duplicate))
            return out, (self.record(*new) if new else 0)

    def report(self, tenant_id: str, org_name: str, report_id: str) -> DmarcReport | None:
        found = self._find(report_uuid(tenant_id, org_name, report_id))
        return found if isinstance(found, DmarcReport) and found.tenant_id == tenant_id else None

    # --- source tags -------------------------------------------------------------------------
    def tag_source(
        self, tenant_id: str, ip: str, label: str, ignored: bool, meta: CommandMeta = SYSTEM
    ) -> tuple[bool, int]:
        existing = self._find(source_tag_uuid(tenant_id, ip))
        with self.under(meta, tenant_id):
            tag = DmarcSourceTag.tag(existing, tenant_id, ip, label, ignored)
            return (False, 0) if tag is None else (True, self.record(tag))

    def untag_source(self, tenant_id: str, ip: str, meta: CommandMeta = SYSTEM) -> tuple[int, int]:
        """(deleted 0|1, position): only a live DB tag can be deleted."""
        existing = self._find(source_tag_uuid(tenant_id, ip))
        if existing is None:
            return 0, 0
        with self.under(meta, tenant_id):
            return (1, self.record(existing)) if existing.remove() else (0, 0)

    # --- the report mailbox -------------------------------------------------------------------
    def mailbox(self, tenant_id: str) -> MailboxConfig | None:
        found = self._find(mailbox_uuid(tenant_id))
        return found.config if found is not None else None

    def mailbox_password(self, tenant_id: str) -> str | None:
        config = self.mailbox(tenant_id)
        return self.secret_box.decrypt(config.password) if config and config.password else None

    def configure_mailbox(
        self, tenant_id: str, config: MailboxConfig, meta: CommandMeta = SYSTEM
    ) -> tuple[list[str], int]:
        """Seal the password (``"***"`` or null keeps the stored one); (changed fields, position)."""
        existing = self._find(mailbox_uuid(tenant_id))
        stored = existing.config.password if existing is not None else None
        given = config.password
        sealed = stored if given in (None, SECRET) else self.secret_box.encrypt(given)
        if given not in (None, SECRET) and stored and self.secret_box.decrypt(stored) == given:
            sealed = stored  # the same password again changes nothing
        config = msgspec.structs.replace(config, password=sealed)
        with self.under(meta, tenant_id):
            mailbox = DmarcMailbox.configure(existing, tenant_id, config)
            if mailbox is None:
                return [], 0
            changed = list(mailbox.pending_events[-1].changed)  # type: ignore[attr-defined]
            return changed, self.record(mailbox)

    # --- retention -----------------------------------------------------------------------------
    def sweep(self, tenant_id: str, before_day: str, retention_days: int, meta: CommandMeta = SYSTEM) -> int:
        """Cut source rows of days before ``before_day`` from the read models (0: already cut)."""
        existing = self._find(retention_uuid(tenant_id))
        with self.under(meta, tenant_id):
            swept = DmarcRetention.sweep(existing, tenant_id, before_day, retention_days)
            return self.record(swept) if swept is not None else 0
