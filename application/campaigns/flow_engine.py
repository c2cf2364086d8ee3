"""The flow engine: takes one run as far as it can go now, one saved event per step.

Each step is saved before the next one starts, so a crash resumes at exactly the step the
run had reached; side effects that may repeat after a crash are idempotent by key (sends by
``flowrun:<runId>:step<path>``, fired events by their key, tags by value). Webhooks record
each attempt, so a crash repeats at most the one attempt it interrupted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from eventsourcing.persistence import IntegrityError

from application.base import LedgerApplication
from application.campaigns.flow_ports import FlowContacts, FlowEffects, FlowSend
from domain.campaigns.flow import Flow
from domain.campaigns.flow_definition import UNITS
from domain.campaigns.flow_paths import after, enter_arm, step_at
from domain.campaigns.flow_run import FlowRun
from domain.campaigns.flow_window import PARK_AFTER, delivery_time
from domain.campaigns.predicates import compile_predicate, predicate_needs

GO, STOP = True, False
ACTOR = "system:flows"
MAX_STEPS_PER_PASS = 250
WEBHOOK_ATTEMPTS, WEBHOOK_RETRY_S = 3, 60.0


class Engine:
    """``app`` is the flows Application: its ``command`` stamps each step's events with the
    service clock and the ``system:flows`` actor, its ``record`` saves them."""

    def __init__(self, app: LedgerApplication, contacts: FlowContacts, effects: FlowEffects) -> None:
        self.app, self.contacts, self.effects = app, contacts, effects

    def advance(self, run: FlowRun, flow: Flow | None, now: float) -> int:
        """Run steps until the run parks, ends or is held; returns how many events were saved."""
        saved = 0
        for _ in range(MAX_STEPS_PER_PASS):
            with self.app.command(actor=ACTOR, tenant_id=run.tenant_id):
                try:
                    go = self._one(run, flow, now)
                    if not run.pending_events:
                        return saved
                    self.app.record(run)
                except IntegrityError:  # another worker moved this run (or sent its step) first
                    return saved
            saved += 1
            if not go:
                return saved
        return saved

    def _one(self, run: FlowRun, flow: Flow | None, now: float) -> bool:
        if run.finished or run.status == "held":
            return STOP
        if flow is None or flow.deleted or run.flow_version not in flow.versions:
            run.end("failed", "flow_missing")
            return STOP
        if flow.hold_runs and not flow.enabled:
            run.hold()
            return STOP
        if run.waiting_until is not None and run.wait_path == run.path and now < run.waiting_until:
            return STOP
        steps = flow.versions[run.flow_version]["steps"]
        step = step_at(steps, run.path)
        if step is None:
            run.end("completed")
            return STOP
        state = self.contacts.state(run.tenant_id, run.external_id)
        if not state.exists:
            run.end("exited", "contact_missing")
        elif state.forgotten:
            run.end("exited", "gdpr_forget")
        elif state.status != "subscribed":
            run.end("exited", state.status or "none")
        else:
            return HANDLERS[step["type"]](self, run, steps, step, str(run.path), now, state.timezone)
        return STOP

    # --- steps ----------------------------------------------------------------------------
    def _wait(
        self, run: FlowRun, steps: list[Any], step: dict[str, Any], path: str, now: float, _tz: str | None
    ) -> bool:
        if run.wait_path == path:
            run.step(path, "wait", "waited", after(steps, path))
            return GO
        run.park(path, now + step["value"] * UNITS[step["unit"]], "wait")
        return STOP

    def _truth(self, run: FlowRun, test: Any, now: float) -> bool:
        trigger = self.contacts.open(run.tenant_id, run.external_id, run.trigger.get("properties"))
        facts = self.contacts.facts(
            run.tenant_id, run.external_id, predicate_needs(test), trigger, run.entered_at
        )
        return compile_predicate(test)(facts, now)

    def _condition(
        self, run: FlowRun, steps: list[Any], step: dict[str, Any], path: str, now: float, _tz: str | None
    ) -> bool:
        if self._truth(run, step["test"], now):
            run.step(path, "condition", "true", after(steps, path))
            return GO
        if step.get("ifFalse", "continue") == "exit":
            run.end("exited", "condition_false")
            return STOP
        skipped = after(steps, path)
        run.step(path, "condition", "false", after(steps, skipped) if skipped else None)
        return GO

    def _branch(
        self, run: FlowRun, steps: list[Any], step: dict[str, Any], path: str, now: float, _tz: str | None
    ) -> bool:
        truth = self._truth(run, step["test"], now)
        run.step(path, "branch", "true" if truth else "false", enter_arm(steps, path, truth))
        return GO

    def _send(
        self, run: FlowRun, steps: list[Any], step: dict[str, Any], path: str, now: float, tz: str | None
    ) -> bool:
        delivery = step.get("delivery")
        if run.wait_path == path and run.waiting_until is not None:
            target = run.waiting_until
        else:
            target = delivery_time(delivery, tz, now)
            if target > now + PARK_AFTER:
                run.park(path, target, "send_deferred")
                return STOP
        props = self.contacts.open(run.tenant_id, run.external_id, run.trigger.get("properties"))
        event = (
            {"name": run.trigger.get("name"), "properties": props or {}} if run.trigger.get("name") else None
        )
        result = self.effects.send(
            run.tenant_id,
            FlowSend(
                dedupe_key=f"flowrun:{run.id}:step{path}",
                slug=step["templateSlug"],
                external_id=run.external_id,
                values=step.get("vars"),
                event=event,
                batch_code=f"f:{run.flow_slug}",
                not_before=target if delivery else None,
                account_id=step.get("accountId"),
            ),
        )
        skipped = result.status in ("failed", "skipped")
        run.step(
            path,
            "send",
            "send_skipped" if skipped else result.status,
            after(steps, path),
            sendId=result.send_id,
            reason=result.reason,
            template=step["templateSlug"],
        )
        return GO

    def _tag(
        self, run: FlowRun, steps: list[Any], step: dict[str, Any], path: str, now: float, _tz: str | None
    ) -> bool:
        self.effects.tag(
            run.tenant_id, run.external_id, list(step.get("add", [])), list(step.get("remove", []))
        )
        run.step(path, "tag", "tagged", after(steps, path))
        return GO

    def _exit(
        self, run: FlowRun, steps: list[Any], step: dict[str, Any], path: str, now: float, _tz: str | None
    ) -> bool:
        run.end("exited", "exit_step")
        return STOP

    def _fire(
        self, run: FlowRun, steps: list[Any], step: dict[str, Any], path: str, now: float, _tz: str | None
    ) -> bool:
        props = self.contacts.open(run.tenant_id, run.external_id, run.trigger.get("properties")) or {}
        name = step["eventName"]
        key = f"flowrun:{run.id}:step{path}:{name}"
        self.effects.fire_event(
            run.tenant_id, run.external_id, name, key, {**props, **step.get("properties", {})}
        )
        run.step(path, "fire_event", "fired", after(steps, path), key=key)
        return GO

    def _webhook(
        self, run: FlowRun, steps: list[Any], step: dict[str, Any], path: str, now: float, _tz: str | None
    ) -> bool:
        if not self.effects.webhook_allowed(step["url"]):
            return self._webhook_exhausted(run, steps, step, path, "target_not_allowed")
        attempt = run.attempts + 1 if run.wait_path == path else 1
        payload = step.get("payload") or {
            "externalId": run.external_id,
            "runId": str(run.id),
            "flow": run.flow_slug,
        }
        answer = self.effects.webhook(
            run.tenant_id, step["url"], step.get("method", "POST"), msgspec.json.encode(payload)
        )
        run.attempted(path, attempt, answer.status, answer.error)
        if answer.ok:
            run.step(path, "webhook", "delivered", after(steps, path), status=answer.status)
            return GO
        if attempt < WEBHOOK_ATTEMPTS:
            run.park(path, now + WEBHOOK_RETRY_S, "webhook_retry")
            return STOP
        return self._webhook_exhausted(run, steps, step, path, "webhook_failed")

    def _webhook_exhausted(
        self, run: FlowRun, steps: list[Any], step: dict[str, Any], path: str, reason: str
    ) -> bool:
        if step.get("failureMode", "soft") == "fail_run":
            run.end("failed", reason)
            return STOP
        run.step(path, "webhook", reason, after(steps, path))
        return GO


HANDLERS: dict[str, Callable[..., bool]] = {
    "wait": Engine._wait,
    "condition": Engine._condition,
    "branch": Engine._branch,
    "send": Engine._send,
    "tag": Engine._tag,
    "exit": Engine._exit,
    "fire_event": Engine._fire,
    "webhook": Engine._webhook,
}
