"""Rebuild read models from the event store: ``python scripts/rebuild.py NAME|--all [--verify]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from tqdm import tqdm

from adapters.bootstrap import bootstrap
from adapters.rebuild import RebuildReport, rebuild_all, rebuild_view, verify_all, verify_view
from adapters.registry import PROJECTIONS
from adapters.settings import Settings


def _bars(enabled: bool) -> Callable[[str, int], Callable[[int], None]] | None:
    if not enabled:
        return None

    def make(name: str, total: int) -> Callable[[int], None]:
        bar = tqdm(total=total, desc=name, unit="ev", leave=True, file=sys.stderr)
        return bar.update

    return make


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ledgermail rebuild", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"views: {', '.join(PROJECTIONS)}")
    parser.add_argument("--all", action="store_true", help="every read model")
    parser.add_argument("--verify", action="store_true",
                        help="replay into a scratch copy up to the live position and compare rows")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    names = list(PROJECTIONS) if args.all else args.names
    unknown = [n for n in names if n not in PROJECTIONS]
    if not names or unknown:
        parser.print_usage(sys.stderr)
        print(f"ledgermail rebuild: name views or --all (unknown: {unknown})", file=sys.stderr)
        return 2
    container = bootstrap(Settings.from_env())
    reports: list[RebuildReport] = []
    try:
        if len(names) > 1:  # one replay feeds every view (adapters/rebuild.py)
            run_all = verify_all if args.verify else rebuild_all
            reports = run_all(container, names, progress=_bars(not args.no_progress))
        for name in names if len(names) == 1 else []:
            run = verify_view if args.verify else rebuild_view
            reports.append(run(container, name, progress=_bars(not args.no_progress)))
    finally:
        container.close()
    failed = False
    for r in reports:
        verdict = "" if r.verified is None else ("  equal" if r.verified else "  DIFFERENT")
        print(f"{r.view:24} rows={r.rows:<9} events={r.events:<9} {r.seconds:>8.3f}s{verdict}")
        for diff in r.differences:
            print(f"    {diff}")
        failed |= r.verified is False
    seconds = max((r.seconds for r in reports), default=0.0)  # replayed together: the last one ends
    if args.verify:
        verdict = "DIFFERENT" if failed else "all equal"
        print(f"{len(reports)} views verified in {seconds:.3f}s: {verdict}")
    else:
        print(f"{len(reports)} views rebuilt in {seconds:.3f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
