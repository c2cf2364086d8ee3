"""What the composition root adds for the provider feeds and hygiene (console.md §14, §15):
the ``postmaster`` log, the feed schedule, the endpoints, the sunset commands and the
hygiene cache. Kept here so ``adapters/bootstrap.py`` changes by one call."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from adapters.reputation.hygiene_report import HygieneCache
from adapters.reputation.postmaster_http import FeedEndpoints
from adapters.reputation.postmaster_schedule import SqlFeedSchedule
from application.reputation.hygiene_sunset import SunsetCommands
from application.reputation.postmaster_app import PostmasterApplication

if TYPE_CHECKING:
    from adapters.bootstrap import Container
    from adapters.reputation.postmaster_job import FeedsJob


def attach(container: Container, env: dict[str, Any], *, create_tables: bool) -> None:
    container.postmaster = PostmasterApplication(env, container.clock)  # type: ignore[attr-defined]
    container.applications["postmaster"] = container.postmaster  # type: ignore[attr-defined]
    container.feed_schedule = SqlFeedSchedule(container.db)  # type: ignore[attr-defined]
    if create_tables:
        container.feed_schedule.create()  # type: ignore[attr-defined]
    container.feed_endpoints = FeedEndpoints.from_env()  # type: ignore[attr-defined]
    container.sunsets = SunsetCommands(container.sending)  # type: ignore[attr-defined]
    container.hygiene_cache = HygieneCache()  # type: ignore[attr-defined]
    container.feeds_jobs = []  # type: ignore[attr-defined]


def feeds_job(container: Container, *, worker_id: str | None = None) -> FeedsJob:
    """The scheduled pulls, not started: ``run_due()`` runs them when due."""
    from adapters.reputation.postmaster_job import FeedsJob

    return FeedsJob(container, container.job_schedule, worker_id or container.settings.worker_id)


def start_feeds(container: Container, stop: threading.Event, *, worker_id: str | None = None) -> FeedsJob:
    job = feeds_job(container, worker_id=worker_id)
    container.feeds_jobs.append(job)  # type: ignore[attr-defined]
    container._threads.append(job.start(stop))
    return job
