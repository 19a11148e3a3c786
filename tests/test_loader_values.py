"""Values the loader must refuse, values it must accept, and both parse paths agreeing on them.

Every test loads real files into a fresh database. A file is forced onto the line-by-line path
(the fallback when COPY rejects the file's structure) by one record with the wrong field count.
"""

from __future__ import annotations

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
