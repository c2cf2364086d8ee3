"""The bounce and complaint intake (spec proxy.md §10): one raw mail in, its events saved.

parse (port) -> de-duplicate by the report's identity -> correlate to one message
(X-Ledgermail-Id, then the VERP token, then a Message-ID only one message has) ->
``Message.Bounced`` per failed recipient or ``Message.Complained`` per complainant, and the
``InboundReport.Ingested`` record, in **one** save (the suppressions a hard bounce or a
complaint causes join that save: ``SuppressionCommands.record``). IMAP and HTTP run the
same ``ingest``; on return the events are committed, so a caller may mark the mail done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.base import SYSTEM, CommandMeta
from application.sending.app import SendingApplication
from domain.bounces.inbound_report import Channel, InboundReport, ReportRecipient, inbound_report_uuid
from domain.bounces.report import ParsedReport
from domain.errors import RuleViolation
from domain.sending.addresses import AddressError, parse_mailbox
from domain.sending.message import Message
from domain.sending.verp import pk_from_verp_address

log = logging.getLogger(__name__)


class BounceParser(Protocol):
    def parse(self, raw: bytes) -> ParsedReport:
        """Never raises for bad mail: what is not a report comes back ``ignored``."""
        ...


class MessageIdIndex(Protocol):
    def pks_with_message_id(self, message_id: str, limit: int = 2) -> list[str]:
        """Pks of messages whose Message-ID header is ``message_id`` (at most ``limit``)."""
        ...


class IngestResult(msgspec.Struct, frozen=True):
    """The IngestResult of spec §4.5, plus the store position of the saved events."""

    kind: str
    duplicate: bool
    matched: bool
    tenant_id: str | None
    id: str | None
    pk: str | None
    recipients: list[ReportRecipient]
    position: int = 0


def _result(report: InboundReport, *, duplicate: bool, position: int = 0) -> IngestResult:
    return IngestResult(kind=report.kind, duplicate=duplicate, matched=report.matched,
                        tenant_id=report.tenant_id, id=report.client_id, pk=report.message_pk,
                        recipients=list(report.recipients), position=position)


class BounceIntake:
    def __init__(self, sending: SendingApplication, parser: BounceParser, message_ids: MessageIdIndex,
                 return_path: Callable[[], str | None], report_of: Callable[[str], bool | None]) -> None:
        """``return_path``: the instance ``bounce.return_path`` now (VERP base, or None);
        ``report_of(tenant_id)``: whether that tenant has a client_base_url now (§8.1)."""
        self.sending, self.parser, self.message_ids = sending, parser, message_ids
        self.return_path, self.report_of = return_path, report_of

    def ingest(self, raw: bytes, *, channel: Channel, meta: CommandMeta = SYSTEM) -> IngestResult:
        parsed = self.parser.parse(raw)
        for _ in range(3):  # a lost race is retried: the winner's report then reads as a duplicate
            known = self._report(inbound_report_uuid(parsed.identity))
            if known is not None:
                return _result(known, duplicate=True)
            try:
                return self._save(parsed, channel, meta)
            except IntegrityError:
                log.info("bounce intake: report %s raced another writer; retrying", parsed.identity)
        raise RuntimeError(f"report {parsed.identity} could not be saved: it kept changing concurrently")

    def _save(self, parsed: ParsedReport, channel: Channel, meta: CommandMeta) -> IngestResult:
        message = self.correlate(parsed) if parsed.kind != "ignored" else None
        with self.sending.under(meta, message.tenant_id if message is not None else None):
            recipients = self._apply(parsed, message) if message is not None else _unmatched(parsed)
            if message is not None and not message.pending_events:
                message = None  # it did not apply (never attempted): recorded as unmatched
            report = InboundReport.ingest(
                parsed.identity, parsed.kind, parsed.format, channel=channel, recipients=recipients,
                tenant_id=message.tenant_id if message else None,
                message_pk=str(message.id) if message else None,
                client_id=message.client_id if message else None, complaint_type=parsed.complaint_type)
            position = self.sending.record(*([message] if message is not None else []), report)
        return _result(report, duplicate=False, position=position)

    def _apply(self, parsed: ParsedReport, message: Message) -> list[ReportRecipient]:
        report = self.report_of(message.tenant_id)
        try:
            if parsed.kind == "complaint":
                return self._complaints(parsed, message, report)
            return self._bounces(parsed, message, report)
        except RuleViolation as exc:  # e.g. a message never attempted: nothing to bounce
            log.info("bounce intake: %s does not apply to message %s: %s", parsed.identity, message.id, exc)
            message.collect_events()
            return _unmatched(parsed)

    def _bounces(self, parsed: ParsedReport, message: Message, report: bool | None) -> list[ReportRecipient]:
        out: dict[str, ReportRecipient] = {}
        for finding in parsed.findings:
            email = finding.email or _first_recipient(message)
            if not email or email in out:
                continue
            verdict = finding.verdict()
            message.record_bounce(email, verdict.bounce_type, bounce_code=verdict.bounce_code,
                                  category=verdict.category, reason=finding.reason or verdict.category,
                                  source="dsn" if parsed.format == "dsn" else "other", report=report)
            out[email] = ReportRecipient(email=email, bounce_type=verdict.bounce_type,
                                         bounce_code=verdict.bounce_code, category=verdict.category)
        return list(out.values())

    def _complaints(self, parsed: ParsedReport, message: Message,
                    report: bool | None) -> list[ReportRecipient]:
        people = parsed.complainants or [a for a in [_first_recipient(message)] if a]
        for email in people:
            message.record_complaint(email, parsed.complaint_type or "other", report=report)
        return [ReportRecipient(email=email) for email in people]

    # --- correlation (spec §10.3) ---------------------------------------------------------
    def correlate(self, parsed: ParsedReport) -> Message | None:
        refs = parsed.references
        for value in refs.ledgermail_ids:
            message = self._message(value)
            if message is not None:
                return message
        return_path = self.return_path()
        if return_path:
            for address in refs.envelope_to:
                pk = pk_from_verp_address(address, return_path)
                message = self._message(str(pk)) if pk is not None else None
                if message is not None:
                    return message
        for message_id in refs.message_ids:
            pks = self.message_ids.pks_with_message_id(message_id, limit=2)
            if len(pks) == 1:
                return self._message(pks[0])
        return None

    def _message(self, pk: str) -> Message | None:
        try:
            found = self.sending.repository.get(UUID(pk))
        except (ValueError, AggregateNotFoundError):
            return None
        return found if isinstance(found, Message) else None

    def _report(self, report_id: UUID) -> InboundReport | None:
        try:
            found = self.sending.repository.get(report_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, InboundReport) else None


def _unmatched(parsed: ParsedReport) -> list[ReportRecipient]:
    if parsed.kind == "complaint":
        return [ReportRecipient(email=e) for e in parsed.complainants]
    out = []
    for finding in parsed.findings:
        if finding.email:
            verdict = finding.verdict()
            out.append(ReportRecipient(email=finding.email, bounce_type=verdict.bounce_type,
                                       bounce_code=verdict.bounce_code, category=verdict.category))
    return out


def _first_recipient(message: Message) -> str:
    to = list(message.content.to) if message.content is not None else []
    if not to:
        return ""
    try:
        return parse_mailbox(to[0]).addr_spec.lower()
    except AddressError:
        return to[0].lower()
