"""A seed's alert thresholds as warning-severity asset checks.

Each threshold is a query returning the rows that breach it (the latest complete day or
snapshot of a mart, typically); the check fails with what crossed the threshold and by how
much. A threshold runs with every partition run of its model, so its query reads only the
run's days: it bounds itself with {first_day}/{last_day} (orchestration.lib.partitions.bounded;
every day in a run without a window). Sources declare theirs in orchestration/defs/<source>.py.
"""

from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from ingest.warehouse import Warehouse
from orchestration.lib.partitions import Window, bounded, run_window
from orchestration.lib.resources import WarehouseResource


@dataclass(frozen=True)
class Threshold:
    name: str
    model: str
    description: str
    query: str  # rows that breach the threshold, first column naming what breached it
    columns: tuple[str, ...]


def evaluate(
    warehouse: Warehouse | WarehouseResource, threshold: Threshold, window: Window | None = None
) -> dg.AssetCheckResult:
    """The threshold's breaches in the window, read on the models' engine (a resource's, or
    PostgreSQL's for a Warehouse); the queries keep to SQL that Spark reads too."""
    query = bounded(threshold.query, window)
    if isinstance(warehouse, WarehouseResource):
        breaches = warehouse.fetchall(query)
    else:
        with warehouse.cursor() as cursor:
            breaches = cursor.execute(query).fetchall()
    return dg.AssetCheckResult(
        passed=not breaches,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "window": f"{window['min_date']} .. {window['max_date']}" if window else "every day",
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
    def threshold_check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        return evaluate(warehouse, threshold, run_window(context.run.tags))

    return threshold_check


def build_alert_checks(
    thresholds: tuple[Threshold, ...], asset_key_of: dict[str, dg.AssetKey]
) -> list[dg.AssetChecksDefinition]:
    """One warning check per threshold, on the asset of the threshold's model."""
    return [_threshold_check(t, asset_key_of[t.model]) for t in thresholds]
