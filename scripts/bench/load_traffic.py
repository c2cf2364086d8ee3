"""The mixed traffic of the load benchmark: threads that each keep one HTTP connection and
pick a request by weight, paced to a total rate. A thread waits for its answer, so when
answers take longer than a thread's share of the rate the achieved rate (printed per
endpoint) falls below the offered one: add ``--concurrency`` to keep it up.

Requests: ``enqueue`` (POST /commands/add-messages, a batch), ``list`` (GET /messages),
``dashboard`` (GET /admin/api/dashboard), ``open`` (the tracking pixel /t/o/...) and
``click`` (/t/c/...) on messages already sent. Valid tracking links are minted the way a
rendered mail carries them (adapters/tracking.py), with the instance's own key.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from adapters.bootstrap import Container
from scripts.bench.load_cluster import ADMIN

MIX = {"enqueue": 10, "list": 25, "dashboard": 10, "open": 35, "click": 20}
OK = {"enqueue": {200}, "list": {200}, "dashboard": {200}, "open": {200}, "click": {302}}
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in MIX})
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MIX, 0))
    statuses: dict[str, dict[str, int]] = field(default_factory=lambda: {k: {} for k in MIX})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, status: str, ok: bool) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[kind][status] = self.statuses[kind].get(status, 0) + 1
            if not ok:
                self.errors[kind] += 1

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def failed(self) -> int:
        return sum(self.errors.values())


class Targets:
    """Sent messages to open and click: pks from enqueue, minted once they are sent."""

    def __init__(self, container: Container, tenant: str) -> None:
        self.container, self.tenant = container, tenant
        self.pending: deque[str] = deque()
        self.opens: list[str] = []
        self.clicks: list[str] = []
        self.lock = threading.Lock()

    def queued(self, pks: list[str]) -> None:
        with self.lock:
            self.pending.extend(pks)

    def refresh(self, limit: int = 500) -> int:
        """Mint links for pending messages that have been sent since (the rest wait)."""
        with self.lock:
            batch = [self.pending.popleft() for _ in range(min(limit, len(self.pending)))]
        if not batch:
            return 0
        from uuid import UUID

        found = self.container.sending.get_messages([UUID(pk) for pk in batch])
        sent = {str(m.id) for m in found if m.sent_ts is not None}
        links = self.container.tracking
        opens, clicks = [], []
        for pk in sent:
            opens.append(f"/t/o/{pk}.{links.open_sig(self.tenant, pk)}.png")
            links.remember(pk, {"l1": f"https://shop.example/p/{pk[:8]}"})
            clicks.append(f"/t/c/{pk}/l1/{links.click_sig(self.tenant, pk, 'l1')}")
        with self.lock:
            self.opens += opens
            self.clicks += clicks
            self.pending.extend(pk for pk in batch if pk not in sent)
        return len(sent)

    def pick(self, kind: str, rng: random.Random) -> str | None:
        with self.lock:
            pool = self.opens if kind == "open" else self.clicks
            return rng.choice(pool) if pool else None


class Traffic:
    def __init__(self, base_url: str, tenant_key: str, targets: Targets, *, rate: float,
                 concurrency: int, batch: int, mix: dict[str, int] | None = None) -> None:
        self.base_url, self.key, self.targets = base_url, tenant_key, targets
        self.rate, self.concurrency, self.batch = rate, concurrency, batch
        self.mix = mix or MIX
        self.stats = Stats()
        self.stop = threading.Event()
        self._seq = 0
        self._seq_lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for n in range(self.concurrency):
            thread = threading.Thread(target=self._run, args=(n,), name=f"load-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def join(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _run(self, n: int) -> None:
        rng = random.Random(n)
        interval = self.concurrency / self.rate  # each thread's share of the total rate
        kinds, weights = list(self.mix), list(self.mix.values())
        due = time.monotonic() + rng.random() * interval
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            while not self.stop.is_set():
                wait = due - time.monotonic()
                if wait > 0 and self.stop.wait(wait):
                    return
                due = max(due + interval, time.monotonic() - interval)  # no burst after a stall
                kind = rng.choices(kinds, weights)[0]
                self._one(http, kind, rng)

    def _one(self, http: httpx.Client, kind: str, rng: random.Random) -> None:
        request = self._request(kind, rng)
        if request is None:
            return  # nothing sent yet to open or click
        started = time.perf_counter()
        try:
            answer = request(http)
            status, ok = str(answer.status_code), answer.status_code in OK[kind]
        except httpx.HTTPError as exc:
            answer, status, ok = None, type(exc).__name__, False
        self.stats.add(kind, time.perf_counter() - started, status, ok)
        if kind == "enqueue" and answer is not None and ok:
            self.targets.queued([a["pk"] for a in answer.json().get("accepted", [])])

    def _request(self, kind: str, rng: random.Random) -> Callable[[httpx.Client], httpx.Response] | None:
        tenant = {"X-API-Token": self.key}
        if kind == "enqueue":
            body = {"messages": [self._message() for _ in range(self.batch)]}
            return lambda http: http.post("/commands/add-messages", json=body, headers=tenant)
        if kind == "list":
            return lambda http: http.get("/messages", params={"limit": 50}, headers=tenant)
        if kind == "dashboard":
            admin = {"X-API-Token": ADMIN, "X-Tenant-Id": "acme"}
            return lambda http: http.get("/admin/api/dashboard", params={"window": "24h"}, headers=admin)
        path = self.targets.pick(kind, rng)
        if path is None:
            return None
        return lambda http: http.get(path, headers={"User-Agent": BROWSER}, follow_redirects=False)

    def _message(self) -> dict[str, object]:
        with self._seq_lock:
            self._seq += 1
            n = self._seq
        return {"id": f"load-{n}", "account_id": "sink", "from": "news@acme.test",
                "to": f"user{n % 5000}@dest.test", "subject": f"load {n}", "text": "hello " * 40,
                "html": f'<p>hello</p><a href="https://shop.example/p/{n}">shop</a>'}
