"""The console context's named rules: each error carries the code the contract names."""

from __future__ import annotations

from domain.errors import RuleViolation


class ContactForgotten(RuleViolation):
    code = "contact_forgotten"
    status = 409


class ContactNotFound(RuleViolation):
    code = "contact_not_found"
    status = 404


class SubscriptionBlocked(RuleViolation):
    """Subscribing a bounced or complained contact: an operator must lift its suppression."""

    code = "subscription_blocked"
    status = 409


class DedupeKeyRequired(RuleViolation):
    code = "dedupe_key_required"
    status = 400


class DoiTemplateMissing(RuleViolation):
    code = "doi_template_missing"
    status = 409
