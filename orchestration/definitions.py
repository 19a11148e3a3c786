"""The Dagster code location: every asset, check, job, schedule and sensor assembled here.

The machinery (orchestration/lib/) turns each registered source system's declaration
(orchestration/defs/<source>.py) into the same set of definitions: its dbt models as one
daily-partitioned asset, its checks, its job and schedules. Nothing names a source here.

Nothing runs at import: Dagster calls `defs` when it loads the location, which is when the
dbt manifest is prepared (parsed if missing or stale).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import dagster as dg
from dagster_dbt import DbtProject, get_asset_key_for_model

from ingest.sources import tables_of
from ingest.warehouse import resolve
from orchestration.lib.alerts import build_alert_checks
from orchestration.lib.dbt import (
    build_source_dbt_assets,
    dbt_project,
    dbt_resource,
    has_models,
    prepare_manifest,
)
from orchestration.lib.expectations import build_expectation_checks
from orchestration.lib.jobs import build_load_job, build_source_job
from orchestration.lib.partitions import daily_partitions
from orchestration.lib.raw import build_raw_assets
from orchestration.lib.resources import WarehouseResource
from orchestration.lib.retention import build_retention
from orchestration.lib.schedules import build_source_schedules
from orchestration.lib.sensors import build_landing_sensor, build_late_data_sensor
from orchestration.lib.settings import Settings
from orchestration.lib.source import SourceDeclaration, declared_sources
from orchestration.lib.translator import WarehouseTranslator

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

MARTS_SCHEMA = "marts"


@dataclass
class SourceParts:
    """What the machinery makes of one source system's declaration."""

    checks: list[dg.AssetChecksDefinition]
    freshness_checks: list[dg.AssetChecksDefinition]
    models: dg.AssetsDefinition | None = None
    job: UnresolvedAssetJobDefinition | None = None
    schedules: list[dg.ScheduleDefinition] = field(default_factory=list)
    retention: dg.AssetsDefinition | None = None


def build_source_parts(
    source: SourceDeclaration,
    project: DbtProject,
    settings: Settings,
    translator: WarehouseTranslator,
) -> SourceParts:
    """A source's models, checks, job and schedules; only the freshness of its raw tables
    while it has no models."""
    raw_keys = [dg.AssetKey(["raw", table]) for table in tables_of(source.name)]
    if not has_models(project.manifest_path, source.name):
        return SourceParts(
            checks=[],
            freshness_checks=dg.build_last_update_freshness_checks(
                assets=raw_keys, lower_bound_delta=source.freshness_limit
            ),
        )
    models = build_source_dbt_assets(project, source.name, daily_partitions(settings), translator)
    checked = {check.model for check in (*source.expectation_suites, *source.alert_thresholds)}
    key_of = {model: get_asset_key_for_model([models], model) for model in checked}
    marts = [key for key in models.keys if key.path[0] == MARTS_SCHEMA]
    job = build_source_job(source.name, models)
    return SourceParts(
        checks=[
            *build_expectation_checks(source.expectation_suites, key_of),
            *build_alert_checks(source.alert_thresholds, key_of),
        ],
        freshness_checks=dg.build_last_update_freshness_checks(
            assets=[*raw_keys, *marts], lower_bound_delta=source.freshness_limit
        ),
        models=models,
        job=job,
        schedules=build_source_schedules(source.name, job, settings),
    )


def build_definitions(settings: Settings) -> dg.Definitions:
    project = dbt_project()
    prepare_manifest(project, resolve())
    sources = declared_sources()
    owners = {source.name: source.owner or settings.owner for source in sources}
    translator = WarehouseTranslator(owners, default_owner=settings.owner)
    raw = build_raw_assets(settings, owners)
    parts = {
        source.name: build_source_parts(source, project, settings, translator) for source in sources
    }
    for source in sources:
        if source.retention:
            asset, check, schedule = build_retention(
                source.name, source.retention, owners[source.name]
            )
            parts[source.name].retention = asset
            parts[source.name].checks.append(check)
            parts[source.name].schedules.append(schedule)
    built = {name: part for name, part in parts.items() if part.models and part.job}
    freshness = [check for part in parts.values() for check in part.freshness_checks]
    sensors = [build_landing_sensor(settings)]
    if built:
        sensors.append(
            build_late_data_sensor(
                {name: part.models for name, part in built.items()},
                {name: part.job for name, part in built.items()},
            )
        )
    sensors.append(dg.build_sensor_for_freshness_checks(freshness_checks=freshness))
    return dg.Definitions(
        assets=[
            raw,
            *(part.models for part in built.values()),
            *(part.retention for part in parts.values() if part.retention),
        ],
        asset_checks=[*(c for part in parts.values() for c in part.checks), *freshness],
        jobs=[build_load_job(raw), *(part.job for part in built.values())],
        schedules=[schedule for part in parts.values() for schedule in part.schedules],
        sensors=sensors,
        resources={"dbt": dbt_resource(project), "warehouse": WarehouseResource()},
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(Settings.from_env())
