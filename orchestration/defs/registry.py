"""The schema registry (seed 000) as the code location sees it: its quality suites and the
seed's alert thresholds (phase 6). Everything else comes from the machinery."""

from orchestration.lib.alerts import Threshold
from orchestration.lib.expectations import (
    Expectation,
    Suite,
    at_least,
    between,
    non_negative,
    unique,
)
from orchestration.lib.source import SourceDeclaration

MODULE_STATS_COUNTS = (
    "view_count", "download_count", "failed_download_count", "unique_users", "unique_orgs",
    "compilation_count", "compilation_success_count", "total_download_bytes",
)  # fmt: skip
HEALTH_SCORES = (
    "health_score", "complexity_score", "maintainability_score",
    "unused_field_score", "deprecated_field_score", "breaking_change_score",
)  # fmt: skip
# Downloads and views of the last 7 days of the mart against the staged events.
LAST_WEEK = "(select max(period_start) - 6 from marts.module_stats_daily)"
RECONCILIATION_QUERY = f"""select
    (select coalesce(sum(download_count + failed_download_count), 0)
     from marts.module_stats_daily where period_start >= {LAST_WEEK})
    - (select count(*) from staging.stg_registry__download_events
       where event_date >= {LAST_WEEK}) as download_difference,
    (select coalesce(sum(view_count), 0)
     from marts.module_stats_daily where period_start >= {LAST_WEEK})
    - (select count(*) from staging.stg_registry__module_view_events
       where event_date >= {LAST_WEEK}) as view_difference
"""

SUITES = (
    Suite(
        name="language_stats_daily_consistency",
        model="language_stats_daily",
        query="select * from marts.language_stats_daily",
        description="p50 <= p95 <= p99, rates within [0, 1], counts non-negative, keys unique.",
        expectations=(
            at_least("p95_duration_ms", "p50_duration_ms"),
            at_least("p99_duration_ms", "p95_duration_ms"),
            between("failure_rate", 0, 1),
            between("cache_hit_rate", 0, 1),
            unique("period_start", "language"),
            *non_negative("compilation_count", "success_count", "failure_count"),
        ),
    ),
    Suite(
        name="module_stats_daily_consistency",
        model="module_stats_daily",
        query="select * from marts.module_stats_daily",
        description="Counts non-negative, (period_start, module_name) unique.",
        expectations=(
            unique("period_start", "module_name"),
            *non_negative(*MODULE_STATS_COUNTS),
        ),
    ),
    Suite(
        name="module_stats_daily_reconciles_with_staging",
        model="module_stats_daily",
        query=RECONCILIATION_QUERY,
        description="Downloads and views of the last 7 days equal the staged events' count.",
        expectations=(between("download_difference", 0, 0), between("view_difference", 0, 0)),
    ),
    Suite(
        name="module_health_scores_in_range",
        model="module_health_scores",
        query="select * from marts.module_health_scores",
        description="Every score and component within [0, 100]; formula version recorded.",
        expectations=(
            *(between(column, 0, 100) for column in HEALTH_SCORES),
            Expectation("ExpectColumnValuesToNotBeNull", {"column": "formula_version"}),
        ),
    ),
)

THRESHOLDS = (
    Threshold(
        name="alert_health_score_below_50",
        model="module_health_scores",
        description="Newest versions whose health score is below 50 in the latest snapshot.",
        query="""
            select module_name || ' ' || version, health_score
            from marts.module_health_scores
            where is_latest_version and health_score < 50
              and as_of_date = (select max(as_of_date) from marts.module_health_scores)
            order by health_score
        """,
        columns=("module_version", "health_score"),
    ),
    Threshold(
        name="alert_compilation_p95_over_5s",
        model="language_stats_daily",
        description="Languages whose compilation p95 exceeded 5 s on the latest complete day.",
        query="""
            select language, round(p95_duration_ms::numeric, 1)
            from marts.language_stats_daily
            where p95_duration_ms > 5000
              and period_start = (
                  select max(period_start) from marts.language_stats_daily where is_complete
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
            " latest complete day."
        ),
        query="""
            select module_name,
                   round(failed_download_count::numeric
                         / (download_count + failed_download_count), 4)
            from marts.module_stats_daily
            where download_count + failed_download_count >= 20
              and failed_download_count > 0.1 * (download_count + failed_download_count)
              and period_start = (
                  select max(period_start) from marts.module_stats_daily where is_complete
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
