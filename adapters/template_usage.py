"""Who still uses a template (console.md §5.2: DELETE answers 409 ``template_in_use`` while an
enabled flow sends it or an unfinished broadcast is of it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from adapters.bootstrap import Container

FINISHED = frozenset({"sent", "cancelled", "failed"})
PAGE = 200


def template_users(container: Container, tenant_id: str, slug: str) -> list[str]:
    """``flow:<slug>`` and ``broadcast:<slug>`` of what holds the template, sorted."""
    container.catch_up(["flows", "broadcasts"])
    users = [f"broadcast:{b}" for b in _broadcasts(container, tenant_id, slug)]
    needle = msgspec.json.encode({"templateSlug": slug})[1:-1]  # b'"templateSlug":"<slug>"'
    before = None
    while True:
        flows = container.projections["flows"].view.list(tenant_id, before=before, limit=PAGE, enabled=True)
        users += [f"flow:{f.slug}" for f in flows if needle in msgspec.json.encode(f.doc)]
        if len(flows) < PAGE:
            return sorted(users)
        before = (flows[-1].updated_ts, flows[-1].slug)


def _broadcasts(container: Container, tenant_id: str, slug: str) -> list[str]:
    out, before = [], None
    while True:
        rows = container.projections["broadcasts"].view.list(tenant_id, before=before, limit=PAGE)
        out += [r.slug for r in rows if r.status not in FINISHED and r.doc.get("templateSlug") == slug]
        if len(rows) < PAGE:
            return out
        before = (rows[-1].created_ts, rows[-1].slug)
