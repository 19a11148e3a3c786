"""A source's generated history in a test database of its own, loaded and built by dbt: where
each source's mart and operations tests start (one module-scoped build that tests only read)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingest import loader, migrate
from ingest.generator import GeneratorSpec, generate
from ingest.sources import SOURCES
from ingest.warehouse import Warehouse
from tests.databases import fresh_database
from tests.dbt_support import DbtProject


def models_of(source: str) -> tuple[str, ...]:
    """dbt's selection of one source's staging, intermediate and mart models."""
    return tuple(f"{layer}.{source}" for layer in ("staging", "intermediate", "marts"))


def ending_yesterday(events: int, days: int, seed: int) -> GeneratorSpec:
    """`days` of history ending yesterday, as a live source's does, one day fewer when that
    would start on the 1st: the first month must start before the data, so that the marts'
    completeness flags are tested."""
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    if (yesterday - timedelta(days=days - 1)).day == 1:
        days -= 1
    return GeneratorSpec(events=events, days=days, seed=seed)


@contextmanager
def built_history(
    server: Warehouse,
    work: Path,
    spec: GeneratorSpec,
    source: str | None = None,
    command: str = "build",
    with_catalogs: bool = True,
) -> Iterator[Warehouse]:
    """A fresh database with the spec's generated events of one source (every source when
    None) loaded, then `dbt <command>` of that source's models (of the whole project when
    None); dropped on exit."""
    tables = SOURCES[source] if source else None
    selection = ("--select", *models_of(source)) if source else ()
    with fresh_database(server) as warehouse:
        migrate.migrate(warehouse)
        for path in generate(spec, work / "landing", tables=tables):
            if with_catalogs or not path.stem.endswith("__catalog"):
                loader.load_file(warehouse, path)
        DbtProject(warehouse, work)(command, *selection)
        yield warehouse
