"""``GET /admin/api/dashboard`` (console.md §3): KPIs with deltas, hourly series, health,
queue, and the newest flows, sends and audit entries.

P(W) = sends of the chosen origins queued in W minus suppressed/cancelled; D = those sent
and not bounced; opens and clicks are human only (a human click counts as an open). The
view does the counting in SQL (the hourly roll-up ``send_hours`` for a window's whole hours,
the rows for its two partial edge hours; ADR 0014), so this handler only divides. The
hourly series is by clock hour: index 23 is the current hour, so far.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get

from adapters.reputation import health_ops
from api.admin_auth import READ, console_of
from api.admin_common import bad_value, iso
from api.calls import container_of, in_thread
from api.controllers.admin.audit import audit_page
from api.controllers.admin.flow_docs import recent_flows
from api.send_views import recipients
from projections.console_audit import AuditFilters

WINDOWS = {"24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400}
ORIGINS = {"console": ("oneoff", "flow", "broadcast"), "all": ("oneoff", "flow", "broadcast", "api")}
RATES = {
    "deliveredRate": "delivered",
    "openRate": "opened",
    "clickRate": "clicked",
    "complaintRate": "complained",
    "unsubscribeRate": "unsubscribed",
}


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _delta(cur: float | None, prev: float | None) -> float | None:
    return None if cur is None or prev is None else cur - prev


def kpis(cur: dict[str, int], prev: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "sends": {"value": cur["sends"], "delta": _ratio(cur["sends"] - prev["sends"], prev["sends"])}
    }
    for name, field in RATES.items():
        whole = "sends" if name == "deliveredRate" else "delivered"
        value = _ratio(cur[field], cur[whole])
        out[name] = {"value": value, "delta": _delta(value, _ratio(prev[field], prev[whole]))}
    out["deliveredRate"]["bounced"] = cur["bounced"]
    out["openRate"].update(exclBots=True, valueInclBots=_ratio(cur["openedInclBots"], cur["delivered"]))
    return out


def _recent_sends(
    request: Request[Any, Any, Any], tenant_id: str, origins: tuple[str, ...]
) -> list[dict[str, Any]]:
    rows = container_of(request).projections["sends"].view.recent(tenant_id, origins, 6)
    people = recipients(request, tenant_id, rows)
    return [
        {
            "sendId": r["pk"],
            "email": people.get(r["contact_id"] or "", (None, r["email"]))[1],
            "status": r["status"],
            "origin": r["origin"],
            "kind": r["kind"],
            "templateSlug": r["template_slug"],
            "queuedAt": iso(r["queued_ts"]),
        }
        for r in rows
    ]


def dashboard(
    request: Request[Any, Any, Any], tenant_id: str, span: int, origins: tuple[str, ...]
) -> dict[str, Any]:
    container = container_of(request)
    view, now = container.projections["sends"].view, container.clock.now()
    cur = view.window_stats(tenant_id, now - span, now, origins)
    prev = view.window_stats(tenant_id, now - 2 * span, now - span, origins)
    sends, opens = view.hourly(tenant_id, now - 86400, origins)
    audit, _ = audit_page(request, tenant_id, AuditFilters(), 5, None)
    return {
        "window": {"start": iso(now - span), "end": iso(now)},
        "kpis": kpis(cur, prev),
        "series": {"hourly": {"sends": sends, "opens": opens}},
        "health": health_ops.dashboard_health(container, tenant_id),
        "queue": view.queue(tenant_id, now),
        "recentFlows": recent_flows(container, tenant_id, now),  # console.md §8
        "recentSends": _recent_sends(request, tenant_id, origins),
        "recentAudit": [msgspec.to_builtins(e) for e in audit],
    }


class DashboardController(Controller):
    path = "/admin/api/dashboard"
    tags = ["console: dashboard"]

    @get(
        "/",
        operation_id="ConsoleDashboard",
        summary="KPIs, series, health, queue, recent activity",
        guards=[READ],
    )
    async def get_dashboard(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        window = request.query_params.get("window", "24h")
        origin = request.query_params.get("origin", "console")
        if window not in WINDOWS:
            raise bad_value("window", "one of 24h, 7d, 30d")
        if origin not in ORIGINS:
            raise bad_value("origin", "console or all")
        container = container_of(request)
        await in_thread(container.catch_up, ["sends", "audit"])
        return await in_thread(
            dashboard, request, console_of(request).tenant_id, WINDOWS[window], ORIGINS[origin]
        )
