"""The Whoosh engine: embedded, pure Python, the default for archives of tens of thousands.

How a search runs (one pass over the postings, no Whoosh collector or matcher tree):

1. Each query word reads its posting list (`content`; `title` and the accented `exact` field for
   ranking) straight from the segment's posting blocks into a `{docnum: tf}` dict
   (`_leaf_postings`: whole blocks at a time instead of one Python call per posting).
2. The candidate set is the intersection of the required items (C-level set operations), minus
   the excluded ones, intersected with the filter sets (`year`, `type`, `bloc`, `unit` are ID
   terms whose posting sets are cached per searcher).
3. `total` is the size of that set; facets are `len(candidates & value_set)` for each year and
   type value: set intersections, no per-document Python loop, no second walk over the hits.
4. Relevance is BM25 over the candidates only (k1=1.2, b=0.75; title matches ×2; each word found
   in its typed accented form adds EXACT_BONUS, a tier above any BM25 score); the date order
   reads the `date_key` column. Only the page's documents are loaded and highlighted.

Phrases use the bi-word field: `"thi đua yêu nước"` needs the pairs `thi_dua`, `dua_yeu` and
`yeu_nuoc`. Two-word phrases are exact that way. Longer ones can match pairs found in different
places, so candidates are CONFIRMED on the stored text (`query.TextCheck`):

- at most `CONFIRM_ALL_LIMIT` candidates: all of them; total and facets are exact;
- more (a phrase of common words): the candidates are ranked and confirmed in rank order until
  the page is full, so the page never shows a false match. `total` is then the candidates less
  the false ones met on the way (an upper bound; false matches are rare in practice: all pairs
  present, never in a row) and the result says `total_exact=False`; facets count candidates.
  If that walk happens to check every candidate, the result is exact again.

Searchers are reopened only when the generation or Whoosh's own commit generation changes (opening
one costs ~33 ms at 20k documents, ~190 ms at 100k). A Whoosh searcher is not thread-safe, so each
search borrows one of at most `SEARCH_POOL` spare views (base.py): concurrent searches in a process
run side by side instead of queueing behind one lock.

Writes: `ix.writer(timeout=…)` (never AsyncWriter) inside the store's cross-process lock;
Whoosh's own LockError becomes `IndexBusy`. An update commits its own small segment without merging
(Whoosh's merge on commit cost an upload 1-3 s every fifth time); the worker's `compact` merges the
small segments every few minutes, and an update merges them itself past `MERGE_AT` segments.
"""

from __future__ import annotations

import gc
import heapq
import json
import math
import pickle
import struct
import time
import warnings
import zlib
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from operator import itemgetter
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, NUMERIC, STORED, Schema
from whoosh.index import LockError
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.writing import PostingPool

from portal.search.analysis import (
    AccentedAnalyzer,
    BiwordAnalyzer,
    IndexedText,
    PortalCodec,
    analyse,
    biwords,
    number_key,
)
from portal.search.base import REBUILD_PROGRESS_EVERY, GenerationalEngine, date_key, make_hit, stored_data
from portal.search.engine import (
    IndexBusy,
    IndexCorrupt,
    Progress,
    SearchDoc,
    SearchHit,
    SearchQuery,
    SearchResult,
)
from portal.search.highlight import Highlighter
from portal.search.query import (
    LONG_PHRASE,
    AllOf,
    AnyOf,
    Clause,
    Number,
    ParsedQuery,
    Phrase,
    TextCheck,
    Word,
    needs_confirmation,
    parse_query,
    prefix_expansion_limit,
)
from portal.search.whoosh_build import TermPool, add_document

__all__ = ["WhooshEngine", "build_schema", "SCHEMA_VERSION"]

SCHEMA_VERSION = "whoosh-schema-1"
K1, B = 1.2, 0.75
W_TITLE, W_NUMBER = 2.0, 5.0
# Each query word typed with accents and found in that exact form adds this constant: more than
# any BM25 score of a normal query, so exact-accent matches rank above folded-only ones ("Đảng"
# before "Dang", "dạng", "đáng"), and BM25 orders documents within each tier.
EXACT_BONUS = 1000.0
CONFIRM_ALL_LIMIT = 400
WRITER_LIMIT_MB = 128
REBUILD_LIMIT_MB = 256
# Segments an index may hold before an update merges them itself (below, the worker's `compact` does it in the
# background once there are more than COMPACT_ABOVE).
MERGE_AT = 24
COMPACT_ABOVE = 4
# What `compact` merges: the segments of updates, never a rebuild's big ones (rewriting those would hold the
# index's write lock for minutes).
SMALL_SEGMENT_DOCS = 2000
# How often one search starts again on a fresh view when files vanish under it (another process's commits).
VANISHED_RETRIES = 5

# What reading a damaged index raises (a bug of ours raises something else and stays visible).
_CORRUPTION_ERRORS = (OSError, EOFError, struct.error, zlib.error, pickle.UnpicklingError, json.JSONDecodeError, UnicodeDecodeError)


def build_schema() -> Schema:
    """The Whoosh schema (pickled into the index: bump SCHEMA_VERSION when it changes)."""
    return Schema(
        id=NUMERIC(int, bits=64, unique=True, shift_step=0, signed=False, sortable=True),
        title=IndexedText(),
        content=IndexedText(),
        exact=IndexedText(analyzer=AccentedAnalyzer()),
        bi=IndexedText(analyzer=BiwordAnalyzer()),
        short=IndexedText(),
        number=ID(),
        year=ID(),
        type=ID(),
        bloc=ID(),
        unit=ID(),
        date_key=COLUMN(NumericColumn("q", default=0)),
        clen=COLUMN(NumericColumn("I", default=0)),
        tlen=COLUMN(NumericColumn("I", default=0)),
        slen=COLUMN(NumericColumn("I", default=0)),
        data=STORED(),
    )


class _FastPostingPool(PostingPool):
    """Whoosh's posting pool without its per-posting type asserts and size arithmetic.

    The pool receives every posting of every document (about 800 per document here), so its
    `add` is a large part of indexing time. Postings come from `IndexedText.index` and Whoosh's
    own ID/NUMERIC fields, always bytes; the memory estimate only has to be roughly right.
    """

    def add(self, item):
        self.currentsize += 120 + 2 * len(item[1])
        if self.currentsize > self.limit:
            self.save()
        self.current.append(item)


def _writer(ix, limitmb: int, pool: type[PostingPool] = _FastPostingPool, **kwargs):
    writer = ix.writer(limitmb=limitmb, codec=PortalCodec(), compound=False, **kwargs)
    # SegmentWriter ignores its `poolclass` argument in whoosh 2.7: swap the (still empty) pool.
    writer.pool = pool(writer._tempstorage, writer.newsegment, limitmb=limitmb)
    writer.pool.fieldnames = set(writer.schema.names())
    return writer


def _merge_small_segments(writer, segments):
    """Merge policy of `compact`: every segment of at most SMALL_SEGMENT_DOCS documents into the new one."""
    from whoosh.reading import SegmentReader

    kept = []
    for seg in segments:
        if seg.doc_count_all() <= SMALL_SEGMENT_DOCS:
            reader = SegmentReader(writer.storage, writer.schema, seg)
            writer.add_reader(reader)
            reader.close()
        else:
            kept.append(seg)
    return kept


def _open_or_corrupt(open_: Callable[[], Any], path: Path) -> Any:
    """Return `open_()`; turn any failure into `IndexCorrupt`.

    Whoosh leaks the file it was reading when a TOC or segment cannot be parsed (EmptyIndexError,
    unpickling errors, struct.error…); the exception's frames hold it. Drop them and collect
    here, where the resulting ResourceWarning is expected and silenced, not at some later point.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            return open_()
        except Exception as exc:
            message = f"{path}: cannot open Whoosh index ({type(exc).__name__}: {exc})"
        gc.collect()
    raise IndexCorrupt(message)


def _pack(data: dict[str, Any]) -> bytes:
    return zlib.compress(json.dumps(data, ensure_ascii=False).encode("utf-8"), 3)


def _unpack(blob: bytes) -> dict[str, Any]:
    return json.loads(zlib.decompress(blob))


def _document_fields(doc: SearchDoc) -> dict[str, Any]:
    """Map a document to Whoosh fields, tokenising each value once (lists are pre-made terms)."""
    title, title_acc = analyse(doc.title)
    number, _ = analyse(doc.number)
    issuer, issuer_acc = analyse(doc.issuer)
    summary, summary_acc = analyse(doc.summary)
    text, text_acc = analyse(doc.text)
    content = [t for part in (title, number, issuer, summary, text) for t in part if t is not None]
    short = [t for part in (title, number, issuer) for t in part if t is not None]
    title_terms = [t for t in title if t is not None]
    return {
        "id": doc.id,
        "title": title_terms,
        "content": content,
        "short": short,
        "bi": biwords(title) + biwords(number) + biwords(issuer) + biwords(summary) + biwords(text),
        "exact": title_acc + issuer_acc + summary_acc + text_acc,
        "number": number_key(doc.number) or None,
        "year": str(doc.year) if doc.year is not None else None,
        "type": doc.type,
        "bloc": doc.bloc,
        "unit": doc.unit,
        "date_key": date_key(doc),
        "clen": len(content),
        "tlen": len(title_terms),
        "slen": len(short),
        "data": _pack(stored_data(doc)),
    }


def _numeric_column(segreader, name: str) -> list[int]:
    """Read a whole NumericColumn of one segment at C speed (falls back to Whoosh's iterator)."""
    col = segreader.column_reader(name, translate=False)
    try:
        raw = col._dbfile.get(col._basepos, col._count * col._fixedlen)
        values = array(col._typecode)
        values.frombytes(raw)
        if values.itemsize > 1 and array("H", [1]).tobytes()[0] == 1:
            values.byteswap()  # the column is big-endian ("!" struct format)
        out = values.tolist()
        out.extend([col._default] * (col._doccount - len(out)))
        return out
    except AttributeError:  # pragma: no cover - not a whoosh 2.7 NumericColumn reader
        return list(col)


def _leaf_postings(segreader, fieldname: str, text: str) -> tuple[list[int], list[float]]:
    """Return the (docnums, weights) of a term in one segment, deleted documents included.

    Reads whole posting blocks (Whoosh 2.7's W3LeafMatcher) instead of stepping the matcher one
    posting at a time, which is ~20× faster in Python; other matchers use the public API.
    """
    try:
        m = segreader.postings(fieldname, text)
    except TermNotFound:
        return [], []
    if isinstance(m, FilterMatcher):
        m = m.child
    ids: list[int] = []
    weights: list[float] = []
    if type(m) is W3LeafMatcher and not m._byteids:
        while True:
            if m._data is None:
                m._read_data()
            raw_ids, raw_weights = m._data[0], m._data[1]
            block = list(accumulate(raw_ids))  # ids are delta-encoded; Whoosh decodes in Python
            ids.extend(block)
            if raw_weights is None:
                weights.extend([1.0] * len(block))
            elif isinstance(raw_weights, float):
                weights.extend([raw_weights] * len(block))
            else:
                weights.extend(raw_weights)
            if m._lastblock:
                break
            m._next_block()
        return ids, weights
    while m.is_active():  # pragma: no cover - other codecs
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return ids, weights


@dataclass
class _Scorer:
    """One BM25 contribution: `weight * idf * tf*(k1+1)/(tf+norm[d])` for d in `tf`."""

    tf: dict[int, float]
    idf: float
    norm: Sequence[float] | None  # None: a constant `weight` for each matching document
    weight: float = 1.0


@dataclass
class _Match:
    """The candidates of one query item and how to score them."""

    docs: set[int]
    scorers: list[_Scorer] = field(default_factory=list)


class SegmentVanished(Exception):
    """A file of the view's segments was deleted by a writer in another process: reopen and search again."""


class _View:
    """An open searcher plus the per-generation caches a search needs."""

    def __init__(self, ix) -> None:
        self.ix = ix
        self.searcher = ix.searcher()
        try:
            self.reader = self.searcher.reader()
            # An index with no segment yet has one EmptyReader "leaf", which has no columns.
            self.leaves = [(r, off) for r, off in self.reader.leaf_readers() if r.doc_count_all()]
            self.live = set(self.reader.all_doc_ids())
            self.n = max(1, len(self.live))
            self._columns: dict[str, list[int]] = {}
            self._norms: dict[str, list[float]] = {}
            self._value_sets: dict[str, dict[str, set[int]]] = {}
        except BaseException:
            self.searcher.close()
            raise

    def close(self) -> None:
        self.searcher.close()

    def column(self, name: str) -> list[int]:
        col = self._columns.get(name)
        if col is None:
            col = []
            for segreader, offset in self.leaves:
                try:
                    values = _numeric_column(segreader, name)
                except FileNotFoundError as exc:  # merged away by another process, like stored() above
                    raise SegmentVanished(f"column {name}: {exc}") from exc
                if len(col) != offset:  # pragma: no cover - defensive; offsets are contiguous
                    col.extend([0] * (offset - len(col)))
                col.extend(values)
            self._columns[name] = col
        return col

    def norms(self, length_column: str) -> list[float]:
        """`k1 * (1 - b + b * len/avglen)` per docnum for one field's length column."""
        norm = self._norms.get(length_column)
        if norm is None:
            lengths = self.column(length_column)
            live_total = sum(lengths[d] for d in self.live) if self.live else 0
            avg = max(1.0, live_total / self.n)
            k, a = K1 * (1 - B), K1 * B / avg
            norm = [k + a * n for n in lengths]
            self._norms[length_column] = norm
        return norm

    def postings(self, fieldname: str, text: str) -> dict[int, float]:
        out: dict[int, float] = {}
        for segreader, offset in self.leaves:
            ids, weights = _leaf_postings(segreader, fieldname, text)
            if ids:
                if offset:
                    ids = [d + offset for d in ids]
                out.update(zip(ids, weights))
        return out

    def doc_set(self, fieldname: str, text: str) -> set[int]:
        out: set[int] = set()
        for segreader, offset in self.leaves:
            ids, _ = _leaf_postings(segreader, fieldname, text)
            out.update([d + offset for d in ids] if offset else ids)
        return out

    def value_sets(self, fieldname: str) -> dict[str, set[int]]:
        """`{value: live docnums}` for an ID field with few values (year, type, bloc, unit)."""
        sets = self._value_sets.get(fieldname)
        if sets is None:
            sets = {}
            for value in self.reader.field_terms(fieldname):
                docs = self.doc_set(fieldname, value) & self.live
                if docs:
                    sets[value] = docs
            self._value_sets[fieldname] = sets
        return sets

    def expand(self, fieldname: str, prefix: str, limit: int) -> list[str]:
        """The `limit` most frequent terms starting with `prefix` (ties alphabetical)."""
        found = []
        for text, info in self.reader.iter_prefix(fieldname, prefix):
            term = text.decode("utf-8") if isinstance(text, bytes) else text
            found.append((-info.doc_frequency(), term))
        if len(found) > limit:
            found = heapq.nsmallest(limit, found)
        return [t for _, t in found]

    def stored(self, docnum: int) -> dict[str, Any]:
        try:
            fields = self.reader.stored_fields(docnum)
        except (TypeError, FileNotFoundError) as exc:
            # Whoosh opens a segment's column files on first use and answers None (→ TypeError) when
            # the file is gone: another process merged that segment away after this view was opened.
            raise SegmentVanished(f"stored fields of docnum {docnum}: {exc}") from exc
        blob = fields.get("data")
        if blob is None:
            raise SegmentVanished(f"docnum {docnum} has no stored data")
        return _unpack(blob)


class WhooshEngine(GenerationalEngine):
    """Whoosh (whoosh-reloaded 2.7.5) behind the search seam."""

    name = "whoosh"

    # -- generations ------------------------------------------------------------------------

    def _create_empty(self, path: Path) -> None:
        ix = whoosh_index.create_in(str(path), build_schema())
        ix.close()
        (path / "SCHEMA").write_text(SCHEMA_VERSION + "\n", encoding="ascii")

    def _open_handle(self, path: Path) -> _View:
        try:
            version = (path / "SCHEMA").read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise IndexCorrupt(f"{path}: no readable SCHEMA marker ({exc})") from exc
        if version != SCHEMA_VERSION:
            raise IndexCorrupt(f"{path}: index schema {version!r}, this code needs {SCHEMA_VERSION!r}")
        ix = _open_or_corrupt(lambda: whoosh_index.open_dir(str(path)), path)
        try:
            return _open_or_corrupt(lambda: _View(ix), path)
        except IndexCorrupt:
            ix.close()
            raise

    def _close_handle(self, handle: _View) -> None:
        handle.close()  # the FileIndex itself holds nothing open

    def _spare(self, primary: _View) -> _View:
        return _open_or_corrupt(lambda: _View(primary.ix), Path(primary.ix.storage.folder))

    def _refreshed(self, handle: _View) -> _View:
        try:
            if handle.searcher.up_to_date():
                return handle
            return _View(handle.ix)
        except Exception as exc:
            raise IndexCorrupt(f"cannot reopen Whoosh index ({type(exc).__name__}: {exc})") from exc

    # -- writing --------------------------------------------------------------------------------

    def _write(self, handle: _View, docs: Iterable[SearchDoc], remove_ids: Iterable[int]) -> int:
        latest = {doc.id: doc for doc in docs}  # the last version of an id in one batch wins
        writer = self._update_writer(handle)
        try:
            for doc_id in remove_ids:
                writer.delete_by_term("id", int(doc_id))
            for doc in latest.values():
                writer.delete_by_term("id", doc.id)
                writer.add_document(**_document_fields(doc))
        except BaseException:
            writer.cancel()
            raise
        # Whoosh's default merges small segments on commit: every ~5th single-document commit took 1-3 s
        # (an upload's p95). Below MERGE_AT segments an update only adds its own; the worker merges them
        # in the background (`compact`), and past MERGE_AT the update merges as before, so the count stays bounded.
        if len(writer.segments) >= MERGE_AT:
            writer.commit(mergetype=_merge_small_segments)
        else:
            writer.commit(merge=False)
        return len(latest)

    def compact(self) -> bool:
        """Merge the small segments updates left behind into one (the worker's periodic task); False when few."""
        self._ensure_exists()
        with self.store.write_lock(self.lock_timeout), self._lock:
            handle = self._current_handle()
            small = [seg for seg in handle.ix._segments() if seg.doc_count_all() <= SMALL_SEGMENT_DOCS]
            if len(small) < 2 or len(handle.leaves) <= COMPACT_ABOVE:
                return False
            self._durably(lambda live: self._update_writer(live).commit(mergetype=_merge_small_segments))
            return True

    def _update_writer(self, handle: _View):
        """A writer on the live generation (the store's write lock is held); Whoosh's own lock error becomes IndexBusy."""
        try:
            return _writer(handle.ix, WRITER_LIMIT_MB, timeout=self.lock_timeout)
        except LockError as exc:
            raise IndexBusy(f"the Whoosh index is locked by another writer: {exc}") from exc

    def _build(self, path: Path, docs: Iterable[SearchDoc], progress: Progress | None) -> int:
        # Postings are grouped per term as documents arrive (whoosh_build.TermPool: no sort, no
        # spill files); when the pool's estimate reaches REBUILD_LIMIT_MB the segment is committed
        # (without merging) and a new one started, which bounds memory.
        self._create_empty(path)
        ix = whoosh_index.open_dir(str(path))
        count = 0
        seen: set[int] = set()
        try:
            writer = _writer(ix, REBUILD_LIMIT_MB, pool=TermPool)
            try:
                for doc in docs:
                    if doc.id in seen:
                        writer.delete_by_term("id", doc.id)
                    seen.add(doc.id)
                    add_document(writer, _document_fields(doc))
                    count += 1
                    if writer.pool.full:
                        writer.commit(merge=False)
                        writer = _writer(ix, REBUILD_LIMIT_MB, pool=TermPool)
                    if progress and count % REBUILD_PROGRESS_EVERY == 0:
                        progress(count)
            except BaseException:
                writer.cancel()
                raise
            writer.commit(merge=False)
        finally:
            ix.close()
        if progress:
            progress(count)
        return count

    # -- reading -------------------------------------------------------------------------------------

    def _ids(self, handle: _View) -> set[int]:
        col = handle.column("id")
        return {col[d] for d in handle.live}

    def _doc_count(self, handle: _View) -> int:
        return len(handle.live)

    def _doc_frequencies(self, handle: _View, terms: list[str]) -> dict[str, int]:
        try:
            return {t: handle.reader.doc_frequency("content", t) for t in terms}
        except _CORRUPTION_ERRORS as exc:
            raise IndexCorrupt(f"cannot read Whoosh index ({type(exc).__name__}: {exc})") from exc

    def _search(self, handle: _View, query: SearchQuery) -> SearchResult:
        for attempt in range(VANISHED_RETRIES):
            try:
                return _Search(handle, query).run()
            except SegmentVanished as exc:
                # A writer in another process committed (and deleted merged segments) while this view
                # was open: the newest commit has every file, so search it from the start.
                if attempt == VANISHED_RETRIES - 1:
                    raise IndexCorrupt(f"Whoosh index files keep vanishing: {exc}") from exc
                time.sleep(0.005 * attempt)
                handle = self._renew_lease(handle)
            except (IndexBusy, IndexCorrupt):
                raise
            except _CORRUPTION_ERRORS as exc:
                raise IndexCorrupt(f"cannot read Whoosh index ({type(exc).__name__}: {exc})") from exc
        raise AssertionError("unreachable")  # pragma: no cover

class _Search:
    """One search on one view (see the module docstring for the steps)."""

    def __init__(self, view: _View, query: SearchQuery) -> None:
        self.view = view
        self.query = query
        self.active = query.mode == "active"
        self.parsed: ParsedQuery = parse_query(query.q, prefix_last=self.active)
        self.text_field = "short" if self.active else "content"
        self.length_column = "slen" if self.active else "clen"
        self.check = TextCheck(self.parsed) if not self.active and needs_confirmation(self.parsed) else None

    # -- clauses -> candidate sets and scorers --------------------------------------------

    def _idf(self, df: int) -> float:
        n = self.view.n
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _term_scorer(self, fieldname: str, term: str, length_column: str, weight: float) -> _Scorer:
        tf = self.view.postings(fieldname, term)
        return _Scorer(tf, self._idf(len(tf)), self.view.norms(length_column), weight)

    def _exact_scorer(self, accented: str) -> _Scorer:
        return _Scorer(self.view.postings("exact", accented), 1.0, None, EXACT_BONUS)

    def _word(self, word: Word) -> _Match:
        view = self.view
        if word.prefix:
            # One posting dict for all the words the prefix stands for (a document having two
            # of them keeps one frequency: a merge in C instead of a Python loop per posting).
            tf: dict[int, float] = {}
            for t in view.expand(self.text_field, word.term, prefix_expansion_limit(word.term)):
                tf.update(view.postings(self.text_field, t))
            scorer = _Scorer(tf, self._idf(len(tf)), view.norms(self.length_column))
            return _Match(set(tf), [scorer])
        main = self._term_scorer(self.text_field, word.term, self.length_column, 1.0)
        match = _Match(set(main.tf), [main])
        if not self.active:
            match.scorers.append(self._term_scorer("title", word.term, "tlen", W_TITLE))
            if word.accented:
                match.scorers.append(self._exact_scorer(word.accented))
        return match

    def _phrase(self, phrase: Phrase) -> _Match:
        if self.active or phrase.words[-1].prefix:
            # No pairs for the short fields (and none for a prefix): all words, in any order.
            parts = [self._word(w) for w in phrase.words]
            docs = set.intersection(*(p.docs for p in parts))
            return _Match(docs, [sc for p in parts for sc in p.scorers])
        pairs = [self.view.postings("bi", p) for p in biwords(list(phrase.terms))]
        pairs.sort(key=len)
        docs = set(pairs[0])
        for tf in pairs[1:]:
            docs &= tf.keys()
        # The rarest pair's frequency stands for the phrase's.
        rarest = pairs[0]
        scorers = [_Scorer(rarest, self._idf(len(docs)), self.view.norms("clen"), float(len(pairs)))]
        for w in phrase.words:
            scorers.append(self._term_scorer("title", w.term, "tlen", W_TITLE))
            if w.accented:
                scorers.append(self._exact_scorer(w.accented))
        return _Match(docs, scorers)

    def _number(self, number: Number) -> _Match:
        docs: set[int] = set()
        for key in self.view.expand("number", number.first + "-", limit=10_000):
            if number.matches(key):
                docs |= self.view.doc_set("number", key)
        return _Match(docs, [_Scorer(dict.fromkeys(docs, 1.0), 1.0, None, W_NUMBER)])

    def _clause(self, clause: Clause | AllOf | AnyOf) -> _Match:
        if isinstance(clause, AllOf):
            parts = sorted((self._clause(c) for c in clause.clauses), key=lambda p: len(p.docs))
            docs = set(parts[0].docs)
            for p in parts[1:]:
                docs &= p.docs
            return _Match(docs, [sc for p in parts for sc in p.scorers])
        if isinstance(clause, AnyOf):
            parts = [self._clause(c) for c in clause.options]
            return _Match(set().union(*(p.docs for p in parts)), [sc for p in parts for sc in p.scorers])
        if isinstance(clause, Word):
            return self._word(clause)
        if isinstance(clause, Phrase):
            return self._phrase(clause)
        return self._number(clause)

    # -- filters --------------------------------------------------------------------------------------

    def _apply_filters(self, docs: set[int]) -> set[int]:
        q, view = self.query, self.view
        if q.year_from is not None or q.year_to is not None:
            lo = q.year_from if q.year_from is not None else -(10**9)
            hi = q.year_to if q.year_to is not None else 10**9
            years: set[int] = set()
            for value, ds in view.value_sets("year").items():
                if lo <= int(value) <= hi:
                    years |= ds
            docs &= years
        for name in ("type", "bloc", "unit"):
            value = getattr(q, name)
            if value:
                docs &= view.value_sets(name).get(value, set())
        return docs

    def _facets(self, docs: set[int]) -> dict[str, dict]:
        """Count `docs` per year and type: one set intersection per value, no per-document loop."""
        facets: dict[str, dict] = {"year": {}, "type": {}}
        if self.active:
            return facets
        for fieldname, key in (("year", int), ("type", str)):
            counts = {}
            for value, ds in self.view.value_sets(fieldname).items():
                c = len(docs & ds) if len(ds) > len(docs) else len(ds & docs)
                if c:
                    counts[key(value)] = c
            facets[fieldname] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        return facets

    def _confirmed(self, docnum: int) -> bool:
        return self.check(self.view.stored(docnum))

    # -- the search -------------------------------------------------------------------------------------

    def run(self) -> SearchResult:
        view, query, parsed = self.view, self.query, self.parsed
        matches = [self._clause(c) for c in parsed.must]
        if matches:
            ordered = sorted(matches, key=lambda m: len(m.docs))
            docs = set(ordered[0].docs)
            for m in ordered[1:]:
                docs &= m.docs
            docs &= view.live
        else:
            docs = set(view.live)
        for clause in parsed.must_not:
            if self.check is not None and isinstance(clause, Phrase) and len(clause.words) >= LONG_PHRASE:
                continue  # a long phrase's pairs over-match: `check` excludes the real occurrences
            docs -= self._clause(clause).docs
        docs = self._apply_filters(docs)

        exact = True
        if self.check is not None:
            if len(docs) <= CONFIRM_ALL_LIMIT:
                docs = {d for d in docs if self._confirmed(d)}
            else:
                exact = False

        total = len(docs)
        facets = self._facets(docs)

        window = query.window
        rank = self._ranker(docs, matches, date_order=query.sort == "date" or not parsed.must)
        if exact:
            ranked = rank(window)
        else:
            ranked, false_seen, exhausted = self._confirm_ranked(rank, len(docs), window)
            total -= false_seen
            if exhausted:  # every candidate was checked after all: count exactly
                exact = True
                facets = self._facets({d for _, d in ranked})
        highlighter = Highlighter(parsed)
        hits = [self._hit(d, sc, highlighter) for sc, d in ranked[query.offset : window]]
        return SearchResult(
            hits=hits,
            total=total,
            page=query.page,
            pages=SearchResult.page_count(total, query.per_page),
            facets=facets,
            took_ms=0.0,
            total_exact=exact,
        )

    def _scores(self, docs: set[int], matches: list[_Match]) -> dict[int, float]:
        scores = dict.fromkeys(docs, 0.0)
        k1p1 = K1 + 1
        for match in matches:
            for sc in match.scorers:
                tf = sc.tf
                common = tf.keys() & docs if len(tf) > len(docs) else docs & tf.keys()
                if sc.norm is None:
                    w = sc.weight
                    for d in common:
                        scores[d] += w
                    continue
                c = sc.weight * sc.idf * k1p1
                norm = sc.norm
                for d in common:
                    t = tf[d]
                    scores[d] += c * t / (t + norm[d])
        return scores

    def _ranker(self, docs: set[int], matches: list[_Match], date_order: bool) -> Callable[[int], list]:
        """Return `top(k)`: the k best (score, docnum) of `docs`."""
        if date_order:
            keys = self.view.column("date_key")
            return lambda k: [(0.0, d) for d in heapq.nlargest(k, docs, key=keys.__getitem__)]
        scores = self._scores(docs, matches)
        return lambda k: [(sc, d) for d, sc in heapq.nlargest(k, scores.items(), key=itemgetter(1))]

    def _confirm_ranked(self, rank, n_docs: int, window: int) -> tuple[list, int, bool]:
        """Confirm candidates in rank order until `window` of them pass.

        Return the confirmed (score, docnum), how many candidates failed, and whether every
        candidate was checked (then the confirmed ones are all the matches).
        """
        confirmed: list[tuple[float, int]] = []
        false_seen = 0
        checked: set[int] = set()
        want = window + 20
        while True:
            for sc, d in rank(want):
                if d in checked:
                    continue
                checked.add(d)
                if self._confirmed(d):
                    confirmed.append((sc, d))
                    if len(confirmed) >= window:
                        return confirmed, false_seen, len(checked) >= n_docs
                else:
                    false_seen += 1
            if want >= n_docs:
                return confirmed, false_seen, True
            want = min(n_docs, 2 * want)  # too many misses on this slice: look further down

    def _hit(self, docnum: int, score: float, highlighter: Highlighter) -> SearchHit:
        return make_hit(self.view.stored(docnum), score, highlighter, self.active)

