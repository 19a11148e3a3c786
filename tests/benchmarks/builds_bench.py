"""Builds models at two history sizes (a benchmark, not a test), as registry_bench.py does
for the registry.

For each size: build events (requests and builds) at the same steady daily volume, so a
larger size is a longer history (the smallest already spans the 90 days the snapshot marts
read), loaded through the loader into a fresh database; then
- the full build of the builds models (`dbt run`, wall time);
- a one-day incremental build with the window of one day, after one warm-up run of the same
  window: the median of DAY_REPEATS runs of its SQL time (database time of every statement),
  model time (dbt's time per model) and wall time (including dbt's start-up);
- the seed's way: its daily aggregation (stats_daily over all of raw) as a materialized view,
  refreshed in full;
- p50/p95 latency of the queries behind the seed's API endpoints, run against the marts.
The ratio of the one-day build at the large size to the small one shows whether the cost of a
day grows with history (target <= 1.3). Sizes: BENCH_BUILDS_EVENTS (default 1M and 10M).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ingest import loader, migrate
from ingest.generator import GeneratorSpec, event_shares, generate
from ingest.sources import SOURCES
from ingest.warehouse import Warehouse, resolve
from tests.benchmarks.registry_bench import run_dbt, timed
from tests.databases import fresh_database

BUILDS_EVENTS_PER_DAY = 10_000
DAY_REPEATS = 3
QUERY_REPEATS = 200
BUILDS_SELECTION = ["staging.builds", "intermediate.builds", "marts.builds"]
BUILDS_SHARE = sum(share for t, share in event_shares().items() if t in SOURCES["builds"])

SEED_STATS_DAILY = """
create materialized view seed_stats_daily as
with requests as (
    select (requested_at at time zone 'UTC')::date as day, count(*) as total_requests,
           count(distinct request_hash) as unique_requests,
           count(*) filter (where cache_hit) as cache_hits,
           count(distinct client) as unique_clients,
           count(*) filter (where diff_packages) as diff_packages_true,
           count(*) filter (where not diff_packages) as diff_packages_false
    from raw.build_requests group by 1
), builds as (
    select (started_at at time zone 'UTC')::date as day,
           count(*) filter (where status = 'success') as successful_builds,
           count(*) filter (where status in ('failure', 'timeout', 'cancelled')) as failed_builds,
           avg(duration_seconds) as avg_build_duration_seconds,
           max(duration_seconds) as max_build_duration_seconds,
           min(duration_seconds) as min_build_duration_seconds,
           sum(duration_seconds) as total_build_time_seconds
    from raw.build_events group by 1
)
select * from requests full join builds using (day)
"""

ENDPOINT_QUERIES: dict[str, str] = {
    "GET /stats/overview?days=30": (
        "select * from marts.build_overview where period_days = 30"
        " and as_of_date = (select max(as_of_date) from marts.build_overview)"
    ),
    "GET /stats/versions?days=30": (
        "select version, sum(request_count), sum(cache_hits)::float / sum(request_count),"
        " sum(successful_builds)::float / nullif(sum(successful_builds + failed_builds), 0)"
        " from marts.build_stats_version_target where period_start > %(as_of)s::date - 30"
        " group by version"
    ),
    "GET /stats/targets?version=V&days=30": (
        "select target, sum(request_count), sum(cache_hits)"
        " from marts.build_stats_version_target where version = %(version)s"
        " and period_start > %(as_of)s::date - 30 group by target"
    ),
    "GET /stats/profiles?version=V&target=T": (
        "select profile, sum(request_count), sum(successful_builds), sum(failed_builds)"
        " from marts.build_stats_profiles where version = %(version)s and target = %(target)s"
        " and period_start > %(as_of)s::date - 30 group by profile"
    ),
    "GET /stats/clients?days=30": (
        "select client, sum(total_requests), sum(unique_builds), sum(cache_hits)"
        " from marts.build_client_stats where period_start > %(as_of)s::date - 30"
        " group by client"
    ),
    "GET /stats/errors?days=7": (
        "select error_category, error_type, sum(error_count),"
        " array_agg(distinct version) from marts.build_error_stats"
        " where period_start > %(as_of)s::date - 7 group by 1, 2"
    ),
    "GET /stats/performance?days=30": (
        "select * from marts.build_performance where period_days = 30"
        " and as_of_date = (select max(as_of_date) from marts.build_performance)"
    ),
    "GET /stats/timeseries?days=30": (
        "select * from marts.build_stats_daily where period_start > %(as_of)s::date - 30"
        " order by period_start"
    ),
    "request metadata of one hash": (
        "select * from marts.build_request_metadata where request_hash = %(hash)s"
    ),
}


def model_times(work: Path) -> dict[str, float]:
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].rsplit(".", 1)[-1]: r["execution_time"] for r in results}


def load_history(warehouse: Warehouse, events: int, folder: Path) -> GeneratorSpec:
    days = max(7, round(events / BUILDS_EVENTS_PER_DAY))
    spec = GeneratorSpec(events=int(events / BUILDS_SHARE), days=days, seed=2).clean().steady()
    for path in generate(spec, folder, tables=SOURCES["builds"]):
        if not path.stem.endswith("__catalog"):
            loader.load_file(warehouse, path)
        path.unlink()
    return spec


def query_latencies(warehouse: Warehouse, as_of: date) -> dict[str, tuple[float, float]]:
    latencies: dict[str, tuple[float, float]] = {}
    with warehouse.connect() as connection:
        shapes = connection.execute(
            "select distinct request_hash, version, target from marts.build_request_stats_daily"
            " where version is not null"
        ).fetchall()
        rng = random.Random(0)
        for endpoint, query in ENDPOINT_QUERIES.items():
            samples = []
            for _ in range(QUERY_REPEATS):
                request_hash, version, target = rng.choice(shapes)
                params = {
                    "hash": request_hash,
                    "version": version,
                    "target": target,
                    "as_of": as_of,
                }
                started = time.perf_counter()
                connection.execute(query, params, prepare=True).fetchall()
                samples.append((time.perf_counter() - started) * 1000)
            cuts = statistics.quantiles(samples, n=100)
            latencies[endpoint] = (cuts[49], cuts[94])
    return latencies


def measure(server: Warehouse, events: int, work: Path) -> dict[str, Any]:
    with fresh_database(server, "bench") as warehouse:
        migrate.migrate(warehouse)
        load_started = time.perf_counter()
        spec = load_history(warehouse, events, work / "landing")
        load_seconds = time.perf_counter() - load_started
        with warehouse.cursor() as cursor:
            loaded = sum(
                cursor.execute(f"select count(*) from raw.{t}").fetchone()[0]
                for t in SOURCES["builds"]
            )
            cursor.execute("analyze")
        full_wall = timed(lambda: run_dbt(warehouse, work, "run", selection=BUILDS_SELECTION))
        day = str(spec.last_day - timedelta(days=2))
        with warehouse.cursor() as cursor:
            day_builds = cursor.execute(
                "select count(*) from raw.build_events where started_at >= %(day)s::timestamptz"
                " and started_at < %(day)s::timestamptz + interval '1 day'",
                {"day": f"{day} 00:00:00+00"},
            ).fetchone()[0]
        run_dbt(
            warehouse, work, "run", selection=BUILDS_SELECTION, min_date=day, max_date=day
        )  # warm: same work as below
        runs, per_model = [], []
        for _ in range(DAY_REPEATS):
            started = time.perf_counter()
            sql_s, models_s = run_dbt(
                warehouse, work, "run", selection=BUILDS_SELECTION, min_date=day, max_date=day
            )
            runs.append((sql_s, models_s, time.perf_counter() - started))
            per_model.append(model_times(work))
        medians = [statistics.median(column) for column in zip(*runs, strict=True)]
        with warehouse.connect(autocommit=True) as connection:
            connection.execute(SEED_STATS_DAILY)
            refresh = timed(
                lambda: connection.execute("refresh materialized view seed_stats_daily")
            )
        return {
            "events": loaded,
            "days": spec.days,
            "day_builds": day_builds,
            "load_s": load_seconds,
            "full_wall_s": full_wall,
            "day_sql_s": medians[0],
            "day_models_s": medians[1],
            "day_wall_s": medians[2],
            "models": {m: statistics.median(r[m] for r in per_model) for m in per_model[0]},
            "mv_refresh_s": refresh,
            "latencies": query_latencies(warehouse, spec.last_day - timedelta(days=1)),
        }


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_BUILDS_EVENTS", "1000000,10000000").split(",")]
    server = resolve()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for events in sizes:
            r = measure(server, events, Path(tmp) / str(events))
            results.append(r)
            print(
                f"{r['events']:>11,} events over {r['days']} days ({r['day_builds']:,} builds"
                f" on the measured day): load {r['load_s']:.0f} s, full build"
                f" {r['full_wall_s']:.1f} s, one day: SQL {r['day_sql_s']:.2f} s, models"
                f" {r['day_models_s']:.2f} s, wall {r['day_wall_s']:.2f} s",
                flush=True,
            )
    print(f"\nbuilds models, {os.cpu_count()} cores")
    columns = ("full build s", "1-day SQL s", "1-day models s", "1-day wall s", "seed MV s")
    print(f"{'events':>12} " + " ".join(f"{c:>14}" for c in columns))
    for r in results:
        values = (
            r["full_wall_s"], r["day_sql_s"], r["day_models_s"], r["day_wall_s"], r["mv_refresh_s"]
        )  # fmt: skip
        print(f"{r['events']:>12,} " + " ".join(f"{v:>14.2f}" for v in values))
    if len(results) > 1:
        small, large = results[0], results[-1]
        ratios = [large[k] / small[k] for k in ("day_sql_s", "day_models_s", "day_wall_s")]
        print(
            f"one-day build, large / small: SQL {ratios[0]:.2f}, models {ratios[1]:.2f}, "
            f"wall {ratios[2]:.2f} (target <= 1.3)"
        )
    print("\none-day model times (median), s")
    for model in results[0]["models"]:
        print(f"{model:<32} " + " ".join(f"{r['models'][model]:>8.2f}" for r in results))
    print(f"\nAPI queries on the marts at {results[-1]['events']:,} events, ms")
    print(f"{'endpoint':<42} {'p50':>7} {'p95':>7}")
    for endpoint, (p50, p95) in results[-1]["latencies"].items():
        print(f"{endpoint:<42} {p50:>7.2f} {p95:>7.2f}")


if __name__ == "__main__":
    main()
