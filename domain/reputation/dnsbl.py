"""DNSBL verdicts as events (console.md §12, §2.1).

``DnsblCheck`` is one (tenant, target, zone) pair; its id is uuid5 of tenant + (target, zone).
It is a snapshot: ``Recorded`` carries the whole verdict and is appended only when the verdict
(result, return codes or error message) differs from the last one, so a daily scan of a clean
domain adds nothing. When a pair was last *looked at* is not part of the verdict: each scan
that reached a verdict for some pairs is one ``DnsblRun.Completed`` naming them, which also
gives ``latestRunAt`` and the audit entry of a forced recheck.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal
from uuid import UUID, uuid5

from domain.instance import LEDGERMAIL_NAMESPACE
from domain.model import Aggregate, current_context

Result = Literal["clean", "listed", "error"]
TargetKind = Literal["domain", "ip"]


def dnsbl_check_uuid(tenant_id: str, target: str, zone: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"dnsbl-check/{tenant_id}/{target}/{zone}")


def dnsbl_run_uuid(tenant_id: str, run_id: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"dnsbl-run/{tenant_id}/{run_id}")


class DnsblCheck(Aggregate):
    TOPIC = "DnsblCheck"

    class Recorded(Aggregate.Created, frozen=True, kw_only=True):
        """`target` (a registrable domain, a sender subdomain or an IP) got verdict `result` on
        list `zone`: `return_codes` are the 127.x answers of a listing, `error_message` says why
        an answer was unusable; `listed_since` is when the current listing began (null unless
        listed); `previous` is the result before (null the first time)."""

        TOPIC: ClassVar[str] = "DnsblCheck.Recorded"
        tenant_id: str
        target: str
        target_kind: TargetKind
        zone: str
        label: str
        result: Result
        return_codes: list[str] = []
        error_message: str | None = None
        listed_since: float | None = None
        previous: Result | None = None

        def apply(self, c: Any) -> None:
            c.tenant_id, c.target, c.zone = self.tenant_id, self.target, self.zone
            c.target_kind = self.target_kind
            c.label, c.result, c.return_codes = self.label, self.result, list(self.return_codes)
            c.error_message, c.listed_since = self.error_message, self.listed_since

    tenant_id: str
    target: str
    target_kind: TargetKind
    zone: str
    label: str
    result: Result
    return_codes: list[str]
    error_message: str | None
    listed_since: float | None

    @classmethod
    def observe(
        cls,
        existing: DnsblCheck | None,
        *,
        tenant_id: str,
        target: str,
        target_kind: TargetKind,
        zone: str,
        label: str,
        result: Result,
        return_codes: list[str],
        error_message: str | None,
    ) -> DnsblCheck | None:
        """The pair with a new ``Recorded`` appended, or None when the verdict is unchanged."""
        codes = sorted(set(return_codes))
        if existing is not None and (existing.result, existing.return_codes, existing.error_message) == (
            result, codes, error_message
        ):
            return None
        previous = existing.result if existing is not None else None
        since = None
        if result == "listed":
            since = existing.listed_since if previous == "listed" and existing is not None else None
            since = since if since is not None else current_context().now
        fields: dict[str, Any] = dict(
            tenant_id=tenant_id, target=target, target_kind=target_kind, zone=zone, label=label,
            result=result, return_codes=codes, error_message=error_message, listed_since=since,
            previous=previous,
        )
        if existing is None:
            return cls._create(cls.Recorded, id=dnsbl_check_uuid(tenant_id, target, zone), **fields)
        existing.trigger_event(cls.Recorded, **fields)  # type: ignore[arg-type]
        return existing


class DnsblRun(Aggregate):
    TOPIC = "DnsblRun"

    class Completed(Aggregate.Created, frozen=True, kw_only=True):
        """A scan of the tenant's lists finished: `checked` are the [target, zone] pairs that got
        a verdict (transient failures are not among them: their last verdict stands); `forced`:
        a recheck asked for through the API, else the schedule. Counts are of this run."""

        TOPIC: ClassVar[str] = "DnsblRun.Completed"
        tenant_id: str
        forced: bool
        checked: list[list[str]]
        total_checks: int
        listed_count: int
        error_count: int
        transient_count: int

        def apply(self, r: Any) -> None:
            r.tenant_id, r.forced = self.tenant_id, self.forced

    tenant_id: str
    forced: bool

    @classmethod
    def complete(cls, tenant_id: str, run_id: str, **fields: Any) -> DnsblRun:
        return cls._create(cls.Completed, id=dnsbl_run_uuid(tenant_id, run_id), tenant_id=tenant_id, **fields)
