"""App event tracking (seeds 002 and 003) as the code location sees it: its quality suites
and the seed's alert thresholds (seed 003, "Monitoring & Alerts"). Everything else comes from
the machinery."""

from orchestration.lib.alerts import Threshold
from orchestration.lib.expectations import (
    Suite,
    between,
    non_negative,
    volume_against_trailing_weeks,
)
from orchestration.lib.source import SourceDeclaration

# Each day of the window: the mart's events (external and internal) against the staged ones.
RECONCILIATION_QUERY = """select
    coalesce(mart.day, staged.day) as day,
    (coalesce(mart.events, 0) - coalesce(staged.events, 0))::bigint as event_difference
from (
    select period_start as day, sum(events + internal_events) as events
    from marts.product_events_daily
    where period_start between date '{first_day}' and date '{last_day}'
    group by 1
) as mart
full join (
    select event_date as day, count(*) as events from staging.stg_product__events
    where event_date between date '{first_day}' and date '{last_day}' group by 1
) as staged on staged.day = mart.day
"""
# The daily volume anomaly check: each complete day's events against the same weekday's mean
# over the four weeks before.
VOLUME_QUERY = volume_against_trailing_weeks(
    "product_events_daily", "sum(events + internal_events)", "events"
)
# The raw event table's size, all its month partitions together (seed 003's "table size").
RAW_EVENTS_BYTES = (
    "(select sum(pg_total_relation_size(relid)) from pg_partition_tree('raw.analytics_events'))"
)
LATEST_COMPLETE_DAY = """(
    select max(period_start) from marts.product_events_daily
    where is_complete and period_start between date '{first_day}' and date '{last_day}'
)"""

SUITES = (
    Suite(
        name="product_events_daily_reconciles_with_staging",
        model="product_events_daily",
        query=RECONCILIATION_QUERY,
        day_column="day",
        description="Each day's events in the mart (internal ones too) equal the staged events.",
        expectations=(between("event_difference", 0, 0),),
    ),
    Suite(
        name="product_events_daily_volume_against_trailing_weeks",
        model="product_events_daily",
        query=VOLUME_QUERY,
        day_column="day",
        description=(
            "Each complete day's events within 0.5x-2x of the same weekday's mean over the"
            " four weeks before (a daily volume anomaly)."
        ),
        expectations=(between("ratio_to_trailing_weeks", 0.5, 2.0),),
    ),
    Suite(
        name="active_users_weekly_consistency",
        model="active_users_weekly",
        query=(
            "select * from marts.active_users_weekly"
            " where period_start between date '{first_day}' - 6 and date '{last_day}'"
        ),
        day_column="period_start",
        description="Stickiness within [0, 1]; the average DAU never above the WAU.",
        expectations=(
            between("stickiness", 0, 1),
            *non_negative("active_users", "avg_daily_active_users"),
        ),
    ),
)


def p95_latency_alert(name: str, metric: str, limit_ms: int, advice: str) -> Threshold:
    """A metric's p95 over all its tag sets above a limit on a complete day of the run."""
    return Threshold(
        name=name,
        model="metric_aggregates_daily",
        description=f"The p95 of {metric} is over {limit_ms:,} ms on a complete day: {advice}.",
        query=f"""
            select period_start::text, round(p95_value::numeric, 1)
            from marts.metric_aggregates_daily
            where
                metric_name = '{metric}' and tags = '(all)' and is_complete
                and period_start between date '{{first_day}}' and date '{{last_day}}'
                and p95_value > {limit_ms}
            order by period_start
        """,
        columns=("day", "p95_ms"),
    )


def table_size_alert(name: str, gigabytes: int, advice: str) -> Threshold:
    return Threshold(
        name=name,
        model="product_events_daily",
        description=f"raw.analytics_events is larger than {gigabytes} GB: {advice} (seed 003).",
        query=f"""
            select 'raw.analytics_events', pg_size_pretty({RAW_EVENTS_BYTES})
            where {RAW_EVENTS_BYTES} > {gigabytes}::bigint * 1024 * 1024 * 1024
        """,
        columns=("table", "size"),
    )


THRESHOLDS = (
    Threshold(
        name="alert_product_daily_events_over_10k",
        model="product_events_daily",
        description=(
            "More than 10K events (internal ones included) on the run's latest complete day:"
            " plan for phase 2, materialized views (seed 003)."
        ),
        query=f"""
            select period_start::text, sum(events + internal_events)
            from marts.product_events_daily
            where period_start = {LATEST_COMPLETE_DAY}
            group by period_start
            having sum(events + internal_events) > 10000
        """,
        columns=("day", "events"),
    ),
    Threshold(
        name="alert_llm_cache_hit_rate_under_target",
        model="llm_prompt_cache_daily",
        description=(
            "The prompt cache's hit rate under its target (70%, var llm_cache_hit_rate_target)"
            " on a complete day (seed 003, cache performance)."
        ),
        query="""
            select period_start::text, round(hit_rate::numeric, 4), lookups
            from marts.llm_prompt_cache_daily
            where
                not meets_target and is_complete
                and period_start between date '{first_day}' and date '{last_day}'
            order by period_start
        """,
        columns=("day", "hit_rate", "lookups"),
    ),
    p95_latency_alert(
        "alert_llm_ttft_p95_over_2s", "llm.ttft_ms", 2000, "time to first token is slow (seed 003)"
    ),
    p95_latency_alert(
        "alert_llm_tpot_p95_over_60ms",
        "llm.tpot_ms",
        60,
        "time per output token is slow (seed 003)",
    ),
    p95_latency_alert(
        "alert_database_query_p95_over_2s",
        "database.query.duration",
        2000,
        "add materialized views (seed 003, query p95 > 2s)",
    ),
    table_size_alert("alert_product_events_table_over_1gb", 1, "consider optimization"),
    table_size_alert("alert_product_events_table_over_10gb", 10, "plan for partitioning"),
)

SOURCE = SourceDeclaration(
    name="product",
    description="App event tracking and metrics (seeds 002 and 003).",
    expectation_suites=SUITES,
    alert_thresholds=THRESHOLDS,
)
