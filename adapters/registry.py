"""Every read model of the product, by name: what ``serve`` runs and ``rebuild`` knows."""

from __future__ import annotations

from projections.base import Projection
from projections.event_stats import EventStatsProjection
from projections.sending import MessagesProjection, SendMetricsProjection
from projections.sending.reports import ReportsProjection
from projections.tenancy.accounts import AccountsProjection
from projections.tenancy.command_log import CommandLogProjection
from projections.tenancy.instance import InstanceProjection
from projections.tenancy.tenants import TenantsProjection

PROJECTIONS: dict[str, type[Projection]] = {  # type: ignore[type-arg]
    cls.VIEW.NAME: cls
    for cls in (EventStatsProjection, InstanceProjection, TenantsProjection, AccountsProjection,
                CommandLogProjection, MessagesProjection, SendMetricsProjection, ReportsProjection)
}
