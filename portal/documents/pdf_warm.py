"""Warm guarded PDF children: a small per-process pool of ``pdf_child --serve`` processes that have
imported pypdf once and inspect one file after another (``inspect_pdf`` uses it; see ``pdf.py``).

A one-shot child spends ~270 ms starting Python and importing pypdf before it reads a byte; a warm
child answers a 10-page PDF in the time pypdf takes to read it. The guard stays per file:

- memory: the child's ``RLIMIT_AS`` (``PORTAL_PDF_MEMORY_MB``) is set before it imports anything;
- CPU: before each file the child sets its soft ``RLIMIT_CPU`` to the CPU it has used so far plus the
  file's allowance (SIGXCPU kills it when one file overruns), under a hard limit for its whole life;
- wall clock, output cap, cancellation: the parent's, per file, as ``run_bounded`` does; the child's
  whole process group is killed when one is hit;
- pages, text cap, content budget: inside the inspection, per file, as before.

A child is retired (killed, a fresh one started in its place) after ``files_per_child`` files and after
anything but a clean answer (any refusal, a timeout, a death, an oversized answer), so a hostile file
kills only its own child and the next file gets a fresh one. Children run without a shell, in their
own process group, with a minimal environment, and exit when their parent dies (they poll
``getppid``; ``kill -9`` of a server leaves no child behind for more than half a second).

Bounds (per process; a server running several processes has one pool in each): at most
``max_idle`` children wait between files; children at work are bounded by the callers, i.e. by
``InspectionPool`` (``PORTAL_PDF_MAX_INSPECTIONS``: a third of the server's threads, at most the
CPUs). ``inspection_pool(app)`` sets ``max_idle`` to that limit, so a process never holds more
children than inspections it may run at once: idle ones cost ~35 MB resident each, one at work at
most ``PORTAL_PDF_MEMORY_MB``. ``PORTAL_PDF_CHILD_FILES`` (default 50) is the number of files per
child; 1 goes back to one fresh child per file.
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from portal.documents.pdf import (
    _BOOTSTRAP,
    _CODE_ROOT,
    _MEMORY_HINTS,
    CANCEL_POLL_S,
    DEFAULT_MAX_INSPECTIONS,
    BoundedRun,
    _child_env,
    _is_cancelled,
    _kill_group,
)

#: Files one warm child inspects before it is replaced (its memory may have grown).
FILES_PER_CHILD = 50
#: CPU seconds a child may use over its whole life beyond its files' allowances (start-up, imports).
START_CPU_S = 30
_MAX_STDERR = 64 * 1024


@dataclass(eq=False)
class _Child:
    key: tuple[int, int]  # (memory_mb, cpu_s): the limits it was started with
    proc: subprocess.Popen[bytes]
    files: int = 0
    born: float = field(default_factory=time.monotonic)


class WarmChildren:
    """The per-process pool; ``run(job, …)`` inspects one file in a warm child (see the module)."""

    def __init__(self, *, max_idle: int = DEFAULT_MAX_INSPECTIONS, files_per_child: int = FILES_PER_CHILD) -> None:
        self.max_idle = max(0, int(max_idle))
        self.files_per_child = max(1, int(files_per_child))
        self.spawned = 0  # children started by this process (tests, benchmarks)
        self._lock = threading.Lock()
        self._idle: list[_Child] = []
        self._pid = os.getpid()

    def configure(self, *, max_idle: int | None = None, files_per_child: int | None = None) -> None:
        with self._lock:
            if max_idle is not None:
                self.max_idle = max(0, int(max_idle))
            if files_per_child is not None:
                self.files_per_child = max(1, int(files_per_child))
            surplus = self._idle[self.max_idle:]
            del self._idle[self.max_idle:]
        for child in surplus:
            _retire(child)

    def idle_count(self) -> int:
        with self._lock:
            return len(self._idle)

    def close(self) -> None:
        """Stop every idle child (at exit; tests)."""
        with self._lock:
            idle, self._idle = self._idle, []
            mine = self._pid == os.getpid()
        if mine:
            for child in idle:
                _retire(child)

    # --- one file ----------------------------------------------------------------------------

    def run(self, job: dict[str, Any], *, memory_mb: int, timeout_s: float, max_stdout: int,
            cancelled: Callable[[], bool] | None = None) -> BoundedRun:
        """Send ``job`` to a warm child and collect its answer as a ``BoundedRun`` (the parent maps it
        exactly as a one-shot child's). Raises ``OSError`` only when no child can be started."""
        key = (int(memory_mb), int(job["cpu_s"]))
        line = json.dumps(job, ensure_ascii=False).encode("utf-8") + b"\n"
        fresh = False
        for attempt in range(3):
            child = self._spawn(key) if fresh else self._take(key)
            try:
                assert child.proc.stdin is not None
                child.proc.stdin.write(line)
                child.proc.stdin.flush()
            except (BrokenPipeError, OSError):
                # It died while idle (before reading this file): the file is not to blame.
                _retire(child)
                if attempt:
                    raise
                continue
            run, reusable = _collect(child, timeout_s, max_stdout, cancelled)
            child.files += 1
            if reusable and child.files < self.files_per_child:
                self._give_back(child)
                return run
            _retire(child)
            if child.files > 1 and not fresh and _out_of_memory(run):
                # Memory the earlier files left behind (a fragmented heap) must not count against
                # this one: the memory limit is per file, so it gets one try in a fresh child.
                fresh = True
                continue
            self._spare(key)
            return run
        raise OSError("no PDF child")  # not reached

    def _take(self, key: tuple[int, int]) -> _Child:
        with self._lock:
            self._forget_after_fork()
            for i in range(len(self._idle) - 1, -1, -1):
                child = self._idle[i]
                if child.key == key:
                    del self._idle[i]
                    if child.proc.poll() is None:
                        return child
                    _retire(child)
        return self._spawn(key)

    def _give_back(self, child: _Child) -> None:
        evicted = None
        with self._lock:
            if self._pid == os.getpid() and self.max_idle:
                if len(self._idle) >= self.max_idle:
                    others = [c for c in self._idle if c.key != child.key]
                    if others:  # limits changed (config, a test): the newest kind wins the place
                        evicted = others[0]
                        self._idle.remove(evicted)
                if len(self._idle) < self.max_idle:
                    self._idle.append(child)
                    child = None  # type: ignore[assignment]
        if evicted is not None:
            _retire(evicted)
        if child is not None:
            _retire(child)

    def _spare(self, key: tuple[int, int]) -> None:
        """Start a replacement at once when no child of this kind waits, so the next file finds it
        warm (it imports pypdf while nobody waits for it)."""
        with self._lock:
            if not self.max_idle or any(c.key == key for c in self._idle) or len(self._idle) >= self.max_idle:
                return
        try:
            child = self._spawn(key)
        except OSError:
            return
        self._give_back(child)

    def _spawn(self, key: tuple[int, int]) -> _Child:
        memory_mb, cpu_s = key
        budget = self.files_per_child * (cpu_s + 1) + START_CPU_S
        argv = [sys.executable, "-P", "-s", "-c", _BOOTSTRAP, _CODE_ROOT, "--serve",
                "--memory-mb", str(memory_mb), "--cpu-budget-s", str(budget)]
        proc = subprocess.Popen(  # noqa: S603 - argv is ours, never a shell
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_child_env(),
            cwd="/", close_fds=True, process_group=0,
        )
        with self._lock:
            self.spawned += 1
        return _Child(key, proc)

    def _forget_after_fork(self) -> None:
        # A forked server worker inherits the references, not the children: they are its parent's.
        if self._pid != os.getpid():
            self._idle = []
            self._pid = os.getpid()


def _collect(child: _Child, timeout_s: float, max_stdout: int,
             cancelled: Callable[[], bool] | None) -> tuple[BoundedRun, bool]:
    """Read one framed answer (``LENGTH\\n`` + JSON) within the limits; ``(run, reusable)``."""
    proc = child.proc
    assert proc.stdout is not None and proc.stderr is not None
    start = time.monotonic()
    deadline = start + timeout_s
    head, body, err = bytearray(), bytearray(), bytearray()
    expected: int | None = None
    timed_out = overflow = died = False
    sel = selectors.DefaultSelector()
    try:
        sel.register(proc.stdout, selectors.EVENT_READ, "out")
        sel.register(proc.stderr, selectors.EVENT_READ, "err")
        while expected is None or len(body) < expected:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (cancelled is not None and _is_cancelled(cancelled)):
                timed_out = True
                break
            wait = remaining if cancelled is None else min(remaining, CANCEL_POLL_S)
            for key, _events in sel.select(wait):
                chunk = os.read(key.fd, 65536)
                if key.data == "err":
                    if not chunk:
                        sel.unregister(key.fileobj)
                    elif len(err) < _MAX_STDERR:
                        err += chunk[: _MAX_STDERR - len(err)]
                    continue
                if not chunk:
                    died = True
                    break
                if expected is None:
                    head += chunk
                    if b"\n" in head:
                        size, _, rest = bytes(head).partition(b"\n")
                        try:
                            expected = int(size)
                        except ValueError:
                            expected = -1
                        body += rest
                    elif len(head) > 32:
                        expected = -1
                    if expected is not None and not 0 <= expected <= max_stdout:
                        overflow = True
                        break
                else:
                    body += chunk
                if len(body) > max_stdout:
                    overflow = True
                    break
            if died or overflow:
                break
    finally:
        sel.close()
    elapsed = time.monotonic() - start
    if not (timed_out or overflow or died):
        clean = bytes(body[:12]).startswith(b'{"ok":true')
        return BoundedRun(0, bytes(body), bytes(err), False, False, elapsed), clean
    if died:
        # The child is exiting (a limit hit, a crash): its fate, within what is left of the deadline.
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
    if proc.poll() is None:
        _kill_group(proc)
        proc.wait()
    err += _drain(proc.stderr, _MAX_STDERR - len(err))
    run = BoundedRun(proc.returncode, bytes(body) if died else b"", bytes(err), timed_out, overflow,
                     time.monotonic() - start)
    return run, False


def _out_of_memory(run: BoundedRun) -> bool:
    if b'"code":"too_large_memory"' in run.stdout[:200]:
        return True
    return not run.stdout and any(h in run.stderr for h in _MEMORY_HINTS)


def _drain(stream: Any, limit: int) -> bytes:
    """What a dead child left on a pipe (its last words: a MemoryError traceback), briefly."""
    out = bytearray()
    sel = selectors.DefaultSelector()
    try:
        sel.register(stream, selectors.EVENT_READ)
        while len(out) < limit and sel.select(0.05):
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                break
            out += chunk
    except (OSError, ValueError):
        pass
    finally:
        sel.close()
    return bytes(out[: max(0, limit)])


def _retire(child: _Child) -> None:
    """Kill the child's group, reap it, close its pipes."""
    proc = child.proc
    if proc.poll() is None:
        _kill_group(proc)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL is not ignorable
        pass
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        try:
            if stream is not None:
                stream.close()
        except OSError:
            pass


#: The process's pool (``pdf.inspection_pool`` sizes it from the app's limits).
warm_children = WarmChildren()
atexit.register(warm_children.close)


def _after_fork_in_child() -> None:
    # A lock another thread of the parent held at the fork would stay held for ever in the child.
    warm_children._lock = threading.Lock()
    warm_children._forget_after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)
