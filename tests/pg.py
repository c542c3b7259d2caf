"""A throwaway PostgreSQL cluster for the test session: started on first use, stopped at exit.

`fresh_database_url()` returns the SQLAlchemy URL of a new database holding the models' tables and no
rows (a copy of a template made once per session, so a test pays for a file copy rather than ~40
CREATE statements), or None when no PostgreSQL binaries are installed. CI sets
PORTAL_TEST_REQUIRE_POSTGRES=1 so that a missing PostgreSQL fails the run instead of skipping half of it.
"""
from __future__ import annotations

import atexit
import glob
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

REQUIRE_ENV = "PORTAL_TEST_REQUIRE_POSTGRES"
TEMPLATE = "portal_template"
SUPERUSER = "postgres"

# Durability is worthless for a cluster thrown away at the end of the run: no fsync, no full-page
# images, commits that do not wait for the WAL.
FAST_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "64MB",
    "max_connections": "200",
    "log_min_messages": "warning",
}


# Run by the watchdog child: wait for EOF on stdin (the test process closed it or died), then stop the
# server and remove its folder.
WATCHDOG = """
import json, shutil, subprocess, sys
sys.stdin.buffer.read()
subprocess.run(json.loads(sys.argv[1]), capture_output=True, check=False)
shutil.rmtree(sys.argv[2], ignore_errors=True)
"""


def required() -> bool:
    """Whether a missing PostgreSQL must fail the tests (CI) rather than skip them."""
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def bin_dir() -> Path | None:
    """The folder of initdb/pg_ctl: PORTAL_TEST_PG_BIN (alone when set), Debian's newest /usr/lib/postgresql/N/bin, or PATH."""
    configured = os.environ.get("PORTAL_TEST_PG_BIN")
    if configured:
        folder = Path(configured)
        return folder if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file() else None
    candidates = []
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0)
    candidates += [Path(p) for p in reversed(debian)]
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


class Cluster:
    """One postgres server in a temporary folder, owned by this process."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="portal-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        # initdb refuses to run as root: run the server as the `postgres` OS user (Debian's package
        # creates it), and give it the folder.
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            import pwd

            owner = pwd.getpwnam(SUPERUSER)
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", SUPERUSER, "--"]

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_user, *args], capture_output=True, text=True, check=False)

    def start(self) -> None:
        """initdb, then pg_ctl start on a free loopback port (retried if another process took the port)."""
        done = self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                         "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr or done.stdout}")
        for _attempt in range(5):
            self.port = _free_port()
            options = " ".join([f"-p {self.port}", f"-k {self.root}"] + [f"-c {k}={v}" for k, v in FAST_SETTINGS.items()])
            done = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                             "-o", options, "start")
            if done.returncode == 0:
                self._start_watchdog()
                return
        raise RuntimeError(f"pg_ctl start failed: {done.stderr or done.stdout}\n{self._log_tail()}")

    def _stop_command(self) -> list[str]:
        return [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]

    def _start_watchdog(self) -> None:
        """A child that stops the server when this process ends, however it ends.

        atexit does not run when the test run is killed (SIGTERM from a timeout, SIGKILL), and the
        server, detached by pg_ctl, would then live on with its folder.
        """
        self._watchdog = subprocess.Popen([sys.executable, "-c", WATCHDOG, json.dumps(self._stop_command()), str(self.root)],
                                          stdin=subprocess.PIPE, start_new_session=True)

    def stop(self) -> None:
        """Stop the server at once (nothing in it is worth a clean shutdown) and delete its folder."""
        watchdog = getattr(self, "_watchdog", None)
        if watchdog is not None:
            watchdog.stdin.close()  # the watchdog's cue
            try:
                watchdog.wait(timeout=60)
                return
            except subprocess.TimeoutExpired:
                watchdog.kill()
                watchdog.wait()
        if self.data.exists():
            subprocess.run(self._stop_command(), capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def execute(self, *statements: str, dbname: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=dbname, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def build_template(self) -> None:
        """Create the template database holding the current models' schema."""
        import sqlalchemy as sa

        import portal.models  # noqa: F401  (every table on the metadata)
        from portal.extensions import db

        self.execute(f"CREATE DATABASE {TEMPLATE}")
        engine = sa.create_engine(self.url(TEMPLATE), poolclass=sa.pool.NullPool)
        try:
            db.metadata.create_all(engine)
        finally:
            engine.dispose()
        # No connection may stay on the template while it is copied.
        self.execute(f"ALTER DATABASE {TEMPLATE} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true")

    def new_database(self, empty: bool = False) -> str:
        with self._lock:
            name = f"test_{os.getpid()}_{next(self._counter)}"
        # FILE_COPY: for a database of a few MB a copy of the files beats WAL-logging every block (the
        # PostgreSQL 15 default): measured ~30 ms against ~50 ms; create_all on an empty one is ~120 ms.
        strategy = " STRATEGY = FILE_COPY" if self._version() >= 15 else ""
        template = "template0" if empty else TEMPLATE
        self.execute(f"CREATE DATABASE {name} TEMPLATE {template}{strategy}")
        return self.url(name)

    def _version(self) -> int:
        try:
            return int(self.bindir.parent.name)
        except ValueError:
            return 0

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        # FORCE: a test that forgot to dispose an engine must not keep its database (and the disk) alive.
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


_cluster: Cluster | None = None
_cluster_error: Exception | None = None
_start_lock = threading.Lock()


def cluster() -> Cluster | None:
    """The session's cluster, started on first call; None when PostgreSQL is not installed."""
    global _cluster, _cluster_error
    with _start_lock:
        if _cluster is not None or _cluster_error is not None:
            if _cluster_error is not None:
                raise RuntimeError(f"the test PostgreSQL cluster did not start: {_cluster_error}")
            return _cluster
        folder = bin_dir()
        if folder is None:
            return None
        candidate = Cluster(folder)
        atexit.register(candidate.stop)
        try:
            candidate.start()
            candidate.build_template()
        except Exception as exc:  # remembered so every later test fails fast with the same cause
            _cluster_error = exc
            raise
        _cluster = candidate
        return _cluster


def fresh_database_url(empty: bool = False) -> str | None:
    """A new database (the models' schema created, or nothing at all with empty=True); None without PostgreSQL."""
    current = cluster()
    if current is None:
        return None
    return current.new_database(empty=empty)


def drop_database(url: str) -> None:
    """Drop a database made by fresh_database_url (connections still open to it are ended)."""
    if _cluster is not None:
        _cluster.drop_database(url)


def missing_message() -> str:
    return ("PostgreSQL is not installed (no initdb/pg_ctl under /usr/lib/postgresql/*/bin or on PATH): "
            "run scripts/install --test, or set PORTAL_TEST_PG_BIN to the folder holding them")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
