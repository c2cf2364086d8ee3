"""``ledgermail export``, ``replay`` and ``report``: history for analysts and auditors."""

from __future__ import annotations

import argparse
from typing import Any

from scripts import export, replay, report


def add_parsers(sub: Any) -> None:
    for name, module, summary in (
        ("export", export, "decoded events to Parquet or JSON lines (secrets stay encrypted)"),
        ("replay", replay, "an aggregate or read model as of a past point; an aggregate's transitions"),
        ("report", report, "a self-contained HTML deliverability report"),
    ):
        p = sub.add_parser(
            name,
            help=summary,
            description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
        p.set_defaults(func=module.run)
