"""Runs that coincide (the nightly schedule, the restatement, the late-data sensor, a backfill
from the UI): two dbt runs over the same day at once leave exactly one copy of every row.

The runs leave out the catalog views, as a windowed run may (the benchmarks' do): dbt rebuilds
a view through the fixed names <view>__dbt_tmp and <view>__dbt_backup, so two runs rebuilding
the same view at the same moment can collide, and one fails with `relation
"..._dbt_backup" already exists` (nothing wrong is written; Dagster's warehouse pool runs one
dbt run at a time). What this test holds is the incremental models' guarantee."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from ingest import loader
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import PROJECT_ROOT, Warehouse
from orchestration.lib.settings import DBT_PRODUCTION_TARGET
from tests.dbt_support import DbtProject
from tests.recompute import fetch
from tests.registry.recompute import RawRegistry, assert_every_mart_matches

pytestmark = pytest.mark.dbt

SPEC = GeneratorSpec(events=8_000, days=6, seed=13)
MARTS_AND_KEYS = {
    "module_stats_daily": "period_start, module_name",
    "module_stats_weekly": "period_start, module_name",
    "language_stats_daily": "period_start, language",
    "org_stats_daily": "period_start, organization_id",
    "top_modules_30d": "as_of_date, download_rank",
    "module_health_scores": "as_of_date, module_name, version",
}


def _dbt_run(warehouse: Warehouse, work: Path, day: str) -> subprocess.Popen[str]:
    """`dbt run` of the registry for one day, as a Dagster partition run starts it."""
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "dbt"), "run",
         "--select", "staging.registry", "intermediate.registry", "marts.registry",
         "--exclude", "config.materialized:view",
         "--vars", f"{{min_date: {day}, max_date: {day}}}",
         "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
         "--target", DBT_PRODUCTION_TARGET,
         "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        cwd=PROJECT_ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, **warehouse.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
    )  # fmt: skip


def _wait_until_waiting(
    warehouse: Warehouse, runs: list[subprocess.Popen[str]], count: int
) -> None:
    """Until `count` sessions of the database wait for a lock (or a run ends early)."""
    deadline = time.monotonic() + 300
    with warehouse.connect(autocommit=True) as watcher:
        while time.monotonic() < deadline:
            [[waiting]] = watcher.execute(
                "select count(*) from pg_stat_activity"
                " where datname = current_database() and wait_event_type = 'Lock'"
            ).fetchall()
            if waiting >= count or any(run.poll() is not None for run in runs):
                return
            time.sleep(0.2)
    raise AssertionError("the runs never reached the locked mart")


def _errors_of(output: str) -> str:
    """dbt's summary of a run's failures, whole: an assertion's repr of the full log cuts it."""
    summary = output.find("Completed with")
    return output[summary:] if summary >= 0 else output[-2000:]


def test_two_runs_over_the_same_day_at_once_leave_exactly_one_copy(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    for path in generate(SPEC, tmp_path / "landing", tables=SOURCES["registry"]):
        loader.load_file(warehouse, path)
    # Every registry table exists, with its primary key.
    DbtProject(warehouse, tmp_path)("run", "--select", "group:registry")
    day = str(SPEC.last_day - timedelta(days=2))

    # Line both runs up on the same mart: while this transaction holds it in share mode, each
    # run reads it but stops before writing it; released, they go on together, as coinciding
    # runs do.
    with warehouse.connect() as blocker:
        blocker.execute("lock table marts.module_stats_daily in share mode")
        runs = [_dbt_run(warehouse, tmp_path / name, day) for name in ("first", "second")]
        _wait_until_waiting(warehouse, runs, count=2)
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], "\n".join(map(_errors_of, outputs))

    for mart, key in MARTS_AND_KEYS.items():
        [row] = fetch(
            warehouse,
            f"select count(*) as copies, count(distinct ({key})) as keys from marts.{mart}",
        )
        assert row["copies"] == row["keys"] > 0, mart
    assert_every_mart_matches(warehouse, RawRegistry.read(warehouse))
