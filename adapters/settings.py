"""Process settings, read from the environment when asked (never at import time)."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path

import msgspec

MIB = 1024 * 1024


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    data_dir: Path = Path("ledgermail-data")
    database_url: str | None = None
    database_schema: str | None = None
    admin_token: str | None = None
    secret_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    worker_id: str = ""
    fake_clock: bool = False
    max_request_bytes: int = 50 * MIB
    read_wait_seconds: float = 5.0
    projection_page_size: int = 1000
    projection_poll_seconds: float = 0.5
    retention_interval_seconds: float = 600.0  # how often the retention job runs (proxy.md §8.5)
    public_url: str = "http://127.0.0.1:8000"  # link base of tracking and unsubscribe URLs (console.md §0)
    mailtester_url: str = "https://mail-tester.com/api"  # console.md §5.5; tests use a loopback stub
    # connections each application's event-store pool keeps open (PostgreSQL); 0 opens them on
    # demand: many processes times many applications would otherwise fill max_connections
    pg_pool_size: int = 2
    report_lease_seconds: float = 120.0  # a reporter's hold on a tenant (wall clock), then another's
    dns_resolver: str | None = None  # DNSBL queries' resolver, host:port (None: the system's; console.md §0)
    dns_timeout_s: float = 3.0
    dnsbl_job_seconds: float = 60.0  # how often the DNSBL job looks for due pairs (console.md §12)

    @property
    def backend(self) -> str:
        return "postgresql" if self.database_url else "sqlite"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "ledgermail.db"

    def child_env(self, base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
        """The environment of a child ledgermail process on this same store: ``base`` (default
        os.environ) without its LEDGERMAIL_ variables, plus the store's (and ``extra``)."""
        env = {k: v for k, v in (os.environ if base is None else base).items()
               if not k.startswith("LEDGERMAIL_")}
        env["LEDGERMAIL_DATA_DIR"] = str(self.data_dir)
        if self.database_url:
            env["LEDGERMAIL_DATABASE_URL"] = self.database_url
            env["LEDGERMAIL_DATABASE_SCHEMA"] = self.database_schema or ""
        if self.secret_key:
            env["LEDGERMAIL_SECRET_KEY"] = self.secret_key
        env.update({f"LEDGERMAIL_{k.upper()}": v for k, v in extra.items()})
        return env

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(f"LEDGERMAIL_{name}")
            return value if value not in (None, "") else None

        values: dict[str, object] = {
            "data_dir": Path(get("DATA_DIR") or "ledgermail-data"),
            "database_url": get("DATABASE_URL"),
            "database_schema": get("DATABASE_SCHEMA"),
            "admin_token": get("ADMIN_TOKEN"),
            "secret_key": get("SECRET_KEY"),
            "host": get("HOST") or "127.0.0.1",
            "port": int(get("PORT") or 8000),
            "worker_id": get("WORKER_ID") or f"{socket.gethostname()}:{os.getpid()}",
            "fake_clock": (get("FAKE_CLOCK") or "0").lower() in ("1", "true", "yes"),
            "max_request_bytes": int(get("MAX_REQUEST_BYTES") or 50 * MIB),
            "retention_interval_seconds": float(get("RETENTION_INTERVAL_SECONDS") or 600),
            "public_url": (get("PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"),
            "mailtester_url": (get("MAILTESTER_URL") or "https://mail-tester.com/api").rstrip("/"),
            "pg_pool_size": int(get("PG_POOL_SIZE") or 2),
            "report_lease_seconds": float(get("REPORT_LEASE_SECONDS") or 120.0),
            "dns_resolver": get("DNS_RESOLVER"),
            "dns_timeout_s": float(get("DNS_TIMEOUT_S") or 3.0),
            "dnsbl_job_seconds": float(get("DNSBL_JOB_SECONDS") or 60.0),
        }
        values.update(overrides)
        url = values["database_url"]
        if url is not None and not str(url).startswith(("postgresql://", "postgres://")):
            raise ValueError("LEDGERMAIL_DATABASE_URL must be a postgresql:// URL")
        return cls(**values)  # type: ignore[arg-type]
