"""Values the loader must refuse, values it must accept, and both parse paths agreeing on them.

Every test loads real files into a fresh database. A file is forced onto the line-by-line path
(the fallback when COPY rejects the file's structure) by one record with the wrong field count.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ingest import loader, migrate
from ingest.warehouse import Warehouse
from tests.databases import fresh_database
from tests.test_loader import (
    DOWNLOAD_COLUMNS,
    download,
    quarantined,
    scalar,
    write_csv,
    write_jsonl,
)

BROKEN_RECORD = "a,b,c"  # wrong field count: COPY rejects the file, the fallback reads it


def write_lines(folder: Path, name: str, lines: list[str], header: list[str] | None = None) -> Path:
    """A file of exactly these lines (CSV with the download header unless told otherwise)."""
    path = folder / name
    head = [",".join(header or DOWNLOAD_COLUMNS)] if name.endswith(".csv") else []
    path.write_bytes(("\n".join(head + lines) + "\n").encode())
    return path


def quoted_record(row: dict[str, object]) -> str:
    """A CSV record with every field quoted, an absent value as "" (as some exporters write)."""
    return ",".join(
        '"' + ("" if row[c] is None else str(row[c])).replace('"', '""') + '"'
        for c in DOWNLOAD_COLUMNS
    )


def reasons_by_line(warehouse: Warehouse) -> dict[int, str]:
    return {line: reason for _, line, _, reason, _, _ in quarantined(warehouse)}


def loaded_ids(warehouse: Warehouse) -> list[str]:
    with warehouse.cursor() as cursor:
        return [r[0] for r in cursor.execute("select event_id from raw.download_events order by 1")]


# --- Wrong data accepted into raw ---------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "jsonl"])
def test_special_time_inputs_are_not_event_times(
    warehouse: Warehouse, landing: Path, file_format: str
) -> None:
    specials = ["now", "today", "yesterday", "tomorrow", "infinity", "-infinity", "epoch", " NOW "]
    rows: list[dict[str, object] | str] = [download(0)]
    rows += [download(n + 1, downloaded_at=s) for n, s in enumerate(specials)]
    writer = write_csv if file_format == "csv" else write_jsonl
    result = loader.load_file(warehouse, writer(landing, f"download_events__t.{file_format}", rows))

    assert (result.rows_loaded, result.rows_quarantined) == (1, len(specials))
    first = 3 if file_format == "csv" else 2
    reasons = reasons_by_line(warehouse)
    for offset, special in enumerate(specials):
        assert reasons[first + offset] == (
            f"downloaded_at is a relative or special time, not a point in time: {special}"
        )


def test_special_time_inputs_are_refused_in_every_time_column(
    warehouse: Warehouse, landing: Path
) -> None:
    header = ["module_name", "version", "created_at", "size_bytes"]
    path = write_lines(
        landing,
        "module_versions__t.csv",
        ["m,v1,2026-03-01T00:00:00Z,1", "m,v2,today,1", "m,v3,epoch,1"],
        header,
    )
    result = loader.load_file(warehouse, path)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    assert all(
        "created_at is a relative or special time" in r for r in reasons_by_line(warehouse).values()
    )


def metric(number: int, value: object) -> dict[str, object]:
    return {
        "event_id": f"m-{number}",
        "recorded_at": "2026-03-01T00:00:00Z",
        "name": "latency",
        "metric_type": "gauge",
        "value": value,
    }


def test_non_finite_and_non_decimal_numbers_are_refused(
    warehouse: Warehouse, landing: Path
) -> None:
    bad = ["NaN", "nan", "Infinity", "-Infinity", "inf", "0x10"]
    header = ["event_id", "recorded_at", "name", "metric_type", "value"]
    lines = [f"m-{n},2026-03-01T00:00:00Z,latency,gauge,{v}" for n, v in enumerate(bad)]
    lines += [
        "m-ok1,2026-03-01T00:00:00Z,latency,gauge,-3.5",
        "m-ok2,2026-03-01T00:00:00Z,x,gauge,1e3",
    ]
    result = loader.load_file(warehouse, write_lines(landing, "metrics__n.csv", lines, header))

    assert (result.rows_loaded, result.rows_quarantined) == (2, len(bad))
    reasons = reasons_by_line(warehouse)
    for offset, value in enumerate(bad[:-1]):
        assert reasons[2 + offset] == f"value is not a finite number: {value}"
    assert reasons[2 + len(bad) - 1] == "value is not a valid double precision: 0x10"
    assert scalar(warehouse, "select sum(value) from raw.metrics") == 996.5


def test_non_finite_numbers_in_json_lines_are_refused(warehouse: Warehouse, landing: Path) -> None:
    rows: list[dict[str, object] | str | bytes] = [
        metric(1, 2.5),
        '{"event_id": "m-2", "recorded_at": "2026-03-01T00:00:00Z", "name": "x",'
        ' "metric_type": "gauge", "value": NaN}',  # Python's json writes this
        metric(3, "Infinity"),
    ]
    result = loader.load_file(warehouse, write_jsonl(landing, "metrics__j.jsonl", rows))
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    assert reasons_by_line(warehouse)[3] == "value is not a finite number: Infinity"


@pytest.mark.parametrize("file_format", ["csv", "jsonl"])
def test_integers_are_plain_decimal(warehouse: Warehouse, landing: Path, file_format: str) -> None:
    bad = ["0x10", "1_000", "0b101", "0o17", "1e3", "12.0"]
    rows: list[dict[str, object] | str] = [
        download(0, duration_ms=" 12 "),
        download(1, duration_ms="+7"),
    ]
    rows += [download(n + 2, duration_ms=v) for n, v in enumerate(bad)]
    writer = write_csv if file_format == "csv" else write_jsonl
    result = loader.load_file(warehouse, writer(landing, f"download_events__i.{file_format}", rows))

    assert (result.rows_loaded, result.rows_quarantined) == (2, len(bad))
    reasons = sorted(reasons_by_line(warehouse).values())
    assert reasons == sorted(f"duration_ms is not a valid integer: {v}" for v in bad)
    assert scalar(warehouse, "select sum(duration_ms) from raw.download_events") == 19


# One valid row per table with CHECK rules, and the columns that must not be negative.
NOT_NEGATIVE: dict[str, tuple[dict[str, object], list[str]]] = {
    "download_events": (download(1), ["file_size", "duration_ms"]),
    "compilation_events": (
        {"event_id": "c-1", "started_at": "2026-03-01T00:00:00Z", "module_name": "m",
         "version": "v1", "language": "go", "success": "true", "duration_ms": 5,
         "file_count": 2, "output_size": 300},
        ["duration_ms", "file_count", "output_size"],
    ),
    "module_versions": (
        {"module_name": "m", "version": "v1", "created_at": "2026-03-01T00:00:00Z",
         "size_bytes": 10},
        ["size_bytes"],
    ),
    "schema_fields": (
        {"module_name": "m", "version": "v1", "message_name": "M", "field_name": "f",
         "field_type": "string", "nesting_depth": 1},
        ["nesting_depth"],
    ),
    "action_results": (
        {"event_id": "a-1", "executed_at": "2026-03-01T00:00:00Z", "organization_id": "o",
         "action_type": "webhook", "status": "success", "duration_ms": 5, "retry_count": 0},
        ["duration_ms", "retry_count"],
    ),
    "build_requests": (
        {"event_id": "b-1", "requested_at": "2026-03-01T00:00:00Z", "request_hash": "h",
         "client": "c", "version": "1", "target": "t", "profile": "p", "diff_packages": "false",
         "package_count": 3, "rootfs_size_mb": 100},
        ["package_count", "rootfs_size_mb"],
    ),
    "build_events": (
        {"event_id": "e-1", "started_at": "2026-03-01T00:00:00Z", "request_hash": "h",
         "client": "c", "status": "success", "duration_seconds": 30, "queue_length": 4},
        ["duration_seconds", "queue_length"],
    ),
}  # fmt: skip


def test_sizes_durations_and_counts_are_never_negative(warehouse: Warehouse, landing: Path) -> None:
    with warehouse.cursor() as cursor:
        rules = cursor.execute(
            "select conrelid::regclass::text, conname from pg_constraint"
            " where connamespace = 'raw'::regnamespace and contype = 'c'"
            " and conname like '%\\_not\\_negative' and conrelid in"
            " (select oid from pg_class where not relispartition) order by 1, 2"
        ).fetchall()
    expected = sorted(
        (f"raw.{table}", f"{column}_not_negative")
        for table, (_, columns) in NOT_NEGATIVE.items()
        for column in columns
    )
    assert rules == expected  # the rules are the table definitions' own CHECK constraints

    for table, (row, columns) in NOT_NEGATIVE.items():
        key = next(iter(row))
        rows = [dict(row)] + [
            {**row, key: f"{row[key]}-{column}", column: -1} for column in columns
        ]
        lines = [",".join("" if r[c] is None else str(r[c]) for c in row) for r in rows]
        path = write_lines(landing, f"{table}__neg.csv", lines, list(row))
        result = loader.load_file(warehouse, path)
        assert (result.rows_loaded, result.rows_quarantined) == (1, len(columns)), table
    reasons = [reason for *_, reason, _, _ in quarantined(warehouse)]
    assert reasons == [
        f"violates check {column}_not_negative: ({column} >= 0)"
        for _, columns in NOT_NEGATIVE.values()
        for column in columns
    ]


def test_a_check_on_the_loaders_own_columns_is_left_to_the_table(
    warehouse: Warehouse, landing: Path
) -> None:
    """Only rules on the file's columns are evaluated on the file's rows."""
    with warehouse.cursor() as cursor:
        cursor.execute(
            "alter table raw.download_events add constraint load_id_positive check (_load_id > 0)"
        )
    result = loader.load_file(
        warehouse, write_csv(landing, "download_events__c.csv", [download(1)])
    )
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)


def test_a_json_object_or_array_is_not_text(warehouse: Warehouse, landing: Path) -> None:
    rows: list[dict[str, object] | str | bytes] = [
        download(1, user_agent={"name": "spoke-cli"}),
        download(2, error_message=["timeout", "retry"]),
        download(3, user_agent="[not json, just text"),
        download(4, version=2),  # a number is a single value: "2"
    ]
    result = loader.load_file(warehouse, write_jsonl(landing, "download_events__o.jsonl", rows))

    assert (result.rows_loaded, result.rows_quarantined) == (2, 2)
    assert reasons_by_line(warehouse) == {
        1: 'user_agent is a JSON object or array, expected a single value: {"name": "spoke-cli"}',
        2: 'error_message is a JSON object or array, expected a single value: ["timeout", "retry"]',
    }


def test_json_columns_still_take_objects(warehouse: Warehouse, landing: Path) -> None:
    event = {
        "event_id": "p-1", "occurred_at": "2026-03-01T00:00:00Z", "event_type": "track",
        "event_name": "click", "properties": {"button": "buy", "tags": [1, 2]},
    }  # fmt: skip
    result = loader.load_file(warehouse, write_jsonl(landing, "analytics_events__p.jsonl", [event]))
    assert result.rows_loaded == 1
    assert scalar(warehouse, "select properties->'tags' from raw.analytics_events") == [1, 2]


# --- Unknown fields: never dropped without a word -----------------------------------------


def test_an_unknown_json_key_quarantines_its_row_naming_the_key(
    warehouse: Warehouse, landing: Path
) -> None:
    typo = download(2)
    typo["user_agnet"] = typo.pop("user_agent")
    rows: list[dict[str, object] | str | bytes] = [
        download(1),
        typo,
        {**download(3), "zz": 1, "aa": None},
    ]
    result = loader.load_file(warehouse, write_jsonl(landing, "download_events__k.jsonl", rows))

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 1, 2)
    assert reasons_by_line(warehouse) == {
        2: "unknown field(s) user_agnet",
        3: "unknown field(s) aa, zz",
    }
    [(_, _, original, *_)] = [q for q in quarantined(warehouse) if q[1] == 2]
    assert '"user_agnet": "spoke-cli/1.4.2"' in original  # the value is kept, not lost


def test_an_unknown_csv_column_refuses_the_file(warehouse: Warehouse, landing: Path) -> None:
    header = [c if c != "user_agent" else "user_agnet" for c in DOWNLOAD_COLUMNS]
    path = write_lines(landing, "download_events__h.csv", [quoted_record(download(1))], header)
    with pytest.raises(loader.LoadError, match=r"unknown column\(s\) user_agnet"):
        loader.load_file(warehouse, path)
    assert scalar(warehouse, "select count(*) from raw._loads") == 0


# --- Valid rows that were rejected --------------------------------------------------------


def test_a_utf8_byte_order_mark_costs_nothing(warehouse: Warehouse, landing: Path) -> None:
    csv_path = write_csv(landing, "download_events__bom.csv", [download(1), download(2)])
    csv_path.write_bytes(b"\xef\xbb\xbf" + csv_path.read_bytes())
    jsonl_path = write_jsonl(landing, "download_events__bom.jsonl", [download(3), download(4)])
    jsonl_path.write_bytes(b"\xef\xbb\xbf" + jsonl_path.read_bytes())

    from_csv = loader.load_file(warehouse, csv_path)
    from_jsonl = loader.load_file(warehouse, jsonl_path)

    assert (from_csv.rows_loaded, from_csv.rows_quarantined) == (2, 0)
    assert (from_jsonl.rows_loaded, from_jsonl.rows_quarantined) == (2, 0)
    assert loaded_ids(warehouse) == ["dl-000001", "dl-000002", "dl-000003", "dl-000004"]


def test_a_csv_that_quotes_every_field_loads(warehouse: Warehouse, landing: Path) -> None:
    rows = [
        download(1, file_size=None, duration_ms=None, ip_address=None, cache_hit=None),
        download(2, user_id=None, error_message=None),
        download(3),
    ]
    path = write_lines(landing, "download_events__q.csv", [quoted_record(r) for r in rows])
    result = loader.load_file(warehouse, path)

    assert (result.rows_loaded, result.rows_quarantined) == (3, 0)
    with warehouse.cursor() as cursor:
        first = cursor.execute(
            "select file_size, duration_ms, ip_address, cache_hit from raw.download_events"
            " where event_id = 'dl-000001'"
        ).fetchone()
        second = cursor.execute(
            "select user_id, error_message from raw.download_events where event_id = 'dl-000002'"
        ).fetchone()
    assert first == (None, None, None, False)  # an empty optional field is null (or its default)
    assert second == (None, None)


def _verdicts(warehouse: Warehouse) -> tuple[list[tuple[object, ...]], dict[str, str]]:
    with warehouse.cursor() as cursor:
        loaded = cursor.execute(
            "select event_id, module_name, file_size, user_id from raw.download_events order by 1"
        ).fetchall()
    reasons = {}
    for _, _, original, reason, _, _ in quarantined(warehouse):
        if match := re.search(r"dl-\d{6}", original):
            reasons[match[0]] = reason
    return loaded, reasons


@pytest.mark.parametrize("file_format", ["csv", "jsonl"])
def test_copy_and_line_by_line_give_one_verdict_on_empty_strings(
    server: Warehouse, landing: Path, file_format: str
) -> None:
    """ "" in a required text field is invalid; an empty optional field is null; both paths."""
    rows: list[dict[str, object]] = [
        download(1, module_name=""),  # required text, empty
        download(2, file_size="", user_id=""),  # optional number and optional text, empty
        download(3),
    ]
    outcomes = []
    for broken in (False, True):
        if file_format == "csv":
            lines = [quoted_record(r) for r in rows] + ([BROKEN_RECORD] if broken else [])
            path = write_lines(landing, f"download_events__e{int(broken)}.csv", lines)
        else:
            extra: list[dict[str, object] | str | bytes] = (
                [b'{"event_id": "\xff"}'] if broken else []
            )
            path = write_jsonl(landing, f"download_events__e{int(broken)}.jsonl", [*rows, *extra])
        with fresh_database(server) as warehouse:
            migrate.migrate(warehouse)
            loader.load_file(warehouse, path)
            loaded, reasons = _verdicts(warehouse)
        outcomes.append((loaded, reasons))

    assert outcomes[0] == outcomes[1]  # COPY path == line-by-line path
    loaded, reasons = outcomes[0]
    assert [row[0] for row in loaded] == ["dl-000002", "dl-000003"]
    assert loaded[0][2:] == (None, None)
    assert reasons == {"dl-000001": "missing required field module_name"}


def multi_line_row(number: int, lines: int) -> dict[str, object]:
    trace = "\n".join(f'  at frame {n} (said "no", then, left)' for n in range(lines - 1))
    return download(number, error_message=f"stack:\n{trace}")


@pytest.mark.parametrize("broken", [False, True], ids=["copy", "line_by_line"])
def test_records_spanning_many_lines_load_whole_and_lines_count_physically(
    warehouse: Warehouse, landing: Path, broken: bool
) -> None:
    rows: list[dict[str, object] | str] = [
        download(1),
        multi_line_row(2, 40),  # physical lines 3..42
        download(3, duration_ms="12ms"),  # line 43
        multi_line_row(4, 25),  # lines 44..68
        download(5),  # line 69
    ]
    if broken:
        rows.append(BROKEN_RECORD)  # line 70
    path = write_csv(landing, "download_events__m.csv", rows)

    result = loader.load_file(warehouse, path)

    assert (result.rows_read, result.rows_loaded) == (5 + broken, 4)
    expected = {43: "duration_ms is not a valid integer: 12ms"}
    if broken:
        expected[70] = "expected 16 fields, found 3"
    assert reasons_by_line(warehouse) == expected
    physical = path.read_text().split("\n")
    assert physical[43 - 1].startswith("dl-000003,")
    assert (
        scalar(
            warehouse, "select error_message from raw.download_events where event_id = 'dl-000002'"
        )
        == multi_line_row(2, 40)["error_message"]
    )


def test_an_unterminated_quote_costs_only_its_line(warehouse: Warehouse, landing: Path) -> None:
    rows: list[dict[str, object] | str] = [
        download(1),
        'dl-y,"2026-03-01',
        *map(download, range(2, 40)),
    ]
    result = loader.load_file(warehouse, write_csv(landing, "download_events__u.csv", rows))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (40, 39, 1)
    assert reasons_by_line(warehouse) == {3: "unterminated quoted field"}


# --- One row must never cost the file -----------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "jsonl"])
def test_a_nul_byte_costs_only_its_row(
    warehouse: Warehouse, landing: Path, file_format: str
) -> None:
    rows: list[dict[str, object] | str] = [
        download(1),
        download(2, user_agent="spoke\x00cli"),
        download(3),
    ]
    writer = write_csv if file_format == "csv" else write_jsonl
    path = writer(landing, f"download_events__nul.{file_format}", rows)
    if file_format == "jsonl":  # json.dumps escapes NUL as \u0000; write the raw byte
        path.write_bytes(path.read_bytes().replace(b"\\u0000", b"\x00"))

    result = loader.load_file(warehouse, path)

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    [(_, line, original, reason, _, _)] = quarantined(warehouse)
    assert (line, reason) == (3 if file_format == "csv" else 2, "contains a NUL byte")
    assert "spoke\\x00cli" in original


def test_an_escaped_nul_in_json_costs_only_its_row(warehouse: Warehouse, landing: Path) -> None:
    rows: list[dict[str, object] | str | bytes] = [
        download(1),
        download(2, user_agent="a\x00b"),
        download(3),
    ]
    result = loader.load_file(warehouse, write_jsonl(landing, "download_events__u0.jsonl", rows))
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert reasons_by_line(warehouse) == {2: "contains a NUL byte"}


def test_json_nested_fifty_thousand_deep_costs_only_its_row(
    warehouse: Warehouse, landing: Path
) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    wide = json.dumps([[n] for n in range(2_000)])  # many brackets, shallow: valid
    rows: list[dict[str, object] | str | bytes] = [
        download(1),
        '{"event_id": "dl-deep", "user_agent": ' + deep + "}",
        download(3),
    ]
    result = loader.load_file(warehouse, write_jsonl(landing, "download_events__deep.jsonl", rows))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    assert reasons_by_line(warehouse) == {2: "JSON nested deeper than 1000 levels"}

    events = [
        {"event_id": f"p-{n}", "occurred_at": "2026-03-01T00:00:00Z", "event_type": "track",
         "event_name": "x"}
        for n in range(3)
    ]  # fmt: skip
    header = [*events[0], "properties"]
    lines = [
        ",".join([*map(str, events[0].values()), '"' + wide.replace('"', '""') + '"']),
        ",".join([*map(str, events[1].values()), deep]),
        ",".join([*map(str, events[2].values()), "{}"]),
    ]
    path = write_lines(landing, "analytics_events__deep.csv", lines, header)
    result = loader.load_file(warehouse, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    assert reasons_by_line(warehouse)[3] == "properties is nested deeper than 1000 levels"


@pytest.mark.parametrize(
    ("encoding", "bom", "named"),
    [
        ("utf-16-le", b"\xff\xfe", "UTF-16LE (with a byte-order mark)"),
        ("utf-16-be", b"\xfe\xff", "UTF-16BE (with a byte-order mark)"),
        ("utf-16-le", b"", "UTF-16LE (without a byte-order mark)"),
        ("utf-16-be", b"", "UTF-16BE (without a byte-order mark)"),
    ],
)
def test_a_file_in_another_encoding_is_refused_naming_it(
    warehouse: Warehouse, landing: Path, encoding: str, bom: bytes, named: str
) -> None:
    path = write_jsonl(landing, "download_events__16.jsonl", [download(1), download(2)])
    path.write_bytes(bom + path.read_text().encode(encoding))
    with pytest.raises(loader.LoadError) as raised:
        loader.load_file(warehouse, path)
    assert str(raised.value).startswith(
        f"download_events__16.jsonl: the file is encoded in {named}"
    )
    assert "\n" not in str(raised.value)
    assert scalar(warehouse, "select count(*) from raw._loads") == 0


def test_a_csv_header_without_a_required_column_refuses_the_file(
    warehouse: Warehouse, landing: Path
) -> None:
    header = [c for c in DOWNLOAD_COLUMNS if c != "module_name"]
    lines = [",".join(str(download(n)[c] or "") for c in header) for n in range(5)]
    path = write_lines(landing, "download_events__nomod.csv", lines, header)
    with pytest.raises(loader.LoadError, match=r"lacks required column\(s\) module_name"):
        loader.load_file(warehouse, path)
    for table in ("raw._loads", "raw._quarantine", "raw.download_events"):
        assert scalar(warehouse, f"select count(*) from {table}") == 0
