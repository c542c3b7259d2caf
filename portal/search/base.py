"""What both engines share: generations, reopening, locking, rebuild and the write path."""

from __future__ import annotations

import abc
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from portal.search.engine import (
    Engine,
    IndexBusy,
    IndexCorrupt,
    Progress,
    SearchDoc,
    SearchHit,
    SearchQuery,
    SearchResult,
)
from portal.search.highlight import Highlighter
from portal.search.store import GenerationStore, fsync_tree
from portal.text import nfc

__all__ = ["GenerationalEngine", "date_key", "make_hit", "normalised", "stored_data"]

REBUILD_PROGRESS_EVERY = 1000


def date_key(doc: SearchDoc) -> int:
    """Sort key for "newest first": issue date (else upload date) then id, as one integer."""
    d = doc.issue_date or (doc.uploaded_at.date() if isinstance(doc.uploaded_at, datetime) else None)
    days = d.toordinal() if isinstance(d, date) else 0
    return days * 10_000_000_000 + int(doc.id)


def normalised(doc: SearchDoc) -> SearchDoc:
    """Return `doc` with its text fields in NFC (PDF text and forms may arrive decomposed)."""
    return SearchDoc(
        id=int(doc.id),
        title=nfc(doc.title),
        number=nfc(doc.number).strip(),
        issuer=nfc(doc.issuer),
        summary=nfc(doc.summary) if doc.summary else None,
        text=nfc(doc.text),
        year=int(doc.year) if doc.year is not None else None,
        type=doc.type or None,
        report_kind=doc.report_kind or None,
        bloc=doc.bloc or None,
        unit=doc.unit or None,
        issue_date=doc.issue_date,
        uploaded_at=doc.uploaded_at,
    )


def stored_data(doc: SearchDoc) -> dict[str, Any]:
    """The stored part of a document: what a results page shows and what snippets are cut from."""
    return {
        "id": doc.id,
        "title": doc.title,
        "number": doc.number,
        "issuer": doc.issuer,
        "summary": doc.summary or "",
        "text": doc.text,
        "year": doc.year,
        "type": doc.type,
        "report_kind": doc.report_kind,
        "bloc": doc.bloc,
        "unit": doc.unit,
        "issue_date": doc.issue_date.isoformat() if doc.issue_date else None,
    }


def make_hit(data: dict[str, Any], score: float, highlighter: Highlighter, active: bool) -> SearchHit:
    """Build a results row from a document's stored data (the same for both engines)."""
    if active:
        snippet = highlighter.snippet(data.get("summary"), data.get("issuer"))
    else:
        snippet = highlighter.snippet(data.get("text"), data.get("summary"))
    issue_date = data.get("issue_date")
    return SearchHit(
        id=int(data["id"]),
        score=round(float(score), 4),
        title_html=highlighter.title(data.get("title") or ""),
        snippet_html=snippet,
        number=data.get("number") or "",
        year=data.get("year"),
        type=data.get("type"),
        issue_date=date.fromisoformat(issue_date) if issue_date else None,
    )


class GenerationalEngine(Engine):
    """An engine whose index lives in `GenerationStore` generations.

    Subclasses open a generation into a "handle" (their searcher/reader state) and implement
    the engine-specific writes and searches on it. One handle per engine object (keep one
    engine per process): it is replaced only when CURRENT changes (a rebuild, here or in another
    process) or when the subclass sees a newer commit inside the generation.
    """

    name = ""

    def __init__(self, index_dir: Path, *, lock_timeout: float = 10.0) -> None:
        self.store = GenerationStore(Path(index_dir), self.name)
        self.lock_timeout = lock_timeout
        self._lock = threading.RLock()
        # Searches on engines whose handle is not thread-safe run on pooled spare handles, one
        # thread each, so a long search never makes the others queue behind one lock.
        self._pool_free = threading.Condition(self._lock)
        self._spares: list[tuple[Any, Any]] = []  # idle (primary it was opened from, spare)
        self._spare_count = 0  # idle + in use
        self._lease = threading.local()  # this thread's spare while it searches
        self._handle: Any = None
        self._sig: tuple[int, int, int] | None = None
        self.generation: str | None = None

    # -- subclass hooks --------------------------------------------------------------------

    @abc.abstractmethod
    def _create_empty(self, path: Path) -> None:
        """Create an empty index in the new generation directory `path`."""

    @abc.abstractmethod
    def _open_handle(self, path: Path) -> Any:
        """Open generation `path`; raise `IndexCorrupt` when it cannot be read."""

    @abc.abstractmethod
    def _close_handle(self, handle: Any) -> None:
        """Release what `_open_handle` opened."""

    @abc.abstractmethod
    def _refreshed(self, handle: Any) -> Any:
        """Return `handle`, or a new one when another writer committed to this generation."""

    def _spare(self, primary: Any) -> Any:
        """A second handle on what `primary` has open, used by one thread at a time (pooled engines)."""
        raise NotImplementedError

    @abc.abstractmethod
    def _write(self, handle: Any, docs: Iterable[SearchDoc], remove_ids: Iterable[int]) -> int:
        """Delete `remove_ids`, add or replace `docs`, commit (the write lock is held)."""

    @abc.abstractmethod
    def _build(self, path: Path, docs: Iterable[SearchDoc], progress: Progress | None) -> int:
        """Fill the empty generation `path` with `docs` in bounded memory (the lock is held)."""

    @abc.abstractmethod
    def _search(self, handle: Any, query: SearchQuery) -> SearchResult:
        """Run `query` on the open handle."""

    @abc.abstractmethod
    def _ids(self, handle: Any) -> set[int]: ...

    @abc.abstractmethod
    def _doc_count(self, handle: Any) -> int: ...

    # -- opening -----------------------------------------------------------------------------

    def _create_if_missing(self) -> None:
        """Make the first, empty generation (call with the write lock held)."""
        if self.store.signature() is None:
            name, path = self.store.new_generation()
            self._create_empty(path)
            self.store.publish(name)

    def _ensure_exists(self) -> None:
        """Make the first generation if there is none (takes the write lock only then)."""
        if self._handle is None and self.store.signature() is None:
            with self.store.write_lock(self.lock_timeout):
                self._create_if_missing()

    def _current_handle(self) -> Any:
        """Return an open handle on the live generation (call with `self._lock` held)."""
        sig = self.store.signature()
        if self._handle is not None and sig == self._sig:
            handle = self._refreshed(self._handle)
            if handle is not self._handle:
                old, self._handle = self._handle, handle
                self._close_handle(old)
            return self._handle
        if sig is None:
            raise IndexCorrupt(f"{self.store.pointer} is missing")
        name = self.store.current()
        if name is None:  # pragma: no cover - CURRENT vanished between two calls
            raise IndexCorrupt(f"{self.store.pointer} is missing")
        handle = self._open_handle(self.store.path(name))
        old, self._handle = self._handle, handle
        self._sig, self.generation = sig, name
        if old is not None:
            self._close_handle(old)
        return handle

    def open(self) -> None:
        self._ensure_exists()
        with self._lock:
            self._current_handle()

    def close(self) -> None:
        with self._lock:
            for _, spare in self._spares:
                self._close_handle(spare)
            self._spare_count -= len(self._spares)
            self._spares.clear()
            if self._handle is not None:
                handle, self._handle = self._handle, None
                self._sig = None
                self._close_handle(handle)

    # -- the Engine API ------------------------------------------------------------------------

    def add_or_update(self, docs: Iterable[SearchDoc]) -> int:
        docs = [normalised(d) for d in docs]
        if not docs:
            return 0
        with self.store.write_lock(self.lock_timeout), self._lock:
            self._create_if_missing()
            count = self._durable_write(docs, ())
            self.store.collect_garbage()
        return count

    def _durable_write(self, docs: list[SearchDoc], remove_ids: list[int]) -> int:
        """Write, then flush the generation's new files to disk before returning (lock held).

        The caller deletes outbox rows once this returns: the update must survive a power cut by then.
        """
        return self._durably(lambda handle: self._write(handle, docs, remove_ids))

    def _durably(self, write: Callable[[Any], Any]) -> Any:
        """Run `write(handle)` on the live generation, then fsync the files it made (lock held)."""
        # Slack: file mtimes come from the kernel's coarse clock, a tick behind time_ns().
        since = time.time_ns() - 2_000_000_000
        result = write(self._current_handle())
        fsync_tree(self.store.path(self.generation), since)
        return result

    def remove(self, ids: Iterable[int]) -> None:
        ids = [int(i) for i in ids]
        if not ids:
            return
        with self.store.write_lock(self.lock_timeout), self._lock:
            self._create_if_missing()
            self._durable_write([], ids)
            self.store.collect_garbage()

    def rebuild(self, docs: Iterable[SearchDoc], progress: Progress | None = None) -> int:
        with self.store.write_lock(self.lock_timeout):
            self.store.collect_garbage()
            name, path = self.store.new_generation()
            try:
                count = self._build(path, (normalised(d) for d in docs), progress)
            except BaseException:
                shutil.rmtree(path, ignore_errors=True)
                raise
            fsync_tree(path)  # CURRENT must never point at files still only in the page cache
            self.store.publish(name)
            with self._lock:
                self._current_handle()
        return count

    # Whoosh's searcher is not thread-safe and is closed on reopen: each search borrows a spare
    # handle of its own from a small pool (SEARCH_POOL at most; more searches at once wait for one).
    _search_needs_lock = True
    SEARCH_POOL = 3
    POOL_WAIT_S = 30.0

    def search(self, query: SearchQuery) -> SearchResult:
        started = time.perf_counter()
        self._ensure_exists()
        if self._search_needs_lock:
            self._borrow()
            try:
                result = self._search(self._lease.spare, query)
            finally:
                self._give_back()
        else:
            with self._lock:
                handle = self._current_handle()
            result = self._search(handle, query)
        result.took_ms = round((time.perf_counter() - started) * 1000, 3)
        return result

    def _borrow(self) -> None:
        """Lend this thread a spare handle on the newest commit (opened outside the lock when new)."""
        deadline = time.monotonic() + self.POOL_WAIT_S
        with self._pool_free:
            while True:
                primary = self._current_handle()
                while self._spares:
                    owner, spare = self._spares.pop()
                    if owner is primary:
                        self._lease.owner, self._lease.spare = owner, spare
                        return
                    self._drop_spare(spare)  # opened before the last commit or generation swap
                if self._spare_count < self.SEARCH_POOL:
                    self._spare_count += 1
                    break
                if not self._pool_free.wait(timeout=max(0.0, deadline - time.monotonic())):
                    raise IndexBusy(f"{self.SEARCH_POOL} searches have run for over {self.POOL_WAIT_S:g} s")
        try:
            spare = self._spare(primary)
        except BaseException:
            with self._pool_free:
                self._spare_count -= 1
                self._pool_free.notify()
            raise
        self._lease.owner, self._lease.spare = primary, spare

    def _give_back(self) -> None:
        owner, spare = self._lease.owner, self._lease.spare
        self._lease.owner = self._lease.spare = None
        with self._pool_free:
            if spare is None:  # renewing it failed; the count was settled there
                pass
            elif owner is self._handle and owner is not None:
                self._spares.append((owner, spare))
            else:
                self._drop_spare(spare)
            self._pool_free.notify()

    def _drop_spare(self, spare: Any) -> None:
        """Close a spare that no longer shows the newest commit (call with the lock held)."""
        self._spare_count -= 1
        self._close_handle(spare)

    def _renew_lease(self, stale: Any) -> Any:
        """Replace this thread's spare `stale` (its files vanished under it) with one on the newest commit."""
        with self._lock:
            if self._handle is self._lease.owner and self._handle is not None:
                # The primary still shows the commit whose files vanished: open the newest one.
                old, self._handle = self._handle, None
                self._close_handle(old)
            self._spare_count += 1  # the new spare takes the stale one's place in the count
            self._drop_spare(stale)
            self._lease.spare = None
            self._lease.owner = primary = self._current_handle()
        try:
            self._lease.spare = self._spare(primary)
        except BaseException:
            with self._pool_free:
                self._spare_count -= 1
                self._pool_free.notify()
            raise
        return self._lease.spare

    def _doc_frequencies(self, handle: Any, terms: list[str]) -> dict[str, int] | None:
        """Document frequencies from the engine's own statistics, or None to use the seam's fallback."""
        return None

    def doc_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        terms = list(dict.fromkeys(terms))
        self._ensure_exists()
        with self._lock:
            found = self._doc_frequencies(self._current_handle(), terms)
        return found if found is not None else super().doc_frequencies(terms)

    def ids(self) -> set[int]:
        self._ensure_exists()
        with self._lock:
            return self._ids(self._current_handle())

    def doc_count(self) -> int:
        self._ensure_exists()
        with self._lock:
            return self._doc_count(self._current_handle())
