"""dbt models as assets: the daily-partitioned incremental models, and everything else.

The two kinds live in separate multi-assets (mixing partitioned and unpartitioned dbt models
in one is a known Dagster problem). A partition run passes its time window to dbt through the
models' window vars; a multi-day backfill is one run and one dbt call (single-run policy), and
the weekly and monthly marts widen the window to every period it touches.
"""

import json
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from orchestration.partitions import window_vars
from orchestration.resources import WarehouseResource
from orchestration.translator import DAILY_TAG, WarehouseTranslator


def _stream(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    args: list[str],
    run_metadata: Mapping[str, Any],
) -> Iterator[Any]:
    """Runs one dbt command for the run's selection; row counts and the window on every asset."""
    warehouse.export_to_dbt()
    target = Path(dbt.project_dir) / "target" / "runs" / context.run.run_id
    try:
        invocation = dbt.cli(args, context=context, target_path=target)
        for event in invocation.stream().fetch_row_counts():
            if isinstance(event, dg.Output | dg.AssetMaterialization):
                event = event.with_metadata({**event.metadata, **run_metadata})
            yield event
    finally:
        shutil.rmtree(target, ignore_errors=True)  # each run's own target folder


def build_dbt_assets(
    project: DbtProject, partitions: dg.PartitionsDefinition, translator: WarehouseTranslator
) -> list[dg.AssetsDefinition]:
    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        select=f"tag:{DAILY_TAG}",
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        dagster_dbt_translator=translator,
        name="daily_dbt_models",
    )
    def daily_dbt_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ) -> Iterator[Any]:
        window = window_vars(context.partition_time_window)
        yield from _stream(
            context, dbt, warehouse, ["build", "--vars", json.dumps(window)],
            {"window": f"{window['min_date']} .. {window['max_date']}"},
        )  # fmt: skip

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        exclude=f"tag:{DAILY_TAG}",
        dagster_dbt_translator=translator,
        name="snapshot_dbt_models",
    )
    def snapshot_dbt_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ) -> Iterator[Any]:
        yield from _stream(
            context, dbt, warehouse, ["build"], {"window": "as of the last complete day"}
        )

    return [daily_dbt_models, snapshot_dbt_models]
