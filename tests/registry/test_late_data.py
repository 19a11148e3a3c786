"""Late data of any age, events and catalog: a bare `dbt build` catches up every registry mart,
snapshots included."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from ingest import loader
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import SALT_VARIABLE, Warehouse
from tests.dbt_support import DbtProject
from tests.recompute import fetch
from tests.registry.recompute import RawRegistry, assert_every_mart_matches

pytestmark = pytest.mark.dbt

_YESTERDAY = datetime.now(UTC).date() - timedelta(days=1)
# 50 to 56 days ending yesterday, starting on a Wednesday: the first week is incomplete (it
# starts before the data) until the late event before the data completes it.
DAYS = next(d for d in range(50, 57) if (_YESTERDAY - timedelta(days=d - 1)).weekday() == 2)
SPEC = GeneratorSpec(events=24_000, days=DAYS, seed=8)
REGISTRY_MODELS = ("staging.registry", "intermediate.registry", "marts.registry")
BATCH_DAYS = 5
# Event days of the late files, as days before the last day: 20-40 days old, and ten days
# before the first day of data (older than any window the models were built with).
LATE_AGES = (20, 27, 33, 40, DAYS + 9)


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _late_files(folder: Path, warehouse: Warehouse, last_day: date) -> list[Path]:
    """Downloads, views, compilations and field reads of existing modules, days late."""
    modules = [r["module_name"] for r in fetch(warehouse, "select module_name from raw.modules")]
    versions = {
        r["module_name"]: r["version"]
        for r in fetch(
            warehouse,
            "select distinct on (module_name) module_name, version"
            " from raw.module_versions order by module_name, created_at desc",
        )
    }
    rows: dict[str, list[dict[str, object]]] = {table: [] for table in SOURCES["registry"][:4]}
    for age in LATE_AGES:
        day = last_day - timedelta(days=age)
        for n in range(12):
            module = modules[n % 4]
            common = {
                "event_id": f"late-{age}-{n}",
                "user_id": f"user-late-{n % 5}",
                "organization_id": f"org-late-{n % 2}",
                "module_name": module,
                "version": versions[module],
            }
            when = f"{day}T{8 + n}:30:00Z"
            rows["download_events"].append(
                {**common, "downloaded_at": when, "language": "go", "success": n % 6 != 0,
                 "cache_hit": n % 2 == 0, "file_size": 1000 * n}
            )  # fmt: skip
            rows["module_view_events"].append(
                {**common, "viewed_at": when, "source": "web", "page_type": "detail"}
            )
            rows["compilation_events"].append(
                {**common, "started_at": when, "language": "rust", "duration_ms": 900 * (n + 1),
                 "success": n % 4 != 0}
            )  # fmt: skip
            rows["field_usage_events"].append(
                {**{k: common[k] for k in ("event_id", "organization_id", "module_name")},
                 "version": versions[module], "used_at": when, "message_name": "Message0",
                 "field_name": f"field_{9 - n % 3}"}
            )  # fmt: skip
    # The catalog too: a module created 12 days ago, a version of an old module 10 days ago.
    rows["modules"] = [
        {"module_name": "late.module", "organization_id": "org-late-0",
         "created_at": f"{last_day - timedelta(days=12)}T09:00:00Z"}
    ]  # fmt: skip
    rows["module_versions"] = [
        {"module_name": modules[0], "version": "v9.9.9", "size_bytes": 123_456,
         "created_at": f"{last_day - timedelta(days=10)}T09:00:00Z", "is_breaking_change": True}
    ]  # fmt: skip
    return [_write(folder / f"{table}__late.csv", table_rows) for table, table_rows in rows.items()]


def test_a_bare_build_catches_up_late_data_of_any_age(warehouse: Warehouse, tmp_path: Path) -> None:
    files = generate(SPEC, tmp_path / "landing", tables=SOURCES["registry"])
    for path in files:
        loader.load_file(warehouse, path)
    dbt = DbtProject(warehouse, tmp_path)
    dbt("run", "--select", *REGISTRY_MODELS)  # a first build of everything: nothing pending
    # Then the way Dagster backfills: windows of days, each storing its days' snapshots.
    for offset in range(0, SPEC.days, BATCH_DAYS):
        first = SPEC.first_day + timedelta(days=offset)
        last = min(first + timedelta(days=BATCH_DAYS - 1), SPEC.last_day)
        dbt("run", "--select", *REGISTRY_MODELS, min_date=str(first), max_date=str(last))
    assert_every_mart_matches(warehouse, RawRegistry.read(warehouse))

    for path in _late_files(tmp_path, warehouse, SPEC.last_day):
        loader.load_file(warehouse, path)
    before_the_data = SPEC.last_day - timedelta(days=LATE_AGES[-1])
    stale = RawRegistry.read(warehouse)
    with pytest.raises(AssertionError):
        assert_every_mart_matches(warehouse, stale)  # the late events are not in the marts yet

    dbt("build", "--select", *REGISTRY_MODELS)

    snapshot_days = assert_every_mart_matches(warehouse, RawRegistry.read(warehouse))
    assert min(snapshot_days.values()) >= SPEC.days - 1, snapshot_days
    [row] = fetch(
        warehouse,
        f"select sum(view_count) as views from marts.module_stats_daily"
        f" where period_start = '{before_the_data}'",
    )
    assert row["views"] == 12, "a day before the data began now has its late views"


def test_a_re_sent_event_with_another_time_counts_once_whatever_the_windows(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    """One event id is one event: the copy loaded first wins everywhere, whichever days are
    built and in what order, and no window fails staging's unique event ids."""
    spec = GeneratorSpec(events=6_000, days=10, seed=3, duplicate_share=0.0, late_share=0.0)
    for path in generate(spec, tmp_path / "landing", tables=SOURCES["registry"]):
        loader.load_file(warehouse, path)
    [original] = fetch(
        warehouse,
        "select event_id, downloaded_at, module_name, version from raw.download_events"
        " order by event_id limit 1",
    )
    first_day = original["downloaded_at"].date()
    other_day = spec.last_day if first_day != spec.last_day else spec.first_day
    rows = [
        {**original, "downloaded_at": f"{other_day}T07:00:00Z"},  # re-sent, another day
        {**original, "event_id": "twice", "downloaded_at": f"{other_day}T09:00:00Z"},
        {**original, "event_id": "twice", "downloaded_at": f"{first_day}T10:00:00Z"},
    ]
    for row in rows:
        row.update(language="go", success=True)
    loader.load_file(warehouse, _write(tmp_path / "download_events__resent.csv", rows))

    dbt = DbtProject(warehouse, tmp_path)
    dbt("run", "--select", *REGISTRY_MODELS, min_date=str(other_day), max_date=str(other_day))
    dbt("build", "--select", *REGISTRY_MODELS, min_date=str(first_day), max_date=str(first_day))
    dbt("build", "--select", *REGISTRY_MODELS)  # every test passes: event ids stay unique

    staged = fetch(
        warehouse,
        "select event_id, event_date from staging.stg_registry__download_events"
        f" where event_id in ('{original['event_id']}', 'twice')",
    )
    # The original was loaded first; of the two copies in one file, the first line.
    assert sorted((r["event_id"], r["event_date"]) for r in staged) == sorted(
        [(original["event_id"], first_day), ("twice", other_day)]
    )
    assert_every_mart_matches(warehouse, RawRegistry.read(warehouse))


def test_staging_refuses_to_hash_without_a_salt(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A configured server whose deployment set no salt: one clear error, nothing hashed."""
    monkeypatch.delenv(SALT_VARIABLE, raising=False)
    configured = replace(warehouse, embedded=False)
    with pytest.raises(AssertionError, match="WAREHOUSE_PII_SALT is not set"):
        DbtProject(configured, tmp_path)("run", "--select", "stg_registry__download_events")
    [row] = fetch(warehouse, "select to_regclass('staging.stg_registry__download_events') as t")
    assert row["t"] is None
