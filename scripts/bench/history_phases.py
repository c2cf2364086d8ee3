"""The history benchmark's phases: fill a store with N events fast, export it, rebuild views."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from adapters.bootstrap import Container
from adapters.history.reader import EventFilter
from adapters.rebuild import rebuild_all, rebuild_view
from domain.sending.content import MessageContent, QueueFields
from domain.sending.message import Message
from scripts.export import export

BATCH = 1000  # messages per record(): one transaction
DOMAINS = [f"d{i}.test" for i in range(8)]


def fill(c: Container, events: int, progress: Callable[[int], None]) -> int:
    """Tenant acme and its account, then messages of 3 events (queued, attempt, sent) and every
    20th bounced (a 4th), recorded 1000 messages per transaction, until ``events`` are stored."""
    c.tenancy.create_tenant("acme", {}, None)
    c.tenancy.register_account("acme", "smtp1", {"host": "127.0.0.1", "port": 2525, "use_tls": False})
    fields = QueueFields(account_id="smtp1")
    stored, n = c.tenancy.max_position() + c.sending.max_position(), 0
    while stored < events:
        batch = []
        with c.sending.command(actor="bench", tenant_id="acme"):
            for _ in range(BATCH):
                n += 1
                to = f"u{n}@{DOMAINS[n % len(DOMAINS)]}"
                content = MessageContent(
                    from_addr="a@acme.test", to=[to], subject=f"s{n}", body="hello " * 20
                )
                m = Message.queue(
                    "acme", f"m{n}", fields, content, message_id=f"<{n}@acme.test>", report=False
                )
                attempt = m.start_attempt("bench", time.time() + 300)
                m.record_sent(attempt, "250 2.0.0 ok")
                if n % 20 == 0:
                    m.record_bounce(
                        to,
                        "hard",
                        bounce_code="5.1.1",
                        category="recipient",
                        reason="unknown user",
                        source="dsn",
                    )
                batch.append(m)
        before = stored
        stored = c.tenancy.max_position() + c.sending.record(*batch)
        progress(stored - before)
    return stored


def export_rate(c: Container, fmt: str, progress: Callable[[int], None]) -> tuple[int, float, int]:
    """(events written, seconds, bytes) of one whole-store export."""
    with tempfile.TemporaryDirectory(prefix="ledgermail_bench_export_") as tmp:
        out = Path(tmp) / f"events.{fmt}"
        started = time.perf_counter()
        result = export(c, EventFilter(), out, fmt, page_size=10_000)
        seconds = time.perf_counter() - started
        progress(result.read)
        return result.events, seconds, out.stat().st_size


def rebuild_together(
    c: Container, names: list[str], progress: Callable[[str, int], Callable[[int], None]] | None
) -> tuple[int, float]:
    """(events replayed, seconds) of ``rebuild_all``: one read of each page feeds every view."""
    started = time.perf_counter()
    reports = rebuild_all(c, names, progress=progress)
    return (reports[0].events if reports else 0), time.perf_counter() - started


def rebuild_times(
    c: Container, names: list[str], progress: Callable[[str, int], Callable[[int], None]] | None
) -> list[tuple[str, int, int, float]]:
    """(view, rows, events replayed, seconds) for each view, rebuilt one after another."""
    out = []
    for name in names:
        report = rebuild_view(c, name, progress=progress)
        out.append((name, report.rows, report.events, report.seconds))
    return out
