"""The dbt project as Dagster sees it: one daily-partitioned multi-asset per source system.

A source's models are every model of models/<layer>/<source>/: staging, rollups and snapshot
marts alike. A partition run passes its days to dbt in the environment variables
WAREHOUSE_WINDOW_MIN_DATE/_MAX_DATE (the macros read them as they read the vars
min_date/max_date; new --vars would make dbt parse the whole project in every run): rollups
rebuild those days (weekly and monthly marts the periods they touch), snapshot marts compute
their snapshots as of those days and restate every stored snapshot the days feed, so a
backfill of a month is one run, one dbt call, and the whole source is consistent after it.
Partitioning every model of a source alike keeps partitioned and unpartitioned dbt models out
of one multi-asset, a known Dagster problem.

The manifest is prepared when the code location loads (not at import): parsed when missing,
stale, or made for another database.
"""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from functools import cached_property
from importlib.metadata import version
from pathlib import Path
from typing import Any, Self

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets
from packaging.version import Version

from ingest.lake import LAKE_VARIABLE, lake_dir
from ingest.warehouse import Warehouse, first_line
from orchestration.lib.partitions import window_vars
from orchestration.lib.resources import WarehouseResource
from orchestration.lib.settings import DBT_PRODUCTION_TARGET, DBT_PROJECT_DIR, DBT_SPARK_TARGET
from orchestration.lib.translator import WarehouseTranslator

MODEL_LAYERS = ("staging", "intermediate", "marts")
SOURCES_EXCLUDED = "resource_type:source"
# dbt's unit tests give their fixture rows as PostgreSQL literals, which Spark's parser refuses
# (UNSUPPORTED_TYPED_LITERAL); they test the models' logic, which the postgres engine's runs
# and CI check, so runs on Spark leave them out.
UNIT_TESTS_EXCLUDED = "resource_type:unit_test"


def excluded_resources(target: str) -> str:
    """What a source's partition runs leave out of `dbt build` with `target`."""
    if target == DBT_SPARK_TARGET:
        return f"{SOURCES_EXCLUDED} {UNIT_TESTS_EXCLUDED}"
    return SOURCES_EXCLUDED


# Every dbt run that writes the warehouse is in this pool: one at a time (dagster.yaml).
WAREHOUSE_POOL = "warehouse"


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_executable() -> str:
    return str(Path(sys.executable).parent / "dbt")


# The environment variables of a partition run's window (macros/compile_time, get_requested_dates).
WINDOW_ENV = {"min_date": "WAREHOUSE_WINDOW_MIN_DATE", "max_date": "WAREHOUSE_WINDOW_MAX_DATE"}


class WarehouseDbtCli(DbtCliResource):
    """dagster-dbt's resource, without its `dbt --version` before every call.

    dagster-dbt asks the executable for its version (core or fusion) once per resource, that
    is once per run: `dbt --version` also asks the package index for the newest release, about
    2.7 s here. The executable is this virtualenv's dbt-core, whose version is known.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        """No dbt adapter in Dagster's process.

        dagster-dbt builds one (profile, project, connection manager) on every `cli()` call,
        1.5 s of a run's process here (0.4 s once dbt's modules are loaded), only to serve
        `fetch_column_metadata()` and `fetch_row_counts()`, which this project does not call
        (row counts are counted by the project, see `_RowCounts`). Without an adapter,
        dagster-dbt runs the dbt CLI as it does for dbt Fusion, which has none.
        """
        return None


def dbt_resource(project: DbtProject, target: str = DBT_PRODUCTION_TARGET) -> DbtCliResource:
    return WarehouseDbtCli(project_dir=project, dbt_executable=dbt_executable(), target=target)


@contextmanager
def dbt_environment(warehouse: Warehouse, window: Mapping[str, str]) -> Iterator[None]:
    """The warehouse's PG* variables (profiles.example.yml reads them) and the window's days
    in the environment dbt subprocesses inherit while the block runs; restored after it, so
    nothing of one run's warehouse outlives the run in the process.

    dagster-dbt starts dbt with a copy of os.environ; runs that write the warehouse are one at
    a time (the pool), so setting and restoring the variables around the call is safe.

    No debug log file: dagster-dbt points dbt's log at the run's own target folder, which is
    removed after the run (`_stream`), and dbt wrote it in JSON at debug level, every
    statement with its node, about a second of a one-day run (BENCHMARKS.md). What dbt
    reports at info level is still the run's output (dagster-dbt echoes it), and a failure's
    errors are in the step's failure.
    """
    variables = {
        **warehouse.dbt_env(),
        "DBT_LOG_LEVEL_FILE": "none",
        # The spark target's sources are the lake's Parquet folders (macros/lake/).
        LAKE_VARIABLE: str(lake_dir()),
        **{WINDOW_ENV[bound]: day for bound, day in window.items()},
    }
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None) if value is None else os.environ.update({name: value})


def _manifest_is_current(manifest: Path, database: str, target: str) -> bool:
    """Newer than every project file, and parsed for this target's adapter and database
    (relation names carry it) and for a production target (a folder's schema as it is, not
    a dev schema)."""
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    sources = (
        p for p in DBT_PROJECT_DIR.rglob("*")
        if p.suffix in {".sql", ".yml"} and not {"target", "logs"} & set(p.parts)
    )  # fmt: skip
    if any(p.stat().st_mtime > built for p in sources):
        return False
    parsed = json.loads(manifest.read_text())
    if parsed["metadata"].get("adapter_type") != target_adapter(target):
        return False
    spark = target == DBT_SPARK_TARGET  # no databases on Spark: a relation is <schema>.<name>
    return all(
        (spark or node.get("database") in (None, database))
        and node["config"].get("schema") in (None, node.get("schema"))
        for node in parsed["nodes"].values()
    )


def target_adapter(target: str) -> str:
    """The dbt adapter of a target of profiles.yml (the spark target's, else postgres)."""
    return "spark" if target == DBT_SPARK_TARGET else "postgres"


def prepare_manifest(
    project: DbtProject, warehouse: Warehouse, target: str = DBT_PRODUCTION_TARGET
) -> Path:
    """Parses the project when its manifest is missing, stale, or made for another target or
    database.

    Runs when the code location loads (not at import), so `make ui` needs no manual
    `dbt parse`, and an edited model is picked up on reload.
    """
    manifest = project.manifest_path
    if _manifest_is_current(manifest, warehouse.dbname, target):
        return manifest
    subprocess.run(
        [dbt_executable(), "parse", "--quiet",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target", target],
        check=True,
        env={**os.environ, **warehouse.dbt_env(), LAKE_VARIABLE: str(lake_dir()),
             "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
    )  # fmt: skip
    return manifest


def source_selection(source: str) -> str:
    """dbt's selection of a source system's models: its dbt group, which its folders in every
    layer set (dbt_project.yml; tests/test_engineer_loop.py checks that none is missed)."""
    return f"group:{source}"


def has_models(manifest: Mapping[str, Any], source: str) -> bool:
    """Whether the source has models that become assets (ephemeral ones do not), in the
    parsed manifest (read once for every source: 2 MB of JSON)."""
    nodes = manifest["nodes"].values()
    return any(
        node["resource_type"] == "model"
        and len(node["fqn"]) > 3
        and node["fqn"][1] in MODEL_LAYERS
        and node["fqn"][2] == source
        and node["config"]["materialized"] != "ephemeral"
        for node in nodes
    )


# Relations whose row count a materialization reports (a view's count would run its query).
COUNTED = ("table", "incremental")


def _unique_id(event: Any) -> str | None:
    value = event.metadata.get("unique_id")
    return str(value.value) if value is not None else None


# What a production run publishes for slim builds: the project as built, what the run did.
PUBLISHED_ARTIFACTS = ("manifest.json", "run_results.json")


def publish_artifacts(target: Path, state_dir: Path) -> None:
    """Copies the run's artifacts into the state folder, each replaced whole (a reader never
    sees half a file)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    for name in PUBLISHED_ARTIFACTS:
        if (target / name).exists():
            partial = state_dir / f".{name}.partial"
            shutil.copyfile(target / name, partial)
            partial.replace(state_dir / name)


class _RowCounts:
    """Rows of each table a dbt event reports built, counted when the event arrives, every
    count on one connection. A count that fails logs one warning and stops the counting: the
    counts must not cost the run its materializations."""

    def __init__(
        self,
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        nodes: Mapping[str, Any],
    ) -> None:
        self._context, self._warehouse, self._nodes = context, warehouse, nodes
        self._connection = ExitStack()
        self._count: Callable[[str], int] | None = None
        self._failed = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self._connection.close()

    def of(self, event: Any) -> int | None:
        node = self._nodes.get(_unique_id(event) or "")
        if self._failed or not node or node["config"]["materialized"] not in COUNTED:
            return None
        # Schema and name, not the manifest's relation_name: that names the database it was
        # parsed for, and the run's may be another (a copy, a test database).
        relation = self._warehouse.relation(node["schema"], node["alias"])
        try:
            if self._count is None:
                self._count = self._connection.enter_context(self._warehouse.row_counter())
            return self._count(relation)
        except Exception as error:  # psycopg's or the Thrift client's: a warning either way
            self._failed = True
            self._context.log.warning(f"row counts not recorded: {first_line(error)}")
            return None


def _stream(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    args: list[str],
    window: Mapping[str, str],
    state_dir: Path,
) -> Iterator[Any]:
    """Runs one dbt command for the run's selection; row counts and the window on every asset.

    Each event goes to Dagster as dbt reports it, so the run's log is written while dbt works
    (written after dbt, it added 0.7 s to a one-day run). Row counts are counted here, not by
    dagster-dbt's fetch_row_counts(): that waits for its threads in a busy loop that takes a
    core from dbt for the whole call (2 cores here), and opens a connection per model. A dbt
    failure is raised after the events of the nodes that ran, its artifacts published.
    """
    target = Path(dbt.project_dir) / "target" / "runs" / context.run.run_id
    run_metadata = {"window": f"{window['min_date']} .. {window['max_date']}"}
    try:
        with dbt_environment(warehouse.get(), window):
            invocation = dbt.cli(args, context=context, target_path=target)
        with _RowCounts(context, warehouse, invocation.manifest["nodes"]) as counts:
            try:
                for event in invocation.stream():
                    if isinstance(event, dg.Output | dg.AssetMaterialization):
                        rows = counts.of(event)
                        event = event.with_metadata(
                            {**event.metadata, **run_metadata,
                             **({"dagster/row_count": rows} if rows is not None else {})}
                        )  # fmt: skip
                    yield event
            finally:
                publish_artifacts(target, state_dir)
    finally:
        shutil.rmtree(target, ignore_errors=True)  # each run's own target folder


def build_source_dbt_assets(
    project: DbtProject,
    manifest: Mapping[str, Any],
    source: str,
    partitions: dg.PartitionsDefinition,
    translator: WarehouseTranslator,
    state_dir: Path,
    exclude: str = SOURCES_EXCLUDED,
) -> dg.AssetsDefinition:
    """The source's models as one daily-partitioned multi-asset (single-run backfills), from
    the project's parsed `manifest`; each run publishes its dbt artifacts into `state_dir`;
    `exclude`: excluded_resources()."""

    @dbt_assets(
        manifest=manifest,
        project=project,
        select=source_selection(source),
        # The folders select the source's dbt sources too, and with them (indirect selection)
        # the tests on raw tables: whole-table scans of raw in every partition run, which
        # Dagster logs as observations with a warning each. The loader validates raw rows.
        exclude=exclude,
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        dagster_dbt_translator=translator,
        name=f"{source}_dbt_models",
        pool=WAREHOUSE_POOL,
    )
    def source_dbt_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ) -> Iterator[Any]:
        window = window_vars(context.partition_time_window)
        yield from _stream(context, dbt, warehouse, ["build"], window, state_dir)

    return source_dbt_models
