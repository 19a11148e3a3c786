"""Daily UTC partitions of the incremental dbt models (the window vars min_date/max_date)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from ingest.warehouse import Warehouse
from orchestration.lib.settings import Settings

# The first event day of any loaded event (catalogs, such as modules and their creation days,
# are not events: their history can start long before the first event).
FIRST_DATA_DAY = """
    select min(dates.event_date)
    from raw._load_event_dates as dates
    inner join raw._loads as loads on dates.load_id = loads.load_id
    where not loads.is_catalog and dates.event_date > date '-infinity'
"""


def first_data_day(warehouse: Warehouse) -> date | None:
    """The first day the warehouse has events for; None before the first load."""
    with warehouse.cursor() as cursor:
        if cursor.execute("select to_regclass('raw._load_event_dates')").fetchone()[0] is None:
            return None
        day: date | None = cursor.execute(FIRST_DATA_DAY).fetchone()[0]
    return day


def partitions_start(settings: Settings, warehouse: Warehouse) -> str:
    """WAREHOUSE_PARTITIONS_START, else the first day with data, else today (UTC): the UI
    shows no partitions for days before there was anything to build."""
    if settings.partitions_start:
        return settings.partitions_start
    return (first_data_day(warehouse) or datetime.now(UTC).date()).isoformat()


def daily_partitions(
    settings: Settings, warehouse: Warehouse | None = None
) -> dg.DailyPartitionsDefinition:
    """Daily UTC partitions from partitions_start (asked of the warehouse when unset)."""
    start = settings.partitions_start
    if start is None:
        if warehouse is None:
            raise ValueError("partitions start from the first day with data: pass the warehouse")
        start = partitions_start(settings, warehouse)
    return dg.DailyPartitionsDefinition(start_date=start, timezone="UTC")


def window_vars(window: dg.TimeWindow) -> dict[str, str]:
    """The dbt vars of a partition time window: both ends inclusive, as ISO dates."""
    first = window.start.date()
    last = window.end.date() - timedelta(days=1)
    return {"min_date": first.isoformat(), "max_date": max(first, last).isoformat()}


# A window of days as the dbt vars name its ends: {"min_date": ISO date, "max_date": ISO date}.
Window = Mapping[str, str]
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# The window of a run that is not partitioned itself (a quality job: checks only, which
# Dagster does not partition), inclusive ISO dates.
WINDOW_START_TAG = "warehouse/window_start"
WINDOW_END_TAG = "warehouse/window_end"


def run_window(tags: Mapping[str, str]) -> Window | None:
    """The days a run builds or checks, from its tags (a partition, a single-run backfill's
    range, or a quality run's window); None for a run without any. Checks are not partitioned
    (a preview feature), so a check learns its days from the run it belongs to."""
    if tags.get(PARTITION_TAG):
        return {"min_date": tags[PARTITION_TAG], "max_date": tags[PARTITION_TAG]}
    for start, end in ((RANGE_START_TAG, RANGE_END_TAG), (WINDOW_START_TAG, WINDOW_END_TAG)):
        if tags.get(start) and tags.get(end):
            return {"min_date": tags[start], "max_date": tags[end]}
    return None


def bounded(query: str, window: Window | None) -> str:
    """A check's SQL with its {first_day}/{last_day} placeholders set to the window's ends
    (inclusive ISO dates), or to -infinity/infinity without a window (every day)."""
    first, last = (window["min_date"], window["max_date"]) if window else ("-infinity", "infinity")
    return query.replace("{first_day}", first).replace("{last_day}", last)


def contiguous_ranges(days: list[date]) -> list[tuple[date, date]]:
    """Groups sorted days into inclusive runs of consecutive days."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def with_today(partitions: dg.DailyPartitionsDefinition) -> dg.DailyPartitionsDefinition:
    """The same daily partitions, today's included (end_offset=1): what a source refreshed
    during the day builds before the day is over."""
    return dg.DailyPartitionsDefinition(
        start_date=partitions.start.strftime("%Y-%m-%d"), timezone="UTC", end_offset=1
    )
