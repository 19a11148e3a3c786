"""Which files load, and the command line's account of them: growing files, folders, bad names,
and faults mid-load (Ctrl-C, the server going away). Real files, real subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ingest import loader
from ingest.warehouse import Warehouse
from tests.test_loader import (
    DOWNLOAD_COLUMNS,
    download,
    run_cli,
    scalar,
    write_csv,
)
from tests.test_loader_concurrency import backends_waiting, wait_until_a_load_waits

SETTLE_VARIABLE = "WAREHOUSE_SETTLE_SECONDS"  # the settle time of `ingest load`
HOUR_AGO = time.time() - 3600
NOT_UTF8_NAME = os.fsdecode(b"download_events__caf\xe9.csv")


def cli_env(warehouse: Warehouse, settle_seconds: float = 0.0) -> dict[str, str]:
    return {
        "WAREHOUSE_URL": warehouse.url,
        SETTLE_VARIABLE: str(settle_seconds),
    }


def settled(path: Path) -> Path:
    """Makes the file look finished an hour ago."""
    os.utime(path, (HOUR_AGO, HOUR_AGO))
    return path


def counts(warehouse: Warehouse) -> tuple[object, ...]:
    with warehouse.cursor() as cursor:
        return cursor.execute(
            "select (select count(*) from raw._loads), (select count(*) from raw._quarantine),"
            " (select count(*) from raw.download_events)"
        ).fetchone()


def csv_line(row: dict[str, object]) -> str:
    return ",".join("" if row[c] is None else str(row[c]) for c in DOWNLOAD_COLUMNS)


@contextmanager
def growing(path: Path, interval: float = 0.05) -> Iterator[None]:
    """Appends a complete row to `path` every `interval` seconds while the block runs."""
    stop = threading.Event()

    def append() -> None:
        number = 1000
        while not stop.wait(interval):
            with path.open("a") as handle:
                handle.write(csv_line(download(number)) + "\n")
            number += 1

    writer = threading.Thread(target=append, daemon=True)
    writer.start()
    try:
        yield
    finally:
        stop.set()
        writer.join()


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


# --- Files still being written ------------------------------------------------------------


def test_a_truncated_last_row_is_never_pinned(warehouse: Warehouse, landing: Path) -> None:
    """A writer caught mid-row: nothing loads until the row is whole, then all of it does."""
    complete = "\n".join([csv_line(download(1)), csv_line(download(2))]) + "\n"
    path = landing / "download_events__w.csv"
    header = ",".join(DOWNLOAD_COLUMNS) + "\n"
    cut = complete.index("spoke-cli", len(complete) // 2) + len("spo")
    path.write_text(header + complete[:cut])
    settled(path)

    first = run_cli("load", str(landing), env=cli_env(warehouse))

    assert first.returncode == 0, first.stderr
    assert "download_events__w.csv: not loaded yet: it does not end with a newline" in first.stdout
    assert counts(warehouse) == (0, 0, 0)

    path.write_text(header + complete)
    settled(path)
    second = run_cli("load", str(landing), env=cli_env(warehouse))

    assert second.returncode == 0, second.stderr
    assert "read 2, loaded 2" in second.stdout
    assert scalar(
        warehouse, "select user_agent from raw.download_events where event_id = 'dl-000002'"
    ) == ("spoke-cli/1.4.2")


def test_load_file_refuses_a_file_without_a_final_newline(
    warehouse: Warehouse, landing: Path
) -> None:
    path = landing / "download_events__n.csv"
    path.write_text(",".join(DOWNLOAD_COLUMNS) + "\n" + csv_line(download(1)))
    with pytest.raises(loader.LoadError, match="does not end with a newline"):
        loader.load_file(warehouse, path)
    assert counts(warehouse) == (0, 0, 0)


def test_landing_files_leave_out_a_file_until_it_stops_growing(
    landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """landing_files feeds Dagster's landing_sensor and the load asset."""
    monkeypatch.setenv(SETTLE_VARIABLE, "0.5")
    done = settled(write_csv(landing, "download_events__1.csv", [download(1)]))
    busy = write_csv(landing, "download_events__2.csv", [download(2)])
    cut = landing / "download_events__3.csv"
    cut.write_text(",".join(DOWNLOAD_COLUMNS) + "\n" + csv_line(download(3))[:40])
    settled(cut)

    with growing(busy):
        time.sleep(0.2)
        while_growing = loader.landing_files([landing])
    after = loader.landing_files([landing])

    assert while_growing == [done]
    assert after == [done, busy]


def test_the_cli_refuses_a_named_file_still_being_written(
    warehouse: Warehouse, landing: Path
) -> None:
    busy = write_csv(landing, "download_events__busy.csv", [download(1)])
    with growing(busy):
        result = run_cli("load", str(busy), env=cli_env(warehouse, settle_seconds=1))
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert line == (
        "error: download_events__busy.csv: not loaded: still being written"
        " (it changed less than 1 s ago)"
    )
    assert counts(warehouse) == (0, 0, 0)


def test_a_folder_load_skips_a_growing_file_and_loads_the_rest(
    warehouse: Warehouse, landing: Path
) -> None:
    settled(write_csv(landing, "download_events__1.csv", [download(1)]))
    busy = write_csv(landing, "download_events__2.csv", [download(2)])
    with growing(busy):
        result = run_cli("load", str(landing), env=cli_env(warehouse, settle_seconds=1))
    assert result.returncode == 0, result.stderr
    assert "download_events__1.csv -> raw.download_events: read 1, loaded 1" in result.stdout
    assert "download_events__2.csv: not loaded yet: still being written" in result.stdout
    assert counts(warehouse) == (1, 0, 1)


def test_a_file_that_changes_during_its_load_is_refused_and_leaves_nothing(
    warehouse: Warehouse, landing: Path
) -> None:
    path = settled(write_csv(landing, "download_events__ch.csv", [download(n) for n in range(20)]))
    # The load's last statement writes raw._load_event_dates: holding a lock on it stops the
    # load there, after the file was read.
    with warehouse.connect() as blocker:
        blocker.execute("lock table raw._load_event_dates in share mode")
        process = start_cli(warehouse, "load", str(path))
        wait_until_a_load_waits(warehouse, process, blocker.info.backend_pid)
        with path.open("a") as handle:
            handle.write(csv_line(download(99)) + "\n")
        blocker.rollback()
    _, stderr = process.communicate(timeout=120)

    assert process.returncode == 2
    assert one_error_line(stderr) == (
        "error: download_events__ch.csv: the file changed while it was being loaded;"
        " nothing was loaded, load it again once it is complete"
    )
    assert counts(warehouse) == (0, 0, 0)


# --- Folders: one bad file does not stop the others ---------------------------------------


def test_one_bad_file_does_not_stop_the_files_after_it(warehouse: Warehouse, landing: Path) -> None:
    write_csv(landing, "download_events__a.csv", [download(1)])
    (landing / "download_events__b.csv").write_text("event_id,favourite_colour\nx,blue\n")
    utf16 = write_csv(landing, "download_events__c.csv", [download(3)])
    utf16.write_bytes(b"\xff\xfe" + utf16.read_text().encode("utf-16-le"))
    write_csv(landing, "download_events__d.csv", [download(4)])
    for path in landing.iterdir():
        settled(path)

    result = run_cli("load", str(landing), env=cli_env(warehouse))

    assert result.returncode == 2
    errors = result.stderr.strip().splitlines()
    assert [e.split(":")[:2] for e in errors] == [
        ["error", " download_events__b.csv"],
        ["error", " download_events__c.csv"],
    ]
    assert "unknown column(s) favourite_colour" in errors[0]
    assert "encoded in UTF-16LE" in errors[1]
    assert "download_events__a.csv -> raw.download_events: read 1, loaded 1" in result.stdout
    assert "download_events__d.csv -> raw.download_events: read 1, loaded 1" in result.stdout
    assert "2 file(s) not loaded" in result.stdout
    assert counts(warehouse) == (2, 0, 2)


def test_a_missing_required_csv_column_fails_the_file_with_exit_2(
    warehouse: Warehouse, landing: Path
) -> None:
    path = landing / "download_events__r.csv"
    path.write_text("event_id,downloaded_at\nx,2026-03-01T00:00:00Z\ny,2026-03-01T00:00:00Z\n")
    result = run_cli("load", str(settled(path)), env=cli_env(warehouse))
    assert result.returncode == 2
    assert one_error_line(result.stderr).startswith(
        "error: download_events__r.csv: the header lacks required column(s) module_name,"
        " version, language, success of raw.download_events"
    )
    assert counts(warehouse) == (0, 0, 0)


# --- Names that are not UTF-8 -------------------------------------------------------------


def test_a_file_name_that_is_not_utf8_is_one_error_line(
    warehouse: Warehouse, landing: Path
) -> None:
    bad = settled(write_csv(landing, NOT_UTF8_NAME, [download(1)]))
    result = run_cli("load", str(bad), env=cli_env(warehouse))
    assert result.returncode == 2
    assert one_error_line(result.stderr) == (
        "error: download_events__caf\\xe9.csv: the file name is not valid UTF-8; rename the file"
    )
    assert counts(warehouse) == (0, 0, 0)


def test_a_folder_with_a_non_utf8_name_loads_the_other_files(
    warehouse: Warehouse, landing: Path
) -> None:
    settled(write_csv(landing, NOT_UTF8_NAME, [download(1)]))
    good = settled(write_csv(landing, "download_events__ok.csv", [download(2)]))
    result = run_cli("load", str(landing), env=cli_env(warehouse))
    assert result.returncode == 2
    assert "file name is not valid UTF-8" in one_error_line(result.stderr)
    assert counts(warehouse) == (1, 0, 1)
    assert loader.landing_files([landing]) == [good]  # Dagster never tries it


# --- Faults mid-load: one line, nothing partial -------------------------------------------


def big_csv(folder: Path, rows: int) -> Path:
    """A file big enough that landing and checking it take a while, written fast."""
    path = folder / "download_events__big.csv"
    template = (
        "dl-{n:08d},2026-03-{d:02d}T10:00:00Z,user-1,org-1,acme.billing,v1.0.0,go,{n},20,true,,"
        "10.1.2.3,spoke-cli/1.4.2,cli,1.4.2,false\n"
    )
    with path.open("w") as handle:
        handle.write(",".join(DOWNLOAD_COLUMNS) + "\n")
        for start in range(0, rows, 10_000):
            handle.write(
                "".join(template.format(n=n, d=1 + n % 28) for n in range(start, start + 10_000))
            )
    return settled(path)


def start_cli(warehouse: Warehouse, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **cli_env(warehouse)},
    )


def start_cli_as_a_terminal_does(warehouse: Warehouse, *args: str) -> subprocess.Popen[str]:
    """Starts the CLI with Ctrl-C at its default disposition, as a terminal starts it.

    A suite started in the background by a shell without job control (`make test &`) ignores
    SIGINT, a child inherits an ignored signal, and Python then installs no handler for it: the
    CLI would never see the test's Ctrl-C. A handler set here is reset to the default in the
    child by exec.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return start_cli(warehouse, *args)
    finally:
        # None: a handler not set from Python, which cannot be put back; the default is kept.
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


@contextmanager
def load_held_before_claiming_ids(
    warehouse: Warehouse, process: subprocess.Popen[str]
) -> Iterator[int]:
    """Holds the load `process` once it has landed and checked its rows, before it claims
    their ids, and yields the pid of its server backend.

    A lock the test holds makes the moment of the fault certain: a fault sent when the load
    was merely seen busy can arrive after it committed, on a loaded machine.
    """
    with warehouse.connect() as holder:
        holder.execute("lock table raw._event_ids in share mode")
        waiting: list[int] = []
        deadline = time.monotonic() + 120
        with warehouse.connect(autocommit=True) as observer:
            while not waiting and time.monotonic() < deadline and process.poll() is None:
                waiting = backends_waiting(observer, r"raw\._event_ids")
                time.sleep(0.01)
        if not waiting:
            process.kill()
            raise AssertionError(f"the load never waited to claim its ids: {process.communicate()}")
        yield waiting[0]
        holder.rollback()


def test_ctrl_c_mid_load_is_one_line_and_leaves_nothing(
    warehouse: Warehouse, landing: Path
) -> None:
    path = big_csv(landing, 100_000)
    process = start_cli_as_a_terminal_does(warehouse, "load", str(path))
    try:
        with load_held_before_claiming_ids(warehouse, process):
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=120)
    finally:
        process.kill()  # after a timeout: not left to finish the load once the lock is gone
        process.wait()

    assert process.returncode not in (0, None)
    assert one_error_line(stderr).startswith("error: interrupted")
    assert counts(warehouse) == (0, 0, 0)


def test_the_server_going_away_mid_load_is_one_line_and_leaves_nothing(
    warehouse: Warehouse, landing: Path
) -> None:
    path = big_csv(landing, 100_000)
    process = start_cli(warehouse, "load", str(path))
    with load_held_before_claiming_ids(warehouse, process) as backend:
        with warehouse.connect(autocommit=True) as db:
            db.execute("select pg_terminate_backend(%s)", (backend,))
        _, stderr = process.communicate(timeout=120)

    assert process.returncode == 2
    line = one_error_line(stderr)
    assert line.startswith("error: download_events__big.csv: lost the connection to the warehouse")
    assert line.endswith("nothing of this file was loaded")
    assert counts(warehouse) == (0, 0, 0)
