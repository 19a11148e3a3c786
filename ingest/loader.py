"""Loads JSON Lines and CSV files into the raw tables: COPY, validate in SQL, quarantine, ledger.

Why the work is split this way:
- The file's bytes are streamed by COPY into a temporary landing table of text columns, so
  memory stays flat whatever the file size and parsing runs at COPY speed.
- Validation is one set-based SQL statement that checks each value against the real column
  type (`pg_input_is_valid`), the NOT NULL constraints and the enum types of the raw table.
  The migrations are the only place a column is defined.
- Only when the file's structure itself is broken (a CSV record with the wrong number of
  fields, an unterminated quote, bytes that are not UTF-8) does the loader fall back to reading
  lines in Python, so that a broken row in the middle still costs only that row.
- Everything for one file happens in one transaction: a failure leaves the warehouse as it was.
  Only month partitions are created apart, each in its own short transaction, so that the load
  never holds a lock that blocks the table's readers.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from tqdm import tqdm

from ingest.sources import source_of, table_for_file
from ingest.warehouse import Warehouse

CHUNK_BYTES = 1 << 20
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
# Event times outside this window are typos or clock faults, not history.
OLDEST_EVENT_TIME = "2000-01-01"
MAX_FUTURE = "1 day"
# How far ahead of the current month every load makes sure monthly partitions exist.
PARTITION_MONTHS_AHEAD = 3
# Creating a partition waits at most this long for a lock, then retries, so that it never
# queues the table's readers behind it for longer; it gives up after PARTITION_PATIENCE.
PARTITION_LOCK_TIMEOUT = "1s"
PARTITION_PATIENCE_SECONDS = 600.0
PROGRESS_MIN_BYTES = 32 << 20
LOAD_MEMORY = "256MB"
# The most lines one CSV record may span (quoted fields with newlines).
MAX_RECORD_LINES = 20
# JSON Lines are copied as one CSV field per line: these bytes never occur in valid JSON.
WHOLE_LINE_COPY = "(format csv, quote e'\\x01', delimiter e'\\x02')"
APPLICATION_NAME = "ingest load"


class LoadError(RuntimeError):
    """A file that cannot be loaded at all (missing, unreadable header, unknown columns)."""


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    required: bool
    default: str | None


@dataclass(frozen=True)
class RawTable:
    name: str
    columns: tuple[Column, ...]
    time_column: str | None
    key_columns: tuple[str, ...]

    @property
    def qualified(self) -> sql.Composed:
        return sql.SQL("raw.{}").format(sql.Identifier(self.name))

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


@dataclass(frozen=True)
class LoadResult:
    file_name: str
    table: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    load_id: int | None = None
    already_loaded: bool = False

    def summary(self) -> str:
        if self.already_loaded:
            return f"{self.file_name}: already loaded as load {self.load_id}, nothing to do"
        return (
            f"{self.file_name} -> raw.{self.table}: read {self.rows_read}, "
            f"loaded {self.rows_loaded}, quarantined {self.rows_quarantined}, "
            f"duplicates skipped {self.rows_duplicate}"
        )


def describe_table(connection: psycopg.Connection, table: str) -> RawTable:
    """Reads a raw table's columns, types, NOT NULLs, defaults and partition key."""
    rows = connection.execute(
        """
        select a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid)
        from pg_attribute a
        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where a.attrelid = format('raw.%%I', %s::text)::regclass
          and a.attnum > 0 and not a.attisdropped and a.attname not like '\\_%%'
        order by a.attnum
        """,
        (table,),
    ).fetchall()
    columns = tuple(
        Column(name, sql_type, required=not_null and default is None, default=default)
        for name, sql_type, not_null, default in rows
    )
    time_column = connection.execute(
        """
        select a.attname from pg_partitioned_table p
        join pg_attribute a on a.attrelid = p.partrelid and a.attnum = p.partattrs[0]
        where p.partrelid = format('raw.%%I', %s::text)::regclass
        """,
        (table,),
    ).fetchone()
    key_columns = connection.execute(
        """
        select a.attname from pg_index i
        join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
        where i.indrelid = format('raw.%%I', %s::text)::regclass and i.indisprimary
        order by array_position(i.indkey::int2[], a.attnum)
        """,
        (table,),
    ).fetchall()
    return RawTable(
        table,
        columns,
        time_column[0] if time_column else None,
        tuple(name for (name,) in key_columns),
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _csv_header(path: Path, table: RawTable) -> list[str]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise LoadError(f"{path.name}: empty CSV file, expected a header row")
    known = {column.name for column in table.columns}
    unknown = [name for name in header if name not in known]
    if unknown:
        raise LoadError(f"{path.name}: unknown column(s) {', '.join(unknown)} for raw.{table.name}")
    if len(set(header)) != len(header):
        raise LoadError(f"{path.name}: a column appears twice in the CSV header")
    return header


def _create_landing(cursor: psycopg.Cursor, fields: list[str], first_line: int) -> None:
    field_columns = sql.SQL("").join(
        sql.SQL(", {} text").format(sql.Identifier(field)) for field in fields
    )
    cursor.execute(
        sql.SQL(
            "create temp table _landing ("
            " _line bigint generated by default as identity (start with {first}),"
            " _original text, _reason text{fields}) on commit drop"
        ).format(first=sql.Literal(first_line), fields=field_columns)
    )


def _stream_file(copy: psycopg.Copy, path: Path) -> None:
    size = path.stat().st_size
    with (
        path.open("rb") as handle,
        tqdm(
            total=size,
            unit="B",
            unit_scale=True,
            desc=path.name,
            disable=None if size >= PROGRESS_MIN_BYTES else True,
            leave=False,
        ) as progress,
    ):
        while chunk := handle.read(CHUNK_BYTES):
            copy.write(chunk)
            progress.update(len(chunk))


def _decoded_lines(path: Path) -> Iterator[tuple[int, str | None, bytes]]:
    """Yields (line number, text or None when not UTF-8, raw bytes without the newline)."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                yield number, line.decode("utf-8"), line.rstrip(b"\r\n")
            except UnicodeDecodeError:
                yield number, None, line.rstrip(b"\r\n")


def _parse_record(text: str) -> list[str] | None:
    """The fields of `text` if it is exactly one well-formed CSV record, else None."""
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        return None
    return records[0] if len(records) == 1 else None


def _fallback_csv_rows(path: Path, width: int) -> Iterator[tuple[object, ...]]:
    """Line by line, for files whose structure COPY rejects; malformed lines carry a reason.

    A record may span lines (a quoted field with newlines) only if the joined lines parse as
    exactly one record of the right width; otherwise only the first line is quarantined, so an
    unterminated quote cannot swallow the good rows after it.
    """
    lines = _decoded_lines(path)
    next(lines, None)  # the header, checked already
    ahead: deque[tuple[int, str | None, bytes]] = deque()
    no_fields = (None,) * width

    def fill(count: int) -> int:
        while len(ahead) < count and (line := next(lines, None)) is not None:
            ahead.append(line)
        return len(ahead)

    while fill(1):
        number, text, raw = ahead[0]
        if text is None:
            ahead.popleft()
            yield (number, raw.decode("utf-8", "backslashreplace"), "not valid UTF-8", *no_fields)
            continue
        fields = _parse_record(text)
        span = 1
        while fields is None and span < MAX_RECORD_LINES and fill(span + 1) > span:
            if ahead[span][1] is None:
                break
            span += 1
            fields = _parse_record("".join(str(line[1]) for line in list(ahead)[:span]))
        if fields is not None and len(fields) == width:
            for _ in range(span):
                ahead.popleft()
            yield (number, None, None, *(value if value != "" else None for value in fields))
            continue
        ahead.popleft()
        single = _parse_record(text)
        if not text.strip():
            problem = "empty line"
        elif single is None:
            problem = "unterminated quoted field"
        else:
            problem = f"expected {width} fields, found {len(single)}"
        yield (number, text.rstrip("\r\n"), problem, *no_fields)


def _fallback_jsonl_rows(path: Path) -> Iterator[tuple[object, ...]]:
    for number, text, raw in _decoded_lines(path):
        if text is None:
            yield (number, raw.decode("utf-8", "backslashreplace"), "not valid UTF-8")
        else:
            yield (number, text.rstrip("\r\n"), None)


def _land(connection: psycopg.Connection, path: Path, file_format: str, table: RawTable) -> None:
    """Fills `_landing` with the file: by COPY, or line by line if COPY rejects its structure."""
    fields = _csv_header(path, table) if file_format == "csv" else []
    with connection.cursor() as cursor:
        _create_landing(cursor, fields, first_line=2 if file_format == "csv" else 1)
        field_list = sql.SQL(", ").join(map(sql.Identifier, fields))
        if file_format == "csv":
            fast = sql.SQL("copy _landing ({}) from stdin (format csv, header true)").format(
                field_list
            )
        else:
            fast = sql.SQL("copy _landing (_original) from stdin " + WHOLE_LINE_COPY)
        try:
            with connection.transaction(), cursor.copy(fast) as copy:
                _stream_file(copy, path)
            return
        except psycopg.DataError:
            pass  # rolled back to the savepoint: read it line by line instead
        if file_format == "csv":
            rows = _fallback_csv_rows(path, len(fields))
            target = sql.SQL(", ").join(
                map(sql.Identifier, ["_line", "_original", "_reason", *fields])
            )
        else:
            rows = _fallback_jsonl_rows(path)
            target = sql.SQL("_line, _original, _reason")
        with cursor.copy(sql.SQL("copy _landing ({}) from stdin").format(target)) as copy:
            for row in rows:
                copy.write_row(row)


def _field_values(
    table: RawTable, file_format: str, fields: list[str]
) -> dict[str, sql.Composable]:
    """The text value of each raw column as it stands in `_landing` (null when absent)."""
    values: dict[str, sql.Composable] = {}
    for column in table.columns:
        if file_format == "jsonl":
            values[column.name] = sql.SQL("(_doc ->> {})").format(sql.Literal(column.name))
        elif column.name in fields:
            values[column.name] = sql.Identifier(column.name)
        else:
            values[column.name] = sql.NULL
    return values


def _reason_expression(
    table: RawTable, file_format: str, values: dict[str, sql.Composable]
) -> sql.Composable:
    """One CASE naming the first problem of a row; null for a valid row."""
    checks: list[sql.Composable] = [sql.SQL("when _reason is not null then _reason")]
    if file_format == "jsonl":
        checks += [
            sql.SQL("when coalesce(btrim(_original), '') = '' then 'empty line'"),
            sql.SQL("when _doc is null then 'not valid JSON'"),
            sql.SQL("when jsonb_typeof(_doc) <> 'object' then 'not a JSON object'"),
        ]
    for column in table.columns:
        value = values[column.name]
        if column.required:
            checks.append(
                sql.SQL("when {v} is null then {msg}").format(
                    v=value, msg=sql.Literal(f"missing required field {column.name}")
                )
            )
        checks.append(
            sql.SQL(
                "when {v} is not null and not pg_input_is_valid({v}, {t}) then {msg} || {v}"
            ).format(
                v=value,
                t=sql.Literal(column.sql_type),
                msg=sql.Literal(f"{column.name} is not a valid {column.sql_type}: "),
            )
        )
    if table.time_column:
        when = sql.SQL("({})::timestamptz").format(values[table.time_column])
        checks += [
            sql.SQL("when {w} > now() + {f}::interval then {msg}").format(
                w=when,
                f=sql.Literal(MAX_FUTURE),
                msg=sql.Literal(f"{table.time_column} is more than {MAX_FUTURE} in the future"),
            ),
            sql.SQL("when {w} < {o}::timestamptz then {msg}").format(
                w=when,
                o=sql.Literal(OLDEST_EVENT_TIME),
                msg=sql.Literal(f"{table.time_column} is before {OLDEST_EVENT_TIME}"),
            ),
        ]
    return sql.SQL("case {} end").format(sql.SQL(" ").join(checks))


def _original_expression(file_format: str, fields: list[str]) -> sql.Composable:
    """The row's text for the quarantine: the line itself, or the CSV record re-encoded."""
    if file_format == "jsonl" or not fields:
        return sql.SQL("coalesce(_original, '')")  # COPY reads an empty line as null
    quoted = sql.SQL(", ").join(
        sql.SQL("coalesce('\"' || replace({f}, '\"', '\"\"') || '\"', '')").format(
            f=sql.Identifier(field)
        )
        for field in fields
    )
    return sql.SQL("coalesce(_original, concat_ws(',', {}))").format(quoted)


def _typed_value(column: Column, value: sql.Composable) -> sql.Composable:
    typed = sql.SQL("({})::{}").format(value, sql.SQL(column.sql_type))
    if column.default is None:
        return typed
    return sql.SQL("coalesce({}, {})").format(typed, sql.SQL(column.default))


def _months_needed(
    connection: psycopg.Connection, table: RawTable
) -> tuple[list[date], tuple[Any, Any]]:
    """The UTC months of the valid rows, and their earliest and latest event time."""
    time_column = sql.Identifier(str(table.time_column))
    months = connection.execute(
        sql.SQL(
            "select date_trunc('month', {t} at time zone 'UTC')::date, min({t}), max({t})"
            " from _checked where problem is null group by 1 order by 1"
        ).format(t=time_column)
    ).fetchall()
    low = min((m[1] for m in months), default=None)
    high = max((m[2] for m in months), default=None)
    return [m[0] for m in months], (low, high)


def _ensure_partitions(warehouse: Warehouse, table: RawTable, months: list[date]) -> None:
    """Creates the month partitions the rows need, and the months ahead, before the load.

    On a connection of its own, committed at once: the load's transaction never holds a
    partition-creation lock, and a lock that is not granted within PARTITION_LOCK_TIMEOUT is
    released and asked for again, so readers never queue behind it for long.
    """
    deadline = time.monotonic() + PARTITION_PATIENCE_SECONDS
    with warehouse.connect(
        autocommit=True, application_name=f"{APPLICATION_NAME} partitions"
    ) as db:
        db.execute("set timezone = 'UTC'")
        db.execute(f"set lock_timeout = '{PARTITION_LOCK_TIMEOUT}'")
        parent = f"raw.{table.name}"
        calls = [(parent, month, month) for month in months]
        calls.append((parent, None, None))
        for call in calls:
            while True:
                try:
                    if call[1] is None:
                        db.execute(
                            "select raw.ensure_month_partitions(%s::regclass,"
                            " (now() at time zone 'UTC')::date,"
                            " (now() at time zone 'UTC' + make_interval(months => %s))::date)",
                            (parent, PARTITION_MONTHS_AHEAD),
                        )
                    else:
                        db.execute("select raw.ensure_month_partitions(%s::regclass, %s, %s)", call)
                    break
                except psycopg.errors.LockNotAvailable:
                    if time.monotonic() > deadline:
                        raise LoadError(
                            f"raw.{table.name} stayed locked by other sessions for"
                            f" {PARTITION_PATIENCE_SECONDS:g} s; could not create its partitions"
                        ) from None
                    time.sleep(0.2)


def _new_rows(table: RawTable, time_bounds: tuple[Any, Any]) -> sql.Composable:
    """Valid rows whose key is neither loaded already nor repeated earlier in the file.

    Cheaper than INSERT ... ON CONFLICT (no speculative insertion). The lookup of loaded keys
    is bounded to this file's event-time range, so it never scans the table's history.
    """
    keys = sql.SQL(", ").join(map(sql.Identifier, table.key_columns))
    match = sql.SQL(" and ").join(
        sql.SQL("loaded.{k} = new.{k}").format(k=sql.Identifier(k)) for k in table.key_columns
    )
    if table.time_column:
        match = sql.SQL("{match} and loaded.{t} between {low} and {high}").format(
            match=match,
            t=sql.Identifier(table.time_column),
            low=sql.Literal(time_bounds[0]),
            high=sql.Literal(time_bounds[1]),
        )
    return sql.SQL(
        "select distinct on ({keys}) * from _checked as new"
        " where problem is null and not exists (select from {target} as loaded where {match})"
        " order by {keys}, _line"
    ).format(keys=keys, target=table.qualified, match=match)


def _event_dates_statement(table: RawTable, load_id: int) -> sql.Composable:
    """Records which event dates the loaded rows fall on: late-data restatement reads it."""
    if table.time_column is None:
        return sql.SQL("select 1 where false")
    return sql.SQL(
        "insert into raw._load_event_dates (load_id, table_name, event_date, rows)"
        " select {load_id}, {table}, ({time} at time zone 'UTC')::date, count(*)"
        " from loaded group by 3 returning 1"
    ).format(
        load_id=sql.Literal(load_id),
        table=sql.Literal(table.name),
        time=sql.Identifier(table.time_column),
    )


def _check_rows(
    connection: psycopg.Connection, table: RawTable, file_format: str, fields: list[str]
) -> None:
    """Fills `_checked`: each landed row with its first problem, or its typed values."""
    values = _field_values(table, file_format, fields)
    if file_format == "jsonl":
        source_rows = sql.SQL(
            "(select *, case when pg_input_is_valid(_original, 'jsonb')"
            " then _original::jsonb end as _doc from _landing) as landed"
        )
    else:
        source_rows = sql.SQL("_landing")
    connection.execute(
        sql.SQL(
            """
            create temp table _checked on commit drop as
            select _line, problem, {typed},
                   case when problem is not null then {original} end as original_text
            -- offset 0 keeps the planner from inlining the CASE into every column below
            from (select *, {problem} as problem from {source_rows} offset 0) as reviewed
            """
        ).format(
            original=_original_expression(file_format, fields),
            typed=sql.SQL(", ").join(
                sql.SQL("case when problem is null then {v} end as {n}").format(
                    v=_typed_value(c, values[c.name]), n=sql.Identifier(c.name)
                )
                for c in table.columns
            ),
            problem=_reason_expression(table, file_format, values),
            source_rows=source_rows,
        )
    )


def _insert(
    connection: psycopg.Connection,
    table: RawTable,
    time_bounds: tuple[Any, Any],
    load_id: int,
    source: str,
    file_name: str,
) -> tuple[int, int, int]:
    """Quarantines invalid rows and inserts the valid ones; returns (read, quarantined, loaded)."""
    columns = sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns)
    returning = sql.Identifier(table.time_column) if table.time_column else sql.SQL("1")
    statement = sql.SQL(
        """
        with quarantined as (
            insert into raw._quarantine
                (load_id, source, table_name, file_name, line_number, original_text, reason)
            select {load_id}, {source}, {table}, {file}, _line, original_text, problem
            from _checked where problem is not null
            returning 1
        ),
        loaded as (
            insert into {target} ({columns}, _load_id)
            select {columns}, {load_id} from ({new_rows}) as new_rows
            returning {returning}
        ),
        dated as ({event_dates})
        select (select count(*) from _checked),
               (select count(*) from quarantined),
               (select count(*) from loaded),
               (select count(*) from dated)
        """
    ).format(
        load_id=sql.Literal(load_id),
        source=sql.Literal(source),
        table=sql.Literal(table.name),
        file=sql.Literal(file_name),
        target=table.qualified,
        columns=columns,
        returning=returning,
        event_dates=_event_dates_statement(table, load_id),
        new_rows=_new_rows(table, time_bounds),
    )
    try:
        read, quarantined, loaded, _ = connection.execute(statement).fetchone()
    except psycopg.errors.UniqueViolation as error:
        raise LoadError(
            f"{file_name}: another load committed some of the same events meanwhile;"
            " nothing was loaded, load the file again"
        ) from error
    return read, quarantined, loaded


def _claim(
    connection: psycopg.Connection,
    source: str,
    table: str,
    path: Path,
    sha256: str,
    size: int,
    started_at: datetime,
) -> int | None:
    """Enters the file in the ledger; None when these bytes are loaded already.

    When another process is loading the same bytes right now, this waits for its transaction:
    if it commits, the file is already loaded; if it fails, this load goes ahead.
    """
    row = connection.execute(
        "insert into raw._loads (source, table_name, file_name, content_sha256, file_bytes,"
        " rows_read, rows_loaded, rows_quarantined, rows_duplicate, started_at)"
        " values (%s, %s, %s, %s, %s, 0, 0, 0, 0, %s)"
        " on conflict (table_name, content_sha256) do nothing returning load_id",
        (source, table, path.name, sha256, size, started_at),
    ).fetchone()
    return row[0] if row else None


def _previous_load(connection: psycopg.Connection, table: str, sha256: str) -> int | None:
    row = connection.execute(
        "select load_id from raw._loads where table_name = %s and content_sha256 = %s",
        (table, sha256),
    ).fetchone()
    return row[0] if row else None


def file_format_of(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise LoadError(
            f"{path.name}: unsupported file type '{path.suffix}' (use .csv or .jsonl)"
        ) from None


def load_file(warehouse: Warehouse, path: Path, table_name: str | None = None) -> LoadResult:
    """Loads one file in one transaction; a file already loaded (same bytes) is a no-op."""
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"{path}: no such file")
    file_format = file_format_of(path)
    table_name = table_name or table_for_file(path.name)
    source = source_of(table_name)
    sha256 = file_sha256(path)
    started_at = datetime.now(UTC)
    with warehouse.connect(application_name=APPLICATION_NAME) as connection:
        # Naive timestamps in the files are UTC.
        connection.execute("set timezone = 'UTC'")
        # Room for one file's landing and checked rows in memory rather than temp files.
        connection.execute(f"set temp_buffers = '{LOAD_MEMORY}'")
        connection.execute(f"set work_mem = '{LOAD_MEMORY}'")
        load_id = _claim(
            connection, source, table_name, path, sha256, path.stat().st_size, started_at
        )
        if load_id is None:
            previous = _previous_load(connection, table_name, sha256)
            return LoadResult(path.name, table_name, load_id=previous, already_loaded=True)
        table = describe_table(connection, table_name)
        _land(connection, path, file_format, table)
        fields = _csv_header(path, table) if file_format == "csv" else []
        _check_rows(connection, table, file_format, fields)
        time_bounds: tuple[Any, Any] = (None, None)
        if table.time_column:
            months, time_bounds = _months_needed(connection, table)
            _ensure_partitions(warehouse, table, months)
        read, quarantined, loaded = _insert(
            connection, table, time_bounds, load_id, source, path.name
        )
        result = LoadResult(
            path.name, table_name, read, loaded, quarantined, read - quarantined - loaded, load_id
        )
        connection.execute(
            "update raw._loads set rows_read = %s, rows_loaded = %s, rows_quarantined = %s,"
            " rows_duplicate = %s, finished_at = now() where load_id = %s",
            (read, loaded, quarantined, result.rows_duplicate, load_id),
        )
    return result


def summarize(results: list[LoadResult]) -> str:
    """A per-table summary of a batch of loads, as `make demo` prints it."""
    totals: dict[str, list[int]] = {}
    for result in results:
        row = totals.setdefault(result.table, [0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += result.rows_loaded
        row[2] += result.rows_quarantined
        row[3] += result.rows_duplicate
        row[4] += int(result.already_loaded)
    header = f"{'raw table':<22}{'files':>7}{'loaded':>11}{'rejected':>10}{'duplicates':>12}"
    lines = [header, "-" * len(header)]
    for table, (files, loaded, rejected, duplicates, skipped) in sorted(totals.items()):
        note = f"  ({skipped} already loaded)" if skipped else ""
        lines.append(f"{table:<22}{files:>7}{loaded:>11}{rejected:>10}{duplicates:>12}{note}")
    return "\n".join(lines)


def landing_files(paths: list[Path]) -> list[Path]:
    """Expands folders into their .csv/.jsonl files, in name order (dates sort correctly)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix.lower() in FORMATS)
        else:
            files.append(path)
    return files
