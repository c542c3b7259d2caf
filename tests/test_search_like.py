""""More like this" (GET /api/v1/search?like=<id>, /search?like=<id>): on both engines and both databases."""
from datetime import datetime, timezone

import pytest

from portal.auth import services as accounts
from portal.documents import services as docs
from portal.documents.models import Citation, Document
from portal.extensions import db
from portal.search import services as search
from portal.search.engine import SearchQuery
from portal.search.like import like_query_text, like_terms
from portal.search.query import MAX_CLAUSES, parse_query

# Documents on different topics; EMULATION_* are alike (flags and emulation titles), one typed without accents.
TOPICS = {
    "emulation": ("Tờ trình đề nghị tặng Cờ thi đua của Ủy ban nhân dân tỉnh năm 2025",
                  "Đề nghị tặng Cờ thi đua xuất sắc cho các tập thể dẫn đầu phong trào thi đua yêu nước, "
                  "khen thưởng tập thể có thành tích xuất sắc trong phong trào thi đua."),
    "emulation_plain": ("De nghi tang Co thi dua xuat sac nam 2024",
                        "To trinh de nghi tang Co thi dua cho tap the dan dau phong trao thi dua yeu nuoc va khen thuong."),
    "emulation_report": ("Báo cáo tổng kết phong trào thi đua yêu nước năm 2025",
                         "Kết quả phong trào thi đua, khen thưởng: đề nghị tặng Cờ thi đua và Bằng khen cho tập thể."),
    "health": ("Kế hoạch phòng chống dịch sốt xuất huyết năm 2025",
               "Tăng cường giám sát dịch bệnh sốt xuất huyết, phun hóa chất diệt muỗi, vệ sinh môi trường tại khu dân cư."),
    "traffic": ("Chỉ thị tăng cường bảo đảm trật tự an toàn giao thông",
                "Kiểm tra xử lý vi phạm nồng độ cồn, tốc độ xe cơ giới trên các tuyến quốc lộ, giảm tai nạn giao thông."),
    "digital": ("Kế hoạch chuyển đổi số trong cơ quan nhà nước",
                "Triển khai dịch vụ công trực tuyến, số hóa hồ sơ, kết nối cơ sở dữ liệu dân cư và chữ ký số."),
}


@pytest.fixture(params=["whoosh", "tantivy"])
def engine_app(request, tmp_path, database_url):
    from tests.conftest import Org, make_app

    app = make_app(tmp_path, PORTAL_SEARCH_ENGINE=request.param, DATABASE_URL=database_url)
    Org(app)
    return app


def _archive(topics=TOPICS, **extra) -> dict[str, int]:
    """Store the documents as rows and index them (no PDF needed to test the ranking)."""
    made = {}
    for n, (key, (title, text)) in enumerate({**topics, **extra}.items(), start=1):
        document = Document(type="TTr" if "emulation" in key else "KH", year=2025, title=title, text=text,
                            number=f"{n}/KH-UBND", sha256=f"{n:064x}", size=10, original_name=f"{key}.pdf")
        db.session.add(document)
        db.session.flush()
        made[key] = document.id
    db.session.commit()
    search.rebuild_index()
    return made


def _like(document_id, **filters):
    return search.more_like(db.session.get(Document, document_id), SearchQuery(**filters))


def test_nearest_first_never_itself_accents_ignored(engine_app):
    with engine_app.app_context():
        made = _archive()
        result = _like(made["emulation"])
        found = [h.id for h in result.hits]
        assert made["emulation"] not in found
        # The two other emulation documents first (one typed without accents), the unrelated ones after or absent.
        assert set(found[:2]) == {made["emulation_plain"], made["emulation_report"]}
        assert result.total == len(found) and result.page == 1
        # From the unaccented one, the accented ones are found.
        plain = [h.id for h in _like(made["emulation_plain"]).hits]
        assert set(plain[:2]) == {made["emulation"], made["emulation_report"]}
        assert made["emulation_plain"] not in plain
        health = [h.id for h in _like(made["health"]).hits]
        assert made["health"] not in health and made["emulation_plain"] not in health[:1]


def test_trashed_documents_never_come_back(engine_app):
    with engine_app.app_context():
        made = _archive()
        admin = accounts.get_user("admin")
        docs.delete(admin, db.session.get(Document, made["emulation_report"]))
        assert made["emulation_report"] not in [h.id for h in _like(made["emulation"]).hits]
        # Trashed behind the index's back (the index lags): the database still decides.
        db.session.get(Document, made["emulation_plain"]).deleted_at = datetime.now(timezone.utc)
        db.session.commit()
        assert made["emulation_plain"] in search.engine().ids()
        found = [h.id for h in _like(made["emulation"]).hits]
        assert made["emulation_plain"] not in found and made["emulation"] not in found


def test_filters_apply_and_facets_count_the_hits(engine_app):
    with engine_app.app_context():
        made = _archive()
        result = _like(made["emulation"], type="TTr")
        assert {h.id for h in result.hits} == {made["emulation_plain"], made["emulation_report"]}
        assert result.facets["type"] == {"TTr": 2} and result.facets["year"] == {2025: 2}
        assert [h.id for h in _like(made["emulation"], type="TTr", per_page=1, page=2).hits] == [h.id for h in result.hits][1:2]


def test_cited_number_brings_the_cited_document(engine_app):
    with engine_app.app_context():
        made = _archive()
        citing = Document(type="CV", year=2025, title="Công văn về việc triển khai", text="Thực hiện văn bản đã ban hành.",
                          sha256=f"{99:064x}", size=10, original_name="cv.pdf")
        citing.citations.append(Citation(number="4/KH-UBND", number_key="4-kh-ubnd", position=0))  # the health plan
        db.session.add(citing)
        db.session.commit()
        search.rebuild_index()
        assert [h.id for h in _like(citing.id).hits][:1] == [made["health"]]


def test_document_without_words_finds_nothing(engine_app):
    with engine_app.app_context():
        made = _archive(empty=("", ""))
        result = _like(made["empty"])
        assert result.hits == [] and result.total == 0


def test_query_text_stays_within_the_query_language(engine_app):
    with engine_app.app_context():
        made = _archive()
        doc = search.search_doc(db.session.get(Document, made["emulation"]))
        terms = like_terms(search.engine(), doc)
        assert terms and all(t == t.lower() and t.isascii() for t, _ in terms)
        assert terms[0][1] >= terms[-1][1]
        assert "cua" not in {t for t, _ in terms}  # a function word says nothing
        text = like_query_text(terms * 3, "1/KH-UBND", ["27/KH-UBND", "98/2023/NĐ-CP"])
        parsed = parse_query(text)
        assert len(parsed.must) == 1 and len(parsed.must[0].options) <= MAX_CLAUSES


def test_api_page_and_fragment(app, client, auth, org_data):
    with app.app_context():
        made = _archive()
    auth.login("viewer")
    body = client.get(f"/api/v1/search?like={made['emulation']}").get_json()
    assert set(body) >= {"items", "total", "page", "pages", "facets"}
    assert body["items"][0]["id"] in (made["emulation_plain"], made["emulation_report"])
    assert made["emulation"] not in [i["id"] for i in body["items"]]
    assert {"id", "title", "number", "year", "type", "snippet"} <= set(body["items"][0])

    page = client.get(f"/search?like={made['emulation']}")
    assert page.status_code == 200 and "Văn bản tương tự: 1/KH-UBND" in page.text
    fragment = client.get(f"/search?like={made['emulation']}", headers={"HX-Request": "true", "HX-Target": "similar-docs"})
    assert fragment.text.lstrip().startswith('<section id="similar-docs"') and "<html" not in fragment.text
    assert f"/documents/{made['emulation_plain']}" in fragment.text

    show = client.get(f"/documents/{made['emulation']}")
    assert 'hx-trigger="revealed"' in show.text and f"/search?like={made['emulation']}" in show.text


@pytest.mark.parametrize("query, status", [
    ("like=abc", 422), ("like=0", 422), ("like=999999", 404), ("like=1&q=thi+dua", 422), ("like=-3", 422)])
def test_api_refuses_bad_like(app, client, auth, org_data, query, status):
    with app.app_context():
        _archive({"emulation": TOPICS["emulation"]})
    auth.login("off1")
    response = client.get(f"/api/v1/search?{query}")
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["message"] and error["code"] in ("validation_failed", "not_found")


def test_trashed_document_has_no_similar(app, client, auth, org_data):
    with app.app_context():
        made = _archive()
        docs.delete(accounts.get_user("admin"), db.session.get(Document, made["health"]))
    auth.login("admin")
    response = client.get(f"/api/v1/search?like={made['health']}")
    assert response.status_code == 404 and "Không tìm thấy văn bản" in response.get_json()["error"]["message"]
    assert client.get(f"/search?like={made['health']}").status_code == 404


def test_like_requires_login(client):
    assert client.get("/api/v1/search?like=1").status_code == 401


def test_engine_statistics_agree_with_the_seam_fallback(engine_app):
    """An engine without term statistics (the coming PostgreSQL one) gets the same counts from the seam's fallback."""
    from portal.search.engine import Engine

    with engine_app.app_context():
        _archive()
        eng = search.engine()
        terms = ["thi", "dua", "sot", "giao", "xyz"]
        assert eng.doc_frequencies(terms) == Engine.doc_frequencies(eng, terms) == {"thi": 4, "dua": 3, "sot": 1, "giao": 1,
                                                                                    "xyz": 0}


def test_document_of_common_words_still_finds_its_neighbours(engine_app):
    with engine_app.app_context():
        many = {f"plan{i}": (f"Kế hoạch thi đua năm {2020 + i}", "Kế hoạch tổ chức phong trào thi đua yêu nước, khen thưởng.")
                for i in range(12)}
        made = _archive(many)
        assert len(_like(made["plan0"]).hits) == 11
