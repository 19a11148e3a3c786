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

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from ingest.warehouse import Warehouse
from tests.benchmarks import history
from tests.benchmarks.history import timed

PRODUCT = history.SourceHistory(
    tables=("analytics_events",),
    selection=["staging.product", "intermediate.product", "marts.product"],
    load_catalogs=False,
    dbt_seeds=True,
)

SEED_DAILY_ROLLUP = """
create materialized view analytics_daily_rollup as
select (occurred_at at time zone 'UTC')::date as date, event_name, count(*) as event_count,
       count(distinct session_id) as unique_sessions, count(distinct user_id) as unique_users
from raw.analytics_events
where is_internal = false
group by 1, 2
"""


@contextmanager
def prepare(
    server: Warehouse, events: int, work: Path
) -> Iterator[tuple[history.Result, history.DayRun]]:
    with history.loaded_and_built(server, PRODUCT, events, work) as (warehouse, spec, result):
        day = str(spec.last_day - timedelta(days=2))
        with warehouse.connect(autocommit=True) as connection:
            connection.execute("drop materialized view if exists analytics_daily_rollup")
            connection.execute(SEED_DAILY_ROLLUP)
            refresh = timed(
                lambda: connection.execute("refresh materialized view analytics_daily_rollup")
            )
        yield (
            result | {"mv_refresh_s": refresh},
            history.DayRun(warehouse, work, PRODUCT.selection, day),
        )


def main() -> list[history.Ratio]:
    results = history.measure_sizes("BENCH_PRODUCT_EVENTS", prepare)
    for r in results:
        print(
            f"{r['events']:>11,} events over {r['days']} days: load {r['load_s']:.0f} s"
            f"{history.kept_note(r)}"
        )
    return history.print_day_report(
        results, "product", "product models", {"seed MV s": "mv_refresh_s"}
    )


if __name__ == "__main__":
    main()
