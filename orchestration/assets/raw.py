"""Raw tables: new files in the landing folder, loaded by the real loader (ingest.loader)."""

from collections import defaultdict
from collections.abc import Iterator

import dagster as dg

from ingest import loader, migrate
from ingest.sources import SOURCES, source_of, table_for_file
from orchestration.resources import WarehouseResource
from orchestration.settings import Settings

LEDGER_KEY = dg.AssetKey(["raw", "_loads"])


def _raw_specs(owner: str) -> list[dg.AssetSpec]:
    specs = [
        dg.AssetSpec(
            ["raw", table],
            group_name=source,
            owners=[owner],
            kinds={"postgres"},
            description=f"raw.{table}, written only by the loader (source system: {source}).",
        )
        for source, tables in SOURCES.items()
        for table in tables
    ]
    specs.append(
        dg.AssetSpec(
            LEDGER_KEY,
            group_name="ingest",
            owners=[owner],
            kinds={"postgres"},
            description="The load ledger: one row per file, with its row equation.",
        )
    )
    return specs


def build_raw_assets(settings: Settings) -> dg.AssetsDefinition:
    @dg.multi_asset(
        specs=_raw_specs(settings.owner), can_subset=True, name="load_landing_files",
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
        for table in sorted(selected - {LEDGER_KEY.path[-1]}):
            yield dg.MaterializeResult(
                asset_key=["raw", table],
                metadata={"source": source_of(table), **totals[table]},
            )
        if LEDGER_KEY.path[-1] in selected:
            yield dg.MaterializeResult(
                asset_key=LEDGER_KEY,
                metadata={"files_loaded": sum(t["files_loaded"] for t in totals.values())},
            )

    return load_landing_files
