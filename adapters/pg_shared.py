"""One event-store connection pool for all the applications of a container (PostgreSQL).

The library gives each application a datastore with a pool of its own, and a connection an
application has used stays open in its pool for ten minutes. With ten applications a
process held ten or more connections before serving anything, and a deployment of ten
processes filled PostgreSQL's default ``max_connections`` (100). The applications of one
container (``POOL_GROUP`` in their environment, one value per ``application_env`` call)
now share one datastore, closed when the last of them closes; each keeps its own tables,
recorders and NOTIFY channel, as before.
"""

from __future__ import annotations

import threading
from typing import Any

from eventsourcing.postgres import PostgresDatastore, PostgresFactory

TOPIC = "adapters.pg_shared:SharedPostgresFactory"
_mutex = threading.Lock()
_shared: dict[str, list[Any]] = {}  # pool group -> [datastore, how many factories use it]


class SharedPostgresFactory(PostgresFactory):
    POOL_GROUP = "POOL_GROUP"

    def __init__(self, env: Any) -> None:
        super().__init__(env)  # builds a datastore whose pool is not opened yet: no connection
        self._group = env.get(self.POOL_GROUP) or ""
        if not self._group:
            return
        with _mutex:
            entry = _shared.get(self._group)
            if entry is None:
                _shared[self._group] = [self.datastore, 1]
                return
            entry[1] += 1
            unused: PostgresDatastore = self.datastore
            self.datastore = entry[0]
        unused.close()

    def close(self) -> None:
        if not self._group:
            super().close()
            return
        with _mutex:
            entry = _shared.get(self._group)
            if entry is None or entry[0] is not self.datastore:
                return
            entry[1] -= 1
            if entry[1] > 0:
                return
            del _shared[self._group]
        super().close()
