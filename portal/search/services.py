"""Search services: keep the index in step with the database (outbox), search, rebuild, check.

The database is the source of truth; the index is derived. Every document change writes an
`IndexOutbox` row in its own transaction (portal.documents.services); this module applies those
rows right after the commit (the `outbox_written` signal) and again from the worker and the CLI,
so a crash between commit and indexing is repaired on the next run.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, undefer

from portal.documents import archive
from portal.documents.models import Document, IndexOutbox
from portal.documents.services import outbox_written
from portal.extensions import db
from portal.search.engine import Engine, IndexBusy, IndexCorrupt, SearchDoc, SearchQuery, SearchResult, get_engine

_engines: dict[tuple[str, str], Engine] = {}
_engines_lock = threading.Lock()
BATCH = 500


def engine(app=None) -> Engine:
    """The process's engine for the configured index (one searcher per process, reopened on change)."""
    cfg = (app or current_app).config
    key = (cfg["PORTAL_SEARCH_ENGINE"], cfg["PORTAL_INDEX_DIR"])
    with _engines_lock:
        if key not in _engines:
            # One folder per engine, so switching PORTAL_SEARCH_ENGINE then `reindex` never opens
            # the other engine's files.
            _engines[key] = get_engine(key[0], Path(key[1]) / key[0])
        return _engines[key]


def close_engines() -> None:
    """Close every engine of this process (tests, shutdown)."""
    with _engines_lock:
        for eng in _engines.values():
            eng.close()
        _engines.clear()


def search_doc(document: Document) -> SearchDoc:
    """The index's view of a document."""
    return SearchDoc(
        id=document.id, title=document.title or document.original_name, number=document.number or "",
        issuer=document.issuer or "", text=document.text or "", year=document.year, type=document.type,
        report_kind=document.report_kind, bloc=document.bloc.code if document.bloc else None,
        unit=document.unit.code if document.unit else None, issue_date=document.issue_date,
        uploaded_at=document.uploaded_at,
    )


def _load(ids) -> list[Document]:
    return list(db.session.scalars(
        sa.select(Document).where(Document.id.in_(ids))
        .options(undefer(Document.text), joinedload(Document.bloc), joinedload(Document.unit))
    ).unique())


def apply_outbox(limit: int = BATCH) -> int:
    """Apply pending index updates in order; return how many outbox rows were done.

    Rows are deleted only after the engine accepted them; when the index is busy they stay for the
    next run (the worker retries), so nothing is lost.
    """
    done = 0
    while True:
        rows = list(db.session.scalars(sa.select(IndexOutbox).order_by(IndexOutbox.id).limit(limit)))
        if not rows:
            return done
        latest: dict[int, str] = {}
        for row in rows:
            latest[row.document_id] = row.action
        documents = {d.id: d for d in _load([i for i, a in latest.items() if a == "index"])}
        to_index = [search_doc(d) for i, d in documents.items() if d.deleted_at is None]
        to_remove = [i for i in latest if i not in documents or documents[i].deleted_at is not None]
        eng = engine()
        try:
            if to_remove:
                eng.remove(to_remove)
            if to_index:
                eng.add_or_update(to_index)
        except (IndexBusy, IndexCorrupt) as exc:
            db.session.rollback()
            for row in rows:
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:500]
            db.session.commit()
            current_app.logger.warning("index update postponed: %s", exc)
            return done
        db.session.execute(sa.delete(IndexOutbox).where(IndexOutbox.id.in_([r.id for r in rows])))
        db.session.commit()
        done += len(rows)
        if len(rows) < limit:
            return done


def pending_count() -> int:
    """How many index updates are waiting."""
    return db.session.scalar(sa.select(sa.func.count(IndexOutbox.id))) or 0


def _on_outbox_written(app, **_):
    if app.config.get("PORTAL_DEFER_INDEXING"):
        return  # a bulk load applies the outbox once at its end
    try:
        apply_outbox()
    except Exception:  # the change is committed; the outbox row stays and the worker retries
        app.logger.exception("index update failed; it stays in the outbox")


def init_app(app) -> None:
    """Apply index updates right after every committed document change."""
    outbox_written.connect(_on_outbox_written, sender=app, weak=False)


def search(query: SearchQuery) -> SearchResult:
    """Run a query; a damaged index is rebuilt from the database once, then searched again."""
    eng = engine()
    try:
        return eng.search(query)
    except IndexCorrupt:
        current_app.logger.error("search index unreadable; rebuilding it from the database")
        rebuild_index()
        return eng.search(query)


def iter_search_docs(batch: int = BATCH) -> Iterator[SearchDoc]:
    """Every live document as a SearchDoc, streamed in batches (bounded memory)."""
    last_id = 0
    while True:
        ids = list(db.session.scalars(
            sa.select(Document.id).where(Document.deleted_at.is_(None), Document.id > last_id).order_by(Document.id).limit(batch)))
        if not ids:
            return
        for document in sorted(_load(ids), key=lambda d: d.id):
            yield search_doc(document)
        last_id = ids[-1]
        db.session.expunge_all()  # keep memory flat over a large archive


def live_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Document.id)).where(Document.deleted_at.is_(None))) or 0


def rebuild_index(progress: Callable[[int], None] | None = None) -> int:
    """Build a fresh index from the database and swap it in atomically; searches keep working meanwhile."""
    high_water = db.session.scalar(sa.select(sa.func.max(IndexOutbox.id))) or 0
    count = engine().rebuild(iter_search_docs(), progress=progress)
    # Updates recorded before the rebuild started are in the new index; later ones are applied now.
    db.session.execute(sa.delete(IndexOutbox).where(IndexOutbox.id <= high_water))
    db.session.commit()
    apply_outbox()
    return count


@dataclass
class CheckReport:
    missing_from_index: list[int] = field(default_factory=list)
    index_without_document: list[int] = field(default_factory=list)
    files_missing: list[int] = field(default_factory=list)
    files_changed: list[int] = field(default_factory=list)
    orphan_files: list[str] = field(default_factory=list)
    pending_updates: int = 0
    repaired: list[str] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return (len(self.missing_from_index) + len(self.index_without_document) + len(self.files_missing)
                + len(self.files_changed) + len(self.orphan_files))


def check(*, repair: bool = False, verify_files: bool = True) -> CheckReport:
    """Compare database, index and archive files; with repair, fix what can be fixed.

    Repairs: index missing documents, drop index entries without a live document, apply pending
    updates. Missing or changed originals cannot be repaired here (restore them from a backup);
    orphan files are reported, never deleted.
    """
    report = CheckReport(pending_updates=pending_count())
    if repair and report.pending_updates:
        apply_outbox()
        report.repaired.append(f"applied {report.pending_updates} pending index updates")
    live = set(db.session.scalars(sa.select(Document.id).where(Document.deleted_at.is_(None))))
    try:
        indexed = engine().ids()
    except IndexCorrupt:
        indexed = set()
        if repair:
            rebuild_index()
            report.repaired.append("rebuilt the unreadable index")
            indexed = engine().ids()
    report.missing_from_index = sorted(live - indexed)
    report.index_without_document = sorted(indexed - live)
    if repair and report.missing_from_index:
        for start in range(0, len(report.missing_from_index), BATCH):
            chunk = report.missing_from_index[start:start + BATCH]
            engine().add_or_update(search_doc(d) for d in _load(chunk))
        report.repaired.append(f"indexed {len(report.missing_from_index)} documents")
    if repair and report.index_without_document:
        engine().remove(report.index_without_document)
        report.repaired.append(f"removed {len(report.index_without_document)} stale index entries")
    root = archive.archive_root(current_app.config)
    known = {}
    for doc_id, sha in db.session.execute(sa.select(Document.id, Document.sha256)):
        known[sha] = doc_id
        path = archive.original_path(root, sha)
        if not path.is_file():
            report.files_missing.append(doc_id)
        elif verify_files and archive.file_sha256(path) != sha:
            report.files_changed.append(doc_id)
    for path in root.glob("??/??/*.pdf"):
        if path.stem not in known:
            report.orphan_files.append(str(path.relative_to(root)))
    if repair:
        removed = archive.clean_temporary(root)
        if removed:
            report.repaired.append(f"removed {removed} stale temporary uploads")
    return report
