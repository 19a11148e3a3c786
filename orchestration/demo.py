"""`make demo`: generate sample files, then load, build and check everything through Dagster.

The runs land in the same Dagster instance (DAGSTER_HOME) that `make ui` shows, so after the
demo the UI has the whole history: the load, then per source system with models one backfill
run over every day of data (one dbt call: rollups, and a snapshot as of every day), and every
check's result.

With WAREHOUSE_ENGINE=spark the models build on the Spark cluster of `make cluster` (started
here when it is not running): the load job also exports the loads to the lake, only the
registry has models there, and the summary is read through the cluster's Thrift server.
"""

import argparse
import contextlib
import sys
import time
from collections import Counter

import dagster as dg

from ingest import access, generator, migrate
from ingest.warehouse import failures_in_one_line, resolve, warehouse_dir
from orchestration.definitions import build_definitions
from orchestration.lib.instance import dagster_home
from orchestration.lib.jobs import LOAD_JOB
from orchestration.lib.partitions import WINDOW_END_TAG, WINDOW_START_TAG
from orchestration.lib.resources import WarehouseResource
from orchestration.lib.schedules import RANGE_END_TAG, RANGE_START_TAG
from orchestration.lib.settings import SPARK, Settings

MART_SCHEMA = "marts"
# The run's events still land in the instance; the terminal gets warnings only.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
DBT_LOG_NAME = "demo-dbt.log"  # in the warehouse folder


def _instance() -> dg.DagsterInstance:
    dagster_home()
    return dg.DagsterInstance.get()


def _run(
    defs: dg.Definitions, job: str, instance: dg.DagsterInstance, **tags: str
) -> dg.ExecuteInProcessResult:
    """One run; what dbt prints (dagster-dbt echoes every dbt line to stdout) goes to the log
    file, the terminal gets one line per run."""
    started = time.perf_counter()
    dbt_log = warehouse_dir() / DBT_LOG_NAME
    with dbt_log.open("a") as log, contextlib.redirect_stdout(log):
        result = defs.resolve_job_def(job).execute_in_process(
            instance=instance, tags=tags or None, raise_on_error=False, run_config=QUIET
        )
    status = "succeeded" if result.success else f"FAILED (dbt's output: {dbt_log})"
    print(f"  {job}: {status} in {time.perf_counter() - started:.1f} s (run {result.run_id[:8]})")
    return result


def _summarize(results: list[dg.ExecuteInProcessResult]) -> tuple[int, Counter[str], list[str]]:
    materialized: set[dg.AssetKey] = set()
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    for result in results:
        for event in result.all_events:
            if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
                materialized.add(event.asset_key)
            elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
                evaluation = event.event_specific_data
                if evaluation.passed:
                    outcomes["passed"] += 1
                else:
                    severity = evaluation.severity.value.lower()
                    outcomes[f"failed ({severity})"] += 1
                    failures.append(
                        f"{evaluation.asset_check_key.name} on "
                        f"{evaluation.asset_key.to_user_string()} [{severity}]"
                    )
    return len(materialized), outcomes, failures


def _mart_names(engine: WarehouseResource) -> list[str]:
    if engine.engine == SPARK:
        return sorted(row[1] for row in engine.fetchall(f"show tables in {MART_SCHEMA}"))
    return [
        row[0]
        for row in engine.fetchall(
            "select table_name from information_schema.tables"
            f" where table_schema = '{MART_SCHEMA}' order by 1"
        )
    ]


# The registry's headline, read from its marts on the engine that built them.
REGISTRY_SUMMARY = """
select count(distinct period_start), sum(download_count), sum(failed_download_count),
       sum(view_count), count(distinct module_name)
from marts.module_stats_daily
"""


def _print_marts(engine: WarehouseResource) -> None:
    """Rows per mart and the registry's totals, read on the models' engine (on spark, through
    the cluster's Thrift server), in one statement each."""
    marts = _mart_names(engine)
    counts = dict(
        engine.fetchall(
            " union all ".join(
                f"select '{mart}', count(*) from {engine.relation(MART_SCHEMA, mart)}"
                for mart in marts
            )
        )
        if marts
        else []
    )
    print(f"\nrows per mart ({engine.engine}):")
    for mart in marts:
        print(f"  {MART_SCHEMA}.{mart:<28}{counts[mart]:>10,}")
    if "module_stats_daily" in marts:
        days, downloads, failed, views, modules = engine.fetchall(REGISTRY_SUMMARY)[0]
        print(
            f"\nregistry ({engine.engine}): {downloads:,} downloads ({failed:,} failed) and"
            f" {views:,} views of {modules:,} modules over {days} days"
        )


def _thrift_url() -> str:
    from ingest.cluster import HOST, ClusterSettings

    return f"jdbc:hive2://{HOST}:{ClusterSettings.from_env().thrift_port}"


def _start_cluster() -> None:
    """The spark engine builds on `make cluster`'s cluster: started here when not running."""
    from ingest.cluster import ClusterError, ClusterSettings, start

    try:
        for line in start(ClusterSettings.from_env()):
            print(f"  {line}")
    except ClusterError as error:
        raise SystemExit(f"error: {error}") from error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.demo", description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
    except ValueError as error:  # a setting with a value it cannot take, named in the message
        raise SystemExit(f"error: {error}") from error
    spec = generator.GeneratorSpec(events=args.events, days=args.days, seed=args.seed)
    landing = settings.landing_dir / f"demo-{args.events}-events-{args.days}-days-seed-{args.seed}"
    with failures_in_one_line():
        warehouse = resolve()
        migrate.migrate(warehouse)
    if not landing.exists():
        print(f"generating {args.events:,} events over {args.days} days into {landing}")
        generator.generate(spec, landing)
    if settings.engine == SPARK:
        print("spark cluster (make stop stops it):")
        _start_cluster()
    instance = _instance()
    print("running through Dagster:")
    days = {
        RANGE_START_TAG: spec.first_day.isoformat(),
        RANGE_END_TAG: spec.last_day.isoformat(),
    }
    results = [_run(build_definitions(settings), LOAD_JOB, instance)]
    # Loaded: the daily partitions start from the first day with data, as `make ui` shows them.
    defs = build_definitions(settings)
    # Jobs of models are partitioned (one backfill run); quality jobs take a window of days.
    window = {WINDOW_START_TAG: days[RANGE_START_TAG], WINDOW_END_TAG: days[RANGE_END_TAG]}
    results += [
        _run(defs, job.name, instance,
             **(days if defs.resolve_job_def(job.name).partitions_def else window))
        for job in defs.jobs or []
        if job.name != LOAD_JOB and not job.name.startswith("__")
    ]  # fmt: skip
    assets, outcomes, failures = _summarize(results)
    print(f"\nassets materialized: {assets}")
    print(
        "checks: " + ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
    )
    for failure in failures:
        print(f"  - {failure}")
    _print_marts(WarehouseResource(engine=settings.engine))
    if settings.engine == SPARK:  # the marts are in Spark: its JDBC/ODBC (Thrift) server
        print(f"\nthe marts (Spark's Thrift server): {_thrift_url()}")
    else:
        try:
            print(f"\nBI tools (read-only, make dsn): {access.reader_login(warehouse).url}")
        except access.AccessNotConfigured as error:  # a configured server's reader password
            print(f"\nBI tools: {error}")
    print("Dagster UI on the same warehouse: make ui")
    return 0 if all(r.success for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
