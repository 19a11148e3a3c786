"""Migrations of the raw schema: idempotent, versioned, with partitions created ahead."""

from __future__ import annotations

from datetime import UTC, date, datetime

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
