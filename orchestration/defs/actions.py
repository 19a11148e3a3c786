"""The trigger/action result logger (seed 001) as the code location sees it: its intraday
refresh (the seed refreshes its views every 5 minutes and alerts at 10 minutes stale: a
schedule builds today's partition every 5 minutes, the models' freshness policy fails past
10), the seed's alerts ("Monitoring & Alerting") and its retention (action_results, 90 days).
A failed refresh is the run's failure, and the freshness policy's 10 minutes later.
Everything else comes from the machinery."""

from datetime import timedelta

from orchestration.lib.alerts import Threshold
from orchestration.lib.expectations import Suite, at_least, between, non_negative
from orchestration.lib.retention import Retention
from orchestration.lib.source import SourceDeclaration

SUITES = (
    Suite(
        name="action_stats_daily_consistency",
        model="action_stats_daily",
        query="select * from marts.action_stats_daily",
        description="Percentiles ordered, rates within [0, 1], counts non-negative.",
        expectations=(
            at_least("p95_duration_ms", "p50_duration_ms"),
            at_least("p99_duration_ms", "p95_duration_ms"),
            between("success_rate", 0, 1),
            *non_negative("execution_count", "success_count", "failure_count", "total_retries"),
        ),
    ),
    Suite(
        name="action_type_distribution_shares",
        model="action_type_distribution",
        query="select sum(share_pct) as total_share, count(*) as types"
        " from marts.action_type_distribution",
        description="The 30-day shares add up to 100%.",
        expectations=(between("total_share", 99.999999, 100.000001), between("types", 1, None)),
    ),
)


def _health_alert(name: str, description: str, column: str, flag: str, digits: int) -> Threshold:
    """An alert on the 24-hour health summary: the row when its flag (built by dbt) is set."""
    return Threshold(
        name=name,
        model="action_system_health",
        description=description,
        query=f"""
            select window_end::text, round({column}::numeric, {digits})
            from marts.action_system_health where {flag}
        """,
        columns=("window_end", column),
    )


THRESHOLDS = (
    _health_alert(
        "alert_action_success_rate_below_90pct",
        "The success rate of the last 24 hours is below 90% (seed: Low Success Rate).",
        "success_rate",
        "is_success_rate_below_90pct",
        4,
    ),
    _health_alert(
        "alert_action_p95_over_1000ms",
        "The p95 duration of the last 24 hours exceeds 1,000 ms (seed: High Latency).",
        "p95_duration_ms",
        "is_p95_over_1000ms",
        1,
    ),
)

# The seed's retention: action_results kept 90 days (ACTIONS_RETENTION_DAYS), by whole month
# partitions; the marts keep their history.
RETENTION = (Retention(table="action_results", default_days=90, setting="ACTIONS_RETENTION_DAYS"),)

SOURCE = SourceDeclaration(
    name="actions",
    description="The trigger/action result logger (seed 001): actions, triggers, failures.",
    expectation_suites=SUITES,
    alert_thresholds=THRESHOLDS,
    retention=RETENTION,
    refresh_every=timedelta(minutes=5),
)
