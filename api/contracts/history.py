"""History contracts (issue #11): aggregates and views as of a past point, transitions.

Envelope members are camelCase like every /admin/api body; ``state``, ``payload`` and
``changes`` keep the stored names of the aggregate's attributes and the event's fields.
"""

from __future__ import annotations

from typing import Any

import msgspec


class AsOfQuery(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """?as_of_ts= (unix seconds or ISO-8601) &as_of_position= &as_of_version= (all optional)."""

    as_of_ts: str | None = None
    as_of_position: int | None = msgspec.field(default=None)
    as_of_version: int | None = None


class AggregateState(msgspec.Struct, frozen=True, rename="camel"):
    aggregate_id: str
    application: str
    type: str
    tenant_id: str | None
    version: int  # the version the state is at
    position: int  # the log position of the last event folded in
    timestamp: float  # that event's service-clock time
    latest_version: int  # the aggregate's newest version today
    as_of: dict[str, Any]
    state: dict[str, Any]


class Change(msgspec.Struct, frozen=True):
    before: Any
    after: Any


class Transition(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    version: int
    position: int
    topic: str
    timestamp: float
    actor: str
    command_id: str
    tenant_id: str | None
    recorded_at: float
    payload: dict[str, Any]
    changes: dict[str, Change]
    before: dict[str, Any] | None = None  # with ?full=true
    after: dict[str, Any] | None = None


class Transitions(msgspec.Struct, frozen=True, rename="camel"):
    aggregate_id: str
    application: str
    type: str
    tenant_id: str | None
    transitions: list[Transition]


class Positions(msgspec.Struct, frozen=True, rename="camel"):
    as_of_ts: float
    positions: dict[str, int]


class TableRows(msgspec.Struct, frozen=True):
    columns: list[str]
    rows: list[list[Any]]
    total: int


class ViewState(msgspec.Struct, frozen=True, rename="camel"):
    view: str
    positions: dict[str, int]
    tables: dict[str, TableRows]
    events: int
    seconds: float
