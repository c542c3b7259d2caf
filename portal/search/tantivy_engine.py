"""The tantivy engine: for large archives (a hundred thousand documents and more).

Documents go in as NFC text and are analysed in Rust by `vi_fold`: simple tokenizer + lowercase
+ ascii_fold (+ remove_long). On Vietnamese, ascii_fold folds exactly as `portal.text.fold`
(every letter, đ→d and the Đ look-alikes; a unit test checks the whole alphabet), so query words
folded in Python meet the indexed terms; a query word that is not ASCII after folding is run
through the same analyzer. Folding in Rust keeps indexing at thousands of documents a second.
The accented `exact` field uses `vi_exact` (simple + lowercase). Custom analyzers are not stored
in the index, so they are registered again every time an index is opened or created.

Phrases: a two-word phrase is one term of the `bi` field (word pairs made in Python at indexing,
folded by the `vi_biword` analyzer). Longer phrases are first counted by their word pairs (a
cheap AND of terms); up to `EXACT_PHRASE_LIMIT` candidates the positional phrase query runs and
everything is exact. A phrase of common words can have tens of thousands of candidates, and
matching positions on each of them, twice (hits, then facets), is what made such queries slow;
then the pair-matched candidates are ranked and confirmed on the stored text while the page
fills, as in the Whoosh engine (`total_exact=False`, total and facets count candidates).

Totals come from the same collector pass as the top hits (`count=True`), facets from one terms
aggregation over the fast fields `year` and `type`. Snippets are cut from the stored text by the
shared `Highlighter`, so both engines mark hits the same way.

tantivy's own writer lock is per index directory; the cross-process `write.lock` of the
generation store (fcntl) also covers rebuilds, which write a different directory.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import tantivy
from tantivy import Occur, Query

from portal.search.analysis import BIWORD_SEP, MAX_TOKEN_LEN, TOKEN_RE, number_key
from portal.search.base import REBUILD_PROGRESS_EVERY, GenerationalEngine, date_key, make_hit, stored_data
from portal.search.engine import (
    MAX_RESULT_WINDOW,
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

__all__ = ["TantivyEngine", "build_schema", "SCHEMA_VERSION"]

SCHEMA_VERSION = "tantivy-schema-2"
FOLD_TOKENIZER = "vi_fold"
EXACT_TOKENIZER = "vi_exact"
BIWORD_TOKENIZER = "vi_biword"
W_TITLE, W_NUMBER = 2.0, 5.0
# Each query word typed with accents and found in that exact form adds this constant: more than
# any BM25 score of a normal query, so exact-accent matches rank above folded-only ones ("Đảng"
# before "Dang", "dạng", "đáng"), and BM25 orders documents within each tier.
EXACT_BONUS = 1000.0
WRITER_HEAP = 64_000_000
RELOAD_RETRIES = 5
# One writer and one commit for a whole rebuild: memory stays bounded by the writer's heap
# (tantivy writes a segment whenever it is full), and nobody reads the new generation before the swap.
REBUILD_HEAP = 256_000_000
FACET_SIZE = 500
# Phrases of 3+ words whose word pairs match more documents than this are not matched by
# positions on every candidate; the page's hits are confirmed on the stored text instead.
EXACT_PHRASE_LIMIT = 2000


def fold_analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_LEN + 1))
        .build()
    )


def exact_analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .build()
    )


def biword_analyzer() -> tantivy.TextAnalyzer:
    """Word pairs are made in Python ("thi_đua"); tantivy lower-cases and folds them."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.remove_long(2 * MAX_TOKEN_LEN + 2))
        .build()
    )


_FOLD = fold_analyzer()
_EXACT = exact_analyzer()
_BI = biword_analyzer()


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("id", indexed=True, fast=True)
    sb.add_text_field("title", tokenizer_name=FOLD_TOKENIZER, index_option="position")
    sb.add_text_field("content", tokenizer_name=FOLD_TOKENIZER, index_option="position")
    sb.add_text_field("exact", tokenizer_name=EXACT_TOKENIZER, index_option="freq")
    sb.add_text_field("short", tokenizer_name=FOLD_TOKENIZER, index_option="freq")
    sb.add_text_field("bi", tokenizer_name=BIWORD_TOKENIZER, index_option="freq")
    sb.add_text_field("number", tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("year", indexed=True, fast=True)
    sb.add_text_field("type", tokenizer_name="raw", index_option="basic", fast=True)
    sb.add_text_field("bloc", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("unit", tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("date_key", fast=True)
    sb.add_bytes_field("data", stored=True)
    return sb.build()


def _register(index: tantivy.Index) -> None:
    index.register_tokenizer(FOLD_TOKENIZER, _FOLD)
    index.register_tokenizer(EXACT_TOKENIZER, _EXACT)
    index.register_tokenizer(BIWORD_TOKENIZER, _BI)


def _document(doc: SearchDoc) -> tantivy.Document:
    d = tantivy.Document()
    d.add_integer("id", doc.id)
    d.add_text("title", doc.title)
    # Separate values: tantivy leaves a position gap between them, so no phrase spans two.
    for value in (doc.title, doc.number, doc.issuer, doc.summary, doc.text):
        if value:
            d.add_text("content", value)
    for value in (doc.title, doc.issuer, doc.summary, doc.text):
        if value:
            d.add_text("exact", value)
    for value in (doc.title, doc.number, doc.issuer):
        if value:
            d.add_text("short", value)
    for value in (doc.title, doc.number, doc.issuer, doc.summary, doc.text):
        if value:
            pairs = _biwords(value)
            if pairs:
                d.add_text("bi", pairs)
    key = number_key(doc.number)
    if key:
        d.add_text("number", key)
    if doc.year is not None:
        d.add_integer("year", doc.year)
    for name in ("type", "bloc", "unit"):
        value = getattr(doc, name)
        if value:
            d.add_text(name, value)
    d.add_integer("date_key", date_key(doc))
    d.add_bytes("data", json.dumps(stored_data(doc), ensure_ascii=False).encode("utf-8"))
    return d


def _reload(index: tantivy.Index, path: Path) -> None:
    """Point the index's searchers at its newest commit, retrying while another process's commit races it.

    A reload reads meta.json and then opens the segments it lists; a writer in another process can
    commit, merge and delete one of those segments in between. The next meta.json lists only files
    that exist, so trying again shortly succeeds; a damaged index keeps failing and raises.
    """
    for attempt in range(RELOAD_RETRIES):
        try:
            index.reload()
            return
        except ValueError:
            if attempt == RELOAD_RETRIES - 1:
                raise
            time.sleep(0.01 * (attempt + 1))


def _biwords(text: str) -> str:
    """The word pairs of `text`, space-separated, as they come (the analyzer folds them).

    The hot spot of a rebuild (every value of every document). One regex pass in C makes the
    tokens; the pairs are then formatted by one `%` operation over the interleaved tokens, with
    no tuple or string object per pair. Letting tantivy cut the pairs (a regex tokenizer over
    the tokens joined by BIWORD_SEP) was tried: its regex tokenizer is slower than this.
    """
    tokens = TOKEN_RE.findall(text)
    n = len(tokens)
    if n < 2:
        return ""
    if len(text) > MAX_TOKEN_LEN and max(map(len, tokens)) > MAX_TOKEN_LEN:
        out, prev = [], None
        for t in tokens:
            if len(t) > MAX_TOKEN_LEN:
                prev = None  # a long token is not indexed and breaks the pairs
                continue
            if prev is not None:
                out.append(prev + BIWORD_SEP + t)
            prev = t
        return " ".join(out)
    pairs: list[str | None] = [None] * (2 * n - 2)
    pairs[0::2] = tokens[:-1]
    pairs[1::2] = tokens[1:]
    return (_PAIR_FORMAT * (n - 1))[:-1] % tuple(pairs)


_PAIR_FORMAT = "%s" + BIWORD_SEP + "%s "


def _fold_term(term: str) -> str | None:
    """The term as `vi_fold` indexes it (Python's fold and tantivy agree on ASCII)."""
    if term.isascii():
        return term
    tokens = _FOLD.analyze(term)
    return tokens[0] if len(tokens) == 1 else None


def _exact_term(form: str) -> str | None:
    tokens = _EXACT.analyze(form)
    return tokens[0] if len(tokens) == 1 else None


def _meta_signature(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path / "meta.json")
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)


class _Handle:
    def __init__(self, path: Path, index: tantivy.Index) -> None:
        self.path = path
        self.index = index
        self.schema = index.schema
        self.meta = _meta_signature(path)


class TantivyEngine(GenerationalEngine):
    """tantivy-py (0.27) behind the search seam."""

    name = "tantivy"
    _search_needs_lock = False  # tantivy searchers are thread-safe

    # -- generations ----------------------------------------------------------------------------

    def _create_empty(self, path: Path) -> None:
        index = tantivy.Index(build_schema(), path=str(path), reuse=False)
        _register(index)
        (path / "SCHEMA").write_text(SCHEMA_VERSION + "\n", encoding="ascii")
        del index

    def _open_handle(self, path: Path) -> _Handle:
        try:
            version = (path / "SCHEMA").read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise IndexCorrupt(f"{path}: no readable SCHEMA marker ({exc})") from exc
        if version != SCHEMA_VERSION:
            raise IndexCorrupt(f"{path}: index schema {version!r}, this code needs {SCHEMA_VERSION!r}")
        try:
            index = tantivy.Index.open(str(path))
            _register(index)
            index.config_reader(reload_policy="Manual")
            _reload(index, path)
            index.searcher().num_docs  # noqa: B018 - touches every segment reader
        except (ValueError, OSError) as exc:
            raise IndexCorrupt(f"{path}: cannot open tantivy index ({exc})") from exc
        return _Handle(path, index)

    def _close_handle(self, handle: _Handle) -> None:
        # tantivy closes its files when the last reference to the Index goes; a search still
        # running on this handle in another thread keeps it alive until it is done.
        pass

    def _refreshed(self, handle: _Handle) -> _Handle:
        meta = _meta_signature(handle.path)
        if meta != handle.meta:
            try:
                _reload(handle.index, handle.path)
            except ValueError as exc:
                raise IndexCorrupt(f"{handle.path}: cannot reload tantivy index ({exc})") from exc
            handle.meta = meta
        return handle

    # -- writing -----------------------------------------------------------------------------------

    def _writer(self, index: tantivy.Index, heap: int, threads: int):
        try:
            return index.writer(heap_size=heap, num_threads=threads)
        except ValueError as exc:
            if "LockBusy" in str(exc) or "lock" in str(exc).lower():
                raise IndexBusy(f"the tantivy index is locked by another writer: {exc}") from exc
            raise

    def _write(self, handle: _Handle, docs: Iterable[SearchDoc], remove_ids: Iterable[int]) -> int:
        latest = {doc.id: doc for doc in docs}
        writer = self._writer(handle.index, WRITER_HEAP, 1)
        try:
            for doc_id in remove_ids:
                writer.delete_documents_by_term("id", int(doc_id))
            for doc in latest.values():
                writer.delete_documents_by_term("id", doc.id)
                writer.add_document(_document(doc))
            writer.commit()
        except BaseException:
            writer.rollback()
            writer.wait_merging_threads()
            raise
        writer.wait_merging_threads()
        handle.index.reload()
        handle.meta = _meta_signature(handle.path)
        return len(latest)

    def _build(self, path: Path, docs: Iterable[SearchDoc], progress: Progress | None) -> int:
        index = tantivy.Index(build_schema(), path=str(path), reuse=False)
        _register(index)
        (path / "SCHEMA").write_text(SCHEMA_VERSION + "\n", encoding="ascii")
        threads = max(1, min(4, os.cpu_count() or 1))
        writer = self._writer(index, REBUILD_HEAP, threads)
        count = 0
        seen: set[int] = set()
        try:
            for doc in docs:
                if doc.id in seen:
                    writer.delete_documents_by_term("id", doc.id)
                seen.add(doc.id)
                writer.add_document(_document(doc))
                count += 1
                if progress and count % REBUILD_PROGRESS_EVERY == 0:
                    progress(count)
            writer.commit()
        except BaseException:
            writer.rollback()
            writer.wait_merging_threads()
            raise
        writer.wait_merging_threads()
        del index
        if progress:
            progress(count)
        return count

    # -- reading ----------------------------------------------------------------------------------------

    def _ids(self, handle: _Handle) -> set[int]:
        searcher = handle.index.searcher()
        n = searcher.num_docs
        if not n:
            return set()
        res = searcher.search(Query.all_query(), limit=n, count=False)
        return set(searcher.fast_field_values("id", [addr for _, addr in res.hits]))

    def _doc_count(self, handle: _Handle) -> int:
        return handle.index.searcher().num_docs

    def _doc_frequencies(self, handle: _Handle, terms: list[str]) -> dict[str, int]:
        searcher = handle.index.searcher()
        out = {}
        try:
            for t in terms:
                folded = _fold_term(t)
                out[t] = searcher.doc_freq("content", folded) if folded else 0
        except (ValueError, OSError) as exc:
            raise IndexCorrupt(f"cannot read tantivy index ({exc})") from exc
        return out

    def _search(self, handle: _Handle, query: SearchQuery) -> SearchResult:
        return _Search(handle, query).run()


class _Search:
    def __init__(self, handle: _Handle, query: SearchQuery) -> None:
        self.schema = handle.schema
        self.searcher = handle.index.searcher()
        self.query = query
        self.active = query.mode == "active"
        self.parsed: ParsedQuery = parse_query(query.q, prefix_last=self.active)
        self.field = "short" if self.active else "content"
        self.exact_phrases = True

    def _term(self, fieldname: str, term: str) -> Query:
        return Query.term_query(self.schema, fieldname, term)

    def _prefix(self, fieldname: str, prefix: str) -> Query:
        terms = self.searcher.terms_with_prefix(fieldname, prefix, limit=prefix_expansion_limit(prefix))
        if not terms:
            return Query.empty_query()
        return Query.boolean_query([(Occur.Should, self._term(fieldname, t)) for t, _n in terms])

    def _boosts(self, words: Iterable[Word]) -> list[tuple[Occur, Query]]:
        out = []
        for w in words:
            term = _fold_term(w.term)
            if term:
                out.append((Occur.Should, Query.boost_query(self._term("title", term), W_TITLE)))
            if w.accented:
                exact = _exact_term(w.accented)
                if exact:
                    out.append((Occur.Should, Query.const_score_query(self._term("exact", exact), EXACT_BONUS)))
        return out

    def _word(self, word: Word, scoring: bool = True) -> Query:
        term = _fold_term(word.term)
        if term is None:
            return Query.empty_query()
        if word.prefix:
            return self._prefix(self.field, term)
        q = self._term(self.field, term)
        if self.active or not scoring:
            return q
        return Query.boolean_query([(Occur.Must, q), *self._boosts([word])])

    def _pair(self, a: str, b: str) -> Query:
        pair = a + BIWORD_SEP + b
        if not pair.isascii():
            tokens = _BI.analyze(pair)
            pair = tokens[0] if len(tokens) == 1 else pair
        return self._term("bi", pair)

    def _phrase(self, phrase: Phrase, scoring: bool = True) -> Query:
        if self.active or phrase.words[-1].prefix:
            # No positions in the short fields (and none for a prefix): all words, any order.
            return Query.boolean_query([(Occur.Must, self._word(w, scoring)) for w in phrase.words])
        terms = [_fold_term(w.term) for w in phrase.words]
        if any(t is None for t in terms):
            return Query.empty_query()
        if len(terms) == 2:
            q = self._pair(*terms)  # one word pair is the phrase, exactly
        elif self.exact_phrases:
            q = Query.phrase_query(self.schema, "content", terms)
        else:
            q = Query.boolean_query([(Occur.Must, self._pair(a, b)) for a, b in zip(terms, terms[1:])])
        if not scoring:
            return q
        return Query.boolean_query([(Occur.Must, q), *self._boosts(phrase.words)])

    def _number(self, number: Number) -> Query:
        keys = [
            t
            for t, _n in self.searcher.terms_with_prefix("number", number.first + "-")
            if number.matches(t)
        ]
        if not keys:
            return Query.empty_query()
        q = Query.boolean_query([(Occur.Should, self._term("number", k)) for k in keys])
        return Query.const_score_query(q, W_NUMBER)

    def _clause(self, clause: Clause | AllOf | AnyOf, scoring: bool = True) -> Query:
        if isinstance(clause, AllOf):
            return Query.boolean_query([(Occur.Must, self._clause(c, scoring)) for c in clause.clauses])
        if isinstance(clause, AnyOf):
            return Query.boolean_query([(Occur.Should, self._clause(c, scoring)) for c in clause.options])
        if isinstance(clause, Word):
            return self._word(clause, scoring)
        if isinstance(clause, Phrase):
            return self._phrase(clause, scoring)
        return self._number(clause)

    def _filters(self) -> list[tuple[Occur, Query]]:
        q = self.query
        out = []
        if q.year_from is not None or q.year_to is not None:
            out.append(
                (
                    Occur.Must,
                    Query.range_query(
                        self.schema, "year", tantivy.FieldType.Integer, q.year_from, q.year_to
                    ),
                )
            )
        for name in ("type", "bloc", "unit"):
            value = getattr(q, name)
            if value:
                out.append((Occur.Must, self._term(name, value)))
        return out

    def build(self) -> Query:
        parts: list[tuple[Occur, Query]] = [(Occur.Must, self._clause(c)) for c in self.parsed.must]
        if not parts:
            parts.append((Occur.Must, Query.all_query()))
        for clause in self.parsed.must_not:
            if not self.exact_phrases and isinstance(clause, Phrase) and len(clause.words) >= LONG_PHRASE:
                continue  # pairs over-match; TextCheck drops the documents that have the phrase
            parts.append((Occur.MustNot, self._clause(clause, scoring=False)))
        parts += self._filters()
        return Query.boolean_query(parts)

    def run(self) -> SearchResult:
        try:
            if not self.active and needs_confirmation(self.parsed):
                # Long phrases: count the candidates by word pairs first (cheap). Few: run the
                # exact positional phrase query. Many (a phrase of common words): positional
                # matching would walk them all twice (hits, facets); keep the pairs and confirm
                # the hits shown on the stored text instead.
                self.exact_phrases = False
                approx = self.build()
                candidates = self.searcher.search(approx, limit=1, count=True).count
                if candidates > EXACT_PHRASE_LIMIT:
                    return self._execute_unconfirmed(approx, candidates)
                self.exact_phrases = True
            return self._execute(self.build())
        except (ValueError, OSError) as exc:  # what tantivy raises on unreadable segment data
            raise IndexCorrupt(f"cannot read tantivy index ({exc})") from exc

    @property
    def date_order(self) -> bool:
        return self.query.sort == "date" or not self.parsed.must

    def _top(self, tq: Query, limit: int, offset: int, count: bool):
        """Search with tantivy (which panics on limit=0: ask for one and drop it)."""
        kwargs: dict[str, Any] = {"limit": max(1, limit), "count": count, "offset": offset}
        if self.date_order:
            kwargs.update(order_by_field="date_key", order=tantivy.Order.Desc)
        res = self.searcher.search(tq, **kwargs)
        return res.count, (res.hits if limit > 0 else [])

    def _facets(self, tq: Query) -> dict[str, dict]:
        agg = self.searcher.aggregate(
            tq,
            {
                "year": {"terms": {"field": "year", "size": FACET_SIZE}},
                "type": {"terms": {"field": "type", "size": FACET_SIZE}},
            },
        )
        facets: dict[str, dict] = {}
        for name, conv in (("year", int), ("type", str)):
            buckets = agg.get(name, {}).get("buckets", [])
            counts = {conv(b["key"]): int(b["doc_count"]) for b in buckets if b["doc_count"]}
            facets[name] = _sorted_counts(counts)
        return facets

    def _data(self, addr) -> dict[str, Any]:
        return json.loads(self.searcher.doc(addr).get_first("data"))

    def _result(self, hits: list[SearchHit], total: int, facets: dict, exact: bool = True) -> SearchResult:
        q = self.query
        return SearchResult(
            hits=hits,
            total=total,
            page=q.page,
            pages=SearchResult.page_count(total, q.per_page),
            facets=facets,
            took_ms=0.0,
            total_exact=exact,
        )

    def _execute(self, tq: Query) -> SearchResult:
        query = self.query
        limit = min(query.per_page, MAX_RESULT_WINDOW - query.offset)
        total, found = self._top(tq, limit, query.offset, count=True)
        facets: dict[str, dict] = {"year": {}, "type": {}}
        if not self.active and total:
            facets = self._facets(tq)
        highlighter = Highlighter(self.parsed)
        hits = [self._hit(self._data(addr), score, highlighter) for score, addr in found]
        return self._result(hits, total, facets)

    def _execute_unconfirmed(self, approx: Query, candidates: int) -> SearchResult:
        """Rank the pair-matched candidates, confirm them in order until the page is full."""
        query = self.query
        check = TextCheck(self.parsed)
        window = query.window
        confirmed: list[tuple[Any, dict[str, Any]]] = []
        false_seen = seen = 0
        batch = window + 20
        while len(confirmed) < window and seen < candidates:
            _, found = self._top(approx, batch, seen, count=False)
            if not found:
                break
            for score, addr in found:
                seen += 1
                data = self._data(addr)
                if check(data):
                    confirmed.append((score, data))
                    if len(confirmed) >= window:
                        break
                else:
                    false_seen += 1
            batch *= 2
        highlighter = Highlighter(self.parsed)
        hits = [self._hit(data, score, highlighter) for score, data in confirmed[query.offset : window]]
        if seen >= candidates:  # every candidate was checked: the count is exact
            counts: dict[str, dict] = {"year": {}, "type": {}}
            for _score, data in confirmed:
                for name in ("year", "type"):
                    if data.get(name) is not None:
                        counts[name][data[name]] = counts[name].get(data[name], 0) + 1
            facets = {name: _sorted_counts(c) for name, c in counts.items()}
            return self._result(hits, len(confirmed), facets)
        return self._result(hits, candidates - false_seen, self._facets(approx), exact=False)

    def _hit(self, data: dict[str, Any], score: Any, highlighter: Highlighter) -> SearchHit:
        return make_hit(data, 0.0 if self.date_order else float(score), highlighter, self.active)


def _sorted_counts(counts: dict) -> dict:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
