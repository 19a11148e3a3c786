"""What every "one source at two history sizes" benchmark shares.

Each source's benchmark loads the same steady daily traffic at two sizes (so the larger size is
a longer history, not denser days), builds its models, then times a one-day run: if the cost of
a day grows with history, the ratio of the two sizes shows it. Every size is prepared first,
then the sizes' one-day runs alternate, so that both meet the same load on a shared machine.
The loading, the dbt calls, the medians and the printed comparison are the same for every
source and live here; a source's benchmark keeps only what is its own (its selection, the
seed's way, its API queries).
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from ingest import loader, migrate
from ingest.generator import GeneratorSpec, event_shares, generate
from ingest.warehouse import PROJECT_ROOT, Warehouse, resolve
from orchestration.lib.settings import DBT_PRODUCTION_TARGET
from tests.databases import administrator, fresh_database

DAY_REPEATS_VARIABLE = "BENCH_DAY_REPEATS"
RATIO_TARGET = 1.3
SQL_STATUS = re.compile(r"SQL status: .* in ([0-9.]+) seconds")
Result = dict[str, Any]
# The one-day run's medians: short names for ratios, headings for the table of sizes.
DAY_COLUMNS = {"SQL": "day_sql_s", "models": "day_models_s", "wall": "day_wall_s"}
DAY_TABLE = {f"1-day {name} s": key for name, key in DAY_COLUMNS.items()}
# Set to keep each size's loaded and built database (bench_<source>_<events>) and use it again
# in later runs: a 10M load takes 15 minutes, so repeated measurements of the same history
# (the same statements at both sizes, interleaved) need not reload it.
KEEP_VARIABLE = "BENCH_KEEP_DATABASES"


@dataclass(frozen=True)
class SourceHistory:
    """One source's steady traffic: which raw tables, how many events a day, which models.

    BENCH_EVENTS_PER_DAY overrides the daily volume: `make bench` lowers it so that the same
    history lengths (100 and 1,000 days) load in minutes.
    """

    tables: Sequence[str]
    selection: Sequence[str]
    events_per_day: int = 10_000
    min_days: int = 7
    seed: int = 2
    ends_today: bool = False
    load_catalogs: bool = True
    counted_tables: Sequence[str] = ()
    dbt_seeds: bool = False
    name: str = ""

    @property
    def kept_name(self) -> str:
        """The short name of the source in its kept databases' names (bench_<name>_<events>):
        `name`, else the last part of the first selection (`staging.product`: product)."""
        return self.name or self.selection[0].rsplit(".", 1)[-1]

    def spec(self, events: int) -> GeneratorSpec:
        share = sum(s for table, s in event_shares().items() if table in self.tables)
        per_day = int(os.environ.get("BENCH_EVENTS_PER_DAY", self.events_per_day))
        days = max(self.min_days, round(events / per_day))
        end_date = {"end_date": date.today()} if self.ends_today else {}
        return GeneratorSpec(events=int(events / share), days=days, seed=self.seed, **end_date)

    def load(self, warehouse: Warehouse, events: int, folder: Path) -> GeneratorSpec:
        """Generates `events` events of clean, steady traffic and loads them, HISTORY_FILE_DAYS
        days of a table a file (see merged_history)."""
        spec = self.spec(events).clean().steady()
        files = generate(spec, folder, tables=tuple(self.tables))
        catalogs = [path for path in files if path.stem.endswith("__catalog")]
        for path in catalogs if self.load_catalogs else []:
            loader.load_file(warehouse, path)
        for path in merged_history([path for path in files if path not in catalogs]):
            loader.load_file(warehouse, path)
            path.unlink()
        for path in catalogs:
            path.unlink()
        return spec


# Days of one table per history file: the per-file cost of a load (its ledger, its
# transaction) made 1,000 daily files of each table most of `make bench`'s time.
HISTORY_FILE_DAYS = 50


def merged_history(day_files: Sequence[Path]) -> list[Path]:
    """The generator's daily files (`<table>__<day>.<ext>`, clean traffic: no late or re-sent
    rows to keep apart) joined into files of HISTORY_FILE_DAYS days per table, in day order;
    the daily files are removed. A CSV keeps its first file's header only."""
    by_table: dict[str, list[Path]] = {}
    for path in sorted(day_files):
        by_table.setdefault(path.name.split("__", 1)[0], []).append(path)
    merged = []
    for table, paths in by_table.items():
        for start in range(0, len(paths), HISTORY_FILE_DAYS):
            part = paths[start : start + HISTORY_FILE_DAYS]
            target = part[0].with_name(
                f"{table}__history-{start // HISTORY_FILE_DAYS:04d}{part[0].suffix}"
            )
            with target.open("wb") as out:
                for index, path in enumerate(part):
                    with path.open("rb") as day:
                        if index and path.suffix == ".csv":
                            day.readline()  # the header, written once
                        out.write(day.read())
                    path.unlink()
            merged.append(target)
    return merged


@contextmanager
def loaded_and_built(
    server: Warehouse, source: SourceHistory, events: int, work: Path
) -> Iterator[tuple[Warehouse, GeneratorSpec, Result]]:
    """A database holding `events` events of the source, its models built in full.

    Yields the database, the traffic's spec and the first figures of a size's result: events
    loaded (of `counted_tables`, or every table of the source), days, load and full-build time.
    A fresh database, dropped afterwards; with BENCH_KEEP_DATABASES set, a kept one (see
    kept_database), whose load and full build are those of the run that made it.
    """
    if not os.environ.get(KEEP_VARIABLE):
        with fresh_database(server, "bench") as warehouse:
            yield warehouse, *_load_and_build(warehouse, source, events, work)
        return
    name = f"bench_{source.kept_name}_{events}"
    with kept_database(server, name) as (warehouse, made):
        if made is None:
            spec, result = _load_and_build(warehouse, source, events, work)
            with warehouse.connect(autocommit=True) as connection:
                made = json.dumps(result | {"last_day": str(spec.last_day)})
                connection.execute(f"comment on database \"{name}\" is '{made}'")
            yield warehouse, spec, result
            return
        result = json.loads(made)
        spec = replace(source.spec(events), end_date=date.fromisoformat(result.pop("last_day")))
        yield warehouse, spec.clean().steady(), result | {"kept": name}


def _load_and_build(
    warehouse: Warehouse, source: SourceHistory, events: int, work: Path
) -> tuple[GeneratorSpec, Result]:
    migrate.migrate(warehouse)
    started = time.perf_counter()
    spec = source.load(warehouse, events, work / "landing")
    load_s = time.perf_counter() - started
    loaded = raw_count(warehouse, source.counted_tables or source.tables)
    with warehouse.cursor() as cursor:
        cursor.execute("analyze")
    if source.dbt_seeds:
        run_dbt(warehouse, work, "seed", selection=source.selection)
    full_s = timed(lambda: run_dbt(warehouse, work, "run", selection=source.selection))
    return spec, {"events": loaded, "days": spec.days, "load_s": load_s, "full_wall_s": full_s}


@contextmanager
def kept_database(server: Warehouse, name: str) -> Iterator[tuple[Warehouse, str | None]]:
    """The database `name`, made when missing and never dropped; yields it with the comment
    its first run left (a JSON of that run's figures), None when it is new or that run did not
    finish (then it is emptied and made again)."""
    with administrator(server).connect(autocommit=True) as connection:
        made = connection.execute(
            "select shobj_description(oid, 'pg_database') from pg_database where datname = %s",
            (name,),
        ).fetchone()
        if made is None or made[0] is None:
            connection.execute(f'drop database if exists "{name}" with (force)')
            connection.execute(f'create database "{name}" owner "{server.user}"')
    yield server.with_database(name), made[0] if made else None


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def run_dbt(
    warehouse: Warehouse,
    work: Path,
    *args: str,
    selection: Sequence[str],
    target: str = DBT_PRODUCTION_TARGET,
    **dbt_vars: str,
) -> tuple[float, float]:
    """Runs the dbt CLI as a user would; returns (database seconds, model seconds).

    Database seconds add up what the database (PostgreSQL, or Spark with target spark) took
    for every statement of the run (dbt's debug
    log times each one); model seconds are dbt's execution time per model, its own work and
    round trips included.

    A windowed run selects the incremental models only: the catalog views do not change with
    a day of events (orchestration runs partitions the same way).
    """
    excluded = ["--exclude", "config.materialized:view"] if dbt_vars else []
    command = [
        str(Path(sys.executable).parent / "dbt"), *args, "--select", *selection, *excluded,
        "--project-dir", str(PROJECT_ROOT / "dbt_project"),
        "--profiles-dir", str(PROJECT_ROOT / "dbt_project"), "--target", target,
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"), "--quiet",
    ]  # fmt: skip
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    environment = {
        **os.environ, **warehouse.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # The window in the environment too: the spark target reads it only there.
        **{f"WAREHOUSE_WINDOW_{bound.upper()}": day for bound, day in dbt_vars.items()},
    }  # fmt: skip
    log = work / "logs" / "dbt.log"
    log.unlink(missing_ok=True)
    subprocess.run(command, check=True, env=environment)
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    database = sum(float(s) for s in SQL_STATUS.findall(log.read_text()))
    return database, sum(result["execution_time"] for result in results)


def model_times(work: Path) -> dict[str, float]:
    """dbt's execution time per model of the last run in `work`."""
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].rsplit(".", 1)[-1]: r["execution_time"] for r in results}


@dataclass(frozen=True)
class DayRun:
    """One size's one-day run: its database, its dbt folder, the models and the window's day."""

    warehouse: Warehouse
    work: Path
    selection: Sequence[str]
    day: str
    target: str = DBT_PRODUCTION_TARGET

    def run(self) -> tuple[float, float, float, dict[str, float]]:
        """One run of the day's window: (SQL s, model s, wall s, model times)."""
        window = {"min_date": self.day, "max_date": self.day}
        started = time.perf_counter()
        sql_s, models_s = run_dbt(
            self.warehouse, self.work, "run", selection=self.selection, target=self.target,
            **window,
        )  # fmt: skip
        return sql_s, models_s, time.perf_counter() - started, model_times(self.work)


def day_repeats() -> int:
    """How many measured rounds of one-day runs (BENCH_DAY_REPEATS, default 5)."""
    value = os.environ.get(DAY_REPEATS_VARIABLE, "5")
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"error: {DAY_REPEATS_VARIABLE}={value!r}: a whole number, 1 or more")
    return int(value)


def interleaved_day_runs(runs: Sequence[DayRun]) -> list[Result]:
    """Each size's one-day run: one warm-up each, then DAY_REPEATS rounds over the sizes in
    ABBA order (small, large, large, small, ...), the medians per size. DAY_REPEATS is
    BENCH_DAY_REPEATS, 5 by default (fewer for Spark's one-day run: minutes each at 10M).

    The machine is shared: sizes measured minutes apart met different load (10M / 1M swung
    from 0.88 to 1.46 with the same SQL). Interleaved, both sizes meet the same load, and the
    load average at the start and end of the runs goes into every size's result (day_load).
    The warm-up does the same work as the measured runs, so they all find the same rows in
    cache and the same rows to replace.
    """
    load_start = os.getloadavg()[0]
    for run in runs:
        run.run()
    samples: list[list[tuple[float, float, float, dict[str, float]]]] = [[] for _ in runs]
    for repeat in range(day_repeats()):
        order = range(len(runs)) if repeat % 2 == 0 else reversed(range(len(runs)))
        for index in order:
            samples[index].append(runs[index].run())
    load = (load_start, os.getloadavg()[0])
    return [_day_medians(size) | {"day_load": load} for size in samples]


def _day_medians(samples: Sequence[tuple[float, float, float, dict[str, float]]]) -> Result:
    sql_s, models_s, wall_s = (statistics.median(s[i] for s in samples) for i in range(3))
    models = samples[0][3]
    return {
        "day_sql_s": sql_s,
        "day_models_s": models_s,
        "day_wall_s": wall_s,
        "models": {m: statistics.median(s[3][m] for s in samples) for m in models},
    }


def raw_count(warehouse: Warehouse, tables: Sequence[str]) -> int:
    with warehouse.cursor() as cursor:
        return sum(cursor.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in tables)


def query_latencies(
    warehouse: Warehouse,
    queries: dict[str, str],
    parameters: Callable[[random.Random], dict[str, Any]],
    repeats: int = 200,
) -> dict[str, tuple[float, float]]:
    """p50 and p95 in ms of each query, prepared, each run with freshly drawn parameters."""
    latencies: dict[str, tuple[float, float]] = {}
    rng = random.Random(0)
    with warehouse.connect() as connection:
        for name, query in queries.items():
            samples = []
            for _ in range(repeats):
                params = parameters(rng)
                started = time.perf_counter()
                connection.execute(query, params, prepare=True).fetchall()
                samples.append((time.perf_counter() - started) * 1000)
            cuts = statistics.quantiles(samples, n=100)
            latencies[name] = (cuts[49], cuts[94])
    return latencies


# A source's preparation of one size: (server, events, work folder) -> a context that holds
# the loaded and built database and yields the size's figures so far and its one-day run.
Prepare = Callable[[Warehouse, int, Path], AbstractContextManager[tuple[Result, DayRun]]]


def measure_sizes(variable: str, prepare: Prepare) -> list[Result]:
    """Prepares every size of `variable` (default 1M and 10M), smallest first, then runs their
    one-day runs interleaved (interleaved_day_runs) while every database is still there."""
    sizes = [int(s) for s in os.environ.get(variable, "1000000,10000000").split(",")]
    server = resolve()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        prepared = [
            stack.enter_context(prepare(server, events, Path(tmp) / str(events)))
            for events in sizes
        ]
        days = interleaved_day_runs([run for _, run in prepared])
        return [result | day for (result, _), day in zip(prepared, days, strict=True)]


def kept_note(result: Result) -> str:
    """What to add after a size's load time when its database was kept from an earlier run."""
    kept = result.get("kept")
    return f" (kept database {kept}: its load and full build are its first run's)" if kept else ""


def print_table(results: Sequence[Result], columns: dict[str, str]) -> None:
    """One row per size: the columns' values in seconds (`columns` maps heading to key)."""
    print(f"{'events':>12} " + " ".join(f"{heading:>14}" for heading in columns))
    for r in results:
        print(f"{r['events']:>12,} " + " ".join(f"{r[key]:>14.2f}" for key in columns.values()))


@dataclass(frozen=True)
class Ratio:
    """One figure a benchmark reports against its goal, for `make bench`'s closing table."""

    benchmark: str
    measure: str
    value: float
    target: float | None = None
    at_most: bool = True

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        met = self.value <= self.target if self.at_most else self.value >= self.target
        return "met" if met else "NOT MET"


def print_ratios(
    results: Sequence[Result], benchmark: str, label: str, columns: dict[str, str]
) -> list[Ratio]:
    """The largest size against the smallest for each column, against RATIO_TARGET."""
    start, end = results[0]["day_load"]
    print(f"load average (1 min) of the interleaved runs: {start:.2f} at start, {end:.2f} at end")
    if len(results) < 2:
        return []
    small, large = results[0], results[-1]
    sizes = f"{large['events']:,} / {small['events']:,} events"
    ratios = [
        Ratio(benchmark, f"{label} {name}, {sizes}", large[key] / small[key], RATIO_TARGET)
        for name, key in columns.items()
    ]
    listed = ", ".join(f"{name} {r.value:.2f}" for name, r in zip(columns, ratios, strict=True))
    print(f"{label}, large / small: {listed} (target <= {RATIO_TARGET})")
    return ratios


def print_summary(ratios: Sequence[Ratio]) -> None:
    """Every benchmark's figures against their goals, in one table."""
    print(f"\n{'benchmark':<10} {'measure':<62} {'value':>10} {'target':>10} verdict")
    for r in ratios:
        target = "" if r.target is None else f"{'<=' if r.at_most else '>='} {r.target:g}"
        print(f"{r.benchmark:<10} {r.measure:<62} {r.value:>10.2f} {target:>10} {r.verdict}")


def print_day_report(
    results: Sequence[Result], benchmark: str, label: str, extra: dict[str, str] | None = None
) -> list[Ratio]:
    """The table of sizes (full build, one-day medians, `extra` columns), the one-day ratios
    and the per-model times: what every history benchmark prints; returns the ratios."""
    print(f"\n{label}, {os.cpu_count()} cores")
    print_table(results, {"full build s": "full_wall_s", **DAY_TABLE, **(extra or {})})
    ratios = print_ratios(results, benchmark, "one-day build", DAY_COLUMNS)
    print_model_times(results)
    return ratios


def print_model_times(results: Sequence[Result], label: str = "one-day") -> None:
    print(f"\n{label} model times (median), s")
    for model in results[0]["models"]:
        print(f"{model:<36} " + " ".join(f"{r['models'][model]:>8.2f}" for r in results))


def print_latencies(results: Sequence[Result], repeats: int) -> None:
    """p50/p95 of the API queries, measured at the largest size."""
    largest = results[-1]["events"]
    print(f"\nAPI queries on the marts at {largest:,} events ({repeats} runs each), ms")
    print(f"{'endpoint':<42} {'p50':>7} {'p95':>7}")
    for endpoint, (p50, p95) in results[-1]["latencies"].items():
        print(f"{endpoint:<42} {p50:>7.2f} {p95:>7.2f}")
