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
from orchestration.lib.resources import WarehouseResource

RESULT_FIELDS = ("observed_value", "element_count", "unexpected_count", "partial_unexpected_list")


@dataclass(frozen=True)
class Expectation:
    """One GX expectation by class name, so suites can be declared without importing GX."""

    kind: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Suite:
    """A GX suite on one model's rows: `query` selects them (GX wants it to start with
    `select`), `name` becomes the asset check's name."""

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


def non_negative(*columns: str) -> tuple[Expectation, ...]:
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


def _expectation_check(suite: Suite, asset_key: dg.AssetKey) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=asset_key, name=suite.name, description=suite.description, blocking=False)
    def expectation_check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        return validate(warehouse.get(), suite)

    return expectation_check


def build_expectation_checks(
    suites: tuple[Suite, ...], asset_key_of: dict[str, dg.AssetKey]
) -> list[dg.AssetChecksDefinition]:
    """One asset check per suite, on the asset of the suite's model."""
    return [_expectation_check(suite, asset_key_of[suite.model]) for suite in suites]
