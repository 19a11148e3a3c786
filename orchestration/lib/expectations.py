"""Great Expectations 1.x suites run as Dagster asset checks, one GX batch per day of a window.

There is no maintained Dagster integration for GX 1.x; the shape that works is an ephemeral
context, a PostgreSQL data source, a query asset, a suite built in code and a validation
definition, whose result becomes an AssetCheckResult. GX takes seconds to import, so it is
imported only when a check runs, and the checks run in a source's quality job, not in every
partition run of its models.

What GX is for here is what dbt tests express poorly: a day's volume against the same weekday
of trailing weeks, distributions, reconciliation between layers. Row-level rules (ranges,
orderings, unique keys) are dbt tests on the models.
"""

import warnings
from dataclasses import dataclass, field
from datetime import date
from types import ModuleType
from typing import Any

import dagster as dg

from ingest.warehouse import Warehouse
from orchestration.lib.partitions import Window, bounded, run_window
from orchestration.lib.resources import WarehouseResource
from orchestration.lib.settings import POSTGRES

RESULT_FIELDS = ("observed_value", "element_count", "unexpected_count", "partial_unexpected_list")


@dataclass(frozen=True)
class Expectation:
    """One GX expectation by class name, so suites can be declared without importing GX."""

    kind: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Suite:
    """A GX suite on one model's rows: `query` selects them (GX wants it to start with
    `select`), `name` becomes the asset check's name.

    day_column: the query's day column. The suite is then validated one batch per day, over
    the days of the run's window only: the query bounds itself with the placeholders
    {first_day} and {last_day} (inclusive ISO dates; '-infinity' and 'infinity' in a run
    without a window). Without it the query is validated whole.
    """

    name: str
    model: str
    query: str
    expectations: tuple[Expectation, ...]
    description: str
    day_column: str | None = None


def _outcomes(result: Any) -> dict[str, dict[str, Any]]:
    outcomes = {}
    for item in result.results:
        config = item.expectation_config
        arguments = ", ".join(f"{k}={v}" for k, v in config.kwargs.items() if k != "batch_id")
        outcomes[f"{config.type}({arguments})"] = {
            "success": item.success,
            **{k: item.result[k] for k in RESULT_FIELDS if item.result.get(k) is not None},
        }
    return outcomes


def _days(warehouse: Warehouse, query: str, column: str) -> list[date]:
    with warehouse.cursor() as cursor:
        rows = cursor.execute(
            f'select distinct "{column}"::date from ({query}) as suite_rows order by 1'
        ).fetchall()
    return [row[0] for row in rows if row[0] is not None]


# What pyspark (installed for the spark engine) prints on import with pandas 3, when GX probes
# for it: GX validates through SQLAlchemy here, never through Spark.
PYSPARK_PANDAS_NOTICE = "PySpark does not yet fully support pandas"


def great_expectations() -> ModuleType:
    """GX, imported without pyspark's notice in the output of every quality run."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", PYSPARK_PANDAS_NOTICE, FutureWarning)
        import great_expectations as gx
    return gx


def validate(
    warehouse: Warehouse, suite: Suite, window: Window | None = None
) -> dg.AssetCheckResult:
    """The suite over the window's days (a batch each), or over its whole query."""
    gx = great_expectations()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_postgres(
        name="warehouse", connection_string=warehouse.sqlalchemy_url
    )
    try:
        return _validated(gx, context, source, warehouse, suite, window)
    finally:
        # One run validates many suites in its process: each would keep its pools open until
        # the run ends. The data source and its execution engine have one each.
        source.get_engine().dispose()
        if source.execution_engine is not None:
            source.execution_engine.engine.dispose()


def _validated(
    gx: ModuleType,
    context: Any,
    source: Any,
    warehouse: Warehouse,
    suite: Suite,
    window: Window | None,
) -> dg.AssetCheckResult:
    query = bounded(suite.query, window)
    asset = source.add_query_asset(name=suite.name, query=query)
    gx_suite = context.suites.add(gx.ExpectationSuite(name=suite.name))
    for expectation in suite.expectations:
        gx_suite.add_expectation(
            getattr(gx.expectations, expectation.kind)(**expectation.arguments)
        )
    failed: dict[str, dict[str, Any]] = {}
    expectations = 0
    if suite.day_column:
        batches = asset.add_batch_definition_daily("daily", suite.day_column)
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=suite.name, data=batches, suite=gx_suite)
        )
        days = _days(warehouse, query, suite.day_column)
        for day in days:
            outcomes = _outcomes(
                definition.run(batch_parameters={"year": day.year, "month": day.month,
                                                 "day": day.day})
            )  # fmt: skip
            expectations += len(outcomes)
            failed |= {f"{day}: {k}": o for k, o in outcomes.items() if not o["success"]}
        scope: dict[str, Any] = {
            "days_validated": len(days),
            "failed_days": dg.MetadataValue.json(sorted({k.split(":")[0] for k in failed})),
        }
    else:
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(
                name=suite.name, data=asset.add_batch_definition_whole_table("whole"),
                suite=gx_suite,
            )
        )  # fmt: skip
        outcomes = _outcomes(definition.run())
        expectations = len(outcomes)
        failed = {k: o for k, o in outcomes.items() if not o["success"]}
        scope = {}
    return dg.AssetCheckResult(
        passed=not failed,
        metadata={
            "window": f"{window['min_date']} .. {window['max_date']}" if window else "every day",
            **scope,
            "expectations": expectations,
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
    """Unique values of one column, or of a combination (GX's compound expectation refuses
    fewer than two columns)."""
    if len(columns) == 1:
        return Expectation("ExpectColumnValuesToBeUnique", {"column": columns[0]})
    return Expectation("ExpectCompoundColumnsToBeUnique", {"column_list": list(columns)})


def volume_against_trailing_weeks(mart: str, measure: str, name: str) -> str:
    """Each complete day of the window: `measure` (an aggregate over the mart's rows of the
    day) as `name`, and its ratio to the mean of the same weekday in the four weeks before,
    as ratio_to_trailing_weeks (null without history, which GX leaves alone)."""
    return f"""select
    today.day,
    today.{name},
    (today.{name} / nullif(avg(before.{name}), 0))::float as ratio_to_trailing_weeks
from (
    select period_start as day, ({measure})::bigint as {name}
    from marts.{mart}
    where period_start between date '{{first_day}}' and date '{{last_day}}'
    group by 1
    having bool_and(is_complete)
) as today
left join (
    select period_start as day, {measure} as {name}
    from marts.{mart}
    where period_start between date '{{first_day}}' - 28 and date '{{last_day}}' - 7
    group by 1
) as before
    on before.day in (today.day - 7, today.day - 14, today.day - 21, today.day - 28)
group by today.day, today.{name}
"""


def _expectation_check(suite: Suite, asset_key: dg.AssetKey) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=asset_key, name=suite.name, description=suite.description, blocking=False)
    def expectation_check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        if warehouse.engine != POSTGRES:
            return skipped_on(warehouse.engine)
        return validate(warehouse.get(), suite, run_window(context.run.tags))

    return expectation_check


# Why a suite does not run on another engine: GX reads the marts through its PostgreSQL data
# source (SQLAlchemy), and Spark's marts are in Spark; dbt's tests and the alerts run there.
SKIPPED_REASON = (
    "not evaluated: Great Expectations suites run on the postgres engine only (GX reads the"
    " marts through its PostgreSQL data source); on {engine} the marts are checked by dbt's"
    " tests and the alert thresholds"
)


def skipped_on(engine: str) -> dg.AssetCheckResult:
    """A suite's result on an engine it cannot read: passed, with the reason as metadata."""
    return dg.AssetCheckResult(
        passed=True,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"skipped": SKIPPED_REASON.format(engine=engine), "engine": engine},
    )


def build_expectation_checks(
    suites: tuple[Suite, ...], asset_key_of: dict[str, dg.AssetKey]
) -> list[dg.AssetChecksDefinition]:
    """One asset check per suite, on the asset of the suite's model; scoped to the days of the
    run that executes it (Suite.day_column)."""
    return [_expectation_check(suite, asset_key_of[suite.model]) for suite in suites]
