"""API tests against a real server on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.settings import Settings
from tests.support.live import Live, live_server


@pytest.fixture
def live(settings: Settings) -> Iterator[Live]:
    with live_server(settings) as server:
        yield server


@pytest.fixture
def live_dispatching(settings: Settings) -> Iterator[Live]:
    """The server with a dispatcher running, as ``ledgermail serve`` runs it."""
    with live_server(settings, dispatch=True) as server:
        yield server
