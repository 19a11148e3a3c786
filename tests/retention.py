"""Running a source's raw retention for real, as its daily schedule does, shared by the
sources' operations tests."""

from __future__ import annotations

import dagster as dg

from ingest.warehouse import Warehouse
from orchestration.lib.resources import WarehouseResource
from orchestration.lib.retention import Retention, build_retention
from tests.dbt_support import environment


def run_retention(
    source: str, rules: tuple[Retention, ...], warehouse: Warehouse
) -> dg.ExecuteInProcessResult:
    """Materializes the source's retention asset and its check on `warehouse`; must succeed."""
    asset, check, _ = build_retention(source, rules, "team:test")
    with environment(WAREHOUSE_URL=warehouse.url), dg.instance_for_test() as instance:
        result = dg.materialize(
            [asset, check], resources={"warehouse": WarehouseResource()}, instance=instance
        )
    assert result.success
    return result
