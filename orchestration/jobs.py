"""Jobs: the raw load, the daily partitions of the incremental models, the snapshot marts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

LOAD_JOB = "load_landing_files_job"
DAILY_JOB = "daily_models_job"
SNAPSHOT_JOB = "snapshot_models_job"


def build_jobs(
    raw: dg.AssetsDefinition, daily: dg.AssetsDefinition, snapshot: dg.AssetsDefinition
) -> list[UnresolvedAssetJobDefinition]:
    return [
        dg.define_asset_job(LOAD_JOB, selection=dg.AssetSelection.assets(raw),
                            description="Load every new file of the landing folder."),
        dg.define_asset_job(DAILY_JOB, selection=dg.AssetSelection.assets(daily),
                            partitions_def=daily.partitions_def,
                            description="The incremental models for a window of days."),
        dg.define_asset_job(SNAPSHOT_JOB, selection=dg.AssetSelection.assets(snapshot),
                            description="Views, 30-day tops, trending, health and overview."),
    ]  # fmt: skip
