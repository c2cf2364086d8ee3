"""Report items (proxy.md §8.2): one reportable Message event to the JSON a client receives.

What an outcome event does not carry (client id, first recipient, batch code, Message-ID)
comes from the message's ``Queued``/``Updated``/``Rejected`` events, kept per message as an
``Info`` dict by the ``reports`` projection.
"""

from __future__ import annotations

from typing import Any

from domain.sending.addresses import AddressError, parse_mailbox
from domain.sending.message import Message
from domain.sending.message_state import shown_recipient

Info = dict[str, Any]  # pk, tenant_id, client_id, recipient, batch_code, message_id
INFO_TOPICS = frozenset({Message.Queued.TOPIC, Message.Updated.TOPIC, Message.Rejected.TOPIC})
REPORTED = {
    Message.Sent.TOPIC: "sent", Message.Deferred.TOPIC: "deferred", Message.Failed.TOPIC: "error",
    Message.Rejected.TOPIC: "error", Message.Bounced.TOPIC: "bounce", Message.Complained.TOPIC: "complaint",
}


def first_recipient(to: list[str]) -> str | None:
    if not to:
        return None
    try:
        return parse_mailbox(to[0]).addr_spec
    except AddressError:
        return to[0]


def fold_info(info: Info | None, topic: str, event: Any) -> Info:
    """The message's identity after ``event`` (one of ``INFO_TOPICS``)."""
    pk = str(event.originator_id)
    base = info or {"pk": pk, "tenant_id": "", "client_id": "", "recipient": None, "batch_code": None,
                    "message_id": None}
    if topic == Message.Rejected.TOPIC:
        return {**base, "tenant_id": event.tenant_id, "client_id": event.client_id}
    fields = {"recipient": first_recipient(list(event.content.to)), "batch_code": event.fields.batch_code,
              "message_id": event.message_id}
    if topic == Message.Queued.TOPIC:
        fields |= {"tenant_id": event.tenant_id, "client_id": event.client_id}
    return {**base, **fields}


def item(topic: str, event: Any, info: Info) -> dict[str, Any]:
    """The item of a reportable event (``REPORTED``) of the message ``info`` describes."""
    kind = REPORTED[topic]
    ts = event.timestamp
    body: dict[str, Any] = {
        "tenant_id": info["tenant_id"], "id": info["client_id"], "pk": info["pk"], "event": kind,
        "event_id": f"{event.originator_id}:{event.originator_version}",
        "recipient_email": info["recipient"], "batch_code": info["batch_code"],
    }
    if topic == Message.Sent.TOPIC:
        body |= {"sent_ts": ts, "message_id": info["message_id"]}
    elif topic == Message.Failed.TOPIC:
        body |= {"error_ts": ts, "error": event.error, "error_code": event.error_code, "rejected": False}
    elif topic == Message.Rejected.TOPIC:
        body |= {"error_ts": ts, "error": event.message, "error_code": event.reason, "rejected": True}
    elif topic == Message.Deferred.TOPIC:
        body |= {"deferred_ts": ts, "deferred_until": event.until, "reason": event.reason,
                 "retry_count": event.retry_count, "error": event.error}
    elif topic == Message.Bounced.TOPIC:
        body |= {"recipient_email": shown_recipient(event), "bounce_ts": ts, "bounce_type": event.bounce_type,
                 "bounce_code": event.bounce_code, "bounce_reason": event.reason,
                 "bounce_category": event.category}
    else:
        body |= {"recipient_email": shown_recipient(event), "complaint_ts": ts,
                 "complaint_type": event.complaint_type}
    return body
