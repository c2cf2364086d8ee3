"""The chaos run (issue #12): messages enqueued over HTTP while every role is killed with -9,
PostgreSQL is restarted, the SMTP sink flaps, stalls and answers 4xx, and the client's sync
endpoint is down for the middle third of the run.

Faults fire at seeded points of the run's progress (the share of messages at the SMTP sink,
or finished), so a seed replays the same plan. Time is the shared fake clock: when
no event is appended and no mail arrives for ``STALL`` seconds of real time (leases of killed
dispatchers, retry delays, a closed rate-limit window, the reporter's backoff), the run
advances it a minute.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import httpx
import msgspec
import psycopg

from adapters.bootstrap import Container
from tests.support.chaos_fleet import Fleet
from tests.support.client_app import Answer, ClientApp
from tests.support.smtp_sink import SmtpSink

STALL = 1.5  # real seconds without a new event or mail before the fake clock moves on
ADVANCE = 61.0
BATCH = 100
ACTIVE = ("pending", "deferred", "sending")
EARLIER = ("already_sent", "in_progress")  # rejections of an id that is already accepted


def message(i: int) -> dict[str, Any]:
    return {"id": f"c{i}", "account_id": "smtp1", "from": "a@acme.test", "to": f"u{i}@dest.test",
            "subject": f"chaos {i}", "body": "b"}


class Fault(msgspec.Struct):
    at: float  # share of the messages at the sink or finished (of those enqueued, for the api kill)
    name: str
    done: bool = False


def plan(seed: int) -> list[Fault]:
    """Where each fault fires: every role killed once, one database restart, three sink moods."""
    rng = random.Random(seed)
    faults = [Fault(rng.uniform(0.1, 0.9), f"kill:{role}")
              for role in ("dispatch-a", "dispatch-b", "project")]
    # early: a dead reporter's tenant lease runs 120 s of wall time, best spent while sending
    faults.append(Fault(rng.uniform(0.1, 0.4), "kill:report"))
    faults += [Fault(rng.uniform(0.25, 0.75), "kill:api"), Fault(rng.uniform(0.3, 0.7), "restart:postgres"),
               Fault(rng.uniform(0.05, 0.3), "smtp:flap"), Fault(rng.uniform(0.3, 0.6), "smtp:4xx"),
               Fault(rng.uniform(0.5, 0.8), "smtp:stall"),
               Fault(1 / 3, "client:down"), Fault(2 / 3, "client:up")]
    return sorted(faults, key=lambda f: f.at)


class ChaosRun:
    def __init__(self, container: Container, fleet: Fleet, sink: SmtpSink, client: ClientApp,
                 restart_db: Callable[[], None], *, size: int, seed: int, api_key: str,
                 verbose: bool = False) -> None:
        self.c, self.fleet, self.sink, self.client = container, fleet, sink, client
        self.restart_db = restart_db
        self.size, self.seed = size, seed
        self.faults = plan(seed)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{fleet.api_port}", timeout=15,
                                 headers={"X-API-Token": api_key})
        self.accepted: set[str] = set()
        self.posted = 0  # messages whose batch got a 200
        self.log: list[str] = []
        self.advances = 0
        self.t0 = time.monotonic()
        self._shown = self.t0
        self.verbose = verbose

    # --- the loop -----------------------------------------------------------------------------
    def run(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_progress, last_mark = time.monotonic(), (-1, -1, -1)
        while True:
            self._enqueue_one()
            counts = self._counts()
            # a message that failed for good never reaches the sink: count it as progress too
            self._fire(min(1.0, max(len(self.sink.messages), self._done(counts)) / self.size))
            for name in self.fleet.reap():
                self._note(f"{name} exited on its own; restarted")
            # any appended event (a claim, an outcome, an acknowledgement) or mail is progress:
            # the clock moves only when nothing is in flight but what dead processes left
            mark = (self.posted, self._position(), len(self.sink.messages))
            self._show(counts)
            if mark != last_mark:
                last_progress, last_mark = time.monotonic(), mark
            if self._finished(counts):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"chaos run not finished after {timeout:g} s: posted {self.posted}, "
                                     f"view {counts}\nlog: {self.log}\n{self.fleet.logs()}")
            if time.monotonic() - last_progress > STALL:
                self._advance()
                last_progress = time.monotonic()
            time.sleep(0.1)

    def _finished(self, counts: dict[str, int]) -> bool:
        """Everything posted, nothing waiting or in flight, every report acknowledged."""
        return (self.posted >= self.size and counts.get("active", 1) == 0 and counts.get("unacked", 1) == 0
                and self._done(counts) >= len(self.accepted))

    def _show(self, counts: dict[str, int]) -> None:
        if self.verbose and time.monotonic() - self._shown > 5:
            self._shown = time.monotonic()
            print(f"{self._shown - self.t0:6.1f}s posted {self.posted} sink {len(self.sink.messages)} "
                  f"view {counts} advances {self.advances}", flush=True)

    def _note(self, text: str) -> None:
        if self.log and self.log[-1].endswith(text):
            return  # the same trouble again (an api restarting): once is enough
        self.log.append(f"{time.monotonic() - self.t0:6.1f}s {text}")

    def _advance(self) -> None:
        try:
            assert self.c.fake_clock is not None
            self.c.fake_clock.advance(ADVANCE)
            self.advances += 1
        except psycopg.Error as exc:
            self._note(f"clock advance failed ({type(exc).__name__}); next time")

    # --- enqueue over HTTP ----------------------------------------------------------------------
    def _enqueue_one(self) -> None:
        if self.posted >= self.size:
            return
        batch = [message(i) for i in range(self.posted, min(self.size, self.posted + BATCH))]
        try:
            answer = self.http.post("/commands/add-messages", json={"messages": batch})
        except httpx.HTTPError as exc:
            self._note(f"enqueue at {self.posted}: {type(exc).__name__}; retried")
            return
        if answer.status_code != 200:
            self._note(f"enqueue at {self.posted}: {answer.status_code}; retried")
            return
        body = answer.json()
        self.accepted.update(a["id"] for a in body["accepted"])
        # a batch re-sent after a lost answer: its ids were accepted the first time
        self.accepted.update(r["id"] for r in body["rejected"] if r["reason"] in EARLIER)
        self.posted += len(batch)

    # --- progress, from the views (the verdict reads the event store) ---------------------------
    def _counts(self) -> dict[str, int]:
        try:
            with self.c.db.transaction(write=False) as tx:
                rows = tx.execute("SELECT status, COUNT(*) FROM messages GROUP BY status")
                unacked = tx.execute("SELECT COUNT(*) FROM report_items WHERE acked = 0")
        except psycopg.Error:
            return {}
        counts = {str(status): int(n) for status, n in rows}
        counts["active"] = sum(counts.get(s, 0) for s in ACTIVE)
        counts["unacked"] = int(unacked[0][0])
        return counts

    def _position(self) -> int:
        try:
            return self.c.sending.max_position()
        except Exception:  # the database is restarting: no progress to see
            return -1

    @staticmethod
    def _done(counts: dict[str, int]) -> int:
        return sum(n for s, n in counts.items() if s not in (*ACTIVE, "active", "unacked", "rejected"))

    # --- faults ---------------------------------------------------------------------------------
    def _fire(self, done_share: float) -> None:
        enqueue_share = self.posted / self.size
        for fault in self.faults:
            share = enqueue_share if fault.name == "kill:api" else done_share
            if fault.done or share < fault.at:
                continue
            fault.done = True
            self._note(f"{fault.name} at {share:.2f}")
            kind, _, what = fault.name.partition(":")
            if kind == "kill":
                self.fleet.kill(what)
            elif kind == "restart":
                self.restart_db()
            elif kind == "smtp":
                self._smtp(what)
            elif fault.name == "client:down":
                self.client.default = Answer(status=503, body={"ok": False})
            else:
                self.client.default = Answer()

    def _smtp(self, mood: str) -> None:
        if mood == "flap":  # connections dropped at MAIL: resets, as a flapping server gives
            self.sink.drop("MAIL", times=40)
        elif mood == "4xx":
            self.sink.reply("DATA", "451 4.3.0 try again later", times=60)
        else:
            self.sink.stall("DATA", seconds=2.0, times=12)

    def sink_copies(self) -> dict[str, list[str]]:
        copies: dict[str, list[str]] = {}
        for received in list(self.sink.messages):
            headers = received.message
            copies.setdefault(str(headers["X-Ledgermail-Id"]), []).append(str(headers["Message-ID"]))
        return copies
