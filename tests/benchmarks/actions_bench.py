"""The actions source's 5-minute refresh at two history sizes (a benchmark, not a test), as
builds_bench.py does for builds.

For each size: action results at the same steady daily volume (ACTIONS_PER_DAY), ending
today, so a larger size is a longer history (the smallest already spans the 30 days the
sliding marts read), loaded through the loader into a fresh database; then
- the full build of the actions models (`dbt run`, wall time);
- the 5-minute refresh as the schedule runs it, today's window: after one warm-up run, the
  median of REFRESH_REPEATS runs of its SQL time, model time and wall time (dbt's start-up
  included);
- the same refresh through Dagster: one run of actions_refresh_job for today's partition, as
  the 5-minute schedule launches it (execute_in_process on the real code location: dbt, row
  counts, the alerts), after one warm-up run, the median wall of DAGSTER_REPEATS runs.
The ratio of the refresh at the large size to the small one shows whether its cost grows
with history (target <= 1.3). Sizes: BENCH_ACTIONS_EVENTS (default 1M and 10M).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from ingest.sources import SOURCES
from ingest.warehouse import SALT_VARIABLE, Warehouse
from tests.benchmarks import history

ACTIONS = history.SourceHistory(
    tables=SOURCES["actions"],
    selection=["staging.actions", "intermediate.actions", "marts.actions"],
    min_days=31,
    seed=3,
    ends_today=True,
    counted_tables=("action_results",),
)
DAGSTER_REPEATS = 3


def dagster_refresh(warehouse: Warehouse, work: Path, first_day: str, today: str) -> float:
    """Wall time of a refresh run (actions_refresh_job, today's partition), in-process: the
    median of DAGSTER_REPEATS runs after a warm-up (one run swung by 40% between sizes)."""
    from orchestration.definitions import build_definitions
    from orchestration.demo import QUIET
    from orchestration.lib.settings import Settings

    saved = {name: os.environ.get(name) for name in ("WAREHOUSE_URL", SALT_VARIABLE)}
    os.environ.update({"WAREHOUSE_URL": warehouse.url, SALT_VARIABLE: "bench-salt"})
    try:
        settings = Settings(
            work / "landing", first_day, restatement_days=3, owner="team:bench",
            dbt_state_dir=work / "dbt-state",
        )  # fmt: skip
        defs = build_definitions(settings)
        job = defs.resolve_job_def("actions_refresh_job")
        walls = []
        with dg.instance_for_test() as instance:
            job.execute_in_process(instance=instance, run_config=QUIET, partition_key=today)
            for _ in range(DAGSTER_REPEATS):
                started = time.perf_counter()
                result = job.execute_in_process(
                    instance=instance, run_config=QUIET, partition_key=today
                )
                walls.append(time.perf_counter() - started)
                assert result.success
        return statistics.median(walls)
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None) if value is None else os.environ.update({name: value})


@contextmanager
def prepare(
    server: Warehouse, events: int, work: Path
) -> Iterator[tuple[history.Result, history.DayRun]]:
    with history.loaded_and_built(server, ACTIONS, events, work) as (warehouse, spec, result):
        today = str(spec.last_day)
        with warehouse.cursor() as cursor:
            day_actions = cursor.execute(
                "select count(*) from raw.action_results where executed_at >= %(day)s::date"
                " and executed_at < %(day)s::date + 1",
                {"day": today},
            ).fetchone()[0]
        yield (
            result
            | {
                "day_actions": day_actions,
                "dagster_s": dagster_refresh(warehouse, work, str(spec.first_day), today),
            },
            history.DayRun(warehouse, work, ACTIONS.selection, today),
        )


def main() -> list[history.Ratio]:
    results = history.measure_sizes("BENCH_ACTIONS_EVENTS", prepare)
    for r in results:
        print(
            f"{r['events']:>11,} actions over {r['days']} days ({r['day_actions']:,} today):"
            f" load {r['load_s']:.0f} s{history.kept_note(r)}"
        )
    print(f"\nactions models, {os.cpu_count()} cores; the 5-minute refresh is today's window")
    columns = {"full build s": "full_wall_s", **history.DAY_TABLE, "Dagster s": "dagster_s"}
    history.print_table(results, columns)
    columns = {**history.DAY_COLUMNS, "Dagster": "dagster_s"}
    ratios = history.print_ratios(results, "actions", "5-minute refresh", columns)
    history.print_model_times(results, "refresh")
    return ratios


if __name__ == "__main__":
    main()
