"""Jobs: the raw load, and per source system the job of its daily partitions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

LOAD_JOB = "load_landing_files_job"


def source_job_name(source: str) -> str:
    return f"{source}_job"


def build_load_job(raw: dg.AssetsDefinition) -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        LOAD_JOB,
        selection=dg.AssetSelection.assets(raw),
        description="Load every new file of the landing folder.",
    )


def build_source_job(source: str, models: dg.AssetsDefinition) -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        source_job_name(source),
        selection=dg.AssetSelection.assets(models),
        partitions_def=models.partitions_def,
        description=f"Every {source} model for a window of days: rollups and snapshots.",
    )
