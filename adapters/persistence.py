"""Where events and read models live: eventsourcing environments and view databases.

SQLite (the embedded default) keeps every application and every view in one WAL-mode
file, each application in its own ``<name>_events`` table so they do not share a
notification log. PostgreSQL does the same in one database (and optional schema).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import unquote, urlsplit

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteFactory

from adapters.pg_recorder import TOPIC as PG_RECORDER_TOPIC
from adapters.pg_shared import TOPIC as PG_SHARED_TOPIC
from adapters.settings import Settings


class LedgerSQLiteFactory(SQLiteFactory):
    """SQLite factory that prefixes the events table with the application name."""

    def application_recorder(self) -> ApplicationRecorder:
        recorder = SQLiteApplicationRecorder(
            datastore=self.datastore,
            events_table_name=f"{self.env.name.lower()}_events",
        )
        if self.env_create_table():
            recorder.create_table()
        return recorder


def postgres_params(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    return {
        "dbname": unquote(parts.path.lstrip("/")) or "postgres",
        "host": parts.hostname or "127.0.0.1",
        "port": str(parts.port or 5432),
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
    }


def application_env(settings: Settings, *, create_tables: bool) -> dict[str, Any]:
    """The eventsourcing environment for every application of this process."""
    env: dict[str, Any] = {
        "MAPPER_TOPIC": "adapters.mapper:MsgspecMapper",
        "CREATE_TABLE": "y" if create_tables else "n",
        "IS_SNAPSHOTTING_ENABLED": "n",
    }
    if settings.database_url:
        pg = postgres_params(settings.database_url)
        env.update(
            # one pool for every application of this container (adapters/pg_shared.py)
            PERSISTENCE_MODULE=PG_SHARED_TOPIC,
            POOL_GROUP=uuid.uuid4().hex,
            POSTGRES_DBNAME=pg["dbname"],
            POSTGRES_HOST=pg["host"],
            POSTGRES_PORT=pg["port"],
            POSTGRES_USER=pg["user"],
            POSTGRES_PASSWORD=pg["password"],
            POSTGRES_SCHEMA=settings.database_schema or "",
            POSTGRES_POOL_SIZE=str(settings.pg_pool_size),
            POSTGRES_MAX_OVERFLOW="18",
            POSTGRES_LOCK_TIMEOUT="10",
            POSTGRES_PRE_PING="y",
            APPLICATION_RECORDER_TOPIC=PG_RECORDER_TOPIC,
        )
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        env.update(
            PERSISTENCE_MODULE="adapters.persistence:LedgerSQLiteFactory",
            SQLITE_DBNAME=str(settings.sqlite_path),
            SQLITE_LOCK_TIMEOUT="30",
        )
    return env


