"""The Template aggregate: a draft that changes, and numbered versions that never do.

``publish`` copies the draft's compiled HTML, its plain text and the sender fields into the
``Published`` event, so a version renders the same forever whatever happens to the template
later. Mail-Tester scores are kept on the template by content key (console.md §5.5).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import msgspec

from domain.model import Aggregate
from domain.templates.ids import template_uuid
from domain.templates.rules import NoDraft, SlugTaken, StaleRevision

Kind = Literal["marketing", "transactional"]
DRAFT_FIELDS = ("subject", "preheader", "format", "mjml", "html", "text", "notes")
TEMPLATE_FIELDS = (
    "name",
    "description",
    "kind",
    "from_name",
    "from_email",
    "reply_to",
    "account_id",
    "body_format",
    "track_opens",
    "track_clicks",
    "variables_schema",
    "tags",
)


class Version(msgspec.Struct, frozen=True, kw_only=True):
    """One published version: everything a send needs, frozen."""

    version: int
    subject: str
    preheader: str
    format: str
    html: str
    text: str | None  # the draft's own text; None: generated from the rendered HTML per send
    mjml: str | None
    content_key: str
    published_at: float
    published_by: str
    lint: dict[str, Any]
    sender: dict[str, Any]  # kind, from_name, from_email, reply_to, account_id, body_format, tracking
    variables_schema: dict[str, Any] | None


def blank_draft(subject: str, preheader: str, fmt: str) -> dict[str, Any]:
    return {
        "subject": subject,
        "preheader": preheader,
        "format": fmt,
        "mjml": "",
        "html": "",
        "text": None,
        "notes": "",
        "revision": 1,
    }


class Template(Aggregate):
    TOPIC = "Template"

    class Created(Aggregate.Created, frozen=True, kw_only=True):
        """Template `slug` of kind `kind` exists with these fields and an empty draft."""

        TOPIC: ClassVar[str] = "Template.Created"
        tenant_id: str
        slug: str
        fields: dict[str, Any]
        draft: dict[str, Any]

        def apply(self, t: Any) -> None:
            t.tenant_id, t.slug, t.fields, t.draft = (
                self.tenant_id,
                self.slug,
                dict(self.fields),
                dict(self.draft),
            )
            t.versions, t.scores, t.checks, t.deleted = {}, {}, {}, False
            t.published_at, t.published_by, t.last_revision = None, None, 0

    class DraftSaved(Aggregate.Event, frozen=True, kw_only=True):
        """The draft reached `revision`: `draft` holds the changed draft fields and `fields` the
        changed template fields; `seeded_from` is the version a missing draft started from."""

        TOPIC: ClassVar[str] = "Template.DraftSaved"
        slug: str
        draft: dict[str, Any]
        fields: dict[str, Any]
        revision: int
        seeded_from: int | None = None

        def apply(self, t: Any) -> None:
            if t.draft is None:
                t.draft = t.seed_draft(self.seeded_from)
            t.draft.update(self.draft)
            t.draft["revision"] = self.revision
            t.fields.update(self.fields)

    class Published(Aggregate.Event, frozen=True, kw_only=True):
        """Version `version` was published from the draft (which is cleared); its content is
        stored here whole. `bypass_mail_tester`: the Mail-Tester gate was skipped on purpose."""

        TOPIC: ClassVar[str] = "Template.Published"
        slug: str
        version: Version
        bypass_mail_tester: bool = False
        warnings: list[dict[str, Any]] = []

        def apply(self, t: Any) -> None:
            t.versions[self.version.version] = self.version
            t.draft, t.last_revision = None, t.draft["revision"] if t.draft else 0
            t.published_at, t.published_by = self.version.published_at, self.version.published_by

    class Deleted(Aggregate.Event, frozen=True, kw_only=True):
        """Soft delete: the slug stays taken."""

        TOPIC: ClassVar[str] = "Template.Deleted"
        slug: str

        def apply(self, t: Any) -> None:
            t.deleted = True

    class MailTesterCheckStarted(Aggregate.Event, frozen=True, kw_only=True):
        """Mail-Tester check `check_id` was provisioned for content `content_key` and the draft
        went to its test address as send `send_id`."""

        TOPIC: ClassVar[str] = "Template.MailTesterCheckStarted"
        check_id: str
        content_key: str
        send_id: str

        def apply(self, t: Any) -> None:
            t.checks[self.check_id] = self.content_key

    class MailTesterScored(Aggregate.Event, frozen=True, kw_only=True):
        """Content `content_key` scored `score` (0-10) in check `check_id`; cached until `expires_at`."""

        TOPIC: ClassVar[str] = "Template.MailTesterScored"
        check_id: str
        content_key: str
        score: float
        feedback: list[dict[str, Any]]
        summary: str | None
        expires_at: float

        def apply(self, t: Any) -> None:
            t.scores[self.content_key] = {
                "checkId": self.check_id,
                "score": self.score,
                "feedback": self.feedback,
                "summary": self.summary,
                "scoredAt": self.timestamp,
                "expiresAt": self.expires_at,
            }

    tenant_id: str
    slug: str
    fields: dict[str, Any]
    draft: dict[str, Any] | None
    versions: dict[int, Version]
    scores: dict[str, dict[str, Any]]
    checks: dict[str, str]
    deleted: bool
    published_at: float | None
    published_by: str | None

    @classmethod
    def create(
        cls,
        tenant_id: str,
        slug: str,
        fields: dict[str, Any],
        draft: dict[str, Any],
        existing: Template | None,
    ) -> Template:
        if existing is not None:
            raise SlugTaken(f"template {slug} exists", field="slug")
        return cls._create(
            cls.Created,
            id=template_uuid(tenant_id, slug),
            tenant_id=tenant_id,
            slug=slug,
            fields=fields,
            draft=draft,
        )

    @property
    def version_number(self) -> int:
        return max(self.versions, default=0)

    @property
    def latest(self) -> Version | None:
        return self.versions.get(self.version_number)

    def seed_draft(self, version: int | None) -> dict[str, Any]:
        """A missing draft starts from the published version (console.md §5.2)."""
        v = self.versions.get(version or 0)
        if v is None:
            return blank_draft("", "", "mjml")
        revision = getattr(self, "last_revision", 0)
        return {
            "subject": v.subject,
            "preheader": v.preheader,
            "format": v.format,
            "mjml": v.mjml or "",
            "html": v.html if v.format == "html" else "",
            "text": v.text,
            "notes": "",
            "revision": revision,
        }

    def current_draft(self) -> dict[str, Any]:
        return dict(self.draft) if self.draft is not None else self.seed_draft(self.version_number)

    def save_draft(self, draft: dict[str, Any], fields: dict[str, Any], if_match: int | None) -> bool:
        """Apply a PATCH; False (no event) when nothing changes. A stale If-Match is refused."""
        current = self.current_draft()
        if if_match is not None and if_match != current["revision"]:
            raise StaleRevision(f"draft is at revision {current['revision']}, not {if_match}")
        draft = {k: v for k, v in draft.items() if current.get(k) != v}
        fields = {k: v for k, v in fields.items() if self.fields.get(k) != v}
        if not draft and not fields:
            return False
        seeded = self.version_number if self.draft is None else None
        self.trigger_event(
            self.DraftSaved,
            slug=self.slug,
            draft=draft,
            fields=fields,
            revision=current["revision"] + 1,
            seeded_from=seeded,
        )
        return True

    def publish(self, version: Version, *, bypass: bool, warnings: list[dict[str, Any]]) -> None:
        if self.draft is None:
            raise NoDraft(f"template {self.slug} has no draft to publish")
        self.trigger_event(
            self.Published, slug=self.slug, version=version, bypass_mail_tester=bypass, warnings=warnings
        )

    def delete(self) -> bool:
        if self.deleted:
            return False
        self.trigger_event(self.Deleted, slug=self.slug)
        return True

    def cached_score(self, content_key: str, now: float) -> dict[str, Any] | None:
        score = self.scores.get(content_key)
        return score if score is not None and score["expiresAt"] > now else None
