"""The search seam: the types every engine takes and returns, and `get_engine`.

Nothing of Whoosh or tantivy leaks past this module's types. The service layer builds
`SearchDoc`s from the database, hands them to an `Engine`, and renders `SearchResult`s.
The index is derived data: when an engine raises `IndexCorrupt`, rebuild it from the DB.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

# The postgres engine's table belongs to the portal's schema whichever engine runs (migration 0012,
# create_all, Alembic's comparison): registering it here puts it on the models' metadata in every process.
import portal.search.index_table  # noqa: F401,E402

__all__ = [
    "ENGINES",
    "MAX_RESULT_WINDOW",
    "Engine",
    "IndexBusy",
    "IndexCorrupt",
    "SearchDoc",
    "SearchError",
    "SearchHit",
    "SearchQuery",
    "SearchResult",
    "get_engine",
]

ENGINES = ("whoosh", "tantivy", "postgres")

# Deep paging costs the same as collecting page * per_page hits; past this window a page is empty.
MAX_RESULT_WINDOW = 10_000


class SearchError(Exception):
    """Base class of the errors the search seam raises."""


class IndexBusy(SearchError):
    """Another writer (thread or process) held the index lock for longer than the timeout."""


class IndexCorrupt(SearchError):
    """The index on disk cannot be opened or read; rebuild it from the database."""


@dataclass(slots=True)
class SearchDoc:
    """One document as the index sees it (built by the service layer from a `Document` row)."""

    id: int
    title: str = ""
    number: str = ""
    issuer: str = ""
    summary: str | None = None
    text: str = ""
    year: int | None = None
    type: str | None = None
    report_kind: str | None = None
    bloc: str | None = None
    unit: str | None = None
    issue_date: date | None = None
    uploaded_at: datetime | None = None


SortOrder = Literal["relevance", "date"]
SearchMode = Literal["full", "active"]


@dataclass(slots=True)
class SearchQuery:
    """What the user asked for; `q` uses the syntax of `portal.search.query`.

    `mode="active"` is the search-as-you-type box: short fields only (title, number, issuer),
    the last word as a prefix, no facets, no full-text snippets.
    """

    q: str = ""
    year_from: int | None = None
    year_to: int | None = None
    type: str | None = None
    bloc: str | None = None
    unit: str | None = None
    page: int = 1
    per_page: int = 20
    sort: SortOrder = "relevance"
    mode: SearchMode = "full"

    def __post_init__(self) -> None:
        if self.sort not in ("relevance", "date"):
            raise ValueError(f"sort must be 'relevance' or 'date', not {self.sort!r}")
        if self.mode not in ("full", "active"):
            raise ValueError(f"mode must be 'full' or 'active', not {self.mode!r}")
        self.q = self.q or ""
        self.page = max(1, int(self.page))
        self.per_page = min(100, max(1, int(self.per_page)))

    @property
    def window(self) -> int:
        """How many ranked hits the page needs (page * per_page), capped at MAX_RESULT_WINDOW."""
        return min(self.page * self.per_page, MAX_RESULT_WINDOW)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(slots=True)
class SearchHit:
    """One row of a results page; the two `_html` fields are safe HTML (escaped, hits in <mark>)."""

    id: int
    score: float
    title_html: str
    snippet_html: str
    number: str
    year: int | None
    type: str | None
    issue_date: date | None = None


@dataclass(slots=True)
class SearchResult:
    """A page of hits, the total, and facet counts over the whole (filtered) result set.

    `facets` is `{"year": {2023: n, ...}, "type": {"KH": n, ...}}` (largest first), counted over
    the documents that match the query AND all filters, so the counts add up to `total` less the
    documents without a year/type. Active search has no facets (both dicts empty).

    `total_exact` is False only for a phrase of three or more words with very many candidates
    (`"phong trào thi đua yêu nước"` in an archive where it is everywhere): the engines then match
    it by its word pairs and confirm only the hits they show, so the page never holds a false
    match, but `total` and `facets` count the unconfirmed candidates (an upper bound).
    """

    hits: list[SearchHit]
    total: int
    page: int
    pages: int
    facets: dict[str, dict]
    took_ms: float
    total_exact: bool = True

    @staticmethod
    def page_count(total: int, per_page: int) -> int:
        return math.ceil(total / per_page) if total > 0 else 0


Progress = Callable[[int], None]


class Engine(abc.ABC):
    """A full-text index of `SearchDoc`s in one directory (the postgres engine: one table, see its module).

    Every method is safe to call from several processes on the same directory: writes are
    serialised by a lock (contention past the timeout raises `IndexBusy`; a rebuild holds the lock
    from start to swap, so updates wait or fail with `IndexBusy` and the outbox retries them),
    readers pick up other processes' commits and rebuilds on their next call and are never
    blocked by writers. Any call may raise `IndexCorrupt`; `rebuild()` always works.
    Keep one engine object per process (it holds the open searcher).
    """

    name: str = ""

    @abc.abstractmethod
    def add_or_update(self, docs: Iterable[SearchDoc]) -> int:
        """Index `docs`, replacing any document with the same id; return how many were written."""

    @abc.abstractmethod
    def remove(self, ids: Iterable[int]) -> None:
        """Remove documents by id (unknown ids are ignored)."""

    @abc.abstractmethod
    def search(self, query: SearchQuery) -> SearchResult:
        """Run `query` and return one page of results with total and facets."""

    @abc.abstractmethod
    def ids(self) -> set[int]:
        """Return the ids of every indexed document (for the integrity check)."""

    @abc.abstractmethod
    def doc_count(self) -> int:
        """Return how many documents the index holds."""

    def doc_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """How many indexed documents hold each folded term (for "more like this" term weights).

        This fallback asks one cheap search per term, so any engine gives it; engines with term
        statistics override it (counts may then include documents deleted since the last merge).
        """
        return {t: self.search(SearchQuery(q=t, per_page=1)).total for t in dict.fromkeys(terms)}

    @abc.abstractmethod
    def rebuild(self, docs: Iterable[SearchDoc], progress: Progress | None = None) -> int:
        """Build a fresh index from `docs` (streamed) and swap it in atomically; return the count."""

    @abc.abstractmethod
    def open(self) -> None:
        """Open (or create) the index now; raise `IndexCorrupt` when it cannot be read."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release files and searchers; the engine reopens on next use."""

    def compact(self) -> bool:
        """Merge what small updates left behind, when the engine does not do it itself; True when it did."""
        return False

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def get_engine(name: str, index_dir: str | Path, *, lock_timeout: float = 10.0, database_url=None) -> Engine:
    """Return the engine called `name` ("whoosh", "tantivy" or "postgres") for the index in `index_dir`.

    The index is opened lazily (first read or write, or `open()`), so an engine object can always
    be made, and `rebuild()` works even when the index is damaged. "postgres" keeps its index in a
    table of the database at `database_url` (a URL or a SQLAlchemy Engine; `index_dir` is unused).
    """
    index_dir = Path(index_dir)
    if name == "whoosh":
        from portal.search.whoosh_engine import WhooshEngine

        return WhooshEngine(index_dir, lock_timeout=lock_timeout)
    if name == "tantivy":
        from portal.search.tantivy_engine import TantivyEngine

        return TantivyEngine(index_dir, lock_timeout=lock_timeout)
    if name == "postgres":
        from portal.search.postgres_engine import engine_for

        return engine_for(index_dir, database_url, lock_timeout)
    raise ValueError(f"unknown search engine {name!r}; expected one of {', '.join(ENGINES)}")
