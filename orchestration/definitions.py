"""The Dagster code location: every asset, check, job, schedule and sensor assembled here.

Nothing runs at import: Dagster calls `defs` when it loads the location, which is when the
dbt manifest is prepared (parsed if missing or stale).
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from ingest.warehouse import resolve
from orchestration.assets.dbt import build_dbt_assets
from orchestration.assets.raw import build_raw_assets
from orchestration.checks.alerts import build_alert_checks
from orchestration.checks.expectations import build_expectation_checks
from orchestration.dbt_project import dbt_project, dbt_resource, prepare_manifest
from orchestration.jobs import build_jobs
from orchestration.partitions import daily_partitions
from orchestration.resources import WarehouseResource
from orchestration.schedules import build_schedules
from orchestration.sensors import build_sensors
from orchestration.settings import Settings
from orchestration.translator import WarehouseTranslator

CHECKED_MARTS = (
    "module_stats_daily", "module_stats_weekly", "module_stats_monthly", "language_stats_daily",
    "org_stats_daily", "top_modules_30d", "trending_modules", "module_health_scores",
    "registry_overview",
)  # fmt: skip
# Raw data and marts older than this fail their freshness check (daily loads + slack).
FRESHNESS_LIMIT = timedelta(hours=26)


def build_definitions(settings: Settings) -> dg.Definitions:
    project = dbt_project()
    prepare_manifest(project, resolve())
    translator = WarehouseTranslator(owner=settings.owner)
    raw = build_raw_assets(settings)
    daily, snapshot = build_dbt_assets(project, daily_partitions(settings), translator)
    # Both dbt multi-assets share one manifest and translator: either resolves any model.
    mart_keys = {m: get_asset_key_for_model([daily], m) for m in CHECKED_MARTS}
    freshness = dg.build_last_update_freshness_checks(
        assets=[*raw.keys, *mart_keys.values()], lower_bound_delta=FRESHNESS_LIMIT
    )
    jobs = build_jobs(raw, daily, snapshot)
    return dg.Definitions(
        assets=[raw, daily, snapshot],
        asset_checks=[
            *build_expectation_checks(mart_keys),
            *build_alert_checks(mart_keys),
            *freshness,
        ],
        jobs=jobs,
        schedules=build_schedules(jobs[1], settings),
        sensors=[
            *build_sensors(daily, mart_keys["module_stats_daily"], settings),
            dg.build_sensor_for_freshness_checks(freshness_checks=freshness),
        ],
        resources={"dbt": dbt_resource(project), "warehouse": WarehouseResource()},
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(Settings.from_env())
