"""Schedules: yesterday's partition at 00:05 UTC (as the seed's aggregator), and a rolling
restatement of the last few days for late events."""

from datetime import timedelta
from typing import TYPE_CHECKING

import dagster as dg

from orchestration.jobs import DAILY_JOB
from orchestration.settings import Settings

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

REASON_TAG = "warehouse/reason"


def build_schedules(
    daily_job: "UnresolvedAssetJobDefinition", settings: Settings
) -> list[dg.ScheduleDefinition]:
    nightly = dg.build_schedule_from_partitioned_job(
        daily_job, hour_of_day=0, minute_of_hour=5, name="daily_models_0005_utc",
        tags={REASON_TAG: "nightly run of yesterday's partition"},
    )  # fmt: skip
    days = settings.restatement_days

    @dg.schedule(
        job_name=DAILY_JOB,
        cron_schedule="30 0 * * *",
        execution_timezone="UTC",
        name="rolling_restatement",
        description=f"Re-runs the {days} days before today, in one run.",
    )
    def rolling_restatement(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        last = context.scheduled_execution_time.date() - timedelta(days=1)
        first = last - timedelta(days=days - 1)
        return dg.RunRequest(
            run_key=f"restatement:{first}..{last}",
            tags={
                "dagster/asset_partition_range_start": first.isoformat(),
                "dagster/asset_partition_range_end": last.isoformat(),
                REASON_TAG: f"rolling restatement of the last {days} days ({first} .. {last})",
            },
        )

    return [nightly, rolling_restatement]
