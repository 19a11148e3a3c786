"""The sample-data generator: deterministic, and shaped like real traffic."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from ingest.generator import TREND_DAYS, GeneratorSpec, generate

SPEC = GeneratorSpec(events=40_000, days=28, end_date=date(2026, 3, 29), seed=7)


def _digests(files: list[Path]) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in files}


def _rows(folder: Path, table: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted(folder.glob(f"{table}__*.csv")):
        with path.open(newline="") as handle:
            rows += [dict(r, _file=path.name) for r in csv.DictReader(handle)]
    return rows


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    first = _digests(generate(SPEC, tmp_path / "a"))
    second = _digests(generate(SPEC, tmp_path / "b"))
    other_seed = GeneratorSpec(SPEC.events, SPEC.days, SPEC.end_date, seed=8)
    third = _digests(generate(other_seed, tmp_path / "c"))
    assert first == second
    assert first.keys() == third.keys()
    assert first != third


def test_json_lines_carry_the_same_events(tmp_path: Path) -> None:
    jsonl = GeneratorSpec(SPEC.events, SPEC.days, SPEC.end_date, SPEC.seed, file_format="jsonl")
    csv_files = generate(SPEC, tmp_path / "csv")
    jsonl_files = generate(jsonl, tmp_path / "jsonl")
    assert [p.stem for p in csv_files] == [p.stem for p in jsonl_files]


def test_generated_traffic_has_the_shapes_the_marts_must_handle(tmp_path: Path) -> None:
    folder = tmp_path / "gen"
    generate(SPEC, folder)
    downloads = _rows(folder, "download_events")
    valid = [r for r in downloads if r.get("event_id") and (r["downloaded_at"] or "")[:4] == "2026"]

    by_module = Counter(r["module_name"] for r in valid).most_common()
    top_tenth = sum(count for _, count in by_module[: max(1, len(by_module) // 10)])
    assert top_tenth > 0.4 * len(valid), "popularity is skewed"

    by_weekday = Counter(date.fromisoformat(r["downloaded_at"][:10]).weekday() for r in valid)
    assert by_weekday[5] + by_weekday[6] < 0.8 * (by_weekday[1] + by_weekday[2]), "weekly cycle"

    hours = Counter(int(r["downloaded_at"][11:13]) for r in valid)
    assert hours[11] > 3 * hours[3], "daily cycle"

    late = [r for r in valid if r["downloaded_at"][:10] < r["_file"].split("__")[1][:10]]
    assert 0.01 < len(late) / len(valid) < 0.06, "late events arrive in later files"

    ids = Counter(r["event_id"] for r in valid)
    assert any(count > 1 for count in ids.values()), "some events are re-sent"
    assert len(downloads) > len(valid), "some rows are invalid"

    last_week = SPEC.last_day - timedelta(days=7)
    prior_week = last_week - timedelta(days=7)
    recent = Counter(r["module_name"] for r in valid if r["downloaded_at"][:10] > str(last_week))
    prior = Counter(
        r["module_name"]
        for r in valid
        if str(prior_week) < r["downloaded_at"][:10] <= str(last_week)
    )
    growing = [m for m in prior if prior[m] >= 20 and recent[m] > 1.3 * prior[m]]
    declining = [m for m in prior if prior[m] >= 20 and recent[m] < 0.8 * prior[m]]
    assert growing and declining, "trending has signal both ways"


def test_builds_fail_with_categories_and_compilations_hit_the_cache(tmp_path: Path) -> None:
    folder = tmp_path / "gen"
    generate(SPEC, folder)
    builds = _rows(folder, "build_events")
    categories = Counter(r["error_category"] for r in builds if r.get("status") == "failure")
    assert set(categories) == {"validation", "container", "build", "storage", "network"}
    compilations = _rows(folder, "compilation_events")
    hits = sum(r["cache_hit"] == "true" for r in compilations)
    assert 0.3 < hits / len(compilations) < 0.6


def test_a_steady_long_history_repeats_its_weeks_until_the_trend(tmp_path: Path) -> None:
    """Benchmarks compare history sizes at the same daily volume: a steady spec must keep every
    week of a long range alike, and module growth must not compound over the whole range."""
    spec = GeneratorSpec(events=150_000, days=TREND_DAYS + 84, end_date=date(2026, 6, 30), seed=3)
    generate(spec.clean().steady(), tmp_path, tables=["download_events"])
    rows = _rows(tmp_path, "download_events")
    by_day = Counter(r["downloaded_at"][:10] for r in rows)
    first_day = spec.first_day
    for offset in range(7, spec.days - 1):
        day, week_before = first_day + timedelta(days=offset), first_day + timedelta(offset - 7)
        assert by_day[str(day)] == by_day[str(week_before)], f"{day} and a week before differ"

    def shares(first_week: int) -> Counter[str]:
        start, end = (
            first_day + timedelta(weeks=first_week),
            first_day + timedelta(weeks=first_week + 4),
        )
        window = [
            r["module_name"] for r in rows if str(start) <= r["downloaded_at"][:10] < str(end)
        ]
        return Counter({m: c / len(window) for m, c in Counter(window).items()})

    early, late = shares(0), shares(8)  # both four-week spans end before the trend starts
    top = [module for module, _ in early.most_common(10)]
    assert abs(sum(early[m] for m in top) - sum(late[m] for m in top)) < 0.03
