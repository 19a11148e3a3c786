"""`make cluster` / `make stop` (ingest/cluster.py) for real: the JVMs start on 127.0.0.1,
two workers register, a query through the Thrift server runs its tasks on both workers'
executors, a second start changes nothing, and a stop leaves no process behind.

One cluster for the module (a start takes 30-90 s on this machine), in a folder and on ports
of its own, so an engineer's `make cluster` on the default ports is left alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest import cluster

pytestmark = pytest.mark.spark

if cluster.find_spec("pyspark") is None:
    pytest.skip("pyspark is not installed (pip install -e '.[spark]')", allow_module_level=True)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingest.cluster", *args],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def _json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def _alive(pids: set[int]) -> set[int]:
    """The pids still running (a zombie waiting for its parent's wait() has left)."""
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


@pytest.fixture(scope="module")
def cluster_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    env = {
        **os.environ,
        **cluster.isolated_env(tmp_path_factory.mktemp("spark"), tmp_path_factory.mktemp("lake")),
        # Small JVMs: the test proves placement, not capacity.
        "SPARK_WORKER_MEMORY": "1g",
        "SPARK_DRIVER_MEMORY": "1g",
    }
    yield env
    _cli(env, "stop")  # whatever a failed test left running


@pytest.fixture
def own_cluster_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A cluster's environment in the test's own folder and ports; stopped afterwards, so a
    test that fails (or code that leaves JVMs behind) does not leave them running."""
    env = {
        **os.environ,
        **cluster.isolated_env(tmp_path / "spark", tmp_path / "lake"),
        "SPARK_WORKER_MEMORY": "1g",
        "SPARK_DRIVER_MEMORY": "1g",
    }
    yield env
    _cli(env, "stop")


@pytest.fixture(scope="module")
def started(
    cluster_env: dict[str, str],
) -> tuple[subprocess.CompletedProcess[str], cluster.ClusterSettings]:
    result = _cli(cluster_env, "start")
    settings = _settings(cluster_env)
    return result, settings


def _settings(env: dict[str, str]) -> cluster.ClusterSettings:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return cluster.ClusterSettings.from_env()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_start_prints_one_line_per_component(started) -> None:
    result, settings = started
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["master", "worker", "worker", "thrift"]
    assert lines[0].startswith(f"master   spark://127.0.0.1:{settings.master_port}")
    assert lines[-1].startswith(f"thrift   jdbc:hive2://127.0.0.1:{settings.thrift_port}")


def test_two_workers_alive_on_localhost(started) -> None:
    _, settings = started
    workers = cluster.master_state(settings)["workers"]
    assert [(w["state"], w["cores"], w["host"]) for w in workers] == [("ALIVE", 1, "127.0.0.1")] * 2


def test_query_through_thrift_runs_on_both_workers(started) -> None:
    from pyhive import hive

    _, settings = started
    with hive.connect(host=cluster.HOST, port=settings.thrift_port) as connection:
        cursor = connection.cursor()
        cursor.execute("select count(distinct id % 1000), sum(id) from range(0, 2000000, 1, 8)")
        assert cursor.fetchall() == [(1000, 2_000_000 * 1_999_999 // 2)]
    apps = _json(f"{settings.thrift_ui}/api/v1/applications")
    executors = _json(f"{settings.thrift_ui}/api/v1/applications/{apps[0]['id']}/executors")
    tasks = {e["id"]: e["totalTasks"] for e in executors if e["id"] != "driver"}
    assert len(tasks) == 2 and all(count > 0 for count in tasks.values()), tasks
    master = cluster.master_state(settings)
    assert [app["name"] for app in master["activeapps"]] == ["warehouse-thrift"]
    assert [w["coresused"] for w in master["workers"]] == [1, 1]


def _heap(pid: int) -> str:
    """The JVM's maximum heap: the last -Xmx of its command line (the one the JVM takes)."""
    arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    return [a for a in arguments if a.startswith("-Xmx")][-1].removeprefix("-Xmx")


def test_each_jvm_has_the_memory_it_is_given(started) -> None:
    """The Thrift server's heap is SPARK_DRIVER_MEMORY (its driver builds every broadcast
    join: at 10M events one failed on the daemons' 512m); the daemons keep theirs."""
    _, settings = started
    heaps = {
        part.name: _heap(pid)
        for part in cluster.components(settings)
        if (pid := cluster.running_pid(part, settings)) is not None
    }
    assert settings.driver_memory == "1g"  # the fixture's: not the daemons' 512m
    assert heaps == {"master": "512m", "worker-1": "512m", "worker-2": "512m", "thrift": "1g"}


def test_second_start_reports_already_running(started, cluster_env: dict[str, str]) -> None:
    _, settings = started
    before = cluster.cluster_pids(settings)
    again = _cli(cluster_env, "start")
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("already running:") == 4
    assert cluster.cluster_pids(settings) == before


def test_stop_leaves_no_process(started, cluster_env: dict[str, str]) -> None:
    _, settings = started
    pids = cluster.cluster_pids(settings)
    assert len(pids) >= 6  # master, two workers, the Thrift server, an executor per worker
    result = _cli(cluster_env, "stop")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "spark cluster stopped (thrift, worker-2, worker-1, master)"
    assert _alive(pids) == set()
    assert not list(settings.run_dir.glob("*.pid"))
    assert _cli(cluster_env, "stop").stdout.strip() == "no spark cluster running"


def test_missing_java_is_one_line(cluster_env: dict[str, str], tmp_path: Path) -> None:
    env = {
        **cluster_env,
        "JAVA_HOME": str(tmp_path / "no-java"),
        "WAREHOUSE_SPARK_DIR": str(tmp_path),
    }
    result = _cli(env, "start")
    assert result.returncode == 1
    assert result.stderr.startswith("error: java not found") and result.stderr.count("\n") == 1
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SPARK_DRIVER_MEMORY", "lots"),
        ("SPARK_WORKER_MEMORY", "2gb"),  # Spark reads it, java -Xmx does not
        ("SPARK_THRIFT_PORT", "99999"),
        ("SPARK_WORKERS", "0"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it_before_anything_starts(
    own_cluster_env: dict[str, str], tmp_path: Path, variable: str, value: str
) -> None:
    result = _cli({**own_cluster_env, variable: value}, "start")
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {variable}={value!r}: "), result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "spark" / "run").exists()


def _mentioning(text: str) -> set[int]:
    """Live processes whose command line contains `text`."""
    pids = (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    return _alive({pid for pid in pids if text in cluster._cmdline(pid)})


def test_a_start_failing_halfway_leaves_no_process(own_cluster_env: dict[str, str]) -> None:
    """A heap no machine has passes the settings' check, and the Thrift server's JVM exits
    (after the master and workers are up): one line naming its log, and the master and
    workers stopped again, not left holding ports until the next `make stop`."""
    env = {**own_cluster_env, "SPARK_DRIVER_MEMORY": "1000t"}
    result = _cli(env, "start")
    assert result.returncode == 1
    assert result.stderr.startswith("error: thrift server exited while starting: see ")
    assert result.stderr.count("\n") == 1
    log = Path(result.stderr.split("see ", 1)[1].strip())
    assert "Could not reserve enough space" in log.read_text()
    port = env["SPARK_MASTER_PORT"]
    # The master's arguments name its port, the workers' and the Thrift server's its URL.
    assert _mentioning(f"--port {port} ") | _mentioning(f"{cluster.HOST}:{port}") == set()
    assert not list(Path(env["WAREHOUSE_SPARK_DIR"], "run").glob("*.pid"))
