"""FlowRun: one contact's way through one version of a flow (console.md §8).

Its id is uuid5 of (tenant, flow, entryKey), so a repeated trigger finds the run it already
started. Every step done is an event (``Stepped`` names the next path), and a run that has to
wait records ``Parked`` with the time it is due: after a crash the engine picks the run up at
exactly the step it had reached. ``FlowContact`` counts a contact's runs of one flow, so
``once`` is decided on the write model, not on a view that may lag.
"""

from __future__ import annotations

from typing import Any, ClassVar

from domain.campaigns.flow_ids import flow_contact_uuid, flow_run_uuid
from domain.model import Aggregate

TERMINAL = ("completed", "exited", "failed")


class FlowRun(Aggregate):
    TOPIC = "FlowRun"

    class Started(Aggregate.Created, frozen=True, kw_only=True):
        """Contact `contact_id` entered version `version` of flow `flow_slug` by `entry_key`;
        `trigger` describes what let it in (event name, sealed properties), `path` is its first step."""

        TOPIC: ClassVar[str] = "FlowRun.Started"
        tenant_id: str
        flow_slug: str
        version: int
        contact_id: str
        external_id: str
        entry_key: str
        trigger: dict[str, Any]
        entered_at: float
        path: str | None

        def apply(self, r: Any) -> None:
            r.tenant_id, r.flow_slug, r.flow_version, r.contact_id, r.external_id = (
                self.tenant_id,
                self.flow_slug,
                self.version,
                self.contact_id,
                self.external_id,
            )
            r.entry_key, r.trigger, r.entered_at, r.path = (
                self.entry_key,
                self.trigger,
                self.entered_at,
                self.path,
            )
            r.status, r.waiting_until, r.wait_path, r.wait_reason = "active", None, None, None
            r.attempts, r.exit_reason = 0, None

    class Stepped(Aggregate.Event, frozen=True, kw_only=True):
        """The step at `path` (`step_type`) is done with `outcome`; the run goes on at `next_path`."""

        TOPIC: ClassVar[str] = "FlowRun.Stepped"
        path: str
        step_type: str
        outcome: str
        next_path: str | None
        data: dict[str, Any] = {}

        def apply(self, r: Any) -> None:
            r.path, r.waiting_until, r.wait_path, r.wait_reason, r.attempts = (
                self.next_path,
                None,
                None,
                None,
                0,
            )

    class Parked(Aggregate.Event, frozen=True, kw_only=True):
        """The step at `path` waits until `until` (`reason` wait | send_deferred | webhook_retry)."""

        TOPIC: ClassVar[str] = "FlowRun.Parked"
        path: str
        until: float
        reason: str

        def apply(self, r: Any) -> None:
            r.waiting_until, r.wait_path, r.wait_reason = self.until, self.path, self.reason

    class WebhookAttempted(Aggregate.Event, frozen=True, kw_only=True):
        """Attempt `attempt` of the webhook at `path` answered `status` (None: no answer) or `error`."""

        TOPIC: ClassVar[str] = "FlowRun.WebhookAttempted"
        path: str
        attempt: int
        status: int | None
        error: str | None

        def apply(self, r: Any) -> None:
            r.attempts = self.attempt

    class Held(Aggregate.Event, frozen=True, kw_only=True):
        """Frozen by a pause with holdRuns."""

        TOPIC: ClassVar[str] = "FlowRun.Held"

        def apply(self, r: Any) -> None:
            r.status = "held"

    class Released(Aggregate.Event, frozen=True, kw_only=True):
        """Its flow resumed: the run goes on (an elapsed wait acts now)."""

        TOPIC: ClassVar[str] = "FlowRun.Released"

        def apply(self, r: Any) -> None:
            r.status = "active"

    class Ended(Aggregate.Event, frozen=True, kw_only=True):
        """The run is over: `status` completed | exited | failed, with `reason` (exit_step,
        condition_false, gdpr_forget, contact_missing, <subscription status>, aborted[:why],
        webhook_failed, flow_missing)."""

        TOPIC: ClassVar[str] = "FlowRun.Ended"
        status: str
        reason: str | None
        path: str | None

        def apply(self, r: Any) -> None:
            r.status, r.exit_reason, r.waiting_until, r.wait_path = self.status, self.reason, None, None

    tenant_id: str
    flow_slug: str
    flow_version: int
    contact_id: str
    external_id: str
    entry_key: str
    trigger: dict[str, Any]
    entered_at: float
    path: str | None
    status: str
    waiting_until: float | None
    wait_path: str | None
    wait_reason: str | None
    attempts: int
    exit_reason: str | None

    @classmethod
    def start(
        cls,
        tenant_id: str,
        flow_slug: str,
        version: int,
        contact_id: str,
        external_id: str,
        entry_key: str,
        trigger: dict[str, Any],
        entered_at: float,
        path: str | None,
    ) -> FlowRun:
        return cls._create(
            cls.Started,
            id=flow_run_uuid(tenant_id, flow_slug, entry_key),
            tenant_id=tenant_id,
            flow_slug=flow_slug,
            version=version,
            contact_id=contact_id,
            external_id=external_id,
            entry_key=entry_key,
            trigger=trigger,
            entered_at=entered_at,
            path=path,
        )

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    def step(self, path: str, step_type: str, outcome: str, next_path: str | None, **data: Any) -> None:
        self.trigger_event(
            self.Stepped, path=path, step_type=step_type, outcome=outcome, next_path=next_path, data=data
        )

    def park(self, path: str, until: float, reason: str) -> None:
        self.trigger_event(self.Parked, path=path, until=until, reason=reason)

    def attempted(self, path: str, attempt: int, status: int | None, error: str | None) -> None:
        self.trigger_event(self.WebhookAttempted, path=path, attempt=attempt, status=status, error=error)

    def hold(self) -> bool:
        if self.status != "active":
            return False
        self.trigger_event(self.Held)
        return True

    def release(self) -> bool:
        if self.status != "held":
            return False
        self.trigger_event(self.Released)
        return True

    def end(self, status: str, reason: str | None = None) -> bool:
        if self.finished:
            return False
        self.trigger_event(self.Ended, status=status, reason=reason, path=self.path)
        return True


class FlowContact(Aggregate):
    """A contact's entries into one flow: appending serialises two racing entries."""

    TOPIC = "FlowContact"

    class Entered(Aggregate.Created, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "FlowContact.Entered"
        tenant_id: str
        flow_slug: str
        contact_id: str
        run_id: str

        def apply(self, c: Any) -> None:
            c.runs = [self.run_id]

    class Reentered(Aggregate.Event, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "FlowContact.Reentered"
        run_id: str

        def apply(self, c: Any) -> None:
            c.runs.append(self.run_id)

    runs: list[str]

    @classmethod
    def enter(
        cls, existing: FlowContact | None, tenant_id: str, flow_slug: str, contact_id: str, run_id: str
    ) -> FlowContact:
        if existing is None:
            return cls._create(
                cls.Entered,
                id=flow_contact_uuid(tenant_id, flow_slug, contact_id),
                tenant_id=tenant_id,
                flow_slug=flow_slug,
                contact_id=contact_id,
                run_id=run_id,
            )
        existing.trigger_event(cls.Reentered, run_id=run_id)
        return existing
