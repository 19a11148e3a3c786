"""The schema registry (seed 000) as the code location sees it: its quality suites and the
seed's alert thresholds (phase 6). Everything else comes from the machinery."""

from orchestration.lib.alerts import Threshold
from orchestration.lib.expectations import (
    Expectation,
    Suite,
    between,
    volume_against_trailing_weeks,
)
from orchestration.lib.source import SourceDeclaration

# Each day of the window: the mart's downloads and views against the staged events' count.
RECONCILIATION_QUERY = """select
    coalesce(mart.day, downloads.day, views.day) as day,
    (coalesce(mart.downloads, 0) - coalesce(downloads.events, 0))::bigint as download_difference,
    (coalesce(mart.views, 0) - coalesce(views.events, 0))::bigint as view_difference
from (
    select period_start as day, sum(download_count + failed_download_count) as downloads,
           sum(view_count) as views
    from marts.module_stats_daily
    where period_start between date '{first_day}' and date '{last_day}'
    group by 1
) as mart
full join (
    select event_date as day, count(*) as events from staging.stg_registry__download_events
    where event_date between date '{first_day}' and date '{last_day}' group by 1
) as downloads on downloads.day = mart.day
full join (
    select event_date as day, count(*) as events from staging.stg_registry__module_view_events
    where event_date between date '{first_day}' and date '{last_day}' group by 1
) as views on views.day = coalesce(mart.day, downloads.day)
"""
# Each complete day of the window: download attempts against the mean of the same weekday in
# the four weeks before (null without history, which GX leaves alone).
VOLUME_QUERY = volume_against_trailing_weeks(
    "module_stats_daily", "sum(download_count + failed_download_count)", "attempts"
)

SUITES = (
    Suite(
        name="module_stats_daily_reconciles_with_staging",
        model="module_stats_daily",
        query=RECONCILIATION_QUERY,
        day_column="day",
        description="Each day's downloads and views in the mart equal the staged events' count.",
        expectations=(between("download_difference", 0, 0), between("view_difference", 0, 0)),
    ),
    Suite(
        name="module_stats_daily_volume_against_trailing_weeks",
        model="module_stats_daily",
        query=VOLUME_QUERY,
        day_column="day",
        description=(
            "Each complete day's download attempts within 0.5x-2x of the same weekday's mean"
            " over the four weeks before."
        ),
        expectations=(between("ratio_to_trailing_weeks", 0.5, 2.0),),
    ),
    Suite(
        name="language_stats_daily_distribution",
        model="language_stats_daily",
        query=(
            "select * from marts.language_stats_daily"
            " where period_start between date '{first_day}' and date '{last_day}'"
        ),
        day_column="period_start",
        description=(
            "Per day across languages: mean failure rate at most 50%, median cache hit rate"
            " within [0, 1], at least one language."
        ),
        expectations=(
            Expectation(
                "ExpectColumnMeanToBeBetween",
                {"column": "failure_rate", "min_value": 0, "max_value": 0.5},
            ),
            Expectation(
                "ExpectColumnMedianToBeBetween",
                {"column": "cache_hit_rate", "min_value": 0, "max_value": 1},
            ),
            Expectation("ExpectTableRowCountToBeBetween", {"min_value": 1}),
        ),
    ),
)

THRESHOLDS = (
    Threshold(
        name="alert_health_score_below_50",
        model="module_health_scores",
        description=(
            "Newest versions whose health score is below 50 in the run's latest snapshot."
        ),
        query="""
            select module_name || ' ' || version, health_score
            from marts.module_health_scores
            where is_latest_version and health_score < 50
              and as_of_date = (
                  select max(as_of_date) from marts.module_health_scores
                  where as_of_date between date '{first_day}' and date '{last_day}'
              )
            order by health_score
        """,
        columns=("module_version", "health_score"),
    ),
    Threshold(
        name="alert_compilation_p95_over_5s",
        model="language_stats_daily",
        description=(
            "Languages whose compilation p95 exceeded 5 s on the run's latest complete day."
        ),
        query="""
            select language, round(p95_duration_ms::numeric, 1)
            from marts.language_stats_daily
            where p95_duration_ms > 5000
              and period_start = (
                  select max(period_start) from marts.language_stats_daily
                  where is_complete
                    and period_start between date '{first_day}' and date '{last_day}'
              )
            order by 2 desc
        """,
        columns=("language", "p95_duration_ms"),
    ),
    Threshold(
        name="alert_download_error_rate_over_10pct",
        model="module_stats_daily",
        description=(
            "Modules (20+ download attempts) whose download error rate exceeded 10% on the"
            " run's latest complete day."
        ),
        query="""
            select module_name,
                   round(failed_download_count::numeric
                         / (download_count + failed_download_count), 4)
            from marts.module_stats_daily
            where download_count + failed_download_count >= 20
              and failed_download_count > 0.1 * (download_count + failed_download_count)
              and period_start = (
                  select max(period_start) from marts.module_stats_daily
                  where is_complete
                    and period_start between date '{first_day}' and date '{last_day}'
              )
            order by 2 desc
        """,
        columns=("module_name", "error_rate"),
    ),
)

SOURCE = SourceDeclaration(
    name="registry",
    description="The schema registry (seed 000): downloads, views, compilations, health.",
    expectation_suites=SUITES,
    alert_thresholds=THRESHOLDS,
)
