"""``ViewAudience``: who a segment selects, walked over the contacts read model (ADR 0025).

Pages of 1,000 contact rows (key-set on created_ts, contact_id); per page one read of the
data keys, one AES-GCM open per contact, one suppression lookup by address key, and the
engagement facts only when the segment reads them. Nothing is cached across calls: a
broadcast's worker keeps the ordered list it got for the length of one run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from uuid import UUID

from adapters.campaigns.broadcast_facts import FactsLoader
from application.campaigns.broadcast_ports import Count, Recipient
from application.campaigns.broadcast_walk import order_key, sort_recipients
from domain.campaigns.segment import compile_segment, needs
from domain.campaigns.segment_facts import MISSING, ContactFacts, field_value
from domain.console.personal import email_problem

if TYPE_CHECKING:
    from adapters.bootstrap import Container

PAGE = 1000
MARKETING_SCOPES = ("all", "marketing")


class Member(ContactFacts, kw_only=True):
    """ContactFacts plus what eligibility and ordering need."""

    external_id: str = ""
    sendable: bool = False
    suppressed: bool = False


class ViewAudience:
    def __init__(self, container: Container) -> None:
        self.c = container
        self.loader = FactsLoader(container)

    def members(self, tenant_id: str, segment: dict[str, Any], now: float, *,
                subscribed_only: bool) -> Iterator[tuple[Member, bool]]:
        """Every live contact (subscribed ones only if asked) with whether the segment matches."""
        test, extra = compile_segment(segment), needs(segment)
        view: Any = self.c.projections["contacts"].view
        after = None
        while True:
            rows = view.page(tenant_id, status="subscribed" if subscribed_only else None, after=after,
                             limit=PAGE)
            if not rows:
                return
            after = (rows[-1].created_ts, rows[-1].contact_id)
            for member in self._open(tenant_id, rows, extra, now):
                yield member, test(member, now)

    def _open(self, tenant_id: str, rows: list[Any], extra: set[str], now: float) -> list[Member]:
        vault = self.c.vault
        keys = vault.keys(tenant_id, [UUID(r.contact_id) for r in rows], create=False)
        out: list[Member] = []
        for row in rows:
            data = vault.open(keys.get(UUID(row.contact_id)), row.personal)
            if data is None:  # its key is gone: forgotten a moment ago
                continue
            sub = row.subscription
            email = data.get("email") or ""
            out.append(Member(
                contact_id=row.contact_id, external_id=row.external_id,
                tags=frozenset(data.get("tags") or ()), fields=data.get("fields") or {}, status=row.status,
                created_at=row.created_ts, subscribed_at=sub.subscribed_at if sub is not None else None,
                locale=data.get("locale"), timezone=data.get("timezone"), email=email,
                sendable=bool(email) and not email_problem(email)))
        suppressed = self.c.projections["suppressions"].view.suppressed_keys(
            tenant_id, {r.address_key for r in rows}, MARKETING_SCOPES, now)
        by_id = {r.contact_id: r.address_key for r in rows}
        for m in out:
            m.suppressed = by_id[m.contact_id] in suppressed
        return self.loader.fill(tenant_id, out, extra, now) if extra else out

    @staticmethod
    def eligible(m: Member) -> bool:
        return m.status == "subscribed" and m.sendable and not m.suppressed

    def recipients(self, tenant_id: str, segment: dict[str, Any], order: dict[str, str],
                   now: float) -> list[Recipient]:
        self.c.catch_up(["contacts", "suppressions"])  # who exists now, not as the views last saw
        field, desc = order.get("field", "createdAt"), order.get("direction") == "desc"
        out = [Recipient(m.contact_id, m.external_id, _key(m, field), m.timezone)
               for m, hit in self.members(tenant_id, segment, now, subscribed_only=True)
               if hit and self.eligible(m)]
        return sort_recipients(out, desc)

    def count(self, tenant_id: str, segment: dict[str, Any], slug: str, now: float) -> Count:
        sent = self.loader.queries.sent_contacts(tenant_id, slug)
        matched = eligible = already = 0
        for m, hit in self.members(tenant_id, segment, now, subscribed_only=False):
            if not hit:
                continue
            matched += 1
            if self.eligible(m):
                eligible += 1
                already += m.contact_id in sent
        return Count(matched, eligible, already)


def _key(m: Member, field: str) -> list[Any]:
    if field == "createdAt":
        return order_key(m.created_at, m.contact_id)
    if field == "email":
        return order_key(m.email, m.contact_id)
    value = field_value(m.fields, field.removeprefix("fields."))
    return order_key(None if value is MISSING else value, m.contact_id, missing=value is MISSING)


def timed(fn: Any, *args: Any) -> tuple[Any, int]:
    start = time.perf_counter()
    out = fn(*args)
    return out, int((time.perf_counter() - start) * 1000)
