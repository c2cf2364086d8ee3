"""Every read model of the product, by name: what ``serve`` runs and ``rebuild`` knows."""

from __future__ import annotations

from projections.base import Projection
from projections.broadcasts import BroadcastsProjection
from projections.console_audit import AuditProjection
from projections.console_contacts import ContactsProjection
from projections.console_events import ContactEventsProjection
from projections.console_keys import ConsoleKeysProjection
from projections.console_sends import SendsProjection
from projections.dmarc import DmarcProjection
from projections.dnsbl import DnsblProjection
from projections.event_stats import EventStatsProjection
from projections.flows_fold import FlowsProjection
from projections.health import HealthProjection
from projections.health_buckets import HealthBucketsProjection
from projections.hygiene import HygieneProjection
from projections.postmaster import PostmasterProjection
from projections.sending import MessagesProjection, SendMetricsProjection
from projections.sending.reports import ReportsProjection
from projections.suppressions import SuppressionsProjection
from projections.templates import TemplatesProjection
from projections.tenancy.accounts import AccountsProjection
from projections.tenancy.command_log import CommandLogProjection
from projections.tenancy.instance import InstanceProjection
from projections.tenancy.tenants import TenantsProjection

PROJECTIONS: dict[str, type[Projection]] = {  # type: ignore[type-arg]
    cls.VIEW.NAME: cls
    for cls in (EventStatsProjection, InstanceProjection, TenantsProjection, AccountsProjection,
                CommandLogProjection, MessagesProjection, SendMetricsProjection, ReportsProjection,
                SuppressionsProjection, ConsoleKeysProjection, ContactsProjection, ContactEventsProjection,
                AuditProjection, TemplatesProjection, SendsProjection, DnsblProjection,
                DmarcProjection, HealthProjection, HealthBucketsProjection, FlowsProjection,
                PostmasterProjection, HygieneProjection, BroadcastsProjection)
}

# Every application log, by name (``Container.applications``; a unit test keeps them equal):
# what the history commands accept for ``--application`` without building a container.
APPLICATIONS: tuple[str, ...] = ("tenancy", "sending", "console", "content", "dmarc", "dnsbl", "health",
                                 "broadcasts", "flows", "postmaster")
