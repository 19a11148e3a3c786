"""The registry on PostgreSQL and on the Spark cluster, the same raw events (a benchmark).

For each size (BENCH_SPARK_EVENTS, default 1M; 10M takes an extra 15-28 min to load here):
registry events of steady daily traffic loaded through the loader into a fresh PostgreSQL
database (history.loaded_and_built), then
- PostgreSQL: the full build of the registry models;
- the lake export of the loaded days (ingest/lake.py), timed;
- Spark: the full build (`dbt run --full-refresh --target spark`), on a cluster of `make
  cluster`'s kind (master, two 1-core workers, Thrift server) started for the benchmark in a
  folder and on ports of its own, so an engineer's cluster is left alone;
- the one-day build on both engines, interleaved (history.interleaved_day_runs: a warm-up
  each, then DAY_REPEATS rounds in ABBA order; medians).
Before the day is timed, the registry's download total of module_stats_daily must be the same
on both engines: a benchmark of a wrong build measures nothing. Ratios are Spark / PostgreSQL at
each size and, with two sizes, large / small per engine (all measured in one run).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from ingest import cluster, lake
from ingest.warehouse import Warehouse, resolve
from orchestration.lib.resources import spark_fetchall
from orchestration.lib.settings import DBT_SPARK_TARGET
from tests.benchmarks import history
from tests.benchmarks.history import timed
from tests.benchmarks.registry_bench import REGISTRY

DOWNLOADS = "select sum(download_count) from marts.module_stats_daily"
COLUMNS = {
    "load s": "load_s",
    "lake export s": "export_s",
    "PG full s": "full_wall_s",
    "Spark full s": "spark_full_s",
    "PG 1-day s": "day_wall_s",
    "Spark 1-day s": "spark_day_wall_s",
}


@contextmanager
def benchmark_cluster(work: Path) -> Iterator[cluster.ClusterSettings]:
    """A cluster of its own for the benchmark; its variables in this process's environment
    (dbt's spark target and the lake export read them) while it runs, stopped after."""
    variables = cluster.isolated_env(work / "spark", work / "lake")
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    settings = cluster.ClusterSettings.from_env()
    try:
        print("\n".join(cluster.start(settings)), flush=True)
        yield settings
    finally:
        cluster.stop(settings)
        for name, value in saved.items():
            os.environ.pop(name, None) if value is None else os.environ.update({name: value})


def measure(server: Warehouse, events: int, work: Path) -> history.Result:
    with history.loaded_and_built(server, REGISTRY, events, work) as (warehouse, spec, result):
        day = str(spec.last_day - timedelta(days=2))
        lake_root = lake.lake_dir()
        result["export_s"] = timed(lambda: lake.export(warehouse, ("registry",), None, lake_root))
        result["spark_full_s"] = timed(
            lambda: history.run_dbt(
                warehouse, work, "run", "--full-refresh",
                selection=REGISTRY.selection, target=DBT_SPARK_TARGET,
            )
        )  # fmt: skip
        with warehouse.cursor() as cursor:
            downloads_pg = cursor.execute(DOWNLOADS).fetchone()[0]
        downloads_spark = spark_fetchall(DOWNLOADS)[0][0]
        if downloads_pg != downloads_spark:
            raise AssertionError(
                f"downloads differ: PostgreSQL {downloads_pg}, Spark {downloads_spark}"
            )
        # The engines' one-day runs interleaved (ABBA), so both meet the same machine load.
        pg_day, spark_day = history.interleaved_day_runs([
            history.DayRun(warehouse, work / "pg", REGISTRY.selection, day),
            history.DayRun(warehouse, work / "spark", REGISTRY.selection, day, DBT_SPARK_TARGET),
        ])  # fmt: skip
        shutil.rmtree(lake_root, ignore_errors=True)  # the next size exports its own
        return (
            result
            | pg_day
            | {
                "downloads": downloads_pg,
                **{f"spark_{key}": value for key, value in spark_day.items()},
            }
        )


def _ratio(
    results: list[history.Result], label: str, numerator: str, denominator: str
) -> list[history.Ratio]:
    return [
        history.Ratio("spark", f"{label}, {r['events']:,} events", r[numerator] / r[denominator])
        for r in results
    ]


# Each engine's full and one-day build, for the growth from the smallest size to the largest.
GROWTH = {
    "PG": {"full build": "full_wall_s", "one-day build": "day_wall_s"},
    "Spark": {"full build": "spark_full_s", "one-day build": "spark_day_wall_s"},
}


def engine_ratios(results: list[history.Result]) -> list[history.Ratio]:
    """Spark / PostgreSQL at each size; with two sizes or more, largest / smallest per engine."""
    ratios = [
        *_ratio(results, "Spark / PG full build", "spark_full_s", "full_wall_s"),
        *_ratio(results, "Spark / PG one-day build (wall)", "spark_day_wall_s", "day_wall_s"),
        *_ratio(results, "Spark / PG one-day models", "spark_day_models_s", "day_models_s"),
    ]
    if len(results) > 1:
        small, large = results[0], results[-1]
        growth = f"{large['events']:,} / {small['events']:,} events"
        for engine, builds in GROWTH.items():
            for build, key in builds.items():
                measure = f"{engine} {build}, {growth}"
                ratios.append(history.Ratio("spark", measure, large[key] / small[key]))
    return ratios


def main() -> list[history.Ratio]:
    sizes = [int(s) for s in os.environ.get("BENCH_SPARK_EVENTS", "1000000").split(",")]
    server = resolve()
    with tempfile.TemporaryDirectory() as tmp, benchmark_cluster(Path(tmp)):
        results = [measure(server, events, Path(tmp) / str(events)) for events in sizes]
    print(f"\nregistry on PostgreSQL and Spark (2 workers x 1 core), {os.cpu_count()} cores")
    for r in results:
        print(
            f"{r['events']:>11,} events over {r['days']} days, {r['downloads']:,} downloads (equal)"
        )
    history.print_table(results, COLUMNS)
    ratios = engine_ratios(results)
    for ratio in ratios:
        print(f"{ratio.measure:<62} {ratio.value:>8.2f}")
    history.print_model_times(results, "PostgreSQL one-day")
    history.print_model_times(
        [{**r, "models": r["spark_models"]} for r in results], "Spark one-day"
    )
    return ratios


if __name__ == "__main__":
    main()
