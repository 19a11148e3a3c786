"""The loader against a real PostgreSQL: quarantine classes, the row equation, idempotence."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest import loader
from ingest.generator import GeneratorSpec, generate
from ingest.warehouse import Warehouse

DOWNLOAD_COLUMNS = [
    "event_id", "downloaded_at", "user_id", "organization_id", "module_name", "version",
    "language", "file_size", "duration_ms", "success", "error_message", "ip_address",
    "user_agent", "client_sdk", "client_version", "cache_hit",
]  # fmt: skip


def download(number: int, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "event_id": f"dl-{number:06d}",
        "downloaded_at": f"2026-03-{1 + number % 28:02d}T10:00:00Z",
        "user_id": f"user-{number % 7}",
        "organization_id": "org-1",
        "module_name": "acme.billing",
        "version": "v1.0.0",
        "language": "go",
        "file_size": 1000 + number,
        "duration_ms": 20,
        "success": "true",
        "error_message": None,
        "ip_address": "10.1.2.3",
        "user_agent": "spoke-cli/1.4.2",
        "client_sdk": "cli",
        "client_version": "1.4.2",
        "cache_hit": "false",
    }
    row.update(changes)
    return row


def write_csv(folder: Path, name: str, rows: list[dict[str, object] | str]) -> Path:
    path = folder / name
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(DOWNLOAD_COLUMNS)
        for row in rows:
            if isinstance(row, str):
                handle.write(row + "\n")
            else:
                writer.writerow(["" if row[c] is None else row[c] for c in DOWNLOAD_COLUMNS])
    return path


def write_jsonl(folder: Path, name: str, rows: list[dict[str, object] | str | bytes]) -> Path:
    path = folder / name
    with path.open("wb") as handle:
        for row in rows:
            if isinstance(row, bytes):
                handle.write(row + b"\n")
            else:
                text = row if isinstance(row, str) else json.dumps(row)
                handle.write(text.encode() + b"\n")
    return path


def scalar(warehouse: Warehouse, query: str, *params: object) -> object:
    with warehouse.cursor() as cursor:
        return cursor.execute(query, params).fetchone()[0]


def quarantined(warehouse: Warehouse) -> list[tuple[object, ...]]:
    with warehouse.cursor() as cursor:
        return cursor.execute(
            "select file_name, line_number, original_text, reason, source, table_name"
            " from raw._quarantine order by quarantine_id"
        ).fetchall()


# One case a class of bad row: (file format, the bad row, the reason it must be given).
BAD_ROW_CLASSES = {
    "missing_required_field": (
        "csv",
        download(900, module_name=None),
        "missing required field module_name",
    ),
    "invalid_timestamp": (
        "csv",
        download(900, downloaded_at="last tuesday"),
        "downloaded_at is not a valid timestamp",
    ),
    "timestamp_absurdly_in_future": (
        "csv",
        download(900, downloaded_at="2099-01-01T00:00:00Z"),
        "downloaded_at is more than 1 day in the future",
    ),
    "timestamp_before_2000": (
        "csv",
        download(900, downloaded_at="1970-01-01T00:00:00Z"),
        "downloaded_at is before 2000-01-01",
    ),
    "invalid_integer": (
        "csv",
        download(900, duration_ms="12ms"),
        "duration_ms is not a valid integer: 12ms",
    ),
    "integer_out_of_range": (
        "csv",
        download(900, duration_ms="99999999999"),
        "duration_ms is not a valid integer",
    ),
    "invalid_boolean": ("csv", download(900, success="maybe"), "success is not a valid boolean"),
    "invalid_ip_address": (
        "csv",
        download(900, ip_address="999.1.1.1"),
        "ip_address is not a valid inet",
    ),
    "csv_wrong_field_count": ("csv", "dl-x,2026-03-01T00:00:00Z", "expected 16 fields, found 2"),
    "csv_unterminated_quote": ("csv", 'dl-y,"2026-03-01', "unterminated quoted field"),
    "json_syntax_error": ("jsonl", '{"event_id": "dl-z", ', "not valid JSON"),
    "json_not_an_object": ("jsonl", "[1, 2, 3]", "not a JSON object"),
    "json_empty_line": ("jsonl", "", "empty line"),
    "json_missing_required_field": (
        "jsonl",
        download(900, event_id=None),
        "missing required field event_id",
    ),
    "not_utf8": ("jsonl", b'{"event_id": "dl-\xff"}', "not valid UTF-8"),
}


@pytest.mark.parametrize("bad_class", BAD_ROW_CLASSES)
def test_bad_row_is_quarantined_with_reason_and_good_rows_load(
    warehouse: Warehouse, landing: Path, bad_class: str
) -> None:
    file_format, bad_row, reason = BAD_ROW_CLASSES[bad_class]
    rows = [download(1), bad_row, download(2)]
    writer = write_csv if file_format == "csv" else write_jsonl
    path = writer(landing, f"download_events__bad.{file_format}", rows)

    result = loader.load_file(warehouse, path)

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    [(file_name, line, original, stored_reason, source, table)] = quarantined(warehouse)
    assert reason in stored_reason
    assert (file_name, source, table) == (path.name, "registry", "download_events")
    assert line == (3 if file_format == "csv" else 2)  # the header is line 1 of a CSV file
    raw_line = path.read_bytes().splitlines()[line - 1].decode("utf-8", "backslashreplace")
    if isinstance(bad_row, dict):  # a re-encoded record keeps every value
        assert all(str(v) in original for v in bad_row.values() if v not in (None, "true"))
    else:
        assert original == raw_line
    assert scalar(warehouse, "select count(*) from raw.download_events") == 2


def test_enum_values_come_from_the_table_definition(warehouse: Warehouse, landing: Path) -> None:
    header = "event_id,viewed_at,module_name,source,page_type"
    path = landing / "module_view_events__x.csv"
    path.write_text(
        f"{header}\nv1,2026-03-01T00:00:00Z,m,web,detail\nv2,2026-03-01T00:00:00Z,m,fax,detail\n"
    )
    result = loader.load_file(warehouse, path)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert "source is not a valid raw.view_source: fax" in quarantined(warehouse)[0][3]


def test_broken_row_in_the_middle_costs_only_that_row(warehouse: Warehouse, landing: Path) -> None:
    rows: list[dict[str, object] | str] = [download(n) for n in range(1000)]
    rows.insert(500, "a,b,c")
    path = write_csv(landing, "download_events__big.csv", rows)
    result = loader.load_file(warehouse, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (1001, 1000, 1)
    assert quarantined(warehouse)[0][1:4] == (502, "a,b,c", "expected 16 fields, found 3")


def test_loading_the_same_file_twice_is_a_no_op(warehouse: Warehouse, landing: Path) -> None:
    path = write_csv(landing, "download_events__a.csv", [download(n) for n in range(50)])
    first = loader.load_file(warehouse, path)
    second = loader.load_file(warehouse, path)
    assert first.rows_loaded == 50 and not first.already_loaded
    assert second.already_loaded and second.load_id == first.load_id
    assert "already loaded" in second.summary()
    assert scalar(warehouse, "select count(*) from raw.download_events") == 50
    assert scalar(warehouse, "select count(*) from raw._loads") == 1


def test_overlapping_files_add_only_new_events(warehouse: Warehouse, landing: Path) -> None:
    first = write_csv(landing, "download_events__1.csv", [download(n) for n in range(100)])
    second = write_csv(landing, "download_events__2.csv", [download(n) for n in range(50, 150)])
    loader.load_file(warehouse, first)
    result = loader.load_file(warehouse, second)
    assert (result.rows_loaded, result.rows_duplicate) == (50, 50)
    assert scalar(warehouse, "select count(*) from raw.download_events") == 150


def test_duplicates_within_a_file_are_skipped_and_counted(
    warehouse: Warehouse, landing: Path
) -> None:
    rows: list[dict[str, object] | str] = [download(1), download(2), download(1), download(1)]
    result = loader.load_file(warehouse, write_csv(landing, "download_events__d.csv", rows))
    assert (result.rows_read, result.rows_loaded, result.rows_duplicate) == (4, 2, 2)


def test_a_re_sent_event_is_quarantined_and_the_copy_loaded_first_kept(
    warehouse: Warehouse, landing: Path
) -> None:
    """The same event id with another time, in a later file (months away, so no partition
    or window holds both) or later in the same file: one event, the first copy."""
    loader.load_file(
        warehouse, write_csv(landing, "download_events__1.csv", [download(1), download(2)])
    )
    rows: list[dict[str, object] | str] = [
        download(1, downloaded_at="2026-07-15T08:00:00Z"),  # re-sent, another month
        download(2),  # the same copy again: a duplicate
        download(3),
        download(3, downloaded_at="2026-03-05T11:00:00Z"),  # re-sent within the file
    ]
    result = loader.load_file(warehouse, write_csv(landing, "download_events__2.csv", rows))

    assert (result.rows_loaded, result.rows_quarantined, result.rows_duplicate) == (1, 2, 1)
    kept = scalar(
        warehouse,
        "select string_agg(event_id || ' ' || downloaded_at, ', ' order by event_id)"
        " from raw.download_events",
    )
    assert kept == (
        "dl-000001 2026-03-02 10:00:00+00, dl-000002 2026-03-03 10:00:00+00,"
        " dl-000003 2026-03-04 10:00:00+00"
    )
    reasons = [(line, reason) for _, line, _, reason, _, _ in quarantined(warehouse)]
    assert reasons == [
        (2, "re-sent event: event_id dl-000001 is kept with downloaded_at"
            " 2026-03-02 10:00:00+00 (the copy loaded first wins)"),
        (5, "re-sent event: event_id dl-000003 is kept with downloaded_at"
            " 2026-03-04 10:00:00+00 (the copy loaded first wins)"),
    ]  # fmt: skip
    assert '"downloaded_at": "2026-07-15T08:00:00+00:00"' in quarantined(warehouse)[0][2]


def test_csv_and_json_lines_load_identical_rows(warehouse: Warehouse, landing: Path) -> None:
    rows = [download(n, error_message='said "no", then, left') for n in range(20)]
    snapshot = (
        "select md5(string_agg(t::text, '|' order by event_id)) from ("
        " select event_id, downloaded_at, user_id, organization_id, module_name, version,"
        " language, file_size, duration_ms, success, error_message, ip_address, user_agent,"
        " client_sdk, client_version, cache_hit from raw.download_events) as t"
    )
    loader.load_file(warehouse, write_csv(landing, "download_events__c.csv", list(rows)))
    from_csv = scalar(warehouse, snapshot)
    with warehouse.cursor() as cursor:
        cursor.execute("truncate raw.download_events")
    loader.load_file(warehouse, write_jsonl(landing, "download_events__j.jsonl", list(rows)))
    assert scalar(warehouse, snapshot) == from_csv


def test_rows_land_in_their_month_partition(warehouse: Warehouse, landing: Path) -> None:
    old = download(1, downloaded_at="2015-03-04T05:06:07Z")
    loader.load_file(warehouse, write_csv(landing, "download_events__old.csv", [old]))
    assert scalar(warehouse, "select count(*) from raw.download_events_2015_03") == 1
    assert scalar(warehouse, "select count(*) from raw.download_events_default") == 0


def test_each_load_records_the_event_dates_it_touched(warehouse: Warehouse, landing: Path) -> None:
    rows = [download(n, downloaded_at=f"2026-03-0{1 + n % 3}T23:30:00Z") for n in range(9)]
    result = loader.load_file(warehouse, write_csv(landing, "download_events__e.csv", rows))
    with warehouse.cursor() as cursor:
        dates = cursor.execute(
            "select event_date::text, rows from raw._load_event_dates where load_id = %s"
            " order by 1",
            (result.load_id,),
        ).fetchall()
    assert dates == [("2026-03-01", 3), ("2026-03-02", 3), ("2026-03-03", 3)]


def test_a_file_that_cannot_load_leaves_the_warehouse_as_it_was(
    warehouse: Warehouse, landing: Path
) -> None:
    path = landing / "download_events__bad_header.csv"
    path.write_text("event_id,downloaded_at,favourite_colour\nx,2026-03-01T00:00:00Z,blue\n")
    with pytest.raises(loader.LoadError, match=r"unknown column.*favourite_colour"):
        loader.load_file(warehouse, path)
    for table in ("raw._loads", "raw._quarantine", "raw.download_events"):
        assert scalar(warehouse, f"select count(*) from {table}") == 0


def test_row_equation_holds_for_every_generated_file(warehouse: Warehouse, tmp_path: Path) -> None:
    spec = GeneratorSpec(events=6_000, days=4, seed=3, invalid_share=0.02, duplicate_share=0.02)
    files = generate(spec, tmp_path / "gen")
    results = [loader.load_file(warehouse, path) for path in files]
    for path, result in zip(files, results, strict=True):
        records = len(path.read_text().splitlines()) - 1  # generated CSV: one record a line
        assert result.rows_read == records, path.name
        assert records == result.rows_loaded + result.rows_quarantined + result.rows_duplicate
    assert sum(r.rows_quarantined for r in results) > 0
    assert sum(r.rows_duplicate for r in results) > 0
    with warehouse.cursor() as cursor:
        ledger = cursor.execute(
            "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from raw._loads"
        ).fetchone()
        in_quarantine = cursor.execute("select count(*) from raw._quarantine").fetchone()[0]
        in_tables = sum(
            cursor.execute(
                f"select count(*) from raw.{r.table} where _load_id = %s", (r.load_id,)
            ).fetchone()[0]
            for r in results
        )
    assert ledger == (sum(r.rows_read for r in results), in_tables, in_quarantine)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingest", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def _libpq_env(warehouse: Warehouse) -> dict[str, str]:
    return {"WAREHOUSE_URL": warehouse.url}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["load", "no/such/file.csv"], "no/such/file.csv: no such file"),
        (["load", "--source", "mainframe", "x.csv"], "unknown source 'mainframe'"),
    ],
)
def test_cli_reports_a_clear_one_line_error(
    warehouse: Warehouse, args: list[str], message: str
) -> None:
    result = run_cli(*args, env=_libpq_env(warehouse))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {message}" + result.stderr.strip().split(message, 1)[1]
    ]


def test_cli_rejects_a_file_of_an_unknown_table(warehouse: Warehouse, landing: Path) -> None:
    (landing / "invoices__1.csv").write_text("id\n1\n")
    result = run_cli("load", str(landing / "invoices__1.csv"), env=_libpq_env(warehouse))
    assert result.returncode == 2
    assert result.stderr.startswith("error: unknown raw table 'invoices'")


def test_cli_reports_an_unreachable_database(landing: Path) -> None:
    path = write_csv(landing, "download_events__u.csv", [download(1)])
    result = run_cli("load", str(path), env={"WAREHOUSE_URL": "postgresql://nobody@127.0.0.1:9/x"})
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: cannot connect to the warehouse")


def test_cli_loads_and_prints_the_row_equation(warehouse: Warehouse, landing: Path) -> None:
    write_csv(landing, "download_events__ok.csv", [download(1), download(1), "x"])
    result = run_cli("load", str(landing), env=_libpq_env(warehouse))
    assert result.returncode == 0, result.stderr
    assert "read 3, loaded 1, quarantined 1, duplicates skipped 1" in result.stdout
