"""dbt context for sqlfluff's jinja templater, for linting only.

sqlfluff renders models with plain Jinja, which differs from dbt in three ways this module
makes up for:
- it stubs `var()` as the string 'item' and has no `modules`;
- it cannot run dbt's compile-time macros (macros/compile_time/: they query the database and
  hand values back with dbt's `return`); here they are stand-ins with fixed values of the
  same shape: one day of window, one snapshot day;
- a macro it loads from a file cannot call a macro of another file. So the SQL macros (every
  folder of macros/ but compile_time/ and incremental/, which hold dbt internals) are loaded
  here, into one environment where they see each other and these stand-ins, and handed to
  sqlfluff as plain functions.
The SQL the macros render around the stand-ins is what gets linted, models and macros alike.
"""

from pathlib import Path
from typing import Any

import jinja2
import yaml

from . import modules

PROJECT_DIR = Path(__file__).resolve().parents[2]
NOT_SQL_MACRO_FOLDERS = {"compile_time", "incremental"}
_PROJECT_VARS: dict[str, Any] = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())[
    "vars"
]
_LINT_DAY = "2026-01-31"


def var(name: str, default: Any = None) -> Any:
    return _PROJECT_VARS.get(name, default)


def env_var(name: str, default: str = "") -> str:
    return default or name.lower()


def get_event_window(*_: Any, **__: Any) -> list[dict[str, str]]:
    return [{"start": _LINT_DAY, "end": _LINT_DAY}]


def get_grouped_window(*_: Any, **__: Any) -> list[dict[str, str]]:
    return get_event_window()


def get_snapshot_dates(*_: Any, **__: Any) -> list[str]:
    return [_LINT_DAY]


def _relation(*names: str) -> str:
    return ".".join(names)


class _Adapter:
    """`adapter.dispatch` as dbt does it on PostgreSQL: a macro's postgres__ version, else
    its default__ one (macros/sql/engine.sql and the other dispatched macros); the lint sees
    the SQL PostgreSQL runs."""

    def __init__(self) -> None:
        self.macros: dict[str, Any] = {}

    def dispatch(self, name: str, macro_namespace: str | None = None) -> Any:
        return self.macros.get(f"postgres__{name}") or self.macros[f"default__{name}"]


adapter = _Adapter()


def _sql_macros() -> dict[str, Any]:
    environment = jinja2.Environment(extensions=["jinja2.ext.do"])
    environment.globals.update(
        var=var,
        env_var=env_var,
        modules=modules,
        get_event_window=get_event_window,
        get_snapshot_dates=get_snapshot_dates,
        get_grouped_window=get_grouped_window,
        ref=_relation,
        source=_relation,
        adapter=adapter,
    )
    # dbt's return() hands a value back to the caller; the dispatching macros return the
    # rendered SQL of the version dispatched to, which plain Jinja outputs the same way.
    environment.globals["return"] = lambda value: value
    files = sorted(
        path
        for path in (PROJECT_DIR / "macros").glob("*/*.sql")
        if path.parent.name not in NOT_SQL_MACRO_FOLDERS
    )
    module = environment.from_string("\n".join(p.read_text() for p in files)).module
    macros = {
        name: macro
        for name, macro in vars(module).items()
        if isinstance(macro, jinja2.runtime.Macro)
    }
    adapter.macros.update(macros)
    return macros


globals().update(_sql_macros())
__all__ = [
    "adapter",
    "env_var",
    "get_event_window",
    "get_grouped_window",
    "get_snapshot_dates",
    "modules",
    "var",
    *_sql_macros(),
]
