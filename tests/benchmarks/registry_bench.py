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

import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ingest import loader, migrate
from ingest.generator import GeneratorSpec, event_shares, generate
from ingest.sources import SOURCES
from ingest.warehouse import PROJECT_ROOT, Warehouse, resolve
from orchestration.lib.settings import DBT_PRODUCTION_TARGET
from tests.databases import fresh_database

REGISTRY_EVENTS_PER_DAY = 10_000
DAY_REPEATS = 3
REGISTRY_SELECTION = ["staging.registry", "intermediate.registry", "marts.registry"]
REGISTRY_SHARE = sum(share for t, share in event_shares().items() if t in SOURCES["registry"])
QUERY_REPEATS = 200
SQL_STATUS = re.compile(r"SQL status: .* in ([0-9.]+) seconds")

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


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def run_dbt(
    warehouse: Warehouse,
    work: Path,
    *args: str,
    selection: Sequence[str] = tuple(REGISTRY_SELECTION),
    **dbt_vars: str,
) -> tuple[float, float]:
    """Runs the dbt CLI as a user would; returns (database seconds, model seconds).

    Database seconds add up what PostgreSQL took for every statement of the run (dbt's debug
    log times each one); model seconds are dbt's execution time per model, its own work and
    round trips included.

    A windowed run selects the incremental models only: the catalog views do not change with
    a day of events (orchestration runs partitions the same way).
    """
    excluded = ["--exclude", "config.materialized:view"] if dbt_vars else []
    command = [
        str(Path(sys.executable).parent / "dbt"), *args, "--select", *selection, *excluded,
        "--project-dir", str(PROJECT_ROOT / "dbt_project"),
        "--profiles-dir", str(PROJECT_ROOT / "dbt_project"), "--target", DBT_PRODUCTION_TARGET,
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"), "--quiet",
    ]  # fmt: skip
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    environment = {**os.environ, **warehouse.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    log = work / "logs" / "dbt.log"
    log.unlink(missing_ok=True)
    subprocess.run(command, check=True, env=environment)
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    database = sum(float(s) for s in SQL_STATUS.findall(log.read_text()))
    return database, sum(result["execution_time"] for result in results)


def load_history(warehouse: Warehouse, events: int, folder: Path) -> GeneratorSpec:
    days = max(7, round(events / REGISTRY_EVENTS_PER_DAY))
    spec = GeneratorSpec(events=int(events / REGISTRY_SHARE), days=days, seed=2).clean().steady()
    for path in generate(spec, folder, tables=SOURCES["registry"]):
        loader.load_file(warehouse, path)
        path.unlink()
    return spec


def query_latencies(warehouse: Warehouse, as_of: date) -> dict[str, tuple[float, float]]:
    latencies: dict[str, tuple[float, float]] = {}
    with warehouse.connect() as connection:
        modules = [r[0] for r in connection.execute("select module_name from raw.modules")]
        orgs = [
            r[0] for r in connection.execute("select distinct organization_id from raw.modules")
        ]
        rng = random.Random(0)
        for endpoint, query in ENDPOINT_QUERIES.items():
            samples = []
            for _ in range(QUERY_REPEATS):
                params = {"module": rng.choice(modules), "org": rng.choice(orgs), "as_of": as_of}
                started = time.perf_counter()
                connection.execute(query, params, prepare=True).fetchall()
                samples.append((time.perf_counter() - started) * 1000)
            cuts = statistics.quantiles(samples, n=100)
            latencies[endpoint] = (cuts[49], cuts[94])
    return latencies


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


def measure(server: Warehouse, events: int, work: Path) -> dict[str, Any]:
    with fresh_database(server, "bench") as warehouse:
        migrate.migrate(warehouse)
        load_started = time.perf_counter()
        spec = load_history(warehouse, events, work / "landing")
        last_day = spec.last_day
        load_seconds = time.perf_counter() - load_started
        with warehouse.cursor() as cursor:
            loaded = sum(
                cursor.execute(f"select count(*) from raw.{t}").fetchone()[0]
                for t in (
                    "download_events",
                    "module_view_events",
                    "compilation_events",
                    "field_usage_events",
                )
            )
            cursor.execute("analyze")
        full_wall = timed(lambda: run_dbt(warehouse, work, "run"))
        day = str(last_day - timedelta(days=2))
        with warehouse.cursor() as cursor:
            day_events = cursor.execute(
                "select count(*) from raw.download_events"
                " where downloaded_at >= %(day)s::timestamptz"
                " and downloaded_at < %(day)s::timestamptz + interval '1 day'",
                {"day": f"{day} 00:00:00+00"},
            ).fetchone()[0]
        run_dbt(warehouse, work, "run", min_date=day, max_date=day)  # warm: same work as below
        runs = []
        for _ in range(DAY_REPEATS):
            started = time.perf_counter()
            sql_s, models_s = run_dbt(warehouse, work, "run", min_date=day, max_date=day)
            runs.append((sql_s, models_s, time.perf_counter() - started))
        medians = [statistics.median(column) for column in zip(*runs, strict=True)]
        one_day_sql, one_day_models, one_day_wall = medians
        refresh = refresh_seed_views(warehouse)
        latencies = query_latencies(warehouse, last_day - timedelta(days=1))
        return {
            "events": loaded,
            "days": spec.days,
            "day_downloads": day_events,
            "load_s": load_seconds,
            "full_wall_s": full_wall,
            "day_sql_s": one_day_sql,
            "day_models_s": one_day_models,
            "day_wall_s": one_day_wall,
            "mv_refresh_s": refresh,
            "latencies": latencies,
        }


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_REGISTRY_EVENTS", "1000000,10000000").split(",")]
    server = resolve()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for events in sizes:
            r = measure(server, events, Path(tmp) / str(events))
            results.append(r)
            print(
                f"{r['events']:>11,} events over {r['days']} days ({r['day_downloads']:,}"
                f" downloads on the measured day): load {r['load_s']:.0f} s",
                flush=True,
            )
    print(f"\nregistry models, {os.cpu_count()} cores")
    columns = ("full build s", "1-day SQL s", "1-day models s", "1-day wall s")
    print(f"{'events':>12} " + " ".join(f"{c:>14}" for c in columns))
    for r in results:
        values = (r["full_wall_s"], r["day_sql_s"], r["day_models_s"], r["day_wall_s"])
        print(f"{r['events']:>12,} " + " ".join(f"{v:>14.2f}" for v in values))
    if len(results) > 1:
        small, large = results[0], results[-1]
        ratios = [large[k] / small[k] for k in ("day_sql_s", "day_models_s", "day_wall_s")]
        print(
            f"one-day build, large / small: SQL {ratios[0]:.2f}, models {ratios[1]:.2f}, "
            f"wall {ratios[2]:.2f} (target <= 1.3)"
        )
    print("\nthe seed's way: materialized views refreshed in full, s")
    print(f"{'events':>12} " + " ".join(f"{name:>20}" for name in SEED_MATERIALIZED_VIEWS))
    for r in results:
        print(f"{r['events']:>12,} " + " ".join(f"{t:>20.2f}" for t in r["mv_refresh_s"].values()))
    print(
        f"\nAPI queries on the marts at {results[-1]['events']:,} events "
        f"({QUERY_REPEATS} runs each), ms"
    )
    print(f"{'endpoint':<42} {'p50':>7} {'p95':>7}")
    for endpoint, (p50, p95) in results[-1]["latencies"].items():
        print(f"{endpoint:<42} {p50:>7.2f} {p95:>7.2f}")


if __name__ == "__main__":
    main()
