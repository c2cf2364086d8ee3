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
