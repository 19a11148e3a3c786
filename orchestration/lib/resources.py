"""The one warehouse connection shared by ingest, dbt and the checks."""

from __future__ import annotations

import dagster as dg

from ingest.warehouse import Warehouse, resolve


class WarehouseResource(dg.ConfigurableResource):
    """Resolves the warehouse the way every other part does (ingest.warehouse.resolve)."""

    def get(self) -> Warehouse:
        return resolve()
