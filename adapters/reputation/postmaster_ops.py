"""The provider feeds as the API and the job run them (console.md §14): settings, secrets,
the domain list, a pull of one tenant, and the forced refreshes' answers."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from adapters.reputation.dnsbl_psl import registrable
from adapters.reputation.postmaster_http import HttpxPostmasterClient, HttpxSndsClient
from adapters.reputation.postmaster_trips import HealthTripper
from application.base import CommandMeta
from application.reputation.postmaster_ports import FeedError, PostmasterCredentials
from application.reputation.postmaster_pull import PostmasterPull
from application.reputation.snds_pull import SndsPull
from domain.reputation.postmaster_settings import PostmasterSettings, SndsSettings

if TYPE_CHECKING:
    from adapters.bootstrap import Container


def registry_of(container: Container, tenant_id: str) -> dict[str, str]:
    doc = container.content.settings(tenant_id)
    return {d.strip().lower(): kind for d, kind in doc.sender_domains.items()}


def postmaster_settings(container: Container, tenant_id: str) -> PostmasterSettings:
    return container.content.settings(tenant_id).postmaster  # type: ignore[no-any-return]


def snds_settings(container: Container, tenant_id: str) -> SndsSettings:
    return container.content.settings(tenant_id).snds  # type: ignore[no-any-return]


def credentials_of(container: Container, settings: PostmasterSettings) -> PostmasterCredentials:
    box = container.secret_box
    return PostmasterCredentials(box.decrypt(settings.client_id or ""),
                                 box.decrypt(settings.client_secret or ""),
                                 box.decrypt(settings.refresh_token or ""))


def postmaster_domains(settings: PostmasterSettings, registry: dict[str, str]) -> list[str]:
    """``postmaster.domains``, else the registry's registrable domains."""
    if settings.domains is not None:
        return sorted({d.strip().lower() for d in settings.domains if d.strip()})
    return sorted({registrable(d) for d in registry})


def _clients(container: Container) -> tuple[HttpxPostmasterClient, HttpxSndsClient]:
    """One client pair per endpoint set (the token cache lives in the Postmaster client)."""
    endpoints = container.feed_endpoints
    cached = getattr(container, "_feed_clients", None)
    if cached is None or cached[0] != endpoints:
        cached = (endpoints, HttpxPostmasterClient(endpoints, container.clock), HttpxSndsClient(endpoints))
        container._feed_clients = cached  # type: ignore[attr-defined]
    return cached[1], cached[2]


def pull_postmaster(container: Container, tenant_id: str, *, forced: bool,
                    meta: CommandMeta) -> dict[str, Any]:
    settings = postmaster_settings(container, tenant_id)
    if not settings.configured:
        return {"ran": False, "reason": "not_configured"}
    registry = registry_of(container, tenant_id)
    pull = PostmasterPull(container.postmaster, _clients(container)[0], HealthTripper(container),
                          container.feed_schedule, container.clock)
    done = pull.pull(tenant_id, settings, credentials_of(container, settings),
                     postmaster_domains(settings, registry), registry, forced=forced, meta=meta)
    answer = {"ran": True, "fetched": done.fetched, "trippedDomains": done.tripped, "errors": done.errors}
    if forced:
        summary = {**answer, "recorded": done.recorded}
        done.position = max(done.position, container.postmaster.complete_run(
            tenant_id, "postmaster", uuid.uuid4().hex, summary, meta))
    answer["position"] = done.position
    return answer


def pull_snds(container: Container, tenant_id: str, *, forced: bool, meta: CommandMeta) -> dict[str, Any]:
    """Raises FeedError on a forced pull that could not read the feed (the API's 502)."""
    settings = snds_settings(container, tenant_id)
    if not settings.configured:
        return {"ran": False, "reason": "not_configured"}
    sealed = settings.key or ""
    plain = SndsSettings(key=container.secret_box.decrypt(sealed), interval_hours=settings.interval_hours,
                         ips=settings.ips, trip_on_red=settings.trip_on_red)
    pull = SndsPull(container.postmaster, _clients(container)[1], HealthTripper(container),
                    container.feed_schedule, container.clock)
    try:
        done = pull.pull(tenant_id, plain, registry_of(container, tenant_id), forced=forced, meta=meta)
    except FeedError:
        if forced:
            raise
        return {"ran": False, "reason": "upstream_error"}
    answer: dict[str, Any] = {"ran": done.ran, "rowsParsed": done.rows_parsed,
                              "rowsPersisted": done.rows_persisted}
    if not done.ran:
        answer = {"ran": False, "reason": "not_due"}
    position = done.position
    if forced:
        position = max(position, container.postmaster.complete_run(
            tenant_id, "snds", uuid.uuid4().hex, {**answer, "trippedDomains": done.tripped}, meta))
    answer["position"] = position
    return answer
