"""Loads JSON Lines and CSV files into the raw tables: COPY, validate in SQL, quarantine, ledger.

Why the work is split this way:
- The file's bytes are streamed by COPY into a temporary landing table of text columns, so
  memory stays flat whatever the file size and parsing runs at COPY speed.
- Validation is one set-based SQL statement that checks each value against the real column
  type (a cast; `pg_input_is_valid` first only when some value fails it), the NOT NULL and
  CHECK constraints and the enum types of the raw table. The migrations are the only place a
  column is defined.
- Duplicates and re-sent events are told apart by the event-id ledger raw._event_ids alone,
  the event tables' one index of ids; a file whose ids are all new enters them in one plain
  insert and needs no lookup at all.
- Only when the file's structure itself is broken (a CSV record with the wrong number of
  fields, an unterminated quote, bytes that are not UTF-8, a NUL byte) does the loader fall
  back to reading lines in Python, so that a broken row in the middle still costs only that
  row. Both paths hand the same text values to the same SQL, so they cannot disagree.
- Everything for one file happens in one transaction: a failure leaves the warehouse as it was.
  Only month partitions are created apart, each in its own short transaction, so that the load
  never holds a lock that blocks the table's readers.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path

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
# The temporary tables of one file (its text, then its checked rows) stay in memory up to this
# size; beyond it every pass over them reads them back from temporary files (5M rows of
# download events are about 1 GB of checked rows). Taken only as a file needs it.
TEMP_MEMORY = "1GB"
# The most bytes one CSV record may span (quoted fields with newlines) in the line-by-line path.
MAX_RECORD_BYTES = 1 << 20
# JSON nested deeper than this is quarantined (the server's parser gives up near 10,000).
MAX_JSON_DEPTH = 1000
# JSON Lines are copied as one CSV field per line: these bytes never occur in valid JSON.
WHOLE_LINE_COPY = "(format csv, quote e'\\x01', delimiter e'\\x02')"
UTF8_BOM = b"\xef\xbb\xbf"
# A file is loaded only once its size and modification time have been still this long.
SETTLE_SECONDS_VARIABLE = "WAREHOUSE_SETTLE_SECONDS"
DEFAULT_SETTLE_SECONDS = 2.0
APPLICATION_NAME = "ingest load"
# The column that names an event once, whatever its time (raw._event_ids).
EVENT_ID = "event_id"
# PostgreSQL's special date/time inputs: valid input, but not a time anything happened at.
SPECIAL_TIME_INPUT = r"\m(now|today|tomorrow|yesterday|epoch|infinity)\M"
INTEGER_TYPES = ("smallint", "integer", "bigint")
FLOAT_TYPES = ("real", "double precision")
TIME_TYPES = ("date", "timestamp with time zone", "timestamp without time zone")
JSON_TYPES = ("json", "jsonb")
# PostgreSQL 16+ also reads 0x10, 0o17, 0b101 and 1_000 as integers, and strtod reads hex
# floats: the warehouse takes plain decimal notation only.
DECIMAL_FLOAT = r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$"
NON_FINITE = r"^\s*[+-]?(nan|inf|infinity)\s*$"
NON_DECIMAL_INTEGER_CHARACTERS = "xXoObB_"


class LoadError(RuntimeError):
    """A file that cannot be loaded at all (missing, unreadable header, unknown columns)."""


class FileNotReady(LoadError):
    """A file that may still be being written: loading it now could pin a truncated row."""


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    required: bool
    default: str | None


@dataclass(frozen=True)
class Check:
    """A CHECK constraint of a raw table, as the catalog deparses it."""

    name: str
    expression: str


@dataclass(frozen=True)
class RawTable:
    name: str
    columns: tuple[Column, ...]
    time_column: str | None
    key_columns: tuple[str, ...]
    checks: tuple[Check, ...] = ()

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


@dataclass(frozen=True)
class FileState:
    """What changes when a file is written to or replaced."""

    size: int
    mtime_ns: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> FileState:
        status = path.stat()
        return cls(status.st_size, status.st_mtime_ns, status.st_ino)


@dataclass(frozen=True)
class LandingFile:
    """A file found for loading; `not_ready` says why it must wait, if it must."""

    path: Path
    named_explicitly: bool
    not_ready: str | None = None


def display_name(path: Path) -> str:
    """The file's name, printable even when it is not valid UTF-8."""
    return os.fsencode(path.name).decode("utf-8", "backslashreplace")


def describe_table(connection: psycopg.Connection, table: str) -> RawTable:
    """Reads a raw table's columns, types, NOT NULLs, defaults, CHECKs and partition key."""
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
    # The natural key: a catalog's primary key also holds _load_id (one row per version).
    key_columns = connection.execute(
        """
        select a.attname from pg_index i
        join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
        where i.indrelid = format('raw.%%I', %s::text)::regclass and i.indisprimary
          and a.attname not like '\\_%%'
        order by array_position(i.indkey::int2[], a.attnum)
        """,
        (table,),
    ).fetchall()
    checks = connection.execute(
        """
        select c.conname, pg_get_expr(c.conbin, c.conrelid) from pg_constraint c
        where c.conrelid = format('raw.%%I', %s::text)::regclass and c.contype = 'c'
          -- a rule on the loader's own columns (_load_id, ...) is not the file's business
          and not exists (
              select from pg_attribute a
              where a.attrelid = c.conrelid and a.attnum = any(c.conkey)
                and a.attname like '\\_%%'
          )
        order by c.conname
        """,
        (table,),
    ).fetchall()
    keys = tuple(name for (name,) in key_columns)
    if time_column and any(column.name == EVENT_ID for column in columns):
        # An event is its id at its time. The table has no primary key to say so (migration
        # 0016): raw._event_ids keeps each id once, whatever its time.
        keys = (EVENT_ID, time_column[0])
    return RawTable(
        table,
        columns,
        time_column[0] if time_column else None,
        keys,
        tuple(Check(name, expression) for name, expression in checks),
    )


# --- Files: which ones are ready, in which encoding, with which header -----------------------


def settle_seconds_from_env() -> float:
    value = os.environ.get(SETTLE_SECONDS_VARIABLE, "")
    try:
        return float(value) if value else DEFAULT_SETTLE_SECONDS
    except ValueError:
        raise LoadError(f"{SETTLE_SECONDS_VARIABLE}={value!r} is not a number of seconds") from None


def completeness_problem(path: Path) -> str | None:
    """Why `path` may still be being written, judged from its bytes alone; None if complete.

    Every writer ends its last line with a newline; a file that does not may have been caught
    mid-row, and loading it would pin a truncated value under this content's checksum.
    """
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() == 0:
            return None
        handle.seek(-1, os.SEEK_END)
        if handle.read(1) != b"\n":
            return "it does not end with a newline, so it may still be being written"
    return None


def _expand(paths: Iterable[Path]) -> list[tuple[Path, bool]]:
    """Folders become their .csv/.jsonl files in name order (dates sort correctly)."""
    files: list[tuple[Path, bool]] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = (p for p in path.rglob("*") if p.suffix.lower() in FORMATS and p.is_file())
            files += [(p, False) for p in sorted(found)]
        else:
            files.append((path, True))
    return files


def _not_settled(before: FileState, after: FileState, settle_seconds: float) -> str | None:
    age = time.time() - after.mtime_ns / 1e9
    if after != before or age < settle_seconds:
        return f"still being written (it changed less than {settle_seconds:g} s ago)"
    return None


def find_landing_files(
    paths: Iterable[Path], settle_seconds: float | None = None
) -> list[LandingFile]:
    """Every file under `paths`, each marked with why it is not ready to load, if it is not.

    A file is ready when it is empty or ends with a newline and its size and modification time
    have not changed for `settle_seconds`. Files changed more recently are looked at again once
    that long has passed (one wait for all of them, never longer than `settle_seconds`). A file
    in UTF-16 or UTF-32 counts as ready: loading it fails at once, naming its encoding.
    """
    settle = settle_seconds_from_env() if settle_seconds is None else settle_seconds
    found = _expand(paths)
    states: dict[Path, FileState] = {}
    for path, _ in found:
        try:
            states[path] = FileState.of(path)
        except OSError:
            continue  # missing: load_file says so
    now = time.time()
    wait = max((settle - (now - s.mtime_ns / 1e9) for s in states.values()), default=0.0)
    if wait > 0:
        time.sleep(min(wait, settle))
    result = []
    for path, explicit in found:
        problem = None
        if path in states:
            try:
                problem = _not_settled(states[path], FileState.of(path), settle)
                if problem is None and _foreign_encoding_of(path) is None:
                    problem = completeness_problem(path)
            except OSError:
                problem = None  # vanished meanwhile: load_file says so
        result.append(LandingFile(path, explicit, problem))
    return result


def landing_files(paths: list[Path], *, settle_seconds: float | None = None) -> list[Path]:
    """The files under `paths` that are ready to load, in name order (dates sort correctly).

    Files still being written (see `find_landing_files`) and files whose names are not UTF-8
    (they cannot be recorded in the ledger) are left out; a later call picks up the former.
    """
    return [
        found.path
        for found in find_landing_files(paths, settle_seconds)
        if found.not_ready is None and display_name(found.path) == found.path.name
    ]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def foreign_encoding(head: bytes) -> str | None:
    """The encoding of a file that is plainly not UTF-8 (UTF-16 or UTF-32), from its first bytes."""
    marks = [
        (b"\xff\xfe\x00\x00", "UTF-32LE"),
        (b"\x00\x00\xfe\xff", "UTF-32BE"),
        (b"\xff\xfe", "UTF-16LE"),
        (b"\xfe\xff", "UTF-16BE"),
    ]
    for mark, name in marks:
        if head.startswith(mark):
            return f"{name} (with a byte-order mark)"
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even_nuls, odd_nuls = head[0 : 2 * pairs : 2].count(0), head[1 : 2 * pairs : 2].count(0)
    # Text in UTF-16 has a NUL in nearly every other byte; UTF-8 text has none.
    if odd_nuls >= 0.9 * pairs and even_nuls <= 0.1 * pairs:
        return "UTF-16LE (without a byte-order mark)"
    if even_nuls >= 0.9 * pairs and odd_nuls <= 0.1 * pairs:
        return "UTF-16BE (without a byte-order mark)"
    return None


def _foreign_encoding_of(path: Path) -> str | None:
    with path.open("rb") as handle:
        return foreign_encoding(handle.read(1024))


def _check_encoding(path: Path) -> None:
    encoding = _foreign_encoding_of(path)
    if encoding:
        raise LoadError(
            f"{display_name(path)}: the file is encoded in {encoding}, not UTF-8;"
            " convert it to UTF-8 (e.g. iconv -f UTF-16 -t UTF-8) and load it again"
        )


def _shown(name: str) -> str:
    return name if name.isprintable() else repr(name)


def _csv_header(path: Path, table: RawTable) -> list[str]:
    """The header's field names, checked: a mistake in the header concerns every row."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        header = next(csv.reader(handle), None)
    name = display_name(path)
    if not header:
        raise LoadError(f"{name}: empty CSV file, expected a header row")
    known = {column.name for column in table.columns}
    unknown = [_shown(field) for field in header if field not in known]
    if unknown:
        raise LoadError(f"{name}: unknown column(s) {', '.join(unknown)} for raw.{table.name}")
    if len(set(header)) != len(header):
        raise LoadError(f"{name}: a column appears twice in the CSV header")
    missing = [c.name for c in table.columns if c.required and c.name not in header]
    if missing:
        raise LoadError(
            f"{name}: the header lacks required column(s) {', '.join(missing)}"
            f" of raw.{table.name}; nothing was loaded"
        )
    return header


# --- Landing: COPY, or line by line when COPY rejects the file's structure --------------------


def _field_name(index: int) -> sql.Identifier:
    """Landing columns are named by position, so they never clash with the typed columns."""
    return sql.Identifier(f"_f{index}")


def _create_landing(cursor: psycopg.Cursor, width: int, first_line: int) -> None:
    field_columns = sql.SQL("").join(
        sql.SQL(", {} text").format(_field_name(i)) for i in range(width)
    )
    cursor.execute(
        sql.SQL(
            "create temp table _landing ("
            " _line bigint generated by default as identity (start with {first} cache 100000),"
            " _original text, _reason text{fields}) on commit drop"
        ).format(first=sql.Literal(first_line), fields=field_columns)
    )


def _stream_file(copy: psycopg.Copy, path: Path) -> int:
    """Streams the file (without a UTF-8 byte-order mark) into COPY; returns its line count."""
    size = path.stat().st_size
    lines = 0
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
        first = True
        while chunk := handle.read(CHUNK_BYTES):
            progress.update(len(chunk))
            lines += chunk.count(b"\n")
            if first and chunk.startswith(UTF8_BOM):
                chunk = chunk[len(UTF8_BOM) :]
            first = False
            copy.write(chunk)
    return lines


def _physical_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes with the line ending) of every line; no byte-order mark."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if number == 1 and line.startswith(UTF8_BOM):
                line = line[len(UTF8_BOM) :]
            yield number, line


def _quarantine_text(raw: bytes) -> str:
    """A line as quarantine stores it: undecodable bytes and NULs written as escapes."""
    text = raw.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
    return text.replace("\x00", "\\x00")


def _text_problem(raw: bytes) -> str | None:
    """What keeps these bytes from being stored as text at all."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "not valid UTF-8"
    return "contains a NUL byte" if "\x00" in text else None


def _parse_record(text: str) -> list[str] | None:
    """The fields of `text` if it is exactly one well-formed CSV record, else None."""
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        return None
    return records[0] if len(records) == 1 else None


def _record_span(ahead: deque[tuple[int, bytes]], fill: Callable[[int], int]) -> tuple[int, bool]:
    """How many lines the record starting at ahead[0] spans, and whether its quotes close.

    A line ends a record when the quotes so far are balanced (an escaped quote counts two),
    the same rule COPY applies.
    """
    span, quotes, size = 0, 0, 0
    while fill(span + 1) > span:
        line = ahead[span][1]
        span, quotes, size = span + 1, quotes + line.count(b'"'), size + len(line)
        if quotes % 2 == 0:
            return span, True
        if size > MAX_RECORD_BYTES:
            break
    return span, False


def _fallback_csv_rows(path: Path, width: int) -> Iterator[tuple[object, ...]]:
    """Record by record, for files whose structure COPY rejects; broken records carry a reason.

    A record may span many lines (quoted fields with newlines) and keeps the number of its
    first physical line. When a quote never closes, or the lines it spans are not one record,
    only the first line is quarantined, so an unterminated quote cannot swallow the good rows
    after it.
    """
    lines = _physical_lines(path)
    next(lines, None)  # the header, checked already
    ahead: deque[tuple[int, bytes]] = deque()
    no_fields = (None,) * width

    def fill(count: int) -> int:
        while len(ahead) < count and (line := next(lines, None)) is not None:
            ahead.append(line)
        return len(ahead)

    while fill(1):
        span, closed = _record_span(ahead, fill)
        number = ahead[0][0]
        raw = b"".join(line for _, line in islice(ahead, span))
        # NULs are judged below; Python's csv module cannot parse around them.
        text = raw.decode("utf-8", "surrogateescape").replace("\x00", "")
        fields = _parse_record(text) if closed else None
        if fields is not None and raw.strip():
            for _ in range(span):
                ahead.popleft()
            problem = _text_problem(raw)
            if problem is None and len(fields) != width:
                problem = f"expected {width} fields, found {len(fields)}"
            if problem is None:
                yield (number, raw.decode("utf-8").rstrip("\r\n"), None, *fields)
            else:
                yield (number, _quarantine_text(raw), problem, *no_fields)
            continue
        _, first = ahead.popleft()
        if not first.strip():
            problem = "empty line"
        elif first.count(b'"') % 2:
            problem = "unterminated quoted field"
        else:
            problem = _text_problem(first) or "malformed quoted field"
        yield (number, _quarantine_text(first), problem, *no_fields)


def _fallback_jsonl_rows(path: Path) -> Iterator[tuple[object, ...]]:
    for number, line in _physical_lines(path):
        raw = line.rstrip(b"\r\n")
        problem = _text_problem(raw)
        yield (number, _quarantine_text(raw) if problem else raw.decode("utf-8"), problem)


class _LinesMerged(Exception):
    """COPY read fewer rows than the file has lines (a stray \\x01 byte opened a quote)."""


def _renumber_physical_lines(cursor: psycopg.Cursor, width: int, first_line: int) -> None:
    """Gives each landed record the number of its first physical line in the file.

    Only needed when some quoted field spans lines; a record spans one line more than the
    newlines inside its fields.
    """
    newlines = sql.SQL(" + ").join(
        sql.SQL("coalesce(length({f}) - length(replace({f}, e'\\n', '')), 0)").format(
            f=_field_name(i)
        )
        for i in range(width)
    )
    cursor.execute(
        sql.SQL(
            "update _landing set _line = numbered.line from ("
            " select _line as record,"
            "  {first} + sum(1 + {newlines}) over (order by _line) - (1 + {newlines}) as line"
            " from _landing) as numbered"
            " where _landing._line = numbered.record"
        ).format(first=sql.Literal(first_line), newlines=newlines)
    )


def _land(connection: psycopg.Connection, path: Path, file_format: str, width: int) -> None:
    """Fills `_landing` with the file: by COPY, or line by line if COPY rejects its structure."""
    first_line = 2 if file_format == "csv" else 1
    with connection.cursor() as cursor:
        _create_landing(cursor, width, first_line)
        targets = sql.SQL(", ").join(_field_name(i) for i in range(width))
        if file_format == "csv":
            fast = sql.SQL("copy _landing ({}) from stdin (format csv, header true)").format(
                targets
            )
        else:
            fast = sql.SQL("copy _landing (_original) from stdin " + WHOLE_LINE_COPY)
        try:
            with connection.transaction():
                with cursor.copy(fast) as copy:
                    lines = _stream_file(copy, path)
                records = cursor.rowcount
                if file_format == "jsonl" and records != lines:
                    raise _LinesMerged
            if file_format == "csv" and records != lines - 1:
                _renumber_physical_lines(cursor, width, first_line)
            return
        except (psycopg.DataError, _LinesMerged):
            pass  # rolled back to the savepoint: read it line by line instead
        if file_format == "csv":
            rows = _fallback_csv_rows(path, width)
            target = sql.SQL("_line, _original, _reason, {}").format(targets)
        else:
            rows = _fallback_jsonl_rows(path)
            target = sql.SQL("_line, _original, _reason")
        with cursor.copy(sql.SQL("copy _landing ({}) from stdin").format(target)) as copy:
            for row in rows:
                copy.write_row(row)


# --- Validation: one set-based statement ------------------------------------------------------


def _raw_values(table: RawTable, file_format: str, fields: list[str]) -> list[sql.Composable]:
    """Each raw column's text as it stands in the landed row (null when absent)."""
    values: list[sql.Composable] = []
    for column in table.columns:
        if file_format == "jsonl":
            values.append(sql.SQL("(_doc ->> {})").format(sql.Literal(column.name)))
        elif column.name in fields:
            values.append(_field_name(fields.index(column.name)))
        else:
            values.append(sql.NULL)
    return values


def _value_name(index: int) -> sql.Identifier:
    return sql.Identifier(f"_v{index}")


def _too_deep(text: sql.Composable) -> sql.Composable:
    """Whether a JSON text nests deeper than MAX_JSON_DEPTH; cheap unless it is long."""
    return sql.SQL(
        "(octet_length({t}) > {n} and octet_length({t}) - octet_length(translate({t}, '[{{', ''))"
        " > {n} and raw.json_depth_exceeds({t}, {n}))"
    ).format(t=text, n=sql.Literal(MAX_JSON_DEPTH))


def _when(condition: str, message: str, column: Column, value: sql.Composable) -> sql.Composable:
    """`when <condition> then <message>`; {v} is the value, {t} the type, {c} the column name.

    A message ending in ": " is followed by the value itself.
    """
    then = " then {r} || {v}" if message.endswith(": ") else " then {r}"
    return sql.SQL("when " + condition + then).format(
        v=value, t=sql.Literal(column.sql_type), c=sql.Literal(column.name), r=sql.Literal(message)
    )


def _casts_without_checking(column: Column) -> bool:
    """Whether, on the fast path (`_check_rows`), this column's text is cast without asking
    pg_input_is_valid first: an invalid value then fails the whole statement, which is done
    again the careful way. Not for JSON (a deep document would exhaust the server's stack
    rather than fail as invalid) nor for types with a modifier (an explicit cast to
    varchar(n) truncates where the input function refuses)."""
    return column.sql_type not in JSON_TYPES and "(" not in column.sql_type


def _column_checks(
    column: Column, value: sql.Composable, file_format: str, fast: bool
) -> list[sql.Composable]:
    """The WHEN clauses that find what is wrong with one column's value, in order.

    `fast`: the value is cast anyway (`_check_rows`), so the test of its validity as input is
    left out; the tests of notation (plain decimal numbers, no special times) stay.
    """
    name, sql_type = column.name, column.sql_type
    checks: list[sql.Composable] = []
    if column.required:
        checks.append(_when("{v} is null", f"missing required field {name}", column, value))
    if file_format == "jsonl" and sql_type not in JSON_TYPES:
        # ->> would hand over the object's JSON text as if it were the value.
        condition = "ascii({v}) in (91, 123) and jsonb_typeof(_doc -> {c}) in ('object', 'array')"
        message = f"{name} is a JSON object or array, expected a single value: "
        checks.append(_when(condition, message, column, value))
    if sql_type in JSON_TYPES:
        message = f"{name} is nested deeper than {MAX_JSON_DEPTH} levels"
        checks.append(sql.SQL("when {} then {}").format(_too_deep(value), sql.Literal(message)))
    notation = None
    if sql_type in FLOAT_TYPES:
        condition = "{v} ~* " + _quoted(NON_FINITE)
        checks.append(_when(condition, f"{name} is not a finite number: ", column, value))
        notation = "{v} !~ " + _quoted(DECIMAL_FLOAT)
    elif sql_type in INTEGER_TYPES:
        # Of the integers PostgreSQL reads, only 0x.., 0o.., 0b.. and 1_000 hold one of these
        # characters: cheaper than a regular expression, with the same answer.
        notation = "translate({v}, " + _quoted(NON_DECIMAL_INTEGER_CHARACTERS) + ", '') <> {v}"
    tests = []
    if sql_type != "text" and not (fast and _casts_without_checking(column)):
        tests.append("not pg_input_is_valid({v}, {t})")
    if notation:
        tests.append(notation)
    if tests:
        condition = "{v} is not null and (" + " or ".join(tests) + ")"
        checks.append(_when(condition, f"{name} is not a valid {sql_type}: ", column, value))
    if sql_type in TIME_TYPES:
        # Cheap first test: every absolute time written as digits starts with one.
        condition = "ascii({v}) not between 48 and 57 and {v} ~* " + _quoted(SPECIAL_TIME_INPUT)
        message = f"{name} is a relative or special time, not a point in time: "
        checks.append(_when(condition, message, column, value))
    return checks


def _quoted(pattern: str) -> str:
    """A regular expression as an SQL string literal inside a template (braces escaped)."""
    return "'" + pattern.replace("'", "''").replace("{", "{{").replace("}", "}}") + "'"


def _reason_expression(table: RawTable, file_format: str, fast: bool) -> sql.Composable:
    """One CASE naming the first problem of a row's text; null for a valid row."""
    checks: list[sql.Composable] = [sql.SQL("when _reason is not null then _reason")]
    if file_format == "jsonl":
        known = sql.SQL("array[{}]::text[]").format(
            sql.SQL(", ").join(sql.Literal(c.name) for c in table.columns)
        )
        checks += [
            sql.SQL("when coalesce(btrim(_original), '') = '' then 'empty line'"),
            sql.SQL("when _deep then {}").format(
                sql.Literal(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            ),
            # jsonb cannot hold \u0000 (text cannot hold NUL): say so rather than "not JSON".
            sql.SQL(
                "when _doc is null and strpos(_original, '\\u0000') > 0 then 'contains a NUL byte'"
            ),
            sql.SQL("when _doc is null then 'not valid JSON'"),
            sql.SQL("when jsonb_typeof(_doc) <> 'object' then 'not a JSON object'"),
            # A key that is not a column would otherwise be dropped without a word.
            sql.SQL(
                "when _doc - {known} <> '{{}}'::jsonb then 'unknown field(s) ' || (select"
                " string_agg(k, ', ' order by k) from jsonb_object_keys(_doc - {known}) as k)"
            ).format(known=known),
        ]
    for index, column in enumerate(table.columns):
        checks += _column_checks(column, _value_name(index), file_format, fast)
    return sql.SQL("case {} end").format(sql.SQL(" ").join(checks))


def _constraint_expression(table: RawTable) -> sql.Composable:
    """The first rule a typed row breaks: an event time outside the plausible window, then the
    table's CHECK constraints (a CHECK passes on true or null). Read from the typed value, so
    the time's text is parsed once."""
    whens: list[sql.Composable] = []
    if table.time_column:
        time = sql.Identifier(table.time_column)
        whens += [
            sql.SQL("when {t} > now() + {f}::interval then {msg}").format(
                t=time,
                f=sql.Literal(MAX_FUTURE),
                msg=sql.Literal(f"{table.time_column} is more than {MAX_FUTURE} in the future"),
            ),
            sql.SQL("when {t} < {o}::timestamptz then {msg}").format(
                t=time,
                o=sql.Literal(OLDEST_EVENT_TIME),
                msg=sql.Literal(f"{table.time_column} is before {OLDEST_EVENT_TIME}"),
            ),
        ]
    whens += [
        sql.SQL("when ({e}) is false then {msg}").format(
            e=sql.SQL(check.expression),
            msg=sql.Literal(f"violates check {check.name}: {check.expression}"),
        )
        for check in table.checks
    ]
    if not whens:
        return sql.SQL("_problem")
    return sql.SQL("coalesce(_problem, case {} end)").format(sql.SQL(" ").join(whens))


def _original_expression(file_format: str, width: int) -> sql.Composable:
    """The row's text for the quarantine: the line itself, or the CSV record re-encoded."""
    if file_format == "jsonl" or not width:
        return sql.SQL("coalesce(_original, '')")  # COPY reads an empty line as null
    quoted = sql.SQL(", ").join(
        sql.SQL("coalesce('\"' || replace({f}, '\"', '\"\"') || '\"', '')").format(f=_field_name(i))
        for i in range(width)
    )
    return sql.SQL("coalesce(_original, concat_ws(',', {}))").format(quoted)


def _typed_value(column: Column, value: sql.Composable) -> sql.Composable:
    typed = sql.SQL("({})::{}").format(value, sql.SQL(column.sql_type))
    if column.default is None:
        return typed
    return sql.SQL("coalesce({}, {})").format(typed, sql.SQL(column.default))


def _landed_rows(table: RawTable, file_format: str, fields: list[str]) -> sql.Composable:
    """`_landing` with each column's text once, an empty string read as absent (null)."""
    values = sql.SQL(", ").join(
        sql.SQL("nullif({}, '') as {}").format(raw, _value_name(i))
        for i, raw in enumerate(_raw_values(table, file_format, fields))
    )
    if file_format == "csv":
        return sql.SQL("(select *, {} from _landing offset 0) as valued").format(values)
    return sql.SQL(
        "(select *, {values} from ("
        " select *, case when _deep then null when pg_input_is_valid(_original, 'jsonb')"
        "  then _original::jsonb end as _doc"
        " from (select *, {deep} as _deep from _landing offset 0) as measured offset 0"
        ") as parsed offset 0) as valued"
    ).format(
        values=values, deep=sql.SQL("coalesce({}, false)").format(_too_deep(sql.SQL("_original")))
    )


def _check_rows(
    connection: psycopg.Connection, table: RawTable, file_format: str, fields: list[str]
) -> None:
    """Fills `_checked`: each landed row with its first problem, or its typed values.

    First the fast way, which parses each value once: every value is cast (an invalid one
    fails the statement) and only the tests of notation and the table's rules name problems.
    When a value is not valid input, the careful way asks pg_input_is_valid of every value
    before casting it. Both name the same first problem of every row: on the fast path every
    value is valid input, so the careful tests it leaves out would all have passed.
    """
    try:
        with connection.transaction():
            connection.execute(_checked_statement(table, file_format, fields, fast=True))
        return
    except psycopg.DataError:
        pass  # some value is not valid input: undone (a savepoint), checked the careful way
    connection.execute(_checked_statement(table, file_format, fields, fast=False))


def _checked_statement(
    table: RawTable, file_format: str, fields: list[str], fast: bool
) -> sql.Composable:
    """Layers, each materialised once per row (offset 0): the values, the problem found in the
    text (and on the fast path every value cast), the typed values (where the text is valid),
    then the table's rules on those typed values.

    When the fast path casts every column (no JSON, no type modifier), the casts carry the
    columns' names and the typed layer is left out: one projection of every row fewer (a
    tenth of the validation's time). A row with a problem then keeps its typed values, which
    nothing reads: only rows without a problem are claimed or loaded.
    """
    names = [sql.Identifier(c.name) for c in table.columns]
    carried = sql.SQL("").join(sql.SQL(", {}").format(_field_name(i)) for i in range(len(fields)))
    every_column_cast = fast and all(map(_casts_without_checking, table.columns))
    cast: list[sql.Composable] = []
    typed: list[sql.Composable] = []
    for index, column in enumerate(table.columns):
        value = _typed_value(column, _value_name(index))
        if every_column_cast:
            cast.append(sql.SQL(", {} as {}").format(value, names[index]))
            continue
        if fast and _casts_without_checking(column):
            cast.append(sql.SQL(", {} as {}").format(value, _cast_name(index)))
            value = _cast_name(index)
        typed.append(
            sql.SQL("case when _problem is null then {} end as {}").format(value, names[index])
        )
    rows: sql.Composable = sql.SQL(
        "(select *, {problem} as _problem{cast} from {landed} offset 0) as reviewed"
    ).format(
        problem=_reason_expression(table, file_format, fast),
        cast=sql.SQL("").join(cast),
        landed=_landed_rows(table, file_format, fields),
    )
    if typed:
        rows = sql.SQL(
            "(select _line, _original{carried}, _problem, {typed} from {reviewed} offset 0)"
            " as typed"
        ).format(carried=carried, typed=sql.SQL(", ").join(typed), reviewed=rows)
    return sql.SQL(
        """
        create temp table _checked on commit drop as
        select _line, problem, {names},
               case when problem is not null then {original} end as original_text
        from (select *, {constraint} as problem from {rows}) as constrained
        """
    ).format(
        names=sql.SQL(", ").join(names),
        original=_original_expression(file_format, len(fields)),
        constraint=_constraint_expression(table),
        rows=rows,
    )


def _cast_name(index: int) -> sql.Identifier:
    return sql.Identifier(f"_t{index}")


# --- Partitions: their own short transactions -------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """The checked rows of a file, counted in one pass: what the load inserts needs no count."""

    read: int
    quarantined: int
    months: tuple[date, ...]  # the UTC months of the valid rows of an event table


def _tally(connection: psycopg.Connection, table: RawTable) -> Tally:
    """Counts the checked rows, the quarantined ones and the months of the valid ones."""
    month = sql.SQL("null::date")
    if table.time_column:
        month = sql.SQL("date_trunc('month', {} at time zone 'UTC')::date").format(
            sql.Identifier(table.time_column)
        )
    groups = connection.execute(
        sql.SQL(
            "select problem is null, case when problem is null then {month} end, count(*)"
            " from _checked group by 1, 2 order by 2"
        ).format(month=month)
    ).fetchall()
    return Tally(
        read=sum(count for _, _, count in groups),
        quarantined=sum(count for valid, _, count in groups if not valid),
        months=tuple(m for valid, m, _ in groups if valid and m is not None),
    )


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


# --- Insert, ledger, and the load of one file -------------------------------------------------


def _same_key(table: RawTable, loaded: str, new: str) -> sql.Composable:
    """`loaded.k = new.k` for every key column."""
    return sql.SQL(" and ").join(
        sql.SQL("{l}.{k} = {n}.{k}").format(
            l=sql.Identifier(loaded), n=sql.Identifier(new), k=sql.Identifier(k)
        )
        for k in table.key_columns
    )


def _current_version(table: RawTable, row: str) -> sql.Composable:
    """The loaded version of `row`'s key that is current: the one of the highest _load_id
    (one index range of the primary key, read backwards)."""
    return sql.SQL(
        "select * from {target} as current where {match} order by current._load_id desc limit 1"
    ).format(target=table.qualified, match=_same_key(table, "current", row))


def _new_versions(table: RawTable) -> sql.Composable:
    """A catalog file's rows that change their key: each key's last valid line in the file
    (a later line is the source's later word; the earlier ones are duplicates), unless it
    equals the key's current version in every column but the loader's own (typed, with
    defaults, null equal to null): such a row changes nothing and is a duplicate too.
    """
    keys = sql.SQL(", ").join(map(sql.Identifier, table.key_columns))
    names = [sql.Identifier(c.name) for c in table.columns]
    return sql.SQL(
        "select * from ("
        " select distinct on ({keys}) * from _checked where problem is null"
        " order by {keys}, _line desc) as new"
        " where not exists (select from ({current}) as current"
        "  where ({current_values}) is not distinct from ({new_values}))"
    ).format(
        keys=keys,
        current=_current_version(table, "new"),
        current_values=sql.SQL(", ").join(sql.SQL("current.{}").format(n) for n in names),
        new_values=sql.SQL(", ").join(sql.SQL("new.{}").format(n) for n in names),
    )


@dataclass(frozen=True)
class Claimed:
    """How an event file's ids were claimed: all new at once, or row by row (then the time
    range of its valid rows bounds the lookup of ids known before)."""

    every_row_new: bool
    earliest: datetime | None = None
    latest: datetime | None = None


def _new_rows(table: RawTable, claimed: Claimed) -> sql.Composable:
    """The rows to insert: for an event table, each id's first valid line when this load
    claimed the id (`_claimed`, filled by `_claim_event_ids`), or when the id was claimed
    before with the same time but its row is no longer in the table (deleted by hand, or its
    month dropped); for a catalog, the new versions (`_new_versions`).

    Only ids known before are looked up in the event table, in one anti-join bounded to their
    time range (the BRIN index on the event time); ids new to the ledger need no lookup.
    """
    if not table.time_column:
        return _new_versions(table)
    if claimed.every_row_new:
        return sql.SQL("select * from _checked where problem is null")
    time = sql.Identifier(table.time_column)
    return sql.SQL(
        "select distinct on (event_id) * from ("
        " select new.* from _checked as new"
        "  where new.problem is null"
        "   and exists (select from _claimed where _claimed.event_id = new.event_id)"
        " union all"
        " select new.* from _checked as new"
        "  where new.problem is null"
        "   and not exists (select from _claimed where _claimed.event_id = new.event_id)"
        "   and not exists (select from {target} as loaded"
        "    where loaded.event_id = new.event_id and loaded.{time} = new.{time}"
        "     and loaded.{time} between {low} and {high})"
        ") as new order by event_id, _line"
    ).format(
        target=table.qualified,
        time=time,
        low=sql.Literal(claimed.earliest),
        high=sql.Literal(claimed.latest),
    )


def _claim_every_id(connection: psycopg.Connection, table: RawTable, load_id: int) -> bool:
    """Enters every valid row's id in raw._event_ids with a plain INSERT; True when all were
    new and none repeats in the file, the usual case, which then needs no other pass.

    A plain insert costs half of INSERT ... ON CONFLICT (no speculative insertion) and needs
    no sort. Any id known already, repeated in the file, or claimed by a load running at the
    same moment (this waits for its commit) fails it as a whole; it is then undone (a
    savepoint) and `_claim_event_ids` decides row by row.
    """
    try:
        with connection.transaction():
            connection.execute(
                sql.SQL(
                    "insert into raw._event_ids (table_name, event_id, event_time, load_id)"
                    " select {table}, event_id, {time}, {load_id}"
                    " from _checked where problem is null"
                ).format(
                    table=sql.Literal(table.name),
                    time=sql.Identifier(str(table.time_column)),
                    load_id=sql.Literal(load_id),
                )
            )
    except (psycopg.errors.UniqueViolation, psycopg.errors.DeadlockDetected):
        # A deadlock: two loads claiming overlapping ids in other orders; this one steps back
        # and claims in id order below, so the other goes on.
        return False
    return True


def _claim_event_ids(connection: psycopg.Connection, table: RawTable, load_id: int) -> Claimed:
    """One event id is one event whatever its time: enters the file's new ids in
    raw._event_ids (the first valid line of each), then marks every valid row whose id is kept
    with another time, from an earlier load or an earlier line, as a re-sent copy.

    A load claiming the same id at the same moment makes this wait for its commit; the id is
    then that load's (each statement here sees what committed before it started). Returns the
    time range of the valid rows.
    """
    if _claim_every_id(connection, table, load_id):
        return Claimed(every_row_new=True)
    time = sql.Identifier(str(table.time_column))
    connection.execute('create temp table _claimed (event_id text collate "C") on commit drop')
    connection.execute(
        sql.SQL(
            "with claimed as ("
            " insert into raw._event_ids (table_name, event_id, event_time, load_id)"
            " select distinct on (event_id) {table}, event_id, {time}, {load_id}"
            " from _checked where problem is null order by event_id, _line"
            " on conflict do nothing returning event_id"
            ") insert into _claimed select event_id from claimed"
        ).format(table=sql.Literal(table.name), time=time, load_id=sql.Literal(load_id))
    )
    connection.execute(
        sql.SQL(
            "update _checked as copy"
            " set problem = format({reason}, copy.event_id, {time_name}, kept.event_time),"
            "     original_text = (to_jsonb(copy) - '_line' - 'problem' - 'original_text')::text"
            " from raw._event_ids as kept"
            " where copy.problem is null and kept.table_name = {table}"
            "   and kept.event_id = copy.event_id and kept.event_time <> copy.{time}"
        ).format(
            table=sql.Literal(table.name),
            time=time,
            time_name=sql.Literal(table.time_column),
            reason=sql.Literal(
                "re-sent event: event_id %s is kept with %s %s (the copy loaded first wins)"
            ),
        )
    )
    # Temp tables get no statistics of their own: guessed, the insert's joins of the checked
    # rows may be planned as a nested loop over every pair of rows (a 50,000-row file of
    # product events took 155 s).
    connection.execute("analyze _checked, _claimed")
    earliest, latest = connection.execute(
        sql.SQL("select min({t}), max({t}) from _checked where problem is null").format(t=time)
    ).fetchone()
    return Claimed(False, earliest, latest)


# A catalog row counts from the day it was created on; a catalog without that column from
# always (a schema field changes every day's health).
CATALOG_DATE_COLUMN = "created_at"
ALWAYS = "-infinity"


def _dated_column(table: RawTable) -> str | None:
    """The column whose UTC day a loaded row changes: its event time, or a catalog's creation."""
    if table.time_column:
        return table.time_column
    if any(column.name == CATALOG_DATE_COLUMN for column in table.columns):
        return CATALOG_DATE_COLUMN
    return None


def _returned(table: RawTable) -> sql.Composable:
    """What the insert hands to `_event_dates_statement`: the dated column, and for a catalog
    the key too (to find the version each row replaces)."""
    dated = _dated_column(table)
    if not dated:
        return sql.SQL("1")
    names = [dated] if table.time_column else [*table.key_columns, dated]
    return sql.SQL(", ").join(map(sql.Identifier, names))


def _changed_day(table: RawTable) -> sql.Composable:
    """The UTC day a loaded row changes (a catalog row: every day from then on).

    A new version of a catalog row changes the days of the version it replaces too: from the
    earlier of the two creation times, since a creation moved later changes the days in
    between. The insert's own rows are not visible to the statement that makes them, so the
    current version read here is the one before this load.
    """
    column = _dated_column(table)
    if not column:
        return sql.SQL("{}::date").format(sql.Literal(ALWAYS))
    moment: sql.Composable = sql.SQL("loaded.{}").format(sql.Identifier(column))
    if not table.time_column:
        moment = sql.SQL("least({new}, (select previous.{c} from ({current}) as previous))").format(
            new=moment, c=sql.Identifier(column), current=_current_version(table, "loaded")
        )
    return sql.SQL("({} at time zone 'UTC')::date").format(moment)


def _event_dates_statement(table: RawTable, load_id: int) -> sql.Composable:
    """Records which days the loaded rows change: dbt's change tracking and the late-data
    sensor read it (raw._loads.is_catalog tells event days from catalog days)."""
    day = _changed_day(table)
    return sql.SQL(
        "insert into raw._load_event_dates (load_id, table_name, event_date, rows)"
        " select {load_id}, {table}, {day}, count(*)"
        " from loaded group by 3 returning 1"
    ).format(load_id=sql.Literal(load_id), table=sql.Literal(table.name), day=day)


def _insert(
    connection: psycopg.Connection,
    table: RawTable,
    load_id: int,
    source: str,
    file_name: str,
    claimed: Claimed,
    tally: Tally,
) -> int:
    """Quarantines invalid rows (a pass over the rows only when there are any) and inserts the
    valid ones; returns how many rows it loaded."""
    columns = sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns)
    quarantine = sql.SQL("")
    if tally.quarantined:
        quarantine = sql.SQL(
            """
            quarantined as (
                insert into raw._quarantine
                    (load_id, source, table_name, file_name, line_number, original_text, reason)
                select {load_id}, {source}, {table}, {file}, _line, original_text, problem
                from _checked where problem is not null
                returning 1
            ),
            """
        ).format(
            load_id=sql.Literal(load_id),
            source=sql.Literal(source),
            table=sql.Literal(table.name),
            file=sql.Literal(file_name),
        )
    statement = sql.SQL(
        """
        with {quarantine}
        loaded as (
            insert into {target} ({columns}, _load_id)
            select {columns}, {load_id} from ({new_rows}) as new_rows
            returning {returning}
        ),
        dated as ({event_dates})
        select {quarantined}, (select count(*) from loaded), (select count(*) from dated)
        """
    ).format(
        quarantine=quarantine,
        load_id=sql.Literal(load_id),
        target=table.qualified,
        columns=columns,
        returning=_returned(table),
        event_dates=_event_dates_statement(table, load_id),
        new_rows=_new_rows(table, claimed),
        quarantined=sql.SQL("(select count(*) from quarantined)" if tally.quarantined else "0"),
    )
    quarantined, loaded, _ = connection.execute(statement).fetchone()
    if quarantined != tally.quarantined:  # the counts of one transaction: cannot differ
        raise LoadError(f"{file_name}: quarantined {quarantined} rows, counted {tally.quarantined}")
    return loaded


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
            f"{display_name(path)}: unsupported file type '{path.suffix}' (use .csv or .jsonl)"
        ) from None


def _checked_file(path: Path) -> None:
    """Refuses, before anything is written, a file that cannot or must not be loaded now."""
    name = display_name(path)
    if name != path.name:
        raise LoadError(f"{name}: the file name is not valid UTF-8; rename the file")
    if not path.is_file():
        raise LoadError(f"{path}: no such file")
    _check_encoding(path)
    problem = completeness_problem(path)
    if problem:
        raise FileNotReady(f"{name}: not loaded: {problem}")


# A load that PostgreSQL chose as a deadlock's victim is rolled back whole; it is run again.
DEADLOCK_ATTEMPTS = 3


def load_file(warehouse: Warehouse, path: Path, table_name: str | None = None) -> LoadResult:
    """Loads one file in one transaction; a file already loaded (same bytes) is a no-op.

    Two loads of overlapping new ids in other orders can deadlock anywhere in their
    transactions, not only where their ids are claimed (which steps back by itself): the
    victim's transaction is rolled back whole, so loading the file again is exactly-once.
    """
    for _ in range(DEADLOCK_ATTEMPTS - 1):
        try:
            return _load_file_once(warehouse, path, table_name)
        except psycopg.errors.DeadlockDetected:
            continue
    return _load_file_once(warehouse, path, table_name)


def _load_file_once(warehouse: Warehouse, path: Path, table_name: str | None) -> LoadResult:
    path = Path(path)
    _checked_file(path)
    file_format = file_format_of(path)
    table_name = table_name or table_for_file(path.name)
    source = source_of(table_name)
    before = FileState.of(path)
    sha256 = file_sha256(path)
    started_at = datetime.now(UTC)
    with warehouse.connect(application_name=APPLICATION_NAME) as connection:
        # Naive timestamps in the files are UTC.
        connection.execute("set timezone = 'UTC'")
        # Room for one file's landing and checked rows in memory rather than temp files.
        connection.execute(f"set temp_buffers = '{TEMP_MEMORY}'")
        connection.execute(f"set work_mem = '{LOAD_MEMORY}'")
        load_id = _claim(connection, source, table_name, path, sha256, before.size, started_at)
        if load_id is None:
            previous = _previous_load(connection, table_name, sha256)
            return LoadResult(path.name, table_name, load_id=previous, already_loaded=True)
        table = describe_table(connection, table_name)
        connection.execute(
            "update raw._loads set is_catalog = %s where load_id = %s",
            (table.time_column is None, load_id),
        )
        fields = _csv_header(path, table) if file_format == "csv" else []
        _land(connection, path, file_format, len(fields))
        _check_rows(connection, table, file_format, fields)
        connection.execute("drop table _landing")  # its memory goes to the checked rows
        claimed = Claimed(every_row_new=False)
        if table.time_column:
            if EVENT_ID not in (column.name for column in table.columns):
                raise LoadError(f"raw.{table_name} is partitioned by time but has no {EVENT_ID}")
            claimed = _claim_event_ids(connection, table, load_id)
        tally = _tally(connection, table)
        if table.time_column:
            _ensure_partitions(warehouse, table, list(tally.months))
        else:
            # Loads of one catalog take turns from here (readers are not blocked), so each
            # compares its rows with the versions the one before it committed.
            connection.execute(
                sql.SQL("lock table {} in share row exclusive mode").format(table.qualified)
            )
        loaded = _insert(connection, table, load_id, source, path.name, claimed, tally)
        read, quarantined = tally.read, tally.quarantined
        result = LoadResult(
            path.name, table_name, read, loaded, quarantined, read - quarantined - loaded, load_id
        )
        connection.execute(
            "update raw._loads set rows_read = %s, rows_loaded = %s, rows_quarantined = %s,"
            " rows_duplicate = %s, finished_at = now() where load_id = %s",
            (read, loaded, quarantined, result.rows_duplicate, load_id),
        )
        if FileState.of(path) != before:
            raise LoadError(
                f"{display_name(path)}: the file changed while it was being loaded;"
                " nothing was loaded, load it again once it is complete"
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
