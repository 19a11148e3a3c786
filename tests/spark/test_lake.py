"""The lake export (ingest/lake.py): the raw tables as Parquet, the same rows as PostgreSQL,
typed, one folder per UTC day, and a re-export replaces a day instead of adding to it."""

from __future__ import annotations

from datetime import UTC, date
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from ingest import lake, loader
from ingest.__main__ import main
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import Warehouse
from tests.dbt_support import environment

EVENT_TABLES = {
    "download_events": "downloaded_at",
    "module_view_events": "viewed_at",
    "compilation_events": "started_at",
    "field_usage_events": "used_at",
}


@pytest.fixture
def loaded(warehouse: Warehouse, tmp_path: Path) -> Warehouse:
    spec = GeneratorSpec(events=1_500, days=4, end_date=date(2026, 3, 2), seed=3)
    for path in generate(spec, tmp_path / "landing", tables=SOURCES["registry"]):
        loader.load_file(warehouse, path)
    return warehouse


def _lake_rows(root: Path, table: str) -> pa.Table:
    return ds.dataset(root / table, format="parquet", partitioning="hive").to_table()


def _count(warehouse: Warehouse, table: str) -> int:
    with warehouse.cursor() as cursor:
        return cursor.execute(f"select count(*) from raw.{table}").fetchone()[0]


def test_every_row_once_typed_in_its_utc_day(loaded: Warehouse, tmp_path: Path) -> None:
    root = tmp_path / "lake"
    results = {result.table: result for result in lake.export(loaded, root=root)}
    assert results["download_events"].partitions == 4
    assert results["modules"].partitions is None
    for table, time_column in EVENT_TABLES.items():
        rows = _lake_rows(root, table)
        assert rows.num_rows == _count(loaded, table) > 0
        assert rows.schema.field(time_column).type == pa.timestamp("us", tz="UTC")
        days = rows.column("event_date").to_pylist()
        times = rows.column(time_column).to_pylist()
        assert all(
            str(t.astimezone(UTC).date()) == str(d) for t, d in zip(times, days, strict=True)
        )
    for table in ("modules", "module_versions", "schema_fields", "_loads", "_load_event_dates"):
        assert _lake_rows(root, table).num_rows == _count(loaded, table)
    versions = _lake_rows(root, "module_versions").schema
    assert versions.field("size_bytes").type == pa.int64()
    assert versions.field("is_breaking_change").type == pa.bool_()
    # A catalog load's ledger day is -infinity in PostgreSQL: null on the lake, not an error.
    assert None in _lake_rows(root, "_load_event_dates").column("event_date").to_pylist()


def test_a_re_export_replaces_days_and_a_second_run_writes_nothing(
    loaded: Warehouse, tmp_path: Path
) -> None:
    root = tmp_path / "lake"
    lake.export(loaded, root=root)
    first = _lake_rows(root, "download_events").num_rows
    again = lake.export(
        loaded, days=lake.days_between(date(2026, 2, 27), date(2026, 3, 2)), root=root
    )
    assert {r.table: r.partitions for r in again}["download_events"] == 4
    assert _lake_rows(root, "download_events").num_rows == first  # replaced, not added
    assert all(
        len(list(p.iterdir())) == 1 for p in lake.exported_partitions(root, "download_events")
    )
    nothing_new = {r.table: r.partitions for r in lake.export(loaded, root=root)}
    assert nothing_new["download_events"] == 0
    assert not [p for p in (root / "download_events").iterdir() if p.name.startswith(".")]


def test_the_command_exports_and_reports_one_line_errors(
    loaded: Warehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with environment(**loaded.libpq_env(), WAREHOUSE_LAKE_DIR=str(tmp_path / "lake")):
        assert main(["export-lake"]) == 0
        assert "download_events:" in capsys.readouterr().out
        assert main(["export-lake", "--source", "nonesuch"]) == 2
        assert main(["export-lake", "--from-date", "2026-03-01"]) == 2
        reversed_days = ["--from-date", "2026-03-02", "--to-date", "2026-03-01"]
        assert main(["export-lake", *reversed_days]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and all(line.startswith("error: ") for line in errors)
    assert (tmp_path / "lake" / "download_events" / "event_date=2026-03-01").is_dir()
