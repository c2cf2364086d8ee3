"""Run the probe projection in a child process that pauses mid-page, so a test can kill -9 it."""

from __future__ import annotations

import sys

from adapters.bootstrap import bootstrap
from adapters.runner import ProjectionRunner
from adapters.settings import Settings
from tests.support.probe import ProbeProjection, ProbeView


def main() -> int:
    settings = Settings.from_env()
    container = bootstrap(settings)
    ProbeProjection.slow_seconds = 60.0
    runner = ProjectionRunner(ProbeProjection(ProbeView(container.db)), container.sources(),
                              page_size=int(sys.argv[1]) if len(sys.argv) > 1 else 500)
    runner.catch_up()
    return 0


if __name__ == "__main__":
    sys.exit(main())
