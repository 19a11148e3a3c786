"""The warehouse's Dagster instance keeps run event logs with pooled SQLite connections
(orchestration/lib/event_log.py): every event must still reach the files, be seen by another
process's instance (the webserver's, the daemon's), and a long-lived instance must not keep a
file open per run it ever wrote."""

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from orchestration.lib.event_log import OPEN_DATABASES, PooledSqliteEventLogStorage
from orchestration.lib.instance import EVENT_BATCH_SIZE, INSTANCE_CONFIG

RUNS = OPEN_DATABASES + 4
DAYS = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-11")


@dg.asset
def counted() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 1})


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def daily(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"days": len(context.partition_keys)})


def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "dagster"
    home.mkdir()
    shutil.copy(INSTANCE_CONFIG, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name, value in EVENT_BATCH_SIZE.items():
        monkeypatch.setenv(name, value)
    return home


def test_runs_are_stored_and_seen_by_another_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _home(tmp_path, monkeypatch)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        runs = [dg.materialize([counted], instance=instance) for _ in range(RUNS)]
        assert all(run.success for run in runs)
        assert len(storage._engines) <= OPEN_DATABASES  # runs that are over are closed

    reader = (
        "import sys, dagster as dg\n"
        "with dg.DagsterInstance.from_config(sys.argv[1]) as instance:\n"
        "    events = instance.fetch_materializations(dg.AssetKey('counted'), limit=100)\n"
        "    logs = [len(instance.all_logs(run.run_id)) for run in instance.get_runs()]\n"
        "    print(len(events.records), len(logs), min(logs))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", reader, str(home)], capture_output=True, text=True, check=True
    )
    materializations, run_count, fewest_events = map(int, done.stdout.split())
    assert materializations == RUNS
    assert run_count == RUNS
    assert fewest_events >= 10  # each run's own file holds its whole log (start to success)


def test_a_backfill_stores_its_days_as_one_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _home(tmp_path, monkeypatch)
    batches: list[int] = []
    store_batch = PooledSqliteEventLogStorage.store_event_batch

    def counting(storage: PooledSqliteEventLogStorage, events: Sequence[Any]) -> None:
        batches.append(len(events))
        store_batch(storage, events)

    monkeypatch.setattr(PooledSqliteEventLogStorage, "store_event_batch", counting)
    days = DAYS.get_partition_keys()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = dg.materialize(
            [daily],
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": days[0],
                "dagster/asset_partition_range_end": days[-1],
            },
        )
        assert result.success
    # Batches of one event per day (the materializations, their planned events), none smaller.
    assert batches and set(batches) == {len(days)}

    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.fetch_materializations(dg.AssetKey("daily"), limit=100).records
        assert sorted(r.partition_key for r in records) == days
