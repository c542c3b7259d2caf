"""Document services without HTTP: ingest, duplicates, refusals leave nothing, rights, edits, trash, citations, OCR."""
import io
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.auth import services as auth
from portal.documents import services as docs
from portal.documents.models import Citation, Document, IndexOutbox
from portal.errors import Conflict, Forbidden, ValidationFailed
from portal.extensions import db
from tests import pdf_factory

PLAN = """ỦY BAN NHÂN DÂN                    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH LAM SƠN                              Độc lập - Tự do - Hạnh phúc
Số: 27/KH-UBND                        Lam Sơn, ngày 08 tháng 01 năm 2025
KẾ HOẠCH
Tổ chức hoạt động các Khối thi đua thuộc tỉnh năm 2025
Căn cứ Chỉ thị số 05/CT-UBND ngày 20/12/2024 của Chủ tịch Ủy ban nhân dân tỉnh về phát động phong trào thi đua.
1. Các Khối ký giao ước thi đua trước ngày 28/02/2025.
TM. ỦY BAN NHÂN DÂN
KT. CHỦ TỊCH
PHÓ CHỦ TỊCH
Trần Văn Minh
"""
DIRECTIVE = """ỦY BAN NHÂN DÂN                    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH LAM SƠN                              Độc lập - Tự do - Hạnh phúc
Số: 05/CT-UBND                        Lam Sơn, ngày 20 tháng 12 năm 2024
CHỈ THỊ
Về việc phát động phong trào thi đua năm 2025
Các sở, ban, ngành tổ chức phát động thi đua ngay từ đầu năm.
CHỦ TỊCH
Lê Hoàng Nam
"""


def pdf(text=PLAN, **kw) -> bytes:
    return pdf_factory.make_text_pdf(None, text, **kw)


def ingest(actor, data: bytes, name="van-ban.pdf", fields=None):
    return docs.ingest(actor, io.BytesIO(data), name, fields or {})


def files_in(app) -> list[Path]:
    root = Path(app.config["PORTAL_ARCHIVE_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture
def admin(ctx, org_data):
    return auth.get_user("admin")


def test_ingest_stores_original_byte_for_byte_and_reads_metadata(ctx, admin):
    ctx.config["PORTAL_DEFER_INDEXING"] = True  # keep the outbox row to look at it
    data = pdf()
    result = ingest(admin, data, "Kế hoạch 27.pdf")
    d = result.document
    assert (d.type, d.number, d.issue_date.isoformat(), d.year) == ("KH", "27/KH-UBND", "2025-01-08", 2025)
    assert d.title == "Tổ chức hoạt động các Khối thi đua thuộc tỉnh năm 2025"
    assert d.signer == "Trần Văn Minh"
    assert d.text_source == "text" and d.page_count == 1
    assert d.original_name == "Kế hoạch 27.pdf" and d.size == len(data)
    stored = docs.original_file(d)
    assert stored.read_bytes() == data
    assert [c.number for c in d.citations] == ["05/CT-UBND"]
    assert not list((Path(ctx.config["PORTAL_ARCHIVE_DIR"]) / "tmp").glob("*"))
    outbox = db.session.scalars(sa.select(IndexOutbox)).all()
    assert [(o.document_id, o.action) for o in outbox] == [(d.id, "index")]


def test_uploader_fields_win_over_detection(ctx, admin):
    d = ingest(admin, pdf(), fields={"type": "TB", "year": "2026", "bloc": "K1", "title": "Tiêu đề do người dùng nhập"}).document
    assert (d.type, d.year, d.bloc.code, d.title) == ("TB", 2026, "K1", "Tiêu đề do người dùng nhập")
    assert d.number == "27/KH-UBND"  # what the user did not give still comes from the text


def test_same_bytes_twice_point_to_the_existing_document(ctx, admin):
    data = pdf()
    first = ingest(admin, data).document
    with pytest.raises(docs.DuplicateDocument) as exc:
        ingest(admin, data, "ban-sao.pdf")
    assert exc.value.existing.id == first.id
    assert "27/KH-UBND" in exc.value.message and f"#{first.id}" not in exc.value.message  # no internal id
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 1
    assert len(files_in(ctx)) == 1


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (b"Day khong phai PDF", "not_pdf"),
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog", "damaged"),
])
def test_refused_files_leave_nothing(ctx, admin, data, reason):
    with pytest.raises(docs.DocumentRefused) as exc:
        ingest(admin, data)
    assert exc.value.reason == reason
    assert "chưa được lưu" in exc.value.message
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(IndexOutbox.id))) == 0
    assert files_in(ctx) == []


def test_encrypted_pdf_is_refused(ctx, admin):
    with pytest.raises(docs.DocumentRefused) as exc:
        ingest(admin, pdf_factory.make_encrypted_pdf(user_password="bi-mat"))
    assert exc.value.reason == "encrypted"
    assert files_in(ctx) == []


def test_size_cap(ctx, admin):
    ctx.config["PORTAL_UPLOAD_MAX_MB"] = 0
    with pytest.raises(docs.DocumentRefused) as exc:
        ingest(admin, pdf())
    assert exc.value.status == 413
    assert files_in(ctx) == []


def test_bad_metadata_stores_nothing(ctx, admin):
    with pytest.raises(ValidationFailed) as exc:
        ingest(admin, pdf(), fields={"issue_date": "31/02/2025", "bloc": "KHONG", "type": "XYZ"})
    assert set(exc.value.errors) == {"issue_date", "bloc", "type"}
    assert files_in(ctx) == []


def test_officer_files_for_own_unit_by_default(ctx, org_data):
    officer = auth.get_user("off6")
    d = ingest(officer, pdf()).document
    assert d.unit.code == "U6" and d.bloc.code == "K2"  # the unit's bloc that year (2025)


def test_officer_cannot_file_for_another_unit_or_province(ctx, org_data):
    officer = auth.get_user("off6")
    with pytest.raises(Forbidden):
        ingest(officer, pdf(), fields={"unit": "U1"})
    with pytest.raises(Forbidden):
        ingest(officer, pdf(), fields={"bloc": "K2", "year": "2025"})  # U6 does not lead K2
    assert files_in(ctx) == []


def test_leader_files_for_its_bloc_that_year_only(ctx, org_data):
    off4 = auth.get_user("off4")  # U4 leads K2 in 2025, not in 2026
    d = ingest(off4, pdf(), fields={"bloc": "K2", "unit": "", "year": "2025"}).document
    assert d.bloc.code == "K2" and d.unit is None
    with pytest.raises(Forbidden):
        ingest(off4, pdf(DIRECTIVE), fields={"bloc": "K2", "unit": "", "year": "2026"})


def test_edit_with_version_and_stale_edit_conflict(ctx, admin):
    d = ingest(admin, pdf()).document
    version = d.version
    docs.update_metadata(admin, d, {"title": "Bản sửa một"}, version=version)
    with pytest.raises(Conflict) as exc:
        docs.update_metadata(admin, d, {"title": "Bản sửa hai"}, version=version)
    assert exc.value.current["title"] == "Bản sửa một"
    assert d.title == "Bản sửa một"
    from portal import audit

    events = audit.events_for("document", d.id)
    assert events[0].action == "update" and events[0].before["title"].startswith("Tổ chức")


def test_delete_restore_purge(ctx, admin):
    ctx.config["PORTAL_DEFER_INDEXING"] = True  # keep the outbox rows to look at them
    d = ingest(admin, pdf()).document
    path = docs.original_file(d)
    docs.delete(admin, d)
    assert docs.list_documents(docs.DocumentFilters()).total == 0
    assert docs.list_documents(docs.DocumentFilters(trash=True)).total == 1
    assert path.exists()  # the trash keeps the original
    docs.restore(admin, d)
    assert docs.list_documents(docs.DocumentFilters()).total == 1
    with pytest.raises(Conflict):
        docs.purge(admin, d)  # only from the trash
    docs.delete(admin, d)
    docs.purge(admin, d)
    assert not path.exists()
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0
    actions = [o.action for o in db.session.scalars(sa.select(IndexOutbox).order_by(IndexOutbox.id))]
    assert actions == ["index", "remove", "index", "remove", "remove"]


def test_citations_resolve_both_directions(ctx, admin):
    plan = ingest(admin, pdf(PLAN)).document
    assert docs.citations_of(plan) == [{"number": "05/CT-UBND", "document": None}]
    directive = ingest(admin, pdf(DIRECTIVE)).document
    assert docs.citations_of(plan)[0]["document"].id == directive.id
    assert [d.id for d in docs.cited_by(directive)] == [plan.id]
    docs.delete(admin, directive)  # a trashed document no longer resolves
    assert docs.citations_of(plan)[0]["document"] is None


def test_listing_filters_and_query_count(ctx, admin):
    from tests.conftest import count_queries

    for i in range(3):
        ingest(admin, pdf(PLAN.replace("27/KH", f"{30 + i}/KH")), fields={"bloc": "K1"})
    ingest(admin, pdf(DIRECTIVE))
    assert docs.list_documents(docs.DocumentFilters(type="KH")).total == 3
    assert docs.list_documents(docs.DocumentFilters(bloc="K1")).total == 3
    assert docs.list_documents(docs.DocumentFilters(year=2024)).total == 1
    with count_queries(ctx) as statements:
        page = docs.list_documents(docs.DocumentFilters(per_page=2))
        [(d.bloc and d.bloc.name, d.unit, d.uploaded_by and d.uploaded_by.username) for d in page.items]
    assert page.pages == 2 and len(statements) == 2


def test_title_sort_is_vietnamese(ctx, admin):
    for title in ("Đề án", "Dự thảo", "Ấn phẩm", "An toàn"):
        ingest(admin, pdf(PLAN.replace("27/KH", title[:2])), fields={"title": title})
    titles = [d.title for d in docs.list_documents(docs.DocumentFilters(sort="title")).items]
    assert titles == ["An toàn", "Ấn phẩm", "Dự thảo", "Đề án"]


def test_scanned_pdf_is_read_by_ocr(ctx, admin):
    from portal.documents.ocr import ocr_available

    if not ocr_available():
        pytest.fail("tesseract-ocr-vie is missing: run scripts/install")
    data = pdf_factory.make_scanned_pdf(None, DIRECTIVE)
    d = ingest(admin, data).document  # tasks run immediately in tests
    assert d.ocr_status == "done" and d.text_source == "ocr"
    assert "thi đua" in d.text.lower()


def test_signed_pdf_records_signature_facts(ctx, admin):
    signed = pdf_factory.make_signed_pdf(None, PLAN)
    d = ingest(admin, signed.data).document
    assert d.signature and d.signature[0]["signer_name"] == "Trần Văn Minh"
    assert d.signature[0]["intact"] is True
    assert docs.to_dict(d)["signature"]["signed"] is True


def test_unsigned_pdf_says_so(ctx, admin):
    d = ingest(admin, pdf()).document
    assert docs.to_dict(d)["signature"] == {"signed": False, "intact": None, "signatures": []}


def test_cited_by_in_the_list_json_is_live_newest_first_undated_last(ctx, org_data):
    """`to_dicts` (the API list) orders and filters the citing documents itself: the newest first, the undated last,
    never one in the trash, never the document itself."""
    from tests.unit.test_schedule_services import add_document

    cited = add_document(type="CT", number="19/CT-UBND", issue_date=date(2024, 2, 1), title="Chỉ thị")
    cited.number_key = "19-CT-UBND"
    old = add_document(type="KH", number="3/KH", issue_date=date(2024, 3, 1), title="Kế hoạch cũ")
    new = add_document(type="KH", number="9/KH", issue_date=date(2025, 3, 1), title="Kế hoạch mới")
    undated = add_document(type="CV", title="Công văn không ngày")
    trashed = add_document(type="KH", number="7/KH", issue_date=date(2026, 1, 1), deleted=True, title="Đã xóa")
    for position, citer in enumerate((old, undated, trashed, new, cited)):
        db.session.add(Citation(document_id=citer.id, number="19/CT-UBND", number_key="19-CT-UBND", position=position))
    db.session.commit()
    [data] = docs.to_dicts([cited])
    assert [c["id"] for c in data["cited_by"]] == [new.id, old.id, undated.id]
