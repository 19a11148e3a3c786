"""Catalog tables (not partitioned by an event time) take updates: the latest load of a key wins,
every version stays in raw. Event tables keep their duplicate rule. Real files, real database."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from ingest import loader
from ingest.warehouse import Warehouse
from tests.test_loader import download, scalar, write_csv

MODULE_COLUMNS = ["module_name", "organization_id", "created_at", "description"]


def module(name: str, org: str = "org-1", created: str = "2026-03-05", **changes: object) -> dict:
    row: dict[str, object] = {
        "module_name": name,
        "organization_id": org,
        "created_at": f"{created}T09:00:00Z",
        "description": f"Schemas of {name}",
    }
    row.update(changes)
    return row


def write_rows(folder: Path, name: str, rows: list[dict[str, object]]) -> Path:
    """A CSV (header from the first row) or JSON Lines file of these rows; None is absent."""
    path = folder / name
    if name.endswith(".jsonl"):
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
        return path
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
    return path


def modules(warehouse: Warehouse) -> list[tuple[object, ...]]:
    with warehouse.cursor() as cursor:
        return cursor.execute(
            "select module_name, organization_id, description, _load_id from raw.modules"
            " order by module_name, _load_id"
        ).fetchall()


def changed_days(warehouse: Warehouse, load_id: int | None) -> list[tuple[str, int]]:
    with warehouse.cursor() as cursor:
        return cursor.execute(
            "select event_date::text, rows from raw._load_event_dates where load_id = %s"
            " order by event_date",
            (load_id,),
        ).fetchall()


def counts(result: loader.LoadResult) -> tuple[int, int, int, int]:
    return (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_duplicate)


# --- The natural key and the versions ----------------------------------------------------------


CATALOG_KEYS = {
    "modules": ("module_name",),
    "module_versions": ("module_name", "version"),
    "schema_fields": ("module_name", "version", "message_name", "field_name"),
    "module_dependencies": ("module_name", "version", "depends_on_module"),
    "triggers": ("trigger_id",),
}


def test_catalog_keys_are_natural_and_the_primary_key_holds_every_version(
    warehouse: Warehouse,
) -> None:
    with warehouse.connect() as connection:
        for table, key in CATALOG_KEYS.items():
            described = loader.describe_table(connection, table)
            assert described.time_column is None
            assert described.key_columns == key
            primary_key = connection.execute(
                "select pg_get_constraintdef(oid) from pg_constraint"
                " where conname = %s and conrelid = %s::regclass",
                (f"{table}_pkey", f"raw.{table}"),
            ).fetchone()
            assert primary_key == (f"PRIMARY KEY ({', '.join(key)}, _load_id)",)
        events = loader.describe_table(connection, "download_events")
        assert events.key_columns == ("event_id", "downloaded_at")


# One row of each catalog, and the same key with some other value.
UPDATES: dict[str, tuple[dict[str, object], dict[str, object]]] = {
    "modules": (module("acme.billing"), {"organization_id": "org-2", "description": "moved"}),
    "module_versions": (
        {"module_name": "m", "version": "v1", "created_at": "2026-03-01T00:00:00Z",
         "size_bytes": 10},
        {"is_breaking_change": "true"},
    ),
    "schema_fields": (
        {"module_name": "m", "version": "v1", "message_name": "M", "field_name": "f",
         "field_type": "string", "is_deprecated": "false"},
        {"is_deprecated": "true"},
    ),
    "module_dependencies": (
        # Only a key: a second copy is identical, so this catalog has no update to take.
        {"module_name": "m", "version": "v1", "depends_on_module": "n"},
        {},
    ),
    "triggers": (
        {"trigger_id": "t1", "organization_id": "o", "name": "deploy hook",
         "event_type": "push", "action_type": "webhook", "created_at": "2026-03-01T00:00:00Z"},
        {"name": "renamed", "is_active": "false"},
    ),
}  # fmt: skip


@pytest.mark.parametrize("table", UPDATES)
def test_an_update_is_a_new_version_and_the_old_one_stays(
    warehouse: Warehouse, landing: Path, table: str
) -> None:
    row, change = UPDATES[table]
    first = loader.load_file(warehouse, write_rows(landing, f"{table}__1.csv", [row]))
    second = loader.load_file(warehouse, write_rows(landing, f"{table}__2.jsonl", [row | change]))

    assert counts(first) == (1, 1, 0, 0)
    stored = scalar(warehouse, f"select count(*) from raw.{table}")
    if not change:
        assert (counts(second), stored) == ((1, 0, 0, 1), 1)
        return
    assert counts(second) == (1, 1, 0, 0)
    assert stored == 2, "the first version is kept"
    with warehouse.cursor() as cursor:
        current = cursor.execute(
            f"select to_jsonb(t) from raw.{table} as t order by _load_id desc limit 1"
        ).fetchone()[0]
        loads = [r for (r,) in cursor.execute(f"select _load_id from raw.{table} order by 1")]
    assert loads == [first.load_id, second.load_id]
    for column, value in change.items():
        assert str(current[column]).lower() == str(value).lower(), column


def test_a_module_moved_to_another_organization(warehouse: Warehouse, landing: Path) -> None:
    loader.load_file(
        warehouse, write_rows(landing, "modules__1.csv", [module("a"), module("b"), module("c")])
    )
    moved = [module("a"), module("b", org="org-2", description="Billing, now at org-2")]
    result = loader.load_file(warehouse, write_rows(landing, "modules__2.csv", moved))

    assert counts(result) == (2, 1, 0, 1)  # a unchanged: a duplicate
    assert modules(warehouse) == [
        ("a", "org-1", "Schemas of a", 1),
        ("b", "org-1", "Schemas of b", 1),
        ("b", "org-2", "Billing, now at org-2", 2),
        ("c", "org-1", "Schemas of c", 1),  # missing from the newer file: nothing is deleted
    ]


@pytest.mark.parametrize("file_format", ["csv", "jsonl"])
def test_an_identical_row_is_a_duplicate_after_defaults_and_typing(
    warehouse: Warehouse, landing: Path, file_format: str
) -> None:
    """Compared as typed values: another spelling of the same time, a default written out, an
    absent optional value against null. Nothing changed, nothing is loaded."""
    loader.load_file(
        warehouse,
        write_rows(
            landing,
            "module_versions__1.csv",
            [{"module_name": "m", "version": "v1", "created_at": "2026-03-01T00:00:00Z"}],
        ),
    )
    same = {
        "module_name": "m",
        "version": "v1",
        "created_at": "2026-03-01 01:00:00+01:00",
        "created_by": None,
        "is_breaking_change": "false",
        "size_bytes": "0",
    }
    result = loader.load_file(
        warehouse, write_rows(landing, f"module_versions__2.{file_format}", [same])
    )

    assert counts(result) == (1, 0, 0, 1)
    assert scalar(warehouse, "select count(*) from raw.module_versions") == 1
    assert changed_days(warehouse, result.load_id) == [], "an unchanged row changes no day"


def test_a_value_set_to_null_is_a_change(warehouse: Warehouse, landing: Path) -> None:
    loader.load_file(warehouse, write_rows(landing, "modules__1.csv", [module("a")]))
    result = loader.load_file(
        warehouse, write_rows(landing, "modules__2.csv", [module("a", description=None)])
    )
    assert counts(result) == (1, 1, 0, 0)
    assert modules(warehouse)[-1] == ("a", "org-1", None, 2)


def test_going_back_to_an_earlier_value_is_a_change(warehouse: Warehouse, landing: Path) -> None:
    """Compared with the current version only: org-1, org-2, then org-1 again is three versions.
    (The third file is JSON Lines: a file with the bytes of the first would be `already
    loaded`, as the ledger knows files by their content.)"""
    for number, (org, suffix) in enumerate(
        [("org-1", "csv"), ("org-2", "csv"), ("org-1", "jsonl")]
    ):
        result = loader.load_file(
            warehouse, write_rows(landing, f"modules__{number}.{suffix}", [module("a", org=org)])
        )
        assert result.rows_loaded == 1, number
    assert [row[1] for row in modules(warehouse)] == ["org-1", "org-2", "org-1"]


def test_the_last_line_of_a_key_in_a_file_wins(warehouse: Warehouse, landing: Path) -> None:
    rows = [
        module("a", org="org-1"),
        module("b"),
        module("a", org="org-2"),
        module("a", org="org-3", description="last"),
    ]
    result = loader.load_file(warehouse, write_rows(landing, "modules__1.csv", rows))

    assert counts(result) == (4, 2, 0, 2)  # two earlier lines of a superseded
    assert modules(warehouse) == [("a", "org-3", "last", 1), ("b", "org-1", "Schemas of b", 1)]


def test_a_file_whose_last_line_restates_the_current_version_changes_nothing(
    warehouse: Warehouse, landing: Path
) -> None:
    loader.load_file(warehouse, write_rows(landing, "modules__1.csv", [module("a")]))
    rows = [module("a", org="org-9"), module("a")]
    result = loader.load_file(warehouse, write_rows(landing, "modules__2.csv", rows))
    assert counts(result) == (2, 0, 0, 2)
    assert modules(warehouse) == [("a", "org-1", "Schemas of a", 1)]


def test_the_last_valid_line_wins_and_the_counts_add_up(
    warehouse: Warehouse, landing: Path
) -> None:
    loader.load_file(warehouse, write_rows(landing, "modules__1.csv", [module("a"), module("b")]))
    rows = [
        module("a", org="org-2"),
        module("a", org="org-3"),
        module("a", created="not a time"),  # quarantined: the line before it wins
        module("b"),  # unchanged
        module("c"),
        module("c"),  # the same line twice
        module("d", org=None),  # quarantined
    ]
    result = loader.load_file(warehouse, write_rows(landing, "modules__2.csv", rows))

    assert counts(result) == (7, 2, 2, 3)
    assert result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_duplicate
    with warehouse.cursor() as cursor:
        ledger = cursor.execute(
            "select rows_read, rows_loaded, rows_quarantined, rows_duplicate, is_catalog"
            " from raw._loads where load_id = %s",
            (result.load_id,),
        ).fetchone()
    assert ledger == (*counts(result), True)
    assert modules(warehouse) == [
        ("a", "org-1", "Schemas of a", 1),
        ("a", "org-3", "Schemas of a", 2),
        ("b", "org-1", "Schemas of b", 1),
        ("c", "org-1", "Schemas of c", 2),
    ]


# --- Which days a catalog load changes ----------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "changed_from"),
    [
        ("2026-03-02", "2026-03-09", "2026-03-02"),  # moved later: the days in between changed
        ("2026-03-09", "2026-03-02", "2026-03-02"),  # moved earlier
        ("2026-03-05", "2026-03-05", "2026-03-05"),  # same creation, another organization
    ],
)
def test_a_new_version_changes_the_days_from_the_earlier_creation(
    warehouse: Warehouse, landing: Path, before: str, after: str, changed_from: str
) -> None:
    loader.load_file(
        warehouse, write_rows(landing, "modules__1.csv", [module("a", created=before)])
    )
    rows = [module("a", org="org-2", created=after), module("new", created="2026-03-20")]
    result = loader.load_file(warehouse, write_rows(landing, "modules__2.csv", rows))

    assert result.rows_loaded == 2
    assert changed_days(warehouse, result.load_id) == [(changed_from, 1), ("2026-03-20", 1)]


def test_a_catalog_without_a_creation_time_changes_every_day(
    warehouse: Warehouse, landing: Path
) -> None:
    row = {"module_name": "m", "version": "v1", "message_name": "M", "field_name": "f",
           "field_type": "string"}  # fmt: skip
    loader.load_file(warehouse, write_rows(landing, "schema_fields__1.csv", [row]))
    result = loader.load_file(
        warehouse, write_rows(landing, "schema_fields__2.csv", [row | {"is_deprecated": "true"}])
    )
    assert changed_days(warehouse, result.load_id) == [("-infinity", 1)]


def test_the_days_come_from_the_current_version_not_an_older_one(
    warehouse: Warehouse, landing: Path
) -> None:
    """Three versions: the third replaces the second, whose creation counts, not the first's."""
    for number, created in enumerate(["2026-03-01", "2026-03-10", "2026-03-12"], start=1):
        result = loader.load_file(
            warehouse,
            write_rows(landing, f"modules__{number}.csv", [module("a", created=created)]),
        )
    assert changed_days(warehouse, result.load_id) == [("2026-03-10", 1)]


# --- What did not change -------------------------------------------------------------------------


def test_loading_the_same_catalog_file_again_is_a_no_op(
    warehouse: Warehouse, landing: Path
) -> None:
    loader.load_file(warehouse, write_rows(landing, "modules__1.csv", [module("a")]))
    path = write_rows(landing, "modules__2.csv", [module("a", org="org-2")])
    first = loader.load_file(warehouse, path)
    again = loader.load_file(warehouse, path)

    assert first.rows_loaded == 1
    assert again.already_loaded and again.load_id == first.load_id
    assert scalar(warehouse, "select count(*) from raw._loads") == 2
    assert len(modules(warehouse)) == 2


def test_an_event_table_keeps_its_duplicate_rule(warehouse: Warehouse, landing: Path) -> None:
    """Events are facts, not versions: a loaded event id (same time) is a duplicate whatever its
    other values, and within a file the first line of an id wins."""
    loader.load_file(warehouse, write_csv(landing, "download_events__1.csv", [download(1)]))
    rows: list[dict[str, object] | str] = [
        download(1, organization_id="org-2"),  # loaded already: a duplicate, not a version
        download(2, organization_id="first"),
        download(2, organization_id="second"),
    ]
    result = loader.load_file(warehouse, write_csv(landing, "download_events__2.csv", rows))

    assert counts(result) == (3, 1, 0, 2)
    with warehouse.cursor() as cursor:
        stored = cursor.execute(
            "select event_id, organization_id from raw.download_events order by 1"
        ).fetchall()
    assert stored == [("dl-000001", "org-1"), ("dl-000002", "first")]
