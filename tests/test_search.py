"""Search wired to the archive: outbox, search after commit, trash, repair, reindex, page, fragment, API."""
import io

import pytest
import sqlalchemy as sa

from portal.auth import services as auth
from portal.documents import services as docs
from portal.documents.models import IndexOutbox
from portal.extensions import db
from portal.search import services as search
from portal.search.engine import SearchQuery
from tests import pdf_factory
from tests.unit.test_document_services import DIRECTIVE, PLAN

FLAG = PLAN.replace("Tổ chức hoạt động các Khối thi đua thuộc tỉnh năm 2025",
                    "Đề nghị tặng Cờ thi đua của Ủy ban nhân dân tỉnh năm 2023").replace("27/KH-UBND", "41/TTr-SNV").replace("KẾ HOẠCH", "TỜ TRÌNH")


@pytest.fixture(params=["whoosh", "tantivy"])
def engine_app(request, tmp_path, database_url):
    from tests.conftest import Org, make_app

    app = make_app(tmp_path, PORTAL_SEARCH_ENGINE=request.param, DATABASE_URL=database_url)
    Org(app)
    return app  # conftest closes its engines and connections after the test


def upload(text, name="vb.pdf", **fields):
    admin = auth.get_user("admin")
    return docs.ingest(admin, io.BytesIO(pdf_factory.make_text_pdf(None, text)), name, fields).document


def ids(result):
    return [h.id for h in result.hits]


def test_uploaded_document_is_searchable_right_after_commit(engine_app):
    with engine_app.app_context():
        flag = upload(FLAG)
        plan = upload(PLAN)
        assert db.session.scalar(sa.select(sa.func.count(IndexOutbox.id))) == 0  # applied after commit
        assert ids(search.search(SearchQuery(q="co thi dua"))) == [flag.id]
        assert ids(search.search(SearchQuery(q="Cờ thi đua", year_from=2025, year_to=2025))) == [flag.id]
        assert set(ids(search.search(SearchQuery(q="thi dua")))) == {flag.id, plan.id}
        assert ids(search.search(SearchQuery(q="27/KH-UBND"))) == [plan.id]
        result = search.search(SearchQuery(q="thi dua", type="KH"))
        assert ids(result) == [plan.id] and result.facets["type"] == {"KH": 1}


def test_trash_hides_and_restore_brings_back(engine_app):
    with engine_app.app_context():
        plan = upload(PLAN)
        admin = auth.get_user("admin")
        docs.delete(admin, plan)
        assert ids(search.search(SearchQuery(q="khoi thi dua"))) == []
        docs.restore(admin, plan)
        assert ids(search.search(SearchQuery(q="khoi thi dua"))) == [plan.id]


def test_metadata_edit_reaches_the_index(engine_app):
    with engine_app.app_context():
        plan = upload(PLAN)
        docs.update_metadata(auth.get_user("admin"), plan, {"title": "Kế hoạch đã đổi tên hoàn toàn"}, version=plan.version)
        assert ids(search.search(SearchQuery(q="doi ten hoan toan", mode="active"))) == [plan.id]


def test_snippets_escape_document_html(engine_app):
    with engine_app.app_context():
        upload(DIRECTIVE.replace("Các sở, ban, ngành", "<script>alert(1)</script> Các sở, ban, ngành"))
        hit = search.search(SearchQuery(q="phat dong")).hits[0]
        assert "<script>" not in hit.snippet_html and "<mark>" in hit.snippet_html + hit.title_html


def test_crash_between_commit_and_indexing_is_repaired(engine_app, monkeypatch):
    with engine_app.app_context():
        # The index update fails after the document committed: the outbox keeps it.
        def broken(*args, **kwargs):
            raise RuntimeError("killed while indexing")

        monkeypatch.setattr(search, "apply_outbox", broken)
        plan = upload(PLAN)
        monkeypatch.undo()
        assert db.session.scalar(sa.select(sa.func.count(IndexOutbox.id))) == 1
        assert ids(search.search(SearchQuery(q="khoi thi dua"))) == []
        report = search.check()
        assert report.missing_from_index == [plan.id] and report.pending_updates == 1
        search.check(repair=True)
        assert ids(search.search(SearchQuery(q="khoi thi dua"))) == [plan.id]
        assert search.check().problems == 0


def test_check_finds_changed_and_missing_originals(engine_app):
    import os

    with engine_app.app_context():
        plan = upload(PLAN)
        directive = upload(DIRECTIVE)
        path = docs.original_file(plan)
        os.chmod(path, 0o644)
        path.write_bytes(path.read_bytes() + b"%tampered")
        docs.original_file(directive).unlink()
        report = search.check(repair=True)
        assert report.files_changed == [plan.id] and report.files_missing == [directive.id]


def test_reindex_rebuilds_from_the_database(engine_app):
    with engine_app.app_context():
        plan = upload(PLAN)
        search.engine().remove([plan.id])
        assert search.check().missing_from_index == [plan.id]
        assert search.rebuild_index() == 1
        assert ids(search.search(SearchQuery(q="khoi thi dua"))) == [plan.id]


def test_reindex_and_check_commands(engine_app):
    runner = engine_app.test_cli_runner()
    with engine_app.app_context():
        upload(PLAN)
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0 and "Đã lập chỉ mục 1 văn bản" in result.output
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0 and "Không có vấn đề nào." in result.output
    with engine_app.app_context():
        search.engine().remove(list(search.engine().ids()))
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    result = runner.invoke(args=["check", "--repair"])
    assert result.exit_code == 0 and "Đã sửa" in result.output


def test_search_page_fragment_and_api(app, client, auth, org_data):
    auth.login("off1")
    with app.app_context():
        upload(FLAG)
    page = client.get("/search?q=co+thi+dua")
    assert page.status_code == 200 and "<mark>" in page.text and "Đề nghị tặng" in page.text
    fragment = client.get("/search?q=co+thi+dua", headers={"HX-Request": "true", "HX-Target": "search-results"})
    assert fragment.text.lstrip().startswith('<section id="search-results"') and "<html" not in fragment.text
    empty = client.get("/search?q=khong+co+gi+ca+xyz")
    assert "Không tìm thấy văn bản nào" in empty.text
    api = client.get("/api/v1/search?q=co+thi+dua").get_json()
    assert api["total"] == 1 and api["items"][0]["number"] == "41/TTr-SNV"
    assert "<mark>" in api["items"][0]["snippet"]
    assert api["facets"] == {"year": {"2025": 1}, "type": {"TTr": 1}}
    bad = client.get("/api/v1/search?q=x&year_from=abc")
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "validation_failed"


def test_search_requires_login(client):
    assert client.get("/search?q=x").status_code == 302
    assert client.get("/api/v1/search?q=x").status_code == 401


def test_reindex_reads_what_search_doc_makes(app, org_data):
    """The rebuild's column-only, paged reader gives exactly `search_doc` of every live document."""
    from portal.documents import notes
    from portal.documents.models import Document

    with app.app_context():
        admin = auth.get_user("admin")
        flag, plan, directive = upload(FLAG), upload(PLAN), upload(DIRECTIVE, name="ct.pdf")
        notes.add_note(admin, db.session.get(Document, plan.id), "Đã trình lãnh đạo ngày 12/3")
        notes.add_note(admin, db.session.get(Document, plan.id), "chờ ý kiến chỉ đạo")
        notes.add_note(admin, db.session.get(Document, flag.id), "ghi chú")
        docs.move_to_trash(admin, db.session.get(Document, directive.id))
        live = db.session.scalars(sa.select(Document).where(Document.deleted_at.is_(None)).order_by(Document.id)).all()
        expected = [search.search_doc(d) for d in live]
        db.session.expire_all()
        for batch in (1, 2, 500):
            assert list(search.iter_search_docs(batch=batch)) == expected
