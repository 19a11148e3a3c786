"""Jobs: the raw load, and per source system the job of its daily partitions (models, dbt
tests, the cheap window-bounded alerts) and its quality job (the GX suites over the same days,
once a day rather than with every partition run)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

LOAD_JOB = "load_landing_files_job"


def source_job_name(source: str) -> str:
    return f"{source}_job"


def refresh_job_name(source: str) -> str:
    return f"{source}_refresh_job"


def quality_job_name(source: str) -> str:
    return f"{source}_quality_job"


def build_load_job(
    raw: dg.AssetsDefinition, lake: dg.AssetsDefinition | None = None
) -> UnresolvedAssetJobDefinition:
    """The load; with `lake` (the spark engine), the export of what it loaded to the lake."""
    selection = dg.AssetSelection.assets(raw)
    if lake is not None:
        selection |= dg.AssetSelection.assets(lake)
    return dg.define_asset_job(
        LOAD_JOB,
        selection=selection,
        description="Load every new file of the landing folder"
        + (", then export the loaded days to the lake." if lake is not None else "."),
    )


def build_source_job(
    source: str,
    models: dg.AssetsDefinition,
    excluded_checks: Sequence[dg.AssetChecksDefinition] = (),
) -> UnresolvedAssetJobDefinition:
    """The models and every check on them but `excluded_checks` (which run elsewhere)."""
    selection = dg.AssetSelection.assets(models)
    if excluded_checks:
        selection = selection - dg.AssetSelection.checks(*excluded_checks)
    return dg.define_asset_job(
        source_job_name(source),
        selection=selection,
        description=f"Every {source} model for a window of days: rollups and snapshots.",
    )


def build_quality_job(
    source: str, checks: Sequence[dg.AssetChecksDefinition]
) -> UnresolvedAssetJobDefinition:
    """The source's quality checks alone. A job of checks only is not partitioned (Dagster
    infers partitions from assets): a run checks the days of its window tags
    (partitions.WINDOW_START_TAG/_END_TAG), or every day without them."""
    return dg.define_asset_job(
        quality_job_name(source),
        selection=dg.AssetSelection.checks(*checks),
        description=(
            f"The {source} quality suites (Great Expectations) over the days of the run's"
            " tags warehouse/window_start .. warehouse/window_end (every day without them)."
        ),
    )


def build_refresh_job(
    source: str, models: dg.AssetsDefinition, checks: Sequence[dg.AssetChecksDefinition]
) -> UnresolvedAssetJobDefinition:
    """The intraday refresh: the models and `checks` (the window-bounded alerts), without the
    dbt tests. A dbt test checks its whole table (a unique test on staging reads every event
    ever staged), so in a refresh every few minutes it would make each refresh cost the
    history; the source's job runs them with the nightly and backfill partitions."""
    return dg.define_asset_job(
        refresh_job_name(source),
        selection=dg.AssetSelection.assets(models).without_checks()
        | dg.AssetSelection.checks(*checks),
        description=f"Today's {source} models and alerts, every few minutes (no dbt tests).",
    )
