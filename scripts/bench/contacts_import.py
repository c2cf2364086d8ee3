"""Bulk contact import throughput: N contacts in batches of 10,000 (one save each).

    python -m scripts.bench.contacts_import [--contacts 100000] [--database-url postgresql://...]

Runs the console application's ``import_contacts`` (the API's command, without HTTP) on a
fresh store and prints contacts/s, including key creation and sealing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from adapters.bootstrap import bootstrap
from adapters.settings import Settings


def run(contacts: int, database_url: str | None, schema: str | None) -> float:
    data = Path(tempfile.mkdtemp(prefix="lm-bench-contacts-"))
    settings = Settings.from_env({}, data_dir=data, database_url=database_url, database_schema=schema)
    container = bootstrap(settings, create_tables=True)
    try:
        container.tenancy.initialise_instance()
        container.tenancy.create_tenant("bench", {}, None)
        started = time.perf_counter()
        for start in range(0, contacts, 10_000):
            rows = [{"externalId": f"c{i}", "email": f"c{i}@bench.test", "tags": ["t"], "fields": {"n": i}}
                    for i in range(start, min(contacts, start + 10_000))]
            container.console.import_contacts("bench", rows, {"source": "bench"}, [])
        return contacts / (time.perf_counter() - started)
    finally:
        container.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--schema")
    args = parser.parse_args()
    rate = run(args.contacts, args.database_url, args.schema)
    print(f"{args.contacts} contacts: {rate:,.0f} contacts/s")


if __name__ == "__main__":
    main()
