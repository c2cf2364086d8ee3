"""The content context's named rules: each error carries the code the contract names."""

from __future__ import annotations

from typing import Any

from domain.errors import RuleViolation


class SlugTaken(RuleViolation):
    code = "slug_taken"
    status = 409


class NoDraft(RuleViolation):
    code = "no_draft"
    status = 409


class StaleRevision(RuleViolation):
    code = "stale_revision"
    status = 409


class NotPublished(RuleViolation):
    code = "not_published"
    status = 409


class TemplateNotPublished(RuleViolation):
    code = "template_not_published"
    status = 409


class AccountNotConfigured(RuleViolation):
    code = "account_not_configured"
    status = 409


class AccountUnknown(RuleViolation):
    code = "account_unknown"
    status = 400


class EmptyDraft(RuleViolation):
    code = "empty_draft"
    status = 400


class RecipientSuppressed(RuleViolation):
    code = "recipient_suppressed"
    status = 409


class GateRefused(RuleViolation):
    """A publish gate said no; ``extra`` goes into the error body (console.md §5.4)."""

    def __init__(self, error: str, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code, self.status, self.extra = error, status, extra


def sender_domain_invalid(code: str, email: str | None) -> GateRefused:
    return GateRefused("sender_domain_invalid", 400, f"sender {email or '(none)'}: {code}", code=code)
