"""WAREHOUSE_ENGINE read in one place, and what follows from it without a cluster: the dbt
target, and a manifest parsed for the other engine parsed again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.lib.dbt import _manifest_is_current
from orchestration.lib.settings import (
    DBT_PRODUCTION_TARGET,
    DBT_SPARK_TARGET,
    POSTGRES,
    SPARK,
    Settings,
    dbt_target,
    engine_from_env,
)


@pytest.mark.parametrize(
    ("value", "engine"), [(None, POSTGRES), ("", POSTGRES), ("spark", SPARK), (" Spark ", SPARK)]
)
def test_engine_from_the_environment(
    value: str | None, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if value is None:
        monkeypatch.delenv("WAREHOUSE_ENGINE", raising=False)
    else:
        monkeypatch.setenv("WAREHOUSE_ENGINE", value)
    assert engine_from_env() == engine
    assert Settings.from_env().engine == engine


def test_an_unknown_engine_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_ENGINE", "duckdb")
    with pytest.raises(ValueError) as error:
        Settings.from_env()
    assert str(error.value) == "WAREHOUSE_ENGINE='duckdb': choose one of postgres, spark"


def test_each_engine_builds_with_its_target() -> None:
    assert dbt_target(POSTGRES) == DBT_PRODUCTION_TARGET
    assert dbt_target(SPARK) == DBT_SPARK_TARGET


def test_a_manifest_of_the_other_adapter_is_parsed_again(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    node = {"database": "postgres", "schema": "marts", "config": {"schema": "marts"}}
    manifest.write_text(
        json.dumps({"metadata": {"adapter_type": "postgres"}, "nodes": {"model.x.y": node}})
    )
    assert _manifest_is_current(manifest, "postgres", DBT_PRODUCTION_TARGET)
    assert not _manifest_is_current(manifest, "postgres", DBT_SPARK_TARGET)


def test_great_expectations_imports_beside_pyspark() -> None:
    """pyspark without Spark Connect's dependencies exits (status 0, silently) a process whose
    __main__ has no file when Great Expectations probes Spark Connect on import: Dagster's
    step workers are such processes, and every GX check failed in them. `python -c` is one."""
    done = subprocess.run(
        [sys.executable, "-c", "import great_expectations; print('imported')"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.stdout.strip().endswith("imported"), done.stderr[-1000:]


@pytest.mark.parametrize("entry_point", ["orchestration.demo", "orchestration.ui"])
def test_make_demo_and_make_ui_stop_on_an_unknown_engine_in_one_line(entry_point: str) -> None:
    """What `WAREHOUSE_ENGINE=duckdb make demo` (or `make ui`) runs: one line and exit 1,
    before any event is generated or the UI starts (a traceback, and for the UI a code
    location error, before)."""
    finished = subprocess.run(
        [sys.executable, "-m", entry_point],
        env={**os.environ, "WAREHOUSE_ENGINE": "duckdb"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert finished.returncode == 1
    assert finished.stderr.strip() == (
        "error: WAREHOUSE_ENGINE='duckdb': choose one of postgres, spark"
    )
    assert finished.stdout == ""
