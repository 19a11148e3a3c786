"""The one warehouse connection shared by ingest, dbt and the checks, and the engine the
models are read from (settings.ENGINES): PostgreSQL, or the Spark cluster's Thrift server."""

from __future__ import annotations

from typing import Any

import dagster as dg

from ingest.warehouse import Warehouse, resolve
from orchestration.lib.settings import POSTGRES, SPARK


def spark_fetchall(sql: str) -> list[tuple[Any, ...]]:
    """One statement through the Thrift server of `make cluster` (ingest.cluster's host and
    SPARK_THRIFT_PORT), the server dbt's spark target builds on."""
    from pyhive import hive  # the spark extra; only the spark engine needs it

    from ingest.cluster import HOST, ClusterSettings

    port = ClusterSettings.from_env().thrift_port
    with hive.connect(host=HOST, port=port) as connection:
        cursor = connection.cursor()
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

    def fetchall(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of one statement on the models' engine."""
        if self.engine == SPARK:
            return spark_fetchall(sql)
        with self.get().cursor() as cursor:
            return cursor.execute(sql).fetchall()
