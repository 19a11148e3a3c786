"""The Dagster code location: every asset, check, job, schedule and sensor assembled here.

The machinery (orchestration/lib/) turns each registered source system's declaration
(orchestration/defs/<source>.py) into the same set of definitions: its dbt models as one
daily-partitioned asset, its checks, its jobs and schedules. A partition run of a source's
models runs dbt's tests and the window-bounded alerts with them; its Great Expectations
suites run in a quality job of their own, over the same days, once a day. Freshness is a
policy on each asset. Nothing names a source here.

Nothing runs at import: Dagster calls `defs` when it loads the location, which is when the
dbt manifest is prepared (parsed if missing or stale).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import dagster as dg
from dagster_dbt import DbtProject, get_asset_key_for_model

from ingest.warehouse import resolve
from orchestration.lib.alerts import build_alert_checks
from orchestration.lib.dbt import (
    build_source_dbt_assets,
    dbt_project,
    dbt_resource,
    excluded_resources,
    has_models,
    prepare_manifest,
)
from orchestration.lib.expectations import build_expectation_checks
from orchestration.lib.freshness import (
    build_load_ledger_sensor,
    daily_model_freshness,
    declared_freshness,
    intraday_model_freshness,
    source_model_limit,
    with_freshness,
)
from orchestration.lib.jobs import (
    build_load_job,
    build_quality_job,
    build_refresh_job,
    build_source_job,
)
from orchestration.lib.lake import LAKE_PREFIX, build_lake_assets
from orchestration.lib.partitions import daily_partitions, with_today
from orchestration.lib.process import skip_final_collections
from orchestration.lib.raw import build_raw_assets
from orchestration.lib.resources import WarehouseResource
from orchestration.lib.retention import build_retention
from orchestration.lib.schedules import (
    build_quality_schedule,
    build_refresh_schedule,
    build_source_schedules,
)
from orchestration.lib.sensors import build_landing_sensor, build_late_data_sensor
from orchestration.lib.settings import POSTGRES, SPARK, SPARK_SOURCES, Settings, dbt_target
from orchestration.lib.source import SourceDeclaration, declared_sources
from orchestration.lib.translator import WarehouseTranslator, group_owners

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )


@dataclass
class SourceParts:
    """What the machinery makes of one source system's declaration."""

    checks: list[dg.AssetChecksDefinition]
    models: dg.AssetsDefinition | None = None
    jobs: list[UnresolvedAssetJobDefinition] = field(default_factory=list)
    schedules: list[dg.ScheduleDefinition] = field(default_factory=list)
    retention: dg.AssetsDefinition | None = None


def build_source_parts(
    source: SourceDeclaration,
    project: DbtProject,
    manifest: Mapping[str, Any],
    partitions: dg.DailyPartitionsDefinition,
    settings: Settings,
    translator: WarehouseTranslator,
    model_limit: timedelta | None,
) -> SourceParts:
    """A source's models, checks, jobs and schedules; nothing while it has no models (its raw
    tables are assets of the load either way)."""
    if not has_models(manifest, source.name):
        return SourceParts(checks=[])
    if source.refresh_every:
        partitions = with_today(partitions)
    models = build_source_dbt_assets(
        project, manifest, source.name, partitions, translator, settings.dbt_state_dir,
        excluded_resources(dbt_target(settings.engine)),
    )  # fmt: skip
    if source.refresh_every:
        models = with_freshness(models, intraday_model_freshness(source.refresh_every))
    elif model_limit is not None:
        models = with_freshness(models, daily_model_freshness(model_limit))
    checked = {check.model for check in (*source.expectation_suites, *source.alert_thresholds)}
    key_of = {model: get_asset_key_for_model([models], model) for model in checked}
    suites = build_expectation_checks(source.expectation_suites, key_of)
    alerts = build_alert_checks(source.alert_thresholds, key_of)
    job = build_source_job(source.name, models, excluded_checks=suites)
    jobs, schedules = [job], build_source_schedules(source.name, job, settings)
    if source.refresh_every:
        refresh = build_refresh_job(source.name, models, alerts)
        jobs.append(refresh)
        schedules.append(build_refresh_schedule(source.name, refresh, source.refresh_every))
    if suites:
        quality = build_quality_job(source.name, suites)
        jobs.append(quality)
        schedules.append(build_quality_schedule(source.name, quality))
    return SourceParts(
        checks=[*suites, *alerts],
        models=models,
        jobs=jobs,
        schedules=schedules,
    )


def build_definitions(settings: Settings) -> dg.Definitions:
    """Every definition for the engine of `settings`. On spark, dbt builds with the spark
    target, only the sources that build there (SPARK_SOURCES) have models, their dbt sources
    are the lake's tables, and the load job exports each load to the lake after it."""
    project = dbt_project()
    warehouse = resolve()
    target = dbt_target(settings.engine)
    prepare_manifest(project, warehouse, target)
    partitions = daily_partitions(settings, warehouse)
    sources = declared_sources()
    modelled = [s for s in sources if settings.engine == POSTGRES or s.name in SPARK_SOURCES]
    manifest = json.loads(project.manifest_path.read_text())
    owners = group_owners(manifest)
    freshness = declared_freshness(manifest)
    lake = (
        build_lake_assets(SPARK_SOURCES, owners, settings.owner)
        if settings.engine == SPARK
        else None
    )
    translator = WarehouseTranslator(
        owners, default_owner=settings.owner, source_prefix=LAKE_PREFIX if lake else "raw"
    )
    raw = build_raw_assets(settings, owners, freshness)
    parts = {
        source.name: build_source_parts(
            source, project, manifest, partitions, settings, translator,
            source_model_limit(freshness, source.name),
        )
        for source in modelled
    }  # fmt: skip
    for source in sources:
        if source.retention:
            asset, check, schedule = build_retention(
                source.name, source.retention, owners.get(source.name, settings.owner)
            )
            parts.setdefault(source.name, SourceParts(checks=[])).retention = asset
            parts[source.name].checks.append(check)
            parts[source.name].schedules.append(schedule)
    built = {name: part for name, part in parts.items() if part.models and part.jobs}
    sensors = [build_landing_sensor(settings), build_load_ledger_sensor(raw.keys)]
    if built:
        sensors.append(
            build_late_data_sensor(
                {name: part.models for name, part in built.items() if part.models},
                {name: part.jobs[0] for name, part in built.items()},
            )
        )
    return dg.Definitions(
        assets=[
            raw,
            *([lake] if lake else []),
            *(part.models for part in built.values()),
            *(part.retention for part in parts.values() if part.retention),
        ],
        asset_checks=[check for part in parts.values() for check in part.checks],
        jobs=[build_load_job(raw, lake), *(job for part in built.values() for job in part.jobs)],
        schedules=[schedule for part in parts.values() for schedule in part.schedules],
        sensors=sensors,
        resources={
            "dbt": dbt_resource(project, target),
            "warehouse": WarehouseResource(engine=settings.engine),
        },
        # Steps in the run's own process, one after the other. The default multiprocess
        # executor starts a Python process per step that loads the whole code location again
        # (seconds each, for checks that take milliseconds); a run's work is one dbt call and
        # its checks, and dbt parallelises inside its call (threads).
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    skip_final_collections()
    return _definitions_for(Settings.from_env(), tuple(sorted(os.environ.items())))


@functools.cache
def _definitions_for(
    settings: Settings, environment: tuple[tuple[str, str], ...]
) -> dg.Definitions:
    """The definitions, built once a process for the same settings and environment: one
    `dagster job execute` asks for them five times (the location, then each reconstruction
    of the job), and each build checks the dbt manifest against the project's files and asks
    the warehouse for its first day (half a second). A reload of the location in the UI is
    a new process, so an edited model is still picked up."""
    return build_definitions(settings)
