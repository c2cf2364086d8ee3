"""Template rows and versions to responses (console.md §5.1 shapes, camelCase, ISO times)."""

from __future__ import annotations

from typing import Any

from api.admin_common import iso

FIELD_NAMES = {
    "from_name": "fromName",
    "from_email": "fromEmail",
    "reply_to": "replyTo",
    "account_id": "accountId",
    "body_format": "bodyFormat",
    "track_opens": "trackOpens",
    "track_clicks": "trackClicks",
    "variables_schema": "variablesSchema",
}
DRAFT_KEYS = ("subject", "preheader", "format", "mjml", "html", "text", "notes", "revision")
EMPTY_STATS = {
    "sent": 0,
    "delivered": 0,
    "opened": 0,
    "clicked": 0,
    "bounced": 0,
    "complained": 0,
    "sentLast7Days": 0,
    "lastSentAt": None,
}


def camel_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {FIELD_NAMES.get(k, k): v for k, v in fields.items()}


def template_doc(
    slug: str, doc: dict[str, Any], created_ts: float, updated_ts: float, *, full: bool = True
) -> dict[str, Any]:
    fields = camel_fields(doc["fields"])
    out: dict[str, Any] = {
        "slug": slug,
        **{
            k: fields.get(k)
            for k in (
                "name",
                "description",
                "kind",
                "fromName",
                "fromEmail",
                "replyTo",
                "accountId",
                "bodyFormat",
                "trackOpens",
                "trackClicks",
                "tags",
                "variablesSchema",
            )
        },
    }
    draft = doc.get("draft")
    if full:
        out["draft"] = None if draft is None else {k: draft.get(k) for k in DRAFT_KEYS}
    else:
        out["hasDraft"] = draft is not None
    out.update(
        version=doc.get("version", 0),
        publishedAt=iso(doc.get("publishedAt")),
        publishedBy=doc.get("publishedBy"),
        stats=dict(EMPTY_STATS),
        createdAt=iso(created_ts),
        updatedAt=iso(updated_ts),
    )
    return out


def version_doc(v: dict[str, Any], *, full: bool) -> dict[str, Any]:
    out = {
        "version": v["version"],
        "subject": v["subject"],
        "preheader": v["preheader"],
        "contentKey": v["content_key"],
        "publishedAt": iso(v["published_at"]),
        "publishedBy": v["published_by"],
        "lint": v["lint"],
    }
    if full:
        out.update(
            html=v["html"],
            text=v.get("text"),
            mjml=v.get("mjml"),
            format=v.get("format"),
            sender=camel_fields(v.get("sender") or {}),
            variablesSchema=v.get("variables_schema"),
        )
    return out
