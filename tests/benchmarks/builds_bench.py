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

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from ingest.sources import SOURCES
from ingest.warehouse import Warehouse
from tests.benchmarks import history
from tests.benchmarks.history import timed

BUILDS = history.SourceHistory(
    tables=SOURCES["builds"],
    selection=["staging.builds", "intermediate.builds", "marts.builds"],
    load_catalogs=False,
)
QUERY_REPEATS = 200

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


def query_latencies(warehouse: Warehouse, as_of: date) -> dict[str, tuple[float, float]]:
    with warehouse.connect() as connection:
        shapes = connection.execute(
            "select distinct request_hash, version, target from marts.build_request_stats_daily"
            " where version is not null"
        ).fetchall()

    def parameters(rng: random.Random) -> dict[str, object]:
        request_hash, version, target = rng.choice(shapes)
        return {"hash": request_hash, "version": version, "target": target, "as_of": as_of}

    return history.query_latencies(warehouse, ENDPOINT_QUERIES, parameters, QUERY_REPEATS)


@contextmanager
def prepare(
    server: Warehouse, events: int, work: Path
) -> Iterator[tuple[history.Result, history.DayRun]]:
    with history.loaded_and_built(server, BUILDS, events, work) as (warehouse, spec, result):
        day = str(spec.last_day - timedelta(days=2))
        with warehouse.cursor() as cursor:
            day_builds = cursor.execute(
                "select count(*) from raw.build_events where started_at >= %(day)s::timestamptz"
                " and started_at < %(day)s::timestamptz + interval '1 day'",
                {"day": f"{day} 00:00:00+00"},
            ).fetchone()[0]
        with warehouse.connect(autocommit=True) as connection:
            connection.execute(SEED_STATS_DAILY)
            refresh = timed(
                lambda: connection.execute("refresh materialized view seed_stats_daily")
            )
        yield (
            result
            | {
                "day_builds": day_builds,
                "mv_refresh_s": refresh,
                "latencies": query_latencies(warehouse, spec.last_day - timedelta(days=1)),
            },
            history.DayRun(warehouse, work, BUILDS.selection, day),
        )


def main() -> list[history.Ratio]:
    results = history.measure_sizes("BENCH_BUILDS_EVENTS", prepare)
    for r in results:
        print(
            f"{r['events']:>11,} events over {r['days']} days ({r['day_builds']:,} builds"
            f" on the measured day): load {r['load_s']:.0f} s"
        )
    ratios = history.print_day_report(
        results, "builds", "builds models", {"seed MV s": "mv_refresh_s"}
    )
    history.print_latencies(results, QUERY_REPEATS)
    return ratios


if __name__ == "__main__":
    main()
