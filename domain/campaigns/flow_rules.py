"""The flows context's named rules: each error carries the code console.md §8 names."""

from __future__ import annotations

from domain.errors import InvalidValue, RuleViolation


class FlowSlugTaken(RuleViolation):
    code = "slug_taken"
    status = 409


class EmptyFlow(RuleViolation):
    code = "empty_flow"
    status = 400


class FlowHasRuns(RuleViolation):
    code = "has_runs"
    status = 409


class StaleFlowRevision(RuleViolation):
    code = "stale_revision"
    status = 409


class InvalidFlow(InvalidValue):
    """400 ``validation_failed`` naming the JSON path of the bad step or trigger field."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}", field=path)
        self.path = path
