"""What every source's recomputation shares: reading raw rows, the staging rules every source
follows (first loaded wins, UTC days, the load ledger's horizon), PostgreSQL's percentile and
period arithmetic, and comparing a mart's rows with the expected ones.

Each source's module (tests/<source>/recompute.py) recomputes its marts from raw rows with
these, independently of dbt: nothing here reads staging or marts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ingest.warehouse import Warehouse

Row = dict[str, Any]


def fetch(warehouse: Warehouse, query: str) -> list[Row]:
    with warehouse.cursor() as cursor:
        cursor.execute(query)
        names = [column.name for column in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def first_loaded(rows: list[Row], time_column: str) -> list[Row]:
    """One row per event_id: the first loaded (then earliest) wins, as in staging."""
    chosen: dict[str, Row] = {}
    for row in sorted(rows, key=lambda r: (r["_loaded_at"], r[time_column])):
        chosen.setdefault(row["event_id"], row)
    for row in chosen.values():
        row["day"] = utc_day(row[time_column])
    return list(chosen.values())


def loaded_through(warehouse: Warehouse, source: str) -> datetime:
    """How far a source is loaded: the last load of its feed that was loaded least recently
    (catalog loads do not count), from the load ledger as `int_ingest__source_coverage` reads it."""
    [horizon] = fetch(
        warehouse,
        "select min(latest) as latest from (select max(finished_at) as latest"
        f" from raw._loads where source = '{source}' and not is_catalog"
        " group by table_name) as feeds",
    )
    return horizon["latest"]


def complete_through(warehouse: Warehouse, source: str) -> date:
    """A source's last complete day: the day before it is loaded through."""
    return utc_day(loaded_through(warehouse, source)) - timedelta(days=1)


def period_start(day: date, grain: str) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def period_end(start: date, grain: str) -> date:
    if grain == "week":
        return start + timedelta(days=6)
    if grain == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return start


def percentile_cont(values: list[float], fraction: float) -> float:
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def close(actual: float | None, wanted: float | None) -> bool:
    """Floats equal to 1e-9 (percentiles, averages); None only equals None."""
    if actual is None or wanted is None:
        return actual is wanted
    return math.isclose(actual, wanted, rel_tol=1e-9, abs_tol=1e-9)


def keyed(rows: list[Row], *key: str) -> dict[tuple[Any, ...], Row]:
    return {tuple(r[k] for k in key): r for r in rows}


def assert_rows_match(
    actual: dict[Any, Row], expected: dict[Any, Row], float_close: Callable[[Any, Any], bool]
) -> None:
    assert actual.keys() == expected.keys(), (
        f"missing {sorted(expected.keys() - actual.keys())[:5]}, "
        f"unexpected {sorted(actual.keys() - expected.keys())[:5]}"
    )
    for key, want in expected.items():
        got = actual[key]
        for column, value in want.items():
            if isinstance(value, float) or isinstance(got[column], float):
                assert float_close(got[column], value), (key, column, got[column], value)
            else:
                assert got[column] == value, (key, column, got[column], value)


def stored_snapshot_days(warehouse: Warehouse, mart: str) -> list[date]:
    rows = fetch(warehouse, f"select distinct as_of_date from marts.{mart} order by 1")
    return [row["as_of_date"] for row in rows]
