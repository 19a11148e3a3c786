"""`make cluster` / `make stop`: a local Spark standalone cluster for the `spark` dbt target.

A master, workers of one core each and a long-lived Spark Thrift server (dbt-spark's
`method: thrift` costs about 2.3 s per dbt call against it, a `session` 12-17 s, and two dbt
runs may share it), all bound to 127.0.0.1. pyspark's wheel ships no sbin scripts, so each
JVM is started here with pyspark's own `bin/spark-class`, in a process group of its own (the
scripts `exec` the JVM, so a pid file names the JVM; a worker's executors are its children
and leave with the group). Pid files and logs are under `.warehouse/spark/`, with the Derby
metastore and the warehouse folder at fixed paths, so every start sees the same tables.

`python -m ingest.cluster start|stop|status`; settings from the environment, read when asked.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from ingest.warehouse import warehouse_dir

HOST = "127.0.0.1"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
THRIFT_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
# Seconds a start may take on a busy two-core machine (two workers ALIVE take about 9 s,
# the Thrift server with its metastore about 30 s), and a JVM may take to leave on SIGTERM.
START_TIMEOUT = 180.0
STOP_TIMEOUT = 30.0


class ClusterError(RuntimeError):
    """The cluster cannot start or stop; the message is one line for the terminal."""


# A JVM heap size as both `java -Xmx` and Spark's --memory read it: a whole number and a unit.
MEMORY_SIZE = re.compile(r"[1-9][0-9]*[kmgt]", re.IGNORECASE)


def _whole_number(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = env.get(name, str(default)).strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise ClusterError(f"{name}={text!r}: a whole number from {low} to {high}")
    return int(text)


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    return _whole_number(env, name, default, low=1, high=65535)


def _memory(env: Mapping[str, str], name: str, default: str) -> str:
    text = env.get(name, default).strip()
    if not MEMORY_SIZE.fullmatch(text):
        raise ClusterError(f"{name}={text!r}: a size such as 512m or 2g")
    return text


@dataclass(frozen=True)
class ClusterSettings:
    """Where the cluster lives and which ports it takes (environment, defaults for one user)."""

    home: Path
    lake_dir: Path
    master_port: int
    master_ui_port: int
    thrift_port: int
    thrift_ui_port: int
    workers: int
    worker_memory: str
    driver_memory: str

    @classmethod
    def from_env(cls) -> ClusterSettings:
        """The settings from the environment; one line naming a variable that is not a number
        of the kind it must be (a JVM given a bad heap size exits with its own message in a
        log, after the JVMs before it have started)."""
        env = os.environ
        return cls(
            home=Path(env.get("WAREHOUSE_SPARK_DIR", warehouse_dir() / "spark")),
            lake_dir=Path(env.get("WAREHOUSE_LAKE_DIR", warehouse_dir() / "lake")),
            master_port=_port(env, "SPARK_MASTER_PORT", 7077),
            # Not Spark's 8080: `make docs` serves there.
            master_ui_port=_port(env, "SPARK_MASTER_UI_PORT", 8090),
            thrift_port=_port(env, "SPARK_THRIFT_PORT", 10000),
            # The Thrift server's application UI (its executors, jobs and stages).
            thrift_ui_port=_port(env, "SPARK_THRIFT_UI_PORT", 4040),
            workers=_whole_number(env, "SPARK_WORKERS", 2, low=1, high=64),
            worker_memory=_memory(env, "SPARK_WORKER_MEMORY", "2g"),
            driver_memory=_memory(env, "SPARK_DRIVER_MEMORY", "2g"),
        )

    @property
    def master_url(self) -> str:
        return f"spark://{HOST}:{self.master_port}"

    @property
    def master_ui(self) -> str:
        return f"http://{HOST}:{self.master_ui_port}"

    @property
    def thrift_ui(self) -> str:
        return f"http://{HOST}:{self.thrift_ui_port}"

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"


@dataclass(frozen=True)
class Component:
    """One JVM of the cluster: its name (pid and log file), main class and arguments."""

    name: str
    main_class: str
    args: tuple[str, ...]
    launcher: str = "spark-class"

    def pid_file(self, settings: ClusterSettings) -> Path:
        return settings.run_dir / f"{self.name}.pid"

    def log_file(self, settings: ClusterSettings) -> Path:
        return settings.log_dir / f"{self.name}.log"


def spark_home() -> Path:
    """pyspark's folder, which holds Spark's jars and bin/ scripts; one line when missing."""
    spec = find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise ClusterError(
            "pyspark is not installed: .venv/bin/pip install -e '.[spark]' (make cluster does)"
        )
    return Path(spec.origin).parent


def java_executable() -> str:
    """Java 17 runs Spark; JAVA_HOME first, as Spark's scripts look."""
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise ClusterError(
            "java not found: install Java 17 (Debian: apt-get install openjdk-17-jre-headless)"
            " or set JAVA_HOME"
        )
    return java


def thrift_conf(settings: ClusterSettings) -> dict[str, str]:
    """The Thrift server's Spark configuration: the cluster's cores, fixed metastore and
    warehouse folders, everything on 127.0.0.1."""
    metastore = settings.home / "metastore_db"
    return {
        "spark.master": settings.master_url,
        "spark.driver.host": HOST,
        "spark.driver.bindAddress": HOST,
        "spark.driver.memory": settings.driver_memory,
        "spark.executor.memory": settings.worker_memory,
        "spark.executor.cores": "1",
        "spark.cores.max": str(settings.workers),
        "spark.ui.port": str(settings.thrift_ui_port),
        "spark.sql.warehouse.dir": str(settings.home / "warehouse"),
        # Days are UTC days whatever the machine's zone (the lake's timestamps are UTC).
        "spark.sql.session.timeZone": "UTC",
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={metastore};create=true"
        ),
        # Derby's log beside its database, not in whatever folder the server started from.
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={settings.home}",
    }


def thrift_hiveconf(settings: ClusterSettings) -> tuple[str, ...]:
    """HiveServer2's own options (its ServerOptionsProcessor reads --hiveconf arguments)."""
    return (
        "--hiveconf", f"hive.server2.thrift.bind.host={HOST}",
        "--hiveconf", f"hive.server2.thrift.port={settings.thrift_port}",
    )  # fmt: skip


def components(settings: ClusterSettings) -> list[Component]:
    """The master, the workers and the Thrift server, in start order."""
    master = Component(
        "master",
        MASTER_CLASS,
        ("--host", HOST, "--port", str(settings.master_port),
         "--webui-port", str(settings.master_ui_port)),
    )  # fmt: skip
    workers = [
        Component(
            f"worker-{number}",
            WORKER_CLASS,
            (
                settings.master_url,
                "--host",
                HOST,
                "--cores",
                "1",
                "--memory",
                settings.worker_memory,
                "--webui-port",
                "0",
                "--work-dir",
                str(settings.home / "work" / f"worker-{number}"),
            ),
        )
        for number in range(1, settings.workers + 1)
    ]
    conf = [
        arg for key, value in thrift_conf(settings).items() for arg in ("--conf", f"{key}={value}")
    ]
    thrift = Component(
        "thrift",
        THRIFT_CLASS,
        (
            "--class",
            THRIFT_CLASS,
            "--name",
            "warehouse-thrift",
            *conf,
            "spark-internal",
            *thrift_hiveconf(settings),
        ),
        launcher="spark-submit",
    )
    return [master, *workers, thrift]


def _process_env(settings: ClusterSettings) -> dict[str, str]:
    env = {
        **os.environ,
        "SPARK_LOCAL_IP": HOST,  # else the JVMs bind to the external interface
        "SPARK_HOME": str(spark_home()),
        # Master and worker daemons need little; the memory is the executors' and driver's.
        "SPARK_DAEMON_MEMORY": os.environ.get("SPARK_DAEMON_MEMORY", "512m"),
        "SPARK_LOG_DIR": str(settings.log_dir),
        "SPARK_PID_DIR": str(settings.run_dir),
    }
    env.setdefault("JAVA_HOME", str(Path(os.path.realpath(java_executable())).parents[1]))
    return env


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def running_pid(component: Component, settings: ClusterSettings) -> int | None:
    """The component's pid if its pid file names a live JVM of its class (not a reused pid)."""
    try:
        pid = int(component.pid_file(settings).read_text())
    except (OSError, ValueError):
        return None
    return pid if component.main_class in _cmdline(pid) else None


def descendants(pid: int) -> set[int]:
    """Every live process below pid (a worker's executors), from /proc's parent links."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def cluster_pids(settings: ClusterSettings) -> set[int]:
    """Every live process of the cluster: its JVMs and their children."""
    pids: set[int] = set()
    for component in components(settings):
        pid = running_pid(component, settings)
        if pid is not None:
            pids |= {pid, *descendants(pid)}
    return pids


def _launch(component: Component, settings: ClusterSettings, env: dict[str, str]) -> int:
    launcher = spark_home() / "bin" / component.launcher
    args = (
        component.args
        if component.launcher != "spark-class"
        else (component.main_class, *component.args)
    )
    log = component.log_file(settings).open("ab")
    process = subprocess.Popen(
        [str(launcher), *args],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        env=env, cwd=settings.home, start_new_session=True,
    )  # fmt: skip
    log.close()
    component.pid_file(settings).write_text(str(process.pid))
    return process.pid


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (bound to 0 and released together, so all differ): a
    second cluster beside an engineer's (the tests, the benchmark)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]


def isolated_env(home: Path, lake: Path) -> dict[str, str]:
    """Environment variables of a cluster of its own: in the folders given, on free ports."""
    master, master_ui, thrift, thrift_ui = free_ports(4)
    return {
        "WAREHOUSE_SPARK_DIR": str(home),
        "WAREHOUSE_LAKE_DIR": str(lake),
        "SPARK_MASTER_PORT": str(master),
        "SPARK_MASTER_UI_PORT": str(master_ui),
        "SPARK_THRIFT_PORT": str(thrift),
        "SPARK_THRIFT_UI_PORT": str(thrift_ui),
    }


def _port_answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((HOST, port)) == 0


def master_state(settings: ClusterSettings) -> dict:
    """The master's JSON (workers, applications); {} while it does not answer."""
    try:
        with urllib.request.urlopen(f"{settings.master_ui}/json", timeout=5) as response:
            return json.load(response)
    except (OSError, ValueError):
        return {}


def alive_workers(settings: ClusterSettings) -> int:
    return sum(w.get("state") == "ALIVE" for w in master_state(settings).get("workers", []))


def _wait(
    what: str, ready: Callable[[], bool], settings: ClusterSettings, component: Component
) -> None:
    """Polls until ready(); one line naming the log when the JVM died or time ran out."""
    deadline = time.monotonic() + START_TIMEOUT
    pid = int(component.pid_file(settings).read_text())
    while not ready():
        # Whether the process lives, not its command line: that is briefly empty while the
        # launch scripts exec the JVM.
        if not Path(f"/proc/{pid}").exists() or _zombie(pid):
            raise ClusterError(f"{what} exited while starting: see {component.log_file(settings)}")
        if time.monotonic() > deadline:
            raise ClusterError(
                f"{what} not ready after {START_TIMEOUT:.0f} s: see {component.log_file(settings)}"
            )
        time.sleep(1)


def start(settings: ClusterSettings) -> list[str]:
    """Starts what is not running and waits until the workers are ALIVE and the Thrift port
    answers; returns one line per component. A half-running cluster is stopped first."""
    parts = components(settings)
    running = [running_pid(part, settings) is not None for part in parts]
    if all(running):
        return [f"already running: {line}" for line in describe(settings)]
    if any(running):
        stop(settings)
    env = _process_env(settings)
    java_executable()
    for folder in (settings.run_dir, settings.log_dir, settings.lake_dir):
        folder.mkdir(parents=True, exist_ok=True)
    master, *workers, thrift = parts
    for busy in (settings.master_port, settings.master_ui_port, settings.thrift_port):
        if _port_answers(busy):
            raise ClusterError(
                f"port {busy} on {HOST} is taken by another program: set SPARK_*_PORT"
            )
    try:
        _launch(master, settings, env)
        _wait("master", lambda: bool(master_state(settings)), settings, master)
        for worker in workers:
            _launch(worker, settings, env)
        _wait(
            f"{len(workers)} workers", lambda: alive_workers(settings) >= len(workers),
            settings, workers[-1],
        )  # fmt: skip
        # Spark's launcher sizes a Thrift server's heap by SPARK_DAEMON_MEMORY before its
        # spark.driver.memory: without this, the driver got the daemons' 512m.
        _launch(thrift, settings, {**env, "SPARK_DAEMON_MEMORY": settings.driver_memory})
        _wait("thrift server", lambda: _port_answers(settings.thrift_port), settings, thrift)
    except (ClusterError, KeyboardInterrupt):
        stop(settings)  # no half-started cluster left behind
        raise
    return describe(settings)


def describe(settings: ClusterSettings) -> list[str]:
    """One line per component with its URL."""
    workers = master_state(settings).get("workers", [])
    lines = [f"master   {settings.master_url}  (UI {settings.master_ui})"]
    lines += [
        f"worker   {w['host']}:{w['port']}  {w['state']}, {w['cores']} core,"
        f" {w['memory']} MB  (UI {w['webuiaddress']})"
        for w in sorted(workers, key=lambda w: w["id"])
        if w.get("state") == "ALIVE"
    ]
    lines.append(
        f"thrift   jdbc:hive2://{HOST}:{settings.thrift_port}  (UI {settings.thrift_ui};"
        f" logs {settings.log_dir})"
    )
    return lines


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


def _wait_gone(pids: set[int], timeout: float) -> set[int]:
    deadline = time.monotonic() + timeout
    while left := {pid for pid in pids if Path(f"/proc/{pid}").exists() and not _zombie(pid)}:
        if time.monotonic() > deadline:
            return left
        time.sleep(0.5)
    return set()


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def stop(settings: ClusterSettings) -> list[str]:
    """Stops the Thrift server, the workers (their executors with them), then the master:
    SIGTERM to each process group, SIGKILL to whatever is left after STOP_TIMEOUT."""
    stopped = []
    for component in reversed(components(settings)):
        pid = running_pid(component, settings)
        if pid is not None:
            group = {pid, *descendants(pid)}
            _signal_group(pid, signal.SIGTERM)
            for straggler in _wait_gone(group, STOP_TIMEOUT):
                os.kill(straggler, signal.SIGKILL)
            _wait_gone(group, 5)
            stopped.append(component.name)
        component.pid_file(settings).unlink(missing_ok=True)
    return stopped


COMMANDS = {
    "start": "start the cluster (or report it running) and print its URLs",
    "stop": "stop every process of the cluster",
    "status": "print the cluster's components, if running",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.cluster", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in COMMANDS.items():
        commands.add_parser(name, help=help_text)
    args = parser.parse_args(argv)
    try:
        settings = ClusterSettings.from_env()
        if args.command == "start":
            print("\n".join(start(settings)))
        elif args.command == "stop":
            stopped = stop(settings)
            print(
                f"spark cluster stopped ({', '.join(stopped)})"
                if stopped
                else "no spark cluster running"
            )
        elif cluster_pids(settings):
            print("\n".join(describe(settings)))
        else:
            print("no spark cluster running")
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"error: interrupted ({args.command}); `make stop` stops what runs", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
