"""Loads running at the same time, partitions and the locks they take, and servers whose
TimeZone is not UTC. Two loads are lined up on purpose: the test holds a lock both need, waits
until both wait for it, then lets them go at once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest

from ingest import loader, migrate
from ingest.warehouse import Warehouse
from tests.test_loader import download, scalar, write_csv
from tests.test_loader_catalogs import module, modules, write_rows

SETTLE_VARIABLE = "WAREHOUSE_SETTLE_SECONDS"  # the settle time of `ingest load`
OLD_MONTH = "2015-03"  # no partition exists for it until a load needs it


def start_cli(warehouse: Warehouse, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "WAREHOUSE_URL": warehouse.url,
            SETTLE_VARIABLE: "0",
        },
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=120)
    return process.returncode, stdout, stderr


def backends_waiting(observer: psycopg.Connection, doing: str) -> list[int]:
    """The client sessions of this database waiting for a lock, whose statement matches the
    regular expression `doing` (an autovacuum worker can wait on the same lock)."""
    rows = observer.execute(
        "select distinct a.pid from pg_locks l join pg_stat_activity a using (pid)"
        " where not l.granted and a.datname = current_database()"
        " and a.backend_type = 'client backend' and a.query ~ %s",
        (doing,),
    ).fetchall()
    return [row[0] for row in rows]


@contextmanager
def lined_up(warehouse: Warehouse, lock: str, waiters: int, doing: str = "") -> Iterator[None]:
    """Holds `lock` while the block starts loads, until `waiters` sessions whose statement
    matches the regular expression `doing` wait for a lock.

    Only client sessions count: an autovacuum worker can wait on the same lock.
    """
    with warehouse.connect() as holder:
        holder.execute(lock)
        yield
        deadline = time.monotonic() + 60
        with warehouse.connect(autocommit=True) as observer:
            while time.monotonic() < deadline:
                if len(backends_waiting(observer, doing)) >= waiters:
                    break
                time.sleep(0.02)
        holder.commit()


def test_the_same_file_loaded_twice_at_once_loads_once(warehouse: Warehouse, landing: Path) -> None:
    path = write_csv(landing, "download_events__twice.csv", [download(n) for n in range(500)])
    lock = "lock table raw._loads in access exclusive mode"
    with lined_up(warehouse, lock, waiters=2, doing=r"raw\._loads"):
        processes = [start_cli(warehouse, "load", str(path)) for _ in range(2)]
    outcomes = [finish(p) for p in processes]

    assert [code for code, _, _ in outcomes] == [0, 0], outcomes
    assert all(stderr == "" for _, _, stderr in outcomes), outcomes
    lines = sorted(stdout.splitlines()[0] for _, stdout, _ in outcomes)
    assert lines[0].startswith("download_events__twice.csv -> raw.download_events: read 500")
    assert re.fullmatch(
        r"download_events__twice.csv: already loaded as load \d+, nothing to do", lines[1]
    )
    assert scalar(warehouse, "select count(*) from raw._loads") == 1
    assert scalar(warehouse, "select count(*) from raw.download_events") == 500


def test_two_loads_needing_the_same_new_month_both_load(
    warehouse: Warehouse, landing: Path
) -> None:
    paths = [
        write_csv(
            landing,
            f"download_events__m{k}.csv",
            [
                download(k * 100 + n, downloaded_at=f"{OLD_MONTH}-0{1 + n % 9}T00:00:00Z")
                for n in range(50)
            ],
        )
        for k in range(2)
    ]
    # Two stages, so that both loads have read the table's definition before either adds the
    # month: first both wait at the ledger, then both where they add the month (ACCESS SHARE
    # lets them read the definition but not add a partition).
    adding = "lock table raw.download_events in access share mode"
    ledger = "lock table raw._loads in access exclusive mode"
    with (
        lined_up(warehouse, adding, 2, doing="ensure_month_partitions"),
        lined_up(warehouse, ledger, 2, doing=r"raw\._loads"),
    ):
        processes = [start_cli(warehouse, "load", str(path)) for path in paths]
    outcomes = [finish(p) for p in processes]

    assert [code for code, _, _ in outcomes] == [0, 0], outcomes
    assert all(stderr == "" for _, _, stderr in outcomes), outcomes
    assert scalar(warehouse, "select count(*) from raw.download_events_2015_03") == 100
    assert scalar(warehouse, "select count(*) from raw._loads") == 2


def test_a_load_waiting_to_add_a_month_does_not_queue_new_readers(
    warehouse: Warehouse, landing: Path
) -> None:
    """A long reader delays the creation of a new month; readers arriving meanwhile still read.

    The creation asks for its locks with a short lock timeout and asks again, so a reader never
    queues behind it for long.
    """
    path = write_csv(
        landing,
        "download_events__old.csv",
        [download(n, downloaded_at=f"{OLD_MONTH}-01T00:00:00Z") for n in range(10)],
    )
    with warehouse.connect() as long_reader:
        long_reader.execute("select count(*) from raw.download_events")  # holds its locks
        process = start_cli(warehouse, "load", str(path))
        wait_until_a_load_waits(warehouse, process, long_reader.info.backend_pid)
        with warehouse.connect() as new_reader:
            new_reader.execute("set lock_timeout = '5s'")
            new_reader.execute("select count(*) from raw.download_events").fetchone()
        long_reader.rollback()
    code, stdout, stderr = finish(process)
    assert code == 0, stderr
    assert "read 10, loaded 10" in stdout
    assert scalar(warehouse, "select count(*) from raw.download_events_2015_03") == 10


def wait_until_a_load_waits(
    warehouse: Warehouse, process: subprocess.Popen[str], other_pid: int
) -> None:
    with warehouse.connect(autocommit=True) as observer:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            waiting = observer.execute(
                "select count(*) from pg_locks l join pg_stat_activity a using (pid)"
                " where a.datname = current_database() and not l.granted"
                " and a.backend_type = 'client backend'"
                " and a.pid not in (pg_backend_pid(), %s)",
                (other_pid,),
            ).fetchone()[0]
            if waiting:
                return
            time.sleep(0.01)
    raise AssertionError(f"the load never waited for a lock: {process.poll()}")


def test_the_load_holds_no_exclusive_lock_on_the_table(warehouse: Warehouse, landing: Path) -> None:
    """While a load that added a month inserts its rows, it holds only row-level-write locks."""
    path = write_csv(
        landing,
        "download_events__old.csv",
        [download(n, downloaded_at=f"{OLD_MONTH}-0{1 + n % 9}T00:00:00Z") for n in range(20)],
    )
    # The load's insert statement also writes raw._load_event_dates: holding a lock on it
    # stops the load inside that statement, with every lock of the load taken.
    with warehouse.connect() as blocker:
        blocker.execute("lock table raw._load_event_dates in share mode")
        process = start_cli(warehouse, "load", str(path))
        modes = held_modes_once_waiting(warehouse, process, blocker.info.backend_pid)
        blocker.rollback()
    code, _, stderr = finish(process)
    assert code == 0, stderr
    assert "RowExclusiveLock" in modes
    assert "AccessExclusiveLock" not in modes


def held_modes_once_waiting(
    warehouse: Warehouse, process: subprocess.Popen[str], blocker_pid: int
) -> list[str]:
    """The lock modes other sessions hold on raw.download_events once one of them waits."""
    others = (
        "a.datname = current_database() and a.backend_type = 'client backend'"
        " and a.pid not in (pg_backend_pid(), %s)"
    )
    with warehouse.connect(autocommit=True) as observer:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            waiting = observer.execute(
                "select count(*) from pg_locks l join pg_stat_activity a using (pid)"
                f" where {others} and not l.granted",
                (blocker_pid,),
            ).fetchone()[0]
            if waiting:
                return [
                    mode
                    for (mode,) in observer.execute(
                        "select l.mode from pg_locks l join pg_stat_activity a using (pid)"
                        f" where {others} and l.granted"
                        " and l.relation = 'raw.download_events'::regclass",
                        (blocker_pid,),
                    )
                ]
            time.sleep(0.02)
    raise AssertionError("the load never waited")


# --- Servers whose TimeZone is not UTC ----------------------------------------------------


def _month(offset: int) -> date:
    today = datetime.now(UTC).date()
    index = today.year * 12 + today.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


@pytest.fixture(params=["America/New_York", "Asia/Tokyo"])
def zoned_warehouse(request: pytest.FixtureRequest, empty_warehouse: Warehouse) -> Warehouse:
    """A fresh database whose own TimeZone setting is not UTC, migrated in that zone."""
    with empty_warehouse.connect(autocommit=True) as db:
        db.execute(f"alter database \"{empty_warehouse.dbname}\" set timezone = '{request.param}'")
    with empty_warehouse.connect() as db:  # a new session picks the setting up
        assert db.execute("show timezone").fetchone()[0] == request.param
    migrate.migrate(empty_warehouse)
    return empty_warehouse


def misfiled_rows(warehouse: Warehouse) -> list[tuple[object, ...]]:
    """Rows not in the partition named for their UTC month."""
    with warehouse.cursor() as cursor:
        return cursor.execute(
            "select tableoid::regclass::text, event_id, downloaded_at from raw.download_events"
            " where tableoid::regclass::text <> 'raw.download_events_'"
            " || to_char(downloaded_at at time zone 'UTC', 'YYYY_MM')"
        ).fetchall()


def partition_bounds(warehouse: Warehouse) -> dict[str, str]:
    with warehouse.connect() as db:
        db.execute("set timezone = 'UTC'")
        return dict(
            db.execute(
                "select c.relname, pg_get_expr(c.relpartbound, c.oid) from pg_inherits i"
                " join pg_class c on c.oid = i.inhrelid"
                " where i.inhparent = 'raw.download_events'::regclass"
            ).fetchall()
        )


def test_month_partitions_are_utc_months_whatever_the_server_time_zone(
    zoned_warehouse: Warehouse, landing: Path
) -> None:
    first, last = _month(-12), _month(3)
    boundary = _month(-1)
    with zoned_warehouse.cursor() as cursor:  # as after a month rollover: a new month ahead
        cursor.execute(f"drop table raw.download_events_{last:%Y_%m}")
    rows = [
        download(1, downloaded_at=f"{boundary.replace(day=1)}T00:30:00Z"),  # a UTC month's start
        download(2, downloaded_at=f"{_month(-2):%Y-%m}-28T23:30:00Z"),
        download(3, downloaded_at=f"{boundary:%Y-%m}-01 02:00:00"),  # naive: UTC
        download(4, downloaded_at=f"{first:%Y-%m}-01T01:00:00Z"),  # the oldest month made
        download(5, downloaded_at=f"{_month(-14):%Y-%m}-15T12:00:00Z"),  # old late data
        download(6, downloaded_at=f"{_month(-13):%Y-%m}-01T00:00:00Z"),
        download(7, downloaded_at="2015-06-30T23:59:59Z"),
        download(8, downloaded_at="2015-07-01T00:00:00+09:00"),  # 2015-06-30 15:00 UTC
    ]
    result = loader.load_file(zoned_warehouse, write_csv(landing, "download_events__tz.csv", rows))

    assert (result.rows_loaded, result.rows_quarantined) == (8, 0)
    assert misfiled_rows(zoned_warehouse) == []
    assert scalar(zoned_warehouse, "select count(*) from raw.download_events_default") == 0
    bounds = partition_bounds(zoned_warehouse)
    assert f"download_events_{last:%Y_%m}" in bounds  # the month ahead came back
    for name, bound in bounds.items():
        if name.endswith("_default"):
            continue
        match = re.fullmatch(
            r"FOR VALUES FROM \('(\d{4})-(\d\d)-01 00:00:00\+00'\)"
            r" TO \('(\d{4})-(\d\d)-01 00:00:00\+00'\)",
            bound,
        )
        assert match, bound
        year, month, next_year, next_month = map(int, match.groups())
        assert name == f"download_events_{year}_{month:02d}", bound
        assert next_year * 12 + next_month == year * 12 + month + 1, bound
    with zoned_warehouse.cursor() as cursor:
        dates = cursor.execute(
            "select event_date::text from raw._load_event_dates order by 1"
        ).fetchall()
    assert ("2015-06-30",) in dates and ("2015-07-01",) not in dates


def test_a_time_zone_database_migrated_before_the_fix_is_realigned(
    empty_warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Partitions made in local time (the first six migrations) move to UTC with their rows."""
    with empty_warehouse.connect(autocommit=True) as db:
        db.execute(f"alter database \"{empty_warehouse.dbname}\" set timezone = 'America/New_York'")
    everything = migrate.available_migrations()
    monkeypatch.setattr(
        migrate, "available_migrations", lambda: [m for m in everything if m.version <= 6]
    )
    migrate.migrate(empty_warehouse)
    start = _month(-2)
    with empty_warehouse.connect() as db:
        db.execute(
            "insert into raw._loads (source, table_name, file_name, content_sha256, file_bytes,"
            " rows_read, rows_loaded, rows_quarantined, rows_duplicate, started_at)"
            " values ('registry', 'download_events', 'x', 'x', 1, 0, 0, 0, 0, now())"
        )
        db.execute(
            "insert into raw.download_events (event_id, downloaded_at, module_name, version,"
            " language, success, _load_id)"
            " select 'e' || h, %s::timestamp at time zone 'UTC' + h * interval '1 hour',"
            " 'm', 'v', 'go', true, 1 from generate_series(-30, 1500) as h",
            (start,),
        )
    assert misfiled_rows(empty_warehouse) != []  # local-time partitions: rows in the wrong month

    monkeypatch.setattr(migrate, "available_migrations", lambda: everything)
    migrate.migrate(empty_warehouse)

    assert scalar(empty_warehouse, "select count(*) from raw.download_events") == 1531
    assert misfiled_rows(empty_warehouse) == []
    assert scalar(empty_warehouse, "select count(*) from raw.download_events_default") == 0
    assert not [
        b
        for n, b in partition_bounds(empty_warehouse).items()
        if "+00'" not in b and b != "DEFAULT"
    ]
    with pytest.raises(psycopg.errors.UndefinedTable):
        scalar(empty_warehouse, f"select count(*) from raw.download_events_{start:%Y_%m}_tz")


def claimed_at_once(warehouse: Warehouse, paths: list[Path]) -> list[tuple[int, str, str]]:
    """Loads the files by the CLI, lined up to claim their event ids at the same moment."""
    claiming = "lock table raw._event_ids in access exclusive mode"
    with lined_up(warehouse, claiming, len(paths), doing=r"raw\._event_ids"):
        processes = [start_cli(warehouse, "load", str(path)) for path in paths]
    return [finish(p) for p in processes]


def test_the_same_event_with_two_times_loaded_at_once_is_kept_once(
    warehouse: Warehouse, landing: Path
) -> None:
    """Two files, one event id, two times, loaded at the same moment: whichever load claims
    the id first keeps its copy, the other quarantines its own; never both, never neither."""
    paths = [
        write_csv(
            landing,
            f"download_events__copy{k}.csv",
            [download(7, downloaded_at=f"2026-0{3 + k}-10T00:00:00Z"), download(100 + k)],
        )
        for k in range(2)
    ]
    outcomes = claimed_at_once(warehouse, paths)

    assert [code for code, _, _ in outcomes] == [0, 0], outcomes
    assert scalar(warehouse, "select count(*) from raw.download_events") == 3
    assert (
        scalar(
            warehouse,
            "select count(*) from raw._quarantine as copy join raw.download_events as kept"
            " on kept.event_id = 'dl-000007'"
            " where copy.reason like 're-sent event: event_id dl-000007 is kept with %%'"
            " and (copy.original_text::jsonb ->> 'downloaded_at')::timestamptz"
            " <> kept.downloaded_at",
        )
        == 1
    )


def test_re_sent_copies_loaded_before_the_id_ledger_move_to_quarantine(
    empty_warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 0011: of the copies already in raw, the one loaded first stays; the others go
    to quarantine, and their loads count as new so the next dbt run rebuilds their days."""
    everything = migrate.available_migrations()
    monkeypatch.setattr(
        migrate, "available_migrations", lambda: [m for m in everything if m.version <= 10]
    )
    migrate.migrate(empty_warehouse)
    with empty_warehouse.connect() as db:
        for load, day in ((1, "2026-03-01"), (2, "2026-05-01")):
            db.execute(
                "insert into raw._loads (source, table_name, file_name, content_sha256,"
                " file_bytes, rows_read, rows_loaded, rows_quarantined, rows_duplicate,"
                " started_at) values ('registry', 'download_events', %s, %s, 1, 2, 2, 0, 0,"
                " now())",
                (f"file{load}", f"sha{load}"),
            )
            db.execute(
                "insert into raw.download_events (event_id, downloaded_at, module_name,"
                " version, language, success, _load_id, _loaded_at)"
                " values ('resent', %s, 'm', 'v', 'go', true, %s, %s), (%s, %s, 'm', 'v', 'go',"
                " true, %s, %s)",
                (day, load, f"2026-06-0{load}", f"only{load}", day, load, f"2026-06-0{load}"),
            )
        before = db.execute("select load_xid from raw._loads where load_id = 2").fetchone()[0]

    monkeypatch.setattr(migrate, "available_migrations", lambda: everything)
    migrate.migrate(empty_warehouse)

    with empty_warehouse.connect() as db:
        kept = db.execute(
            "select event_id, downloaded_at::date::text from raw.download_events order by 1"
        ).fetchall()
        loads = db.execute(
            "select load_id, rows_loaded, rows_quarantined, load_xid <> %s"
            " from raw._loads order by 1",
            (before,),
        ).fetchall()
        moved = db.execute("select load_id, file_name, reason from raw._quarantine").fetchall()
        ids = db.execute("select count(*) from raw._event_ids").fetchone()[0]
    assert kept == [("only1", "2026-03-01"), ("only2", "2026-05-01"), ("resent", "2026-03-01")]
    assert loads == [(1, 2, 0, False), (2, 1, 1, True)], "only the load that lost a copy"
    assert moved == [
        (2, "file2", "re-sent event: event_id resent was loaded before with downloaded_at"
            " 2026-03-01 00:00:00+00; the first copy is kept (moved here by migration 0011)"),
    ]  # fmt: skip
    assert ids == 3


def test_the_same_catalog_change_loaded_twice_at_once_is_one_version(
    warehouse: Warehouse, landing: Path
) -> None:
    """Two files (other bytes, the same change of a module) loaded at the same moment: the
    second compares with what the first committed, so the change is one new version."""
    loader.load_file(warehouse, write_rows(landing, "modules__1.csv", [module("acme.billing")]))
    paths = [
        write_rows(
            landing,
            f"modules__moved{k}.{'csv' if k else 'jsonl'}",
            [module("acme.billing", org="org-2")],
        )
        for k in range(2)
    ]
    holding = "lock table raw.modules in access exclusive mode"
    with lined_up(warehouse, holding, 2, doing=r"lock table raw\.\"modules\""):
        processes = [start_cli(warehouse, "load", str(path)) for path in paths]
    outcomes = [finish(p) for p in processes]

    assert [code for code, _, _ in outcomes] == [0, 0], outcomes
    assert [org for _, org, _, _ in modules(warehouse)] == ["org-1", "org-2"]
    assert sorted(stdout.split("loaded ")[1][0] for _, stdout, _ in outcomes) == ["0", "1"]
