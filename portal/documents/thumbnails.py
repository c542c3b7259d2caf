"""First-page thumbnails of archived PDFs: a PNG about 240 px wide, made once per original.

Rendering: ``pdftoppm`` (poppler, already installed for OCR) draws page 1 only, scaled to
``WIDTH`` px wide and cropped at ``MAX_HEIGHT`` (a freak page size never makes a huge picture),
through ``pdf.rlimit_argv`` + ``pdf.run_bounded`` like OCR: no shell, stdin closed, a clean
environment, an address-space limit, a CPU limit, a cap on the file it writes and a wall-clock
timeout after which its process group is killed. The PNG is written into a private temporary
folder, checked (signature, size) and moved into place with an atomic rename.

Where: ``<PORTAL_THUMBNAIL_DIR>/ab/<sha256>.png`` (default ``<instance>/thumbnails``), keyed by the
original's hash so identical files share one. Thumbnails are derived data like the search index:
outside the archive, so `check` and `backup` never take them for originals, and rebuilt by
`flask thumbnails` (or the worker's backfill) after a restore.

A PDF poppler cannot draw leaves ``ab/<sha256>.failed`` (JSON: reason, attempts, when), so neither the
queue nor a page view tries it again and again; a time-out is retried once by the worker (the
machine may have been busy). The API then serves ``placeholder_png()``, a plain page outline.

Who renders: the task queue (``tasks.make_thumbnail``, queued after each upload; a periodic and
start-up backfill for older documents), and a request thread when a thumbnail is asked for before
the worker made it. Request threads take a slot of a small per-process pool first (see
``render_pool``), so hostile PDFs can hold at most a few threads, each for at most the time limit.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import struct
import tempfile
import threading
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from portal.documents import archive
from portal.documents.models import Document
from portal.documents.pdf import InspectionBusy, InspectionPool, child_env, rlimit_argv, run_bounded
from portal.extensions import db
from portal.text import utcnow

log = logging.getLogger(__name__)

WIDTH = 240
MAX_HEIGHT = 480
MAX_PNG_BYTES = 2 * 1024 * 1024
#: Part of the ETag: bump it when the pictures change (size, colours), so browsers fetch them anew.
VERSION = 1
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Failures worth one more try by the worker (a busy machine); the others are the file's own fault.
RETRYABLE = ("timeout",)
MAX_ATTEMPTS = 2
#: Seconds a browser may keep a real thumbnail (content-addressed: it never changes for a document).
MAX_AGE = 86400
#: …and the placeholder of a failed one (short: the worker may still succeed on its retry).
PLACEHOLDER_MAX_AGE = 300


class ThumbnailFailed(Exception):
    """Page 1 could not be drawn. ``reason``: unavailable (no pdftoppm), timeout, unreadable, bad_output."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


# --- settings and places -------------------------------------------------------------------------

def settings(config) -> dict:
    """Where thumbnails live and the renderer's limits, from the config (PORTAL_THUMBNAIL_*)."""
    folder = config.get("PORTAL_THUMBNAIL_DIR") or Path(config["PORTAL_INSTANCE_DIR"]) / "thumbnails"
    return {"dir": Path(folder), "timeout_s": float(config.get("PORTAL_THUMBNAIL_TIMEOUT_S", 15)),
            "memory_mb": int(config.get("PORTAL_THUMBNAIL_MEMORY_MB", 512))}


def png_path(folder: Path, sha256: str) -> Path:
    return folder / sha256[:2] / f"{sha256}.png"


def failure_path(folder: Path, sha256: str) -> Path:
    return folder / sha256[:2] / f"{sha256}.failed"


def failure(folder: Path, sha256: str) -> dict | None:
    """The remembered failure of this original (None when there is none)."""
    try:
        state = json.loads(failure_path(folder, sha256).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        state = {}
    return state if isinstance(state, dict) else {}


def retry_due(state: dict | None) -> bool:
    """True when a remembered failure may be tried again by the worker."""
    return state is not None and state.get("reason") in RETRYABLE and int(state.get("attempts") or 0) < MAX_ATTEMPTS


# --- the renderer ------------------------------------------------------------------------------

def render_first_page(pdf: str | os.PathLike[str], target: str | os.PathLike[str], *, timeout_s: float = 15,
                      memory_mb: int = 512) -> tuple[int, int]:
    """Draw page 1 of ``pdf`` into the PNG ``target`` (atomically); return its (width, height).

    Raises ThumbnailFailed; never leaves a partial file at ``target``.
    """
    if not shutil.which("pdftoppm"):
        raise ThumbnailFailed("unavailable", "pdftoppm (poppler-utils) is not installed")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".render-", dir=target.parent))
    try:
        argv = ["pdftoppm", "-png", "-f", "1", "-l", "1", "-singlefile",
                "-scale-to-x", str(WIDTH), "-scale-to-y", "-1",
                "-x", "0", "-y", "0", "-W", str(WIDTH), "-H", str(MAX_HEIGHT),
                str(Path(pdf).resolve()), str(work / "page")]
        run = run_bounded(rlimit_argv(argv, memory_mb=memory_mb, cpu_s=max(1, int(timeout_s + 0.999)),
                                      fsize_mb=MAX_PNG_BYTES // (1024 * 1024)),
                          timeout_s=timeout_s, max_stdout=64 * 1024, env=child_env(), cwd=work)
        stderr = run.stderr[-300:].decode("utf-8", "replace").strip()
        if run.timed_out or run.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
            raise ThumbnailFailed("timeout", f"stopped after {run.elapsed_s:.1f} s (limit {timeout_s:g} s)")
        produced = work / "page.png"
        if run.returncode != 0 or not produced.is_file():
            raise ThumbnailFailed("unreadable", f"pdftoppm exit {run.returncode}: {stderr}")
        size = png_size(produced)
        if size is None:
            raise ThumbnailFailed("bad_output", "pdftoppm wrote no usable PNG")
        os.chmod(produced, 0o644)
        os.replace(produced, target)
        return size
    finally:
        shutil.rmtree(work, ignore_errors=True)


def png_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of a PNG within the thumbnail's bounds, else None."""
    try:
        if path.stat().st_size > MAX_PNG_BYTES:
            return None
        with open(path, "rb") as fh:
            head = fh.read(24)
    except OSError:
        return None
    if len(head) < 24 or head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    if not (0 < width <= WIDTH and 0 < height <= MAX_HEIGHT):
        return None
    return width, height


# --- making one, remembering failures ----------------------------------------------------------

def make(sha256: str, *, config=None, retry: bool = False) -> str:
    """Make the thumbnail of the original with this hash unless it exists; returns what happened:
    ``exists``, ``done``, ``failed`` (now remembered), ``skipped`` (a remembered failure not due for
    a retry; ``retry=True`` tries anyway), ``missing`` (no original) or ``unavailable`` (no pdftoppm)."""
    cfg = settings(config if config is not None else current_app.config)
    target = png_path(cfg["dir"], sha256)
    if target.is_file():
        return "exists"
    state = failure(cfg["dir"], sha256)
    if state is not None and not retry and not retry_due(state):
        return "skipped"
    original = archive.original_path(archive.archive_root(config if config is not None else current_app.config), sha256)
    if not original.is_file():
        return "missing"  # a `check` finding, not the PDF's fault: nothing remembered
    try:
        render_first_page(original, target, timeout_s=cfg["timeout_s"], memory_mb=cfg["memory_mb"])
    except ThumbnailFailed as exc:
        if exc.reason == "unavailable":
            log.warning("thumbnail of %s: %s", sha256, exc.detail)
            return "unavailable"
        attempts = int((state or {}).get("attempts") or 0) + 1
        _remember_failure(cfg["dir"], sha256, {"reason": exc.reason, "detail": exc.detail[:300],
                                               "attempts": attempts, "at": utcnow().isoformat()})
        log.info("thumbnail of %s failed (%s): %s", sha256, exc.reason, exc.detail)
        return "failed"
    failure_path(cfg["dir"], sha256).unlink(missing_ok=True)
    return "done"


def _remember_failure(folder: Path, sha256: str, state: dict) -> None:
    marker = failure_path(folder, sha256)
    marker.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".failed-", dir=marker.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(state, fh)
    os.replace(tmp, marker)


def make_for_document(document_id: int, *, retry: bool = False) -> str:
    """The queue's job: make the thumbnail of one document (``skipped`` when it no longer exists)."""
    sha = db.session.scalar(sa.select(Document.sha256).where(Document.id == document_id))
    if sha is None:
        return "skipped"
    return make(sha, retry=retry)


def queue_thumbnail(document_id: int) -> None:
    """Queue the thumbnail of a stored document (after the upload's commit). Never fails the caller:
    a thumbnail is a nicety that the backfill or the first view makes anyway."""
    from portal.documents.tasks import make_thumbnail
    from portal.tasks import enqueue_after_commit

    enqueue_after_commit(make_thumbnail, document_id, what=f"the thumbnail of document {document_id}")


def forget(sha256: str) -> None:
    """Remove the thumbnail and failure marker of a purged original, unless a document still has it."""
    if db.session.scalar(sa.select(Document.id).where(Document.sha256 == sha256)) is not None:
        return
    folder = settings(current_app.config)["dir"]
    png_path(folder, sha256).unlink(missing_ok=True)
    failure_path(folder, sha256).unlink(missing_ok=True)


# --- finding the ones not made yet ---------------------------------------------------------------

def missing(*, retry_failed: bool = False) -> list[tuple[int, str]]:
    """(id, sha256) of documents (not in the trash) with no thumbnail, oldest first; a remembered
    failure counts only when due for a retry, or with ``retry_failed``."""
    folder = settings(current_app.config)["dir"]
    rows = db.session.execute(sa.select(Document.id, Document.sha256).where(Document.deleted_at.is_(None))
                              .order_by(Document.id)).all()
    out = []
    for document_id, sha in rows:
        if png_path(folder, sha).is_file():
            continue
        state = failure(folder, sha)
        if state is None or retry_failed or retry_due(state):
            out.append((document_id, sha))
    return out


#: At most this many thumbnails queued by one backfill run (the next run takes the rest).
BACKFILL_BATCH = 500


def backfill() -> list[int]:
    """Queue the thumbnails of documents that have none (older archives, a lost queue); returns their ids."""
    queued = _queued_ids()
    ids = [document_id for document_id, _sha in missing() if document_id not in queued][:BACKFILL_BATCH]
    for document_id in ids:
        queue_thumbnail(document_id)
    if ids:
        current_app.logger.info("thumbnails queued for %d document(s)", len(ids))
    return ids


def _queued_ids() -> set[int]:
    """Documents whose thumbnail task already waits in the queue (so it is not queued twice)."""
    from portal.documents.tasks import make_thumbnail
    from portal.tasks import huey

    if huey.immediate:
        return set()
    name = huey._registry.task_to_string(make_thumbnail.task_class)
    return {task.args[0] for task in list(huey.pending()) + list(huey.scheduled())
            if huey._registry.task_to_string(type(task)) == name and task.args}


# --- serving -------------------------------------------------------------------------------------

@dataclass
class Picture:
    """What the API sends: a real thumbnail (``path``) or the placeholder (``data``).

    ``etag`` None and ``max_age`` 0 mean "do not cache" (not made yet: the next view may get it)."""

    kind: str  # "page" | "placeholder"
    etag: str | None
    max_age: int
    path: Path | None = None
    data: bytes | None = None
    reason: str | None = None

    def read(self) -> bytes:
        return self.data if self.data is not None else self.path.read_bytes()


def page_etag(sha256: str) -> str:
    return f"t{VERSION}-{sha256}"


PLACEHOLDER_ETAG = f"placeholder-{VERSION}"


def picture_for(document: Document) -> Picture:
    """The thumbnail of a document for a request: made now (in a pool slot, under the limits) if
    neither the worker nor an earlier view has made it; the placeholder when it cannot be."""
    app = current_app._get_current_object()
    folder = settings(app.config)["dir"]
    path = png_path(folder, document.sha256)
    if not path.is_file():
        if failure(folder, document.sha256) is not None:
            return _placeholder("failed")
        try:
            with render_pool(app).slot(None, expected_s=settings(app.config)["timeout_s"]):
                outcome = make(document.sha256)
        except InspectionBusy:
            return _placeholder("busy")
        if outcome == "failed":
            return _placeholder("failed")
        if not path.is_file():
            return _placeholder(outcome)
    return Picture("page", page_etag(document.sha256), MAX_AGE, path=path)


def _placeholder(reason: str) -> Picture:
    # A failure is remembered, so the placeholder stands for a while; anything else may change at the next view.
    if reason == "failed":
        return Picture("placeholder", PLACEHOLDER_ETAG, PLACEHOLDER_MAX_AGE, data=placeholder_png(), reason=reason)
    return Picture("placeholder", None, 0, data=placeholder_png(), reason=reason)


_POOL_LOCK = threading.Lock()


def _new_pool_lock_after_fork() -> None:
    global _POOL_LOCK
    _POOL_LOCK = threading.Lock()  # another thread of the parent may have held it at the fork


os.register_at_fork(after_in_child=_new_pool_lock_after_fork)


def render_pool(app) -> InspectionPool:
    """Renders in request threads at once, per process: ``PORTAL_THUMBNAIL_MAX_RENDERS`` (2) running
    and as many waiting up to 3 s; beyond that the placeholder is served at once (not cached).

    Per process means N gunicorn workers render up to N × the limit at once. Across processes the files
    need no lock: each render writes into its own temporary folder and renames into place, so two
    processes drawing the same page at once both end with one good PNG. A forked worker drops its
    parent's pool and this lock (portal._after_fork_in_child) and makes its own on first use."""
    pool = app.extensions.get("thumbnail_renders")
    if pool is None:
        with _POOL_LOCK:
            pool = app.extensions.get("thumbnail_renders")
            if pool is None:
                limit = max(1, int(app.config.get("PORTAL_THUMBNAIL_MAX_RENDERS", 2)))
                # No per-user share: one list page asks for many thumbnails at once, all its own.
                pool = InspectionPool(limit, per_user=2 * limit, wait_s=3.0, max_waiting=limit)
                app.extensions["thumbnail_renders"] = pool
    return pool


# --- the placeholder -----------------------------------------------------------------------------

@cache
def placeholder_png() -> bytes:
    """A neutral grey page outline with a folded corner and a few text lines, WIDTH × 340 (made once)."""
    width, height, fold = WIDTH, 340, 40
    rows = []
    for y in range(height):
        row = bytearray(b"\xff" * width)
        for x in range(width):
            edge = x in (0, width - 1) or y in (0, height - 1)
            diagonal = x - (width - 1 - fold) == y and y <= fold
            if (x > width - 1 - fold and y < fold and x - (width - 1 - fold) > y):
                row[x] = 0xF3  # the folded-away corner
            elif edge or diagonal or (y == fold and x >= width - 1 - fold) or (x == width - 1 - fold and y <= fold):
                row[x] = 0xB8
        if 70 <= y < 330 and (y - 70) % 22 < 7:
            line = (y - 70) // 22
            right = width - 34 - (60 if line % 4 == 3 else 0)
            for x in range(34, right):
                row[x] = 0xDC
        rows.append(b"\x00" + bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + _chunk(b"IEND", b""))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
