"""The raw tables as date-partitioned Parquet: the lake a Spark engine reads (dbt target spark).

PostgreSQL stays the system of record: the loader validates, quarantines and keeps the ledger
there, so the raw tables hold only validated rows and this module copies them out unchanged.
Layout under the lake folder (env WAREHOUSE_LAKE_DIR, default .warehouse/lake):

- an event table (partitioned by its event time in `raw`): `<table>/event_date=YYYY-MM-DD/`
  holding one Parquet file of that UTC day's rows;
- a catalog or ledger table (modules, versions, raw._loads...): `<table>/` holding one file.

Timestamps are microsecond UTC (`timestamp[us, tz=UTC]`: Spark cannot read nanoseconds),
every column typed from the PostgreSQL catalog; enums and inet addresses are their text.
Every folder is written beside its place and swapped in by renames, so a re-export of a day
replaces that day (never duplicates it) and a reader never sees half a file. Rows stream
from a server-side cursor in batches: no table is ever held in memory.

Which days are written: the days of the loads since the last export (their event dates, in
the ledger), all of them on the first export, or the days asked for. The last exported load
id is kept in `<lake>/_export_state.json` (Spark ignores files starting with `_`).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg

from ingest.sources import tables_of
from ingest.warehouse import Warehouse, warehouse_dir

LAKE_VARIABLE = "WAREHOUSE_LAKE_DIR"
SPARK_DIR_VARIABLE = "WAREHOUSE_SPARK_DIR"
STATE_FILE = "_export_state.json"
# The ledger tables dbt reads (source `ingest`): completeness of each source's days.
LEDGER_TABLES = ("_loads", "_load_event_dates")
BATCH_ROWS = 50_000


class LakeExportError(RuntimeError):
    """The export could not write the lake; nothing of the table in hand was swapped in."""


def lake_dir() -> Path:
    """The lake folder: WAREHOUSE_LAKE_DIR, or .warehouse/lake next to the embedded server."""
    configured = os.environ.get(LAKE_VARIABLE)
    return Path(configured).resolve() if configured else warehouse_dir() / "lake"


def spark_env() -> dict[str, str]:
    """What dbt's Spark targets read besides the warehouse's variables: the lake, and the
    folder of the in-process Spark's warehouse and Derby metastore (target spark_session),
    both absolute so no run depends on its working directory."""
    spark_dir = os.environ.get(SPARK_DIR_VARIABLE) or str(warehouse_dir().resolve() / "spark")
    return {LAKE_VARIABLE: str(lake_dir()), SPARK_DIR_VARIABLE: spark_dir}


@dataclass(frozen=True)
class RawTable:
    """A raw table as the export sees it: its columns, and its event-time column when it is
    an event table (partitioned in PostgreSQL by that column)."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (column, PostgreSQL type as format_type shows it)
    time_column: str | None


@dataclass(frozen=True)
class ExportResult:
    table: str
    partitions: int | None  # event days written; none for a table replaced whole
    rows: int


def _arrow_type(pg_type: str) -> Any:
    """The Parquet (Arrow) type of a PostgreSQL column; what has no exact match is text."""
    import pyarrow as pa

    exact = {
        "bigint": pa.int64(),
        "integer": pa.int32(),
        "smallint": pa.int16(),
        "boolean": pa.bool_(),
        "double precision": pa.float64(),
        "real": pa.float32(),
        "date": pa.date32(),
        "timestamp with time zone": pa.timestamp("us", tz="UTC"),
        "timestamp without time zone": pa.timestamp("us"),
    }
    return exact.get(pg_type, pa.string())


def _select_list(table: RawTable) -> str:
    """Columns as the export reads them: anything without an exact Arrow type as text, and
    an infinite date or time (the ledger dates a catalog load '-infinity') as null, which
    neither Arrow nor Spark can hold."""
    import pyarrow as pa

    def read(name: str, pg_type: str) -> str:
        if _arrow_type(pg_type) == pa.string():
            return f'"{name}"::text as "{name}"'
        if pg_type == "date" or pg_type.startswith("timestamp"):
            return f'case when isfinite("{name}") then "{name}" end as "{name}"'
        return f'"{name}"'

    return ", ".join(read(name, pg_type) for name, pg_type in table.columns)


def describe(connection: psycopg.Connection, name: str) -> RawTable:
    """A raw table's columns from the catalog, and its partition key (the event time)."""
    columns = connection.execute(
        "select attname, format_type(atttypid, atttypmod) from pg_attribute"
        " where attrelid = %s::regclass and attnum > 0 and not attisdropped order by attnum",
        (f"raw.{name}",),
    ).fetchall()
    if not columns:
        raise LakeExportError(f"raw.{name} has no columns (is the raw schema migrated?)")
    key = connection.execute(
        "select a.attname from pg_partitioned_table p"
        " join pg_attribute a on a.attrelid = p.partrelid and a.attnum = p.partattrs[0]"
        " where p.partrelid = %s::regclass",
        (f"raw.{name}",),
    ).fetchone()
    return RawTable(name, tuple(columns), key[0] if key else None)


def _schema(table: RawTable) -> Any:
    import pyarrow as pa

    return pa.schema([(name, _arrow_type(pg_type)) for name, pg_type in table.columns])


def _write_parquet(
    connection: psycopg.Connection, table: RawTable, query: str, params: tuple, path: Path
) -> int:
    """Streams the query's rows into one Parquet file in batches; returns the row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _schema(table)
    rows = 0
    with (
        connection.cursor(name=f"lake_{uuid.uuid4().hex[:8]}") as cursor,
        pq.ParquetWriter(path, schema, compression="snappy", coerce_timestamps="us") as writer,
    ):
        cursor.itersize = BATCH_ROWS
        cursor.execute(query, params)
        while batch := cursor.fetchmany(BATCH_ROWS):
            columns = zip(*batch, strict=True)
            arrays = [
                pa.array(values, type=kind)
                for values, kind in zip(columns, schema.types, strict=True)
            ]
            writer.write_batch(pa.record_batch(arrays, schema=schema))
            rows += len(batch)
    return rows


def _swap_in(built: Path, place: Path) -> None:
    """Replaces `place` with the folder `built` by renames (the old one removed after)."""
    retired = place.with_name(f".retired-{place.name}-{uuid.uuid4().hex[:8]}")
    if place.exists():
        place.rename(retired)
    built.rename(place)
    shutil.rmtree(retired, ignore_errors=True)


def _export_day(connection: psycopg.Connection, table: RawTable, day: date, root: Path) -> int:
    """One UTC day of an event table into <table>/event_date=<day>/, replacing that day; a
    day without rows leaves no folder."""
    place = root / table.name / f"event_date={day.isoformat()}"
    built = root / table.name / f".building-{place.name}-{uuid.uuid4().hex[:8]}"
    built.mkdir(parents=True)
    try:
        rows = _write_parquet(
            connection,
            table,
            f"select {_select_list(table)} from raw.{table.name}"
            f' where "{table.time_column}" >= %s::timestamptz'
            f' and "{table.time_column}" < %s::timestamptz',
            (f"{day} 00:00:00+00", f"{day + timedelta(days=1)} 00:00:00+00"),
            built / "part-00000.parquet",
        )
        if rows:
            _swap_in(built, place)
        else:
            shutil.rmtree(built)
            shutil.rmtree(place, ignore_errors=True)
        return rows
    except BaseException:
        shutil.rmtree(built, ignore_errors=True)
        raise


def _export_whole(connection: psycopg.Connection, table: RawTable, root: Path) -> int:
    """A table without event days (catalog, ledger) into <table>/, replaced whole."""
    built = root / f".building-{table.name}-{uuid.uuid4().hex[:8]}"
    built.mkdir(parents=True)
    try:
        rows = _write_parquet(
            connection,
            table,
            f"select {_select_list(table)} from raw.{table.name}",
            (),
            built / "part-00000.parquet",
        )
        _swap_in(built, root / table.name)
        return rows
    except BaseException:
        shutil.rmtree(built, ignore_errors=True)
        raise


def _changed_days(
    connection: psycopg.Connection, table: str, after_load_id: int | None
) -> list[date]:
    """The event days of a table's loads after `after_load_id` (all its loads for none)."""
    rows = connection.execute(
        "select distinct event_date from raw._load_event_dates"
        " where table_name = %s and load_id > %s order by 1",
        (table, after_load_id if after_load_id is not None else -1),
    ).fetchall()
    return [row[0] for row in rows]


def _read_state(root: Path) -> dict[str, int]:
    path = root / STATE_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def _write_state(root: Path, state: dict[str, int]) -> None:
    temporary = root / f".{STATE_FILE}.{uuid.uuid4().hex[:8]}"
    temporary.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    temporary.replace(root / STATE_FILE)


def days_between(first: date, last: date) -> list[date]:
    """Every day from first to last, both inclusive; a reversed range is an error, not none."""
    if first > last:
        raise LakeExportError(f"the first day {first} is after the last day {last}")
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def export(
    warehouse: Warehouse,
    sources: Iterable[str] = ("registry",),
    days: list[date] | None = None,
    root: Path | None = None,
) -> list[ExportResult]:
    """Writes the raw tables of `sources` and the ledger to the lake; returns what it wrote.

    `days`: the event days to (re)write; none: the days loaded since the last export (every
    day on the first). Catalog and ledger tables are always rewritten whole. Everything is
    read in one repeatable-read transaction, so the ledger and the events agree.
    """
    root = root or lake_dir()
    root.mkdir(parents=True, exist_ok=True)
    state = _read_state(root)
    tables = [table for source in sources for table in tables_of(source)]
    results = []
    with warehouse.connect() as connection:
        connection.execute("set transaction isolation level repeatable read, read only")
        last_load = connection.execute(
            "select coalesce(max(load_id), 0) from raw._loads"
        ).fetchone()[0]
        for name in [*tables, *LEDGER_TABLES]:
            table = describe(connection, name)
            if table.time_column is None:
                rows = _export_whole(connection, table, root)
                results.append(ExportResult(name, None, rows))
                continue
            wanted = days if days is not None else _changed_days(connection, name, state.get(name))
            rows = sum(_export_day(connection, table, day, root) for day in wanted)
            results.append(ExportResult(name, len(wanted), rows))
            if days is None:
                state[name] = last_load
    _write_state(root, state)
    return results


def exported_partitions(root: Path, table: str) -> Iterator[Path]:
    """The partition folders of an event table in the lake (for checks and tests)."""
    yield from sorted((root / table).glob("event_date=*"))
