"""What Dagster adds on top of dbt (a benchmark, not a test).

On a fresh database with registry events: the wall time of one partition run through Dagster
(the `dagster asset materialize` CLI, a run as the daemon launches it) against the bare
`dbt build` of the same window and selection; then a backfill of N days as one run against
N one-day runs. BENCH_DAGSTER_DAYS sets N (default 30).
"""

import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from ingest import loader, migrate
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import PROJECT_ROOT, resolve
from orchestration.lib.dbt import source_selection
from tests.databases import fresh_database

# The registry's models: one daily-partitioned asset in Dagster, its folders for dbt.
DAGSTER_SELECTION = "group:registry and kind:dbt"
DBT_SELECTION = source_selection("registry").split()


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-20:]
        raise SystemExit(f"error: {' '.join(command[:4])} failed:\n" + "\n".join(tail))
    return time.perf_counter() - started


def _materialize(
    env: dict[str, str], partition: str | None = None, span: str | None = None
) -> float:
    command = [_bin("dagster"), "asset", "materialize", "-m", "orchestration.definitions",
               "--select", DAGSTER_SELECTION]  # fmt: skip
    command += ["--partition", partition] if partition else ["--partition-range", str(span)]
    return _timed(command, env)


def _bare_dbt(env: dict[str, str], day: date, target: Path) -> float:
    window = f'{{"min_date": "{day}", "max_date": "{day}"}}'
    return _timed([_bin("dbt"), "build", "--select", *DBT_SELECTION, "--vars", window, "--quiet",
                   "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
                   "--target-path", str(target)], env)  # fmt: skip


def main() -> None:
    days = int(os.environ.get("BENCH_DAGSTER_DAYS", "30"))
    server = resolve()
    with fresh_database(server, "bench") as warehouse:
        spec = GeneratorSpec(events=20_000 * (days + 2), days=days + 2, seed=4).clean()
        migrate.migrate(warehouse)
        with tempfile.TemporaryDirectory() as tmp:
            for path in generate(spec, Path(tmp), tables=SOURCES["registry"]):
                loader.load_file(warehouse, path)
            env = {**os.environ, **warehouse.dbt_env(), "WAREHOUSE_URL": warehouse.url,
                   "DAGSTER_HOME": tmp, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                   "WAREHOUSE_PARTITIONS_START": spec.first_day.isoformat()}  # fmt: skip
            run_days = [spec.first_day + timedelta(days=n + 1) for n in range(days)]
            _materialize(env, span=f"{run_days[0]}...{run_days[-1]}")  # tables exist from here on
            probe = run_days[-1]
            bare = _bare_dbt(env, probe, Path(tmp) / "target")
            dagster_one = _materialize(env, partition=probe.isoformat())
            backfill = _materialize(env, span=f"{run_days[0]}...{run_days[-1]}")
            one_by_one = sum(_materialize(env, partition=day.isoformat()) for day in run_days)
    print(f"Dagster overhead, registry models, {os.cpu_count()} cores")
    print(
        f"one partition: bare dbt build {bare:.1f} s, through Dagster {dagster_one:.1f} s "
        f"(+{dagster_one - bare:.1f} s, x{dagster_one / bare:.2f})"
    )
    print(
        f"{days} days: one-run backfill {backfill:.1f} s, {days} one-day runs "
        f"{one_by_one:.1f} s (x{one_by_one / backfill:.1f})"
    )


if __name__ == "__main__":
    main()
