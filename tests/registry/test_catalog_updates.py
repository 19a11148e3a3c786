"""A catalog update reaches every registry mart through one bare `dbt build`: a module moved to
another organization, a new description, a creation time corrected into the data's range, a
version's size and schema fields changed."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from ingest import loader
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import Warehouse
from tests.dbt_support import DbtProject
from tests.recompute import Row, fetch
from tests.registry.recompute import RawRegistry, assert_every_mart_matches

pytestmark = pytest.mark.dbt

SPEC = GeneratorSpec(events=12_000, days=21, seed=5)
REGISTRY_MODELS = ("staging.registry", "intermediate.registry", "marts.registry")
BATCH_DAYS = 7


def _text(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else "" if value is None else value


def _write(path: Path, rows: list[Row]) -> Path:
    """A CSV file of catalog rows as read from raw, without the loader's own columns."""
    columns = [column for column in rows[0] if not column.startswith("_")]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_text(row[column]) for column in columns] for row in rows)
    return path


def _org_days(warehouse: Warehouse) -> dict[tuple[date, str], Row]:
    rows = fetch(warehouse, "select * from marts.org_stats_daily")
    return {(r["period_start"], r["organization_id"]): r for r in rows}


def _total_modules(warehouse: Warehouse) -> dict[date, int]:
    rows = fetch(warehouse, "select as_of_date, total_modules from marts.registry_overview")
    return {r["as_of_date"]: r["total_modules"] for r in rows}


def _built(warehouse: Warehouse, tmp_path: Path) -> DbtProject:
    """Loaded and built the way Dagster does it: a first build, then windows of days, each
    storing its days' snapshots."""
    for path in generate(SPEC, tmp_path / "landing", tables=SOURCES["registry"]):
        loader.load_file(warehouse, path)
    dbt = DbtProject(warehouse, tmp_path)
    dbt("run", "--select", *REGISTRY_MODELS)
    for offset in range(0, SPEC.days, BATCH_DAYS):
        first = SPEC.first_day + timedelta(days=offset)
        last = min(first + timedelta(days=BATCH_DAYS - 1), SPEC.last_day)
        dbt("run", "--select", *REGISTRY_MODELS, min_date=str(first), max_date=str(last))
    return dbt


def test_a_catalog_update_reaches_every_mart_after_a_bare_build(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    dbt = _built(warehouse, tmp_path)
    assert_every_mart_matches(warehouse, RawRegistry.read(warehouse))

    before = _org_days(warehouse)
    data_days = sorted({day for day, _ in before})
    # The organization with a row on most days of data receives the most downloaded module of
    # another organization.
    new_org = min(
        {org for _, org in before},
        key=lambda org: (-sum((day, org) in before for day in data_days), org),
    )
    assert all((day, new_org) in before for day in data_days)
    modules = {
        r["module_name"]: r
        for r in fetch(warehouse, "select * from raw.modules order by module_name")
    }
    [moved] = fetch(
        warehouse,
        "select d.module_name, m.organization_id"
        " from raw.download_events d join raw.modules m using (module_name)"
        f" where m.organization_id <> '{new_org}'"
        " group by 1, 2 order by count(*) desc, 1 limit 1",
    )
    moved_name, old_org = moved["module_name"], moved["organization_id"]
    described, unchanged, corrected = [m for m in modules if m != moved_name][:3]
    update = [
        {**modules[moved_name], "organization_id": new_org},
        {**modules[described], "description": "Schemas, described anew"},
        modules[unchanged],
    ]
    result = loader.load_file(warehouse, _write(tmp_path / "modules__update.csv", update))
    assert (result.rows_read, result.rows_loaded, result.rows_duplicate) == (3, 2, 1)
    with pytest.raises(AssertionError):  # the update is not in the marts yet
        assert_every_mart_matches(warehouse, RawRegistry.read(warehouse))

    dbt("build", "--select", *REGISTRY_MODELS)  # bare: no window, no full refresh

    snapshot_days = assert_every_mart_matches(warehouse, RawRegistry.read(warehouse))
    assert min(snapshot_days.values()) >= SPEC.days - 1, snapshot_days
    # The moved module's versions count for its new organization on every day of data, and no
    # longer for the old one.
    versions = fetch(
        warehouse,
        "select created_at, size_bytes from raw.module_versions"
        f" where module_name = '{moved_name}'",
    )
    after = _org_days(warehouse)
    for day in data_days:
        moved_bytes = sum(v["size_bytes"] for v in versions if v["created_at"].date() <= day)
        assert moved_bytes > 0
        gained = after[(day, new_org)]["storage_bytes"] - before[(day, new_org)]["storage_bytes"]
        assert gained == moved_bytes, day
        if (day, old_org) in before and (day, old_org) in after:
            lost = before[(day, old_org)]["storage_bytes"] - after[(day, old_org)]["storage_bytes"]
            assert lost == moved_bytes, day
    # Staging reads the current version, since it was loaded; raw keeps both.
    staged = {
        r["module_name"]: r for r in fetch(warehouse, "select * from staging.stg_registry__modules")
    }
    assert staged[moved_name]["organization_id"] == new_org
    assert staged[described]["description"] == "Schemas, described anew"
    [loaded] = fetch(
        warehouse, f"select _loaded_at from raw.modules where _load_id = {result.load_id} limit 1"
    )
    assert staged[described]["valid_from"] == loaded["_loaded_at"]
    assert staged[unchanged]["valid_from"] < loaded["_loaded_at"]
    history = fetch(
        warehouse,
        f"select organization_id from raw.modules where module_name = '{moved_name}'"
        " order by _load_id",
    )
    assert [r["organization_id"] for r in history] == [old_org, new_org]

    # Then a creation time corrected, later, into the data's range: the days from the old
    # creation on change, so the overview snapshots before the new one count a module fewer.
    overview_before = _total_modules(warehouse)
    corrected_day = SPEC.first_day + timedelta(days=4)
    assert modules[corrected]["created_at"].date() < SPEC.first_day
    correction = [{**modules[corrected], "created_at": f"{corrected_day}T09:00:00Z"}]
    loader.load_file(warehouse, _write(tmp_path / "modules__fix.csv", correction))

    dbt("build", "--select", *REGISTRY_MODELS)

    assert_every_mart_matches(warehouse, RawRegistry.read(warehouse))
    overview_after = _total_modules(warehouse)
    assert overview_after.keys() == overview_before.keys()
    for as_of, total in overview_after.items():
        assert total == overview_before[as_of] - (as_of < corrected_day), as_of

    # Last, a version's size and breaking flag, and the fields of another version (a catalog
    # without a creation time: every day changes).
    [version] = fetch(
        warehouse,
        "select * from raw.module_versions"
        f" where module_name = '{moved_name}' order by created_at desc limit 1",
    )
    fields = fetch(
        warehouse,
        "select * from raw.schema_fields where (module_name, version) ="
        " (select module_name, version from raw.schema_fields order by 1, 2 limit 1)",
    )
    changed_version = {
        **version,
        "size_bytes": version["size_bytes"] * 2,
        "is_breaking_change": not version["is_breaking_change"],
    }
    loader.load_file(warehouse, _write(tmp_path / "module_versions__fix.csv", [changed_version]))
    deprecated = [{**field, "is_deprecated": True} for field in fields]
    result = loader.load_file(warehouse, _write(tmp_path / "schema_fields__fix.csv", deprecated))
    assert result.rows_loaded == sum(not field["is_deprecated"] for field in fields) > 0

    dbt("build", "--select", *REGISTRY_MODELS)

    assert_every_mart_matches(warehouse, RawRegistry.read(warehouse))
