"""Which files load: files still being written, files changed mid-load, headers that lack a
required column. Real files, real subprocesses."""

from __future__ import annotations

import os
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
    write_csv,
)
from tests.test_loader_concurrency import wait_until_a_load_waits

SETTLE_VARIABLE = "WAREHOUSE_SETTLE_SECONDS"  # the settle time of `ingest load`
HOUR_AGO = time.time() - 3600


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


def start_cli(warehouse: Warehouse, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **cli_env(warehouse)},
    )


# --- Files still being written ------------------------------------------------------------


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
