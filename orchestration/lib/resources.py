"""The one warehouse connection shared by ingest, dbt and the checks, and the engine the
models are read from (settings.ENGINES): PostgreSQL, or the Spark cluster's Thrift server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg

from ingest.warehouse import Warehouse, resolve
from orchestration.lib.settings import POSTGRES, SPARK


@contextmanager
def spark_cursor() -> Iterator[Any]:
    """A cursor on the Thrift server of `make cluster` (ingest.cluster's host and
    SPARK_THRIFT_PORT), the server dbt's spark target builds on."""
    from pyhive import hive  # the spark extra; only the spark engine needs it

    from ingest.cluster import HOST, ClusterSettings

    port = ClusterSettings.from_env().thrift_port
    with hive.connect(host=HOST, port=port) as connection:
        yield connection.cursor()


def spark_fetchall(sql: str) -> list[tuple[Any, ...]]:
    """Rows of one statement on the Spark cluster."""
    with spark_cursor() as cursor:
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]


class WarehouseResource(dg.ConfigurableResource):
    """Resolves the warehouse the way every other part does (ingest.warehouse.resolve).

    engine: where the models are (settings.Settings.engine); the raw tables and the load
    ledger are in PostgreSQL on every engine.
    """

    engine: str = POSTGRES

    def get(self) -> Warehouse:
        return resolve()

    def relation(self, schema: str, name: str) -> str:
        """A model's relation quoted for the engine (Spark reads "x" as a string)."""
        return f"`{schema}`.`{name}`" if self.engine == SPARK else f'"{schema}"."{name}"'

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        """A cursor on the models' engine; on PostgreSQL in autocommit (reads only)."""
        if self.engine == SPARK:
            with spark_cursor() as cursor:
                yield cursor
            return
        with self.get().connect(autocommit=True) as connection, connection.cursor() as cursor:
            yield cursor

    def fetchall(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of one statement on the models' engine."""
        with self._cursor() as cursor:
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]

    @contextmanager
    def row_counter(self) -> Iterator[Callable[[str], int]]:
        """Counts the rows of a relation (quoted by `relation()`), every count on one
        connection held open for the block. In autocommit: a transaction kept open would hold
        a lock on every counted table while dbt, still running, may need to replace one."""
        with self._cursor() as cursor:

            def count(relation: str) -> int:
                cursor.execute(f"select count(*) from {relation}")
                return int(cursor.fetchone()[0])

            yield count
