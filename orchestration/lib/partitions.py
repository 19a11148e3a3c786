"""Daily UTC partitions of the incremental dbt models (the window vars min_date/max_date)."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from orchestration.lib.settings import Settings


def daily_partitions(settings: Settings) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(start_date=settings.partitions_start, timezone="UTC")


def window_vars(window: dg.TimeWindow) -> dict[str, str]:
    """The dbt vars of a partition time window: both ends inclusive, as ISO dates."""
    first = window.start.date()
    last = window.end.date() - timedelta(days=1)
    return {"min_date": first.isoformat(), "max_date": max(first, last).isoformat()}


def contiguous_ranges(days: list[date]) -> list[tuple[date, date]]:
    """Groups sorted days into inclusive runs of consecutive days."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges
