"""Pure helpers, without a database: partition windows, day ranges, file names, late-data
requests, and the registration of source systems. Part of `make test-fast`."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime

import dagster as dg
import pytest

from ingest.sources import REGISTERED, SOURCES, UnknownSource, source_of, table_for_file
from orchestration.lib.partitions import (
    PARTITION_TAG,
    WINDOW_END_TAG,
    WINDOW_START_TAG,
    bounded,
    contiguous_ranges,
    run_window,
    window_vars,
)
from orchestration.lib.schedules import RANGE_END_TAG, RANGE_START_TAG
from orchestration.lib.sensors import LoadedDay, late_data_requests
from orchestration.lib.source import declared_sources


def _window(first: str, end: str) -> dg.TimeWindow:
    return dg.TimeWindow(
        datetime.fromisoformat(first).replace(tzinfo=UTC),
        datetime.fromisoformat(end).replace(tzinfo=UTC),
    )


def test_a_partition_window_becomes_inclusive_dates() -> None:
    assert window_vars(_window("2026-03-01", "2026-03-02")) == {
        "min_date": "2026-03-01",
        "max_date": "2026-03-01",
    }
    assert window_vars(_window("2026-02-27", "2026-03-02")) == {
        "min_date": "2026-02-27",
        "max_date": "2026-03-01",
    }


def test_days_group_into_contiguous_ranges() -> None:
    days = [date(2026, 3, d) for d in (5, 1, 2, 3, 9, 9, 10)]
    assert contiguous_ranges(days) == [
        (date(2026, 3, 1), date(2026, 3, 3)),
        (date(2026, 3, 5), date(2026, 3, 5)),
        (date(2026, 3, 9), date(2026, 3, 10)),
    ]
    assert contiguous_ranges([date(2026, 2, 28), date(2026, 3, 1)]) == [
        (date(2026, 2, 28), date(2026, 3, 1))
    ]
    assert contiguous_ranges([]) == []


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("download_events__2026-03-01.csv", "download_events"),
        ("action_results.jsonl", "action_results"),
        ("metrics__late__2.jsonl", "metrics"),
    ],
)
def test_a_file_names_its_raw_table(name: str, table: str) -> None:
    assert table_for_file(name) == table


def test_an_unknown_table_names_the_known_ones() -> None:
    with pytest.raises(UnknownSource, match="known: action_results"):
        source_of("download_event")


def test_every_registered_source_has_its_ingest_and_orchestration_modules() -> None:
    assert [source.name for source in declared_sources()] == list(REGISTERED)
    for name in REGISTERED:
        module = importlib.import_module(f"ingest.sources.{name}")
        assert SOURCES[name] == tuple(module.TABLES) and callable(module.sample)
    tables = [table for tables in SOURCES.values() for table in tables]
    assert len(tables) == len(set(tables)), "a raw table belongs to one source"


def _late(*loads: tuple[int, str, str]) -> list[LoadedDay]:
    return [
        LoadedDay(load, table, date.fromisoformat(day), from_then_on=table in CATALOGS)
        for load, table, day in loads
    ]


CATALOGS = {"module_versions", "triggers"}


def test_late_data_restates_the_built_days_of_its_own_source_only() -> None:
    loads = _late(
        (7, "download_events", "2026-03-02"),
        (7, "download_events", "2026-03-03"),
        (8, "compilation_events", "2026-03-05"),
        (8, "compilation_events", "2026-03-09"),  # not built yet: its own partition run will
        (9, "action_results", "2026-03-02"),  # actions has no models: nothing to restate
        (10, "build_requests", "2026-03-02"),
    )
    built = {
        "registry": {"2026-03-02", "2026-03-03", "2026-03-05"},
        "builds": {"2026-03-02"},
    }
    jobs = {"registry": "registry_job", "builds": "builds_job"}
    requests = late_data_requests(loads, built, jobs)
    ranges = [(r.job_name, r.tags[RANGE_START_TAG], r.tags[RANGE_END_TAG]) for r in requests]
    assert ranges == [
        ("builds_job", "2026-03-02", "2026-03-02"),
        ("registry_job", "2026-03-02", "2026-03-03"),
        ("registry_job", "2026-03-05", "2026-03-05"),
    ]
    assert len({r.run_key for r in requests}) == len(requests)
    assert late_data_requests(_late((9, "action_results", "2026-03-02")), built, jobs) == []


def test_a_catalog_change_restates_every_built_day_from_its_day_on() -> None:
    built = {"registry": {"2026-03-01", "2026-03-02", "2026-03-03", "2026-03-05"}}
    requests = late_data_requests(
        _late((4, "module_versions", "2026-03-02")), built, {"registry": "registry_job"}
    )
    assert [(r.tags[RANGE_START_TAG], r.tags[RANGE_END_TAG]) for r in requests] == [
        ("2026-03-02", "2026-03-03"),
        ("2026-03-05", "2026-03-05"),
    ]


def test_a_runs_window_comes_from_its_partition_range_or_window_tags() -> None:
    """Checks are not partitioned: they learn the days to read from their run's tags."""
    day = {"min_date": "2026-03-02", "max_date": "2026-03-02"}
    week = {"min_date": "2026-03-01", "max_date": "2026-03-07"}
    assert run_window({PARTITION_TAG: "2026-03-02"}) == day
    assert run_window({RANGE_START_TAG: "2026-03-01", RANGE_END_TAG: "2026-03-07"}) == week
    assert run_window({WINDOW_START_TAG: "2026-03-01", WINDOW_END_TAG: "2026-03-07"}) == week
    assert run_window({"other": "tag"}) is None
    query = "select 1 where day between date '{first_day}' and date '{last_day}'"
    assert bounded(query, week) == (
        "select 1 where day between date '2026-03-01' and date '2026-03-07'"
    )
    assert bounded(query, None) == (
        "select 1 where day between date '-infinity' and date 'infinity'"
    )
