"""The event catalogue: every aggregate module of the domain, imported, and its events.

Event classes register their stored topic when their aggregate class is defined, so the
registry is only complete once every aggregate module has been imported. This module
does that in one place; ``scripts/events_doc.py`` renders the result as ``docs/events.md``.
"""

from __future__ import annotations

from types import ModuleType

import domain.bounces.inbound_report
import domain.campaigns.broadcast
import domain.campaigns.flow
import domain.campaigns.flow_run
import domain.command_entry
import domain.console.contact
import domain.console.contact_event
import domain.instance
import domain.reputation.dmarc
import domain.reputation.dmarc_upkeep
import domain.reputation.dnsbl
import domain.reputation.health_bucket
import domain.reputation.hygiene
import domain.reputation.postmaster
import domain.reputation.snds
import domain.sending.cleanup
import domain.sending.message
import domain.sending.outcome
import domain.sending.report_batch
import domain.suppression
import domain.templates.settings
import domain.templates.template
import domain.tenancy.account
import domain.tenancy.console_key
import domain.tenancy.tenant
from domain.model import EVENT_TOPICS, DomainEvent

# Every module that defines an Aggregate must be imported above and listed here; a unit
# test (tests/unit/test_events_doc.py) fails when a module under domain/ is missing.
AGGREGATE_MODULES: tuple[ModuleType, ...] = (
    domain.instance,
    domain.command_entry,
    domain.tenancy.tenant,
    domain.tenancy.account,
    domain.sending.message,
    domain.sending.outcome,
    domain.sending.cleanup,
    domain.sending.report_batch,
    domain.suppression,
    domain.bounces.inbound_report,
    domain.tenancy.console_key,
    domain.console.contact,
    domain.console.contact_event,
    domain.templates.template,
    domain.templates.settings,
    domain.reputation.dmarc,
    domain.reputation.dmarc_upkeep,
    domain.reputation.health_bucket,
    domain.reputation.dnsbl,
    domain.reputation.postmaster,
    domain.reputation.snds,
    domain.reputation.hygiene,
    domain.campaigns.broadcast,
    domain.campaigns.flow,
    domain.campaigns.flow_run,
)

TEST_PREFIX = "Test."  # topics the test suite registers for its probe aggregates


def all_events() -> dict[str, type[DomainEvent]]:
    """Every registered event class by stored topic (without its ``#v<n>`` suffix)."""
    return {topic: cls for topic, cls in EVENT_TOPICS.items() if not topic.startswith(TEST_PREFIX)}
