"""The DNSBL Application (log ``dnsbl``): verdicts per (target, zone) and the runs that found
them (console.md §12). The I/O (DNS) happens before a command: ``record_scan`` takes what the
probe found and appends, in one save, the changed verdicts and the run."""

from __future__ import annotations

import uuid
from typing import ClassVar

import msgspec
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.base import SYSTEM, CommandMeta, LedgerApplication
from application.reputation.dnsbl_probe import Probed
from domain.reputation.dnsbl import DnsblCheck, DnsblRun, dnsbl_check_uuid

ACTOR = "system:dnsbl"


class Transition(msgspec.Struct, frozen=True):
    """A pair whose result changed in this run (what raises or clears a health signal)."""

    target: str
    target_kind: str
    zone: str
    label: str
    before: str | None
    after: str
    return_codes: list[str]


class ScanResult(msgspec.Struct, frozen=True, kw_only=True):
    total_checks: int
    listed_count: int
    error_count: int
    transient_count: int
    position: int
    transitions: list[Transition]


class DnsblApplication(LedgerApplication):
    name: ClassVar[str] = "dnsbl"

    def check(self, tenant_id: str, target: str, zone: str) -> DnsblCheck | None:
        try:
            return self.repository.get(dnsbl_check_uuid(tenant_id, target, zone))  # type: ignore[no-any-return]
        except AggregateNotFoundError:
            return None

    def record_scan(
        self, tenant_id: str, probed: list[Probed], *, forced: bool, meta: CommandMeta = SYSTEM
    ) -> ScanResult:
        """Append the verdicts that changed and the run, in one save; a scheduled run where
        every query failed transiently writes nothing at all (a forced one records its run).
        A racing scan of the same pairs (the schedule and a recheck) fails the version check:
        the verdicts are then compared again with what that scan stored."""
        for attempt in range(3):
            try:
                return self._record_scan(tenant_id, probed, forced=forced, meta=meta)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _record_scan(self, tenant_id: str, probed: list[Probed], *, forced: bool,
                     meta: CommandMeta) -> ScanResult:
        checked = [p for p in probed if p.verdict is not None]
        # verdicts are automatic decisions (audited as system:dnsbl) even inside a recheck
        # someone asked for; the run itself is the caller's (dnsbl.recheck)
        with self.under(CommandMeta(actor=ACTOR, command_id=meta.command_id), tenant_id):
            changed, transitions = self._observe(tenant_id, checked)
        counts = dict(
            total_checks=len(probed),
            listed_count=sum(1 for p in checked if p.verdict and p.verdict.result == "listed"),
            error_count=sum(1 for p in checked if p.verdict and p.verdict.result == "error"),
            transient_count=len(probed) - len(checked),
        )
        position = 0
        if checked or forced:
            with self.under(meta, tenant_id):
                run = DnsblRun.complete(tenant_id, uuid.uuid4().hex, forced=forced,
                                        checked=[[p.pair.target, p.pair.zone] for p in checked], **counts)
                position = self.record(*changed, run)
        return ScanResult(position=position, transitions=transitions, **counts)

    def _observe(self, tenant_id: str, checked: list[Probed]) -> tuple[list[DnsblCheck], list[Transition]]:
        changed: list[DnsblCheck] = []
        transitions: list[Transition] = []
        for found in checked:
            pair, v = found.pair, found.verdict
            assert v is not None
            existing = self.check(tenant_id, pair.target, pair.zone)
            before = existing.result if existing is not None else None
            aggregate = DnsblCheck.observe(
                existing, tenant_id=tenant_id, target=pair.target, target_kind=pair.target_kind,
                zone=pair.zone, label=pair.label, result=v.result, return_codes=v.return_codes,
                error_message=v.error_message,
            )
            if aggregate is None:
                continue
            changed.append(aggregate)
            if before != v.result:
                transitions.append(Transition(pair.target, pair.target_kind, pair.zone, pair.label,
                                              before, v.result, aggregate.return_codes))
        return changed, transitions
