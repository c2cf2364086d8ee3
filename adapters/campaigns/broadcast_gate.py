"""The fan-out's smaller ports over the container: template facts, the health gate, the
``LEDGERMAIL_FAULT`` crash points; and rule 7 of §2.3 (a paused broadcast holds its sends)."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

from adapters.console_checks import from_domain
from adapters.reputation.health_gate import health_hold
from application.campaigns.broadcast_ports import TemplateFacts

if TYPE_CHECKING:
    from adapters.bootstrap import Container
    from adapters.console_checks import SendFacts


class ContentTemplates:
    def __init__(self, container: Container) -> None:
        self.c = container

    def facts(self, tenant_id: str, slug: str) -> TemplateFacts | None:
        template = self.c.content.find_template(tenant_id, slug)
        if template is None or template.deleted:
            return None
        latest = template.latest
        kind = (latest.sender.get("kind") if latest else None) or template.fields.get("kind") or "marketing"
        sender = (latest.sender.get("from_email") if latest else None) or template.fields.get("from_email")
        return TemplateFacts(template.version_number, kind, from_domain(sender) if sender else None)


class ContainerHealthGate:
    def __init__(self, container: Container) -> None:
        self.c = container

    def held(self, tenant_id: str, domain: str, kind: str) -> str | None:
        return health_hold(self.c, tenant_id, domain, kind)


class EnvFaults:
    """``LEDGERMAIL_FAULT=<point>:<n>`` exits the process (137) at the n-th pass of ``point``."""

    def __init__(self, spec: str | None = None) -> None:
        given = spec if spec is not None else os.environ.get("LEDGERMAIL_FAULT", "")
        point, _, count = given.partition(":")
        self.point, self.at, self.passes = point, int(count or 1) if point else 0, 0

    def passed(self, point: str) -> None:
        if point != self.point:
            return
        self.passes += 1
        if self.passes >= self.at:
            os._exit(137)


_UNPAUSED: dict[str, float] = {}
STATUS_TTL = 0.5  # seconds: a page of 1,000 sends asks the view once, not 1,000 times


def broadcast_send_hold(container: Container, tenant_id: str, facts: SendFacts) -> str | None:
    """Rule 7: a send of a paused broadcast is held ``broadcast:<id>``.

    The view answers "not paused" (cached briefly: a send slipping out in the instant after a
    pause is one in flight, and pausing holds every waiting send itself); "paused" is checked
    against the Broadcast itself, so a lagging view never re-holds a send just released."""
    if facts.origin != "broadcast" or not facts.dedupe_key.startswith("broadcast:"):
        return None
    broadcast_id = facts.dedupe_key.split(":")[1]
    now = time.monotonic()
    if now - _UNPAUSED.get(broadcast_id, -STATUS_TTL) < STATUS_TTL:
        return None
    view: Any = container.projections["broadcasts"].view
    if view.status_of(broadcast_id) == "paused":
        found = container.broadcasts.active([UUID(broadcast_id)])
        if found and found[0].status == "paused":
            return f"broadcast:{broadcast_id}"
    _UNPAUSED[broadcast_id] = now
    return None
