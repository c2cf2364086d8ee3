"""``SqlDispatchStore``: the ``ClaimStore`` port on the view database (ADR 0007).

A claim is one transaction: ready candidates from the ``messages`` view (PostgreSQL locks
them with ``SKIP LOCKED`` so dispatchers split the queue; SQLite's ``BEGIN IMMEDIATE``
serialises claims), then the limiter rows of every scope involved are locked in order, the
windows and leases counted in one statement, the plan applied and the leases inserted. The
expired leases of the claimed rows are settled into their windows and deleted first (ADR
0033); the insert is then the arbiter: a row still there is live and never taken over, and
RETURNING says which leases this transaction won.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from adapters import dispatch_sql as q
from application.sending.dispatch_plan import (
    Candidate,
    Plan,
    Usage,
    account_scope,
    count_usage,
    plan_claim,
    room,
    tenant_scope,
)
from application.sending.ports import Claim, ClaimBatch, DispatchLimits, Finished, RateLimited
from domain.sending.limits import WINDOWS, window_start
from projections.sql import SqlDatabase, SqlTx

EMPTY = ClaimBatch([], [], [])
ROUNDS = 4  # candidate queries per claim: later rounds look past accounts that are already full
CHUNK = 200  # rows per multi-row statement


class SqlDispatchStore:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def create(self) -> None:
        with self.db.transaction() as tx:
            for statement in q.ddl(self.db.dialect):
                tx.execute(statement)

    # --- claim ----------------------------------------------------------------------------
    def claim(self, now: float, worker_id: str, lease_seconds: float, priorities: Sequence[int],
              limits_of: Callable[[str, str], DispatchLimits], max_total: int) -> ClaimBatch:
        with self.db.transaction() as tx:
            rows = self._candidates(tx, now, list(priorities), limits_of, max_total)
            if not rows:
                return EMPTY
            closed = self._lock_limiters(tx, rows, limits_of, now)
            pks = [c.pk for c in rows]
            listed = q.bind(self.db.dialect, pks)
            blocked = {r[0] for r in tx.execute(q.still_blocked(self.db.dialect, pks),
                                                (now, *listed, now, *listed))}
            usage = self._usage(tx, rows, limits_of, now)
            plan = plan_claim([c for c in rows if c.pk not in blocked], limits_of, usage, closed, now)
            return self._apply(tx, plan, now, worker_id, lease_seconds)

    def _candidates(self, tx: SqlTx, now: float, priorities: list[int],
                    limits_of: Callable[[str, str], DispatchLimits], max_total: int) -> list[Candidate]:
        """Up to ``max_total`` ready rows, at most an account's room from each account. A
        backlog of one account must not hide the next account's mail: once an account is full,
        the next round asks again without it."""
        closed = [r[0] for r in tx.execute(f"SELECT scope FROM {q.LIMITERS} WHERE closed_until > ?", (now,))]
        live = {(t, a): int(n) for t, a, n in tx.execute(
            f"SELECT tenant_id, account_id, COUNT(*) FROM {q.LEASES} WHERE lease_until > ? "
            "GROUP BY tenant_id, account_id", (now,))}
        skip_accounts = [s for s in closed if s.startswith("account:")]
        skip_accounts += [account_scope(*key) for key, n in live.items() if room(limits_of(*key), n) == 0]
        skip_tenants = [s for s in closed if s.startswith("tenant:")]
        picked: list[Candidate] = []
        seen: list[str] = []
        dialect = self.db.dialect
        for _ in range(ROUNDS):
            sql = q.candidates(dialect, priorities, seen, skip_accounts, skip_tenants)
            skips = [p for values in (seen, skip_accounts, skip_tenants) if values
                     for p in q.bind(dialect, values)]
            params = (*q.bind(dialect, priorities), now, now, now, now, *skips, max_total)
            got = [Candidate(*r) for r in tx.execute(sql, params)]
            seen += [c.pk for c in got]
            full = self._pick(got, picked, limits_of, live)
            if len(got) < max_total or len(picked) >= max_total or not full:
                break
            skip_accounts += full
        return sorted(picked, key=lambda c: (c.priority, c.accepted_ts, c.seq or 0, c.pk))[:max_total]

    @staticmethod
    def _pick(got: list[Candidate], picked: list[Candidate], limits_of: Callable[[str, str], DispatchLimits],
              live: dict[tuple[str, str], int]) -> list[str]:
        """Add each account's rows up to its room; return the account scopes now full."""
        per_account: dict[tuple[str, str], int] = {}
        for c in picked:
            per_account[c.account] = per_account.get(c.account, 0) + 1
        full: list[str] = []
        for c in got:
            space = room(limits_of(*c.account), live.get(c.account, 0))
            have = per_account.get(c.account, 0)
            if have < space:
                picked.append(c)
                per_account[c.account] = have + 1
            elif account_scope(*c.account) not in full:
                full.append(account_scope(*c.account))
        return full

    def _lock_limiters(self, tx: SqlTx, rows: list[Candidate],
                       limits_of: Callable[[str, str], DispatchLimits], now: float) -> dict[str, float]:
        """Serialise check-and-reserve per scope: every account involved (its concurrency is
        cluster-wide) and every scope with a limit. Returns the scopes closed now."""
        scopes = {account_scope(*c.account) for c in rows}
        for key in {c.account for c in rows}:
            scopes.update(limit.scope for limit in limits_of(*key).limits)
        ordered = sorted(scopes)
        create, select = q.lock_limiters(self.db.dialect, ordered)
        tx.execute(create, q.bind_rows(self.db.dialect, [(scope, 0.0) for scope in ordered]))
        locked = tx.execute(select, q.bind(self.db.dialect, ordered))
        return {scope: float(until) for scope, until in locked if until > now}

    def _usage(self, tx: SqlTx, rows: list[Candidate], limits_of: Callable[[str, str], DispatchLimits],
               now: float) -> Usage:
        scopes = sorted({lim.scope for key in {c.account for c in rows} for lim in limits_of(*key).limits})
        tenants = sorted({c.tenant_id for c in rows})
        day = window_start("day", now)
        dialect, scopes = self.db.dialect, scopes or [""]
        found = tx.execute(q.usage(dialect, scopes, tenants),
                           (*q.bind(dialect, scopes), day, now, *q.bind(dialect, tenants)))
        windows = [(s, w, float(start), int(n)) for s, w, start, n, t, _ in found if t is None]
        leases = [(t, a, float(start)) for s, _w, start, n, t, a in found if t is not None and n]
        expired = [(t, a, float(start)) for s, _w, start, n, t, a in found if t is not None and not n]
        return count_usage(windows, leases, now, expired)

    def _apply(self, tx: SqlTx, plan: Plan, now: float, worker_id: str, lease_seconds: float) -> ClaimBatch:
        until = now + lease_seconds
        wanted = sorted((v.candidate for v in plan.verdicts if v.action == "claim"), key=lambda c: c.pk)
        won: set[str] = set()
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start:start + CHUNK]
            pks = [c.pk for c in chunk]
            gone = tx.execute(q.drop_expired(self.db.dialect, pks), (*q.bind(self.db.dialect, pks), now))
            self._settle(tx, gone)
            params = q.bind_rows(self.db.dialect, [(c.pk, c.tenant_id, c.account_id, worker_id, until, now,
                                                    c.status, c.attempts, c.deferred_until) for c in chunk])
            won.update(r[0] for r in tx.execute(q.take_leases(self.db.dialect, len(chunk)), params))
        limited = [v for v in plan.verdicts if v.action != "claim"]
        # The dispatcher appends Deferred/Failed for these: until the view shows that, a
        # tombstone keeps the next claim from offering them again.
        self._tombstones(tx, [(v.candidate, until) for v in limited])
        for scope, closed_until in sorted(plan.closes.items()):
            tx.execute(q.close_limiter(), (closed_until, scope, closed_until))
        claimed = [Claim(c.pk, c.tenant_id, c.account_id, until, now) for c in wanted if c.pk in won]
        ordered = {c.pk: i for i, c in enumerate(v.candidate for v in plan.verdicts)}
        claimed.sort(key=lambda c: ordered[c.pk])
        return ClaimBatch(
            claimed=claimed,
            deferred=[_limited(v.candidate, v.until, v.reason) for v in limited if v.action == "defer"],
            rejected=[_limited(v.candidate, None, v.reason) for v in limited if v.action == "reject"],
        )

    def _tombstones(self, tx: SqlTx, rows: list[tuple[Candidate, float]]) -> None:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            params = q.bind_rows(self.db.dialect, [(c.pk, until, c.status, c.attempts, c.deferred_until)
                                                   for c, until in chunk])
            tx.execute(q.tombstones(self.db.dialect, len(chunk)), params)

    # --- finish and purge -----------------------------------------------------------------
    def finish(self, worker_id: str, outcomes: Sequence[Finished]) -> None:
        """Release this worker's leases (those still its own); count the sent ones in the
        windows of the minute, hour and day they were claimed in."""
        if not outcomes:
            return
        wanted = {o.pk: o for o in outcomes}
        pks = sorted(wanted)
        with self.db.transaction() as tx:
            rows = tx.execute(q.own_leases(self.db.dialect, pks), (worker_id, *q.bind(self.db.dialect, pks)))
            owned = [r for r in rows if float(r[1]) == wanted[r[0]].claimed_ts]
            if not owned:
                return
            gone = [r[0] for r in owned]
            tx.execute(q.delete_leases(self.db.dialect, gone), q.bind(self.db.dialect, gone))
            self._tombstones(tx, [(_seen(r), float(r[4])) for r in owned])
            self._settle(tx, [(r[2], r[3], r[1]) for r in owned if wanted[r[0]].sent])

    @staticmethod
    def _settle(tx: SqlTx, leases: Sequence[Sequence[Any]]) -> None:
        """Count these (tenant, account, claimed_ts) leases as sent in their windows: sent ones
        from ``finish``, and expired ones, which might have sent before their worker died (so a
        window never takes more than its limit; an unsent one costs a slot, never a breach)."""
        sent: dict[tuple[str, str, float], int] = {}
        for tenant_id, account_id, claimed_ts in leases:
            for key in _windows_of(tenant_id, account_id, float(claimed_ts)):
                sent[key] = sent.get(key, 0) + 1
        if sent:
            tx.executemany(q.count_sent(), [(*key, n) for key, n in sorted(sent.items())])

    def purge(self, now: float) -> None:
        """Settle expired leases into their windows; drop caught-up tombstones and windows
        older than yesterday."""
        expired, caught_up, windows = q.purge(self.db.dialect)
        with self.db.transaction() as tx:
            self._settle(tx, tx.execute(expired, (now,)))
            tx.execute(caught_up, (now,))
            tx.execute(windows, (window_start("day", now) - 86400,))


def _limited(c: Candidate, until: float | None, reason: str) -> RateLimited:
    return RateLimited(c.pk, c.tenant_id, c.account_id, until, reason)


def _seen(row: Sequence[Any]) -> Candidate:
    pk, _claimed, tenant_id, account_id, _until, status, attempts, deferred = row
    return Candidate(pk, tenant_id, account_id, status, int(attempts), deferred, 0, 0.0)


def _windows_of(tenant_id: str, account_id: str, claimed_ts: float) -> list[tuple[str, str, float]]:
    scopes = (account_scope(tenant_id, account_id), tenant_scope(tenant_id))
    return [(scope, w, window_start(w, claimed_ts)) for scope in scopes for w in WINDOWS]

