"""The seed's alert thresholds (seed 000, phase 6) as warning-severity asset checks.

Each reads the latest complete day (or snapshot) of a mart and, when it fails, names what
crossed the threshold and by how much.
"""

from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from ingest.warehouse import Warehouse
from orchestration.resources import WarehouseResource


@dataclass(frozen=True)
class Threshold:
    name: str
    model: str
    description: str
    query: str  # rows that breach the threshold, first column naming what breached it
    columns: tuple[str, ...]


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


def evaluate(warehouse: Warehouse, threshold: Threshold) -> dg.AssetCheckResult:
    with warehouse.cursor() as cursor:
        breaches = cursor.execute(threshold.query).fetchall()
    return dg.AssetCheckResult(
        passed=not breaches,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "breaches": len(breaches),
            "worst": dg.MetadataValue.json(
                [dict(zip(threshold.columns, map(str, row), strict=True)) for row in breaches[:20]]
            ),
        },
    )


def _threshold_check(
    threshold: Threshold, asset_key: dg.AssetKey
) -> Callable[..., dg.AssetCheckResult]:
    @dg.asset_check(
        asset=asset_key, name=threshold.name, description=threshold.description, blocking=False
    )
    def threshold_check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        return evaluate(warehouse.get(), threshold)

    return threshold_check


def build_alert_checks(asset_key_of: dict[str, dg.AssetKey]) -> list[dg.AssetChecksDefinition]:
    return [_threshold_check(t, asset_key_of[t.model]) for t in THRESHOLDS]
