"""Product models at two history sizes (a benchmark, not a test), as builds_bench.py does for
the build service.

For each size: product events (raw.analytics_events only: metrics are the next issue's) at
the same steady daily volume, so a larger size is a longer history, loaded through the loader
into a fresh database; then
- the full build of the product models (`dbt seed` + `dbt run`, wall time);
- a one-day incremental build with the window of one day, after one warm-up run of the same
  window: the median of DAY_REPEATS runs of its SQL time, model time and wall time;
- the seed's way (seed 003, phase 2): its daily rollup as a materialized view, refreshed.
The ratio of the one-day build at the large size to the small one shows whether the cost of a
day grows with history (target <= 1.3). Sizes: BENCH_PRODUCT_EVENTS (default 1M and 10M).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from ingest import loader, migrate
from ingest.generator import GeneratorSpec, event_shares, generate
from ingest.warehouse import Warehouse, resolve
from tests.benchmarks.builds_bench import model_times
from tests.benchmarks.registry_bench import run_dbt, timed
from tests.databases import fresh_database

PRODUCT_EVENTS_PER_DAY = 10_000
DAY_REPEATS = 3
PRODUCT_SELECTION = ["staging.product", "intermediate.product", "marts.product"]
EVENTS_SHARE = event_shares()["analytics_events"]

SEED_DAILY_ROLLUP = """
create materialized view analytics_daily_rollup as
select (occurred_at at time zone 'UTC')::date as date, event_name, count(*) as event_count,
       count(distinct session_id) as unique_sessions, count(distinct user_id) as unique_users
from raw.analytics_events
where is_internal = false
group by 1, 2
"""


def load_history(warehouse: Warehouse, events: int, folder: Path) -> GeneratorSpec:
    days = max(7, round(events / PRODUCT_EVENTS_PER_DAY))
    spec = GeneratorSpec(events=int(events / EVENTS_SHARE), days=days, seed=2).clean().steady()
    for path in generate(spec, folder, tables=("analytics_events",)):
        if not path.stem.endswith("__catalog"):
            loader.load_file(warehouse, path)
        path.unlink()
    return spec


def _day_runs(warehouse: Warehouse, work: Path, day: str) -> tuple[list[float], list[Any]]:
    """DAY_REPEATS one-day runs after a warm-up: medians of (SQL, models, wall) and per-model
    times."""
    run_dbt(warehouse, work, "run", selection=PRODUCT_SELECTION, min_date=day, max_date=day)
    runs, per_model = [], []
    for _ in range(DAY_REPEATS):
        started = time.perf_counter()
        sql_s, models_s = run_dbt(
            warehouse, work, "run", selection=PRODUCT_SELECTION, min_date=day, max_date=day
        )
        runs.append((sql_s, models_s, time.perf_counter() - started))
        per_model.append(model_times(work))
    return [statistics.median(column) for column in zip(*runs, strict=True)], per_model


def measure(server: Warehouse, events: int, work: Path) -> dict[str, Any]:
    with fresh_database(server, "bench") as warehouse:
        migrate.migrate(warehouse)
        load_started = time.perf_counter()
        spec = load_history(warehouse, events, work / "landing")
        load_seconds = time.perf_counter() - load_started
        with warehouse.cursor() as cursor:
            loaded = cursor.execute("select count(*) from raw.analytics_events").fetchone()[0]
            cursor.execute("analyze")
        run_dbt(warehouse, work, "seed", selection=PRODUCT_SELECTION)
        full_wall = timed(lambda: run_dbt(warehouse, work, "run", selection=PRODUCT_SELECTION))
        day = str(spec.last_day - timedelta(days=2))
        medians, per_model = _day_runs(warehouse, work, day)
        with warehouse.connect(autocommit=True) as connection:
            connection.execute(SEED_DAILY_ROLLUP)
            refresh = timed(
                lambda: connection.execute("refresh materialized view analytics_daily_rollup")
            )
        return {
            "events": loaded,
            "days": spec.days,
            "load_s": load_seconds,
            "full_wall_s": full_wall,
            "day_sql_s": medians[0],
            "day_models_s": medians[1],
            "day_wall_s": medians[2],
            "models": {m: statistics.median(r[m] for r in per_model) for m in per_model[0]},
            "mv_refresh_s": refresh,
        }


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_PRODUCT_EVENTS", "1000000,10000000").split(",")]
    server = resolve()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for events in sizes:
            r = measure(server, events, Path(tmp) / str(events))
            results.append(r)
            print(
                f"{r['events']:>11,} events over {r['days']} days: load {r['load_s']:.0f} s,"
                f" full build {r['full_wall_s']:.1f} s, one day: SQL {r['day_sql_s']:.2f} s,"
                f" models {r['day_models_s']:.2f} s, wall {r['day_wall_s']:.2f} s,"
                f" seed MV refresh {r['mv_refresh_s']:.2f} s",
                flush=True,
            )
    print(f"\nproduct models, {os.cpu_count()} cores")
    if len(results) > 1:
        small, large = results[0], results[-1]
        ratios = [large[k] / small[k] for k in ("day_sql_s", "day_models_s", "day_wall_s")]
        print(
            f"one-day build, large / small: SQL {ratios[0]:.2f}, models {ratios[1]:.2f}, "
            f"wall {ratios[2]:.2f} (target <= 1.3)"
        )
    print("\none-day model times (median), s")
    for model in results[0]["models"]:
        print(f"{model:<36} " + " ".join(f"{r['models'][model]:>8.2f}" for r in results))


if __name__ == "__main__":
    main()
