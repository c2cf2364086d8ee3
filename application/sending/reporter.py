"""The reporter: pushes delivery reports to each tenant's sync endpoint (proxy.md §8.4).

Per cycle, for every tenant with a ``client_base_url`` whose lease it wins: while it has
pending items and is not in failure backoff, POST batches of ``reporting.batch_size``
(waiting for the ``reports`` view to see each answer, so no item goes twice); else a
heartbeat ``{"reports":[]}`` when one is due. Every answer is one ``ReportBatch`` event.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import threading
from collections.abc import Callable

import msgspec

from application.base import SYSTEM, CommandMeta
from application.ports import Clock, SecretBox
from application.sending.app import SendingApplication
from application.sending.dispatcher import Waker
from application.sending.report_ports import (
    ReportClient,
    ReportLeases,
    ReportQueue,
    ReportTarget,
    ReportTargets,
    SyncView,
    ViewWaiter,
)
from domain.instance_config import ReportingConfig
from domain.sending.report_batch import ReportBatch
from domain.tenancy.settings import ClientAuth

log = logging.getLogger(__name__)
USER_AGENT = "ledgermail/0.1.0"
LEASE_SECONDS = 120.0
POLL_SECONDS = 1.0


def auth_headers(auth: ClientAuth, box: SecretBox) -> dict[str, str]:
    """The Authorization header of ``client_auth``, its secret decrypted here, just before use."""
    if auth.method == "bearer" and auth.token:
        return {"Authorization": f"Bearer {box.decrypt(auth.token)}"}
    if auth.method == "basic" and auth.user is not None:
        secret = box.decrypt(auth.password) if auth.password else ""
        pair = base64.b64encode(f"{auth.user}:{secret}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    return {}


def answer_options(body: bytes | None, tenant_id: str = "") -> tuple[float | None, int | None]:
    """(next_sync_after, queued) of a 2xx answer; none when it is not a JSON object."""
    try:
        data = msgspec.json.decode(body or b"")
    except msgspec.DecodeError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    if data.get("ok") is False:  # spec §8.3: still an acknowledgement; only worth a log line
        log.warning("report: tenant %s answered 2xx with ok:false; the items count as reported", tenant_id)
    after, queued = data.get("next_sync_after"), data.get("queued")
    after = float(after) if isinstance(after, int | float) and not isinstance(after, bool) else None
    queued = queued if isinstance(queued, int) and not isinstance(queued, bool) else None
    return after, queued


def heartbeat_due(target: ReportTarget, sync: SyncView, now: float, interval: float) -> bool:
    if not target.active:
        return False
    if sync.queued_more:
        return True
    if sync.dnd_until is not None and now < sync.dnd_until:
        return False
    since = sync.last_sync_ts if sync.last_sync_ts is not None else target.created_ts
    return now >= since + interval


def nudge(sending: SendingApplication, tenant_id: str, meta: CommandMeta = SYSTEM) -> int:
    """run-now for a tenant: its DND ends, a heartbeat is due; returns the store position."""
    with sending.under(meta, tenant_id):
        return sending.record(ReportBatch.nudge(tenant_id))


class Reporter:
    def __init__(self, sending: SendingApplication, queue: ReportQueue, targets: ReportTargets,
                 client: ReportClient, leases: ReportLeases, clock: Clock, worker_id: str, *,
                 secret_box: SecretBox, config: Callable[[], ReportingConfig], wait: ViewWaiter,
                 waker: Waker | None = None, lease_seconds: float = LEASE_SECONDS) -> None:
        self.lease_seconds = lease_seconds
        self.sending, self.queue, self.targets = sending, queue, targets
        self.client, self.leases, self.clock = client, leases, clock
        self.worker_id, self.secret_box, self.config = worker_id, secret_box, config
        self.wait, self.waker = wait, waker
        self._stop = threading.Event()
        self.cycles = 0

    # --- one cycle ------------------------------------------------------------------------
    async def run_cycle(self) -> int:
        """One pass over every tenant with a URL; returns how many POSTs were made."""
        config = await asyncio.to_thread(self.config)
        targets = await asyncio.to_thread(self.targets)
        posts = 0
        for target in targets:
            if self._stop.is_set():
                break
            if not await asyncio.to_thread(self.leases.claim, target.tenant_id, self.worker_id,
                                           self.lease_seconds):
                continue
            try:
                posts += await self._tenant(target, config)
            except Exception:  # a save or view wait failed: the items stay pending
                log.exception("report: tenant %s failed", target.tenant_id)
            finally:
                await asyncio.to_thread(self.leases.release, target.tenant_id, self.worker_id)
        self.cycles += 1
        return posts

    async def _tenant(self, target: ReportTarget, config: ReportingConfig) -> int:
        """Items in batches until none is left, else a heartbeat if due (again while ``queued``)."""
        posts = 0
        while not self._stop.is_set():
            sync = await asyncio.to_thread(self.queue.sync, target.tenant_id)
            now = self.clock.now()
            if sync.next_attempt_ts is not None and now < sync.next_attempt_ts:
                return posts  # failure backoff
            items = await asyncio.to_thread(self.queue.pending, target.tenant_id, config.batch_size)
            if not items and not heartbeat_due(target, sync, now, config.heartbeat_interval_seconds):
                return posts
            posts += 1
            if not await self._post(target, items, config):
                return posts
        return posts

    async def _post(self, target: ReportTarget, items: list[tuple[str, str]],
                    config: ReportingConfig) -> bool:
        """POST one batch and record the answer; True when it was acknowledged."""
        body = b'{"reports":[' + b",".join(b.encode() for _, b in items) + b"]}"
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   **auth_headers(target.auth, self.secret_box)}
        status, answer, error = await self.client.post(target.url, body, headers,
                                                       timeout=config.timeout_seconds)
        event_ids = [e for e, _ in items]
        ok = status is not None and 200 <= status < 300
        after, queued = answer_options(answer, target.tenant_id) if ok else (None, None)

        def batch() -> ReportBatch:
            if ok:
                return ReportBatch.acknowledged(target.tenant_id, event_ids, status=status or 200,
                                                next_sync_after=after, queued=queued)
            return ReportBatch.failed(target.tenant_id, event_ids, status=status,
                                      error=error or f"HTTP {status}",
                                      retry_cap_seconds=float(config.retry_cap_seconds))

        position = await asyncio.to_thread(self._record, target.tenant_id, batch)
        await asyncio.to_thread(self.wait, position)
        return ok

    def _record(self, tenant_id: str, batch: Callable[[], ReportBatch]) -> int:
        """Create the batch inside the command: its event takes the service clock's time."""
        with self.sending.command(actor="reporter", tenant_id=tenant_id):
            return self.sending.record(batch())

    # --- the thread -----------------------------------------------------------------------
    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, args=(stop,), daemon=True,
                                  name=f"ledgermail-report-{self.worker_id}")
        thread.start()
        return thread

    def run_forever(self, stop: threading.Event) -> None:
        self._stop = stop
        asyncio.run(self._forever(stop))

    async def _forever(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                seen = self.waker.generation() if self.waker is not None else 0
                try:
                    await self.run_cycle()
                except Exception:
                    log.exception("report: cycle failed")
                if not stop.is_set():
                    await asyncio.to_thread(self._idle, seen)
        finally:
            await self.client.close()

    def _idle(self, seen: int) -> None:
        if self.waker is not None:
            self.waker.wait(seen, POLL_SECONDS)
        else:
            self._stop.wait(POLL_SECONDS)


__all__ = ["Reporter", "auth_headers", "nudge"]
