"""Searching while another process writes the index: never an exception, never a hit without its fields.

A second process (spawned, like a worker or a second waitress process) replaces, removes, re-adds
and now and then rebuilds documents in a loop, committing each time (Whoosh merges segments and
deletes the old segment files; a rebuild swaps generations). The test searches meanwhile.
"""
from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
import time
from datetime import date, datetime
from pathlib import Path

import pytest

from portal.search.engine import SearchDoc, SearchQuery, get_engine

ENGINES = ["whoosh", "tantivy"]
N_DOCS = 60
SEARCHES = 1500
QUERIES = ["thi đua", '"phong trào thi đua yêu nước"', "khen thưởng -cờ", "giao ước", "19/CT-UBND", ""]


def _doc(i: int, round_: int) -> SearchDoc:
    words = ["phong trào thi đua yêu nước", "khen thưởng", "giao ước thi đua", "cờ thi đua", "báo cáo"][(i + round_) % 5]
    return SearchDoc(
        id=i, title=f"Văn bản {i} về {words} (lượt {round_})", number=f"{i}/CT-UBND" if i % 7 else "19/CT-UBND",
        issuer="Ủy ban nhân dân tỉnh", summary=None,
        text=f"Nội dung {words} lần {round_}. " + " ".join(f"từ{(i * 31 + k + round_) % 97}" for k in range(200)),
        year=2020 + i % 6, type=["CT", "KH", "BC", "QĐ"][i % 4], bloc=f"K{i % 3}", unit=f"U{i % 5}",
        issue_date=date(2020 + i % 6, 1 + i % 12, 1 + i % 28), uploaded_at=datetime(2025, 1, 1, 8, 0),
    )


def _writer_loop(engine_name: str, index_dir: str, started, stop) -> None:
    """Commit small changes as fast as possible until told to stop (runs in a second process)."""
    engine = get_engine(engine_name, index_dir, lock_timeout=60)
    round_ = 0
    started.set()
    while not stop.is_set():
        round_ += 1
        first = (round_ * 7) % N_DOCS
        engine.add_or_update([_doc(1 + (first + k) % N_DOCS, round_) for k in range(5)])
        gone = [1 + (first + 11 + k) % N_DOCS for k in range(3)]
        engine.remove(gone)
        engine.add_or_update([_doc(i, round_) for i in gone])
        if round_ % 15 == 0:
            # A new generation: the old one's files disappear after the grace period.
            engine.rebuild(_doc(i, round_) for i in range(1, N_DOCS + 1))
            engine.store.collect_garbage(grace=0)
    engine.close()


@pytest.mark.parametrize("engine_name", ENGINES)
def test_search_while_another_process_writes(engine_name, tmp_path):
    index_dir = tmp_path / "index"
    engine = get_engine(engine_name, index_dir)
    engine.rebuild(_doc(i, 0) for i in range(1, N_DOCS + 1))
    ctx = multiprocessing.get_context("spawn")
    started, stop = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_writer_loop, args=(engine_name, str(index_dir), started, stop))
    child.start()
    try:
        assert started.wait(60), "the writer process did not start"
        deadline = time.monotonic() + 20
        done = 0
        while done < SEARCHES and time.monotonic() < deadline:
            q = QUERIES[done % len(QUERIES)]
            result = engine.search(SearchQuery(q=q, page=1 + done % 2, per_page=10,
                                               sort="date" if done % 3 == 0 else "relevance"))
            for hit in result.hits:
                assert 1 <= hit.id <= N_DOCS and hit.title_html, hit
            done += 1
        assert child.is_alive(), "the writer process died"
        assert done >= 50, f"only {done} searches in the time allowed"
    finally:
        stop.set()
        child.join(60)
        engine.close()
    assert child.exitcode == 0


def test_whoosh_view_outlived_by_a_merge_in_another_process(tmp_path):
    """The production failure, made certain: a view opened before another process merged every segment away."""
    index_dir = tmp_path / "index"
    engine = get_engine("whoosh", index_dir)
    engine.rebuild(_doc(i, 0) for i in range(1, N_DOCS + 1))
    for round_ in range(1, 4):
        engine.add_or_update([_doc(i, round_) for i in range(1, 6)])
    engine.open()
    # A search that reads no stored field or column leaves a spare view in the pool, opened before the merge.
    assert engine.search(SearchQuery(q="khôngcótừnày")).total == 0
    # The view was found up to date just before the other process committed (the race's unlucky order).
    engine._refreshed = lambda handle: handle
    generation = index_dir / engine.store.current()
    merge = (
        "import sys; from whoosh import index; from portal.search.whoosh_engine import _writer; "
        "ix = index.open_dir(sys.argv[1]); _writer(ix, 64).commit(optimize=True)"
    )
    subprocess.run([sys.executable, "-c", merge, str(generation)], check=True, timeout=120, cwd=Path(__file__).resolve().parent.parent)
    try:
        phrase = engine.search(SearchQuery(q='"phong trào thi đua yêu nước"'))  # reads stored fields
        assert phrase.total and all(h.title_html for h in phrase.hits)
        dated = engine.search(SearchQuery(q="thi đua", sort="date"))  # reads the date column
        assert dated.total and dated.hits
    finally:
        engine.close()


def test_whoosh_searches_in_threads_do_not_queue_behind_each_other(tmp_path, monkeypatch):
    """A slow search in one thread (held here until the other finishes) must not hold up another thread's search."""
    import portal.search.whoosh_engine as whoosh_engine

    engine = get_engine("whoosh", tmp_path / "index")
    engine.rebuild(_doc(i, 0) for i in range(1, N_DOCS + 1))
    expected = engine.search(SearchQuery(q="giao ước")).total
    original, release = whoosh_engine._Search.run, threading.Event()

    def run(search):
        if search.query.q == "khen thưởng":
            assert release.wait(20), "the slow search was never released"
        return original(search)

    monkeypatch.setattr(whoosh_engine._Search, "run", run)
    slow_result, quick_result = [], []
    slow = threading.Thread(target=lambda: slow_result.append(engine.search(SearchQuery(q="khen thưởng"))))
    slow.start()
    time.sleep(0.2)  # the slow search holds its view now
    quick = threading.Thread(target=lambda: quick_result.append(engine.search(SearchQuery(q="giao ước"))))
    quick.start()
    quick.join(10)
    finished_while_slow_ran = not quick.is_alive() and slow.is_alive()
    release.set()
    slow.join(20)
    quick.join(20)
    engine.close()
    assert finished_while_slow_ran, "the second search waited for the first one"
    assert quick_result[0].total == expected and slow_result[0].total > 0


def test_whoosh_threads_search_while_another_process_writes(tmp_path):
    """Several threads of one process search (each on its own pooled view) while another process commits."""
    index_dir = tmp_path / "index"
    engine = get_engine("whoosh", index_dir)
    engine.rebuild(_doc(i, 0) for i in range(1, N_DOCS + 1))
    ctx = multiprocessing.get_context("spawn")
    started, stop = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_writer_loop, args=("whoosh", str(index_dir), started, stop))
    child.start()
    failures: list[BaseException] = []
    counts = [0] * 4

    def searcher(k: int) -> None:
        deadline = time.monotonic() + 8
        try:
            while time.monotonic() < deadline:
                q = QUERIES[(counts[k] + k) % len(QUERIES)]
                result = engine.search(SearchQuery(q=q, per_page=10, sort="date" if counts[k] % 2 else "relevance"))
                for hit in result.hits:
                    assert 1 <= hit.id <= N_DOCS and hit.title_html, hit
                counts[k] += 1
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    try:
        assert started.wait(60), "the writer process did not start"
        threads = [threading.Thread(target=searcher, args=(k,)) for k in range(len(counts))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert child.is_alive(), "the writer process died"
    finally:
        stop.set()
        child.join(60)
        engine.close()
    assert not failures, failures[:3]
    assert all(c >= 10 for c in counts), counts
    assert engine._spare_count == 0 and not engine._spares  # closing returned every pooled view
    assert child.exitcode == 0
