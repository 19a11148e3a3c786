"""Dagster's SQLite event log, keeping its connections open between events.

A partition run writes a few hundred events (a materialization per model, a check result per
dbt test), one transaction each. The stock SQLite storage creates an engine, opens the file,
commits with a full sync and closes it again for every one of them; the last close of a WAL
database also checkpoints it. On these machines that was half of a one-day run through
Dagster (BENCHMARKS.md). This storage keeps one pooled engine per database file, so a
connection stays open between events, and commits with `synchronous=normal`, SQLite's
recommended setting in WAL mode: a crash of the process loses nothing and the file cannot be
corrupted; only a power cut can lose the last events, which would not touch the warehouse.

A backfill run materializes each asset once per day of its range; Dagster hands those events
to the storage as one batch (when DAGSTER_EVENT_BATCH_SIZE is above 0, which the warehouse's
Dagster home sets: orchestration/lib/instance.py), and this storage writes a batch in one
transaction per database file instead of one per event.

Engines of runs that are over are closed: only the most recent few database files (the index
and the runs being written) keep a connection, so a long-lived webserver or daemon does not
hold one file open per run it ever saw.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._serdes import ConfigurableClassData
from sqlalchemy import Connection, Engine, create_engine, event

OPEN_DATABASES = 8


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage with a pooled engine per shard and `synchronous=normal` commits.

    Configured in the warehouse's dagster.yaml; `base_dir` defaults to Dagster's own place for
    run event logs, `$DAGSTER_HOME/history/runs`.
    """

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._batch = threading.local()  # this thread's open transactions, by shard
        super().__init__(base_dir, inst_data)

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {"base_dir": dg.Field(dg.StringSource, is_required=False)}

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> PooledSqliteEventLogStorage:
        base_dir = config_value.get("base_dir")
        if not base_dir:
            home = os.environ.get("DAGSTER_HOME")
            if not home:
                raise dg.DagsterInvariantViolationError(
                    "DAGSTER_HOME is not set: the event log storage keeps run logs in"
                    " $DAGSTER_HOME/history/runs unless its config sets base_dir"
                )
            base_dir = os.path.join(home, "history", "runs")
        return cls(base_dir, inst_data=inst_data)

    def _engine(self, shard: str) -> Engine:
        url = self.conn_string_for_shard(shard)
        engine = self._engines.get(url)
        if engine is None:
            engine = create_engine(
                url, pool_size=1, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
            )
            event.listen(engine, "connect", _normal_synchronous)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            self._engines[url] = engine
            while len(self._engines) > OPEN_DATABASES:
                self._engines.popitem(last=False)[1].dispose()
        self._engines.move_to_end(url)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        batch: dict[str, Connection] | None = getattr(self._batch, "connections", None)
        if batch is not None:  # inside store_event_batch, which holds the lock
            if shard not in batch:
                batch[shard] = self._engine(shard).connect()
                batch[shard].begin()
            yield batch[shard]
            return
        with self._db_lock, self._engine(shard).connect() as connection, connection.begin():
            yield connection

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """Stores the events in one transaction per database file; all or none of them."""
        with self._db_lock:
            connections: dict[str, Connection] = {}
            self._batch.connections = connections
            try:
                for entry in events:
                    self.store_event(entry)
                for connection in connections.values():
                    connection.commit()
            finally:
                self._batch.connections = None
                for connection in connections.values():
                    connection.close()  # rolls back what was not committed

    def dispose(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()
        super().dispose()


def _normal_synchronous(connection: Any, _record: Any) -> None:
    connection.execute("pragma synchronous=normal")
