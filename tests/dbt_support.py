"""Real dbt runs against a test database, in-process: parsed once, then invoked with any vars.

dbt re-parses the project whenever --vars change; handing the runner the parsed manifest
skips that (the window vars are only read when models compile), so a day-by-day build costs
about a second a day instead of five. Compiling marks the manifest's nodes as compiled with
their ephemeral models injected; the marks are cleared before each invocation, or a second one
would skip injecting the ephemeral models into SQL it compiles afresh.

Also what every source's incremental test does with it: replay generated days as production
runs them, and compare relations before and after a run (a second run, a full refresh).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from dbt.cli.main import dbtRunner, dbtRunnerResult

from ingest import loader
from ingest.warehouse import PROJECT_ROOT, Warehouse
from orchestration.lib.settings import DBT_PRODUCTION_TARGET

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


@contextmanager
def environment(**variables: str) -> Iterator[None]:
    """Environment variables set while the block runs, restored (or removed) after it."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None) if value is None else os.environ.update({name: value})


def pointed_at(warehouse: Warehouse) -> AbstractContextManager[None]:
    """The PG* variables the profile reads, set for the duration of one dbt call."""
    return environment(**warehouse.dbt_env())


class DbtProject:
    """The project's dbt, pointed at one database, with its own target and log folders."""

    def __init__(
        self, warehouse: Warehouse, work_dir: Path, target: str = DBT_PRODUCTION_TARGET
    ) -> None:
        self.warehouse = warehouse
        self.common = [
            "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target", target,
            "--target-path", str(work_dir / "target"),
            "--log-path", str(work_dir / "logs"),
            "--quiet",
        ]  # fmt: skip
        self.manifest = self._invoke(dbtRunner(), ["parse"]).result

    def _invoke(self, runner: dbtRunner, args: list[str]) -> dbtRunnerResult:
        with pointed_at(self.warehouse):
            result = runner.invoke([*args, *self.common])
        if not result.success:
            failures = [
                f"{r.node.name}: {r.status} {r.message}"
                for r in getattr(result.result, "results", None) or []
                if str(r.status) not in ("success", "pass")
            ]
            raise AssertionError(f"dbt {' '.join(args)} failed: {failures or result.exception}")
        return result

    def __call__(self, *args: str, **dbt_vars: Any) -> dbtRunnerResult:
        cli = list(args)
        if dbt_vars:
            cli += ["--vars", json.dumps(dbt_vars)]
        for node in self.manifest.nodes.values():
            if node.resource_type == "seed":  # seeds are not compiled (read-only marks)
                continue
            node.compiled, node.extra_ctes_injected, node.extra_ctes = False, False, []
        return self._invoke(dbtRunner(manifest=self.manifest), cli)


def rows_differing(warehouse: Warehouse, left: str, right: str) -> int:
    """Rows of either relation that the other lacks (as multisets): 0 when they are equal."""
    with warehouse.cursor() as cursor:
        return cursor.execute(
            f"select (select count(*) from (select * from {left} as l"
            f" except all select * from {right} as r) as a)"
            f" + (select count(*) from (select * from {right} as r"
            f" except all select * from {left} as l) as b)"
        ).fetchone()[0]


def files_by_day(files: list[Path]) -> dict[date, list[Path]]:
    """Generated event files by the day in their name (`<table>__<day>.<ext>`), in day order;
    catalog files left out. What day-by-day incremental tests load one day at a time."""
    by_day: dict[date, list[Path]] = defaultdict(list)
    for path in files:
        label = path.stem.split("__", 1)[1]
        if label != "catalog":
            by_day[date.fromisoformat(label)].append(path)
    return dict(sorted(by_day.items()))


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Rows as a JSON-lines landing file (times as ISO strings), for the loader."""

    def value(v: Any) -> Any:
        return v.isoformat() if isinstance(v, datetime) else v

    lines = [json.dumps({k: value(v) for k, v in row.items()}) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def resend_with_another_time(
    warehouse: Warehouse, rows: list[dict[str, Any]], time_column: str, path: Path
) -> None:
    """Loads copies of `rows` (read back from raw) with their time 30 hours later, as a client
    re-sending events does: the loader keeps the first copy whatever the time, so every copy
    must be quarantined (and never count in a mart)."""
    for row in rows:
        row[time_column] += timedelta(hours=30)
    assert loader.load_file(warehouse, write_jsonl(path, rows)).rows_quarantined == len(rows)


def tables_of(dbt: DbtProject, source: str) -> list[str]:
    """A source's staging, intermediate and mart tables (views and ephemeral models left out):
    what its incremental runs must leave equal to a full refresh."""
    return sorted(
        f"{node.schema}.{node.alias}"
        for node in dbt.manifest.nodes.values()
        if node.resource_type == "model"
        and node.fqn[1:3] in (["staging", source], ["intermediate", source], ["marts", source])
        and node.config.materialized in ("table", "incremental")
    )


def replay_day_by_day(
    dbt: DbtProject,
    by_day: dict[date, list[Path]],
    selection: Sequence[str],
    bare_run_days: int,
    lookback: timedelta = timedelta(0),
    on_day: Callable[[int, date], object] | None = None,
) -> None:
    """Loads the files one day at a time and runs the selection after each day, as production
    does: the first day and the last `bare_run_days` with a bare `dbt run` (what arrived since
    the last run, plus the models' lookback), the days between with the window
    [day - lookback, day], as Dagster runs a partition. `on_day(index, day)` runs after the
    day's files are loaded: what a test adds that day (re-sent rows, a catalog)."""
    for index, (day, files) in enumerate(by_day.items()):
        for path in files:
            loader.load_file(dbt.warehouse, path)
        if on_day:
            on_day(index, day)
        if 0 < index < len(by_day) - bare_run_days:
            dbt("run", "--select", *selection, min_date=str(day - lookback), max_date=str(day))
        else:
            dbt("run", "--select", *selection)


def differences_after(
    dbt: DbtProject,
    relations: Sequence[str],
    *run: str,
    ignored_columns: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """Rows differing per relation between before and after `dbt <run>` (all 0 when the run
    left every relation as it was). `ignored_columns` (table name: column) leaves out what
    every run rewrites, such as a build time."""
    differences = {}
    with dbt.warehouse.cursor() as cursor:
        cursor.execute("drop schema if exists before_run cascade")
        cursor.execute("create schema before_run")
        for relation in relations:
            cursor.execute(f"create table before_run.{_copy_name(relation)} as table {relation}")
    dbt("run", *run)
    for relation in relations:
        ignored = (ignored_columns or {}).get(relation.split(".")[1])
        differences[relation] = rows_differing(
            dbt.warehouse,
            _without(relation, ignored),
            _without(f"before_run.{_copy_name(relation)}", ignored),
        )
    return differences


def _copy_name(relation: str) -> str:
    return relation.replace(".", "__")


def _without(relation: str, column: str | None) -> str:
    """The relation as a subquery without one column (the relation itself when None)."""
    if column is None:
        return relation
    return f"(select (to_jsonb(r) - '{column}')::text as row from {relation} as r)"


def differences_from_full_refresh(
    dbt: DbtProject, relations: Sequence[str], selection: Sequence[str]
) -> dict[str, int]:
    """Rows differing per relation between the incremental runs' result and a --full-refresh
    of the selection (all 0 when equal)."""
    return differences_after(dbt, relations, "--select", *selection, "--full-refresh")
