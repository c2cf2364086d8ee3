"""One add-messages entry against the contract (spec proxy.md §5.1, §5.3, §9.1-9.2)."""

from __future__ import annotations

import base64
from typing import Any

import msgspec
import pytest

from domain.sending.attachment_entry import decode_base64, infer_fetch_mode
from domain.sending.validate import (
    Rejection,
    ValidationContext,
    ValidMessage,
    named_tenant,
    new_message_id,
    validate_entry,
)

pytestmark = pytest.mark.unit

NOW = 1_700_000_000.0
CTX = ValidationContext(
    tenant_id="acme",
    account_ids=frozenset({"smtp1"}),
    now=NOW,
    has_client_base_url=True,
    filesystem_roots={"docs": "/srv/files/acme"},
    reject_limit_mb=1.0,
)


def entry(**changes: Any) -> dict[str, Any]:
    """The spec's M(x), with changes; a value of ``...`` removes that key."""
    base: dict[str, Any] = {
        "id": "m1", "account_id": "smtp1", "from": "a@acme.test", "to": "u@dest.test",
        "subject": "s", "body": "b",
    }  # fmt: skip
    base.update(changes)
    return {key: value for key, value in base.items() if value is not ...}


def accepted(value: object, ctx: ValidationContext = CTX) -> ValidMessage:
    result = validate_entry(value, ctx)
    assert isinstance(result, ValidMessage), result
    return result


def rejected(value: object, ctx: ValidationContext = CTX) -> Rejection:
    result = validate_entry(value, ctx)
    assert isinstance(result, Rejection), result
    return result


def attachment(**fields: Any) -> dict[str, Any]:
    return entry(attachments=[{"filename": "a.txt", "storage_path": "base64:SGVsbG8=", **fields}])


# -- the spec's scenarios (§17 11, 12, 15) ------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"priority": "urgent"}, "priority"),
        ({"priority": 7}, "priority"),
        ({"batch_code": "a,b"}, "batch_code"),
        ({"batch_code": "x" * 65}, "batch_code"),
        ({"headers": {"From": "x@evil.test"}}, "headers.From"),
        ({"subject": "a\r\nBcc: z@z.test"}, "subject"),
        ({"deferred_ts": "soon"}, "deferred_ts"),
        ({"from_addr": "other@acme.test"}, "from"),
        ({"to": []}, "to"),
    ],
)
def test_spec_scenarios_are_invalid_fields(changes: dict[str, Any], field: str) -> None:
    rejection = rejected(entry(**changes))
    assert (rejection.id, rejection.reason, rejection.field) == ("m1", "invalid_field", field)
    assert rejection.message


def test_an_unknown_key_is_named() -> None:
    rejection = rejected(entry(sender="a@acme.test"))
    assert (rejection.reason, rejection.field) == ("unknown_field", "sender")


def test_a_missing_subject_is_a_missing_field() -> None:
    rejection = rejected(entry(subject=...))
    assert (rejection.id, rejection.reason, rejection.field) == ("m1", "missing_field", "subject")


def test_from_addr_alias_and_a_comma_separated_to() -> None:
    valid = accepted(entry(**{"from": ..., "from_addr": "a@acme.test", "to": "x@d.test, y@d.test"}))
    assert valid.content.from_addr == "a@acme.test"
    assert valid.content.to == ["x@d.test", "y@d.test"]
    assert accepted(entry(from_addr="a@acme.test")).content.from_addr == "a@acme.test"


def test_a_minimal_message_gets_the_defaults() -> None:
    valid = accepted(entry())
    assert (valid.client_id, valid.tenant_id, valid.message_id) == ("m1", "acme", None)
    assert valid.queue.account_id == "smtp1" and valid.queue.priority == 2
    assert valid.queue.batch_code is None and valid.queue.deferred_ts is None
    assert valid.content.body == "b" and valid.content.content_type == "plain"
    assert accepted(entry(), msgspec.structs.replace(CTX, default_priority=0)).queue.priority == 0


# -- the entry and its id ---------------------------------------------------------------


@pytest.mark.parametrize("value", [[], "m1", 5, None, ["m1"]])
def test_a_non_object_is_an_invalid_payload_without_id(value: object) -> None:
    rejection = rejected(value)
    assert (rejection.id, rejection.reason, rejection.field) == (None, "invalid_payload", None)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [({"id": ...}, "missing_field"), ({"id": ""}, "invalid_field"), ({"id": "a b"}, "invalid_field"),
     ({"id": "x" * 257}, "invalid_field"), ({"id": 7}, "invalid_field"), ({"id": "é"}, "invalid_field")],
)  # fmt: skip
def test_a_bad_id_gives_a_rejection_without_id(changes: dict[str, Any], reason: str) -> None:
    rejection = rejected(entry(**changes, subject=...))  # the id is reported before the subject
    assert (rejection.id, rejection.reason, rejection.field) == (None, reason, "id")


def test_the_longest_id_and_visible_punctuation_are_accepted() -> None:
    assert accepted(entry(id="~" * 256)).client_id == "~" * 256


def test_unknown_keys_come_before_missing_ones() -> None:
    rejection = rejected(entry(**{"from": ..., "sender": "a@acme.test"}))
    assert (rejection.reason, rejection.field) == ("unknown_field", "sender")


def test_the_named_tenant_is_visible_before_validation() -> None:
    assert named_tenant({"tenant_id": "beta"}) == "beta"
    assert named_tenant({"tenant_id": 5}) is None
    assert named_tenant(["tenant_id"]) is None
    assert accepted(entry(tenant_id="acme")).tenant_id == "acme"
    assert rejected(entry(tenant_id="beta")).field == "tenant_id"
    assert rejected(entry(tenant_id=5)).field == "tenant_id"


def test_the_account_must_exist_in_the_tenant() -> None:
    rejection = rejected(entry(account_id="smtp9"))
    assert (rejection.reason, rejection.field) == ("account_not_found", "account_id")
    assert rejected(entry(account_id=...)).reason == "missing_field"
    assert rejected(entry(account_id=3)).reason == "invalid_field"


# -- addresses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["a.b", "a b@d.test", "a@d..test", "a@-d.test", "a@d.test.", "@d.test", "a@", "a@d.test\r\nBcc: x@y",
     "a@d_x.test", "é@d.test", "Name <a@d.test", "Bad, Name <a@d.test>", "x@d.test, y@d.test", ""],
)  # fmt: skip
def test_bad_from_addresses_are_invalid(address: str) -> None:
    rejection = rejected(entry(**{"from": address}))
    assert (rejection.reason, rejection.field) == ("invalid_field", "from")


def test_missing_from_and_to() -> None:
    assert (rejected(entry(**{"from": ...})).reason, rejected(entry(**{"from": ...})).field) == (
        "missing_field", "from",
    )  # fmt: skip
    assert (rejected(entry(to=...)).reason, rejected(entry(to=...)).field) == ("missing_field", "to")


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("u@dest.test", "u@dest.test"),
        ("root@localhost", "root@localhost"),
        ("<u@dest.test>", "u@dest.test"),
        ("Ann Lee <u@dest.test>", "Ann Lee <u@dest.test>"),
        ('"Lee, Ann" <u@dest.test>', '"Lee, Ann" <u@dest.test>'),
        ("Jöhn <u@bücher.test>", "Jöhn <u@xn--bcher-kva.test>"),
        ('"a b"@dest.test', '"a b"@dest.test'),
        ("u@[192.0.2.1]", "u@[192.0.2.1]"),
    ],
)
def test_addresses_are_normalised(given: str, stored: str) -> None:
    assert accepted(entry(to=[given])).content.to == [stored]


def test_recipient_lists_split_on_commas_outside_quotes() -> None:
    valid = accepted(entry(to='"Lee, Ann" <a@d.test>, b@d.test,', cc=["c@d.test"], bcc="e@d.test"))
    assert valid.content.to == ['"Lee, Ann" <a@d.test>', "b@d.test"]
    assert (valid.content.cc, valid.content.bcc) == (["c@d.test"], ["e@d.test"])


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"to": ""}, "to"), ({"to": 5}, "to"), ({"to": ["a@d.test", 5]}, "to"), ({"cc": "nope"}, "cc"),
     ({"bcc": {"a": 1}}, "bcc"), ({"reply_to": "nope"}, "reply_to"), ({"return_path": 1}, "return_path"),
     ({"return_path": "a@d.test, b@d.test"}, "return_path")],
)  # fmt: skip
def test_bad_recipient_fields(changes: dict[str, Any], field: str) -> None:
    rejection = rejected(entry(**changes))
    assert (rejection.reason, rejection.field) == ("invalid_field", field)


def test_at_most_max_recipients_counting_to_cc_and_bcc() -> None:
    ctx = msgspec.structs.replace(CTX, max_recipients_per_message=3)
    assert accepted(entry(to=["a@d.test", "b@d.test"], bcc="c@d.test"), ctx)
    rejection = rejected(entry(to=["a@d.test", "b@d.test"], cc="c@d.test", bcc="e@d.test"), ctx)
    assert (rejection.reason, rejection.field) == ("invalid_field", "bcc")
    assert rejected(entry(to=[f"u{i}@d.test" for i in range(101)])).field == "to"


def test_reply_to_keeps_the_mailbox_and_return_path_only_the_address() -> None:
    valid = accepted(entry(reply_to="Help <h@acme.test>", return_path="Bounce <rp@acme.test>"))
    assert (valid.content.reply_to, valid.content.return_path) == ("Help <h@acme.test>", "rp@acme.test")


# -- message id, subject, body ----------------------------------------------------------


def test_message_id_brackets_are_added() -> None:
    assert accepted(entry(message_id="abc.1@acme.test")).message_id == "<abc.1@acme.test>"
    assert accepted(entry(message_id="<abc@acme.test>")).message_id == "<abc@acme.test>"


@pytest.mark.parametrize("value", ["abc", "<a b@c>", "<abc@acme.test", "a@b@c", "<@acme.test>", 7])
def test_bad_message_ids(value: object) -> None:
    assert (rejected(entry(message_id=value)).reason, rejected(entry(message_id=value)).field) == (
        "invalid_field", "message_id",
    )  # fmt: skip


def test_generated_message_id_uses_the_instance_domain_else_the_from_domain() -> None:
    generated = new_message_id("Ann <a@bücher.test>")
    assert generated.startswith("<") and generated.endswith("@xn--bcher-kva.test>")
    assert len(generated.split("@")[0]) == 33  # "<" + 32 hex
    assert new_message_id("a@acme.test", "mx.example").endswith("@mx.example>")
    assert new_message_id("a@acme.test") != new_message_id("a@acme.test")


@pytest.mark.parametrize("subject", ["", "x" * 999, "a\nb", "a\rb", 5])
def test_bad_subjects(subject: object) -> None:
    assert rejected(entry(subject=subject)).field == "subject"


def test_longest_subject_is_accepted() -> None:
    assert accepted(entry(subject="é" * 998)).content.subject == "é" * 998


def test_body_size_counts_utf8_bytes() -> None:
    ctx = msgspec.structs.replace(CTX, max_body_bytes=4)
    assert accepted(entry(body="éé"), ctx).content.body == "éé"
    assert (rejected(entry(body="ééé"), ctx).field, rejected(entry(body=5)).field) == ("body", "body")
    assert rejected(entry(body="", html="<p>long</p>"), ctx).field == "html"


def test_content_type_html_text_rules() -> None:
    assert accepted(entry(content_type="html")).content.content_type == "html"
    assert rejected(entry(content_type="rtf")).field == "content_type"
    both = accepted(entry(body=..., text="t", html="<p>h</p>")).content
    assert (both.body, both.text, both.html) == ("", "t", "<p>h</p>")
    assert accepted(entry(body="", html="<p>h</p>")).content.html == "<p>h</p>"
    assert rejected(entry(html="<p>h</p>")).field == "html"  # body "b" is not empty
    assert rejected(entry(text="t")).field == "text"
    assert rejected(entry(body=..., text=3)).field == "text"


# -- headers ----------------------------------------------------------------------------


def test_custom_headers_keep_their_order() -> None:
    headers = {"X-Campaign": "c1", "List-Unsubscribe": "<mailto:u@acme.test>", "X-Note": "Grüße"}
    valid = accepted(entry(headers=headers))
    assert valid.content.headers == list(headers.items())


@pytest.mark.parametrize(
    "name",
    ["from", "TO", "Cc", "bcc", "Subject", "date", "message-id", "Reply-To", "Return-Path", "MIME-Version",
     "content-type", "Content-Transfer-Encoding", "x-ledgermail-id"],
)  # fmt: skip
def test_reserved_headers_are_refused_case_insensitively(name: str) -> None:
    rejection = rejected(entry(headers={name: "x"}))
    assert (rejection.reason, rejection.field) == ("invalid_field", f"headers.{name}")


@pytest.mark.parametrize(
    ("headers", "field"),
    [({"X-A": "a\r\nBcc: z@z.test"}, "headers.X-A"), ({"X-A": 1}, "headers.X-A"),
     ({"X A": "a"}, "headers.X A"), ({"X:A": "a"}, "headers.X:A"), ({"X-Ü": "a"}, "headers.X-Ü"),
     ({"": "a"}, "headers."),
     ({f"X-{i}": "v" for i in range(51)}, "headers"), (["X-A"], "headers")],
)  # fmt: skip
def test_bad_headers(headers: object, field: str) -> None:
    rejection = rejected(entry(headers=headers))
    assert (rejection.reason, rejection.field) == ("invalid_field", field)


# -- queue fields -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "priority"),
    [(0, 0), (3, 3), ("immediate", 0), ("HIGH", 1), ("Medium", 2), ("low", 3), (None, 2)],
)
def test_priorities(value: object, priority: int) -> None:
    assert accepted(entry(priority=value)).queue.priority == priority


@pytest.mark.parametrize("value", [True, False, -1, 4, 1.0, "1", "urgent", [1]])
def test_bad_priorities(value: object) -> None:
    assert rejected(entry(priority=value)).field == "priority"


def test_deferred_ts() -> None:
    assert accepted(entry(deferred_ts=NOW + 60)).queue.deferred_ts == NOW + 60
    assert accepted(entry(deferred_ts=int(NOW) + 366 * 86_400)).queue.deferred_ts == NOW + 366 * 86_400
    assert accepted(entry(deferred_ts=NOW - 60)).queue.deferred_ts is None  # past = now
    assert accepted(entry(deferred_ts=None)).queue.deferred_ts is None
    for bad in (NOW + 366 * 86_400 + 1, True, "soon", 10**400):
        assert rejected(entry(deferred_ts=bad)).field == "deferred_ts"


def test_batch_codes() -> None:
    assert accepted(entry(batch_code="NL:2024.q1_x-y")).queue.batch_code == "NL:2024.q1_x-y"
    assert accepted(entry(batch_code="x" * 64)).queue.batch_code == "x" * 64
    for bad in ("*", "", "a b", 5):
        assert rejected(entry(batch_code=bad)).field == "batch_code"


# -- attachments ------------------------------------------------------------------------


def test_fetch_mode_inference() -> None:
    roots = {"docs"}
    assert infer_fetch_mode("base64:SGVsbG8=", roots) == "base64"
    assert infer_fetch_mode("https://x.test/a.pdf", roots) == "http_url"
    assert infer_fetch_mode("HTTP://x.test/a.pdf", roots) == "http_url"
    assert infer_fetch_mode("/srv/a.pdf", roots) == "filesystem"
    assert infer_fetch_mode("docs:a.pdf", roots) == "filesystem"
    assert infer_fetch_mode("other:a.pdf", roots) == "endpoint"
    assert infer_fetch_mode("doc_id=7", roots) == "endpoint"


def test_attachments_as_stored() -> None:
    items = [
        {"filename": "a.txt", "storage_path": "base64:SGVsbG8="},
        {"filename": "r_{MD5:0cc175b9c0f1b6a831c399e269772661}.pdf", "storage_path": "doc_id=7",
         "mime_type": "Application/PDF", "content_md5": "0CC175B9C0F1B6A831C399E269772661",
         "auth": {"method": "bearer", "token": "t"}},
        {"filename": "b.bin", "storage_path": "SGk", "fetch_mode": "base64"},
        {"filename": "c.pdf", "storage_path": "docs:sub/c.pdf"},
        {"filename": "d.pdf", "storage_path": "https://files.test/d.pdf", "auth": {"method": "basic",
         "user": "u", "password": "p", "token": "unused"}},
    ]  # fmt: skip
    stored = accepted(entry(attachments=items)).content.attachments
    assert [a.fetch_mode for a in stored] == ["base64", "endpoint", "base64", "filesystem", "http_url"]
    assert stored[0].storage_path == "SGVsbG8=" and stored[2].storage_path == "SGk"
    assert stored[1].filename == items[1]["filename"]  # the marker is removed only when sending
    assert (stored[1].mime_type, stored[1].content_md5) == (
        "application/pdf",
        "0cc175b9c0f1b6a831c399e269772661",
    )
    assert (stored[1].auth.method, stored[1].auth.token) == ("bearer", "t")  # type: ignore[union-attr]
    assert stored[4].auth is not None and stored[4].auth.token is None and stored[4].auth.password == "p"


@pytest.mark.parametrize(
    ("fields", "reason", "field"),
    [
        ({"filename": ...}, "missing_field", "filename"),
        ({"filename": ""}, "invalid_field", "filename"),
        ({"filename": "x" * 256}, "invalid_field", "filename"),
        ({"filename": "a/b.txt"}, "invalid_field", "filename"),
        ({"filename": "a\\b.txt"}, "invalid_field", "filename"),
        ({"filename": "a\tb.txt"}, "invalid_field", "filename"),
        ({"filename": "{MD5:ab12}"}, "invalid_field", "filename"),
        ({"storage_path": ...}, "missing_field", "storage_path"),
        ({"storage_path": ""}, "invalid_field", "storage_path"),
        ({"fetch_mode": "ftp"}, "invalid_field", "fetch_mode"),
        ({"mime_type": "pdf"}, "invalid_field", "mime_type"),
        ({"mime_type": "text/plain; charset=utf-8"}, "invalid_field", "mime_type"),
        ({"content_md5": "abc"}, "invalid_field", "content_md5"),
        ({"size": 3}, "unknown_field", "size"),
        ({"auth": "t"}, "invalid_field", "auth"),
        ({"auth": {"method": "digest"}}, "invalid_field", "auth.method"),
        ({"auth": {"method": "bearer"}}, "missing_field", "auth.token"),
        ({"auth": {"method": "bearer", "token": ""}}, "invalid_field", "auth.token"),
        ({"auth": {"method": "basic", "user": "u"}}, "missing_field", "auth.password"),
        ({"auth": {"method": "none", "key": "k"}}, "unknown_field", "auth.key"),
    ],
)
def test_bad_attachment_fields(fields: dict[str, Any], reason: str, field: str) -> None:
    item = {"filename": "a.txt", "storage_path": "base64:SGVsbG8=", **fields}
    rejection = rejected(entry(attachments=[{k: v for k, v in item.items() if v is not ...}]))
    assert (rejection.reason, rejection.field) == (reason, f"attachments[0].{field}")


def test_bad_attachment_lists() -> None:
    assert rejected(entry(attachments={"filename": "a"})).field == "attachments"
    assert (
        rejected(entry(attachments=[{"filename": "a", "storage_path": "SGk="}] * 51)).field == "attachments"
    )
    ok = {"filename": "a", "storage_path": "base64:SGk="}
    assert rejected(entry(attachments=[ok, "b"])).field == "attachments[1]"


@pytest.mark.parametrize(
    "storage_path",
    ["base64:@@@", "base64:SGVsbG8=x", "docs:../beta/y.pdf", "docs:a/../../y.pdf", "/srv/files/beta/y.pdf",
     "/etc/passwd", "/srv/files/acme/../beta/y.pdf", "docs:/etc/passwd", "ftp://x.test/a"],
)  # fmt: skip
def test_attachment_sources_refused_at_enqueue(storage_path: str) -> None:
    fetch_mode = "http_url" if storage_path.startswith("ftp") else None
    rejection = rejected(attachment(storage_path=storage_path, fetch_mode=fetch_mode))
    assert (rejection.reason, rejection.field) == ("attachment_invalid", "attachments[0].storage_path")


def test_filesystem_and_endpoint_need_configuration() -> None:
    bare = msgspec.structs.replace(CTX, filesystem_roots={}, has_client_base_url=False)
    assert rejected(attachment(storage_path="/srv/files/acme/a.pdf"), bare).reason == "attachment_invalid"
    assert rejected(attachment(storage_path="docs:a.pdf", fetch_mode="filesystem"), bare).reason == (
        "attachment_invalid"
    )
    assert rejected(attachment(storage_path="doc_id=7"), bare).reason == "attachment_invalid"
    assert rejected(attachment(storage_path="x.pdf", fetch_mode="filesystem")).reason == "attachment_invalid"
    assert accepted(attachment(storage_path="/srv/files/acme/sub/a.pdf"))


def test_base64_over_the_reject_limit_is_too_large() -> None:
    big = base64.b64encode(b"\0" * (1024 * 1024 + 1)).decode()
    rejection = rejected(attachment(storage_path=f"base64:{big}"))
    assert (rejection.reason, rejection.field) == ("attachment_too_large", "attachments[0].storage_path")
    exactly = base64.b64encode(b"\0" * (1024 * 1024)).decode()
    assert accepted(attachment(storage_path=f"base64:{exactly}"))
    assert accepted(
        attachment(storage_path=f"base64:{big}"), msgspec.structs.replace(CTX, reject_limit_mb=None)
    )


def test_base64_decoding_repairs_padding_and_ignores_whitespace() -> None:
    assert decode_base64("SGVsbG8") == b"Hello"
    assert decode_base64("SGVs\r\nbG8=") == b"Hello"
    assert decode_base64("_-8") == b"\xff\xef"
    assert decode_base64("") == b""
    assert decode_base64("SGVsb") is None  # 5 characters: no padding makes that whole
    assert decode_base64("@@@") is None


def test_rejections_encode_without_a_null_field() -> None:
    assert msgspec.json.decode(msgspec.json.encode(rejected([]))) == {
        "id": None, "reason": "invalid_payload", "message": "a message must be a JSON object",
    }  # fmt: skip
    assert msgspec.json.decode(msgspec.json.encode(rejected(entry(subject=...))))["field"] == "subject"
