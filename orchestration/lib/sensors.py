"""Sensors: late data restates the days already built, of its own source only; new landing
files are loaded as they arrive."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import dagster as dg

from ingest import loader
from ingest.sources import source_of
from orchestration.lib.jobs import LOAD_JOB
from orchestration.lib.partitions import contiguous_ranges
from orchestration.lib.resources import WarehouseResource
from orchestration.lib.schedules import RANGE_END_TAG, RANGE_START_TAG, REASON_TAG
from orchestration.lib.settings import Settings

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )


@dataclass(frozen=True)
class LoadedDay:
    """One day a load changed (a row of raw._load_event_dates): the event day of its rows, or
    for a catalog (modules, versions...) the day its rows were created on (for a new version,
    the replaced version's if earlier), which changes every day from then on."""

    load_id: int
    table: str
    event_date: date
    from_then_on: bool = False

    def touches(self, day: date) -> bool:
        return day >= self.event_date if self.from_then_on else day == self.event_date


def late_data_requests(
    loads: Iterable[LoadedDay],
    built_days: Mapping[str, set[str]],
    job_of_source: Mapping[str, str],
) -> list[dg.RunRequest]:
    """Per source with models, one run per contiguous range of event days that new loads of
    its tables touched and that its models already built (the others are built by their own
    partition runs anyway). A load of one source never restates another."""
    by_source: dict[str, list[LoadedDay]] = defaultdict(list)
    for loaded in loads:
        by_source[source_of(loaded.table)].append(loaded)
    requests = []
    for source, loaded_days in sorted(by_source.items()):
        if source not in job_of_source:
            continue  # no models yet: nothing to restate
        load_ids = [loaded.load_id for loaded in loaded_days]
        first_load, last_load = min(load_ids), max(load_ids)
        built_of_source = sorted(date.fromisoformat(day) for day in built_days.get(source, set()))
        built = [day for day in built_of_source if any(ld.touches(day) for ld in loaded_days)]
        for first, last in contiguous_ranges(built):
            requests.append(dg.RunRequest(
                run_key=f"late-data:{source}:loads-{first_load}-{last_load}:{first}..{last}",
                job_name=job_of_source[source],
                tags={
                    RANGE_START_TAG: first.isoformat(),
                    RANGE_END_TAG: last.isoformat(),
                    REASON_TAG: (
                        f"late data: {source} loads {first_load}..{last_load} brought events"
                        f" for {first} .. {last}, already built"
                    ),
                },
            ))  # fmt: skip
    return requests


# The days of the loads committed since the snapshot the last tick took (its cursor): a load
# that commits after a later one is still seen, unlike with a load id cursor. Each tick takes
# its snapshot before this query, so a load committing in between is seen again next tick (its
# run key repeats, so no run is launched twice). A catalog's "always" (-infinity) is the first
# day there is.
NEW_LOADED_DAYS = """
    select
        dates.load_id,
        dates.table_name,
        greatest(dates.event_date, date '0001-01-01'),
        loads.is_catalog
    from raw._load_event_dates as dates
    inner join raw._loads as loads on dates.load_id = loads.load_id
    where
        %(seen)s::pg_snapshot is null
        or (
            loads.load_xid >= pg_snapshot_xmin(%(seen)s::pg_snapshot)
            and not pg_visible_in_snapshot(loads.load_xid, %(seen)s::pg_snapshot)
        )
"""


def _materialized_partitions(instance: dg.DagsterInstance, keys: Iterable[dg.AssetKey]) -> set[str]:
    partitions: set[str] = set()
    for key in keys:
        partitions |= instance.get_materialized_partitions(key)
    return partitions


def build_late_data_sensor(
    models_of_source: Mapping[str, dg.AssetsDefinition],
    job_of_source: Mapping[str, "UnresolvedAssetJobDefinition"],
) -> dg.SensorDefinition:
    job_names = {source: job.name for source, job in job_of_source.items()}

    @dg.sensor(
        jobs=list(job_of_source.values()), minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Re-runs the days a source's models already built when a load of that source"
            " brings events for them."
        ),
    )  # fmt: skip
    def late_data_sensor(
        context: dg.SensorEvaluationContext, warehouse: WarehouseResource
    ) -> dg.SensorResult | dg.SkipReason:
        with warehouse.get().cursor() as db:
            if db.execute("select to_regclass('raw._load_event_dates')").fetchone()[0] is None:
                return dg.SkipReason("the raw schema is not migrated yet")
            cursor = db.execute("select pg_current_snapshot()::text").fetchone()[0]
            rows = db.execute(NEW_LOADED_DAYS, {"seen": context.cursor}).fetchall()
        if not rows:
            return dg.SensorResult(skip_reason="no loads since the last tick", cursor=cursor)
        built = {
            source: _materialized_partitions(context.instance, models.keys)
            for source, models in models_of_source.items()
        }
        return dg.SensorResult(
            run_requests=late_data_requests((LoadedDay(*row) for row in rows), built, job_names),
            cursor=cursor,
        )

    return late_data_sensor


def build_landing_sensor(settings: Settings) -> dg.SensorDefinition:
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

    return landing_sensor
