"""The one warehouse connection shared by ingest, dbt and the checks."""

from __future__ import annotations

import os

import dagster as dg

from ingest.warehouse import Warehouse, resolve


class WarehouseResource(dg.ConfigurableResource):
    """Resolves the warehouse the way every other part does (ingest.warehouse.resolve)."""

    def get(self) -> Warehouse:
        return resolve()

    def export_to_dbt(self) -> Warehouse:
        """Points dbt subprocesses of this run at the warehouse (profiles.example.yml reads PG*)."""
        warehouse = self.get()
        os.environ.update(warehouse.dbt_env())
        return warehouse
