"""The postgres engine: the index is the `search_index` table in the portal's own PostgreSQL database.

For sites that run several portal processes on several machines: there is no index folder to share,
every process reads and writes the same table, and a commit is seen by every process at once.

Text is analysed in Python exactly as for Whoosh and tantivy (`portal.search.analysis`: NFC, one-to-one
folding, đ→d, the same tokens) and written as `tsvector` literals, so PostgreSQL's parser, dictionaries
and `unaccent` never touch it and a query term always meets the indexed term. Queries are built the same
way, as `tsquery` literals (`'thi' & 'dua'`, `'khen':*`), over the GIN-indexed columns:

- words: `words` (all fields folded) or `short` (title, number, issuer) in search-as-you-type, what
  falls on one column in one tsquery (one GIN scan); exclusions as `id NOT IN (…)` through the index;
  two-word phrases are one term of `pairs` (exact, as in the other engines); longer phrases AND their
  word pairs and are confirmed on the stored text (`query.TextCheck`), all candidates
  up to `CONFIRM_ALL_LIMIT`, else in rank order while the page fills (`total_exact=False`), as Whoosh does;
- numbers: `number_key` by prefix (`19-%`, a btree range) and the query's regular expression;
- ranking: `ts_rank` over `ranking` (title weighted A; the text's first `RANK_TEXT_WORDS` words, so the
  vector stays small and in the row: every match is ranked, and reading each one's full vector out of
  TOAST is what made ranking slow), plus `EXACT_BONUS` per word found in its typed accented form
  (`exact`, through the GIN index), plus `W_NUMBER` for a number; newest first when there are no words;
- total and facets: one `GROUPING SETS` count over the filtered set; the page's rows only are read
  whole and highlighted by the shared `Highlighter` (same snippets as the other engines, not `ts_headline`).

Writes: one transaction each. Updates hold a shared advisory lock and a rebuild an exclusive one, so a
rebuild (DELETE and refill in one transaction, in batches: readers see the old rows until the commit, a
failed rebuild rolls back to them) excludes updates, which wait `lock_timeout` and then raise `IndexBusy`
(the outbox keeps them). A missing table is created empty on first use (like a missing index folder);
one of another shape raises `IndexCorrupt`, and `rebuild()` drops and recreates it in its transaction.
Searches run with `enable_seqscan` and `jit` off (see `PostgresEngine.search`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from portal.search.analysis import analyse, biwords, number_key
from portal.search.base import REBUILD_PROGRESS_EVERY, date_key, make_hit, normalised
from portal.search.engine import (
    MAX_RESULT_WINDOW,
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
from portal.search.index_table import search_index
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
)

__all__ = ["PostgresEngine", "CONFIRM_ALL_LIMIT"]

TABLE = search_index.name
W_NUMBER = 5.0
EXACT_BONUS = 1000.0  # a tier above any ts_rank: exact-accent matches first (as in the other engines)
# Long phrases with at most this many word-pair candidates are confirmed on every candidate (exact).
CONFIRM_ALL_LIMIT = 400
BATCH = 500  # rows per INSERT batch in a rebuild
MAX_POSITIONS = 4  # per lexeme in `ranking`: ts_rank's frequency saturates early, and the vector stays small
RANK_TEXT_WORDS = 200  # of the text, in `ranking` (after title, number, issuer and summary)
MAX_POSITION = 16383  # PostgreSQL's largest tsvector position
MAX_VECTOR_CHARS = 900_000  # a tsvector must stay under 1 MB
# Shared by updates, exclusive for a rebuild ("srch_idx" as a 64-bit number).
LOCK_KEY = int.from_bytes(b"srch_idx", "big")
WEIGHTS = (("title", "A"), ("number", "B"), ("issuer", "C"), ("summary", "C"), ("text", "D"))
_LOCK_NOT_AVAILABLE = "55P03"
_SHAPE_ERRORS = ("42P01", "42703", "42804")  # undefined table, undefined column, datatype mismatch
COLUMNS = [c.name for c in search_index.columns]
VECTORS = ("words", "short", "exact", "pairs", "ranking")


# -- literals -------------------------------------------------------------------------------------------


def _quote(lexeme: str) -> str:
    """A lexeme as a quoted tsvector/tsquery literal (tokens are letters and digits; escape anyway)."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _vector(terms: Iterable[str]) -> str:
    """A tsvector literal of distinct terms without positions."""
    return " ".join(_quote(t) for t in dict.fromkeys(terms))


def _weighted_vector(fields: list[tuple[list[str | None], str]]) -> str:
    """A tsvector literal with positions and weights, fields in order (the title's weight wins)."""
    positions: dict[str, list[str]] = {}
    pos = 0
    for tokens, weight in fields:
        for token in tokens:
            pos += 1
            if token is None:
                continue
            seen = positions.get(token)
            if seen is None:
                positions[token] = [f"{min(pos, MAX_POSITION)}{weight}"]
            elif len(seen) < MAX_POSITIONS and pos <= MAX_POSITION:
                seen.append(f"{pos}{weight}")
        pos += 1  # no two fields next to each other
    out = " ".join(_quote(t) + ":" + ",".join(p) for t, p in positions.items())
    if len(out) > MAX_VECTOR_CHARS:  # a huge document of distinct words: first position only, then cut
        out = " ".join(_quote(t) + ":" + p[0] for t, p in positions.items())[:MAX_VECTOR_CHARS]
        out = out[: out.rfind(" ")] if " " in out else ""
    return out


def index_row(doc: SearchDoc) -> dict[str, Any]:
    """The `search_index` row of a (normalised) document."""
    analysed = {name: analyse(getattr(doc, name) or "") for name, _w in WEIGHTS}
    ranked = [(analysed[name][0][:RANK_TEXT_WORDS] if name == "text" else analysed[name][0], weight)
              for name, weight in WEIGHTS]
    words = [t for name, _w in WEIGHTS for t in analysed[name][0] if t is not None]
    short = [t for name in ("title", "number", "issuer") for t in analysed[name][0] if t is not None]
    exact = [t for name in ("title", "issuer", "summary", "text") for t in analysed[name][1]]
    pairs = [p for name, _w in WEIGHTS for p in biwords(analysed[name][0])]
    return {
        "id": doc.id, "title": doc.title, "number": doc.number, "issuer": doc.issuer, "summary": doc.summary,
        "body": doc.text, "year": doc.year, "type": doc.type, "report_kind": doc.report_kind, "bloc": doc.bloc,
        "unit": doc.unit, "issue_date": doc.issue_date, "date_key": date_key(doc), "number_key": number_key(doc.number),
        "words": _vector(words), "short": _vector(short), "exact": _vector(exact), "pairs": _vector(pairs),
        "ranking": _weighted_vector(ranked),
    }


_VALUES = ", ".join(f"CAST(:{c} AS tsvector)" if c in VECTORS else f":{c}" for c in COLUMNS)
INSERT = f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({_VALUES})"
UPSERT = INSERT + " ON CONFLICT (id) DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS if c != "id")
PROBE = f"SELECT {', '.join(COLUMNS)} FROM {TABLE} LIMIT 0"


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


# -- the engine -------------------------------------------------------------------------------------------


class PostgresEngine(Engine):
    """The index as a table of the portal's PostgreSQL database (`database`: a URL or a SQLAlchemy Engine)."""

    name = "postgres"

    def __init__(self, database: str | sa.Engine, *, lock_timeout: float = 10.0) -> None:
        if isinstance(database, sa.Engine):
            self.db, self._owns_db = database, False
        else:
            from portal.config import normalise_database_url

            self.db, self._owns_db = sa.create_engine(normalise_database_url(str(database)), pool_pre_ping=True), True
        if self.db.dialect.name != "postgresql":
            raise ValueError(f"the postgres search engine needs a PostgreSQL database, not {self.db.dialect.name}")
        self.lock_timeout = lock_timeout
        self._ready = False
        self._ready_lock = threading.Lock()

    # -- connections and errors ----------------------------------------------------------------------

    def _checked(self, exc: DBAPIError) -> Exception:
        """Map a database error to the seam's errors (or return it unchanged)."""
        state = _sqlstate(exc)
        if state == _LOCK_NOT_AVAILABLE:
            return IndexBusy(f"the search index is being rebuilt or written (waited {self.lock_timeout:g} s)")
        if state in _SHAPE_ERRORS:
            self._ready = False
            return IndexCorrupt(f"the {TABLE} table is missing or not of this version ({exc.orig})")
        return exc

    def _read(self, sql: str, params: dict | None = None) -> list[sa.Row]:
        self._ensure_table()
        try:
            with self.db.connect() as conn:
                return list(conn.execute(sa.text(sql), params or {}))
        except DBAPIError as exc:
            raise self._checked(exc) from exc

    def _locked(self, conn: sa.Connection, exclusive: bool) -> None:
        """Take the index's advisory lock for this transaction, waiting at most `lock_timeout`."""
        conn.execute(sa.text(f"SET LOCAL lock_timeout = '{max(1, int(self.lock_timeout * 1000))}ms'"))
        fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        conn.execute(sa.text(f"SELECT {fn}(:key)"), {"key": LOCK_KEY})

    def _ensure_table(self) -> None:
        """Create the table when the database has none (an engine test, a database not migrated yet)."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            try:
                with self.db.begin() as conn:
                    if not sa.inspect(conn).has_table(TABLE):
                        # Two processes may race here: one creates it, the other waits for its lock.
                        self._locked(conn, exclusive=True)
                        search_index.create(conn, checkfirst=True)
                    conn.execute(sa.text(PROBE))
            except DBAPIError as exc:
                raise self._checked(exc) from exc
            self._ready = True

    # -- the Engine API ---------------------------------------------------------------------------------

    def open(self) -> None:
        self._ensure_table()

    def close(self) -> None:
        if self._owns_db:
            self.db.dispose()
        self._ready = False

    def add_or_update(self, docs: Iterable[SearchDoc]) -> int:
        latest = {d.id: d for d in (normalised(d) for d in docs)}
        if not latest:
            return 0
        self._ensure_table()
        rows = [index_row(d) for d in latest.values()]
        try:
            with self.db.begin() as conn:
                self._locked(conn, exclusive=False)
                for start in range(0, len(rows), BATCH):
                    conn.execute(sa.text(UPSERT), rows[start:start + BATCH])
        except DBAPIError as exc:
            raise self._checked(exc) from exc
        return len(rows)

    def remove(self, ids: Iterable[int]) -> None:
        ids = sorted({int(i) for i in ids})
        if not ids:
            return
        self._ensure_table()
        try:
            with self.db.begin() as conn:
                self._locked(conn, exclusive=False)
                conn.execute(sa.text(f"DELETE FROM {TABLE} WHERE id = ANY(CAST(:ids AS integer[]))"), {"ids": ids})
        except DBAPIError as exc:
            raise self._checked(exc) from exc

    def rebuild(self, docs: Iterable[SearchDoc], progress: Progress | None = None) -> int:
        """Empty and refill the table in one transaction: searches see the old rows until the commit."""
        count = 0
        try:
            with self.db.begin() as conn:
                self._locked(conn, exclusive=True)
                self._fresh_table(conn)
                batch: dict[int, dict[str, Any]] = {}
                for doc in docs:
                    doc = normalised(doc)
                    batch[doc.id] = index_row(doc)
                    count += 1
                    if len(batch) >= BATCH:
                        conn.execute(sa.text(UPSERT), list(batch.values()))
                        batch.clear()
                    if progress and count % REBUILD_PROGRESS_EVERY == 0:
                        progress(count)
                if batch:
                    conn.execute(sa.text(UPSERT), list(batch.values()))
        except DBAPIError as exc:
            raise self._checked(exc) from exc
        self._ready = True
        try:
            with self.db.connect() as conn:  # fresh statistics for the planner and doc_frequencies
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text(f"ANALYZE {TABLE}"))
        except DBAPIError:  # statistics are a nicety; autovacuum analyses the table later anyway
            pass
        if progress:
            progress(count)
        return count

    def _fresh_table(self, conn: sa.Connection) -> None:
        """Delete every row, or drop and recreate a table of another shape (same transaction)."""
        sound = False
        if sa.inspect(conn).has_table(TABLE):
            try:
                with conn.begin_nested():
                    conn.execute(sa.text(PROBE))
                sound = True
            except DBAPIError as exc:
                if _sqlstate(exc) not in _SHAPE_ERRORS:
                    raise
        if sound:
            conn.execute(sa.text(f"DELETE FROM {TABLE}"))
        else:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {TABLE}"))
            search_index.create(conn)

    def ids(self) -> set[int]:
        return {row[0] for row in self._read(f"SELECT id FROM {TABLE}")}

    def doc_count(self) -> int:
        return int(self._read(f"SELECT count(*) FROM {TABLE}")[0][0])

    def doc_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """Counts from the planner's statistics for common words, from the GIN index for the others.

        Counting a word found in most of 100,000 documents would read most of the table; ANALYZE keeps
        the share of rows holding each of the ~1000 most common words (`pg_stats.most_common_elems`),
        and every other word is rare enough to count exactly.
        """
        terms = list(dict.fromkeys(terms))
        if not terms:
            return {}
        out: dict[str, int] = {}
        stats = self._read(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs, "
            f"(SELECT reltuples FROM pg_class WHERE oid = '{TABLE}'::regclass) "
            "FROM pg_stats WHERE tablename = :t AND attname = 'words' AND schemaname = current_schema()",
            {"t": TABLE},
        )
        if stats and stats[0][0] and stats[0][2] and stats[0][2] > 0:
            elems, freqs, rows = stats[0]
            common = dict(zip(elems, freqs))
            n = self.doc_count()
            for t in terms:
                if t in common:
                    out[t] = round(common[t] * n)
        rest = [t for t in terms if t not in out]
        if rest:
            found = self._read(
                f"SELECT t, (SELECT count(*) FROM {TABLE} WHERE words @@ CAST(q AS tsquery)) "
                "FROM unnest(CAST(:terms AS text[]), CAST(:queries AS text[])) AS u(t, q)",
                {"terms": rest, "queries": [_quote(t) for t in rest]},
            )
            out.update({t: int(n) for t, n in found})
        return out

    def search(self, query: SearchQuery) -> SearchResult:
        started = time.perf_counter()
        self._ensure_table()
        try:
            with self.db.connect() as conn, conn.begin():
                # Matches come from the GIN indexes, which never read a row's vectors; a sequential scan
                # would read (de-TOAST) `words` of every row to test it, a cost the planner does not count.
                # No JIT: the plans are small, and the "disabled" seq scan's cost would make PostgreSQL
                # compile every filter-only query (0.7 s of JIT for a 0.2 ms query, measured).
                conn.execute(sa.text("SET LOCAL enable_seqscan = off; SET LOCAL jit = off"))
                result = _Search(conn, query).run()
        except DBAPIError as exc:
            raise self._checked(exc) from exc
        result.took_ms = round((time.perf_counter() - started) * 1000, 3)
        return result


# -- searching ------------------------------------------------------------------------------------------


class _Search:
    def __init__(self, conn: sa.Connection, query: SearchQuery) -> None:
        self.conn = conn
        self.query = query
        self.active = query.mode == "active"
        self.parsed: ParsedQuery = parse_query(query.q, prefix_last=self.active)
        self.params: dict[str, Any] = {}
        self.exact_phrases = True  # False: long phrases by their word pairs only (candidates)

    # -- SQL pieces -----------------------------------------------------------------------------------

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def _matches(self, column: str, tsquery: str) -> str:
        return f"s.{column} @@ CAST({self.bind(tsquery)} AS tsquery)"

    @staticmethod
    def _term(word: Word) -> str:
        return _quote(word.term) + (":*" if word.prefix else "")

    def _tsquery(self, clause: Word | Phrase) -> tuple[str, str]:
        """The column and tsquery of a word or phrase."""
        words_column = "short" if self.active else "words"
        if isinstance(clause, Word):
            return words_column, self._term(clause)
        if self.active or clause.words[-1].prefix:
            # No word pairs in the short fields (nor for a prefix): all the words, any order.
            return words_column, " & ".join(self._term(w) for w in clause.words)
        return "pairs", " & ".join(_quote(p) for p in biwords(list(clause.terms)))

    def _one_column(self, clause: Clause | AllOf | AnyOf) -> tuple[str, str] | None:
        """The clause as one tsquery on one column (words, phrases, their ANDs and ORs), else None."""
        if isinstance(clause, (Word, Phrase)):
            return self._tsquery(clause)
        if isinstance(clause, Number):
            return None
        parts = [self._one_column(c) for c in (clause.clauses if isinstance(clause, AllOf) else clause.options)]
        if not parts or any(p is None for p in parts) or len({p[0] for p in parts}) != 1:
            return None
        op = " & " if isinstance(clause, AllOf) else " | "
        return parts[0][0], "(" + op.join(p[1] for p in parts) + ")"

    def _all(self, clauses: Iterable[Clause | AllOf | AnyOf]) -> list[str]:
        """ANDed clauses; what falls on one column becomes one tsquery: one GIN scan, no vector read."""
        by_column: dict[str, list[str]] = {}
        out = []
        for clause in clauses:
            single = self._one_column(clause)
            if single is not None:
                by_column.setdefault(single[0], []).append(single[1])
            else:
                out.append(self._clause(clause))
        return [self._matches(column, " & ".join(q)) for column, q in by_column.items()] + out

    def _number(self, number: Number) -> str:
        first = self.bind(number.first + "-%")
        pattern = self.bind("^(?:" + number.pattern + ")$")
        return f"(s.number_key LIKE {first} AND s.number_key ~ {pattern})"

    def _clause(self, clause: Clause | AllOf | AnyOf) -> str:
        if isinstance(clause, AllOf):
            return "(" + " AND ".join(self._all(clause.clauses)) + ")"
        single = self._one_column(clause)
        if single is not None:
            return self._matches(*single)
        if isinstance(clause, AnyOf):
            return "(" + " OR ".join(self._clause(c) for c in clause.options) + ")"
        return self._number(clause)

    def _filters(self) -> list[str]:
        q = self.query
        out = []
        if q.year_from is not None:
            out.append(f"s.year >= {self.bind(int(q.year_from))}")
        if q.year_to is not None:
            out.append(f"s.year <= {self.bind(int(q.year_to))}")
        for name in ("type", "bloc", "unit"):
            value = getattr(q, name)
            if value:
                out.append(f"s.{name} = {self.bind(value)}")
        return out

    def where(self) -> str:
        parts = self._all(self.parsed.must)
        for clause in self.parsed.must_not:
            if not self.exact_phrases and isinstance(clause, Phrase) and len(clause.words) >= LONG_PHRASE:
                continue  # pairs over-match; TextCheck drops the documents that hold the phrase
            # The excluded ids through the index (a hashed subplan): `NOT words @@ …` would read the
            # vector of every candidate row.
            parts.append(f"s.id NOT IN (SELECT s.id FROM {TABLE} s WHERE {self._clause(clause)})")
        parts += self._filters()
        return " AND ".join(parts) or "TRUE"

    @property
    def date_order(self) -> bool:
        return self.query.sort == "date" or not self.parsed.must

    def score(self) -> str:
        """ts_rank over the words, + EXACT_BONUS per exact-accent word, + W_NUMBER per number."""
        if self.date_order:
            return "0.0"
        words: list[Word] = []
        numbers: list[Number] = []
        for clause in self.parsed.positive():
            if isinstance(clause, Word):
                words.append(clause)
            elif isinstance(clause, Phrase):
                words.extend(clause.words)
            else:
                numbers.append(clause)
        parts = []
        if words:
            terms = " | ".join(dict.fromkeys(self._term(w) for w in words))
            parts.append(f"ts_rank(s.ranking, CAST({self.bind(terms)} AS tsquery), 1)")
        if not self.active:
            for accented in dict.fromkeys(w.accented for w in words if w.accented):
                # A hashed subplan over the GIN index: no `exact` vector is read row by row.
                q = self.bind(_quote(accented))
                parts.append(f"CASE WHEN s.id IN (SELECT id FROM {TABLE} WHERE exact @@ CAST({q} AS tsquery)) "
                             f"THEN {EXACT_BONUS} ELSE 0 END")
        for number in numbers:
            parts.append(f"CASE WHEN {self._number(number)} THEN {W_NUMBER} ELSE 0 END")
        return " + ".join(parts) or "0.0"

    def order(self) -> str:
        return "s.date_key DESC" if self.date_order else "score DESC, s.date_key DESC"

    # -- running ----------------------------------------------------------------------------------------

    def run(self) -> SearchResult:
        if not self.active and needs_confirmation(self.parsed):
            self.exact_phrases = False
            where = self.where()
            candidates, facets = self._counts(where)  # the unconfirmed path shows these facets
            if candidates > CONFIRM_ALL_LIMIT:
                return self._execute_unconfirmed(where, candidates, facets)
            confirmed = self._confirm_all(where)
            self.exact_phrases = True
            return self._execute(f"s.id = ANY(CAST({self.bind(confirmed)} AS integer[]))")
        return self._execute(self.where())

    def _count(self, where: str) -> int:
        return int(self.conn.execute(sa.text(f"SELECT count(*) FROM {TABLE} s WHERE {where}"), self.params).scalar())

    def _confirm_all(self, where: str) -> list[int]:
        check = TextCheck(self.parsed)
        rows = self.conn.execute(
            sa.text(f"SELECT s.id, s.title, s.number, s.issuer, s.summary, s.body AS text FROM {TABLE} s WHERE {where}"),
            self.params,
        ).mappings()
        return [row["id"] for row in rows if check(row)]

    def _page(self, where: str, limit: int, offset: int) -> list[dict[str, Any]]:
        if limit <= 0:
            return []
        sql = (f"SELECT s.id, s.title, s.number, s.issuer, s.summary, s.body AS text, s.year, s.type, s.issue_date, "
               f"{self.score()} AS score FROM {TABLE} s WHERE {where} ORDER BY {self.order()} "
               f"LIMIT {int(limit)} OFFSET {int(offset)}")
        return [dict(row) for row in self.conn.execute(sa.text(sql), self.params).mappings()]

    def _counts(self, where: str) -> tuple[int, dict[str, dict]]:
        """Total and the year/type facets of the matching set, in one pass."""
        facets: dict[str, dict] = {"year": {}, "type": {}}
        if self.active:
            return self._count(where), facets
        sql = (f"SELECT s.year, s.type, GROUPING(s.year), GROUPING(s.type), count(*) FROM {TABLE} s WHERE {where} "
               "GROUP BY GROUPING SETS ((), (s.year), (s.type))")
        total = 0
        for year, type_, g_year, g_type, n in self.conn.execute(sa.text(sql), self.params):
            if g_year and g_type:
                total = int(n)
            elif not g_year and year is not None:
                facets["year"][int(year)] = int(n)
            elif not g_type and type_ is not None:
                facets["type"][type_] = int(n)
        return total, {name: _sorted_counts(c) for name, c in facets.items()}

    def _hit(self, data: dict[str, Any], highlighter: Highlighter) -> SearchHit:
        data = dict(data)
        if data.get("issue_date") is not None:
            data["issue_date"] = data["issue_date"].isoformat()
        return make_hit(data, 0.0 if self.date_order else float(data.get("score") or 0.0), highlighter, self.active)

    def _result(self, hits: list[SearchHit], total: int, facets: dict, exact: bool = True) -> SearchResult:
        q = self.query
        return SearchResult(hits=hits, total=total, page=q.page, pages=SearchResult.page_count(total, q.per_page),
                            facets=facets, took_ms=0.0, total_exact=exact)

    def _execute(self, where: str) -> SearchResult:
        query = self.query
        total, facets = self._counts(where)
        if not total:
            return self._result([], 0, facets)
        rows = self._page(where, min(query.per_page, MAX_RESULT_WINDOW - query.offset), query.offset)
        highlighter = Highlighter(self.parsed)
        return self._result([self._hit(r, highlighter) for r in rows], total, facets)

    def _ranked(self, where: str, batch: int) -> Iterator[dict[str, Any]]:
        seen = 0
        while True:
            rows = self._page(where, batch, seen)
            yield from rows
            if len(rows) < batch:
                return
            seen += len(rows)
            batch *= 2

    def _execute_unconfirmed(self, where: str, candidates: int, facets: dict[str, dict]) -> SearchResult:
        """Rank the pair-matched candidates and confirm them in order until the page is full."""
        query = self.query
        check = TextCheck(self.parsed)
        window = query.window
        confirmed: list[dict[str, Any]] = []
        seen = false_seen = 0
        for row in self._ranked(where, window + 20):
            seen += 1
            if check(row):
                confirmed.append(row)
                if len(confirmed) >= window:
                    break
            else:
                false_seen += 1
        highlighter = Highlighter(self.parsed)
        hits = [self._hit(row, highlighter) for row in confirmed[query.offset:window]]
        if seen >= candidates:  # every candidate was checked: the count is exact
            counts: dict[str, dict] = {"year": {}, "type": {}}
            for row in confirmed:
                for name in ("year", "type"):
                    if row.get(name) is not None:
                        counts[name][row[name]] = counts[name].get(row[name], 0) + 1
            return self._result(hits, len(confirmed), {name: _sorted_counts(c) for name, c in counts.items()})
        return self._result(hits, candidates - false_seen, facets, exact=False)


def _sorted_counts(counts: dict) -> dict:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def engine_for(index_dir: Path | str | None, database: str | sa.Engine | None, lock_timeout: float) -> PostgresEngine:
    """`get_engine("postgres", …)`: the index is in `database`; `index_dir` is not used."""
    if database is None:
        raise ValueError("the postgres search engine needs database_url (the portal's PostgreSQL DATABASE_URL)")
    return PostgresEngine(database, lock_timeout=lock_timeout)
