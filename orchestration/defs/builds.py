"""The firmware build service (seed 004) as the code location sees it: its quality suites,
the seed's alert thresholds ("Monitoring & Alerts") and its retention ("Data Retention").
Everything else comes from the machinery."""

from orchestration.lib.alerts import Threshold
from orchestration.lib.expectations import Suite, at_least, between, non_negative, unique
from orchestration.lib.retention import Retention
from orchestration.lib.source import SourceDeclaration

DAILY_COUNTS = (
    "total_requests", "unique_requests", "cache_hits", "build_count", "successful_builds",
    "failed_builds", "building_builds", "unique_clients", "diff_packages_true",
    "diff_packages_false", "total_build_time_seconds",
)  # fmt: skip
# Requests and builds of the last 7 days of the mart against the staged events.
LAST_WEEK = "(select max(period_start) - 6 from marts.build_stats_daily)"
RECONCILIATION_QUERY = f"""select
    (select coalesce(sum(total_requests), 0)
     from marts.build_stats_daily where period_start >= {LAST_WEEK})
    - (select count(*) from staging.stg_builds__requests
       where event_date >= {LAST_WEEK}) as request_difference,
    (select coalesce(sum(build_count), 0)
     from marts.build_stats_daily where period_start >= {LAST_WEEK})
    - (select count(*) from staging.stg_builds__builds
       where event_date >= {LAST_WEEK}) as build_difference
"""
LATEST_COMPLETE_DAY = "(select max(period_start) from marts.build_stats_daily where is_complete)"

SUITES = (
    Suite(
        name="build_stats_daily_consistency",
        model="build_stats_daily",
        query="select * from marts.build_stats_daily",
        description="Percentiles ordered, rates within [0, 1], counts non-negative, days unique.",
        expectations=(
            at_least("p90_build_duration_seconds", "p50_build_duration_seconds"),
            at_least("p95_build_duration_seconds", "p90_build_duration_seconds"),
            at_least("p99_build_duration_seconds", "p95_build_duration_seconds"),
            between("cache_hit_rate", 0, 1),
            between("success_rate", 0, 1),
            between("diff_packages_share", 0, 1),
            unique("period_start"),
            *non_negative(*DAILY_COUNTS),
        ),
    ),
    Suite(
        name="build_stats_daily_reconciles_with_staging",
        model="build_stats_daily",
        query=RECONCILIATION_QUERY,
        description="Requests and builds of the last 7 days equal the staged events' count.",
        expectations=(between("request_difference", 0, 0), between("build_difference", 0, 0)),
    ),
)


def _daily_alert(name: str, description: str, column: str, breach: str, digits: int) -> Threshold:
    """An alert on one column of build_stats_daily, on the latest complete day."""
    return Threshold(
        name=name,
        model="build_stats_daily",
        description=description,
        query=f"""
            select period_start::text, round({column}::numeric, {digits})
            from marts.build_stats_daily
            where {column} {breach} and period_start = {LATEST_COMPLETE_DAY}
        """,
        columns=("day", column),
    )


THRESHOLDS = (
    _daily_alert(
        "alert_build_success_rate_below_85pct",
        "The build success rate of the latest complete day is below 85%.",
        "success_rate",
        "< 0.85",
        4,
    ),
    _daily_alert(
        "alert_build_cache_hit_rate_below_30pct",
        "The cache hit rate of the latest complete day is below 30%.",
        "cache_hit_rate",
        "< 0.30",
        4,
    ),
    _daily_alert(
        "alert_build_duration_over_300s",
        "The average build duration of the latest complete day exceeds 300 s.",
        "avg_build_duration_seconds",
        "> 300",
        1,
    ),
    Threshold(
        name="alert_build_client_error_rate_over_50pct",
        model="build_client_stats",
        description=(
            "Clients (10+ finished builds) more than half of whose builds failed on the latest"
            " complete day."
        ),
        query=f"""
            select client, round(sum(failed_builds)::numeric
                                 / sum(successful_builds + failed_builds), 4)
            from marts.build_client_stats
            where period_start = {LATEST_COMPLETE_DAY}
            group by client
            having sum(successful_builds + failed_builds) >= 10
               and sum(failed_builds) > 0.5 * sum(successful_builds + failed_builds)
            order by 2 desc
        """,
        columns=("client", "error_rate"),
    ),
    Threshold(
        name="alert_build_queue_over_100_for_an_hour",
        model="build_queue_hourly",
        description=(
            "The queue stayed above 100 for over an hour on the latest complete day: two"
            " consecutive hours in which every build started with more than 100 waiting."
        ),
        query=f"""
            select hour_start::text, min_queue_length
            from (
                select hour_start, min_queue_length,
                       lag(hour_start) over (order by hour_start) as previous_hour,
                       lag(min_queue_length) over (order by hour_start) as previous_min
                from marts.build_queue_hourly
                where period_start between {LATEST_COMPLETE_DAY} - 1 and {LATEST_COMPLETE_DAY}
            ) as hours
            where min_queue_length > 100 and previous_min > 100
              and previous_hour = hour_start - interval '1 hour'
              and hour_start::date = {LATEST_COMPLETE_DAY}
            order by hour_start
        """,
        columns=("hour_start", "min_queue_length"),
    ),
)

# The seed's "Data Retention": detailed build metrics 90 days, client stats (the request log
# with each request's client) 180 days; the marts keep their history.
RETENTION = (
    Retention(table="build_events", default_days=90, setting="BUILDS_METRICS_RETENTION_DAYS"),
    Retention(
        table="build_requests", default_days=180, setting="BUILDS_CLIENT_STATS_RETENTION_DAYS"
    ),
)

SOURCE = SourceDeclaration(
    name="builds",
    description="The firmware build service (seed 004): requests, builds, errors, queue.",
    expectation_suites=SUITES,
    alert_thresholds=THRESHOLDS,
    retention=RETENTION,
)
