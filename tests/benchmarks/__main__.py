"""`make bench`: every benchmark at sizes that finish in minutes, then every ratio in one table.

The history benchmarks keep their two history lengths (100 and 1,000 days) at a tenth of the
daily volume, so a day's cost against history is still what they measure, with the median of
three one-day rounds instead of five; the loader runs at 1M rows, the Dagster benchmark
backfills 10 days. Any size set in the environment wins, so
`BENCH_REGISTRY_EVENTS=1000000,10000000 make bench` measures the full sizes of BENCHMARKS.md.
"""

from __future__ import annotations

import importlib
import os
import time

from tests.benchmarks.history import Ratio, print_summary

QUICK_SIZES = {
    "BENCH_EVENTS_PER_DAY": "1000",
    "BENCH_REGISTRY_EVENTS": "100000,1000000",
    "BENCH_BUILDS_EVENTS": "100000,1000000",
    "BENCH_ACTIONS_EVENTS": "100000,1000000",
    "BENCH_PRODUCT_EVENTS": "100000,1000000",
    "BENCH_METRIC_POINTS": "100000,1000000",
    "BENCH_LOADER_ROWS": "1000000",
    "BENCH_DAGSTER_DAYS": "10",
    "BENCH_DAY_REPEATS": "3",
}
BENCHMARKS = (
    "loader_bench",
    "registry_bench",
    "builds_bench",
    "actions_bench",
    "product_bench",
    "metrics_bench",
    "dagster_bench",
)


def main() -> None:
    for variable, value in QUICK_SIZES.items():
        os.environ.setdefault(variable, value)
    ratios: list[Ratio] = []
    started = time.perf_counter()
    for name in BENCHMARKS:
        print(f"\n=== {name} ({(time.perf_counter() - started) / 60:.0f} min so far)", flush=True)
        ratios += importlib.import_module(f"tests.benchmarks.{name}").main()
    print(f"\nall benchmarks in {(time.perf_counter() - started) / 60:.1f} min")
    print_summary(ratios)


if __name__ == "__main__":
    main()
