"""The SQL of the dispatcher's coordination tables (ADR 0007), written once for both dialects.

``dispatch_leases``   one row per message a worker holds (live until ``lease_until``), with
                      the ``messages`` row's fingerprint (status, attempts, deferred_until)
                      as the claim saw it.
``dispatch_finished`` a released lease, kept while the ``messages`` view has not yet caught
                      up with what the worker appended (its row still shows that fingerprint).
``dispatch_limiters`` one row per rate-limit scope: the row lock that serialises
                      check-and-reserve, and ``closed_until`` for a ``defer`` limit that is full.
``dispatch_windows``  messages sent per scope and aligned window.

These are not read models: nothing rebuilds them, ``migrate`` creates them once.
"""

from __future__ import annotations

from collections.abc import Sequence

LEASES, FINISHED, LIMITERS, WINDOWS = "dispatch_leases", "dispatch_finished", "dispatch_limiters", \
    "dispatch_windows"

# The fingerprint of the messages row, compared NULL-safely: a tombstone blocks a message only
# while the view still shows the row as it was when the lease was taken.
_SAME_ROW = ("{t}.seen_status = m.status AND {t}.seen_attempts = m.attempts "
             "AND COALESCE({t}.seen_deferred, -1) = COALESCE(m.deferred_until, -1)")


def ddl(dialect: str) -> list[str]:
    real = "DOUBLE PRECISION" if dialect == "postgresql" else "REAL"
    seen = f"seen_status TEXT NOT NULL, seen_attempts INTEGER NOT NULL, seen_deferred {real}"
    return [
        f"CREATE TABLE IF NOT EXISTS {LEASES} (pk TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, "
        f"account_id TEXT NOT NULL, worker_id TEXT NOT NULL, lease_until {real} NOT NULL, "
        f"claimed_ts {real} NOT NULL, {seen})",
        f"CREATE INDEX IF NOT EXISTS {LEASES}_tenant ON {LEASES} (tenant_id, account_id)",
        f"CREATE TABLE IF NOT EXISTS {FINISHED} (pk TEXT PRIMARY KEY, until {real} NOT NULL, {seen})",
        f"CREATE TABLE IF NOT EXISTS {LIMITERS} (scope TEXT PRIMARY KEY, closed_until {real} NOT NULL)",
        f'CREATE TABLE IF NOT EXISTS {WINDOWS} (scope TEXT NOT NULL, "window" TEXT NOT NULL, '
        f'start {real} NOT NULL, sent INTEGER NOT NULL, PRIMARY KEY (scope, "window", start))',
    ]


def marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


# Lists and rows as parameters. On PostgreSQL a list is one array parameter and rows are
# column arrays through ``unnest``, so a statement's text is the same for any number of
# values: psycopg converts it once (statements of over 4 KiB it re-parses on every call)
# and the server prepares it. SQLite takes one mark per value, as it always did.
def member(dialect: str, expr: str, values: Sequence[object], *, negate: bool = False) -> str:
    """``expr`` is (``negate``: is not) one of ``values``; bind them with ``bind``."""
    if dialect == "postgresql":
        return f"{expr} <> ALL(?)" if negate else f"{expr} = ANY(?)"
    return f"{expr} {'NOT IN' if negate else 'IN'} ({marks(values)})"


def bind(dialect: str, values: Sequence[object]) -> list[object]:
    return [list(values)] if dialect == "postgresql" else list(values)


def rows_from(dialect: str, casts: Sequence[str], rows: int) -> str:
    """The source of a multi-row INSERT of ``rows`` rows (``casts``: PostgreSQL element types
    of the columns); bind the rows with ``bind_rows``."""
    if dialect == "postgresql":
        return f"SELECT * FROM unnest({', '.join(f'?::{c}[]' for c in casts)})"
    row = f"({marks(casts)})"
    return "VALUES " + ", ".join(row for _ in range(rows))


def bind_rows(dialect: str, rows: Sequence[Sequence[object]]) -> list[object]:
    if dialect == "postgresql":
        return [list(column) for column in zip(*rows, strict=True)]
    return [value for row in rows for value in row]


def candidates(dialect: str, priorities: Sequence[int], skip_pks: Sequence[str],
               skip_accounts: Sequence[str], skip_tenants: Sequence[str]) -> str:
    """Ready messages in queue order (spec §6.1). Parameters: the priorities, now (four
    times), the pks, account scopes and tenant scopes to leave out (each list bound with
    ``bind``, an empty one not at all), then the limit."""
    where = [
        "m.held_by IS NULL",
        "m.status IN ('pending', 'deferred', 'sending')",  # lets the view's partial index serve
        member(dialect, "m.priority", priorities),
        "((m.status IN ('pending', 'deferred') AND m.ready_ts <= ?) "
        "OR (m.status = 'sending' AND m.lease_until <= ?))",
        f"NOT EXISTS (SELECT 1 FROM {LEASES} l WHERE l.pk = m.pk AND l.lease_until > ?)",
        f"NOT EXISTS (SELECT 1 FROM {FINISHED} f WHERE f.pk = m.pk AND f.until > ? "
        f"AND {_SAME_ROW.format(t='f')})",
    ]
    if skip_pks:
        where.append(member(dialect, "m.pk", skip_pks, negate=True))
    if skip_accounts:
        where.append(member(dialect, "('account:' || m.tenant_id || '/' || m.account_id)", skip_accounts,
                            negate=True))
    if skip_tenants:
        where.append(member(dialect, "('tenant:' || m.tenant_id)", skip_tenants, negate=True))
    # PostgreSQL: rows another dispatcher is claiming right now are skipped, not waited for,
    # so several processes split the queue. SQLite: BEGIN IMMEDIATE already serialises claims.
    lock = " FOR UPDATE OF m SKIP LOCKED" if dialect == "postgresql" else ""
    return ("SELECT m.pk, m.tenant_id, m.account_id, m.status, m.attempts, m.deferred_until, "
            "m.priority, m.accepted_ts, m.seq "
            f"FROM messages m WHERE {' AND '.join(where)} "
            f"ORDER BY m.priority, m.accepted_ts, m.seq, m.pk LIMIT ?{lock}")


def still_blocked(dialect: str, pks: Sequence[str]) -> str:
    """Of these candidates, the ones leased or finished since the candidate query's snapshot
    (parameters: now and the pks, twice). Run after the limiter locks: a fresh snapshot."""
    return (f"SELECT l.pk FROM {LEASES} l WHERE l.lease_until > ? AND {member(dialect, 'l.pk', pks)} "
            f"UNION SELECT f.pk FROM {FINISHED} f JOIN messages m ON m.pk = f.pk "
            f"WHERE f.until > ? AND {member(dialect, 'f.pk', pks)} AND {_SAME_ROW.format(t='f')}")


def lock_limiters(dialect: str, scopes: Sequence[str]) -> tuple[str, str]:
    """Create the scopes' limiter rows if new (rows of (scope, 0.0), bound with ``bind_rows``),
    then lock them in scope order (no deadlocks; the scopes bound with ``bind``)."""
    source = rows_from(dialect, ["text", "float8"], len(scopes))
    create = f"INSERT INTO {LIMITERS} (scope, closed_until) {source} ON CONFLICT (scope) DO NOTHING"
    lock = " FOR UPDATE" if dialect == "postgresql" else ""
    select = (f"SELECT scope, closed_until FROM {LIMITERS} WHERE {member(dialect, 'scope', scopes)} "
              f"ORDER BY scope{lock}")
    return create, select


def usage(dialect: str, scopes: Sequence[str], tenants: Sequence[str]) -> str:
    """One statement, so one snapshot: windows and leases are never counted half-way through a
    ``finish`` that moves a lease into its window. Every lease row counts (the fourth column
    says whether it is live): an expired one may have sent before its worker died, and counts
    until a purge or a takeover settles it into its windows. Parameters: scopes, the day's
    start, now, tenants."""
    return (f'SELECT scope, "window", start, sent, CAST(NULL AS TEXT), CAST(NULL AS TEXT) FROM {WINDOWS} '
            f"WHERE {member(dialect, 'scope', scopes)} AND start >= ? "
            "UNION ALL SELECT CAST(NULL AS TEXT), CAST(NULL AS TEXT), claimed_ts, "
            "CASE WHEN lease_until > ? THEN 1 ELSE 0 END, tenant_id, account_id "
            f"FROM {LEASES} WHERE {member(dialect, 'tenant_id', tenants)}")


def take_leases(dialect: str, rows: int) -> str:
    """Insert leases (rows of 9, bound with ``bind_rows``). A claim settles and deletes the
    expired leases of its rows first (``drop_expired``), so a row still there is live: never
    taken over. RETURNING says which ones this transaction won."""
    casts = ["text", "text", "text", "text", "float8", "float8", "text", "int4", "float8"]
    cols = ("pk", "tenant_id", "account_id", "worker_id", "lease_until", "claimed_ts", "seen_status",
            "seen_attempts", "seen_deferred")
    return (f"INSERT INTO {LEASES} ({', '.join(cols)}) {rows_from(dialect, casts, rows)} "
            "ON CONFLICT (pk) DO NOTHING RETURNING pk")


def tombstones(dialect: str, rows: int) -> str:
    """Rows of 5 (pk, until and the fingerprint), bound with ``bind_rows``."""
    source = rows_from(dialect, ["text", "float8", "text", "int4", "float8"], rows)
    return (f"INSERT INTO {FINISHED} (pk, until, seen_status, seen_attempts, seen_deferred) "
            f"{source} ON CONFLICT (pk) DO UPDATE SET until = excluded.until, "
            "seen_status = excluded.seen_status, seen_attempts = excluded.seen_attempts, "
            "seen_deferred = excluded.seen_deferred")


def close_limiter() -> str:
    return f"UPDATE {LIMITERS} SET closed_until = ? WHERE scope = ? AND closed_until < ?"


def own_leases(dialect: str, pks: Sequence[str]) -> str:
    """This worker's leases among ``pks``, locked in pk order: claims upsert in pk order too,
    so the two never wait on each other in a cycle (parameters: worker id, then the pks)."""
    lock = " FOR UPDATE" if dialect == "postgresql" else ""
    return (f"SELECT pk, claimed_ts, tenant_id, account_id, lease_until, seen_status, seen_attempts, "
            f"seen_deferred FROM {LEASES} WHERE worker_id = ? AND {member(dialect, 'pk', pks)} "
            f"ORDER BY pk{lock}")


def delete_leases(dialect: str, pks: Sequence[str]) -> str:
    return f"DELETE FROM {LEASES} WHERE {member(dialect, 'pk', pks)}"


def drop_expired(dialect: str, pks: Sequence[str]) -> str:
    """The expired leases of ``pks`` a claim is about to take over, gone, with what their
    windows need (parameters: the pks, now)."""
    return (f"DELETE FROM {LEASES} WHERE {member(dialect, 'pk', pks)} AND lease_until <= ? "
            "RETURNING tenant_id, account_id, claimed_ts")


def count_sent() -> str:
    return (f'INSERT INTO {WINDOWS} (scope, "window", start, sent) VALUES (?, ?, ?, ?) '
            f'ON CONFLICT (scope, "window", start) DO UPDATE SET sent = {WINDOWS}.sent + excluded.sent')


def purge(dialect: str) -> list[str]:
    """Expired leases (returning what their windows need), tombstones the view has caught up
    with (or that expired), and windows older than the day before (parameters: now, now, the
    oldest window start kept). On
    PostgreSQL rows a claim has locked are left for the next purge instead of waited for."""
    skip = " FOR UPDATE SKIP LOCKED" if dialect == "postgresql" else ""
    caught_up = (f"f.until <= ? OR NOT EXISTS (SELECT 1 FROM messages m WHERE m.pk = f.pk "
                 f"AND {_SAME_ROW.format(t='f')})")
    return [
        f"DELETE FROM {LEASES} WHERE pk IN (SELECT pk FROM {LEASES} WHERE lease_until <= ?{skip}) "
        "RETURNING tenant_id, account_id, claimed_ts",
        f"DELETE FROM {FINISHED} WHERE pk IN (SELECT f.pk FROM {FINISHED} f WHERE {caught_up}{skip})",
        f"DELETE FROM {WINDOWS} WHERE start < ?",
    ]
