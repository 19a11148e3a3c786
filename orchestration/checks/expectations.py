"""Great Expectations 1.x suites run as Dagster asset checks.

There is no maintained Dagster integration for GX 1.x; the shape that works is an ephemeral
context, a PostgreSQL data source, a query asset, a suite built in code and a validation
definition, whose result becomes an AssetCheckResult. GX takes seconds to import, so it is
imported only when a check runs.
"""

from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from ingest.warehouse import Warehouse
from orchestration.resources import WarehouseResource

COUNT_COLUMNS = (
    "view_count", "download_count", "failed_download_count", "unique_users", "unique_orgs",
    "compilation_count", "compilation_success_count", "total_download_bytes",
)  # fmt: skip


RESULT_FIELDS = ("observed_value", "element_count", "unexpected_count", "partial_unexpected_list")


@dataclass(frozen=True)
class Expectation:
    """One GX expectation by class name, so suites can be declared without importing GX."""

    kind: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Suite:
    name: str
    model: str
    query: str
    expectations: tuple[Expectation, ...]
    description: str


def _connection_string(warehouse: Warehouse) -> str:
    """A SQLAlchemy URL GX accepts: a socket folder needs a dummy host plus ?host= (STACK_NOTES)."""
    credentials = f"{warehouse.user}:{warehouse.password}"
    if warehouse.host.startswith("/"):
        return (
            f"postgresql+psycopg2://{credentials}@localhost/{warehouse.dbname}"
            f"?host={warehouse.host}&port={warehouse.port}"
        )
    return (
        f"postgresql+psycopg2://{credentials}@{warehouse.host}:{warehouse.port}/{warehouse.dbname}"
    )


def validate(warehouse: Warehouse, suite: Suite) -> dg.AssetCheckResult:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_postgres(
        name="warehouse", connection_string=_connection_string(warehouse)
    )
    batch = source.add_query_asset(
        name=suite.name, query=suite.query
    ).add_batch_definition_whole_table("whole")
    gx_suite = context.suites.add(gx.ExpectationSuite(name=suite.name))
    for expectation in suite.expectations:
        gx_suite.add_expectation(
            getattr(gx.expectations, expectation.kind)(**expectation.arguments)
        )
    result = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
    ).run()
    outcomes = {}
    for item in result.results:
        config = item.expectation_config
        arguments = ", ".join(f"{k}={v}" for k, v in config.kwargs.items() if k != "batch_id")
        label = f"{config.type}({arguments})"
        outcomes[label] = {
            "success": item.success,
            **{k: item.result[k] for k in RESULT_FIELDS if item.result.get(k) is not None},
        }
    failed = {label: o for label, o in outcomes.items() if not o["success"]}
    return dg.AssetCheckResult(
        passed=bool(result.success),
        metadata={
            "expectations": len(outcomes),
            "failed_expectations": len(failed),
            "failures": dg.MetadataValue.json(failed),
        },
    )


def _non_negative(columns: tuple[str, ...]) -> tuple[Expectation, ...]:
    return tuple(between(column, 0, None) for column in columns)


def between(column: str, low: float | None, high: float | None) -> Expectation:
    return Expectation(
        "ExpectColumnValuesToBeBetween", {"column": column, "min_value": low, "max_value": high}
    )


def at_least(column: str, other: str) -> Expectation:
    return Expectation(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {"column_A": column, "column_B": other, "or_equal": True},
    )


def unique(*columns: str) -> Expectation:
    return Expectation("ExpectCompoundColumnsToBeUnique", {"column_list": list(columns)})


# Downloads and views of the last 7 days of the mart against the staged events (GX takes a
# query that starts with `select`).
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
HEALTH_SCORES = (
    "health_score", "complexity_score", "maintainability_score",
    "unused_field_score", "deprecated_field_score", "breaking_change_score",
)  # fmt: skip

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
            *_non_negative(("compilation_count", "success_count", "failure_count")),
        ),
    ),
    Suite(
        name="module_stats_daily_consistency",
        model="module_stats_daily",
        query="select * from marts.module_stats_daily",
        description="Counts non-negative, (period_start, module_name) unique.",
        expectations=(unique("period_start", "module_name"), *_non_negative(COUNT_COLUMNS)),
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


def _expectation_check(suite: Suite, asset_key: dg.AssetKey) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=asset_key, name=suite.name, description=suite.description, blocking=False)
    def expectation_check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        return validate(warehouse.get(), suite)

    return expectation_check


def build_expectation_checks(
    asset_key_of: dict[str, dg.AssetKey],
) -> list[dg.AssetChecksDefinition]:
    return [_expectation_check(suite, asset_key_of[suite.model]) for suite in SUITES]
