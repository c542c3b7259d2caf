"""The portal as it is deployed, for process-level tests: a real waitress server and a real worker.

A test that calls a service in-process proves the function; these start the same commands an
installation runs (`waitress-serve wsgi:app`, `flask --app portal worker`, `flask --app portal …`) with
the configuration in the environment, so task registration, crashes (`kill -9`), several processes
and the task queue are exercised for real.

    portal = PortalProcess(tmp_path)          # instance, archive, index, SQLite under tmp_path
    portal.init()                             # `flask --app portal init` (admin password known)
    portal.start()                            # waitress on a free loopback port; waits until it answers
    token = portal.token("admin")             # a bearer token from `create-token`
    portal.kill()                             # SIGKILL, as a power cut would stop it
    portal.start()                            # same instance, new process

    PortalProcess(tmp_path, serve_with="gunicorn", workers=2)   # gunicorn.conf.py with 2 worker processes
    PortalProcess(tmp_path, pid_header=True)  # every answer names its server process (X-Served-By-Pid)

    PortalProcess(tmp_path, queue_url=url)    # the task queue on Redis (tests/redis_server.py) instead of SQLite
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ADMIN_PASSWORD = "mat-khau-quan-tri-2026"
# Cheap password hashing for the test instance (instance/config.py is read by every process).
INSTANCE_CONFIG = 'PORTAL_ARGON2_PARAMS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}\n'


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ProcessFailed(RuntimeError):
    """A portal command or process did not do what the test needs; the message carries its output."""


class PortalProcess:
    """One portal installation under `root`: run its commands, start, stop and kill its processes."""

    def __init__(self, root: Path, *, env: dict | None = None, threads: int = 4, database_url: str | None = None,
                 instance_config: str = "", queue_url: str | None = None, serve_with: str = "waitress",
                 workers: int = 2, pid_header: bool = False, server_args: tuple[str, ...] = ()) -> None:
        self.root = Path(root)
        self.instance = self.root / "instance"
        self.archive = self.root / "archive"
        self.instance.mkdir(parents=True, exist_ok=True)
        config = self.instance / "config.py"
        if not config.exists():
            config.write_text(INSTANCE_CONFIG + instance_config)
        self.threads = threads
        assert serve_with in ("waitress", "gunicorn"), serve_with
        self.serve_with, self.workers_count = serve_with, workers
        self.wsgi_app = "tests.wsgi_pid:app" if pid_header else "wsgi:app"
        self.server_args = tuple(server_args)  # more options for waitress-serve or gunicorn
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "DATABASE_URL", "FLASK_"))},
            "PORTAL_INSTANCE_DIR": str(self.instance),
            "PORTAL_ARCHIVE_DIR": str(self.archive),
            "PORTAL_INDEX_DIR": str(self.instance / "index"),
            "DATABASE_URL": database_url or f"sqlite:///{self.instance / 'portal.sqlite3'}",
            "PORTAL_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "PYTHONUNBUFFERED": "1",
            **({"PORTAL_QUEUE_URL": queue_url} if queue_url else {}),
            **(env or {}),
        }
        self.port: int | None = None
        self.server: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self._logs: list = []

    # --- commands ------------------------------------------------------------------------------

    def flask(self, *args: str, check: bool = True, timeout: float = 300, input: str | None = None,
              env: dict | None = None) -> subprocess.CompletedProcess:
        """Run `flask --app portal ARGS…` against this installation and return what it printed."""
        result = subprocess.run([str(BIN / "flask"), "--app", "portal", *args], cwd=ROOT, env={**self.env, **(env or {})},
                                capture_output=True, text=True, timeout=timeout, input=input)
        if check and result.returncode != 0:
            raise ProcessFailed(f"flask {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
        return result

    def init(self) -> None:
        """Create the database, folders and the admin account (`flask --app portal init`)."""
        self.flask("init")

    def token(self, username: str = "admin") -> str:
        """A new API token for `username` (the last line `create-token` prints)."""
        return self.flask("create-token", username).stdout.strip().splitlines()[-1].strip()

    @contextlib.contextmanager
    def queue(self):
        """The installation's task queue storage (SQLite file or Redis), opened from this test process."""
        from portal.tasks import close_storage, open_storage

        storage = open_storage({"PORTAL_QUEUE_URL": self.env.get("PORTAL_QUEUE_URL", ""),
                                "PORTAL_INSTANCE_DIR": str(self.instance)})
        try:
            yield storage
        finally:
            close_storage(storage)

    # --- server --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self.port, "the server was never started"
        return f"http://127.0.0.1:{self.port}"

    def _log(self, name: str):
        handle = open(self.root / name, "ab")
        self._logs.append(handle)
        return handle

    def start(self, *, timeout: float = 60) -> "PortalProcess":
        """Start waitress serving `wsgi:app` (a new port unless one was used before) and wait until it answers."""
        if self.server is not None and self.server.poll() is None:
            return self
        self.port = self.port or free_port()
        log = self._log("server.log")
        # gunicorn's threads come from PORTAL_SERVER_THREADS (gunicorn.conf.py), which the app reads too.
        env = {**self.env, "PORTAL_SERVER_THREADS": str(self.threads)} if self.serve_with == "gunicorn" else self.env
        self.server = subprocess.Popen(self._server_argv(), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise ProcessFailed(f"the server exited with {self.server.returncode}:\n{self.server_log()}")
            try:
                with urllib.request.urlopen(self.url + "/login", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.1)
        raise ProcessFailed(f"the server did not answer within {timeout} s:\n{self.server_log()}")

    def _server_argv(self) -> list[str]:
        if self.serve_with == "gunicorn":
            # The repository's gunicorn.conf.py (preload, gthread), as `scripts/serve --workers N` runs it.
            return [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), f"--bind=127.0.0.1:{self.port}",
                    f"--workers={self.workers_count}", *self.server_args, self.wsgi_app]
        return [str(BIN / "waitress-serve"), "--host", "127.0.0.1", f"--port={self.port}", f"--threads={self.threads}",
                *self.server_args, self.wsgi_app]

    def server_log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the server's whole process group (its guarded PDF children too), as a crash would."""
        self._signal(self.server, signal.SIGKILL)
        self.server = None

    def stop(self) -> None:
        """Stop the server politely (SIGTERM), then by force if it lingers."""
        self._signal(self.server, signal.SIGTERM)
        self.server = None

    # --- worker --------------------------------------------------------------------------------

    def start_worker(self, *args: str) -> subprocess.Popen:
        """Start `flask --app portal worker` (the task queue consumer) with this installation's config."""
        log = self._log("worker.log")
        worker = subprocess.Popen([str(BIN / "flask"), "--app", "portal", "worker", *args], cwd=ROOT, env=self.env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.workers.append(worker)
        return worker

    def worker_log(self) -> str:
        path = self.root / "worker.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_workers(self, sig: int = signal.SIGTERM) -> None:
        for worker in self.workers:
            self._signal(worker, sig)
        self.workers.clear()

    # --- HTTP ----------------------------------------------------------------------------------

    def request(self, method: str, path: str, *, token: str | None = None, json_body=None, data: bytes | None = None,
                headers: dict | None = None, timeout: float = 60) -> tuple[int, dict | bytes]:
        """Send one request; return the status and the JSON answer (or the raw bytes)."""
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                status, body, kind = response.status, response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            status, body, kind = exc.code, exc.read(), exc.headers.get("Content-Type", "")
        return status, (json.loads(body) if "json" in kind and body else body)

    def upload(self, pdf: bytes, filename: str, *, token: str, fields: dict | None = None,
               timeout: float = 60) -> tuple[int, dict | bytes]:
        """POST /api/v1/documents with one PDF as multipart form data."""
        boundary = "----thidua" + os.urandom(8).hex()
        parts = []
        for key, value in (fields or {}).items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                     f"Content-Type: application/pdf\r\n\r\n".encode() + pdf + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", "/api/v1/documents", token=token, data=b"".join(parts),
                            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}, timeout=timeout)

    # --- teardown ------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop everything this installation started."""
        self.stop()
        self.stop_workers()
        for handle in self._logs:
            handle.close()
        self._logs.clear()

    def __enter__(self) -> "PortalProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @staticmethod
    def _signal(process: subprocess.Popen | None, sig: int) -> None:
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def score_race(save_one, save_other, round_: int, version: int) -> tuple[str, dict]:
    """Two saves of one score cell at the same instant, both with `version`: exactly one 200 and one 409.

    `save_one(points)` / `save_other(points)` PUT the cell (each through its own process) and return
    (status, answer). New points each round: saving the value already stored is "no conflict" by design.
    Returns the winner's points and the loser's answer (which carries the current value).
    """
    start = threading.Barrier(2)
    outcomes: dict[str, tuple[int, dict]] = {}

    def save(put, points: str) -> None:
        start.wait(timeout=30)
        outcomes[points] = put(points)

    writers = [threading.Thread(target=save, args=(put, points))
               for put, points in ((save_one, f"{round_}.25"), (save_other, f"{round_}.75"))]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    assert sorted(status for status, _ in outcomes.values()) == [200, 409], (round_, outcomes)
    winner = next(points for points, (status, _) in outcomes.items() if status == 200)
    loser = next(answer for status, answer in outcomes.values() if status == 409)
    assert loser["error"]["current"]["version"] == version + 1
    return winner, loser
