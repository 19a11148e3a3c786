"""What Dagster adds on top of dbt (a benchmark, not a test).

On a fresh database with registry events: the wall time of one partition run of the registry's
job through Dagster (the `dagster job execute` CLI: the code location loaded, the run, its
checks) against the bare `dbt build` of the same window and selection; the same run until the
instance records its end (what the UI shows as done; the process then still exits); the same
run in an instance with Dagster's stock event log storage (what orchestration/lib/event_log.py
saves); then a backfill of N days as one run against one day's run, against the bare
`dbt build` of the N days, and against ONE_BY_ONE one-day runs; and the quality job (GX suites)
over one day and over the N days. BENCH_DAGSTER_DAYS sets N (default 30). Every comparison is
measured in this one process run; the per-step times of the one-partition run show where its
time goes.

The runs use the warehouse's instance (orchestration/dagster.yaml), as `make demo` and
`make ui` do. The bare dbt gets its window as Dagster gives it (environment variables, so
dbt's parse stays cached), the fastest way to run the same work by hand; its first run, which
parses the project, is not timed. The one-day and the N-day comparisons are each the median
of ROUNDS rounds, each a bare dbt build then a Dagster run, so both meet the same load on a
shared machine.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ingest import loader, migrate
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import PROJECT_ROOT, resolve
from orchestration.lib.dbt import WINDOW_ENV, source_selection
from orchestration.lib.instance import EVENT_BATCH_SIZE, INSTANCE_CONFIG
from orchestration.lib.jobs import quality_job_name, source_job_name
from orchestration.lib.partitions import (
    PARTITION_TAG,
    RANGE_END_TAG,
    RANGE_START_TAG,
    WINDOW_END_TAG,
    WINDOW_START_TAG,
)
from orchestration.lib.settings import DBT_PRODUCTION_TARGET
from tests.benchmarks.history import Ratio
from tests.databases import fresh_database

# The registry's models: one daily-partitioned asset (its job) in Dagster, its folders for dbt.
DBT_SELECTION = source_selection("registry").split()
# One-day runs to compare the backfill with (each costs about one day's run).
ONE_BY_ONE = 3
# Rounds of each comparison (a bare dbt build, then a Dagster run): their medians.
ROUNDS = int(os.environ.get("BENCH_DAGSTER_ROUNDS", "3"))


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-20:]
        raise SystemExit(f"error: {' '.join(command[:4])} failed:\n" + "\n".join(tail))
    return time.perf_counter() - started


def _job(env: dict[str, str], job: str, tags: dict[str, str]) -> float:
    return _timed([_bin("dagster"), "job", "execute", "-m", "orchestration.definitions",
                   "-j", job, "--tags", json.dumps(tags)], env)  # fmt: skip


def _partition(env: dict[str, str], first: date, last: date | None = None) -> float:
    if last is None or last == first:
        return _job(env, source_job_name("registry"), {PARTITION_TAG: first.isoformat()})
    tags = {RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()}
    return _job(env, source_job_name("registry"), tags)


def _partition_until_done(env: dict[str, str], day: date) -> tuple[float, float]:
    """One partition run's wall, and the seconds from the CLI's start until the instance
    recorded the run's end: what the UI shows as done (the process then still exits)."""
    started = time.time()
    wall = _partition(env, day)
    return wall, _newest_run_end(env["DAGSTER_HOME"]) - started


def _newest_run_end(home: str) -> float:
    _, record = _newest_run(home)
    if record.end_time is None:
        raise SystemExit(f"error: run {record.dagster_run.run_id} has no end time")
    return record.end_time


def _quality(env: dict[str, str], first: date, last: date) -> float:
    tags = {WINDOW_START_TAG: first.isoformat(), WINDOW_END_TAG: last.isoformat()}
    return _job(env, quality_job_name("registry"), tags)


def _bare_dbt(env: dict[str, str], first: date, last: date, target: Path) -> float:
    window = {WINDOW_ENV["min_date"]: first.isoformat(), WINDOW_ENV["max_date"]: last.isoformat()}
    return _timed([_bin("dbt"), "build", "--select", *DBT_SELECTION, "--quiet",
                   "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
                   "--target", DBT_PRODUCTION_TARGET,
                   "--target-path", str(target)], {**env, **window})  # fmt: skip


def _stock_instance(home: Path) -> Path:
    """A Dagster home with the warehouse's settings but Dagster's own event log storage."""
    home.mkdir()
    config = INSTANCE_CONFIG.read_text().split("\nevent_log_storage:")[0]
    (home / "dagster.yaml").write_text(config)
    return home


def _newest_run(home: str) -> tuple[list[Any], Any]:
    """The step stats and the record of the newest run in the Dagster instance at `home`."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = home
    with dg.DagsterInstance.from_config(home) as instance:
        [run] = instance.get_runs(limit=1)
        stats = instance.get_run_step_stats(run.run_id)
        record = instance.get_run_record_by_id(run.run_id)
    if record is None:
        raise SystemExit(f"error: run {run.run_id} has no record")
    return stats, record


def _steps(home: str) -> list[tuple[str, float]]:
    """Per-step wall time of the newest run in the Dagster instance at `home`, then the run."""
    stats, record = _newest_run(home)
    steps = [
        (s.step_key, (s.end_time or 0) - (s.start_time or 0))
        for s in sorted(stats, key=lambda s: s.start_time or 0)
    ]
    if record.start_time and record.end_time:
        steps.append(("(whole run, launch to end)", record.end_time - record.start_time))
    return steps


def main() -> list[Ratio]:
    days = int(os.environ.get("BENCH_DAGSTER_DAYS", "30"))
    server = resolve()
    with fresh_database(server, "bench") as warehouse:
        spec = GeneratorSpec(events=20_000 * (days + 2), days=days + 2, seed=4).clean()
        migrate.migrate(warehouse)
        with tempfile.TemporaryDirectory() as tmp:
            for path in generate(spec, Path(tmp), tables=SOURCES["registry"]):
                loader.load_file(warehouse, path)
            shutil.copy(INSTANCE_CONFIG, Path(tmp) / "dagster.yaml")
            env = {**os.environ, **warehouse.dbt_env(), "WAREHOUSE_URL": warehouse.url,
                   "DAGSTER_HOME": tmp, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                   "WAREHOUSE_PARTITIONS_START": spec.first_day.isoformat(),
                   **EVENT_BATCH_SIZE}  # fmt: skip
            stock = {**env, "DAGSTER_HOME": str(_stock_instance(Path(tmp) / "stock"))}
            run_days = [spec.first_day + timedelta(days=n + 1) for n in range(days)]
            first, probe = run_days[0], run_days[-1]
            _partition(env, first, probe)  # tables exist from here on
            _partition(stock, probe)  # the stock instance's databases exist from here on
            # dbt's parse cached in the target folder from here on, as in a user's next run.
            _bare_dbt(env, probe, probe, Path(tmp) / "target")
            rounds = [
                (_bare_dbt(env, probe, probe, Path(tmp) / "target"),
                 *_partition_until_done(env, probe))
                for _ in range(ROUNDS)
            ]  # fmt: skip
            bare = statistics.median(bare for bare, _, _ in rounds)
            one = statistics.median(one for _, one, _ in rounds)
            done = statistics.median(done for _, _, done in rounds)
            steps = _steps(tmp)
            one_stock = _partition(stock, probe)
            backfill_rounds = [
                (_bare_dbt(env, first, probe, Path(tmp) / "target"), _partition(env, first, probe))
                for _ in range(ROUNDS)
            ]
            bare_all = statistics.median(bare for bare, _ in backfill_rounds)
            backfill = statistics.median(run for _, run in backfill_rounds)
            backfill_steps = _steps(tmp)
            few = run_days[:ONE_BY_ONE]
            one_by_one = sum(_partition(env, day) for day in few)
            quality_one = _quality(env, probe, probe)
            quality_all = _quality(env, first, probe)
    rows = [
        (f"bare `dbt build`, one day (median of {ROUNDS})", bare, ""),
        (
            f"one partition through Dagster (registry_job, median of {ROUNDS})",
            one,
            f"x{one / bare:.2f} of bare dbt",
        ),
        (
            "the same, from the CLI's start to the run's end recorded (done in the UI)",
            done,
            f"x{done / bare:.2f} of bare dbt",
        ),
        (
            "the same, Dagster's stock event log storage",
            one_stock,
            f"x{one_stock / bare:.2f} of bare dbt",
        ),
        (
            f"bare `dbt build`, {days} days (median of {ROUNDS})",
            bare_all,
            f"x{bare_all / bare:.2f} of one day",
        ),
        (
            f"{days} days as one backfill run (median of {ROUNDS})",
            backfill,
            f"x{backfill / one:.2f} of one day's run, x{backfill / bare_all:.2f} of bare dbt",
        ),
        (f"{len(few)} one-day runs", one_by_one, f"x{one_by_one / backfill:.2f} of the backfill"),
        ("quality job (GX), one day", quality_one, f"x{quality_one / bare:.2f} of bare dbt"),
        (
            f"quality job (GX), {days} days",
            quality_all,
            f"x{quality_all / quality_one:.2f} of one day",
        ),
    ]
    print(f"Dagster overhead, registry models, {os.cpu_count()} cores, N = {days}")
    print("| measurement | time | ratio |\n|---|---:|---|")
    for name, seconds, ratio in rows:
        print(f"| {name} | {seconds:.1f} s | {ratio} |")
    runs = (("the one-partition run", steps), ("the backfill", backfill_steps))
    for label, run_steps in runs:
        print(f"\nsteps of {label} (its last round):")
        for step, seconds in run_steps:
            print(f"  {step:<60}{seconds:>7.1f} s")
    return [
        Ratio("dagster", "one partition through Dagster / bare dbt build", one / bare, 1.5),
        Ratio("dagster", "the same, until the run's end is recorded / bare dbt", done / bare),
        Ratio("dagster", "the same, stock event log storage / bare dbt", one_stock / bare),
        Ratio(
            "dagster", f"backfill of {days} days as one run / one day's run", backfill / one, 1.5
        ),
        Ratio(
            "dagster", f"backfill of {days} days / bare dbt of the {days} days", backfill / bare_all
        ),
    ]


if __name__ == "__main__":
    main()
