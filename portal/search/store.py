"""Index directory layout, the cross-process write lock, and atomic generation swaps.

    <index_dir>/
        CURRENT          name of the live generation ("gen-000007"), replaced with os.replace
        write.lock       fcntl lock held by whoever writes (updates and rebuilds)
        gen-000007/      the live index (engine files + ENGINE marker)
        gen-000006/      the previous one, removed once no search can still be using it

A rebuild writes a new generation next to the live one while holding the write lock, then
points CURRENT at it. Readers compare CURRENT's inode and mtime on each search (a `stat`, a few
microseconds) and reopen when it changed, so other processes move to the new index on their
next search. Writers that find the lock held past their timeout get `IndexBusy`; the outbox keeps
their change and retries it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from portal.search.engine import IndexBusy, IndexCorrupt

__all__ = ["GenerationStore", "file_lock", "fsync_tree"]

_GEN_RE = re.compile(r"gen-(\d{6,})")
# A search that started before a swap finishes within this; older generations are then removed.
GRACE_SECONDS = 60.0
_LOCK_POLL = 0.02


@contextlib.contextmanager
def file_lock(path: Path, timeout: float, busy: str, *, error: type[IndexBusy] = IndexBusy) -> Iterator[None]:
    """Hold an fcntl lock on `path` (every process and thread: each call opens its own file).

    Raises `error(busy)` when it is still held by someone else after `timeout` seconds.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise error(f"{busy} (waited {timeout:g} s)") from None
                time.sleep(_LOCK_POLL)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def fsync_tree(path: Path, since_ns: int = 0) -> None:
    """Flush to disk the files of `path` changed since `since_ns` (mtime), then the directory itself.

    Whoosh writes its segments and TOC without fsync: after a power cut the outbox row would be
    gone while the index update it stood for never reached the disk.
    """
    with os.scandir(path) as entries:
        for entry in entries:
            try:
                if not entry.is_file(follow_symlinks=False) or entry.stat().st_mtime_ns < since_ns:
                    continue
                fd = os.open(entry.path, os.O_RDONLY)
            except FileNotFoundError:  # removed by the writer's own clean-up meanwhile
                continue
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class GenerationStore:
    """The directory of one engine's index: generations, CURRENT pointer and write lock."""

    def __init__(self, root: Path, engine: str) -> None:
        self.root = Path(root)
        self.engine = engine
        self.root.mkdir(parents=True, exist_ok=True)
        self.pointer = self.root / "CURRENT"
        self.lock_path = self.root / "write.lock"

    # -- reading the pointer -------------------------------------------------------------

    def signature(self) -> tuple[int, int, int] | None:
        """Return (inode, mtime_ns, size) of CURRENT, or None when there is no index yet."""
        try:
            st = os.stat(self.pointer)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def current(self) -> str | None:
        """Return the live generation's name, or None when no index was made yet."""
        try:
            name = self.pointer.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise IndexCorrupt(f"cannot read {self.pointer}: {exc}") from exc
        if not _GEN_RE.fullmatch(name):
            raise IndexCorrupt(f"{self.pointer} does not name a generation: {name[:40]!r}")
        path = self.root / name
        if not path.is_dir():
            raise IndexCorrupt(f"{self.pointer} names {name}, which does not exist")
        marker = path / "ENGINE"
        try:
            engine = marker.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise IndexCorrupt(f"{path} has no readable ENGINE marker: {exc}") from exc
        if engine != self.engine:
            raise IndexCorrupt(f"{path} holds a {engine!r} index, not {self.engine!r}")
        return name

    def path(self, name: str) -> Path:
        return self.root / name

    # -- writing -------------------------------------------------------------------------

    def write_lock(self, timeout: float):
        """Hold the index's write lock (all processes, all threads); `IndexBusy` after `timeout`."""
        return file_lock(self.lock_path, timeout, f"the search index at {self.root} is being written by another process")

    def generations(self) -> list[str]:
        names = [p.name for p in self.root.iterdir() if p.is_dir() and _GEN_RE.fullmatch(p.name)]
        return sorted(names, key=lambda n: int(_GEN_RE.fullmatch(n).group(1)))

    def new_generation(self) -> tuple[str, Path]:
        """Create an empty generation directory numbered after every existing one (hold the lock)."""
        existing = self.generations()
        number = int(_GEN_RE.fullmatch(existing[-1]).group(1)) + 1 if existing else 1
        name = f"gen-{number:06d}"
        path = self.root / name
        path.mkdir()
        (path / "ENGINE").write_text(self.engine + "\n", encoding="ascii")
        return name, path

    def publish(self, name: str) -> None:
        """Point CURRENT at generation `name` atomically and durably (hold the lock)."""
        tmp = self.root / f".CURRENT.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="ascii") as f:
            f.write(name + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.pointer)
        dir_fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def collect_garbage(self, grace: float = GRACE_SECONDS) -> list[str]:
        """Remove generations nobody can need any more (hold the lock); return their names.

        Newer than the live one: left by a rebuild that died (we hold the lock, so none is
        running). Older: removed once CURRENT has pointed elsewhere for `grace` seconds, so a
        search that started on the old generation just before the swap can finish.
        """
        try:
            live = self.current()
        except IndexCorrupt:
            return []
        if live is None:
            return []
        live_no = int(_GEN_RE.fullmatch(live).group(1))
        sig = self.signature()
        swapped_long_ago = sig is not None and (time.time_ns() - sig[1]) / 1e9 >= grace
        removed = []
        for name in self.generations():
            number = int(_GEN_RE.fullmatch(name).group(1))
            if number == live_no or (number < live_no and not swapped_long_ago):
                continue
            shutil.rmtree(self.root / name, ignore_errors=True)
            removed.append(name)
        return removed
