"""Query parsing, highlighting, analysis, and engine internals that the engine tests rely on."""

from __future__ import annotations

import pickle
import unicodedata
from datetime import date

import pytest

from portal.search import analysis
from portal.search.engine import IndexBusy, SearchDoc, SearchQuery, get_engine
from portal.search.highlight import Highlighter
from portal.search.query import AllOf, AnyOf, Number, Phrase, Word, compile_clauses, parse_query
from portal.text import VIETNAMESE_LETTERS, fold

# -- parser -----------------------------------------------------------------------------------------


def test_words_fold_and_keep_the_accented_form():
    parsed = parse_query("Quyết định khen")
    assert parsed.must == [Word("quyet", "quyết"), Word("dinh", "định"), Word("khen")]
    assert parsed.must_not == []


def test_nfd_query_parses_like_nfc():
    q = "Đảng bộ tỉnh"
    assert parse_query(unicodedata.normalize("NFD", q)) == parse_query(q)


def test_phrases_and_hyphenated_words():
    parsed = parse_query('"thi đua yêu nước" thi-đua')
    assert isinstance(parsed.must[0], Phrase) and parsed.must[0].terms == ("thi", "dua", "yeu", "nuoc")
    assert isinstance(parsed.must[1], Phrase) and parsed.must[1].terms == ("thi", "dua")
    assert parse_query("\u201cthi đua\u201d").must[0].terms == ("thi", "dua")  # curly quotes
    assert parse_query('"thi đua').must[0].terms == ("thi", "dua")  # unclosed quote


def test_or_binds_looser_than_and():
    parsed = parse_query("nghị định OR giao ước OR khen")
    (group,) = parsed.must
    assert isinstance(group, AnyOf)
    assert group.options == (
        AllOf((Word("nghi", "nghị"), Word("dinh", "định"))),
        AllOf((Word("giao"), Word("uoc", "ước"))),
        Word("khen"),
    )
    assert parse_query("OR khen OR").must == [Word("khen")]


def test_not_and_minus():
    parsed = parse_query('khen -bằng NOT "cờ thi đua" -19/CT')
    assert parsed.must == [Word("khen")]
    assert parsed.must_not[0] == Word("bang", "bằng")
    assert isinstance(parsed.must_not[1], Phrase)
    assert isinstance(parsed.must_not[2], Number) and parsed.must_not[2].key == "19-ct"
    assert parse_query("-khen").must == [] and not parse_query("-khen").is_empty


@pytest.mark.parametrize(
    ("q", "key", "matches", "misses"),
    [
        ("19/CT-UBND", "19-ct-ubnd", ["19-ct-ubnd", "19-2023-ct-ubnd"], ["19-ct-tu", "119-ct-ubnd", "19-kh-ubnd"]),
        ("19/CT", "19-ct", ["19-ct-ubnd", "19-ct-tu", "19-ct"], ["19-kh-ubnd", "19-ctr-ubnd"]),
        ("19 CT UBND", "19-ct-ubnd", ["19-ct-ubnd"], ["19-ct-tu"]),
        ("98/2023/NĐ-CP", "98-2023-nd-cp", ["98-2023-nd-cp"], ["98-2024-nd-cp", "98-nd-cp"]),
        ("98/2023/nd-cp", "98-2023-nd-cp", ["98-2023-nd-cp"], []),
        ("98/NĐ-CP", "98-nd-cp", ["98-nd-cp", "98-2023-nd-cp"], ["98-2023-qd-cp"]),
        ("98 2023 NĐ CP", "98-2023-nd-cp", ["98-2023-nd-cp"], []),
        ("34-CT/TW", "34-ct-tw", ["34-ct-tw"], ["34-ct-tu"]),
        ("(123/SNV-TĐKT),", "123-snv-tdkt", ["123-snv-tdkt"], []),
        ("19/ct-ubnd", "19-ct-ubnd", ["19-ct-ubnd"], []),
    ],
)
def test_numbers(q, key, matches, misses):
    (number,) = parse_query(q).must
    assert isinstance(number, Number) and number.key == key
    assert all(number.matches(k) for k in matches)
    assert not any(number.matches(k) for k in misses)


@pytest.mark.parametrize("q", ["19 ct", "2023 kh ubnd", "6-tháng", "2023-2025", "07/03/2025", "báo cáo 6 tháng"])
def test_not_numbers(q):
    assert not any(isinstance(c, Number) for c in parse_query(q).must)


def test_spaced_number_followed_by_words():
    parsed = parse_query("19 CT UBND thi đua")
    assert isinstance(parsed.must[0], Number) and parsed.must[0].key == "19-ct-ubnd"
    assert parsed.must[1:] == [Word("thi"), Word("dua", "đua")]


def test_active_prefix_only_on_an_open_last_word():
    assert parse_query("quyet din", prefix_last=True).must[-1] == Word("din", prefix=True)
    assert parse_query("quyet din ", prefix_last=True).must[-1] == Word("din")
    assert parse_query("quyet din").must[-1] == Word("din")
    assert parse_query("khen*").must == [Word("khen", prefix=True)]


def test_limits():
    assert len(parse_query("a " * 1000).must) <= 32
    assert parse_query("").is_empty and parse_query("   ").is_empty and parse_query(None).is_empty
    assert parse_query("!!! ,,, --").is_empty


# -- highlighter --------------------------------------------------------------------------------------


def test_highlight_folded_query_keeps_accents_and_escapes():
    h = Highlighter(parse_query("co thi dua"))
    assert h.title("Tặng Cờ thi đua <b>") == "Tặng <mark>Cờ thi đua</mark> &lt;b&gt;"


def test_highlight_whole_tokens_only():
    h = Highlighter(parse_query("thi"))
    assert h.title("thi thì thiết thí") == "<mark>thi thì</mark> thiết <mark>thí</mark>"


def test_highlight_prefix_phrase_and_number():
    assert Highlighter(parse_query("khen*")).title("Khen thưởng") == "<mark>Khen</mark> thưởng"
    assert Highlighter(parse_query('"thi đua yêu nước"')).title("Thi đua, yêu nước!") == "<mark>Thi đua, yêu nước</mark>!"
    assert Highlighter(parse_query("19/CT")).title("Chỉ thị 19/CT-UBND") == "Chỉ thị <mark>19/CT</mark>-UBND"
    assert Highlighter(parse_query("98/NĐ-CP")).title("Nghị định 98/2023/NĐ-CP") == "Nghị định <mark>98/2023/NĐ-CP</mark>"


def test_highlight_excluded_words_are_not_marked():
    assert Highlighter(parse_query("khen -bằng")).title("Bằng khen") == "Bằng <mark>khen</mark>"


def test_snippet_window_prefers_the_densest_place():
    text = "khen " + "lorem ipsum dolor " * 30 + "thi đua khen thưởng " + "lorem ipsum " * 30
    snippet = Highlighter(parse_query("thi đua khen")).snippet(text)
    assert "<mark>thi đua khen</mark>" in snippet and snippet.startswith("…") and snippet.endswith("…")


def test_snippet_without_hit_shows_the_start():
    snippet = Highlighter(parse_query("xyz")).snippet("", None, "Nội dung <i>đầu</i> văn bản")
    assert snippet == "Nội dung &lt;i&gt;đầu&lt;/i&gt; văn bản"


def test_clause_regex_matches_what_the_index_matches():
    pattern = compile_clauses(parse_query('"dang bo" dạng').positive())
    found = [m.group() for m in pattern.finditer("ĐẢNG BỘ, Đảng  bộ; đang-bổ; dạng; đăng_bộ; đặng")]
    assert found == ["ĐẢNG BỘ", "Đảng  bộ", "đang-bổ", "dạng", "đăng_bộ", "đặng"]


# -- analysis --------------------------------------------------------------------------------------------


def test_analyse_folds_and_collects_accented_forms():
    folded, accented = analysis.analyse("Đảng bộ ỨNG 19/CT-UBND Dang x" + "y" * 50)
    assert folded == ["dang", "bo", "ung", "19", "ct", "ubnd", "dang", None]
    assert accented == ["đảng", "bộ", "ứng"]
    assert analysis.biwords(folded + ["z"]) == ["dang_bo", "bo_ung", "ung_19", "19_ct", "ct_ubnd", "ubnd_dang"]


def test_analyse_nfd_equals_nfc():
    text = "Quyết định khen thưởng Đảng bộ"
    assert analysis.analyse(unicodedata.normalize("NFD", text)) == analysis.analyse(text)


def test_number_key():
    assert analysis.number_key("19/CT-UBND") == analysis.number_key("19 ct ubnd") == "19-ct-ubnd"
    assert analysis.number_key("98/2023/NĐ-CP") == "98-2023-nd-cp"
    assert analysis.number_key("") == ""


def test_whoosh_analyzers_keep_offsets_on_the_accented_text():
    text = "Cờ thi đua của Đảng bộ"
    tokens = [(t.text, t.startchar, t.endchar) for t in analysis.FoldingAnalyzer()(text, chars=True)]
    assert tokens[0] == ("co", 0, 2) and tokens[-1] == ("bo", 20, 22)
    assert all(fold(text[s:e]) == t for t, s, e in tokens)
    assert [t.text for t in analysis.AccentedAnalyzer()(text)] == ["cờ", "đua", "của", "đảng", "bộ"]
    assert [t.text for t in analysis.BiwordAnalyzer()(text)][:2] == ["co_thi", "thi_dua"]
    assert analysis.FoldingAnalyzer().terms(text) == [t[0] for t in tokens]


def test_whoosh_schema_pickles_by_stable_import_path():
    from portal.search.whoosh_engine import build_schema

    blob = pickle.dumps(build_schema())
    for name in ("portal.search.analysis", "FoldingAnalyzer", "AccentedAnalyzer", "BiwordAnalyzer", "FastFrequency"):
        assert name.encode() in blob
    assert pickle.loads(blob)["content"].analyzer == analysis.FoldingAnalyzer()


def test_tantivy_ascii_fold_agrees_with_portal_fold_on_vietnamese():
    from portal.search.tantivy_engine import fold_analyzer

    an = fold_analyzer()
    letters = VIETNAMESE_LETTERS + "ÐðƉɖ"  # Đ look-alikes from legacy fonts
    for ch in letters:
        assert an.analyze(ch) == [fold(ch)], ch
    sentence = "Đảng bộ Quyết định ỨNG Nghị quyết số 12/NQ-TU Cờ thi đua của Ủy ban nhân dân tỉnh"
    assert an.analyze(sentence) == analysis.folded_terms(sentence)


# -- engine internals --------------------------------------------------------------------------------------


def _docs(n, start=1):
    return [
        SearchDoc(id=i, title=f"Văn bản số {i}", number=f"{i}/KH-UBND", issuer="UBND", text=f"thi đua {'khen ' * (i % 3)}",
                  year=2020 + i % 5, type="KH", issue_date=date(2024, 1, 1 + i % 28))
        for i in range(start, start + n)
    ]


def test_whoosh_fast_postings_match_whoosh_matchers(tmp_path):
    from portal.search.whoosh_engine import _leaf_postings

    eng = get_engine("whoosh", tmp_path / "w")
    for start in (1, 301, 601):  # three segments
        eng.add_or_update(_docs(300, start))
    eng.remove(range(1, 900, 7))  # deletions in every segment
    eng.add_or_update(_docs(20, 2))  # updates
    eng.open()
    view = eng._handle
    assert len(view.leaves) > 1
    for field, term in (("content", "thi"), ("content", "khen"), ("title", "ban"), ("year", "2022")):
        fast = view.postings(field, term)
        slow = {}
        for segreader, offset in view.leaves:
            try:
                m = segreader.postings(field, term)
            except Exception:
                continue
            while m.is_active():
                slow[m.id() + offset] = m.weight()
                m.next()
        assert {d: w for d, w in fast.items() if d in view.live} == slow
        assert _leaf_postings(view.leaves[0][0], field, "no-such-term") == ([], [])
    assert eng.doc_count() == 900 - len(range(1, 900, 7)) + len([i for i in range(2, 22) if (i - 1) % 7 == 0])
    eng.close()


def test_whoosh_rebuild_in_batches(tmp_path, monkeypatch):
    from portal.search.whoosh_build import TermPool

    # A segment per 40 documents (the real limit is the pool's memory estimate): the id field has one term per document.
    monkeypatch.setattr(TermPool, "full", property(lambda pool: len(pool.fields.get("id", {})) >= 40))
    eng = get_engine("whoosh", tmp_path / "w")
    docs = _docs(100) + _docs(1, 7)  # id 7 twice, in different batches: the last one wins
    assert eng.rebuild(docs) == 101
    assert eng.doc_count() == 100 and eng.ids() == set(range(1, 101))
    eng.open()
    assert len(eng._handle.leaves) == 3
    assert eng.search(SearchQuery(q="7/KH-UBND")).total == 1
    assert eng.search(SearchQuery(q="thi đua")).total == 100
    eng.close()


def test_whoosh_grouped_rebuild_writes_what_whoosh_writes(tmp_path):
    """A rebuild (postings grouped per term, written a block at a time) gives the same terms, postings and
    statistics as Whoosh's own per-posting writer on the same documents (blocks of 128 and inlined single postings)."""
    docs = _docs(300)
    rebuilt, written = get_engine("whoosh", tmp_path / "rebuilt"), get_engine("whoosh", tmp_path / "written")
    rebuilt.rebuild(docs)
    written.add_or_update(docs)  # one commit through Whoosh's own pool and FieldWriter.add_postings
    rebuilt.open()
    written.open()
    a, b = rebuilt._handle.reader, written._handle.reader
    fields = ("content", "title", "exact", "bi", "short", "number", "year", "type", "bloc", "unit", "id")
    terms_a = sorted((f, t) for f, t in a.all_terms() if f in fields)
    assert terms_a == sorted((f, t) for f, t in b.all_terms() if f in fields)
    long_lists = 0
    for field, term in terms_a:
        ia, ib = a.term_info(field, term), b.term_info(field, term)
        assert (ia.doc_frequency(), ia.weight(), ia.max_weight(), ia.min_id(), ia.max_id()) == (
            ib.doc_frequency(), ib.weight(), ib.max_weight(), ib.min_id(), ib.max_id()), (field, term)
        ma, mb = a.postings(field, term), b.postings(field, term)
        assert list(ma.items_as("weight")) == list(mb.items_as("weight")), (field, term)
        long_lists += ia.doc_frequency() > 128
    assert long_lists  # several blocks per term were written
    assert a.doc_count_all() == b.doc_count_all() == 300
    for docnum in range(300):
        assert a.stored_fields(docnum) == b.stored_fields(docnum)
    for column in ("id", "date_key", "clen", "tlen", "slen"):
        assert list(a.column_reader(column)) == list(b.column_reader(column)), column
    for q in ("thi đua", '"thi đua yêu nước"', "7/KH-UBND", "khen thưởng -cờ"):
        ra, rb = rebuilt.search(SearchQuery(q=q)), written.search(SearchQuery(q=q))
        assert [(h.id, h.score) for h in ra.hits] == [(h.id, h.score) for h in rb.hits] and ra.facets == rb.facets, q
    rebuilt.close()
    written.close()


def test_whoosh_updates_add_segments_and_compact_merges_them(tmp_path, monkeypatch):
    """An update commits its own segment (no merge on the way: it was an upload's 1-3 s); the worker's compact merges."""
    from portal.search import whoosh_engine

    monkeypatch.setattr(whoosh_engine, "SMALL_SEGMENT_DOCS", 10)
    eng = get_engine("whoosh", tmp_path / "w")
    eng.add_or_update(_docs(50))  # a big segment (as a rebuild's): compact leaves it alone
    for i in range(1, 9):
        eng.add_or_update(_docs(1, 50 + i))
    eng.open()
    assert len(eng._handle.leaves) == 9
    before = sorted((h.id, h.score) for h in eng.search(SearchQuery(q="thi đua", per_page=100)).hits)
    assert eng.compact() is True
    eng.open()
    assert len(eng._handle.leaves) == 2  # the eight small ones became one
    assert sorted((h.id, h.score) for h in eng.search(SearchQuery(q="thi đua", per_page=100)).hits) == before
    assert eng.doc_count() == 58 and eng.compact() is False  # nothing small left to merge
    # Past MERGE_AT segments an update merges by itself, so the count stays bounded without a worker.
    monkeypatch.setattr(whoosh_engine, "MERGE_AT", 3)
    for i in range(1, 9):
        eng.add_or_update(_docs(1, 60 + i))
    eng.open()
    assert len(eng._handle.leaves) <= 4 and eng.doc_count() == 66
    eng.close()


def test_whoosh_native_lock_gives_index_busy(tmp_path):
    from whoosh import index as whoosh_index

    eng = get_engine("whoosh", tmp_path / "w", lock_timeout=0.2)
    eng.add_or_update(_docs(3))
    ix = whoosh_index.open_dir(str(eng.store.path(eng.store.current())))
    writer = ix.writer()  # someone bypassing the portal's lock
    try:
        with pytest.raises(IndexBusy):
            eng.add_or_update(_docs(1, 50))
    finally:
        writer.cancel()
        ix.close()
    eng.add_or_update(_docs(1, 50))
    assert eng.doc_count() == 4
    eng.close()


def test_tantivy_native_lock_gives_index_busy(tmp_path):
    import tantivy

    from portal.search.tantivy_engine import _register

    eng = get_engine("tantivy", tmp_path / "t", lock_timeout=0.2)
    eng.add_or_update(_docs(3))
    index = tantivy.Index.open(str(eng.store.path(eng.store.current())))
    _register(index)
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    try:
        with pytest.raises(IndexBusy):
            eng.add_or_update(_docs(1, 50))
    finally:
        writer.rollback()
        writer.wait_merging_threads()
    eng.add_or_update(_docs(1, 50))
    assert eng.doc_count() == 4
    eng.close()


def test_whoosh_unconfirmed_phrase_totals_are_upper_bounds(tmp_path, monkeypatch):
    from portal.search import whoosh_engine

    eng = get_engine("whoosh", tmp_path / "w")
    docs = [
        SearchDoc(id=1, title="A", text="thi đua yêu nước", year=2024, type="KH"),
        # all three pairs, never the phrase
        SearchDoc(id=2, title="B", text="thi đua sôi nổi; cuộc đua yêu cầu bền bỉ; tinh thần yêu nước", year=2024, type="KH"),
        SearchDoc(id=3, title="C", text="phong trào thi đua yêu nước", year=2023, type="CT"),
    ]
    eng.add_or_update(docs)
    exact = eng.search(SearchQuery(q='"thi đua yêu nước"'))
    assert (exact.total, exact.total_exact, {h.id for h in exact.hits}) == (2, True, {1, 3})
    monkeypatch.setattr(whoosh_engine, "CONFIRM_ALL_LIMIT", 0)
    page = eng.search(SearchQuery(q='"thi đua yêu nước"', per_page=1))
    assert page.total_exact is False and page.total >= 2
    assert {h.id for h in page.hits} <= {1, 3}
    both = eng.search(SearchQuery(q='"thi đua yêu nước"', per_page=10))
    assert {h.id for h in both.hits} == {1, 3} and both.total == 2  # every candidate seen: exact count
    excluded = eng.search(SearchQuery(q='thi -"đua yêu nước"'))
    assert {h.id for h in excluded.hits} == {2}
    eng.close()
