"""The spark engine's raw data: the Parquet copy of the raw tables (ingest/lake.py), as assets.

PostgreSQL stays the system of record (the loader validates, quarantines and keeps the
ledger there); on the spark engine the load job also runs this asset after the load, which
writes the event days of every load since the last export, so the lake follows every load and
the models (whose dbt sources are these tables, keyed lake/<table>) read what was loaded.
"""

from collections.abc import Iterator, Mapping, Sequence

import dagster as dg

from ingest import lake
from ingest.sources import source_of, tables_of
from orchestration.lib.raw import LEDGER_TABLES
from orchestration.lib.resources import WarehouseResource

LAKE_PREFIX = "lake"


def lake_tables(sources: Sequence[str]) -> list[str]:
    """The tables the export writes: the sources' raw tables, then the load ledger."""
    return [*(table for source in sources for table in tables_of(source)), *lake.LEDGER_TABLES]


def build_lake_assets(
    sources: Sequence[str], owners: Mapping[str, str], default_owner: str
) -> dg.AssetsDefinition:
    """lake/<table> for every raw table of `sources` and the ledger, each from raw/<table>."""
    specs = [
        dg.AssetSpec(
            [LAKE_PREFIX, table],
            deps=[["raw", table]],
            group_name=group,
            owners=[owners.get(group, default_owner)],
            kinds={"parquet", "spark"},
            description=f"raw.{table} as date-partitioned Parquet under the lake folder.",
        )
        for table in lake_tables(sources)
        for group in [source_of(table) if table not in LEDGER_TABLES else "ingest"]
    ]

    @dg.multi_asset(specs=specs, name="export_to_lake")
    def export_to_lake(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.MaterializeResult]:
        root = lake.lake_dir()
        for result in lake.export(warehouse.get(), sources, None, root):
            context.log.info(f"{result.table}: {result.rows} rows")
            yield dg.MaterializeResult(
                asset_key=[LAKE_PREFIX, result.table],
                metadata={
                    "rows_written": result.rows,
                    "days_written": result.partitions if result.partitions is not None else "all",
                    "path": str(root / result.table),
                },
            )

    return export_to_lake
