"""Headless Chromium (Debian's, no browser download) driving the console at /admin."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.settings import Settings
from tests.support.live import Live, live_server

ROOT = Path(__file__).resolve().parents[2]
# Screenshots of each main page: kept after the run (CI keeps the folder as its artefacts).
SHOTS = Path(os.environ.get("LEDGERMAIL_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module-scoped on purpose: Playwright's sync API keeps an event loop running in the main
    thread while it is started, and later tests that call ``asyncio.run`` would fail."""
    executable = chromium_path()
    if executable is None:
        if IN_CI:
            pytest.fail("CI=true but no chromium: .ci/run installs Debian's chromium package")
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=executable, headless=True,
                                      args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


@pytest.fixture
def console(tmp_path: Path, smtp_sink: Any) -> Iterator[tuple[Live, Any]]:
    """A dispatching server on SQLite (the UI reads the same API both backends pass)."""
    settings = Settings.from_env({}, data_dir=tmp_path / "data", projection_poll_seconds=0.05)
    with live_server(settings, dispatch=True) as live:
        yield live, smtp_sink()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    width = getattr(request, "param", 1280)
    context = browser.new_context(viewport={"width": width, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On a failure, keep what the browser showed: a screenshot and the page's text."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    tab = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and tab is not None:
        shot(tab, f"FAILED-{item.name}")
        report.sections.append(("browser", f"url {tab.url}\n{tab.locator('body').inner_text()}"))
