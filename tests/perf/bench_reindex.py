"""Reindex benchmark: `flask reindex` (database → fresh index → swap) for each engine.

Run by hand (prints the figures)::

    BENCH_REINDEX_DOCS=100000 BENCH_ENGINES=tantivy .venv/bin/python -m tests.perf.bench_reindex
    BENCH_REINDEX_DOCS=20000 BENCH_ENGINES=whoosh .venv/bin/python -m tests.perf.bench_reindex

or as a test (CI size by default, 500 documents)::

    .venv/bin/python -m pytest tests/perf/bench_reindex.py -m perf

Environment: `BENCH_REINDEX_DOCS` (documents, default 500), `BENCH_ENGINES` (default
"tantivy,whoosh"; with "postgres" the app's database is PostgreSQL for every engine of the run:
`BENCH_DATABASE_URL`, or a database of the test run's throwaway cluster, tests/pg.py, dropped
afterwards), `BENCH_DIR` (where the app, database and indexes live; default a temporary
directory, removed afterwards).

It loads N documents of the synthetic archive (`tests.perf.corpus`, 1–6 KB of Vietnamese text
each, one in ten with a note) into the database of an app made by `tests.conftest.make_app`, then
runs the real `reindex` command once per engine and prints documents per second, wall time and
the process's peak resident memory during the rebuild (sampled from /proc every 20 ms) and its
growth over the start. The baseline, measured in the same process on the same texts, is bare
tokenising: `TOKEN_RE.findall` over every field of every document (what any indexer of this
archive must at least do, in Python); the ratio says how many times that the reindex takes. The
test asserts correctness only: every live document is indexed once, a phrase and a number are
found, a trashed document is not.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

try:
    from tests.perf.corpus import BLOCS, UNITS, generate
except ImportError:  # pragma: no cover - pytest's rootdir import put tests/perf itself on sys.path
    from corpus import BLOCS, UNITS, generate  # type: ignore[no-redef]

INSERT_BATCH = 2000


def _rss_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return float("nan")


class PeakRss:
    """Sample this process's resident memory while the block runs; `peak` and `start` in MB."""

    def __init__(self, every: float = 0.02) -> None:
        self.every = every
        self.start = self.peak = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, _rss_mb())

    def __enter__(self) -> PeakRss:
        self.start = self.peak = _rss_mb()
        self._thread = threading.Thread(target=self._run, name="peak-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak = max(self.peak, _rss_mb())


def load_archive(app, n: int) -> int:
    """Insert n corpus documents (and a note on one in ten) straight into the database; return the trashed id."""
    import sqlalchemy as sa

    from portal.documents.models import Document, DocumentNote
    from portal.extensions import db
    from portal.org.models import Bloc, Unit

    rng = random.Random(7)
    with app.app_context():
        db.session.execute(sa.insert(Bloc), [{"code": code, "name": f"Khối {code}"} for code in BLOCS])
        db.session.execute(sa.insert(Unit), [{"code": code, "name": f"Đơn vị {code}"} for code in UNITS])
        bloc_ids = dict(db.session.execute(sa.select(Bloc.code, Bloc.id)).all())
        unit_ids = dict(db.session.execute(sa.select(Unit.code, Unit.id)).all())
        now = datetime.now(timezone.utc)
        rows: list[dict] = []
        notes: list[dict] = []

        def flush() -> None:
            if rows:
                db.session.execute(sa.insert(Document), rows)
            if notes:
                db.session.execute(sa.insert(DocumentNote), notes)
            db.session.commit()
            rows.clear()
            notes.clear()

        for d in generate(n):
            rows.append({
                "id": d.id, "type": d.type, "report_kind": d.report_kind, "number": d.number,
                "number_key": d.number.lower(), "issue_date": d.issue_date, "year": d.year, "issuer": d.issuer,
                "title": d.title, "bloc_id": bloc_ids[d.bloc] if d.bloc else None,
                "unit_id": unit_ids[d.unit] if d.unit else None, "text": d.text, "page_count": 1,
                "text_source": "text", "text_quality": "good", "ocr_status": "none", "metadata_confirmed": True,
                "sha256": f"{d.id:064x}", "size": len(d.text), "original_name": f"vb-{d.id}.pdf",
                "uploaded_at": d.uploaded_at.replace(tzinfo=timezone.utc), "updated_at": now, "version": 1,
                "signer": "", "signer_title": "",
            })
            if rng.random() < 0.1:
                notes.append({"document_id": d.id, "text": f"Đã trình lãnh đạo, ghi chú số {d.id}",
                              "author_username": "admin", "created_at": now})
            if len(rows) >= INSERT_BATCH:
                flush()
        flush()
        trashed = 1
        db.session.execute(sa.update(Document).where(Document.id == trashed).values(deleted_at=now))
        db.session.commit()
    return trashed


def baseline_seconds(n: int) -> float:
    """Bare tokenising of the same texts: TOKEN_RE.findall over every field (documents made beforehand)."""
    from portal.search.analysis import TOKEN_RE

    docs = list(generate(n))
    findall = TOKEN_RE.findall
    start = time.perf_counter()
    for d in docs:
        for value in (d.title, d.number, d.issuer, d.summary, d.text):
            if value:
                findall(value)
    return time.perf_counter() - start


def reindex(app, engine: str) -> dict:
    """Run the real `reindex` command for `engine`; return its figures and what the test checks."""
    from portal.search import services
    from portal.search.engine import SearchQuery

    app.config["PORTAL_SEARCH_ENGINE"] = engine
    runner = app.test_cli_runner()
    with PeakRss() as rss:
        start = time.perf_counter()
        result = runner.invoke(args=["reindex"])
        wall = time.perf_counter() - start
    assert result.exit_code == 0, result.output
    with app.app_context():
        eng = services.engine()
        checks = {
            "count": eng.doc_count(),
            "ids": eng.ids(),
            "phrase": eng.search(SearchQuery(q='"phong trào thi đua yêu nước"', per_page=1)).total,
            "number": [h.id for h in eng.search(SearchQuery(q=_number_of(2))).hits],
        }
        eng.close()
    return {"wall": wall, "rss_peak": rss.peak, "rss_growth": rss.peak - rss.start, **checks}


def _number_of(doc_id: int) -> str:
    for d in generate(doc_id):
        number = d.number
    return number


def _engines() -> list[str]:
    return [e.strip() for e in os.environ.get("BENCH_ENGINES", "tantivy,whoosh").split(",") if e.strip()]


def bench(workdir: Path, n: int, engines: list[str], out=print) -> dict:
    from tests.conftest import make_app

    t0 = time.perf_counter()
    made_url = None
    overrides = {}
    if "postgres" in engines:  # its index lives in the app's database: PostgreSQL for the whole run
        from tests import pg

        url = os.environ.get("BENCH_DATABASE_URL") or None
        if url is None:
            url = made_url = pg.fresh_database_url()
            assert url, "BENCH_ENGINES has postgres but no PostgreSQL is installed (or set BENCH_DATABASE_URL)"
        overrides["DATABASE_URL"] = url
    app = make_app(workdir / "app", **overrides)
    trashed = load_archive(app, n)
    out(f"reindex benchmark: {n} documents loaded in {time.perf_counter() - t0:.1f} s into {app.config['DATABASE_URL'].split(':')[0]}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    base = baseline_seconds(n)
    out(f"  baseline (bare tokenising, TOKEN_RE.findall over every field): {base:.2f} s = {n / base:,.0f} docs/s")
    figures: dict = {"baseline": base, "trashed": trashed, "n": n}
    out(f"  {'engine':<9}{'docs/s':>9}{'wall s':>9}{'×baseline':>11}{'peak RSS MB':>13}{'growth MB':>11}")
    for engine in engines:
        f = reindex(app, engine)
        figures[engine] = f
        out(f"  {engine:<9}{(n - 1) / f['wall']:>9,.0f}{f['wall']:>9.1f}{f['wall'] / base:>11.1f}"
            f"{f['rss_peak']:>13.0f}{f['rss_growth']:>11.0f}")
    from portal.extensions import db
    from portal.search.services import close_engines

    close_engines()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if made_url:
        from tests import pg

        pg.drop_database(made_url)
    return figures


def _size() -> int:
    return int(os.environ.get("BENCH_REINDEX_DOCS", "500"))


@pytest.mark.perf
def test_bench_reindex(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    n = _size()
    workdir = Path(os.environ["BENCH_DIR"]) if os.environ.get("BENCH_DIR") else tmp_path
    with capsys.disabled():
        print()
        figures = bench(workdir, n, _engines())
    for engine in _engines():
        f = figures[engine]
        assert f["count"] == n - 1, engine
        assert f["ids"] == set(range(1, n + 1)) - {figures["trashed"]}, engine
        assert f["phrase"] > 0 and 2 in f["number"], engine


def main() -> None:
    if os.environ.get("BENCH_DIR"):
        bench(Path(os.environ["BENCH_DIR"]), _size(), _engines())
        return
    workdir = Path(tempfile.mkdtemp(prefix="bench-reindex-"))
    try:
        bench(workdir, _size(), _engines())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
