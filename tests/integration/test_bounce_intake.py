"""The bounce intake on both backends: correlation, events, suppressions, de-duplication
(spec proxy.md §10.2, §10.3; console.md §7 through the sending application)."""

from __future__ import annotations

import pytest

from adapters.bootstrap import Container
from domain.bounces.inbound_report import InboundReport, inbound_report_uuid
from domain.sending.message import Message
from domain.sending.verp import verp_address
from domain.suppression import LiftRequiresForce
from tests.support.bounce_mail import arf, auto_reply, dsn, plain_bounce, sent_message

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def projecting(container: Container) -> None:
    container.start_projections()


def events_of(container: Container, aggregate_id: object) -> list[str]:
    store = container.sending.repository.event_store
    return [type(e).TOPIC for e in store.get(aggregate_id)]  # type: ignore[arg-type]


def suppressed(container: Container, tenant_id: str, *addresses: str) -> set[str]:
    container.catch_up(["suppressions"])
    return container.suppression_list().suppressed(tenant_id, addresses)


def test_a_hard_dsn_bounces_the_message_and_suppresses_the_address(container: Container) -> None:
    message = sent_message(container, "acme", "m1", "U@Dest.test")
    raw = dsn("u@dest.test", "5.1.1", "550 5.1.1 user unknown", ledgermail_id=str(message.id))
    result = container.bounce_intake.ingest(raw, channel="http")
    assert (result.kind, result.matched, result.duplicate, result.tenant_id, result.id, result.pk) == (
        "bounce", True, False, "acme", "m1", str(message.id))
    assert [(r.email, r.bounce_type, r.bounce_code, r.category) for r in result.recipients] == [
        ("u@dest.test", "hard", "5.1.1", "recipient")]
    bounced = container.sending.get_message("acme", "m1")
    assert bounced is not None and bounced.status == "sent"  # a bounce never changes the status
    assert bounced.bounce is not None and bounced.bounce.source == "dsn"
    assert suppressed(container, "acme", "u@dest.test", "other@dest.test") == {"u@dest.test"}
    assert suppressed(container, "beta", "u@dest.test") == set()  # per tenant
    row = container.projections["suppressions"].view.list("acme")[0]
    assert (row.email, row.scope, row.reason, row.source) == ("u@dest.test", "all", "hard_bounce",
                                                              "bounce:dsn")
    # the same bytes again: a duplicate, nothing appended
    before = container.sending.max_position()
    again = container.bounce_intake.ingest(raw, channel="imap")
    assert again.duplicate and again.matched and again.id == "m1"
    assert container.sending.max_position() == before


def test_soft_and_policy_bounces_do_not_suppress(container: Container) -> None:
    message = sent_message(container, "acme", "m2", "p@dest.test")
    policy = container.bounce_intake.ingest(
        dsn("p@dest.test", "5.7.1", "554 5.7.1 blocked using zen.spamhaus.org",
            ledgermail_id=str(message.id)), channel="http")
    transient = container.bounce_intake.ingest(
        dsn("p@dest.test", "4.2.2", "452 4.2.2 over quota", ledgermail_id=str(message.id), action="delayed"),
        channel="http")
    assert [(r.bounce_type, r.category) for r in policy.recipients + transient.recipients] == [
        ("soft", "policy"), ("soft", "transient")]
    assert suppressed(container, "acme", "p@dest.test") == set()
    assert events_of(container, message.id).count("Message.Bounced") == 2


def test_a_plain_bounce_to_the_verp_address_is_matched(container: Container) -> None:
    container.tenancy.configure_instance({"bounce": {"return_path": "bounces@mx.acme.test"}})
    message = sent_message(container, "acme", "m3", "v@dest.test")
    raw = plain_bounce("v@dest.test", "550 5.1.1 no such user",
                       to=verp_address("bounces@mx.acme.test", message.id))
    result = container.bounce_intake.ingest(raw, channel="http")
    assert (result.matched, result.id, result.recipients[0].bounce_type) == (True, "m3", "hard")
    assert container.sending.get_message("acme", "m3").bounce.source == "other"  # type: ignore[union-attr]


def test_a_message_id_matches_only_when_one_message_has_it(container: Container) -> None:
    sent_message(container, "acme", "m4", "w@dest.test", message_id="<only@acme.test>")
    sent_message(container, "acme", "m5", "w@dest.test", message_id="<twice@acme.test>")
    sent_message(container, "beta", "m5", "w@dest.test", message_id="<twice@acme.test>")
    container.catch_up(["messages"])
    one = container.bounce_intake.ingest(dsn("w@dest.test", "5.1.1", "550 5.1.1 gone",
                                             message_id="<only@acme.test>"), channel="http")
    two = container.bounce_intake.ingest(dsn("w@dest.test", "5.1.1", "550 5.1.1 gone",
                                             message_id="<twice@acme.test>"), channel="http")
    assert (one.matched, one.id, two.matched, two.tenant_id) == (True, "m4", False, None)


def test_a_complaint_records_its_type_and_suppresses(container: Container) -> None:
    message = sent_message(container, "acme", "m6", "c@dest.test")
    result = container.bounce_intake.ingest(arf("abuse", "c@dest.test", ledgermail_id=str(message.id)),
                                            channel="imap")
    assert (result.kind, result.matched, [r.email for r in result.recipients]) == ("complaint", True,
                                                                                   ["c@dest.test"])
    complained = container.sending.get_message("acme", "m6")
    assert complained is not None and complained.complaint is not None
    assert complained.complaint.complaint_type == "abuse"
    assert suppressed(container, "acme", "c@dest.test") == {"c@dest.test"}
    row = container.projections["suppressions"].view.list("acme")[0]
    assert (row.reason, row.source) == ("complaint", "complaint:arf")


def test_ignored_and_unmatched_mail_is_recorded_and_changes_nothing_else(container: Container) -> None:
    ignored = container.bounce_intake.ingest(auto_reply(), channel="imap")
    not_spam = container.bounce_intake.ingest(arf("not-spam", "n@dest.test"), channel="imap")
    unmatched = container.bounce_intake.ingest(dsn("x@dest.test", "5.1.1", "550 5.1.1 unknown"),
                                               channel="http")
    assert [(r.kind, r.matched) for r in (ignored, not_spam, unmatched)] == [
        ("ignored", False), ("ignored", False), ("bounce", False)]
    assert unmatched.recipients[0].email == "x@dest.test" and unmatched.tenant_id is None
    assert suppressed(container, "acme", "x@dest.test", "n@dest.test") == set()


def test_an_smtp_refusal_suppresses_in_the_same_save(container: Container) -> None:
    """The dispatcher's path: a Bounced(source smtp) recorded on a message brings its
    suppression along, whoever recorded it."""
    message = sent_message(container, "acme", "m7", "r@dest.test")
    with container.sending.command(actor="system:w1", tenant_id="acme"):
        message.record_bounce("r@dest.test", "hard", bounce_code="5.1.1", category="recipient",
                              reason="SMTP 550 5.1.1 user unknown", source="smtp")
        position = container.sending.record(message)
    assert suppressed(container, "acme", "r@dest.test") == {"r@dest.test"}
    row = container.projections["suppressions"].view.list("acme")[0]
    assert row.source == "bounce:smtp" and row.seq <= position


def test_suppression_commands_add_list_and_lift(container: Container) -> None:
    sending = container.sending
    first = sending.add_suppression("acme", "Bob@Example.com", "marketing", "manual", notes="asked by phone")
    again = sending.add_suppression("acme", "bob@example.com", "marketing", "complaint")
    assert first.created and not again.created and first.entry_id == again.entry_id
    hard = sending.add_suppression("acme", "bob@example.com", "all", "hard_bounce", source="bounce:dsn")
    assert suppressed(container, "acme", "bob@example.com") == {"bob@example.com"}
    with pytest.raises(LiftRequiresForce):
        sending.lift_suppression("acme", "bob@example.com", None, "fixed")
    lifted, _ = sending.lift_suppression("acme", "bob@example.com", "all", "fixed", force=True)
    assert [str(e.id) for e in lifted] == [hard.entry_id]
    container.catch_up(["suppressions"])
    assert suppressed(container, "acme", "bob@example.com") == set()  # marketing does not hold API mail
    view = container.projections["suppressions"].view
    assert [(r.scope, r.reason) for r in view.list("acme")] == [("marketing", "manual")]
    assert {r.scope for r in view.list("acme", include_lifted=True)} == {"marketing", "all"}
    assert view.count("acme", container.clock.now()) == 1


def test_the_report_aggregates_are_in_the_sending_log(container: Container) -> None:
    message = sent_message(container, "acme", "m8", "z@dest.test")
    container.bounce_intake.ingest(dsn("z@dest.test", "5.1.1", "550 5.1.1 x", ledgermail_id=str(message.id),
                                       report_id="<report-8@mx.dest.test>"), channel="http")
    report = container.sending.repository.get(inbound_report_uuid("<report-8@mx.dest.test>"))
    assert isinstance(report, InboundReport) and report.matched and report.channel == "http"
    assert isinstance(container.sending.repository.get(message.id), Message)


def test_a_purged_message_still_bounces(container: Container) -> None:
    message = sent_message(container, "acme", "m9", "g@dest.test")
    removed, _ = container.sending.cleanup_messages("acme", container.clock.now() + 1, [str(message.id)],
                                                    automatic=False)
    assert removed == 1
    result = container.bounce_intake.ingest(dsn("g@dest.test", "5.1.1", "550 5.1.1 gone",
                                                ledgermail_id=str(message.id)), channel="http")
    assert (result.matched, result.id) == (True, "m9")
    assert "Message.Bounced" in events_of(container, message.id)
    assert suppressed(container, "acme", "g@dest.test") == {"g@dest.test"}
