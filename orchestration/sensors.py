"""Sensors: new landing files, late data for days already built, snapshots after daily runs."""

from collections.abc import Iterable
from datetime import date

import dagster as dg

from ingest import loader
from orchestration.jobs import DAILY_JOB, LOAD_JOB, SNAPSHOT_JOB
from orchestration.partitions import contiguous_ranges
from orchestration.resources import WarehouseResource
from orchestration.schedules import REASON_TAG
from orchestration.settings import Settings

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def late_data_requests(
    loads: list[tuple[int, date]], materialized: set[str]
) -> list[dg.RunRequest]:
    """One run per contiguous range of event dates that new loads touched and that were
    already materialized (the others are built by their own partition runs anyway)."""
    if not loads:
        return []
    load_ids = [load_id for load_id, _ in loads]
    first_load, last_load = min(load_ids), max(load_ids)
    built = sorted({day for _, day in loads if day.isoformat() in materialized})
    requests = []
    for first, last in contiguous_ranges(built):
        requests.append(dg.RunRequest(
            run_key=f"late-data:loads-{first_load}-{last_load}:{first}..{last}",
            tags={
                RANGE_START_TAG: first.isoformat(),
                RANGE_END_TAG: last.isoformat(),
                REASON_TAG: (
                    f"late data: loads {first_load}..{last_load} brought events for"
                    f" {first} .. {last}, already materialized"
                ),
            },
        ))  # fmt: skip
    return requests


def _materialized_partitions(instance: dg.DagsterInstance, keys: Iterable[dg.AssetKey]) -> set[str]:
    partitions: set[str] = set()
    for key in keys:
        partitions |= instance.get_materialized_partitions(key)
    return partitions


def build_sensors(
    daily: dg.AssetsDefinition, daily_rollup_key: dg.AssetKey, settings: Settings
) -> list[dg.SensorDefinition]:
    @dg.sensor(
        job_name=DAILY_JOB, minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Re-runs partitions already built when a load brings events for them.",
    )  # fmt: skip
    def late_data_sensor(
        context: dg.SensorEvaluationContext, warehouse: WarehouseResource
    ) -> dg.SensorResult | dg.SkipReason:
        cursor = int(context.cursor or 0)
        with warehouse.get().cursor() as db:
            if db.execute("select to_regclass('raw._load_event_dates')").fetchone()[0] is None:
                return dg.SkipReason("the raw schema is not migrated yet")
            loads = db.execute(
                "select load_id, event_date from raw._load_event_dates where load_id > %s",
                (cursor,),
            ).fetchall()
        if not loads:
            return dg.SkipReason(f"no loads after load {cursor}")
        materialized = _materialized_partitions(context.instance, daily.keys)
        return dg.SensorResult(
            run_requests=late_data_requests(loads, materialized),
            cursor=str(max(load_id for load_id, _ in loads)),
        )

    @dg.asset_sensor(
        asset_key=daily_rollup_key, job_name=SNAPSHOT_JOB,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Recomputes the snapshot marts after the daily models change.",
    )  # fmt: skip
    def snapshots_after_daily_models(
        context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry
    ) -> dg.RunRequest:
        return dg.RunRequest(
            run_key=f"snapshots-after:{asset_event.run_id}",
            tags={REASON_TAG: f"daily models changed in run {asset_event.run_id}"},
        )

    @dg.sensor(
        job_name=LOAD_JOB, minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=f"Loads new files as they arrive in {settings.landing_dir}.",
    )  # fmt: skip
    def landing_sensor(
        context: dg.SensorEvaluationContext, warehouse: WarehouseResource
    ) -> dg.RunRequest | dg.SkipReason:
        if not settings.landing_dir.exists():
            return dg.SkipReason(f"{settings.landing_dir} does not exist")
        names = {p.name for p in loader.landing_files([settings.landing_dir])}
        with warehouse.get().cursor() as db:
            ledger = db.execute("select to_regclass('raw._loads')").fetchone()[0]
            loaded = (
                {r[0] for r in db.execute("select file_name from raw._loads")} if ledger else set()
            )
        new = sorted(names - loaded)
        if not new:
            return dg.SkipReason("no new files")
        return dg.RunRequest(
            run_key=f"landing:{new[0]}..{new[-1]}:{len(new)}",
            tags={REASON_TAG: f"{len(new)} new file(s) in the landing folder"},
        )

    return [late_data_sensor, snapshots_after_daily_models, landing_sensor]
