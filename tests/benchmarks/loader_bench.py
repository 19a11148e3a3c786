"""Loader throughput against a bare COPY of the same rows (a benchmark, not a test).

Generates clean download events (no invalid or duplicate rows, so a bare COPY accepts them),
joins them into one CSV file per size, and loads that file three times, each in a child
process and a fresh database: through the loader; by a bare COPY into the identical table
(its indexes included); by a bare COPY into the same partitioned table without any index, the
floor of any load. Prints rows/s of each, the loader's ratio to both, the loader's peak
memory and the machine's load average (other work on the same cores slows every figure).
Sizes: BENCH_LOADER_ROWS (default "1000000,5000000").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ingest import loader, migrate
from ingest.generator import GeneratorSpec, event_shares, generate
from ingest.warehouse import Warehouse, resolve
from tests.benchmarks.history import Ratio
from tests.databases import administrator, fresh_database

TABLE = "download_events"


def _one_file(rows: int, folder: Path) -> Path:
    spec = GeneratorSpec(events=int(rows / event_shares()[TABLE]), days=90, seed=1).clean()
    daily = [
        p for p in generate(spec, folder / "days", tables=(TABLE,)) if p.name.startswith(TABLE)
    ]
    target = folder / f"{TABLE}__bench_{rows}.csv"
    with target.open("wb") as out:
        for index, path in enumerate(sorted(daily)):
            with path.open("rb") as handle:
                header = handle.readline()
                if index == 0:
                    out.write(header)
                while chunk := handle.read(1 << 20):
                    out.write(chunk)
            path.unlink()
    return target


def _bare_copy(warehouse: Warehouse, path: Path) -> None:
    with warehouse.connect() as connection, connection.cursor() as cursor:
        header = path.open().readline().strip()
        statement = f"copy raw.{TABLE} ({header}) from stdin (format csv, header true)"
        with cursor.copy(statement) as copy, path.open("rb") as handle:
            while chunk := handle.read(loader.CHUNK_BYTES):
                copy.write(chunk)


def _child(mode: str, url: str, file: str) -> None:
    """Runs one load in this process and prints its seconds and peak memory as JSON."""
    from ingest.warehouse import _from_url

    warehouse = _from_url(url)
    started = time.perf_counter()
    if mode == "loader":
        result = loader.load_file(warehouse, Path(file))
        assert result.rows_quarantined == 0 and result.rows_duplicate == 0, result
    else:  # bare or unindexed
        _bare_copy(warehouse, Path(file))
    seconds = time.perf_counter() - started
    # VmHWM, not ru_maxrss: the latter keeps the parent's high-water mark across fork and exec.
    status = Path("/proc/self/status").read_text()
    peak_mb = int(status.split("VmHWM:")[1].split()[0]) / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb}))


MODES = ("loader", "bare", "unindexed")


def _prepare(warehouse: Warehouse, mode: str) -> Warehouse:
    migrate.migrate(warehouse)
    with warehouse.cursor() as cursor:
        if mode != "loader":  # a bare COPY has no load id to give
            cursor.execute(f"alter table raw.{TABLE} alter column _load_id set default 0")
        if mode == "unindexed":
            indexes = cursor.execute(
                "select indexrelid::regclass::text from pg_index where indrelid = %s::regclass",
                (f"raw.{TABLE}",),
            ).fetchall()
            for (index,) in indexes:
                cursor.execute(f"drop index {index}")
    return warehouse


def _measure(mode: str, warehouse: Warehouse, path: Path) -> dict[str, float]:
    # A checkpoint first, so neither load pays for the other's dirty pages (the superuser's:
    # the owner role may not checkpoint).
    with administrator(warehouse).connect(autocommit=True) as connection:
        connection.execute("checkpoint")
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.loader_bench",
            "--child",
            mode,
            warehouse.url,
            str(path),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _load_average() -> str:
    return "/".join(f"{load:.1f}" for load in os.getloadavg())


def main() -> list[Ratio]:
    sizes = [int(s) for s in os.environ.get("BENCH_LOADER_ROWS", "1000000,5000000").split(",")]
    server = resolve()
    print(f"loader vs bare COPY, raw.{TABLE}, {os.cpu_count()} cores")
    print(
        f"{'rows':>10} {'loader rows/s':>14} {'bare rows/s':>12} {'unindexed rows/s':>17}"
        f" {'vs bare':>8} {'vs unindexed':>13} {'loader peak MB':>15} {'load avg 1/5/15':>16}"
    )
    ratios: list[Ratio] = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            path = _one_file(rows, Path(tmp))
            rate: dict[str, float] = {}
            peak: dict[str, float] = {}
            for mode in MODES:
                with fresh_database(server, "bench") as database:
                    measured = _measure(mode, _prepare(database, mode), path)
                rate[mode], peak[mode] = rows / measured["seconds"], measured["peak_mb"]
            print(
                f"{rows:>10} {rate['loader']:>14,.0f} {rate['bare']:>12,.0f}"
                f" {rate['unindexed']:>17,.0f} {rate['loader'] / rate['bare']:>8.2f}"
                f" {rate['loader'] / rate['unindexed']:>13.2f} {peak['loader']:>15.0f}"
                f" {_load_average():>16}",
                flush=True,
            )
            path.unlink()
            at, unindexed = f"at {rows:,} rows", rate["loader"] / rate["unindexed"]
            ratios += [
                Ratio("loader", f"loader rows/s {at}", rate["loader"], 150_000, False),
                Ratio("loader", f"loader / bare COPY {at}", rate["loader"] / rate["bare"]),
                Ratio("loader", f"loader / unindexed COPY {at}", unindexed),
            ]
    return ratios


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _child(*sys.argv[2:])
    else:
        main()
