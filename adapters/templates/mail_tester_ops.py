"""The Mail-Tester check and result (console.md §5.5): cache by content key, else a new check
and the rendered draft sent to its address as a ``test`` send."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adapters.templates.sends import draft_version, send_test
from application.base import SYSTEM, CommandMeta
from application.templates.ports import MailTester
from domain.templates.rules import GateRefused, NoDraft
from domain.templates.template import Template

if TYPE_CHECKING:
    from adapters.bootstrap import Container


def _key(container: Container, tenant_id: str) -> str:
    key = container.content.mail_tester_key(tenant_id)
    if not key:
        raise GateRefused("not_configured", 400, "Mail-Tester is not configured (settings.mailTester.apiKey)")
    return key


def _live_draft(container: Container, tenant_id: str, slug: str) -> Template:
    template = container.content.template(tenant_id, slug)
    if template.draft is None:
        raise NoDraft(f"template {slug} has no draft")
    return template


def status(container: Container, tenant_id: str, slug: str) -> dict[str, Any]:
    template = container.content.template(tenant_id, slug)
    tester = container.content.settings(tenant_id).mail_tester
    version = draft_version(container, template, {}) if template.draft is not None else template.latest
    score = template.cached_score(version.content_key, container.clock.now()) if version else None
    return {
        "configured": bool(tester.api_key),
        "minScore": tester.min_score,
        "requireScore": tester.require_score,
        "cacheHours": tester.cache_hours,
        "score": score,
    }


def check(
    container: Container, client: MailTester, tenant_id: str, slug: str, meta: CommandMeta = SYSTEM
) -> tuple[dict[str, Any], int]:
    api_key = _key(container, tenant_id)
    template = _live_draft(container, tenant_id, slug)
    version = draft_version(container, template, {})
    cached = template.cached_score(version.content_key, container.clock.now())
    if cached is not None:  # no credit spent on content already scored
        return {"cached": True, "status": "ready", "contentKey": version.content_key, "score": cached}, 0
    started = client.new_check(api_key)
    sent = send_test(
        container,
        tenant_id,
        slug,
        started.address,
        external_id=None,
        values=None,
        use_draft=True,
        meta=meta,
        version=version,
        label=False,
    )
    app = container.content
    with app.under(meta, tenant_id):
        template.trigger_event(
            Template.MailTesterCheckStarted,
            check_id=started.check_id,
            content_key=version.content_key,
            send_id=sent.send_id,
        )
        position = app.record(template)
    return {
        "cached": False,
        "status": "pending",
        "checkId": started.check_id,
        "contentKey": version.content_key,
    }, position


def result(
    container: Container,
    client: MailTester,
    tenant_id: str,
    slug: str,
    check_id: str,
    meta: CommandMeta = SYSTEM,
) -> dict[str, Any]:
    api_key = _key(container, tenant_id)
    template = container.content.template(tenant_id, slug)
    answer = client.result(api_key, check_id)
    if not answer.ready or answer.score is None:
        return {"status": "pending", "score": None}
    # console.md §5.5: the result belongs to the current draft's content (the check's own key
    # when there is no draft any more)
    key = (
        draft_version(container, template, {}).content_key
        if template.draft is not None
        else template.checks.get(check_id) or (template.latest.content_key if template.latest else "")
    )
    hours = container.content.settings(tenant_id).mail_tester.cache_hours
    app = container.content
    with app.under(meta, tenant_id):
        template.trigger_event(
            Template.MailTesterScored,
            check_id=check_id,
            content_key=key,
            score=answer.score,
            feedback=answer.feedback,
            summary=answer.summary,
            expires_at=app.clock.now() + hours * 3600,
        )
        app.record(template)
    return {"status": "ready", "score": template.scores[key]}
