"""Real dbt runs against a test database, in-process: parsed once, then invoked with any vars.

dbt re-parses the project whenever --vars change; handing the runner the parsed manifest
skips that (the window vars are only read when models compile), so a day-by-day build costs
about a second a day instead of five. Compiling marks the manifest's nodes as compiled with
their ephemeral models injected; the marks are cleared before each invocation, or a second one
would skip injecting the ephemeral models into SQL it compiles afresh.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from dbt.cli.main import dbtRunner, dbtRunnerResult

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
            f"select (select count(*) from (table {left} except all table {right}) as a)"
            f" + (select count(*) from (table {right} except all table {left}) as b)"
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


def differences_from_full_refresh(
    warehouse: Warehouse, dbt: DbtProject, relations: list[str], selection: tuple[str, ...]
) -> dict[str, int]:
    """Copies the relations as the incremental runs left them, rebuilds the selection with
    --full-refresh, and returns the rows differing per relation (all 0 when equal)."""
    with warehouse.cursor() as cursor:
        cursor.execute("create schema incremental_result")
        for relation in relations:
            copy = "incremental_result." + relation.replace(".", "__")
            cursor.execute(f"create table {copy} as table {relation}")
    dbt("run", "--select", *selection, "--full-refresh")
    return {
        relation: rows_differing(
            warehouse, relation, "incremental_result." + relation.replace(".", "__")
        )
        for relation in relations
    }
