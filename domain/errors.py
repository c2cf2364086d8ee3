"""Named rule violations: the domain raises them, the API maps each to a status and code."""

from __future__ import annotations


class RuleViolation(Exception):
    """A command broke a business rule. ``code`` is the stable machine-readable name."""

    code = "rule_violated"
    status = 409

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class AlreadyExists(RuleViolation):
    code = "already_exists"
    status = 409


class SuspensionConflict(RuleViolation):
    code = "conflict"
    status = 409


class NotFound(RuleViolation):
    code = "not_found"
    status = 404


class InvalidValue(RuleViolation):
    """A value that passes the schema but breaks a rule (a past expiry, a missing URL)."""

    code = "validation_failed"
    status = 422


class ReadOnlyField(InvalidValue):
    pass


class Forbidden(RuleViolation):
    code = "forbidden"
    status = 403


# The sending context's rules (domain/sending/message.py).


class AlreadySent(RuleViolation):
    """The id is closed and the message finished (sent, failed, or cancelled after an attempt)."""

    code = "already_sent"
    status = 409


class InProgress(RuleViolation):
    """The id is closed: an attempt started and the message is still retrying or in flight."""

    code = "in_progress"
    status = 409


class NotDispatchable(RuleViolation):
    """An attempt (or a claim-time outcome) asked of a message that is not waiting to be sent."""

    code = "not_dispatchable"
    status = 409


class LeaseLost(RuleViolation):
    """An outcome for an attempt that is not the one in flight, or whose lease has expired."""

    code = "lease_lost"
    status = 409


class LeaseNotExpired(RuleViolation):
    """Abandoning an attempt whose lease is still live."""

    code = "lease_live"
    status = 409


class NotRemovable(RuleViolation):
    """Cancelling a message that is in flight or already finished."""

    code = "not_removable"
    status = 409


class NotAttempted(RuleViolation):
    """A bounce or complaint for a message that was never attempted."""

    code = "not_attempted"
    status = 409
