"""Throwaway redis-server processes for the tests: on a free loopback port, no persistence, stopped at exit.

    server = shared()            # the session's server, started on first use; None without redis-server
    url = server.new_url()       # redis://127.0.0.1:P/N: a database of its own (Huey's keys do not mix)
    own = RedisServer.start_new()  # one a test may stop and start again (health with Redis down)

When redis-server is not installed the tests that need it skip, unless a missing Redis must fail the
run: PORTAL_TEST_REQUIRE_REDIS=1, or PORTAL_TEST_REQUIRE_POSTGRES=1 (which .ci/run sets: CI installs
both with `scripts/install --test`, so there a missing one is a broken install, not a smaller machine).
PORTAL_TEST_REDIS_SERVER names the binary when it is not on PATH.
"""
from __future__ import annotations

import atexit
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

REQUIRE_ENVS = ("PORTAL_TEST_REQUIRE_REDIS", "PORTAL_TEST_REQUIRE_POSTGRES")
DATABASES = 1024  # one per test that asks; far more than a run uses

# Run by the watchdog child: wait for EOF on stdin (the test process closed it or died), then kill the
# server. A redis-server child would otherwise outlive a test run that is killed (atexit never runs).
WATCHDOG = """
import os, signal, sys
sys.stdin.buffer.read()
try:
    os.kill(int(sys.argv[1]), signal.SIGKILL)
except ProcessLookupError:
    pass
"""


def required() -> bool:
    """Whether a missing redis-server must fail the tests (CI) rather than skip them."""
    return any(os.environ.get(name, "") not in ("", "0") for name in REQUIRE_ENVS)


def binary() -> str | None:
    configured = os.environ.get("PORTAL_TEST_REDIS_SERVER")
    if configured:
        return configured if Path(configured).is_file() else None
    return shutil.which("redis-server") or next((p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server")
                                                 if Path(p).is_file()), None)


def missing_message() -> str:
    return ("redis-server is not installed: run scripts/install --test (Debian's redis-server), "
            "or set PORTAL_TEST_REDIS_SERVER to the binary")


def skip_unless_installed() -> None:
    """Skip the calling test when redis-server is missing; fail it instead where Redis is required."""
    if binary() is None:
        if required():
            pytest.fail(missing_message())
        pytest.skip(missing_message())


class RedisServer:
    """One redis-server child process on 127.0.0.1, owned by this process."""

    def __init__(self, program: str) -> None:
        self.program = program
        self.folder = Path(tempfile.mkdtemp(prefix="portal-redis-"))
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._watchdog: subprocess.Popen | None = None
        self._databases = itertools.count(1)  # 0 is left alone
        self._lock = threading.Lock()

    @classmethod
    def start_new(cls) -> "RedisServer":
        """A started server of the caller's own (stopped with .stop(), and at the latest at exit)."""
        program = binary()
        if program is None:
            raise RuntimeError(missing_message())
        server = cls(program)
        atexit.register(server.close)
        server.start()
        return server

    def start(self, timeout: float = 20) -> "RedisServer":
        """Start (again, on the same port once one was used) and wait until it answers PING."""
        if self.process is not None and self.process.poll() is None:
            return self
        for _attempt in range(5):
            self.port = self.port or _free_port()
            log = open(self.folder / "server.log", "ab")
            self.process = subprocess.Popen(
                [self.program, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.folder), "--databases", str(DATABASES)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            log.close()
            if self._wait_until_up(timeout):
                self._start_watchdog()
                return self
            self.process.kill()
            self.process.wait()
            self.port = 0  # most likely taken by another process between the probe and the bind: try another
        raise RuntimeError(f"redis-server did not start:\n{self.log_tail()}")

    def _wait_until_up(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if self.answers():
                return True
            time.sleep(0.05)
        return False

    def answers(self) -> bool:
        """True when the server replies +PONG to a PING right now."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def _start_watchdog(self) -> None:
        self._watchdog = subprocess.Popen([sys.executable, "-c", WATCHDOG, str(self.process.pid)],
                                          stdin=subprocess.PIPE, start_new_session=True)

    def stop(self) -> None:
        """Stop the server (its data is thrown away); start() brings it back empty on the same port."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._watchdog is not None:
            self._watchdog.stdin.close()
            self._watchdog.wait(timeout=15)
            self._watchdog = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def new_url(self) -> str:
        """The URL of a database no other caller of new_url was given."""
        with self._lock:
            database = next(self._databases)
        if database >= DATABASES:
            raise RuntimeError("the test Redis ran out of databases")
        return self.url(database)

    def log_tail(self) -> str:
        try:
            return (self.folder / "server.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""


_shared: RedisServer | None = None
_shared_lock = threading.Lock()


def shared() -> RedisServer | None:
    """The session's server, started on first call; None when redis-server is not installed."""
    global _shared
    with _shared_lock:
        if _shared is None:
            if binary() is None:
                return None
            server = RedisServer(binary())
            atexit.register(server.close)
            server.start()
            _shared = server
        return _shared


def fresh_url() -> str:
    """A Redis database of the test's own on the shared server (skips or fails without redis-server)."""
    skip_unless_installed()
    return shared().new_url()


@pytest.fixture
def redis_url() -> str:
    """redis://127.0.0.1:P/N: an empty database of the session's throwaway Redis, for this test alone."""
    return fresh_url()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
