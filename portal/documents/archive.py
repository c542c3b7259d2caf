"""The archive of original files: content-addressed by SHA-256, written once, never modified.

An upload is streamed to `<archive>/tmp/` while its hash is computed, then moved into
`<archive>/ab/cd/<sha256>.pdf` with an atomic rename right before the database commit (see
services.ingest). A refused or failed upload leaves nothing but a temporary file that is removed at
once. The uploading process holds an fcntl lock on its file from creation until after the commit,
so `check` can tell a crash's leftovers (nobody holds the lock) from an upload in flight:
`check --repair` removes dead temporary files and moves orphan originals (a crash between the
rename and the commit) to `<archive>/orphans/`, same relative path, listed in its MANIFEST.tsv.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024
ORPHANS = "orphans"
MANIFEST = "MANIFEST.tsv"
# The uploader locks its file right after creating it; a younger file may not be locked yet.
GRACE_SECONDS = 5.0
# Where files cannot be locked (some network filesystems), only age tells: an upload never takes this long.
NO_LOCK_GRACE_SECONDS = 3600.0


class TooLarge(Exception):
    """The upload is bigger than the configured cap (nothing kept)."""


@dataclass
class Received:
    """A temporary file holding an upload, with its hash and size."""

    path: Path
    sha256: str
    size: int
    fd: int | None = field(default=None, repr=False)  # holds the "upload in flight" lock

    def release(self) -> None:
        """Drop the in-flight lock (after the commit, or once the file is gone)."""
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        self.release()

    def __del__(self) -> None:
        self.release()


def archive_root(config) -> Path:
    return Path(config["PORTAL_ARCHIVE_DIR"])


def receive(stream: BinaryIO, root: Path, *, max_bytes: int) -> Received:
    """Copy a stream into a temporary file in the archive, hashing it; refuse past max_bytes."""
    tmp_dir = root / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    path = tmp_dir / f"{uuid.uuid4().hex}.part"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    _lock(fd)
    digest = hashlib.sha256()
    size = 0
    try:
        with open(os.dup(fd), "wb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge()
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        os.close(fd)
        raise
    return Received(path, digest.hexdigest(), size, fd)


def original_path(root: Path, sha256: str) -> Path:
    """Where the original with this hash lives."""
    return root / sha256[:2] / sha256[2:4] / f"{sha256}.pdf"


def place(received: Received, root: Path) -> Path:
    """Move a received file into its content-addressed place (atomic rename on one filesystem).

    The in-flight lock stays held (it follows the inode) until the caller's `release()` after its
    commit, so `check` never takes the placed, not yet committed original for an orphan.
    """
    target = original_path(root, received.sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        # Same hash, same bytes: keep the one already there (it may be a purged document's leftover).
        received.discard()
        return target
    os.replace(received.path, target)
    os.chmod(target, 0o444)  # originals are never modified
    # The rename must be on disk before the commit that points at it: a power cut must not leave
    # a committed document whose original went back to tmp/ (the data itself was fsynced).
    _fsync_dir(target.parent)
    _fsync_dir(received.path.parent)
    return target


def remove_original(root: Path, sha256: str) -> None:
    """Delete an original (purge only)."""
    path = original_path(root, sha256)
    if path.exists():
        os.chmod(path, 0o644)
        path.unlink()


def file_sha256(path: Path) -> str:
    """Hash a file on disk (for integrity checks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _lock(fd: int) -> None:
    """Mark a new temporary file as "upload in flight" (a filesystem without locks relies on age)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno != errno.ENOLCK:
            raise


def in_flight(path: Path, grace_s: float | None = None, *, placed: bool = False) -> bool:
    """True when an upload may still own `path`: it holds the file's lock, or the file is too young to tell."""
    grace_s = GRACE_SECONDS if grace_s is None else grace_s
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    # A placed original: the rename and chmod update its ctime (its mtime is the upload's). A
    # temporary file: its mtime moves while the upload writes.
    age = time.time() - (st.st_ctime if placed else st.st_mtime)
    if age < grace_s:
        return True
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return True
        if exc.errno == errno.ENOLCK:
            return age < NO_LOCK_GRACE_SECONDS
        raise
    finally:
        os.close(fd)  # closing drops our probe lock at once
    return False


def stale_temporary(root: Path, grace_s: float | None = None) -> list[Path]:
    """Temporary uploads nobody is writing any more (left by a crash), oldest first."""
    tmp_dir = root / "tmp"
    if not tmp_dir.is_dir():
        return []
    return sorted((p for p in tmp_dir.glob("*.part") if not in_flight(p, grace_s)), key=lambda p: p.name)


def clean_temporary(root: Path, grace_s: float | None = None) -> int:
    """Remove temporary uploads left by a crash (never one in flight); return how many."""
    removed = 0
    for path in stale_temporary(root, grace_s):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def quarantine(root: Path, relative: str) -> Path:
    """Move an orphan original to `<archive>/orphans/<same relative path>` and list it in the manifest.

    Never deletes: to restore, move the file back to the relative path the manifest gives.
    """
    source = root / relative
    target = root / ORPHANS / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    while target.exists():  # quarantined before (restored, orphaned again): keep both copies
        n += 1
        target = root / ORPHANS / f"{relative}.{n}"
    os.replace(source, target)
    _fsync_dir(target.parent)
    _fsync_dir(source.parent)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    with open(root / ORPHANS / MANIFEST, "a", encoding="utf-8") as manifest:
        # when, where it was (restore it there), where it is now, size
        manifest.write(f"{stamp}\t{relative}\t{target.relative_to(root)}\t{target.stat().st_size}\n")
        manifest.flush()
        os.fsync(manifest.fileno())
    return target
