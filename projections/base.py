"""The read-model triple: a view (tables + queries), its SQL backend, and a projection.

A projection maps a *page* of events to view writes. The runner commits those writes and
the view's tracking position in one transaction, so a view is exactly-once and resumes
after a crash; ``rebuild`` drops it and replays from position 0 to the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

import msgspec

from domain.model import DomainEvent
from projections.sql import SqlDatabase, SqlTx

TRACKING_TABLE = "ledgermail_tracking"


class Recorded(msgspec.Struct, frozen=True):
    """An event as a projection sees it: which application log, which position."""

    application: str
    position: int
    event: DomainEvent
    pk: str  # the aggregate id as text, ``str(event.originator_id)`` made once for every view


class View:
    """Tables of one read model plus its tracking rows. ``prefix`` makes scratch copies."""

    NAME: ClassVar[str] = ""
    TABLES: ClassVar[tuple[str, ...]] = ()

    def __init__(self, db: SqlDatabase, *, prefix: str = "") -> None:
        self.db = db
        self.prefix = prefix
        # False: ``create`` leaves out the non-unique indexes. A rebuild's scratch copy: the swap
        # builds the live view's indexes anyway, once, instead of each upsert keeping them.
        self.secondary_indexes = True

    @property
    def name(self) -> str:
        return f"{self.prefix}{self.NAME}"

    def t(self, table: str) -> str:
        return f"{self.prefix}{table}"

    def ddl(self) -> list[str]:
        """CREATE TABLE statements for this view's tables (use ``self.t`` for names)."""
        raise NotImplementedError

    def index_ddl(self) -> list[str]:
        """CREATE INDEX statements; index names must come from ``self.t`` too."""
        return []

    def index_names(self) -> list[str]:
        return [s.split(" ON ")[0].split()[-1] for s in self.index_ddl()]

    def create(self, tx: SqlTx | None = None) -> None:
        if tx is None:
            with self.db.transaction() as wtx:
                return self.create(wtx)
        create_tracking_table(tx)
        indexes = [s for s in self.index_ddl() if self.secondary_indexes or " UNIQUE " in f" {s.upper()} "]
        for statement in [*self.ddl(), *indexes]:
            tx.execute(statement)
        return None

    def drop(self, tx: SqlTx | None = None) -> None:
        if tx is None:
            with self.db.transaction() as wtx:
                return self.drop(wtx)
        create_tracking_table(tx)
        for table in self.TABLES:
            tx.execute(f"DROP TABLE IF EXISTS {self.t(table)}")
        tx.execute(f"DELETE FROM {TRACKING_TABLE} WHERE view = ?", (self.name,))
        return None

    def replace_with(self, scratch: View) -> None:
        """Swap a fully built scratch copy in for this view, atomically."""
        with self.db.transaction() as tx:
            # Take the view's tracking rows first, as a projection commit does, before the DDL
            # takes its table locks: the same order both ways, so the two cannot deadlock.
            self.positions(tx, lock=True)
            self.drop(tx)
            for table in self.TABLES:
                tx.execute(f"ALTER TABLE {scratch.t(table)} RENAME TO {self.t(table)}")
            for index in scratch.index_names():
                tx.execute(f"DROP INDEX IF EXISTS {index}")
            for statement in self.index_ddl():
                tx.execute(statement)
            tx.execute(
                f"UPDATE {TRACKING_TABLE} SET view = ? WHERE view = ?", (self.name, scratch.name)
            )

    def positions(self, tx: SqlTx | None = None, *, lock: bool = False) -> dict[str, int]:
        if tx is None:
            with self.db.transaction(write=False) as rtx:
                return self.positions(rtx)
        lock_sql = " FOR UPDATE" if lock and self.db.dialect == "postgresql" else ""
        rows = tx.execute(
            f"SELECT application, position FROM {TRACKING_TABLE} WHERE view = ?{lock_sql}",
            (self.name,),
        )
        return {app: int(pos) for app, pos in rows}

    def set_position(self, tx: SqlTx, application: str, position: int) -> None:
        tx.execute(
            f"INSERT INTO {TRACKING_TABLE} (view, application, position) VALUES (?, ?, ?) "
            "ON CONFLICT (view, application) DO UPDATE SET position = excluded.position",
            (self.name, application, position),
        )

    def rows(self, tx: SqlTx) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, in a stable order: what ``--verify`` compares."""
        out = {}
        for table in self.TABLES:
            got = tx.execute(f"SELECT * FROM {self.t(table)}")
            out[table] = sorted(got, key=lambda row: tuple(map(repr, row)))
        return out


def create_tracking_table(tx: SqlTx) -> None:
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {TRACKING_TABLE} ("
        "view TEXT NOT NULL, application TEXT NOT NULL, position BIGINT NOT NULL, "
        "PRIMARY KEY (view, application))"
    )


TView = TypeVar("TView", bound=View)


class Projection(Generic[TView]):
    """Maps pages of events from the named applications to writes on one view."""

    VIEW: ClassVar[type[View]]
    FOLLOWS: ClassVar[tuple[str, ...]] = ()
    TOPICS: ClassVar[frozenset[str] | None] = None  # None: every topic

    def __init__(self, view: TView) -> None:
        self.view = view

    @property
    def name(self) -> str:
        return self.view.name

    def wants(self, topic: str) -> bool:
        return self.TOPICS is None or topic.partition("#")[0] in self.TOPICS

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        raise NotImplementedError
