"""hypothesis state machines on the main aggregates (issue #12): Message, Contact, Template and
SuppressionEntry. Random command sequences, legal or not; after each step the events are saved
through the real application's recorder (SQLite) and the aggregate replayed from the store
must equal the in-memory one; a command the model calls illegal must be refused and change
nothing (tests/fuzz/machines.py). Derandomized, bounded: ``LEDGERMAIL_FUZZ_EXAMPLES`` raises
the number of sequences for a long run by hand.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule

from application.sending.app import QueueOptions
from domain.console.contact import Contact
from domain.instance_config import RetryConfig
from domain.sending.failure import AttemptFailure
from domain.sending.validate import ValidationContext
from domain.suppression import SuppressionEntry
from domain.templates.template import Template, Version, blank_draft
from tests.fuzz.machines import ReplayMachine

pytestmark = [pytest.mark.fuzz, pytest.mark.unit]

EXAMPLES = int(os.environ.get("LEDGERMAIL_FUZZ_EXAMPLES", "25"))
SETTINGS = settings(max_examples=EXAMPLES, stateful_step_count=20, derandomize=True, deadline=None,
                    database=None, print_blob=False, suppress_health_check=list(HealthCheck))
FINAL = {"Message.Sent", "Message.Failed"}  # for good: Cancelled reopens on a resubmission (§5.2)
POLICY = RetryConfig(max_retries=2, delays_seconds=[60.0], jitter=0.0)
TEMPORARY = AttemptFailure(kind="smtp_reply", text="SMTP 451 4.3.0 later", code=451, enhanced="4.3.0")
PERMANENT = AttemptFailure(kind="smtp_reply", text="SMTP 550 5.1.1 unknown", code=550, enhanced="5.1.1")


class MessageMachine(ReplayMachine):
    app_name = "sending"

    @initialize()
    def queue(self) -> None:
        self.now = time.time()
        ctx = ValidationContext(tenant_id=self.tenant, account_ids=frozenset({"smtp1"}), now=self.now)
        entry = {"id": "m1", "account_id": "smtp1", "from": "a@acme.test", "to": ["u@dest.test"],
                 "subject": "s", "body": "b"}
        result = self.app.queue_messages(ctx, [entry], QueueOptions(report=True))  # type: ignore[attr-defined]
        assert result.accepted
        self.aggregate = self.app.get_message(self.tenant, "m1")  # type: ignore[attr-defined]

    def _finished(self) -> bool:
        """Sent or failed for good, or cancelled since it was last queued."""
        topics = [type(e).TOPIC for e in self.aggregate.trail]
        last_life = topics[max(i for i, t in enumerate(topics) if t == "Message.Queued"):]
        return bool(FINAL & set(topics)) or "Message.Cancelled" in last_life

    def _delivery(self, command: object, why: str) -> None:
        finished = self._finished()
        accepted = self.run(command)  # type: ignore[arg-type]
        assert not (finished and accepted), f"illegal transition accepted: {why} after a terminal outcome"
        self.save_and_replay()

    @rule()
    def start_attempt(self) -> None:
        self._delivery(lambda: self.aggregate.start_attempt("w1", self.now + 300), "start an attempt")

    @rule()
    def sent(self) -> None:
        self._delivery(lambda: self.aggregate.record_sent(self.aggregate.attempts, "250 ok"), "record Sent")

    @rule(permanent=st.booleans())
    def failed_attempt(self, permanent: bool) -> None:
        failure = PERMANENT if permanent else TEMPORARY
        self._delivery(lambda: self.aggregate.record_failure(self.aggregate.attempts, failure, policy=POLICY,
                                                             rand=0.5), "record a failure")

    @rule()
    def rate_limited(self) -> None:
        self._delivery(lambda: self.aggregate.defer_for_rate_limit(self.now + 60), "defer for a rate limit")

    @rule()
    def abandoned(self) -> None:
        self._delivery(lambda: self.aggregate.abandon_attempt(max_retries=POLICY.max_retries), "abandon")

    @rule()
    def cancel(self) -> None:
        self._delivery(lambda: self.aggregate.cancel(), "cancel")

    @rule(subject=st.sampled_from(["s", "t", "u"]))
    def resubmit(self, subject: str) -> None:
        import msgspec

        content = msgspec.structs.replace(self.aggregate.content, subject=subject)
        attempted = self.aggregate.attempts > 0 or self._finished()
        accepted = self.run(lambda: self.aggregate.resubmit(self.aggregate.fields, content,
                                                            message_id=None, report=True))
        assert not (attempted and accepted and self.aggregate.status not in ("pending", "deferred")), \
            "a closed message accepted a resubmission"
        self.save_and_replay()

    @rule()
    def bounced(self) -> None:
        attempted = self.aggregate.attempts > 0
        accepted = self.run(lambda: self.aggregate.record_bounce(
            "u@dest.test", "hard", bounce_code="5.1.1", category="recipient", reason="unknown", source="dsn"))
        assert attempted or not accepted, "a bounce accepted for a message never attempted"
        self.save_and_replay()

    @rule(seconds=st.sampled_from([1.0, 61.0, 301.0]))
    def time_passes(self, seconds: float) -> None:
        self.now += seconds

    @invariant()
    def at_most_one_final_outcome(self) -> None:
        if self.aggregate is not None:
            assert sum(type(e).TOPIC in FINAL for e in self.aggregate.trail) <= 1


class ContactMachine(ReplayMachine):
    app_name = "console"

    @initialize()
    def create(self) -> None:
        with self.at_now():
            self.aggregate = Contact.create(self.tenant, "u1", "enc:c1:x", "k1")
        self.save_and_replay()

    def _live(self, command: object, why: str) -> None:
        forgotten = self.aggregate.forgotten
        accepted = self.run(command)  # type: ignore[arg-type]
        assert not (forgotten and accepted), f"illegal transition accepted: {why} a forgotten contact"
        self.save_and_replay()

    @rule(key=st.sampled_from(["k1", "k2"]))
    def update(self, key: str) -> None:
        self._live(lambda: self.aggregate.update(f"enc:c1:{key}", key, ["email"], "before"), "update")

    @rule(doi=st.booleans())
    def subscribe(self, doi: bool) -> None:
        blocked = self.aggregate.status in ("bounced", "complained")
        token = "h" if doi else None
        accepted = self.run(lambda: self.aggregate.subscribe("form", self.now, doi_token_hash=token))
        assert not (blocked and accepted), "a bounced or complained contact was subscribed"
        assert not (self.aggregate.forgotten and accepted)
        self.save_and_replay()

    @rule()
    def confirm(self) -> None:
        self._live(lambda: self.aggregate.confirm_doi(None), "confirm")

    @rule(status=st.sampled_from(["unsubscribed", "bounced", "complained"]))
    def unsubscribe(self, status: str) -> None:
        self._live(lambda: self.aggregate.unsubscribe("user_request", "link", status), "unsubscribe")

    @rule()
    def forget(self) -> None:
        self.run(lambda: self.aggregate.forget())
        assert self.aggregate.forgotten
        self.save_and_replay()

    @rule()
    def time_passes(self) -> None:
        self.now += 60


class TemplateMachine(ReplayMachine):
    app_name = "content"

    @initialize()
    def create(self) -> None:
        with self.at_now():
            self.aggregate = Template.create(self.tenant, "news", {"kind": "marketing", "name": "N"},
                                             blank_draft("hi", "", "html"), None)
        self.published = 0
        self.save_and_replay()

    @rule(subject=st.sampled_from(["a", "b", "c"]), stale=st.booleans())
    def save_draft(self, subject: str, stale: bool) -> None:
        revision = self.aggregate.current_draft()["revision"]
        if_match = revision + 1 if stale else revision
        accepted = self.run(lambda: self.aggregate.save_draft({"subject": subject}, {}, if_match))
        assert not (stale and accepted), "a stale If-Match was accepted"
        self.save_and_replay()

    @rule()
    def publish(self) -> None:
        had_draft = self.aggregate.draft is not None
        number = self.aggregate.version_number + 1
        draft = self.aggregate.current_draft()
        version = Version(version=number, subject=draft["subject"], preheader="", format="html",
                          html="<p>x</p>", text=None, mjml=None, content_key=uuid.uuid4().hex,
                          published_at=self.now, published_by="fuzz", lint={}, sender={},
                          variables_schema=None)
        accepted = self.run(lambda: self.aggregate.publish(version, bypass=False, warnings=[]))
        assert had_draft or not accepted, "published without a draft"
        if accepted:
            assert self.aggregate.version_number == number and self.aggregate.draft is None
        self.save_and_replay()

    @rule()
    def delete(self) -> None:
        self.run(lambda: self.aggregate.delete())
        assert self.aggregate.deleted
        self.save_and_replay()


class SuppressionMachine(ReplayMachine):
    app_name = "sending"

    @initialize(reason=st.sampled_from(["manual", "hard_bounce", "unsubscribed"]))
    def add(self, reason: str) -> None:
        self.now = time.time()
        with self.at_now():
            self.aggregate = SuppressionEntry.add(
                self.tenant, "key", "x@ex.test", "all", reason,  # type: ignore[arg-type]
                source="manual", added_by="fuzz", expires_at=self.now + 3600)
        self.save_and_replay()

    @rule(force=st.booleans())
    def lift(self, force: bool) -> None:
        active = self.aggregate.lifted_ts is None and self.now < (self.aggregate.expires_at or float("inf"))
        forced = self.aggregate.reason in ("hard_bounce", "complaint", "gdpr_forget")
        accepted = self.run(lambda: self.aggregate.lift("why", "fuzz", force=force))
        if accepted and active:
            assert force or not forced, "a forced-lift reason was lifted without force"
            assert self.aggregate.lifted_ts is not None
        self.save_and_replay()

    @rule(reason=st.sampled_from(["manual", "complaint", "gdpr_forget"]),
          scope_ok=st.booleans())
    def renew(self, reason: str, scope_ok: bool) -> None:
        self.run(lambda: self.aggregate.renew("x@ex.test", reason, source="manual", added_by="fuzz",  # type: ignore[arg-type]
                                              expires_at=self.now + 3600 if scope_ok else None))
        self.save_and_replay()

    @rule(seconds=st.sampled_from([60.0, 4000.0]))
    def time_passes(self, seconds: float) -> None:
        self.now += seconds

    @invariant()
    def lifted_means_inactive(self) -> None:
        if self.aggregate is not None and self.aggregate.lifted_ts is not None:
            assert not self.aggregate.active(self.now)


@pytest.mark.parametrize("machine", [MessageMachine, ContactMachine, TemplateMachine, SuppressionMachine],
                         ids=lambda m: m.__name__)
def test_replay_equals_memory(machine: type[ReplayMachine]) -> None:
    case = machine.TestCase
    case.settings = SETTINGS
    case("runTest").runTest()
