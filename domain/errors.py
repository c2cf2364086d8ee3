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
