"""``SqlMailboxProgress``: how far the bounce poller got in each mailbox, and how its polls
went (proxy.md §10.1: "persists progress per message"; errors are counted).

Coordination state like the dispatch leases: one row per mailbox (host, port, user,
folder), created by migrate, never rebuilt. ``/metrics`` reads the counters from here, so
every process shows the same numbers whichever one polls.
"""

from __future__ import annotations

import time

import msgspec

from projections.sql import SqlDatabase, SqlTx

TABLE = "bounce_mailboxes"


class MailboxState(msgspec.Struct, frozen=True):
    mailbox: str
    uidvalidity: int | None
    last_uid: int
    polls: int
    errors: int
    processed: int
    last_error: str | None
    last_poll_ts: float | None


class SqlMailboxProgress:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def create(self) -> None:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        with self.db.transaction() as tx:
            tx.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (mailbox TEXT PRIMARY KEY, uidvalidity BIGINT, "
                       "last_uid BIGINT NOT NULL, polls BIGINT NOT NULL, errors BIGINT NOT NULL, "
                       f"processed BIGINT NOT NULL, last_error TEXT, last_poll_ts {real})")

    def _ensure(self, tx: SqlTx, mailbox: str) -> None:
        tx.execute(f"INSERT INTO {TABLE} (mailbox, uidvalidity, last_uid, polls, errors, processed) "
                   "VALUES (?, NULL, 0, 0, 0, 0) ON CONFLICT (mailbox) DO NOTHING", (mailbox,))

    def load(self, mailbox: str) -> tuple[int | None, int]:
        """(UIDVALIDITY, last UID processed) as last saved; (None, 0) for a new mailbox."""
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"SELECT uidvalidity, last_uid FROM {TABLE} WHERE mailbox = ?", (mailbox,))
        if not rows:
            return None, 0
        validity, last = rows[0]
        return (int(validity) if validity is not None else None), int(last)

    def advance(self, mailbox: str, uidvalidity: int, last_uid: int) -> None:
        """One message is done (its events saved, its \\Seen flag set)."""
        with self.db.transaction() as tx:
            self._ensure(tx, mailbox)
            tx.execute(f"UPDATE {TABLE} SET uidvalidity = ?, last_uid = ?, processed = processed + 1 "
                       "WHERE mailbox = ?", (uidvalidity, last_uid, mailbox))

    def restart(self, mailbox: str, uidvalidity: int) -> None:
        """A new UIDVALIDITY: every UID means another message now; start again from UID 1."""
        with self.db.transaction() as tx:
            self._ensure(tx, mailbox)
            tx.execute(f"UPDATE {TABLE} SET uidvalidity = ?, last_uid = 0 WHERE mailbox = ?",
                       (uidvalidity, mailbox))

    def polled(self, mailbox: str, error: str | None) -> None:
        with self.db.transaction() as tx:
            self._ensure(tx, mailbox)
            tx.execute(f"UPDATE {TABLE} SET polls = polls + 1, errors = errors + ?, last_error = ?, "
                       "last_poll_ts = ? WHERE mailbox = ?",
                       (1 if error else 0, error, round(time.time(), 3), mailbox))

    def states(self) -> list[MailboxState]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"SELECT mailbox, uidvalidity, last_uid, polls, errors, processed, last_error, "
                              f"last_poll_ts FROM {TABLE} ORDER BY mailbox")
        return [MailboxState(*row) for row in rows]
