"""Migrations of the raw schema: idempotent, versioned, with partitions created ahead."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest

from ingest import migrate
from ingest.sources import SOURCES
from ingest.warehouse import Warehouse

CATALOG_SNAPSHOT = """
    select string_agg(c.relname || ':' || c.relkind::text, ',' order by c.relname)
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'raw'
"""


def _month(offset: int) -> date:
    today = datetime.now(UTC).date()
    index = today.year * 12 + today.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


def test_migrations_apply_once_and_are_idempotent(empty_warehouse: Warehouse) -> None:
    first = migrate.migrate(empty_warehouse)
    with empty_warehouse.cursor() as cursor:
        before = cursor.execute(CATALOG_SNAPSHOT).fetchone()[0]
    second = migrate.migrate(empty_warehouse)
    with empty_warehouse.cursor() as cursor:
        # Replaying every file by hand must also change nothing.
        for migration in migrate.available_migrations():
            cursor.execute(migration.path.read_text())
        after = cursor.execute(CATALOG_SNAPSHOT).fetchone()[0]
        versions = [v for (v,) in cursor.execute("select version from raw._migrations order by 1")]
    assert [m.version for m in first] == [m.version for m in migrate.available_migrations()]
    assert second == []
    assert after == before
    assert versions == [m.version for m in first]


def test_every_source_table_exists(warehouse: Warehouse) -> None:
    with warehouse.cursor() as cursor:
        tables = {
            t
            for (t,) in cursor.execute(
                "select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                " where n.nspname = 'raw' and relkind in ('r', 'p')"
            )
        }
    assert {t for tables_of in SOURCES.values() for t in tables_of} <= tables


def test_event_tables_have_default_and_future_month_partitions(warehouse: Warehouse) -> None:
    with warehouse.cursor() as cursor:
        partitioned = [
            t
            for (t,) in cursor.execute(
                "select c.relname from pg_partitioned_table p"
                " join pg_class c on c.oid = p.partrelid"
            )
        ]
        partitions = {
            t
            for (t,) in cursor.execute(
                "select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid"
            )
        }
    assert len(partitioned) == 9
    for table in partitioned:
        assert f"{table}_default" in partitions
        for offset in range(4):  # this month and the three ahead
            assert f"{table}_{_month(offset):%Y_%m}" in partitions, (table, offset)


def test_event_tables_have_an_event_id_load_stamp_and_time_index(warehouse: Warehouse) -> None:
    """Migration 0016: an event table's one index is a BRIN on its event time (what staging's
    window reads); its ids are unique through the ledger raw._event_ids, not a key of its own."""
    with warehouse.cursor() as cursor:
        rows = cursor.execute(
            """
            select c.relname,
                   bool_or(a.attname = 'event_id'),
                   bool_or(a.attname = '_loaded_at'),
                   (select array_agg(am.amname || ' ' || pg_get_indexdef(i.indexrelid, 1, true))
                    from pg_index i join pg_class x on x.oid = i.indexrelid
                    join pg_am am on am.oid = x.relam where i.indrelid = c.oid),
                   (select attname from pg_attribute t
                    where t.attrelid = c.oid and t.attnum = p.partattrs[0])
            from pg_partitioned_table p
            join pg_class c on c.oid = p.partrelid
            join pg_attribute a on a.attrelid = c.oid and a.attnum > 0
            group by c.relname, c.oid, p.partattrs
            """
        ).fetchall()
        ledger_key = cursor.execute(
            "select pg_get_constraintdef(oid) from pg_constraint"
            " where conrelid = 'raw._event_ids'::regclass and contype = 'p'"
        ).fetchone()
    for table, has_event_id, has_load_stamp, indexes, time_column in rows:
        assert has_event_id and has_load_stamp, table
        assert indexes == [f"brin {time_column}"], table
    assert ledger_key == ("PRIMARY KEY (table_name, event_id)",)


def test_a_migration_failing_halfway_keeps_the_ones_before_it_and_names_its_error(
    empty_warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each migration commits on its own: a failure leaves the earlier ones applied and
    recorded, nothing of its own, its own error (not the lock's release after it), and a
    second run, once the file is mended, applies only what is left."""
    real = migrate.available_migrations()
    for migration in real[:2]:
        shutil.copy(migration.path, tmp_path / migration.path.name)
    broken = tmp_path / "9998_broken.sql"
    broken.write_text("create table raw.half_done (x int);\nselect 1 / 0;\n")
    (tmp_path / "9999_after.sql").write_text("create table raw.after_broken (x int);\n")
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", tmp_path)

    with pytest.raises(psycopg.errors.DivisionByZero):
        migrate.migrate(empty_warehouse)
    assert _versions(empty_warehouse) == [m.version for m in real[:2]]
    assert _tables(empty_warehouse, "half_done", "after_broken") == []

    broken.write_text("create table raw.half_done (x int);\n")
    assert [m.version for m in migrate.migrate(empty_warehouse)] == [9998, 9999]
    assert _tables(empty_warehouse, "half_done", "after_broken") == ["after_broken", "half_done"]


def test_two_migrations_at_once_apply_each_file_once(empty_warehouse: Warehouse) -> None:
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: migrate.migrate(empty_warehouse), range(2)))
    everything = [m.version for m in migrate.available_migrations()]
    assert sorted(len(applied) for applied in runs) == [0, len(everything)]
    assert _versions(empty_warehouse) == everything


def _versions(warehouse: Warehouse) -> list[int]:
    with warehouse.cursor() as cursor:
        return [v for (v,) in cursor.execute("select version from raw._migrations order by 1")]


def _tables(warehouse: Warehouse, *names: str) -> list[str]:
    with warehouse.cursor() as cursor:
        rows = cursor.execute(
            "select table_name from information_schema.tables"
            " where table_schema = 'raw' and table_name = any(%s) order by 1",
            (list(names),),
        ).fetchall()
    return [name for (name,) in rows]
