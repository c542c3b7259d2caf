"""The archive of original files: content-addressed by SHA-256, written once, never modified.

An upload is streamed to `<archive>/tmp/` while its hash is computed, then moved into
`<archive>/ab/cd/<sha256>.pdf` with an atomic rename right before the database commit (see
services.ingest). A refused or failed upload leaves nothing but a temporary file that is removed at
once; a crash between the rename and the commit leaves an orphan original, which `check` finds.
"""
from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


class TooLarge(Exception):
    """The upload is bigger than the configured cap (nothing kept)."""


@dataclass
class Received:
    """A temporary file holding an upload, with its hash and size."""

    path: Path
    sha256: str
    size: int

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def archive_root(config) -> Path:
    return Path(config["PORTAL_ARCHIVE_DIR"])


def receive(stream: BinaryIO, root: Path, *, max_bytes: int) -> Received:
    """Copy a stream into a temporary file in the archive, hashing it; refuse past max_bytes."""
    tmp_dir = root / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    path = tmp_dir / f"{uuid.uuid4().hex}.part"
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "wb") as out:
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
        raise
    return Received(path, digest.hexdigest(), size)


def original_path(root: Path, sha256: str) -> Path:
    """Where the original with this hash lives."""
    return root / sha256[:2] / sha256[2:4] / f"{sha256}.pdf"


def place(received: Received, root: Path) -> Path:
    """Move a received file into its content-addressed place (atomic rename on one filesystem)."""
    target = original_path(root, received.sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        # Same hash, same bytes: keep the one already there (it may be a purged document's leftover).
        received.discard()
        return target
    os.replace(received.path, target)
    os.chmod(target, 0o444)  # originals are never modified
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


def clean_temporary(root: Path, older_than_s: int = 3600) -> int:
    """Remove temporary uploads left by a crash; return how many."""
    import time

    removed = 0
    tmp_dir = root / "tmp"
    if not tmp_dir.is_dir():
        return 0
    limit = time.time() - older_than_s
    for path in tmp_dir.glob("*.part"):
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
