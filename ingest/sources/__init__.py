"""The source systems and the raw tables each one writes.

Each source system is a module of this package named after it, holding what ingest knows of
it: its raw tables and its sample data. REGISTERED names them; adding a name there (with the
module, its migration and its models) is the one line that adds a source. Orchestration reads
the same list, so the Dagster code location follows (orchestration/defs/<source>.py).

Columns, types, required fields and enum values are not repeated here: they live in the
migrations and the loader reads them from the database catalog, so the table definition is
the single source of truth for validation.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from types import ModuleType

REGISTERED: tuple[str, ...] = ("registry", "actions", "product", "builds")


@dataclass(frozen=True)
class SourceSystem:
    name: str
    tables: tuple[str, ...]
    module: ModuleType


class UnknownSource(ValueError):
    """A source or table name that no source system writes."""


@cache
def source_systems() -> tuple[SourceSystem, ...]:
    """The registered source systems, in registration order."""
    systems = []
    for name in REGISTERED:
        module = importlib.import_module(f"{__name__}.{name}")
        systems.append(SourceSystem(name, tuple(module.TABLES), module))
    return tuple(systems)


def _tables_by_source() -> dict[str, tuple[str, ...]]:
    return {system.name: system.tables for system in source_systems()}


SOURCES: dict[str, tuple[str, ...]] = _tables_by_source()
TABLE_SOURCE: dict[str, str] = {
    table: source for source, tables in SOURCES.items() for table in tables
}


def source_of(table: str) -> str:
    try:
        return TABLE_SOURCE[table]
    except KeyError:
        known = ", ".join(sorted(TABLE_SOURCE))
        raise UnknownSource(f"unknown raw table '{table}' (known: {known})") from None


def tables_of(source: str) -> tuple[str, ...]:
    try:
        return SOURCES[source]
    except KeyError:
        known = ", ".join(SOURCES)
        raise UnknownSource(f"unknown source '{source}' (known: {known})") from None


def table_for_file(file_name: str) -> str:
    """Landing files are named `<table>__<anything>.<csv|jsonl>`, or just `<table>.<ext>`."""
    stem = file_name.split(".", 1)[0]
    return stem.split("__", 1)[0]
