"""The Message's delivery commands: attempts, their outcomes, cancellation, bounces.

A mixin of ``Message`` (``message.py`` holds the events and the acceptance commands), so
each file stays readable. Rules enforced here (spec proxy.md §6):

- an attempt starts only on a waiting message (pending or deferred) that is due;
- an outcome is recorded only for the attempt in flight, while its lease is live;
- an expired lease is abandoned explicitly: it counts a retry, or fails the message;
- a temporary failure defers by the retry schedule until the retries run out.

Times come from the command context (the service clock), the same time the events carry.

``report`` on outcome commands: whether the tenant has a ``client_base_url`` now (spec
§8.1: only events appended while it has one are reported). ``None`` means "as when the
message was accepted" (``Message.report``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.errors import LeaseLost, LeaseNotExpired, NotAttempted, NotDispatchable, NotRemovable
from domain.instance_config import RetryConfig
from domain.model import current_context
from domain.sending.classify import ErrorCode, classify
from domain.sending.failure import AttemptFailure
from domain.sending.message_state import (
    BOUNCE_REASON_MAX,
    WAITING,
    BounceCategory,
    BounceSource,
    BounceType,
    CancelReason,
    Lease,
    RecipientRefusal,
    Status,
    date_header,
)
from domain.sending.retry import exhausted_error, next_delay, retries_exhausted


def _now() -> float:
    return current_context().now


class DeliveryCommands:
    """Mixed into ``Message``; its state and nested events are reached through ``self``
    (typed ``Any`` here: they are declared on ``Message``)."""

    def start_attempt(self: Any, worker_id: str, lease_until: float, *, date: str | None = None) -> int:
        """Start the next attempt under ``worker_id``'s lease; returns its number. The Date
        header is fixed at the first attempt (from ``date`` or the service clock)."""
        now = _now()
        if self.status not in WAITING:
            raise NotDispatchable(f"message {self.client_id} is {self.status}, not waiting to be sent")
        if self.deferred_until is not None and self.deferred_until > now:
            raise NotDispatchable(f"message {self.client_id} is deferred until {self.deferred_until}")
        if lease_until <= now:
            raise ValueError("lease_until must be in the future")
        attempt = self.attempts + 1
        self.trigger_event(self.AttemptStarted, attempt=attempt, worker_id=worker_id, lease_until=lease_until,
                           date=self.date or date or date_header(now))
        return attempt

    def abandon_attempt(self: Any, *, max_retries: int, report: bool | None = None) -> Status:
        """The lease expired without an outcome: one retry used (ready again at once), or,
        with none left, ``Failed`` ``retries_exhausted``. Returns the new status."""
        lease: Lease | None = self.lease
        if lease is None:
            raise LeaseLost(f"message {self.client_id} has no attempt in flight")
        if _now() < lease.lease_until:
            raise LeaseNotExpired(f"attempt {lease.attempt} is leased until {lease.lease_until}")
        exhausted = retries_exhausted(self.retry_count, max_retries)
        self.trigger_event(self.AttemptAbandoned, attempt=lease.attempt, worker_id=lease.worker_id,
                           lease_until=lease.lease_until,
                           retry_count=self.retry_count if exhausted else self.retry_count + 1)
        if exhausted:
            why = f"attempt {lease.attempt} abandoned: lease of {lease.worker_id} expired without an outcome"
            self._fail("retries_exhausted", exhausted_error(max_retries, why), report)
        return self.status

    def record_sent(
        self: Any, attempt: int, smtp_reply: str, *, refused_recipients: Iterable[RecipientRefusal] = (),
        suppressed_recipients: Iterable[str] = (), warnings: Iterable[str] = (), report: bool | None = None,
        body_hash: str | None = None,
    ) -> None:
        self._in_flight(attempt)
        self.trigger_event(self.Sent, smtp_reply=smtp_reply, refused_recipients=list(refused_recipients),
                           suppressed_recipients=list(suppressed_recipients), warnings=list(warnings),
                           report=self._report(report), body_hash=body_hash)

    def record_failure(
        self: Any, attempt: int, failure: AttemptFailure, *, policy: RetryConfig, rand: float,
        report: bool | None = None,
    ) -> Status:
        """Classify a failed attempt (spec §6.4): permanent -> ``Failed``; temporary ->
        ``Deferred`` by the schedule (``rand`` in [0, 1] draws the jitter), or ``Failed``
        ``retries_exhausted`` once ``policy.max_retries`` retries were used. Returns the status."""
        self._in_flight(attempt)
        verdict = classify(failure)
        if not verdict.temporary:
            self._fail(verdict.error_code, failure.text, report)
        elif retries_exhausted(self.retry_count, policy.max_retries):
            self._fail("retries_exhausted", exhausted_error(policy.max_retries, failure.text), report)
        else:
            retry = self.retry_count + 1
            delay = next_delay(failure, retry, policy.delays_seconds, policy.jitter, rand)
            self.trigger_event(self.Deferred, reason="temporary_failure", until=_now() + delay,
                               error=failure.text, retry_count=retry, report=self._report(report))
        return self.status

    def fail(
        self: Any, error_code: ErrorCode, error: str, *, attempt: int | None = None,
        report: bool | None = None,
    ) -> None:
        """Fail for a reason found outside the SMTP session (account gone, all recipients
        suppressed, build error, attachment too large) during ``attempt``; without an attempt,
        at claim time (``rate_limit_exceeded``) on a waiting message."""
        if attempt is None:
            self._waiting()
        else:
            self._in_flight(attempt)
        self._fail(error_code, error, report)

    def defer_for_rate_limit(self: Any, until: float, *, report: bool | None = None) -> None:
        """A window was full at claim time: wait until it reopens. Counts no retry."""
        self._waiting()
        if until <= _now():
            raise ValueError("a rate-limit deferral must end in the future")
        self.trigger_event(self.Deferred, reason="rate_limit", until=until, error=None,
                           retry_count=self.retry_count, report=self._report(report))

    def cancel(self: Any, reason: CancelReason = "deleted") -> None:
        """Only a waiting message (pending, deferred or held; no attempt in flight) can be removed."""
        if self.status not in (*WAITING, "held"):
            raise NotRemovable(f"message {self.client_id} is {self.status}", field="id")
        self.trigger_event(self.Cancelled, reason=reason)

    def record_bounce(
        self: Any, recipient: str, bounce_type: BounceType, *, bounce_code: str | None,
        category: BounceCategory, reason: str, source: BounceSource, report: bool | None = None,
    ) -> None:
        self._attempted()
        self.trigger_event(self.Bounced, recipient=recipient, bounce_type=bounce_type,
                           bounce_code=bounce_code, category=category, reason=reason[:BOUNCE_REASON_MAX],
                           source=source, report=self._report(report))

    def record_complaint(
        self: Any, recipient: str, complaint_type: str, *, report: bool | None = None
    ) -> None:
        self._attempted()
        self.trigger_event(self.Complained, recipient=recipient, complaint_type=complaint_type,
                           report=self._report(report))

    def offload_attachment(self: Any, attempt: int, index: int, file_id: str, expires: float) -> None:
        """Attachment ``index`` goes out as a download link; the same offload again is a no-op."""
        self._in_flight(attempt)
        count = len(self.content.attachments) if self.content is not None else 0
        if not 0 <= index < count:
            raise ValueError(f"attachment index {index} is out of range (the message has {count})")
        known = self.offloaded.get(index)
        if known is not None:
            if (known.file_id, known.expires) == (file_id, expires):
                return
            raise ValueError(f"attachment {index} is already offloaded as {known.file_id}")
        self.trigger_event(self.AttachmentOffloaded, index=index, file_id=file_id, expires=expires)

    def is_due(self: Any, now: float) -> bool:
        """Waiting and not deferred past ``now`` (tenant, suspension and limits are checked elsewhere)."""
        return self.status in WAITING and (self.deferred_until is None or self.deferred_until <= now)

    def lease_live(self: Any, now: float) -> bool:
        return self.lease is not None and now < self.lease.lease_until

    def _in_flight(self: Any, attempt: int) -> Lease:
        lease: Lease | None = self.lease
        if lease is None or lease.attempt != attempt:
            raise LeaseLost(f"attempt {attempt} of message {self.client_id} is not in flight")
        if _now() >= lease.lease_until:
            raise LeaseLost(f"the lease of attempt {attempt} expired at {lease.lease_until}")
        return lease

    def _waiting(self: Any) -> None:
        if self.status not in WAITING:
            raise NotDispatchable(f"message {self.client_id} is {self.status}, not waiting to be sent")

    def _attempted(self: Any) -> None:
        if self.attempts == 0:
            raise NotAttempted(f"message {self.client_id} was never attempted")

    def _fail(self: Any, error_code: ErrorCode, error: str, report: bool | None) -> None:
        self.trigger_event(self.Failed, error_code=error_code, error=error, report=self._report(report))

    def _report(self: Any, report: bool | None) -> bool:
        return bool(self.report) if report is None else report
