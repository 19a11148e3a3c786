"""Raw tables: new files in the landing folder, loaded by the real loader (ingest.loader)."""

from collections import defaultdict
from collections.abc import Iterator, Mapping

import dagster as dg

from ingest import loader, migrate
from ingest.sources import SOURCES, source_of, table_for_file
from orchestration.lib.freshness import FreshnessLimits, raw_freshness
from orchestration.lib.resources import WarehouseResource
from orchestration.lib.settings import Settings

# The loader's bookkeeping, written with every load: the ledger and each load's event days.
LEDGER_TABLES = {
    "_loads": "The load ledger: one row per file, with its row equation.",
    "_load_event_dates": "Which event days each load brought rows for (late-data restatement).",
}


def _raw_specs(
    owners: Mapping[str, str], default_owner: str, freshness: Mapping[str, FreshnessLimits]
) -> list[dg.AssetSpec]:
    specs = [
        dg.AssetSpec(
            ["raw", table],
            group_name=source,
            owners=[owners.get(source, default_owner)],
            kinds={"postgres"},
            description=f"raw.{table}, written only by the loader (source system: {source}).",
            freshness_policy=raw_freshness(freshness[table]) if table in freshness else None,
        )
        for source, tables in SOURCES.items()
        for table in tables
    ]
    specs += [
        dg.AssetSpec(
            ["raw", table],
            group_name="ingest",
            owners=[default_owner],
            kinds={"postgres"},
            description=description,
        )
        for table, description in LEDGER_TABLES.items()
    ]
    return specs


def build_raw_assets(
    settings: Settings,
    owners: Mapping[str, str],
    freshness: Mapping[str, FreshnessLimits] | None = None,
) -> dg.AssetsDefinition:
    """Every raw table of every source, loaded by one asset (a file names its own table);
    `freshness`: per table, how old its last load may be (lib/freshness.py)."""

    @dg.multi_asset(
        specs=_raw_specs(owners, settings.owner, freshness or {}), can_subset=True,
        name="load_landing_files",
        description=f"Loads every new .csv/.jsonl file under {settings.landing_dir}.",
    )  # fmt: skip
    def load_landing_files(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.MaterializeResult]:
        target = warehouse.get()
        migrate.migrate(target)
        selected = {key.path[-1] for key in context.selected_asset_keys}
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        files = (
            loader.landing_files([settings.landing_dir]) if settings.landing_dir.exists() else []
        )
        for path in files:
            table = table_for_file(path.name)
            if table not in selected:
                continue
            result = loader.load_file(target, path)
            context.log.info(result.summary())
            counts = totals[table]
            counts["files_already_loaded" if result.already_loaded else "files_loaded"] += 1
            counts["rows_loaded"] += result.rows_loaded
            counts["rows_quarantined"] += result.rows_quarantined
            counts["rows_duplicate"] += result.rows_duplicate
        for table in sorted(selected - LEDGER_TABLES.keys()):
            yield dg.MaterializeResult(
                asset_key=["raw", table],
                metadata={"source": source_of(table), **totals[table]},
            )
        files_loaded = sum(t["files_loaded"] for t in totals.values())
        for table in sorted(selected & LEDGER_TABLES.keys()):
            yield dg.MaterializeResult(
                asset_key=["raw", table], metadata={"files_loaded": files_loaded}
            )

    return load_landing_files
