"""Behaviour of the search engines behind the seam; every test runs on Whoosh, tantivy and PostgreSQL.

The postgres engine gets a fresh database per test (skipped without PostgreSQL, failed when
PORTAL_TEST_REQUIRE_POSTGRES=1); tests about index folders (generations, files) run on the two folder
engines, and their postgres counterparts are at the end.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import unicodedata
from datetime import date, datetime
from pathlib import Path

import pytest

from portal.search.engine import (
    IndexBusy,
    IndexCorrupt,
    SearchDoc,
    SearchQuery,
    SearchResult,
    get_engine,
)
from tests import pg
from tests.conftest import postgres_url_or_skip

ENGINES = ["whoosh", "tantivy", "postgres"]
FOLDER_ENGINES = ["whoosh", "tantivy"]
folder_engines_only = pytest.mark.parametrize("engine_name", FOLDER_ENGINES)


def _doc(id, title, number, issuer, text, year, type, bloc=None, unit=None, summary=None, issued=None):
    return SearchDoc(
        id=id,
        title=title,
        number=number,
        issuer=issuer,
        summary=summary,
        text=text,
        year=year,
        type=type,
        bloc=bloc,
        unit=unit,
        issue_date=issued or date(year, 3, id % 28 + 1),
        uploaded_at=datetime(year, 3, id % 28 + 1, 9, 30),
    )


CORPUS = [
    _doc(1, "Kế hoạch tổ chức hoạt động các Khối thi đua năm 2023", "12/KH-UBND", "Ủy ban nhân dân tỉnh",
         "Căn cứ Chỉ thị số 19/CT-UBND của Ủy ban nhân dân tỉnh về phát động phong trào thi đua yêu nước "
         "năm 2023. Các Khối thi đua tổ chức ký kết giao ước thi đua ngay từ đầu năm.",
         2023, "KH", "K1", "U01", summary="Kế hoạch hoạt động của các Khối thi đua"),
    _doc(2, "Chỉ thị về phát động phong trào thi đua", "19/CT-UBND", "Ủy ban nhân dân tỉnh",
         "Phát động sâu rộng phong trào thi đua yêu nước trong toàn tỉnh, gắn với nhiệm vụ chính trị.",
         2022, "CT", "K1"),
    _doc(3, "Báo cáo sơ kết 6 tháng Khối 3", "15/BC-K3", "Trưởng Khối thi đua số 3",
         "Tinh thần yêu nước được phát huy trong thi đua. Phong trào thi đua sôi nổi; cuộc đua yêu cầu bền "
         "bỉ; tinh thần yêu nước lan tỏa. Đơn vị đề nghị tặng Cờ thi đua của Ủy ban nhân dân tỉnh.",
         2023, "BC", "K3", "U02"),
    _doc(4, "Quyết định về việc tặng Cờ thi đua của Ủy ban nhân dân tỉnh năm 2024", "45/QĐ-UBND",
         "Ủy ban nhân dân tỉnh",
         "Tặng Cờ thi đua của Ủy ban nhân dân tỉnh cho các tập thể dẫn đầu phong trào thi đua năm 2024.",
         2024, "QĐ", "K2", "U03"),
    _doc(5, "Nghị định quy định chi tiết thi hành Luật Thi đua, Khen thưởng", "98/2023/NĐ-CP", "Chính phủ",
         "Nghị định này quy định chi tiết một số điều của Luật Thi đua, Khen thưởng năm 2022.",
         2023, "NĐ"),
    _doc(6, "Chỉ thị về tiếp tục đổi mới công tác thi đua, khen thưởng", "34-CT/TW",
         "Ban Chấp hành Trung ương Đảng",
         "Các cấp ủy Đảng lãnh đạo công tác thi đua, khen thưởng, phát hiện điển hình tiên tiến.",
         2021, "CT"),
    _doc(7, "Giao ước thi đua năm 2025 Khối thi đua các huyện", "01/GU-KTĐ", "Trưởng Khối thi đua số 2",
         "Các đơn vị ký kết giao ước thi đua, thực hiện thắng lợi nhiệm vụ năm 2025.",
         2025, "GU", "K2", "U04"),
    _doc(8, unicodedata.normalize("NFD", "Báo cáo tổng kết công tác thi đua năm 2021 của Đảng bộ Khối cơ quan tỉnh"),
         "88/BC-ĐU", "Đảng ủy Khối cơ quan tỉnh",
         unicodedata.normalize("NFD", "Đảng bộ Khối lãnh đạo các tổ chức đảng thực hiện tốt công tác thi đua."),
         2021, "BC", "K3", "U02"),
    _doc(9, "Dang ky danh hieu thi dua nam 2022", "07/TB-SNV", "So Noi vu",
         "Cac don vi dang ky danh hieu thi dua truoc ngay 15 thang 3.", 2022, "TB", "K1", "U01"),
    _doc(10, "Kế hoạch kiểm tra việc thực hiện giao ước thi đua năm 2024", "19/KH-UBND", "Ủy ban nhân dân tỉnh",
         "Kiểm tra việc thực hiện giao ước thi đua tại các đơn vị trong tháng 7.", 2024, "KH", "K2", "U03"),
    _doc(11, "Chỉ thị về lãnh đạo công tác thi đua trong tình hình mới", "19/CT-TU", "Tỉnh ủy",
         "Ban Thường vụ Tỉnh ủy yêu cầu các cấp ủy lãnh đạo chặt chẽ công tác thi đua.", 2024, "CT"),
    _doc(12, "Báo cáo thành tích đề nghị tặng Bằng khen", "22/BC-UBND", "Ủy ban nhân dân huyện",
         'Thành tích nổi bật <script>alert("x")</script> & <b>đậm</b> của tập thể năm 2025.',
         2025, "BC", "K1"),
    _doc(13, "Quyết định công nhận danh hiệu Tập thể lao động xuất sắc", "120/QĐ-UBND", "Ủy ban nhân dân tỉnh",
         "Công nhận danh hiệu Tập thể lao động xuất sắc năm 2021 cho các tập thể.", 2021, "QĐ", "K3"),
    _doc(14, "Hướng dẫn chấm điểm, xếp hạng thi đua các Khối", "05/HD-BTĐKT", "Ban Thi đua - Khen thưởng",
         "Hướng dẫn chấm điểm theo bảng điểm; đơn vị tự chấm, Khối bình xét.", 2023, "HD", "K2"),
    _doc(15, "Báo cáo tình hình đăng ký các dạng sáng kiến", "31/BC-SNV", "Sở Nội vụ",
         "Các đơn vị đang đăng ký sáng kiến dạng cải tiến kỹ thuật.", 2022, "BC"),
]
BY_ID = {d.id: d for d in CORPUS}


@pytest.fixture(params=ENGINES)
def engine_name(request) -> str:
    return request.param


@pytest.fixture
def database(engine_name, request):
    """The postgres engine's database (a new one per test); None for the folder engines."""
    return request.getfixturevalue("postgres_database_url") if engine_name == "postgres" else None


@pytest.fixture
def make_engine(engine_name, database):
    """`get_engine` for this test's engine: a folder engine's index is `path`, the postgres one's is the test's database."""
    return lambda path, **kw: get_engine(engine_name, path, database_url=database, **kw)


@pytest.fixture
def engine(make_engine, tmp_path):
    eng = make_engine(tmp_path / "index", lock_timeout=5)
    eng.add_or_update(CORPUS)
    yield eng
    eng.close()


def search(engine, q="", **kw) -> SearchResult:
    return engine.search(SearchQuery(q=q, **kw))


def ids(engine, q="", **kw) -> set[int]:
    result = search(engine, q, per_page=100, **kw)
    assert result.total == len(result.hits), (q, kw, result.total, len(result.hits))
    return {h.id for h in result.hits}


def ranked(engine, q="", **kw) -> list[int]:
    return [h.id for h in search(engine, q, per_page=100, **kw).hits]


# -- folding and accents -----------------------------------------------------------------------


def test_accent_free_query_finds_accented_text(engine):
    assert {3, 4} <= ids(engine, "co thi dua")
    assert ids(engine, '"co thi dua"') == {3, 4}
    assert ids(engine, '"Cờ thi đua"') == {3, 4}


def test_accented_and_folded_queries_both_hit(engine):
    assert 8 in ids(engine, "Đảng bộ")
    assert 8 in ids(engine, "dang bo")
    assert ids(engine, "Đảng bộ") == ids(engine, "dang bo")
    assert ids(engine, "ĐẢNG BỘ") == ids(engine, "đảng bộ")


def test_nfd_query_equals_nfc_query(engine):
    for q in ("Quyết định", "Đảng bộ", '"thi đua yêu nước"'):
        nfd = unicodedata.normalize("NFD", q)
        assert nfd != q
        assert ranked(engine, nfd) == ranked(engine, q)
        assert ids(engine, q)


def test_nfd_document_is_found_and_highlighted(engine):
    result = search(engine, "tổng kết")
    hit = next(h for h in result.hits if h.id == 8)
    assert "<mark>tổng kết</mark>" in hit.title_html
    assert unicodedata.is_normalized("NFC", hit.title_html)


def test_exact_accent_ranks_first(engine):
    order = ranked(engine, "Đảng")
    # Documents with "Đảng" as typed come first; "Dang", "đang", "dạng", "đăng" only after.
    exact = {6, 8}
    assert set(order[: len(exact)]) == exact
    assert {9, 15} <= set(order[len(exact):])
    assert ranked(engine, "dang")  # unaccented: folded matches only, any order


# -- query syntax ---------------------------------------------------------------------------------


def test_phrase_matches_only_consecutive_words(engine):
    # Doc 3 has "yêu nước … thi đua" and even the pairs "thi đua", "đua yêu", "yêu nước",
    # but never the phrase; Whoosh must confirm it away.
    assert ids(engine, '"thi đua yêu nước"') == {1, 2}
    assert ids(engine, '"thi dua yeu nuoc"') == {1, 2}
    assert {1, 2, 3} <= ids(engine, "thi đua yêu nước")


def test_long_phrase_with_many_candidates_is_confirmed_on_the_hits_shown(engine, engine_name, monkeypatch):
    # Pretend every long phrase has "many" candidates: the engines rank the word-pair matches
    # and confirm them on the stored text while filling the page.
    from portal.search import postgres_engine, tantivy_engine, whoosh_engine

    monkeypatch.setattr(whoosh_engine, "CONFIRM_ALL_LIMIT", 0)
    monkeypatch.setattr(postgres_engine, "CONFIRM_ALL_LIMIT", 0)
    monkeypatch.setattr(tantivy_engine, "EXACT_PHRASE_LIMIT", 0)
    page = search(engine, '"thi đua yêu nước"', per_page=1)
    assert len(page.hits) == 1 and page.hits[0].id in {1, 2}
    assert page.total_exact is False and page.total in (2, 3)  # doc 3 has the pairs, not the phrase
    everything = search(engine, '"thi đua yêu nước"', per_page=10)  # all candidates checked: exact
    assert ({h.id for h in everything.hits}, everything.total, everything.total_exact) == ({1, 2}, 2, True)
    assert everything.facets == {"year": {2022: 1, 2023: 1}, "type": {"CT": 1, "KH": 1}}
    assert ids(engine, 'phong trào -"thi đua yêu nước"') == {3, 4}


def test_words_are_anded_by_default(engine):
    assert ids(engine, "giao ước kiểm tra") == {10}
    assert ids(engine, "giao ước") == {1, 7, 10}


def test_or(engine):
    assert ids(engine, "nghị định OR giao ước") == {1, 5, 7, 10}
    assert ids(engine, "nghị định | giao ước") == {1, 5, 7, 10}


def test_not_and_minus(engine):
    assert ids(engine, "giao ước -kiểm") == {1, 7}
    assert ids(engine, "giao ước NOT kiểm") == {1, 7}
    assert ids(engine, 'giao ước -"ký kết"') == {10}


def test_prefix_star(engine):
    assert ids(engine, "khen*") == {5, 6, 12, 14}


# -- document numbers --------------------------------------------------------------------------------


def test_number_exact(engine):
    assert ids(engine, "19/CT-UBND") == {2}
    assert ids(engine, "19/ct-ubnd") == {2}
    assert ids(engine, "34-CT/TW") == {6}


def test_number_prefix(engine):
    assert ids(engine, "19/CT") == {2, 11}
    assert ids(engine, "19/KH") == {10}


def test_number_spaced(engine):
    assert ids(engine, "19 CT UBND") == {2}
    assert ids(engine, "19 CT") == {2, 11}


def test_number_folded_and_year(engine):
    assert ids(engine, "98/2023/NĐ-CP") == {5}
    assert ids(engine, "98/2023/nd-cp") == {5}
    assert ids(engine, "98/NĐ-CP") == {5}  # typed without its year
    assert ids(engine, "98/2024/NĐ-CP") == set()


def test_number_with_words(engine):
    assert ids(engine, "19/CT chỉ thị tỉnh ủy") == {2, 11}
    assert ids(engine, "19/CT \"tỉnh ủy\"") == {11}


# -- filters, facets, paging, sorting ----------------------------------------------------------------


def test_filters(engine):
    assert ids(engine, "thi đua", year_from=2023, year_to=2023) == {1, 3, 5, 14}
    assert ids(engine, "thi đua", year_from=2024) == {4, 7, 10, 11}
    assert ids(engine, "thi đua", year_to=2021) == {6, 8}
    assert ids(engine, "thi đua", type="CT") == {2, 6, 11}
    assert ids(engine, "thi đua", bloc="K2") == {4, 7, 10, 14}
    assert ids(engine, "thi đua", unit="U02") == {3, 8}
    assert ids(engine, "", type="BC", bloc="K3") == {3, 8}
    assert ids(engine, "thi đua", type="XX") == set()


def test_facets_without_filters(engine):
    result = search(engine, "thi đua")
    assert result.total == 12
    assert result.facets["year"] == {2021: 2, 2022: 2, 2023: 4, 2024: 3, 2025: 1}
    assert result.facets["type"] == {"BC": 2, "CT": 3, "GU": 1, "HD": 1, "KH": 2, "QĐ": 1, "TB": 1, "NĐ": 1}
    assert sum(result.facets["year"].values()) == result.total


def test_facets_with_filters(engine):
    result = search(engine, "thi đua", year_from=2022, year_to=2023, type="CT")
    assert result.total == 1
    assert result.facets == {"year": {2022: 1}, "type": {"CT": 1}}
    result = search(engine, "", bloc="K1")
    assert result.facets["type"] == {"BC": 1, "CT": 1, "KH": 1, "TB": 1}
    assert result.facets["year"] == {2022: 2, 2023: 1, 2025: 1}


def test_facets_empty_result(engine):
    result = search(engine, "không có từ này xyzzy")
    assert result.total == 0 and result.pages == 0 and result.hits == []
    assert result.facets == {"year": {}, "type": {}}


def test_paging(engine):
    everything = [h.id for h in search(engine, "thi đua", per_page=20).hits]
    page1 = search(engine, "thi đua", per_page=5, page=1)
    page2 = search(engine, "thi đua", per_page=5, page=2)
    page3 = search(engine, "thi đua", per_page=5, page=3)
    assert page2.total == 12 and page2.pages == 3 and page2.page == 2
    assert [h.id for h in page1.hits + page2.hits + page3.hits] == everything
    assert len(page2.hits) == 5 and len(page3.hits) == 2
    assert search(engine, "thi đua", per_page=5, page=9).hits == []


def test_sort_by_date(engine):
    order = ranked(engine, "thi đua", sort="date")
    dates = [BY_ID[i].issue_date for i in order]
    assert dates == sorted(dates, reverse=True)
    assert ranked(engine, "", sort="relevance")[:2] == [12, 7]  # no words: newest first


def test_title_and_number_boost(engine):
    # "giao ước" in the title (7, 10) ranks above a mention in the text only (1).
    order = ranked(engine, "giao ước")
    assert order[-1] == 1


# -- snippets ------------------------------------------------------------------------------------


def test_snippets_escape_document_html_and_mark_hits(engine):
    result = search(engine, "thành tích")
    hit = next(h for h in result.hits if h.id == 12)
    assert "<script>" not in hit.snippet_html and "<b>" not in hit.snippet_html
    assert "&lt;script&gt;" in hit.snippet_html and "&amp;" in hit.snippet_html
    assert "<mark>Thành tích</mark>" in hit.snippet_html
    assert hit.title_html == "Báo cáo <mark>thành tích</mark> đề nghị tặng Bằng khen"
    plain = hit.snippet_html.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in plain and ">" not in plain


def test_snippet_keeps_accents_and_marks_folded_query(engine):
    hit = next(h for h in search(engine, "co thi dua").hits if h.id == 3)
    assert "<mark>Cờ thi đua</mark>" in hit.snippet_html


def test_snippet_is_short_window_around_hit(make_engine, tmp_path):
    eng = make_engine(tmp_path / "ix")
    filler = "Nội dung không liên quan đến chủ đề chính của văn bản. " * 40
    eng.add_or_update([_doc(1, "Văn bản dài", "1/CV-X", "X", filler + "Kết luận về sáng kiến. " + filler, 2024, "CV")])
    hit = search(eng, "sáng kiến").hits[0]
    assert "<mark>sáng kiến</mark>" in hit.snippet_html
    text = hit.snippet_html.replace("<mark>", "").replace("</mark>", "")
    assert 150 <= len(text) <= 260 and text.startswith("…") and text.endswith("…")
    eng.close()


def test_hit_fields(engine):
    hit = search(engine, "19/CT-UBND").hits[0]
    assert (hit.id, hit.number, hit.year, hit.type, hit.issue_date) == (2, "19/CT-UBND", 2022, "CT", date(2022, 3, 3))
    assert hit.score > 0


# -- active search ---------------------------------------------------------------------------------


def test_active_prefix_on_last_word(engine):
    assert ids(engine, "quyet din", mode="active") == {4, 13}
    assert ids(engine, "Quyết định", mode="active") == {4, 13}
    assert ids(engine, "ke hoach ki", mode="active") == {10}
    assert ids(engine, "19/CT", mode="active") == {2, 11}


def test_active_searches_short_fields_only(engine):
    # "nhiệm vụ" is only in texts, never in a title, number or issuer.
    assert ids(engine, "nhiem vu", mode="active") == set()
    assert ids(engine, "nhiem vu") == {2, 7}
    result = search(engine, "chi thi", mode="active")
    assert result.facets == {"year": {}, "type": {}}
    assert {h.id for h in result.hits} == {2, 5, 6, 11}  # 5: "quy định chi tiết thi hành"
    assert all("<mark>" in h.title_html for h in result.hits)


# -- writes ----------------------------------------------------------------------------------------


def test_update_replaces(engine):
    old = BY_ID[14]
    new = SearchDoc(**{**{f: getattr(old, f) for f in old.__slots__}, "text": "Nội dung mới về sáng kiến kinh nghiệm."})
    assert engine.add_or_update([new]) == 1
    assert ids(engine, "bảng điểm") == set()
    assert ids(engine, "sáng kiến kinh nghiệm") == {14}
    assert engine.doc_count() == len(CORPUS)
    assert engine.ids() == set(BY_ID)


def test_same_id_twice_in_a_batch_keeps_the_last(engine):
    a = _doc(50, "Phiên bản một", "1/TB-X", "X", "alpha", 2024, "TB")
    b = _doc(50, "Phiên bản hai", "1/TB-X", "X", "beta", 2024, "TB")
    engine.add_or_update([a, b])
    assert ids(engine, "beta") == {50} and ids(engine, "alpha") == set()
    assert engine.doc_count() == len(CORPUS) + 1


def test_remove(engine):
    engine.remove([4, 999])
    assert 4 not in ids(engine, "co thi dua")
    assert engine.ids() == set(BY_ID) - {4}
    assert engine.doc_count() == len(CORPUS) - 1
    assert search(engine, "thi đua").facets["type"].get("QĐ") is None


def test_changes_are_seen_by_another_engine_instance(engine, make_engine, tmp_path):
    other = make_engine(tmp_path / "index")
    assert 12 in ids(other, "bằng khen")
    engine.remove([12])
    assert 12 not in ids(other, "bằng khen")
    engine.add_or_update([BY_ID[12]])
    assert 12 in ids(other, "bằng khen")
    other.close()


def test_empty_index_searches(make_engine, tmp_path):
    eng = make_engine(tmp_path / "empty")
    result = search(eng, "thi đua")
    assert (result.total, result.pages, result.hits) == (0, 0, [])
    assert eng.ids() == set() and eng.doc_count() == 0
    eng.close()


# -- rebuild and generations -------------------------------------------------------------------------


@folder_engines_only
def test_rebuild_swaps_atomically(engine, engine_name, tmp_path):
    index_dir = tmp_path / "index"
    reader = get_engine(engine_name, index_dir)
    assert ids(reader, "giao ước") == {1, 7, 10}  # opened before the rebuild
    before = engine.store.current()
    seen = []
    new_corpus = [d for d in CORPUS if d.id != 7] + [_doc(40, "Giao ước thi đua mới", "2/GU-K1", "X", "Văn bản mới.", 2026, "GU")]
    assert engine.rebuild(iter(new_corpus), progress=seen.append) == len(new_corpus)
    assert seen and seen[-1] == len(new_corpus)
    assert engine.store.current() != before
    assert ids(reader, "giao ước") == {1, 10, 40}  # the old instance moved to the new index
    fresh = get_engine(engine_name, index_dir)
    assert ids(fresh, "giao ước") == {1, 10, 40}
    assert fresh.ids() == {d.id for d in new_corpus}
    # The previous generation stays for searches that started on it, then goes.
    assert (index_dir / before).exists()
    engine.store.collect_garbage(grace=0)
    assert not (index_dir / before).exists()
    assert ids(reader, "giao ước") == {1, 10, 40}
    reader.close()
    fresh.close()


@folder_engines_only
def test_failed_rebuild_leaves_index_untouched(engine, tmp_path):
    before = engine.store.current()

    def broken():
        yield CORPUS[0]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        engine.rebuild(broken())
    assert engine.store.current() == before
    assert engine.store.generations() == [before]
    assert ids(engine, "giao ước") == {1, 7, 10}


# -- locking ----------------------------------------------------------------------------------------


def _slow_rebuild(engine_name: str, index_dir: str, database: str | None, ready, release) -> None:
    """Child process: a rebuild that holds the write lock until told to finish."""
    engine = get_engine(engine_name, index_dir, lock_timeout=10, database_url=database)

    def docs():
        yield CORPUS[0]
        ready.set()
        release.wait(60)
        yield from CORPUS[1:]

    engine.rebuild(docs())
    engine.close()


def test_second_process_holding_the_writer_gives_index_busy(engine, engine_name, make_engine, database, tmp_path):
    ctx = multiprocessing.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_slow_rebuild, args=(engine_name, str(tmp_path / "index"), database, ready, release))
    child.start()
    try:
        assert ready.wait(60), "child never took the lock"
        busy = make_engine(tmp_path / "index", lock_timeout=0.3)
        started = time.monotonic()
        with pytest.raises(IndexBusy):
            busy.add_or_update([_doc(60, "Thêm", "1/TB-Y", "Y", "x", 2024, "TB")])
        assert time.monotonic() - started < 3
        with pytest.raises(IndexBusy):
            busy.remove([1])
        assert 1 in ids(busy, "giao ước")  # reading is never blocked
        busy.close()
    finally:
        release.set()
        child.join(60)
    assert child.exitcode == 0
    assert ids(engine, "giao ước") == {1, 7, 10}  # the child's rebuild is live


def _add_batches(engine_name: str, index_dir: str, database: str | None, first_id: int, count: int) -> None:
    engine = get_engine(engine_name, index_dir, lock_timeout=60, database_url=database)
    for start in range(first_id, first_id + count, 5):
        docs = [
            _doc(i, f"Văn bản đồng thời số {i}", f"{i}/CV-P", "P", f"Nội dung song song {i}.", 2024, "CV")
            for i in range(start, min(start + 5, first_id + count))
        ]
        engine.add_or_update(docs)
    engine.close()


def test_two_processes_adding_concurrently(engine, engine_name, database, tmp_path):
    ctx = multiprocessing.get_context("spawn")
    index_dir = str(tmp_path / "index")
    procs = [ctx.Process(target=_add_batches, args=(engine_name, index_dir, database, base, 30)) for base in (100, 200)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    expected = set(BY_ID) | set(range(100, 130)) | set(range(200, 230))
    assert engine.ids() == expected
    assert engine.doc_count() == len(expected)
    assert search(engine, "song song").total == 60


# -- corruption ------------------------------------------------------------------------------------


def _corrupt(gen_dir: Path, keep=("ENGINE", "SCHEMA")) -> int:
    n = 0
    for path in gen_dir.rglob("*"):
        if path.is_file() and path.name not in keep and not path.name.endswith(".lock"):
            size = path.stat().st_size
            path.write_bytes(b"\x00garbage\xff" * max(1, size // 9))
            n += 1
    return n


@folder_engines_only
def test_corrupted_index_raises_index_corrupt_and_rebuild_recovers(engine, engine_name, tmp_path):
    index_dir = tmp_path / "index"
    gen = index_dir / engine.store.current()
    engine.close()
    assert _corrupt(gen) > 0
    damaged = get_engine(engine_name, index_dir)
    with pytest.raises(IndexCorrupt):
        damaged.open()
    with pytest.raises(IndexCorrupt):
        damaged.search(SearchQuery(q="thi đua"))
    assert damaged.rebuild(CORPUS) == len(CORPUS)
    assert ids(damaged, "giao ước") == {1, 7, 10}
    damaged.close()


@folder_engines_only
def test_missing_generation_or_bad_pointer_is_corrupt(engine, engine_name, tmp_path):
    index_dir = tmp_path / "index"
    engine.close()
    (index_dir / "CURRENT").write_text("gen-999999\n")
    with pytest.raises(IndexCorrupt):
        get_engine(engine_name, index_dir).open()
    (index_dir / "CURRENT").write_text("../../etc\n")
    with pytest.raises(IndexCorrupt):
        get_engine(engine_name, index_dir).search(SearchQuery(q="x"))


@folder_engines_only
def test_index_of_the_other_engine_is_corrupt(engine, engine_name, tmp_path):
    other = "tantivy" if engine_name == "whoosh" else "whoosh"
    engine.close()
    with pytest.raises(IndexCorrupt):
        get_engine(other, tmp_path / "index").open()


# -- the engines agree --------------------------------------------------------------------------------

AGREEMENT_QUERIES = [
    "thi đua", "co thi dua", '"Cờ thi đua"', "Đảng", "dang", "giao ước -kiểm", "nghị định OR giao ước",
    '"thi đua yêu nước"', "19/CT", "98/NĐ-CP", "khen*", "tập thể", "chỉ thị tỉnh ủy", '"ủy ban nhân dân"',
    "năm 2024", "", "xyzzy",
]


def test_engines_return_the_same_documents(tmp_path):
    # PostgreSQL joins when installed (and must, with PORTAL_TEST_REQUIRE_POSTGRES=1).
    url = postgres_url_or_skip() if pg.bin_dir() or pg.required() else None
    names = FOLDER_ENGINES + (["postgres"] if url else [])
    engines = {name: get_engine(name, tmp_path / name, database_url=url) for name in names}
    try:
        for eng in engines.values():
            eng.rebuild(CORPUS)
        for q in AGREEMENT_QUERIES:
            for mode in ("full", "active"):
                results = {name: search(eng, q, mode=mode, per_page=100) for name, eng in engines.items()}
                w = results["whoosh"]
                for name in names[1:]:
                    t = results[name]
                    assert {h.id for h in w.hits} == {h.id for h in t.hits}, (q, mode, name)
                    assert (w.total, w.facets) == (t.total, t.facets), (q, mode, name)
                    by_id = {h.id: h for h in t.hits}
                    for h in w.hits:
                        assert (h.title_html, h.snippet_html) == (by_id[h.id].title_html, by_id[h.id].snippet_html), name
    finally:
        for eng in engines.values():
            eng.close()
        if url:
            pg.drop_database(url)


def test_get_engine_rejects_unknown_name(tmp_path):
    with pytest.raises(ValueError):
        get_engine("lucene", tmp_path)


def test_search_query_validation():
    with pytest.raises(ValueError):
        SearchQuery(q="x", sort="alpha")
    with pytest.raises(ValueError):
        SearchQuery(q="x", mode="fast")
    q = SearchQuery(q=None, page=0, per_page=1000)  # type: ignore[arg-type]
    assert (q.q, q.page, q.per_page) == ("", 1, 100)


@folder_engines_only
def test_index_directory_layout(engine, tmp_path):
    index_dir = tmp_path / "index"
    names = sorted(os.listdir(index_dir))
    assert "CURRENT" in names and "write.lock" in names
    assert (index_dir / (index_dir / "CURRENT").read_text().strip()).is_dir()


# -- the postgres engine's table --------------------------------------------------------------------------

postgres_only = pytest.mark.parametrize("engine_name", ["postgres"])


@postgres_only
def test_postgres_rebuild_is_one_transaction_searches_see_the_old_index_until_it_commits(engine, make_engine, tmp_path):
    reader = make_engine(tmp_path / "index")
    seen_during = []
    new_corpus = [d for d in CORPUS if d.id != 7] + [_doc(40, "Giao ước thi đua mới", "2/GU-K1", "X", "Văn bản mới.", 2026, "GU")]

    def docs():
        yield from new_corpus[:5]
        seen_during.append(ids(reader, "giao ước"))  # another connection, mid-rebuild
        yield from new_corpus[5:]

    progress = []
    assert engine.rebuild(docs(), progress=progress.append) == len(new_corpus)
    assert seen_during == [{1, 7, 10}] and progress[-1] == len(new_corpus)
    assert ids(reader, "giao ước") == {1, 10, 40}
    assert reader.ids() == {d.id for d in new_corpus} and reader.doc_count() == len(new_corpus)
    reader.close()


@postgres_only
def test_postgres_failed_rebuild_leaves_index_untouched(engine):
    def broken():
        yield from CORPUS[:3]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        engine.rebuild(broken())
    assert engine.ids() == set(BY_ID)
    assert ids(engine, "giao ước") == {1, 7, 10}


def _run_sql(database: str, statement: str) -> None:
    """Change the postgres engine's table behind its back, as a careless administrator would."""
    import sqlalchemy as sa

    db = sa.create_engine(database, poolclass=sa.pool.NullPool)
    with db.begin() as conn:
        conn.execute(sa.text(statement))
    db.dispose()


@postgres_only
def test_postgres_table_of_another_shape_is_corrupt_and_rebuild_recovers(engine, make_engine, database, tmp_path):
    engine.close()
    _run_sql(database, "ALTER TABLE search_index DROP COLUMN pairs")
    damaged = make_engine(tmp_path / "index")
    with pytest.raises(IndexCorrupt):
        damaged.open()
    with pytest.raises(IndexCorrupt):
        damaged.search(SearchQuery(q="thi đua"))
    assert damaged.rebuild(CORPUS) == len(CORPUS)
    assert ids(damaged, '"thi đua yêu nước"') == {1, 2}
    damaged.close()


@postgres_only
def test_postgres_missing_table_is_created_empty(engine, make_engine, database, tmp_path):
    engine.close()
    _run_sql(database, "DROP TABLE search_index")
    fresh = make_engine(tmp_path / "index")
    assert fresh.doc_count() == 0 and search(fresh, "thi đua").total == 0
    fresh.add_or_update(CORPUS[:2])
    assert fresh.ids() == {1, 2}
    fresh.close()


@postgres_only
def test_postgres_doc_frequencies_count_documents(engine):
    terms = ["thi", "dua", "khen", "tinh", "xyzzy", "thi"]
    expected = {t: search(engine, t).total for t in terms}
    assert engine.doc_frequencies(terms) == expected  # counted on the GIN index
    engine.rebuild(CORPUS)  # ends with ANALYZE: common words now come from pg_stats
    assert engine.doc_frequencies(terms) == expected


def test_postgres_engine_refuses_another_database(tmp_path):
    with pytest.raises(ValueError, match="PostgreSQL"):
        get_engine("postgres", tmp_path, database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(ValueError, match="database_url"):
        get_engine("postgres", tmp_path)
