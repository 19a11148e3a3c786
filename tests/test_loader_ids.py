"""Issue 10: the event-id ledger as the one index of ids (migration 0016), the loader's fast
paths (every id new at once; every value cast once) and the careful paths they fall back to."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from ingest import embedded, loader, migrate
from ingest.warehouse import Warehouse
from tests.test_loader import download, quarantined, scalar, write_csv
from tests.test_loader_concurrency import claimed_at_once

ROWS_SNAPSHOT = (
    "select count(*), md5(string_agg(t::text, '|' order by t::text)) from ("
    " select event_id, downloaded_at, module_name, file_size, _load_id, _loaded_at"
    " from raw.download_events) as t"
)
IDS_SNAPSHOT = (
    "select count(*), md5(string_agg(table_name || ' ' || event_id || ' ' || event_time"
    " || ' ' || load_id, '|' order by table_name, event_id)) from raw._event_ids"
)
# Enough rows that a plan pairing every row with every row (rows x rows) stands out.
ROWS_WITH_A_REPEAT = 5_000
EVENT_TABLE_INDEXES = (
    "select string_agg(c.relname || ' ' || am.amname, ', ' order by c.relname)"
    " from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am am on am.oid = c.relam"
    " where i.indrelid = 'raw.download_events'::regclass"
)


def test_migration_0016_upgrades_a_loaded_warehouse_in_place(
    empty_warehouse: Warehouse, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warehouse built by the migrations before 0016, with loads in two months (and the
    secondary index the old 0006 made): after 0016 every row and every claimed id is still
    there, the event table's one index is its BRIN, and the ledger still recognises a re-sent
    copy and a duplicate of an event loaded before the upgrade."""
    everything = migrate.available_migrations()
    monkeypatch.setattr(
        migrate, "available_migrations", lambda: [m for m in everything if m.version < 16]
    )
    migrate.migrate(empty_warehouse)
    with empty_warehouse.cursor() as cursor:
        cursor.execute(
            "create index download_events_module_time_idx"
            " on raw.download_events (module_name, downloaded_at)"
        )
    march = [download(n) for n in range(1, 30)]
    may = [download(n, downloaded_at=f"2026-05-0{1 + n % 9}T09:00:00Z") for n in range(30, 40)]
    loader.load_file(empty_warehouse, write_csv(landing, "download_events__1.csv", march))
    loader.load_file(empty_warehouse, write_csv(landing, "download_events__2.csv", may))
    rows_before = scalar_row(empty_warehouse, ROWS_SNAPSHOT)
    ids_before = scalar_row(empty_warehouse, IDS_SNAPSHOT)
    assert "download_events_pkey btree" in scalar(empty_warehouse, EVENT_TABLE_INDEXES)

    monkeypatch.setattr(migrate, "available_migrations", lambda: everything)
    assert [m.version for m in migrate.migrate(empty_warehouse)] == [16]

    assert scalar_row(empty_warehouse, ROWS_SNAPSHOT) == rows_before
    assert scalar_row(empty_warehouse, IDS_SNAPSHOT) == ids_before
    assert rows_before[0] == ids_before[0] == 39
    assert scalar(empty_warehouse, EVENT_TABLE_INDEXES) == "download_events_time_idx brin"
    assert (
        scalar(
            empty_warehouse,
            "select string_agg(distinct collation_name, ',') from information_schema.columns"
            " where table_schema = 'raw' and table_name = '_event_ids'"
            " and column_name in ('table_name', 'event_id')",
        )
        == "C"
    )
    again = [
        download(3, downloaded_at="2026-07-15T08:00:00Z"),  # re-sent, another month
        download(35, downloaded_at="2026-05-09T09:00:00Z"),  # the same copy: a duplicate
        download(99),
    ]
    result = loader.load_file(empty_warehouse, write_csv(landing, "download_events__3.csv", again))
    assert (result.rows_loaded, result.rows_quarantined, result.rows_duplicate) == (1, 1, 1)
    assert quarantined(empty_warehouse)[0][3].startswith(
        "re-sent event: event_id dl-000003 is kept with downloaded_at 2026-03-04 10:00:00+00"
    )


def scalar_row(warehouse: Warehouse, query: str) -> tuple[object, ...]:
    with warehouse.cursor() as cursor:
        return tuple(cursor.execute(query).fetchone())


# Rows whose problem the fast path finds without asking pg_input_is_valid, and valid rows.
FAST_PROBLEMS: list[dict[str, object] | str] = [
    download(1),
    download(2, file_size="0x10"),  # valid input since PostgreSQL 16, not plain decimal
    download(3, duration_ms="1_000"),
    download(4, downloaded_at="now"),
    download(5, downloaded_at="2999-01-01T00:00:00Z"),
    download(6, file_size=-1),
    download(7, module_name=None),
    download(8, downloaded_at="1999-12-31T23:00:00Z"),
    download(9, module_name=None, file_size="0b101"),  # the first problem is named
    download(10),
]


def _careful_calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records, for each validation statement the loader runs, whether it was the fast one."""
    calls: list[bool] = []
    statement: Callable[..., object] = loader._checked_statement

    def recorded(*args: object, fast: bool) -> object:
        calls.append(fast)
        return statement(*args, fast=fast)

    monkeypatch.setattr(loader, "_checked_statement", recorded)
    return calls


def test_the_careful_validation_names_the_same_problems_as_the_fast_one(
    server: Warehouse,
    migrated_template: Warehouse,
    landing: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same rows, alone (every value is valid input: the fast path) and followed by one
    value that is not (the statement fails and the careful path runs): the same reasons for
    the same lines, and the same rows loaded."""
    from tests.databases import cloned_database

    calls = _careful_calls(monkeypatch)
    verdicts = []
    for name, rows in (
        ("download_events__fast.csv", FAST_PROBLEMS),
        ("download_events__careful.csv", [*FAST_PROBLEMS, download(11, file_size="abc")]),
    ):
        with cloned_database(server, migrated_template) as warehouse:
            result = loader.load_file(warehouse, write_csv(landing, name, rows))
            reasons = [(line, reason) for _, line, _, reason, _, _ in quarantined(warehouse)]
            loaded = scalar(warehouse, "select string_agg(event_id, ',' order by event_id)"
                            " from raw.download_events")  # fmt: skip
            verdicts.append((result.rows_loaded, reasons, loaded))
    assert calls == [True, True, False]
    fast, careful = verdicts
    assert careful[1][-1] == (12, "file_size is not a valid bigint: abc")
    assert careful[0] == fast[0] == 2
    assert careful[1][:-1] == fast[1]
    assert careful[2] == fast[2] == "dl-000001,dl-000010"
    assert [reason for _, reason in fast[1]] == [
        "file_size is not a valid bigint: 0x10",
        "duration_ms is not a valid integer: 1_000",
        "downloaded_at is a relative or special time, not a point in time: now",
        "downloaded_at is more than 1 day in the future",
        "violates check file_size_not_negative: (file_size >= 0)",
        "missing required field module_name",
        "downloaded_at is before 2000-01-01",
        "missing required field module_name",
    ]


def test_two_loads_of_the_same_new_events_in_opposite_orders_load_each_once(
    warehouse: Warehouse, landing: Path
) -> None:
    """Two files with the same 3,000 new events, one in reverse order, loaded at the same
    moment: their plain inserts of the ids meet from both ends (a deadlock, or one waits for
    the other's commit); the load that steps back claims row by row. Both succeed, every
    event is loaded once, the other load counts them as duplicates."""
    rows = [download(n) for n in range(3000)]
    paths = [
        write_csv(landing, "download_events__up.csv", list(rows)),
        write_csv(landing, "download_events__down.csv", list(reversed(rows))),
    ]
    outcomes = claimed_at_once(warehouse, paths)

    assert [code for code, _, _ in outcomes] == [0, 0], outcomes
    assert scalar(warehouse, "select count(distinct event_id) from raw.download_events") == 3000
    assert scalar(warehouse, "select count(*) from raw.download_events") == 3000
    assert scalar(warehouse, "select count(*) from raw._event_ids") == 3000
    assert scalar(
        warehouse, "select array_agg(rows_loaded order by rows_loaded) from raw._loads"
    ) == [0, 3000]
    assert scalar(
        warehouse, "select array_agg(rows_duplicate order by rows_loaded) from raw._loads"
    ) == [3000, 0]


def test_the_embedded_server_keeps_the_ledger_index_in_shared_buffers(server: Warehouse) -> None:
    """The claim of 5M event ids not in key order took 104 s with PostgreSQL's default 128 MB
    of shared_buffers and 31 s with 1 GB (BENCHMARKS.md, loader): the embedded server starts
    with it. A server started by an older version keeps its settings until `make stop`."""
    if not server.embedded:
        pytest.skip("a configured server's memory is its operator's choice")
    wanted = embedded.SERVER_SETTINGS["shared_buffers"]
    running = scalar(server, "select current_setting('shared_buffers')")
    assert running == wanted, f"the embedded server runs with {running}: restart it (make stop)"


def _rows_handled(plan: dict[str, Any]) -> float:
    """Rows a plan node and its children produced or threw away, over all their loops: the
    work of a statement in rows, which a nested loop pairing every row with every row blows up
    (rows x rows) whatever the machine's speed."""
    own = plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)
    own += plan.get("Rows Removed by Join Filter", 0)
    return own * plan.get("Actual Loops", 1) + sum(map(_rows_handled, plan.get("Plans", [])))


def _insert_work(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Records the rows handled by each insert of `_insert` (the statement that reads every
    checked row once more), from EXPLAIN ANALYZE of the same statement in the same transaction,
    rolled back before the loader runs it. Only that statement: an earlier one explained and
    rolled back would leave dead rows that change the plans after it."""
    work: list[float] = []
    execute = psycopg.Connection.execute

    def explained(self: psycopg.Connection, query: Any, *args: Any, **kwargs: Any) -> Any:
        text = query.as_string(self) if isinstance(query, sql.Composable) else str(query)
        if "loaded as (" in text:
            with contextlib.suppress(psycopg.Rollback), self.transaction():
                [[[root]]] = execute(self, f"explain (analyze, format json) {text}").fetchall()
                work.append(_rows_handled(root["Plan"]))
                raise psycopg.Rollback
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", explained)
    return work


def test_a_file_with_a_repeated_id_costs_passes_over_its_rows_not_pairs_of_them(
    warehouse: Warehouse, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One repeated id sends a file down the careful path (`_claim_event_ids`), whose insert
    joins the file's checked rows with the ledger. The checked rows are a temp table without
    statistics and this load's ids are new to the ledger's: planned on those guesses, a file of
    50,000 product events took 155 s, a nested loop comparing every row with every row."""
    rows: list[dict[str, object] | str] = [download(n) for n in range(ROWS_WITH_A_REPEAT)]
    work = _insert_work(monkeypatch)
    result = loader.load_file(
        warehouse, write_csv(landing, "download_events__1.csv", [*rows, download(7)])
    )
    assert (result.rows_loaded, result.rows_duplicate) == (ROWS_WITH_A_REPEAT, 1)
    assert len(work) == 1
    assert work[0] < 20 * ROWS_WITH_A_REPEAT, f"{work[0]:,.0f} rows handled"


def test_a_file_sent_again_with_one_more_line_loads_that_line_only(
    warehouse: Warehouse, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every id of the file known (other bytes, so not skipped as the same file): all of them
    go through the careful path's lookup in the event table, still in passes over the rows."""
    rows: list[dict[str, object] | str] = [download(n) for n in range(ROWS_WITH_A_REPEAT)]
    loader.load_file(warehouse, write_csv(landing, "download_events__1.csv", rows))
    work = _insert_work(monkeypatch)
    again = [*rows, download(ROWS_WITH_A_REPEAT)]
    result = loader.load_file(warehouse, write_csv(landing, "download_events__2.csv", again))
    assert (result.rows_loaded, result.rows_duplicate) == (1, ROWS_WITH_A_REPEAT)
    assert scalar(warehouse, "select count(*) from raw.download_events") == len(again)
    assert len(work) == 1
    assert work[0] < 20 * ROWS_WITH_A_REPEAT, f"{work[0]:,.0f} rows handled"
