"""Product metrics (raw.metrics, issue 14) at two history sizes (a benchmark, not a test).

For each size: metric points at the same steady daily volume (so the larger size is a longer
history), loaded through the loader into a fresh database; the full build of the metric
models (stg_product__metrics and every mart downstream of it); then a one-day incremental
build (its window widened to the day's whole week and month by the weekly and monthly
aggregates), the median of BENCH_DAY_REPEATS runs (default 5) after a warm-up, alternated with the
other size's runs. The ratio of the one-day
build at the large size to the small one shows whether the cost of a day grows with history
(target <= 1.3). Sizes: BENCH_METRIC_POINTS (default 1M and 10M).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from ingest.warehouse import Warehouse
from tests.benchmarks import history

METRICS = history.SourceHistory(
    tables=("metrics",), selection=["stg_product__metrics+"], load_catalogs=False, name="metrics"
)


@contextmanager
def prepare(
    server: Warehouse, points: int, work: Path
) -> Iterator[tuple[history.Result, history.DayRun]]:
    with history.loaded_and_built(server, METRICS, points, work) as (warehouse, spec, result):
        day = str(spec.last_day - timedelta(days=2))
        yield result, history.DayRun(warehouse, work, METRICS.selection, day)


def main() -> list[history.Ratio]:
    results = history.measure_sizes("BENCH_METRIC_POINTS", prepare)
    for r in results:
        print(f"{r['events']:>11,} points over {r['days']} days: load {r['load_s']:.0f} s")
    return history.print_day_report(results, "metrics", "product metric models")


if __name__ == "__main__":
    main()
