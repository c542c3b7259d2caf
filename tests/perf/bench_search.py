"""Search benchmark: build rate, index size and query latency of both engines.

Run by hand (prints a table; the full sizes take many minutes with Whoosh)::

    BENCH_SIZES=20000,100000 .venv/bin/python -m tests.perf.bench_search

or as a test (CI size by default, 2000 documents)::

    .venv/bin/python -m pytest tests/perf/bench_search.py -m perf -s

Environment: `BENCH_SIZES` (comma-separated, default "2000"), `BENCH_ENGINES` (default
"whoosh,tantivy"; add "postgres" for the PostgreSQL engine), `BENCH_REPEAT` (timed runs per query,
default 5), `BENCH_DIR` (where indexes are built; default a temporary directory, removed afterwards),
`BENCH_DATABASE_URL` (the postgres engine's database; default a database of the test run's throwaway
cluster, tests/pg.py, dropped afterwards).

For each size and engine it prints the build rate (docs/s) and index size (MB), then p50/p95 of
the results page (top 20 + total + facets + snippets) and of active search, per query and over
all queries, and the ratio of each to a bare tantivy run of the same queries in the same process
(tantivy-py with its default tokenizer, the query parser, no facets, no snippets). The test
asserts correctness only (totals are non-negative, pages are consistent), never a timing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from portal.search.engine import SearchQuery, SearchResult, get_engine
from tests.perf.stats import percentile

try:
    from tests.perf.corpus import generate
except ImportError:  # pragma: no cover - pytest's rootdir import put tests/perf itself on sys.path
    from corpus import generate  # type: ignore[no-redef]

# (label, SearchQuery kwargs): results page queries.
PAGE_QUERIES: list[tuple[str, dict]] = [
    ("plain: thi đua", {"q": "thi đua"}),
    ("plain: khen thưởng", {"q": "khen thưởng"}),
    ("plain 3 words", {"q": "báo cáo tổng kết"}),
    ("plain 4 words", {"q": "sơ kết 6 tháng khối"}),
    ("no accents: co thi dua", {"q": "co thi dua"}),
    ("no accents: khoi thi dua", {"q": "khoi thi dua"}),
    ("no accents: dang bo", {"q": "dang bo"}),
    ("accents: Đảng bộ", {"q": "Đảng bộ"}),
    ("phrase: phong trào thi đua yêu nước", {"q": '"phong trào thi đua yêu nước"'}),
    ("phrase: Ủy ban nhân dân tỉnh", {"q": '"Ủy ban nhân dân tỉnh"'}),
    ("phrase: thi đua khen thưởng", {"q": '"thi đua, khen thưởng"'}),
    ("phrase: chiến sĩ thi đua cơ sở", {"q": '"chiến sĩ thi đua cơ sở"'}),
    ("number: 19/CT-UBND", {"q": "19/CT-UBND"}),
    ("number prefix: 123/KH", {"q": "123/KH"}),
    ("number: 98/2023/NĐ-CP", {"q": "98/2023/NĐ-CP"}),
    ("number spaced: 45 QĐ UBND", {"q": "45 QĐ UBND"}),
    ("filter year: giao ước 2023", {"q": "giao ước", "year_from": 2023, "year_to": 2023}),
    ("filter type: kế hoạch KH", {"q": "kế hoạch", "type": "KH"}),
    ("filter bloc+years", {"q": "thi đua", "bloc": "K03", "year_from": 2020, "year_to": 2022}),
    ("NOT: khen thưởng -bằng", {"q": "khen thưởng -bằng"}),
    ("OR: chỉ thị OR nghị quyết", {"q": "chỉ thị OR nghị quyết"}),
    ("rare phrase: thắp sáng đường quê", {"q": '"thắp sáng đường quê"'}),
    ("place: Phong Điền", {"q": "Phong Điền"}),
    ("browse: type BC by date", {"q": "", "type": "BC", "sort": "date"}),
    ("date sort: tập thể lao động", {"q": "tập thể lao động xuất sắc", "sort": "date"}),
    ("page 5: thi đua", {"q": "thi đua", "page": 5}),
]
ACTIVE_QUERIES: list[str] = [
    "ke hoach to",
    "quyet din",
    "bao cao so",
    "chi thi",
    "19/CT",
    "giao uoc thi",
    "thong bao k",
    "huong da",
    "Kế hoạch tổ chức",
    "khen",
    "co thi dua cua",
    "bien ban hop",
]


def _sizes() -> list[int]:
    return [int(s) for s in os.environ.get("BENCH_SIZES", "2000").split(",") if s.strip()]


def _engines() -> list[str]:
    return [e.strip() for e in os.environ.get("BENCH_ENGINES", "whoosh,tantivy").split(",") if e.strip()]


def _dir_mb(path: Path) -> float:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total / 1e6


@dataclass
class Timing:
    per_query: dict[str, list[float]] = field(default_factory=dict)

    def add(self, label: str, ms: float) -> None:
        self.per_query.setdefault(label, []).append(ms)

    def all(self) -> list[float]:
        return [v for vs in self.per_query.values() for v in vs]

    def p(self, q: float, label: str | None = None) -> float:
        return percentile(self.per_query[label] if label else self.all(), q * 100)


def _time(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()  # warm: first run loads postings/columns into caches
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


class _Databases:
    """The postgres engine's database: BENCH_DATABASE_URL, or one of the throwaway test cluster (made on first use)."""

    def __init__(self) -> None:
        self.url = os.environ.get("BENCH_DATABASE_URL") or None
        self.made: str | None = None

    def get(self) -> str:
        if self.url is None:
            from tests import pg

            self.url = self.made = pg.fresh_database_url()
            if self.url is None:
                raise RuntimeError("BENCH_ENGINES has postgres but no PostgreSQL is installed (or set BENCH_DATABASE_URL)")
        return self.url

    def drop(self) -> None:
        if self.made:
            from tests import pg

            pg.drop_database(self.made)


def _index_mb(engine) -> float:
    if engine.name == "postgres":
        import sqlalchemy as sa

        with engine.db.connect() as conn:
            return conn.execute(sa.text("SELECT pg_total_relation_size('search_index')")).scalar() / 1e6
    return _dir_mb(engine.store.path(engine.store.current()))


def _reusable(engine, n: int) -> bool:
    """Whether a previous run left a usable index of `n` documents (BENCH_REUSE=1)."""
    try:
        return engine.doc_count() == n
    except Exception:  # noqa: BLE001 - any failure means: build it again
        return False


def _generation_rate(n: int) -> float:
    """Documents per second of the corpus generator alone (part of every build timing)."""
    sample = min(n, 2000)
    t0 = time.perf_counter()
    for _ in generate(sample):
        pass
    return sample / (time.perf_counter() - t0)


class BareTantivy:
    """tantivy-py as it comes: default tokenizer, parse_query, top 20 + count, no snippets."""

    def __init__(self, path: Path, n: int) -> None:
        import tantivy

        self.tantivy = tantivy
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("title", stored=True)
        sb.add_text_field("body", stored=False)
        sb.add_integer_field("year", indexed=True, fast=True)
        sb.add_text_field("type", tokenizer_name="raw")
        self.schema = sb.build()
        path.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(path))
        writer = self.index.writer(heap_size=200_000_000)
        for d in generate(n):
            writer.add_document(
                tantivy.Document(title=d.title, body=f"{d.number} {d.issuer} {d.text}", year=d.year, type=d.type)
            )
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()

    def search(self, q: str) -> int:
        searcher = self.index.searcher()
        query = self.index.parse_query_lenient(
            q or "*", ["title", "body"], conjunction_by_default=True
        )[0] if q else self.tantivy.Query.all_query()
        res = searcher.search(query, limit=20, count=True)
        for _score, addr in res.hits:
            searcher.doc(addr)
        return res.count


def run(sizes: list[int] | None = None, engines: list[str] | None = None, repeat: int | None = None,
        out: Callable[[str], None] = print) -> dict:
    """Run the benchmark and return the figures; `out` receives the printed lines."""
    sizes = sizes or _sizes()
    engines = engines or _engines()
    repeat = repeat or int(os.environ.get("BENCH_REPEAT", "5"))
    base = os.environ.get("BENCH_DIR")
    workdir = Path(base) if base else Path(tempfile.mkdtemp(prefix="bench-search-"))
    figures: dict = {}
    databases = _Databases()
    try:
        for n in sizes:
            out(f"\n=== {n} documents (repeat {repeat}) ===")
            gen_rate = _generation_rate(n)
            out(f"corpus generator: {gen_rate:,.0f} docs/s; load average {os.getloadavg()[0]:.1f}"
                f" on {os.cpu_count()} CPUs")
            shutil.rmtree(workdir / f"bare-{n}", ignore_errors=True)
            bare = BareTantivy(workdir / f"bare-{n}", n)
            bare_page = Timing()
            bare_active = Timing()
            for label, kw in PAGE_QUERIES:
                for ms in _time(lambda kw=kw: bare.search(kw.get("q", "")), repeat):
                    bare_page.add(label, ms)
            for q in ACTIVE_QUERIES:
                for ms in _time(lambda q=q: bare.search(q), repeat):
                    bare_active.add(q, ms)
            out(f"bare tantivy: page p50 {bare_page.p(0.5):.2f} ms p95 {bare_page.p(0.95):.2f} ms;"
                f" active p50 {bare_active.p(0.5):.2f} ms p95 {bare_active.p(0.95):.2f} ms")
            for name in engines:
                index_dir = workdir / f"{name}-{n}"
                database = databases.get() if name == "postgres" else None
                engine = get_engine(name, index_dir, lock_timeout=60, database_url=database)
                reuse = os.environ.get("BENCH_REUSE") == "1" and _reusable(engine, n)
                if reuse:
                    build_s = float("nan")
                else:
                    engine.close()
                    shutil.rmtree(index_dir, ignore_errors=True)
                    engine = get_engine(name, index_dir, lock_timeout=60, database_url=database)
                    t0 = time.perf_counter()
                    count = engine.rebuild(generate(n))
                    build_s = time.perf_counter() - t0
                    assert count == n
                assert engine.doc_count() == n
                size_mb = _index_mb(engine)
                # One searcher per process: reopen cost is paid once, outside the timings.
                engine.search(SearchQuery(q="thi đua"))
                page = Timing()
                active = Timing()
                totals: dict[str, tuple[int, bool]] = {}
                for label, kw in PAGE_QUERIES:
                    result = engine.search(SearchQuery(**kw))
                    assert result.total >= 0
                    assert result.pages == SearchResult.page_count(result.total, 20)
                    assert len(result.hits) <= 20
                    totals[label] = (result.total, result.total_exact)
                    for ms in _time(lambda kw=kw: engine.search(SearchQuery(**kw)), repeat):
                        page.add(label, ms)
                for q in ACTIVE_QUERIES:
                    result = engine.search(SearchQuery(q=q, mode="active", per_page=10))
                    assert result.total >= 0
                    for ms in _time(lambda q=q: engine.search(SearchQuery(q=q, mode="active", per_page=10)), repeat):
                        active.add(q, ms)
                engine.close()
                figures[(name, n)] = {
                    "build_docs_per_s": n / build_s,
                    "build_s": build_s,
                    "index_mb": size_mb,
                    "page_p50": page.p(0.5),
                    "page_p95": page.p(0.95),
                    "active_p50": active.p(0.5),
                    "active_p95": active.p(0.95),
                    "bare_page_p50": bare_page.p(0.5),
                    "bare_page_p95": bare_page.p(0.95),
                    "totals": totals,
                }
                gen_s = n / gen_rate
                out(f"\n--- {name}, {n} docs: build {build_s:.1f} s = {n / build_s:,.0f} docs/s"
                    f" ({n / max(build_s - gen_s, 1e-9):,.0f} docs/s without the {gen_s:.1f} s of corpus"
                    f" generation), index {size_mb:.1f} MB")
                out(f"{'query':40} {'total':>7} {'p50 ms':>8} {'p95 ms':>8} {'×bare p50':>9}")
                for label, _kw in PAGE_QUERIES:
                    ratio = page.p(0.5, label) / max(bare_page.p(0.5, label), 1e-6)
                    total, exact = totals[label]
                    shown = f"{total}" if exact else f"≤{total}"
                    out(f"{label[:40]:40} {shown:>7} {page.p(0.5, label):>8.2f}"
                        f" {page.p(0.95, label):>8.2f} {ratio:>9.1f}")
                out(f"{'RESULTS PAGE (all queries)':40} {'':>7} {page.p(0.5):>8.2f} {page.p(0.95):>8.2f}"
                    f"   ×bare p50 {page.p(0.5) / max(bare_page.p(0.5), 1e-6):.1f},"
                    f" p95 {page.p(0.95) / max(bare_page.p(0.95), 1e-6):.1f}")
                for q in ACTIVE_QUERIES:
                    out(f"{'active: ' + q:40} {'':>7} {active.p(0.5, q):>8.2f} {active.p(0.95, q):>8.2f}")
                out(f"{'ACTIVE SEARCH (all queries)':40} {'':>7} {active.p(0.5):>8.2f} {active.p(0.95):>8.2f}"
                    f"   ×bare p50 {active.p(0.5) / max(bare_active.p(0.5), 1e-6):.1f},"
                    f" p95 {active.p(0.95) / max(bare_active.p(0.95), 1e-6):.1f}")
                if not base:
                    shutil.rmtree(index_dir, ignore_errors=True)
        out("\nsummary: engine, docs, build docs/s, index MB, page p50/p95 ms, active p50/p95 ms")
        for (name, n), f in figures.items():
            out(f"  {name:8} {n:>7} {f['build_docs_per_s']:>8,.0f} {f['index_mb']:>8.1f}"
                f" {f['page_p50']:>8.2f}/{f['page_p95']:<8.2f} {f['active_p50']:>7.2f}/{f['active_p95']:.2f}")
    finally:
        databases.drop()
        if not base:
            shutil.rmtree(workdir, ignore_errors=True)
    return figures


@pytest.mark.perf
def test_bench_search(capsys: pytest.CaptureFixture[str]) -> None:
    """Print the benchmark at BENCH_SIZES (default 2000); assert only that results are sane."""
    with capsys.disabled():
        figures = run(repeat=int(os.environ.get("BENCH_REPEAT", "3")))
    for (name, n), f in figures.items():
        assert f["totals"]["plain: thi đua"][0] > 0, name
        assert all(total >= 0 for total, _exact in f["totals"].values())
    engines = _engines()
    for other in ("tantivy", "postgres"):
        if not {"whoosh", other} <= set(engines):
            continue
        for n in _sizes():
            w, t = figures[("whoosh", n)]["totals"], figures[(other, n)]["totals"]
            for label in w:
                # Exact totals agree; an upper bound (a long phrase of common words whose
                # candidates were not all confirmed) is never below the exact count.
                (wt, w_exact), (tt, t_exact) = w[label], t[label]
                if w_exact and t_exact:
                    assert wt == tt, (label, wt, tt)
                elif w_exact or t_exact:
                    assert (tt if w_exact else wt) >= (wt if w_exact else tt), (label, wt, tt)


if __name__ == "__main__":
    run()
