"""The InboundReport: one bounce or complaint mail the instance received (spec proxy.md §10).

Its id is the uuid5 of the report's identity (its Message-ID header, else the SHA-256 of
its raw bytes), so the same mail arriving twice, by IMAP and by HTTP, or again after a
UIDVALIDITY reset, finds the same aggregate and changes nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal
from uuid import UUID, uuid5

import msgspec

from domain.bounces.report import ReportFormat, ReportKind
from domain.instance import LEDGERMAIL_NAMESPACE
from domain.model import Aggregate
from domain.sending.message_state import BounceCategory, BounceType

Channel = Literal["imap", "http"]


def inbound_report_uuid(identity: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"inbound-report/{identity}")


class ReportRecipient(msgspec.Struct, frozen=True, kw_only=True):
    """One address the report is about; the bounce fields are None for a complaint."""

    email: str
    bounce_type: BounceType | None = None
    bounce_code: str | None = None
    category: BounceCategory | None = None


class InboundReport(Aggregate):
    TOPIC = "InboundReport"

    class Ingested(Aggregate.Created, frozen=True, kw_only=True):
        """A report mail was processed. `identity`: its Message-ID, else `sha256:<hex>`;
        `kind` bounce, complaint or ignored; `format` how it was recognised (dsn, arf,
        other, none); `matched`: tied to message `message_pk` (`client_id`) of `tenant_id`,
        whose `Bounced`/`Complained` events were saved with this one; `recipients` the
        addresses it names and how each bounced (sealed with the contact's key when the
        message is a console send to a contact, ADR 0031); `complaint_type` the ARF
        Feedback-Type; `channel` imap or http."""

        TOPIC: ClassVar[str] = "InboundReport.Ingested"
        identity: str
        kind: ReportKind
        format: ReportFormat
        matched: bool
        tenant_id: str | None
        message_pk: str | None
        client_id: str | None
        recipients: list[ReportRecipient]
        complaint_type: str | None
        channel: Channel

        def apply(self, report: Any) -> None:
            for name in ("identity", "kind", "format", "matched", "tenant_id", "message_pk", "client_id",
                         "recipients", "complaint_type", "channel"):
                setattr(report, name, getattr(self, name))

    identity: str
    kind: ReportKind
    format: ReportFormat
    matched: bool
    tenant_id: str | None
    message_pk: str | None
    client_id: str | None
    recipients: list[ReportRecipient]
    complaint_type: str | None
    channel: Channel

    @classmethod
    def ingest(cls, identity: str, kind: ReportKind, format: ReportFormat, *, channel: Channel,
               recipients: list[ReportRecipient], tenant_id: str | None = None,
               message_pk: str | None = None, client_id: str | None = None,
               complaint_type: str | None = None) -> InboundReport:
        return cls._create(cls.Ingested, id=inbound_report_uuid(identity), identity=identity, kind=kind,
                           format=format, matched=message_pk is not None, tenant_id=tenant_id,
                           message_pk=message_pk, client_id=client_id, recipients=recipients,
                           complaint_type=complaint_type, channel=channel)
