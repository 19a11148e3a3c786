"""dbt context for sqlfluff's jinja templater, for linting only.

sqlfluff stubs `var()` as the string 'item' and has no `modules`; the window macros need the
project's real var defaults and `modules.datetime` to render a model at all.
"""

from pathlib import Path
from typing import Any

import yaml

from . import modules

__all__ = ["env_var", "modules", "var"]

_PROJECT_VARS: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "dbt_project.yml").read_text()
)["vars"]


def var(name: str, default: Any = None) -> Any:
    return _PROJECT_VARS.get(name, default)


def env_var(name: str, default: str = "") -> str:
    return default or name.lower()


# dbt's `return()` hands a value back from a macro; plain Jinja can only print it.
globals()["return"] = lambda value: value
