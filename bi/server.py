"""Apache Superset as the project runs it: its own virtualenv, its state in one folder, one
server on 127.0.0.1 started in the background and stopped by `make stop`.

Superset cannot share the project's virtualenv (it pins SQLAlchemy < 2, older pandas), so
`ensure_venv` makes `.bi-venv` from bi/requirements.txt the first time and again only when
that file changes. Its secrets are generated into the home folder on first start, never
committed: the Flask SECRET_KEY and the admin's password.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ingest.warehouse import PROJECT_ROOT

BI_DIR = PROJECT_ROOT / "bi"
REQUIREMENTS = BI_DIR / "requirements.txt"
CONFIG = BI_DIR / "superset_config.py"
VENV = PROJECT_ROOT / ".bi-venv"
DEFAULT_HOME = PROJECT_ROOT / ".warehouse" / "bi"
DEFAULT_PORT = 8088
ADMIN = "admin"
STARTUP_SECONDS = 300


class SupersetFailed(RuntimeError):
    """A Superset command or the server failed; the message names the log to read."""


def ensure_venv(venv: Path = VENV) -> Path:
    """Superset's virtualenv, installed from the pinned requirements if missing or stale.
    Returns the `superset` executable."""
    stamp = venv / ".requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if not (stamp.exists() and stamp.read_text() == wanted):
        print(f"installing Superset into {venv} (once; a few minutes)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
             "-r", str(REQUIREMENTS)],
            check=True,
        )  # fmt: skip
        stamp.write_text(wanted)
    return venv / "bin" / "superset"


def _secret_file(path: Path) -> str:
    """A random secret generated into `path` (owner-only) the first time, then read back."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def _alive(pid: int) -> bool:
    """Whether the process runs; reaps it first when it is this process's child."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass(frozen=True)
class Superset:
    """One Superset instance: its home folder (state, secrets, logs) and its port."""

    home: Path = DEFAULT_HOME
    port: int = DEFAULT_PORT
    venv: Path = VENV

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def admin_password(self) -> str:
        return _secret_file(self.home / "admin_password")

    @property
    def pid_file(self) -> Path:
        return self.home / "superset.pid"

    @property
    def log(self) -> Path:
        return self.home / "superset.log"

    def env(self) -> dict[str, str]:
        _secret_file(self.home / "secret_key")
        return {
            **os.environ,
            "SUPERSET_CONFIG_PATH": str(CONFIG),
            "BI_HOME": str(self.home),
            "BI_PORT": str(self.port),
            "FLASK_APP": "superset.app:create_app()",
            "PYTHONWARNINGS": "ignore",
        }

    def run(self, *args: str) -> str:
        """A `superset` CLI command; its output goes to the log, its failure is one line."""
        return self._logged(str(self.venv / "bin" / "superset"), *args)

    def run_script(self, script: Path, *args: str) -> str:
        """A script run by Superset's Python with this instance's configuration."""
        return self._logged(str(self.venv / "bin" / "python"), str(script), *args)

    def _logged(self, *command: str) -> str:
        self.home.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(command, env=self.env(), capture_output=True, text=True)
        with (self.home / "provision.log").open("a") as log:
            log.write(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}\n")
        if result.returncode != 0:
            raise SupersetFailed(
                f"{Path(command[0]).name} {Path(command[1]).name} failed"
                f" (exit {result.returncode}): see {self.home / 'provision.log'}"
            )
        return result.stdout

    def initialise(self) -> None:
        """The metadata database migrated, the admin user and the roles: all idempotent, and
        skipped (a minute and a half) when done already by this Superset installation."""
        stamp, installed = self.home / "initialised", self.venv / ".requirements.sha256"
        if stamp.exists() and stamp.read_text() == installed.read_text():
            return
        self.run("db", "upgrade")
        users = self.run("fab", "list-users")
        if f"username:{ADMIN} |" not in users:
            self.run(
                "fab", "create-admin", "--username", ADMIN, "--firstname", "Data",
                "--lastname", "Team", "--email", "admin@localhost",
                "--password", self.admin_password,
            )  # fmt: skip
        self.run("init")
        stamp.write_text(installed.read_text())

    def running_pid(self) -> int | None:
        if not self.pid_file.exists():
            return None
        pid = int(self.pid_file.read_text())
        if not _alive(pid):
            self.pid_file.unlink()
            return None
        return pid

    def start(self) -> None:
        """The web server (gunicorn, as Superset is deployed) in the background, until it
        answers /health."""
        if self.running_pid() is not None:
            return
        with self.log.open("ab") as log:
            process = subprocess.Popen(
                [str(self.venv / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{self.port}",
                 "--workers", "1", "--threads", "8", "--timeout", "120",
                 "superset.app:create_app()"],
                env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.pid_file.write_text(str(process.pid))
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise SupersetFailed(f"Superset exited during start-up: see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=5):
                    return
            except OSError:
                time.sleep(1)
        self.stop()
        raise SupersetFailed(f"Superset did not answer within {STARTUP_SECONDS} s: see {self.log}")

    def stop(self) -> bool:
        """Stops the server this home started (by its process group); True if one ran."""
        pid = self.running_pid()
        if pid is None:
            return False
        os.killpg(pid, signal.SIGTERM)
        for _ in range(60):
            if not _alive(pid):
                break
            time.sleep(0.5)
        else:
            os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True
