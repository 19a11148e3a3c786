"""Deterministic sample data for every registered source system, written as landing files.

This module is the machinery every source shares: the spec, the population of users and
organizations, daily volumes with a weekly cycle, late events (in a file days after their
event time), exact re-sends (duplicates), invalid rows of every class the loader rejects, and
the files themselves. What a source's rows look like lives with the source, in
ingest/sources/<source>.py (`sample()`), so the demo and the tests load data with the shapes
its marts must handle through the real loader.
"""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

Row = dict[str, Any]
# Makes `count` rows of one event table for one day, numbering events from `sequence`.
RowMaker = Callable[[random.Random, date, int, Iterator[int]], list[Row]]

# Share of a day's traffic in each UTC hour: quiet nights, a working-day peak.
HOURLY_WEIGHTS = [2, 1, 1, 1, 1, 2, 3, 5, 7, 9, 10, 10, 9, 10, 10, 9, 8, 7, 6, 5, 4, 4, 3, 2]
WEEKDAY_FACTOR = [1.0, 1.05, 1.05, 1.0, 0.95, 0.55, 0.5]  # Monday first
# Trends (growing and declining modules...) act over the last TREND_DAYS of a range only: a
# long history stays steady before them instead of compounding.
TREND_DAYS = 30


@dataclass(frozen=True)
class GeneratorSpec:
    events: int = 200_000
    days: int = 60
    end_date: date | None = None  # default: yesterday (UTC)
    seed: int = 42
    file_format: str = "csv"
    late_share: float = 0.03
    duplicate_share: float = 0.005
    invalid_share: float = 0.002
    volume_growth: float = 0.004  # day i of the range weighs 1 + volume_growth * i

    @property
    def last_day(self) -> date:
        return self.end_date or (datetime.now(UTC).date() - timedelta(days=1))

    @property
    def first_day(self) -> date:
        return self.last_day - timedelta(days=self.days - 1)

    @property
    def trend_start(self) -> date:
        return max(self.first_day, self.last_day - timedelta(days=TREND_DAYS - 1))

    def clean(self) -> GeneratorSpec:
        """The same data without late, duplicate or invalid rows (for benchmarks)."""
        return replace(self, late_share=0.0, duplicate_share=0.0, invalid_share=0.0)

    def steady(self) -> GeneratorSpec:
        """The same data at a constant daily volume (weekly cycle only): every day of a long
        history then looks like every day of a short one, which is what a benchmark comparing
        history sizes needs."""
        return replace(self, volume_growth=0.0)


@dataclass(frozen=True)
class Population:
    """Who uses every source system: the same users and organizations appear in all four.

    `scale` grows with the events asked for, so a bigger sample has more modules, triggers
    and users rather than the same ones busier.
    """

    scale: int
    users: list[str]
    organizations: list[str]
    user_org: dict[str, str]

    @classmethod
    def of(cls, spec: GeneratorSpec) -> Population:
        rng = random.Random(f"{spec.seed}:population")
        scale = max(40, min(2000, spec.events // 1000))
        organizations = [f"org-{index:04d}" for index in range(max(8, scale // 5))]
        users = [f"user-{index:05d}" for index in range(max(50, scale * 4))]
        return cls(scale, users, organizations, {user: rng.choice(organizations) for user in users})


@dataclass(frozen=True)
class SampleTable:
    """One event table of a source: its rows and how the events are shared out."""

    name: str
    time_column: str
    share: float  # of GeneratorSpec.events
    make_rows: RowMaker
    enum_column: str | None = None  # broken with a value outside the enum


@dataclass
class Sample:
    """What a source's `sample()` returns: catalog rows and the event tables."""

    catalog: dict[str, list[Row]] = field(default_factory=dict)
    event_tables: list[SampleTable] = field(default_factory=list)


def timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def moment(rng: random.Random, day: date) -> datetime:
    """A time on `day` following the hourly traffic curve."""
    hour = rng.choices(range(24), weights=HOURLY_WEIGHTS)[0]
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) + timedelta(
        seconds=rng.random() * 3600
    )


def zipf_weights(count: int, exponent: float = 1.1) -> list[float]:
    return [1.0 / (rank + 1) ** exponent for rank in range(count)]


def ip_address(rng: random.Random) -> str:
    return (
        f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    )


def _counter() -> Iterator[int]:
    number = 0
    while True:
        number += 1
        yield number


def _corrupt(row: Row, table: SampleTable, kind: int) -> Row | str:
    """One broken row of each class the loader must quarantine, taken in turn."""
    broken = dict(row)
    numbers = [k for k, v in row.items() if isinstance(v, int | float) and not isinstance(v, bool)]
    match kind % 7:
        case 1:
            broken[table.time_column] = "yesterday-ish"  # not a timestamp
        case 2:
            broken[table.time_column] = "2099-01-01T00:00:00Z"  # absurdly in the future
        case 3:
            broken[table.time_column] = "1970-01-01T00:00:00Z"  # before the oldest event time
        case 4 if numbers:
            broken[numbers[0]] = "lots"  # not a number
        case 5 if table.enum_column:
            broken[table.enum_column] = "telepathy"  # not a value of the enum
        case 6:
            return "this line is not a record"  # structurally broken (CSV field count / JSON)
        case _:
            broken["event_id"] = None  # missing required field
    return broken


def _daily_counts(spec: GeneratorSpec, share: float) -> list[int]:
    """Rows per event day: weekly cycle and mild overall growth, summing to the table's share."""
    days = [spec.first_day + timedelta(days=offset) for offset in range(spec.days)]
    weights = [
        WEEKDAY_FACTOR[day.weekday()] * (1 + spec.volume_growth * i) for i, day in enumerate(days)
    ]
    total = round(spec.events * share)
    counts = [int(total * weight / sum(weights)) for weight in weights]
    counts[-1] += total - sum(counts)
    return counts


class _FileWriter:
    """Writes one landing file a (table, load day), in CSV or JSON Lines."""

    def __init__(self, folder: Path, file_format: str) -> None:
        self.folder = folder
        self.file_format = file_format

    def write(self, table: str, label: str, rows: list[Row | str], columns: list[str]) -> Path:
        path = self.folder / f"{table}__{label}.{self.file_format}"
        with path.open("w", newline="", encoding="utf-8") as handle:
            if self.file_format == "csv":
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(columns)
                for row in rows:
                    if isinstance(row, str):
                        handle.write(row + "\n")
                    else:
                        writer.writerow([_csv_value(row.get(c)) for c in columns])
            else:
                for row in rows:
                    handle.write((row if isinstance(row, str) else json.dumps(row)) + "\n")
        return path


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def event_shares() -> dict[str, float]:
    """The share of GeneratorSpec.events each event table of every source gets."""
    samples = _samples(GeneratorSpec(events=0, days=1)).values()
    return {table.name: table.share for sample in samples for table in sample.event_tables}


def _samples(spec: GeneratorSpec) -> dict[str, Sample]:
    from ingest.sources import source_systems  # the sources import this module

    population = Population.of(spec)
    return {system.name: system.module.sample(spec, population) for system in source_systems()}


def generate(
    spec: GeneratorSpec, folder: Path, tables: tuple[str, ...] | None = None
) -> list[Path]:
    """Writes the sources' files into `folder`; the same spec always writes the same bytes.

    `tables` limits the event tables written (every catalog is always written).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    writer = _FileWriter(folder, spec.file_format)
    samples = _samples(spec)
    written = [
        writer.write(table, "catalog", list(rows), list(rows[0]))
        for sample in samples.values()
        for table, rows in sample.catalog.items()
        if rows
    ]
    for sample in samples.values():
        for table in sample.event_tables:
            if tables is None or table.name in tables:
                written += _write_event_table(spec, writer, table)
    return written


def _write_event_table(spec: GeneratorSpec, writer: _FileWriter, table: SampleTable) -> list[Path]:
    """Writes one file per load day; a late or re-sent row lands in a later day's file."""
    rng = random.Random(f"{spec.seed}:{table.name}")
    sequence = _counter()
    by_load_day: dict[int, list[Row | str]] = defaultdict(list)
    columns: list[str] = []
    broken = 0
    paths = []
    for offset, count in enumerate(_daily_counts(spec, table.share)):
        day = spec.first_day + timedelta(days=offset)
        for row in table.make_rows(rng, day, count, sequence):
            columns = columns or list(row)
            roll = rng.random()
            late = roll < spec.late_share
            load_day = min(offset + rng.randint(1, 3), spec.days - 1) if late else offset
            if roll > 1 - spec.invalid_share:
                by_load_day[load_day].append(_corrupt(row, table, broken))
                broken += 1
                continue
            by_load_day[load_day].append(row)
            if rng.random() < spec.duplicate_share:  # a client retry re-sends the event
                by_load_day[min(load_day + rng.randint(0, 1), spec.days - 1)].append(row)
        # Rows only ever move to later days, so today's file is complete now.
        rows = by_load_day.pop(offset, [])
        paths.append(writer.write(table.name, day.isoformat(), rows, columns))
    return paths
