"""Bulk import of PDFs from folders (the `import` command's service).

Fast and resumable:
- each file is hashed first; one already in the archive (an earlier run, even an interrupted one, or
  the same bytes earlier in this run) is skipped without being copied or parsed, so running the
  same command again after an interruption continues where it stopped;
- every document commits on its own with its index row (the outbox), so an interruption loses
  nothing that was reported imported; the search index is updated once per `INDEX_BATCH` documents
  and at the end instead of once per document (the rows wait in the outbox meanwhile; after a crash
  the next import, search or server start applies them);
- the PDFs are parsed by the process's warm guarded children (`pdf_warm`), one file after another.
"""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import sqlalchemy as sa
from flask import current_app, g

from portal.documents import services as docs
from portal.documents.models import Document
from portal.documents.outbox import outbox_written
from portal.errors import ServiceError
from portal.extensions import db

#: Documents imported between two index updates (one search-index commit each).
INDEX_BATCH = 50
_CHUNK = 1024 * 1024


@dataclass
class ImportSummary:
    imported: list[tuple[Path, int]] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    refused: list[tuple[Path, str]] = field(default_factory=list)
    #: Of `skipped`: files whose bytes were already in the archive before this run (an earlier run).
    already_there: int = 0
    #: Stopped by Ctrl+C (or SIGTERM turned into KeyboardInterrupt) before every file was looked at.
    interrupted: bool = False
    #: Files not looked at because of the interruption.
    not_reached: int = 0

    @property
    def same_run_duplicates(self) -> int:
        return len(self.skipped) - self.already_there


def find_pdfs(paths: Iterable[str | Path]) -> list[Path]:
    """Every PDF under the given files and folders (recursively), in a stable order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            # Not `is_file()`: a dangling link or an entry that cannot be read must be reported, not skipped.
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() == ".pdf" and not p.is_dir()))
        else:
            found.append(path)
    return found


def import_files(actor, files: list[Path], fields: dict, *, progress: Callable[[Path], None] | None = None,
                 batch: int | None = None) -> ImportSummary:
    """Ingest each file on its own (one refusal never stops the rest); duplicates are skipped.

    Outside a request, ingest waits for a slot of the process's PDF inspection pool instead of being
    refused as busy (pdf.InspectionPool, `patient`): a long import never fails because the pool is full.
    The index is updated every `batch` (default `INDEX_BATCH`) imported documents and at the end (see the module docstring).
    """
    summary = ImportSummary()
    batch = batch or INDEX_BATCH
    mine: set[int] = set()
    with _index_in_batches() as flush:
        flush()  # what an interrupted earlier run left in the outbox becomes searchable now
        for number, path in enumerate(files):
            try:
                if not path.is_file():
                    summary.refused.append((path, "Không tìm thấy tệp."))
                    continue
                with open(path, "rb") as stream:
                    existing = _already_archived(stream)
                    if existing is not None:
                        summary.skipped.append((path, docs.DuplicateDocument(existing).message))
                        if existing.id not in mine:
                            summary.already_there += 1
                        continue
                    result = docs.ingest(actor, stream, path.name, fields)
                summary.imported.append((path, result.document.id))
                mine.add(result.document.id)
                if len(summary.imported) % batch == 0:
                    flush()
            except docs.DuplicateDocument as exc:  # committed by someone else in between
                summary.skipped.append((path, exc.message))
                summary.already_there += 1
            except ServiceError as exc:
                details = "; ".join(str(v) for v in exc.errors.values())
                summary.refused.append((path, exc.message + (f" ({details})" if details else "")))
            except OSError as exc:
                summary.refused.append((path, f"Không đọc được tệp: {exc.strerror or exc}"))
            except KeyboardInterrupt:
                # The file in hand was rolled back by ingest; everything reported before is committed.
                summary.interrupted = True
                summary.not_reached = len(files) - number
                break
            finally:
                if progress and not summary.interrupted:
                    progress(path)
    return summary


def _already_archived(stream) -> Document | None:
    """The document holding these bytes (looked up by SHA-256 before any copy or parse), or None;
    the stream is left at its start."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        digest.update(chunk)
    stream.seek(0)
    return db.session.scalar(sa.select(Document).where(Document.sha256 == digest.hexdigest()))


@contextmanager
def _index_in_batches() -> Iterator[Callable[[], None]]:
    """Defer this thread's index updates (search reads `g.defer_indexing`); yield `flush`, which
    applies the outbox now; flush once more on the way out, however the import ends."""
    app = current_app._get_current_object()
    before = g.get("defer_indexing")
    g.defer_indexing = True

    def flush() -> None:
        outbox_written.send(app, flush=True)

    try:
        yield flush
    finally:
        if before is None:
            g.pop("defer_indexing", None)
        else:
            g.defer_indexing = before
        flush()
