"""Per source system: its partition of yesterday at 00:05 UTC (as the registry seed's
aggregator), and a rolling restatement of the last few days for late events."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import dagster as dg

from orchestration.lib.partitions import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    WINDOW_END_TAG,
    WINDOW_START_TAG,
)
from orchestration.lib.settings import Settings

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

REASON_TAG = "warehouse/reason"
__all__ = ["RANGE_END_TAG", "RANGE_START_TAG", "REASON_TAG", "build_source_schedules"]


def build_source_schedules(
    source: str, job: UnresolvedAssetJobDefinition, settings: Settings
) -> list[dg.ScheduleDefinition]:
    nightly = dg.build_schedule_from_partitioned_job(
        job, hour_of_day=0, minute_of_hour=5, name=f"{source}_nightly_0005_utc",
        tags={REASON_TAG: f"nightly run of yesterday's {source} partition"},
    )  # fmt: skip
    days = settings.restatement_days

    @dg.schedule(
        job_name=job.name,
        cron_schedule="30 0 * * *",
        execution_timezone="UTC",
        name=f"{source}_rolling_restatement",
        description=f"Re-runs the {days} days before today of {source}, in one run.",
    )
    def rolling_restatement(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        last = context.scheduled_execution_time.date() - timedelta(days=1)
        first = last - timedelta(days=days - 1)
        return dg.RunRequest(
            run_key=f"restatement:{source}:{first}..{last}",
            tags={
                RANGE_START_TAG: first.isoformat(),
                RANGE_END_TAG: last.isoformat(),
                REASON_TAG: f"rolling restatement of the last {days} days ({first} .. {last})",
            },
        )

    return [nightly, rolling_restatement]


def build_quality_schedule(source: str, job: UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """Yesterday's quality suites at 01:00 UTC, after the nightly run and the restatement."""

    @dg.schedule(
        job_name=job.name, cron_schedule="0 1 * * *", execution_timezone="UTC",
        name=f"{source}_quality_0100_utc",
        description=f"The {source} quality suites over yesterday.",
    )  # fmt: skip
    def quality_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = (context.scheduled_execution_time.date() - timedelta(days=1)).isoformat()
        return dg.RunRequest(
            run_key=f"quality:{source}:{day}",
            tags={
                WINDOW_START_TAG: day,
                WINDOW_END_TAG: day,
                REASON_TAG: f"daily quality suites of {source} over {day}",
            },
        )

    return quality_schedule


def build_refresh_schedule(
    source: str, job: UnresolvedAssetJobDefinition, every: timedelta
) -> dg.ScheduleDefinition:
    """Today's partition of the source's models every `every` (whole minutes dividing an
    hour): staging and rollups of today, and the marts rebuilt whole over their sliding
    windows (recent failures...). A run costs what today costs, whatever the history."""
    minutes = int(every.total_seconds() // 60)
    if minutes < 1 or 60 % minutes or every.total_seconds() % 60:
        raise ValueError(f"{source}: refresh_every must be whole minutes dividing an hour")

    @dg.schedule(
        job_name=job.name, cron_schedule=f"*/{minutes} * * * *", execution_timezone="UTC",
        name=f"{source}_refresh_every_{minutes}_minutes",
        description=f"Today's {source} partition every {minutes} minutes (intraday freshness).",
    )  # fmt: skip
    def refresh_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        moment = context.scheduled_execution_time
        return dg.RunRequest(
            run_key=f"refresh:{source}:{moment.isoformat()}",
            partition_key=moment.date().isoformat(),
            tags={REASON_TAG: f"{minutes}-minute refresh of today's {source} partition"},
        )

    return refresh_schedule
