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
  counts, the alerts), after one warm-up run, wall.
The ratio of the refresh at the large size to the small one shows whether its cost grows
with history (target <= 1.3). Sizes: BENCH_ACTIONS_EVENTS (default 1M and 10M).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg

from ingest import loader, migrate
from ingest.generator import GeneratorSpec, event_shares, generate
from ingest.sources import SOURCES
from ingest.warehouse import SALT_VARIABLE, Warehouse, resolve
from tests.benchmarks.builds_bench import model_times
from tests.benchmarks.registry_bench import run_dbt, timed
from tests.databases import fresh_database

ACTIONS_PER_DAY = 10_000
REFRESH_REPEATS = 3
ACTIONS_SELECTION = ["staging.actions", "intermediate.actions", "marts.actions"]
ACTIONS_SHARE = sum(share for t, share in event_shares().items() if t in SOURCES["actions"])


def load_history(warehouse: Warehouse, events: int, folder: Path) -> GeneratorSpec:
    days = max(31, round(events / ACTIONS_PER_DAY))
    spec = GeneratorSpec(
        events=int(events / ACTIONS_SHARE), days=days, seed=3, end_date=datetime.now(UTC).date()
    ).clean().steady()  # fmt: skip
    for path in generate(spec, folder, tables=SOURCES["actions"]):
        loader.load_file(warehouse, path)
        path.unlink()
    return spec


def dagster_refresh(warehouse: Warehouse, work: Path, first_day: str, today: str) -> float:
    """Wall time of one refresh run (actions_refresh_job, today's partition), in-process."""
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
        with dg.instance_for_test() as instance:
            job.execute_in_process(instance=instance, run_config=QUIET, partition_key=today)
            started = time.perf_counter()
            result = job.execute_in_process(
                instance=instance, run_config=QUIET, partition_key=today
            )
            wall = time.perf_counter() - started
        assert result.success
        return wall
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None) if value is None else os.environ.update({name: value})


def measure(server: Warehouse, events: int, work: Path) -> dict[str, Any]:
    with fresh_database(server, "bench") as warehouse:
        migrate.migrate(warehouse)
        load_started = time.perf_counter()
        spec = load_history(warehouse, events, work / "landing")
        load_seconds = time.perf_counter() - load_started
        with warehouse.cursor() as cursor:
            loaded = cursor.execute("select count(*) from raw.action_results").fetchone()[0]
            cursor.execute("analyze")
        full_wall = timed(lambda: run_dbt(warehouse, work, "run", selection=ACTIONS_SELECTION))
        today = str(spec.last_day)
        with warehouse.cursor() as cursor:
            day_actions = cursor.execute(
                "select count(*) from raw.action_results where executed_at >= %(day)s::date"
                " and executed_at < %(day)s::date + 1",
                {"day": today},
            ).fetchone()[0]
        window = {"min_date": today, "max_date": today}
        run_dbt(warehouse, work, "run", selection=ACTIONS_SELECTION, **window)  # warm-up
        runs, per_model = [], []
        for _ in range(REFRESH_REPEATS):
            started = time.perf_counter()
            sql_s, models_s = run_dbt(warehouse, work, "run", selection=ACTIONS_SELECTION, **window)
            runs.append((sql_s, models_s, time.perf_counter() - started))
            per_model.append(model_times(work))
        medians = [statistics.median(column) for column in zip(*runs, strict=True)]
        dagster_wall = dagster_refresh(warehouse, work, str(spec.first_day), today)
        return {
            "events": loaded,
            "days": spec.days,
            "day_actions": day_actions,
            "load_s": load_seconds,
            "full_wall_s": full_wall,
            "sql_s": medians[0],
            "models_s": medians[1],
            "wall_s": medians[2],
            "dagster_s": dagster_wall,
            "models": {m: statistics.median(r[m] for r in per_model) for m in per_model[0]},
        }


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_ACTIONS_EVENTS", "1000000,10000000").split(",")]
    server = resolve()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for events in sizes:
            r = measure(server, events, Path(tmp) / str(events))
            results.append(r)
            print(
                f"{r['events']:>11,} actions over {r['days']} days ({r['day_actions']:,} today):"
                f" load {r['load_s']:.0f} s, full build {r['full_wall_s']:.1f} s, 5-minute"
                f" refresh: SQL {r['sql_s']:.2f} s, models {r['models_s']:.2f} s, wall"
                f" {r['wall_s']:.2f} s, through Dagster {r['dagster_s']:.2f} s",
                flush=True,
            )
    if len(results) > 1:
        small, large = results[0], results[-1]
        ratios = [large[k] / small[k] for k in ("sql_s", "models_s", "wall_s", "dagster_s")]
        print(
            f"5-minute refresh, large / small: SQL {ratios[0]:.2f}, models {ratios[1]:.2f},"
            f" wall {ratios[2]:.2f}, Dagster {ratios[3]:.2f} (target <= 1.3)"
        )
    print("\nrefresh model times (median), s")
    for model in results[0]["models"]:
        print(f"{model:<32} " + " ".join(f"{r['models'][model]:>8.2f}" for r in results))


if __name__ == "__main__":
    main()
