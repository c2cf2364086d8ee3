"""Outcomes of attempts, appended to their messages in one save per flush (spec proxy.md §6.3).

An outcome is recorded only while its lease is live on the service clock: a worker that
outlived its lease lost the message to whoever abandons it, so its outcome is discarded
and logged (the message is sent again: at-least-once). Every outcome, recorded or not,
releases its lease; every attempt the SMTP server accepted counts in the rate windows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from application.sending.app import SendingApplication
from application.sending.dispatch_bounces import classify_refusal
from application.sending.dispatch_changes import Change, apply_and_save
from application.sending.dispatch_send import Outcome
from application.sending.dispatch_settings import CycleSettings
from application.sending.ports import Finished
from domain.errors import LeaseLost
from domain.instance_config import RetryConfig
from domain.model import current_context
from domain.sending.classify import smtp_error_text
from domain.sending.message import Message
from domain.sending.message_state import RecipientRefusal

log = logging.getLogger(__name__)


def record_outcomes(app: SendingApplication, settings: CycleSettings, worker_id: str,
                    outcomes: Sequence[Outcome], rand: Callable[[], float]) -> list[Finished]:
    """Append the outcomes (one save), then say which leases to release and which were sent."""
    policy = settings.config.retry
    changes = [Change(o.flight.message.id, o.flight.claim.tenant_id,
                      _recorder(o, policy, rand, settings.report(o.flight.claim.tenant_id)))
               for o in outcomes]
    loaded = {o.flight.message.id: o.flight.message for o in outcomes}
    applied = apply_and_save(app, f"system:{worker_id}", changes, loaded)
    for pk, why in applied.skipped.items():
        log.warning("dispatch: outcome for message %s discarded: %s", pk, why)
    # Whatever became of the save, an SMTP server that took the message counts in the rate
    # windows: a discarded outcome (lease lost), or a Sent stored by a commit whose
    # acknowledgement was lost (then retried and skipped), was still a delivery.
    return [Finished(o.flight.claim.pk, o.flight.claim.claimed_ts, sent=o.reply is not None)
            for o in outcomes]


def _recorder(outcome: Outcome, policy: RetryConfig, rand: Callable[[], float],
              report: bool) -> Callable[[Message], None]:
    attempt, lease_until = outcome.flight.attempt, outcome.flight.claim.lease_until

    def record(message: Message) -> None:
        if current_context().now >= lease_until:
            raise LeaseLost(f"the lease of attempt {attempt} expired at {lease_until}")
        for offload in outcome.offloads:
            message.offload_attachment(attempt, offload.index, offload.file_id, offload.expires)
        if outcome.hold is not None:
            message.hold(outcome.hold, attempt=attempt)
        elif outcome.suppressed_reason is not None:
            message.suppress(outcome.suppressed_reason, attempt=attempt)
        elif outcome.reply is not None:
            refusals = [RecipientRefusal(addr, code, smtp_error_text(code, text))
                        for addr, (code, text) in outcome.refused.items()]
            message.record_sent(attempt, outcome.reply, refused_recipients=refusals,
                                suppressed_recipients=outcome.suppressed, warnings=outcome.warnings,
                                report=report, body_hash=outcome.body_hash)
        elif outcome.failure is not None:
            message.record_failure(attempt, outcome.failure, policy=policy, rand=rand(), report=report)
        else:
            assert outcome.error_code is not None
            message.fail(outcome.error_code, outcome.error, attempt=attempt, report=report)
        _bounces(message, outcome, report)
    return record


def _bounces(message: Message, outcome: Outcome, report: bool) -> None:
    """A recipient refused with 5xx bounced (source ``smtp``), whether or not others took it."""
    for address, (code, text) in outcome.refused.items():
        if not 500 <= code <= 599:
            continue
        verdict = classify_refusal(code, text)
        message.record_bounce(address, verdict.bounce_type, bounce_code=verdict.bounce_code,
                              category=verdict.category, reason=smtp_error_text(code, text),
                              source="smtp", report=report)
