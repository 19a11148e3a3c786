"""The four source systems and the raw tables each one writes.

Columns, types, required fields and enum values are not repeated here: they live in the
migrations and the loader reads them from the database catalog, so the table definition is
the single source of truth for validation.
"""

from __future__ import annotations

SOURCES: dict[str, tuple[str, ...]] = {
    "registry": (
        "download_events",
        "module_view_events",
        "compilation_events",
        "field_usage_events",
        "modules",
        "module_versions",
        "schema_fields",
        "module_dependencies",
    ),
    "actions": ("triggers", "action_results"),
    "product": ("analytics_events", "metrics"),
    "builds": ("build_requests", "build_events"),
}

TABLE_SOURCE: dict[str, str] = {
    table: source for source, tables in SOURCES.items() for table in tables
}


class UnknownSource(ValueError):
    """A source or table name that no source system writes."""


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
