"""Search services: keep the index in step with the database (outbox), search, rebuild, check.

The database is the source of truth; the index is derived. Every document change writes an
`IndexOutbox` row in its own transaction (portal.documents.services); this module applies those
rows right after the commit (the `outbox_written` signal) and again from the worker, the CLI, a
restarted server (in the background, at its first request) and before a search when rows were
left pending, so a crash between commit and indexing is repaired without anyone running repair.
One applier at a time per index (thread lock + fcntl lock); a row is deleted only once the index
write covering it is on disk.
"""
from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Callable, Iterator

import sqlalchemy as sa
from flask import current_app, g, has_app_context
from sqlalchemy.orm import joinedload, selectinload, undefer

from portal.documents import archive
from portal.documents.models import Document, IndexOutbox
from portal.documents.services import outbox_written
from portal.extensions import db
from portal.search.engine import Engine, IndexBusy, IndexCorrupt, SearchDoc, SearchQuery, SearchResult, get_engine
from portal.search.like import like_query_text, like_terms
from portal.search.store import file_lock
from portal.text.dates import utcnow

_engines: dict[tuple[str, str], Engine] = {}
_engines_lock = threading.Lock()
BATCH = 500
# How long an upload's own index update waits for another applier (a rebuild applies it at its end).
OUTBOX_WAIT_S = 5.0
# A pending row older than this was not applied by the request that wrote it (crash, busy index):
# a search applies it first. Younger rows are being applied right now; a search does not wait for them.
STUCK_AFTER = timedelta(seconds=5)
REBUILD_WAIT_S = 60.0  # a rebuild (or check --repair) waits for the applier's current batch
SEARCH_CHECK_EVERY_S = 1.0  # searches look for stuck rows at most this often per process (one read, ~0.3-0.8 ms)
SEARCH_BACKOFF_S = 30.0  # after a search found the applier busy (a rebuild), searches stop waiting for it a while
# An upload's index update waits this long for the uploads committing right behind it (one commit for a burst).
COALESCE_S = 0.03
_STARTED = utcnow()  # rows written before this process started are nobody's job but ours


def engine(app=None) -> Engine:
    """The process's engine for the configured index (one searcher per process, reopened on change).

    "postgres" keeps the index in the app's own database and uses the app's connection pool.
    """
    app = app or current_app._get_current_object()
    cfg = app.config
    name = cfg["PORTAL_SEARCH_ENGINE"]
    key = (name, cfg["DATABASE_URL"] if name == "postgres" else cfg["PORTAL_INDEX_DIR"])
    with _engines_lock:
        if key not in _engines:
            if name == "postgres":
                with app.app_context():
                    _engines[key] = get_engine(name, cfg["PORTAL_INDEX_DIR"], database_url=db.engine)
            else:
                # One folder per engine, so switching PORTAL_SEARCH_ENGINE then `reindex` never opens
                # the other engine's files.
                _engines[key] = get_engine(name, Path(key[1]) / name)
        return _engines[key]


def close_engines() -> None:
    """Close every engine of this process (tests, shutdown)."""
    with _engines_lock:
        for eng in _engines.values():
            eng.close()
        _engines.clear()


def search_doc(document: Document) -> SearchDoc:
    """The index's view of a document: its notes are searched with its text (after it, so snippets prefer the text)."""
    text = "\n\n".join(part for part in (document.text, *(note.text for note in document.notes)) if part)
    return SearchDoc(
        id=document.id, title=document.title or document.original_name, number=document.number or "",
        issuer=document.issuer or "", text=text, year=document.year, type=document.type,
        report_kind=document.report_kind, bloc=document.bloc.code if document.bloc else None,
        unit=document.unit.code if document.unit else None, issue_date=document.issue_date,
        uploaded_at=document.uploaded_at,
    )


def _load(ids) -> list[Document]:
    # populate_existing: a Document already in this session's identity map (a worker's long
    # session) must not answer with the state it had when it was first loaded.
    return list(db.session.scalars(
        sa.select(Document).where(Document.id.in_(ids))
        .options(undefer(Document.text), joinedload(Document.bloc), joinedload(Document.unit), selectinload(Document.notes))
        .execution_options(populate_existing=True)
    ).unique())


class ApplierBusy(IndexBusy):
    """Another thread or process is applying the outbox (it goes on until the outbox is empty)."""


class _Applier:
    """One outbox applier at a time for an index: a thread lock in this process, an fcntl lock across processes.

    Two appliers running at once lost acknowledged uploads (kill -9 test): on SQLite the outbox id
    is the rowid, reused once the table is emptied, so applier A deleted by id a row that applier B
    had already applied and deleted and that a new upload had meanwhile received; the new
    document's row was gone, its index update never made. Two appliers could also write an older
    version of a document after a newer one. Reentrant: a rebuild applies the outbox at its end.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.depth = 0
        self.next_check = 0.0  # monotonic time of the next look at the outbox before a search
        self.busy_until = 0.0  # before then, searches do not wait for a busy applier

    @contextlib.contextmanager
    def hold(self, timeout: float) -> Iterator[None]:
        if not self.lock.acquire(timeout=max(0.0, timeout)):
            raise ApplierBusy(f"another thread is applying index updates (waited {timeout:g} s)")
        try:
            if self.depth:
                self.depth += 1
                try:
                    yield
                finally:
                    self.depth -= 1
                return
            with _cross_process_lock(self.path, timeout):
                self.depth = 1
                try:
                    yield
                finally:
                    self.depth = 0
        finally:
            self.lock.release()


_appliers: dict[str, _Applier] = {}


def _after_fork_in_child() -> None:
    # A forked server worker opens its own searchers and applier locks; the parent's are not its to use.
    global _engines_lock
    _engines.clear()
    _appliers.clear()
    _engines_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)
APPLIER_LOCK_KEY = int.from_bytes(b"idx_outb", "big")  # a PostgreSQL advisory lock key of our own


@contextlib.contextmanager
def _cross_process_lock(path: Path, timeout: float) -> Iterator[None]:
    """One applier per site: fcntl on the index folder's lock file with SQLite (one machine), a PostgreSQL
    advisory lock otherwise, which every machine of the site sees and the server drops when a process dies.

    With two appliers at once an older version of a document could be written after a newer one.
    """
    if db.engine.dialect.name != "postgresql":
        with file_lock(path, timeout, "another process is applying index updates", error=ApplierBusy):
            yield
        return
    with db.engine.connect() as conn:  # a connection of its own, held while the applier runs
        conn.execute(sa.text(f"SET lock_timeout = '{max(1, int(timeout * 1000))}ms'"))
        try:
            conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": APPLIER_LOCK_KEY})
        except sa.exc.OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
                raise ApplierBusy(f"another process is applying index updates (waited {timeout:g} s)") from exc
            raise
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": APPLIER_LOCK_KEY})
            conn.execute(sa.text("RESET lock_timeout"))
            conn.commit()


def _applier() -> _Applier:
    key = str(current_app.config["PORTAL_INDEX_DIR"])
    applier = _appliers.get(key)
    if applier is None:
        with _engines_lock:
            if key not in _appliers:
                Path(key).mkdir(parents=True, exist_ok=True)
                _appliers[key] = _Applier(Path(key) / "outbox.lock")
            applier = _appliers[key]
    return applier


def compact_index() -> bool:
    """Let the engine merge what small updates left behind (Whoosh's segments); False when there was nothing to do."""
    try:
        return engine().compact()
    except IndexBusy as exc:  # a rebuild or a long update holds the index: the next run merges
        current_app.logger.info("index compaction left for later: %s", exc)
        return False


def apply_outbox(limit: int = BATCH, *, wait: float | None = None) -> int:
    """Apply pending index updates in order; return how many outbox rows were done.

    One applier at a time (`_Applier`). Rows are deleted only after the engine's write is on disk;
    when the index or the applier lock is busy they stay for the next run, so nothing is lost.
    The applier goes on until it reads an empty outbox, so a caller that gave up waiting for it
    leaves no row behind.
    """
    try:
        return _apply(limit, OUTBOX_WAIT_S if wait is None else wait)
    except ApplierBusy as exc:
        current_app.logger.info("index updates left to the running applier: %s", exc)
        return 0


def _apply(limit: int, wait: float) -> int:
    """`apply_outbox`, raising `ApplierBusy` when the applier lock stays taken for `wait` seconds."""
    with _applier().hold(wait):
        return _apply_locked(limit)


def _apply_locked(limit: int) -> int:
    done = 0
    while True:
        rows = list(db.session.scalars(sa.select(IndexOutbox).order_by(IndexOutbox.id).limit(limit)))
        if not rows:
            return done
        latest: dict[int, str] = {}
        for row in rows:
            latest[row.document_id] = row.action
        # A document and its outbox row commit together, and each read sees everything committed
        # before it (SQLite autocommit reads, PostgreSQL read committed; populate_existing for
        # the identity map): an "index" row whose document is not found was purged since.
        documents = {d.id: d for d in _load([i for i, a in latest.items() if a == "index"])}
        to_index = [search_doc(d) for d in documents.values() if d.deleted_at is None]
        to_remove = [i for i in latest if i not in documents or documents[i].deleted_at is not None]
        keys = [(r.id, r.document_id) for r in rows]
        eng = engine()
        try:
            if to_remove:
                eng.remove(to_remove)
            if to_index:
                eng.add_or_update(to_index)
        except (IndexBusy, IndexCorrupt) as exc:
            db.session.rollback()
            for row in db.session.scalars(sa.select(IndexOutbox).where(IndexOutbox.id.in_([k[0] for k in keys]))):
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:500]
            db.session.commit()
            current_app.logger.warning("index update postponed: %s", exc)
            return done
        # The engine's write is durable now. Delete exactly the rows applied: (id, document) pairs,
        # so a reused rowid (SQLite) can never take another document's pending row with it.
        db.session.execute(sa.delete(IndexOutbox).where(sa.tuple_(IndexOutbox.id, IndexOutbox.document_id).in_(keys)))
        db.session.commit()
        done += len(rows)


def pending_count() -> int:
    """How many index updates are waiting."""
    return db.session.scalar(sa.select(sa.func.count(IndexOutbox.id))) or 0


def catch_up(*, wait: float = OUTBOX_WAIT_S) -> int:
    """Apply index updates nobody is applying (left by a crash or a busy index); one cheap read when there are none.

    Raises `ApplierBusy` when another applier keeps the lock past `wait` (it applies them).
    """
    cutoff = max(_STARTED, utcnow() - STUCK_AFTER)
    stuck = db.session.scalar(sa.select(IndexOutbox.id).where(IndexOutbox.created_at < cutoff).limit(1))
    if stuck is None:
        return 0
    current_app.logger.info("applying index updates left pending (by a crash or a busy index)")
    return _apply(BATCH, wait)


def _catch_up_before_search() -> None:
    applier = _applier()
    now = time.monotonic()
    if now < applier.next_check:
        return
    applier.next_check = now + SEARCH_CHECK_EVERY_S
    # A rebuild holds the applier for minutes and applies these rows at its end: one search waits
    # OUTBOX_WAIT_S to find that out, the next ones for SEARCH_BACKOFF_S do not wait at all.
    wait = 0.0 if now < applier.busy_until else OUTBOX_WAIT_S
    try:
        catch_up(wait=wait)
    except ApplierBusy:
        applier.busy_until = time.monotonic() + SEARCH_BACKOFF_S


def _on_outbox_written(app, flush: bool = False, **_):
    """Right after a committed change: apply the outbox, after a short coalescing window.

    A burst of uploads shares one index commit: each waits `COALESCE_S` for the changes committing
    right behind it, then the first to take the applier applies every pending row and the others
    find theirs done (one cheap read). Deferred (`PORTAL_DEFER_INDEXING`, or `g.defer_indexing` set
    by a bulk import for its own thread) nothing is applied until a sender passes `flush=True`; the
    rows wait in the outbox meanwhile, so a crash loses nothing (`catch_up`).
    """
    if not flush and (app.config.get("PORTAL_DEFER_INDEXING") or (has_app_context() and g.get("defer_indexing"))):
        return  # a bulk load applies the outbox once per batch
    try:
        if not flush and COALESCE_S:
            time.sleep(COALESCE_S)
        apply_outbox()
    except Exception:  # the change is committed; the outbox row stays and the next applier takes it
        app.logger.exception("index update failed; it stays in the outbox")


def _catch_up_in_background(app) -> None:
    """At a web process's start: apply what a crash left in the outbox, without making anyone wait."""

    def run():
        try:
            with app.app_context():
                try:
                    catch_up(wait=REBUILD_WAIT_S)
                except ApplierBusy:
                    pass  # the applier holding the lock applies them
                finally:
                    db.session.remove()
        except Exception:  # a search or the worker catches up later
            app.logger.exception("index catch-up at start failed")

    threading.Thread(target=run, name="index-catch-up", daemon=True).start()


def init_app(app) -> None:
    """Apply index updates right after every committed document change, and catch up after a crash."""
    outbox_written.connect(_on_outbox_written, sender=app, weak=False)
    if not app.config.get("PORTAL_INDEX_CATCH_UP", not app.testing):
        return
    started = []
    lock = threading.Lock()

    @app.before_request
    def _catch_up_once():
        # The first request of a server process (Flask has no "server started" hook; CLI commands
        # never get here): rows a crash left are applied even when no worker runs.
        if started:
            return
        with lock:
            if started:
                return
            started.append(True)
        _catch_up_in_background(app)


def search(query: SearchQuery) -> SearchResult:
    """Run a query; a damaged index is rebuilt from the database once, then searched again.

    Index updates left pending (a crash, a busy index) are applied first; the check is one indexed
    read of a normally empty table.
    """
    try:
        _catch_up_before_search()
    except Exception:  # searching the index as it is beats failing the search
        current_app.logger.exception("pending index updates could not be applied before a search")
        db.session.rollback()
    eng = engine()
    try:
        return eng.search(query)
    except IndexCorrupt:
        current_app.logger.error("search index unreadable; rebuilding it from the database")
        rebuild_index()
        return eng.search(query)


# "More like this" shows at most this many documents: further down they are hardly alike.
LIKE_LIMIT = 50


def more_like(document: Document, query: SearchQuery) -> SearchResult:
    """The live documents most like `document` (never itself), most alike first, at most LIKE_LIMIT.

    `query` gives the filters (years, type, bloc, unit) and the page; its text and sort are not
    used. The words are picked on the seam (`portal.search.like`), so every engine answers.
    """
    started = time.perf_counter()
    loaded = _load([document.id])
    source = search_doc(loaded[0]) if loaded else search_doc(document)
    cited = [c.number for c in (loaded[0] if loaded else document).citations]
    try:
        terms = like_terms(engine(), source)
    except IndexCorrupt:
        current_app.logger.error("search index unreadable; rebuilding it from the database")
        rebuild_index()
        terms = like_terms(engine(), source)
    text = like_query_text(terms, source.number, cited)
    hits: list = []
    if text:
        probe = SearchQuery(q=text, year_from=query.year_from, year_to=query.year_to, type=query.type, bloc=query.bloc,
                            unit=query.unit, per_page=min(100, LIKE_LIMIT + 1))
        found = search(probe)
        candidates = [h for h in found.hits if h.id != document.id]
        # The index may lag a trash by a moment (outbox): the database says what is live.
        live = set(db.session.scalars(sa.select(Document.id).where(
            Document.id.in_([h.id for h in candidates]), Document.deleted_at.is_(None)))) if candidates else set()
        hits = [h for h in candidates if h.id in live][:LIKE_LIMIT]
    facets: dict[str, dict] = {"year": {}, "type": {}}
    for hit in hits:
        if hit.year is not None:
            facets["year"][hit.year] = facets["year"].get(hit.year, 0) + 1
        if hit.type:
            facets["type"][hit.type] = facets["type"].get(hit.type, 0) + 1
    facets = {name: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for name, c in facets.items()}
    total = len(hits)
    return SearchResult(
        hits=hits[query.offset:query.offset + query.per_page], total=total, page=query.page,
        pages=SearchResult.page_count(total, query.per_page), facets=facets,
        took_ms=round((time.perf_counter() - started) * 1000, 3),
    )


REBUILD_BATCH = 1000


def iter_search_docs(batch: int = REBUILD_BATCH) -> Iterator[SearchDoc]:
    """Every live document as a SearchDoc, in id order, streamed in pages (bounded memory).

    A rebuild reads the whole archive: one query per page reads only the columns the index needs
    (no ORM objects, no identity map), and one more query per page reads that page's notes. The
    result is what `search_doc` makes of the same rows.
    """
    from portal.documents.models import DocumentNote
    from portal.org.models import Bloc, Unit

    columns = sa.select(
        Document.id, Document.title, Document.original_name, Document.number, Document.issuer, Document.text,
        Document.year, Document.type, Document.report_kind, Bloc.code, Unit.code, Document.issue_date,
        Document.uploaded_at,
    ).outerjoin(Bloc, Bloc.id == Document.bloc_id).outerjoin(Unit, Unit.id == Document.unit_id)
    last_id = 0
    while True:
        rows = db.session.execute(
            columns.where(Document.deleted_at.is_(None), Document.id > last_id).order_by(Document.id).limit(batch)
        ).all()
        if not rows:
            return
        notes: dict[int, list[str]] = {}
        for doc_id, text in db.session.execute(
            sa.select(DocumentNote.document_id, DocumentNote.text)
            .where(DocumentNote.document_id.between(rows[0][0], rows[-1][0]))
            .order_by(DocumentNote.document_id, DocumentNote.created_at, DocumentNote.id)
        ):
            notes.setdefault(doc_id, []).append(text)
        for (doc_id, title, original_name, number, issuer, text, year, type_, report_kind, bloc, unit, issue_date,
             uploaded_at) in rows:
            extra = notes.get(doc_id)
            if extra:
                text = "\n\n".join(part for part in (text, *extra) if part)
            yield SearchDoc(
                id=doc_id, title=title or original_name, number=number or "", issuer=issuer or "", text=text or "",
                year=year, type=type_, report_kind=report_kind, bloc=bloc, unit=unit, issue_date=issue_date,
                uploaded_at=uploaded_at,
            )
        last_id = rows[-1][0]


def live_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Document.id)).where(Document.deleted_at.is_(None))) or 0


def rebuild_index(progress: Callable[[int], None] | None = None) -> int:
    """Build a fresh index from the database and swap it in atomically; searches keep working meanwhile."""
    # The applier lock for the whole rebuild: no other applier deletes rows meanwhile, so the ids
    # up to the high-water mark are exactly the updates the rebuild covers (no reused rowid).
    with _applier().hold(REBUILD_WAIT_S):
        high_water = db.session.scalar(sa.select(sa.func.max(IndexOutbox.id))) or 0
        count = engine().rebuild(iter_search_docs(), progress=progress)
        # Updates recorded before the rebuild started are in the new index; later ones are applied now.
        db.session.execute(sa.delete(IndexOutbox).where(IndexOutbox.id <= high_water))
        db.session.commit()
        _apply_locked(BATCH)
    return count


@dataclass
class CheckReport:
    missing_from_index: list[int] = field(default_factory=list)
    index_without_document: list[int] = field(default_factory=list)
    files_missing: list[int] = field(default_factory=list)
    files_changed: list[int] = field(default_factory=list)
    orphan_files: list[str] = field(default_factory=list)
    stale_temporary: list[str] = field(default_factory=list)
    pending_updates: int = 0
    repaired: list[str] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return (len(self.missing_from_index) + len(self.index_without_document) + len(self.files_missing)
                + len(self.files_changed) + len(self.orphan_files) + len(self.stale_temporary))


def check(*, repair: bool = False, verify_files: bool = True) -> CheckReport:
    """Compare database, index and archive files; with repair, fix what can be fixed.

    Repairs: apply pending updates, index missing documents, drop index entries without a live
    document, move orphan originals to `<archive>/orphans/` (never deleted; see its MANIFEST.tsv)
    and remove temporary uploads a crash left. Missing or changed originals cannot be repaired
    here (restore them from a backup). Files of an upload in flight are never counted or touched.
    """
    report = CheckReport(pending_updates=pending_count())
    if repair:
        # Applier lock: no upload's own index update interleaves with these writes.
        with _applier().hold(REBUILD_WAIT_S):
            _check_index(report, repair=True)
    else:
        _check_index(report, repair=False)
    _check_archive(report, repair=repair, verify_files=verify_files)
    return report


def _check_index(report: CheckReport, *, repair: bool) -> None:
    if repair and report.pending_updates:
        _apply_locked(BATCH)
        report.repaired.append(f"áp dụng {report.pending_updates} cập nhật chỉ mục đang chờ")
    live = set(db.session.scalars(sa.select(Document.id).where(Document.deleted_at.is_(None))))
    try:
        indexed = engine().ids()
    except IndexCorrupt:
        indexed = set()
        if repair:
            rebuild_index()
            report.repaired.append("dựng lại chỉ mục không đọc được")
            indexed = engine().ids()
    report.missing_from_index = sorted(live - indexed)
    report.index_without_document = sorted(indexed - live)
    if repair and report.missing_from_index:
        for start in range(0, len(report.missing_from_index), BATCH):
            chunk = report.missing_from_index[start:start + BATCH]
            engine().add_or_update(search_doc(d) for d in _load(chunk))
        report.repaired.append(f"lập chỉ mục {len(report.missing_from_index)} văn bản")
    if repair and report.index_without_document:
        engine().remove(report.index_without_document)
        report.repaired.append(f"xoá {len(report.index_without_document)} mục chỉ mục không còn văn bản")


def _check_archive(report: CheckReport, *, repair: bool, verify_files: bool) -> None:
    root = archive.archive_root(current_app.config)
    known = {}
    for doc_id, sha in db.session.execute(sa.select(Document.id, Document.sha256)):
        known[sha] = doc_id
        path = archive.original_path(root, sha)
        if not path.is_file():
            report.files_missing.append(doc_id)
        elif verify_files and archive.file_sha256(path) != sha:
            report.files_changed.append(doc_id)
    orphans = [path for path in sorted(root.glob("??/??/*.pdf"))
               if path.stem not in known and not archive.in_flight(path, placed=True)]
    if orphans:
        # Read again: a document may have committed since `known` was read.
        stems = [path.stem for path in orphans]
        committed = set(db.session.scalars(sa.select(Document.sha256).where(Document.sha256.in_(stems))))
        orphans = [path for path in orphans if path.stem not in committed]
    report.orphan_files = [str(path.relative_to(root)) for path in orphans]
    report.stale_temporary = [str(path.relative_to(root)) for path in archive.stale_temporary(root)]
    if not repair:
        return
    for path in orphans:
        archive.quarantine(root, str(path.relative_to(root)))
    if orphans:
        report.repaired.append(f"chuyển {len(orphans)} tệp mồ côi vào {archive.ORPHANS}/ "
                               f"(danh sách trong {archive.ORPHANS}/{archive.MANIFEST})")
    removed = archive.clean_temporary(root)
    if removed:
        report.repaired.append(f"xoá {removed} tệp tạm do tải lên bị gián đoạn")
