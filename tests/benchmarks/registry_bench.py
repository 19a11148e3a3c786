"""Registry models at two history sizes (a benchmark, not a test).

For each size: registry events at the same steady daily volume (so a larger size is a longer
history, not denser days; the smallest size already spans every bounded window the marts read,
90 days of field usage being the longest), loaded through the loader into a fresh database; then
- the full build of the registry models (`dbt run`, wall time);
- a one-day incremental build with the window of one day, after one warm-up run of the same
  window: the median of DAY_REPEATS runs of its SQL time (database time of every statement),
  model time (dbt's time per model) and wall time (including dbt's start-up);
- the seed's way: its materialized views (the daily module rollup over all history, the top 30
  days, trending), each refreshed in full;
- p50/p95 latency of the queries behind the seed's API endpoints, run against the marts.
The ratio of the one-day build at the large size to the small one shows whether the cost of a
day grows with history (target <= 1.3). Sizes: BENCH_REGISTRY_EVENTS (default 1M and 10M).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from ingest.sources import SOURCES
from ingest.warehouse import Warehouse
from tests.benchmarks import history
from tests.benchmarks.history import timed

REGISTRY = history.SourceHistory(
    tables=SOURCES["registry"],
    selection=["staging.registry", "intermediate.registry", "marts.registry"],
    counted_tables=(
        "download_events",
        "module_view_events",
        "compilation_events",
        "field_usage_events",
    ),
)
QUERY_REPEATS = 200

# The seed's way: materialized views over the raw events, refreshed in full. The daily rollup
# reads all history; the seed's two views read the last 30 and 14 days.
SEED_MATERIALIZED_VIEWS = {
    "module_stats_daily": """
create materialized view seed_module_stats_daily as
with activity as (
    select (downloaded_at at time zone 'UTC')::date as day, module_name, user_id,
           organization_id, 'download' as kind, success, file_size, null::int as duration_ms
    from raw.download_events
    union all
    select (viewed_at at time zone 'UTC')::date, module_name, user_id, organization_id,
           'view', true, null, null
    from raw.module_view_events
    union all
    select (started_at at time zone 'UTC')::date, module_name, user_id, organization_id,
           'compilation', success, null, duration_ms
    from raw.compilation_events
)
select day, module_name,
       count(*) filter (where kind = 'view') as view_count,
       count(*) filter (where kind = 'download' and success) as download_count,
       count(distinct user_id) as unique_users,
       count(distinct organization_id) as unique_orgs,
       count(*) filter (where kind = 'compilation') as compilation_count,
       count(*) filter (where kind = 'compilation' and success) as compilation_success_count,
       sum(file_size) filter (where kind = 'download' and success) as total_download_bytes,
       avg(duration_ms) as avg_compilation_duration_ms
from activity group by day, module_name
""",
    "top_modules_30d": """
create materialized view seed_top_modules_30d as
select module_name, count(*) as download_count, sum(file_size) as total_download_bytes
from raw.download_events
where success and downloaded_at >= current_date - 30 and downloaded_at < current_date
group by module_name order by download_count desc, module_name limit 100
""",
    "trending_modules": """
create materialized view seed_trending_modules as
with weeks as (
    select module_name,
           count(*) filter (where downloaded_at >= current_date - 7) as current_downloads,
           count(*) filter (where downloaded_at < current_date - 7) as previous_downloads
    from raw.download_events
    where success and downloaded_at >= current_date - 14 and downloaded_at < current_date
    group by module_name
)
select module_name, current_downloads, previous_downloads,
       (current_downloads - previous_downloads)::float / greatest(previous_downloads, 20) as score
from weeks where current_downloads >= 20
order by score desc, current_downloads desc, module_name limit 50
""",
}

ENDPOINT_QUERIES: dict[str, str] = {
    "GET /overview": "select * from marts.registry_overview order by as_of_date desc limit 1",
    "GET /modules/popular": (
        "select * from marts.top_modules_30d where as_of_date ="
        " (select max(as_of_date) from marts.top_modules_30d) order by download_rank limit 100"
    ),
    "GET /modules/trending": (
        "select * from marts.trending_modules where as_of_date ="
        " (select max(as_of_date) from marts.trending_modules) order by trend_rank limit 50"
    ),
    "GET /modules/{name}/stats?period=30d": (
        "select sum(download_count), sum(view_count), sum(compilation_count),"
        " sum(total_download_bytes) from marts.module_stats_daily"
        " where module_name = %(module)s and period_start > %(as_of)s::date - 30"
    ),
    "GET /modules/{name}/downloads?period=7d": (
        "select period_start, download_count from marts.module_stats_daily"
        " where module_name = %(module)s and period_start > %(as_of)s::date - 7"
        " order by period_start"
    ),
    "GET /modules/{name}/health": (
        "select * from marts.module_health_scores where module_name = %(module)s"
        " and is_latest_version and as_of_date = %(as_of)s"
    ),
    "GET /performance/compilation?language=go": (
        "select * from marts.language_stats_daily where language = 'go'"
        " and period_start > %(as_of)s::date - 30 order by period_start"
    ),
    "GET /languages": (
        "select language, sum(compilation_count), avg(p95_duration_ms)"
        " from marts.language_stats_daily where period_start > %(as_of)s::date - 30"
        " group by language"
    ),
    "GET /organizations/{id}/dashboard": (
        "select * from marts.org_stats_daily where organization_id = %(org)s"
        " and period_start > %(as_of)s::date - 30 order by period_start"
    ),
}


def query_latencies(warehouse: Warehouse, as_of: date) -> dict[str, tuple[float, float]]:
    with warehouse.connect() as connection:
        modules = [r[0] for r in connection.execute("select module_name from raw.modules")]
        orgs = [
            r[0] for r in connection.execute("select distinct organization_id from raw.modules")
        ]
    return history.query_latencies(
        warehouse,
        ENDPOINT_QUERIES,
        lambda rng: {"module": rng.choice(modules), "org": rng.choice(orgs), "as_of": as_of},
        QUERY_REPEATS,
    )


def refresh_seed_views(warehouse: Warehouse) -> dict[str, float]:
    """Creates the seed's materialized views, then times a full refresh of each."""
    with warehouse.connect(autocommit=True) as connection:
        for definition in SEED_MATERIALIZED_VIEWS.values():
            connection.execute(definition)
        return {
            name: timed(
                lambda name=name: connection.execute(f"refresh materialized view seed_{name}")
            )
            for name in SEED_MATERIALIZED_VIEWS
        }


@contextmanager
def prepare(
    server: Warehouse, events: int, work: Path
) -> Iterator[tuple[history.Result, history.DayRun]]:
    with history.loaded_and_built(server, REGISTRY, events, work) as (warehouse, spec, result):
        day = str(spec.last_day - timedelta(days=2))
        with warehouse.cursor() as cursor:
            day_events = cursor.execute(
                "select count(*) from raw.download_events"
                " where downloaded_at >= %(day)s::timestamptz"
                " and downloaded_at < %(day)s::timestamptz + interval '1 day'",
                {"day": f"{day} 00:00:00+00"},
            ).fetchone()[0]
        yield (
            result
            | {
                "day_downloads": day_events,
                "mv_refresh_s": refresh_seed_views(warehouse),
                "latencies": query_latencies(warehouse, spec.last_day - timedelta(days=1)),
            },
            history.DayRun(warehouse, work, REGISTRY.selection, day),
        )


def main() -> list[history.Ratio]:
    results = history.measure_sizes("BENCH_REGISTRY_EVENTS", prepare)
    for r in results:
        print(
            f"{r['events']:>11,} events over {r['days']} days ({r['day_downloads']:,}"
            f" downloads on the measured day): load {r['load_s']:.0f} s"
        )
    ratios = history.print_day_report(results, "registry", "registry models")
    print("\nthe seed's way: materialized views refreshed in full, s")
    print(f"{'events':>12} " + " ".join(f"{name:>20}" for name in SEED_MATERIALIZED_VIEWS))
    for r in results:
        print(f"{r['events']:>12,} " + " ".join(f"{t:>20.2f}" for t in r["mv_refresh_s"].values()))
    history.print_latencies(results, QUERY_REPEATS)
    return ratios


if __name__ == "__main__":
    main()
