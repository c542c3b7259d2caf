"""Archive pages (the issue "The document archive"): login, CSRF, rights, upload outcomes, crafted bad
PDFs, the document page, the file route, edit with a version check, trash, listing and its query count.

Most documents here are inserted straight through the ORM (with their original written into the
archive folder) so that only the tests about uploading pay for the guarded PDF child process.
"""
from __future__ import annotations

import hashlib
import io
import re
import time
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from werkzeug.http import parse_options_header

from portal import audit
from portal.audit import AuditEvent
from portal.auth import services as auth_services
from portal.documents import archive
from portal.documents import services as docs
from portal.documents.models import Document, IndexOutbox
from portal.extensions import db
from portal.org.models import Bloc, Unit
from tests import pdf_factory
from tests.conftest import count_queries, csrf_from
from tests.unit.test_document_services import DIRECTIVE, PLAN  # the same plan and directive as the service tests

VI_NAME = "Kế hoạch số 27 – Đợt 1 (bản ký).pdf"

NOT_SAVED = "chưa được lưu"
FORBIDDEN = "không có quyền"


# --- helpers -----------------------------------------------------------------------------------

def pdf(text: str = PLAN) -> bytes:
    return pdf_factory.make_text_pdf(None, text)


def plan_numbered(n: int) -> bytes:
    return pdf(PLAN.replace("27/KH-UBND", f"{n}/KH-UBND"))


def new_doc(app, *, data: bytes | None = None, bloc: str | None = None, unit: str | None = None, **values) -> int:
    """Insert a document row directly (no PDF child). With `data`, its original is written into the
    archive under its real hash; otherwise the hash is fake and there is no file."""
    with app.app_context():
        if data is not None:
            sha = hashlib.sha256(data).hexdigest()
            path = archive.original_path(archive.archive_root(app.config), sha)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        else:
            sha = uuid.uuid4().hex + uuid.uuid4().hex
        values.setdefault("title", "Văn bản thử nghiệm")
        values.setdefault("year", 2025)
        values.setdefault("original_name", "van-ban.pdf")
        if values.get("number"):
            values.setdefault("number_key", docs.number_key(values["number"]))
        document = Document(sha256=sha, size=len(data) if data is not None else 1234, page_count=1, text_source="text",
                            bloc=db.session.scalar(sa.select(Bloc).where(Bloc.code == bloc)) if bloc else None,
                            unit=db.session.scalar(sa.select(Unit).where(Unit.code == unit)) if unit else None,
                            **values)
        db.session.add(document)
        db.session.commit()
        return document.id


def ingest(app, data: bytes, name: str = "van-ban.pdf", as_: str = "admin", fields: dict | None = None) -> int:
    """Store a PDF through the service (the guarded child runs) and return its id."""
    with app.app_context():
        actor = auth_services.get_user(as_)
        return docs.ingest(actor, io.BytesIO(data), name, fields or {}).document.id


def archive_files(app) -> list[Path]:
    """Originals in the archive folder (temporary uploads excluded)."""
    root = Path(app.config["PORTAL_ARCHIVE_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(root).parts)


def temp_files(app) -> list[Path]:
    tmp = Path(app.config["PORTAL_ARCHIVE_DIR"]) / "tmp"
    return sorted(tmp.glob("*")) if tmp.is_dir() else []


def state(app) -> dict:
    """Everything an archive write could change, to prove that a refused request changed nothing."""
    with app.app_context():
        return {
            "documents": sorted(db.session.execute(sa.select(
                Document.id, Document.title, Document.version, Document.deleted_at, Document.unit_id, Document.bloc_id)).all()),
            "files": archive_files(app),
            "tmp": temp_files(app),
            "audit": db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)),
            "outbox": db.session.scalar(sa.select(sa.func.count()).select_from(IndexOutbox)),
        }


def count_documents(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Document.id)))


def events(app, document_id: int) -> list[str]:
    """Audit actions on a document, oldest first."""
    with app.app_context():
        return [e.action for e in reversed(audit.events_for("document", document_id))]


def get_doc(app, document_id: int) -> Document | None:
    with app.app_context():
        document = db.session.get(Document, document_id)
        if document is not None:
            db.session.expunge(document)
        return document


def post_upload(client, files, *, token, headers=None, **data):
    """POST the upload form with [(bytes, name), …]."""
    form = {"csrf_token": token, **data, "files": [(io.BytesIO(content), name) for content, name in files]}
    if token is None:
        del form["csrf_token"]
    return client.post("/documents/upload", data=form, content_type="multipart/form-data", headers=headers or {})


def edit_form(app, document_id: int, **changes) -> dict:
    """The edit form as the page would post it, from the stored document, with changes."""
    with app.app_context():
        d = db.session.get(Document, document_id)
        form = {
            "type": d.type, "report_kind": d.report_kind or "", "number": d.number or "",
            "issue_date": d.issue_date.strftime("%d/%m/%Y") if d.issue_date else "", "year": str(d.year or ""),
            "issuer": d.issuer, "signer": d.signer, "signer_title": d.signer_title, "title": d.title,
            "bloc": d.bloc.code if d.bloc else "", "unit": d.unit.code if d.unit else "", "version": str(d.version),
        }
    form.update(changes)
    return form


def fetch(client, path: str, **kwargs):
    """GET and close the response (a file response holds the original open until closed)."""
    with client.get(path, **kwargs) as response:
        response.get_data()
    return response


def outcome_items(html: str) -> list[tuple[str, str]]:
    """(class, text) of each <li class="outcome …"> of the upload results."""
    items = re.findall(r'<li class="outcome (ok|refused)">(.*?)</li>', html, flags=re.S)
    return [(kind, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()) for kind, body in items]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture
def placed(app, org_data):
    """Documents filed in different places, for the rights matrix (see conftest's Org for who leads what).

    unit6: U6's own report (bloc K2, 2025) · k1_2025 / k1_2026: bloc K1 documents of each year ·
    province: a province-wide directive (no bloc, no unit).
    """
    return {
        "unit6": new_doc(app, unit="U6", bloc="K2", year=2025, title="Báo cáo của Ban Dân tộc", data=pdf_bytes("u6")),
        "k1_2025": new_doc(app, bloc="K1", year=2025, title="Giao ước Khối 1 năm 2025", data=pdf_bytes("k1-2025")),
        "k1_2026": new_doc(app, bloc="K1", year=2026, title="Giao ước Khối 1 năm 2026", data=pdf_bytes("k1-2026")),
        "province": new_doc(app, year=2025, title="Chỉ thị của tỉnh", data=pdf_bytes("province")),
    }


def pdf_bytes(tag: str) -> bytes:
    """Distinct small bytes that look like a PDF, for rows that never go through the child."""
    return b"%PDF-1.7\n% " + tag.encode() + b"\n%%EOF\n"


# --- login and CSRF ----------------------------------------------------------------------------

GET_ROUTES = ["/documents", "/documents/upload", "/documents/{id}", "/documents/{id}/status", "/documents/{id}/edit",
              "/documents/trash", "/documents/{id}/file", "/documents/{id}/file?inline=1"]
POST_ROUTES = ["/documents/upload", "/documents/{id}/edit", "/documents/{id}/delete", "/documents/{id}/restore",
               "/documents/{id}/purge"]


@pytest.mark.parametrize("path", GET_ROUTES)
def test_pages_need_login(client, app, placed, path):
    response = client.get(path.format(id=placed["unit6"]))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", POST_ROUTES)
def test_posts_need_login(client, app, placed, path):
    before = state(app)
    token = csrf_from(client.get("/login").text)
    response = client.post(path.format(id=placed["unit6"]), data={"csrf_token": token, "confirm": "1"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert state(app) == before


def test_htmx_request_without_login_is_sent_to_the_login_page(client, app, placed):
    response = client.get("/documents", headers={"HX-Request": "true", "HX-Target": "document-results"})
    assert response.status_code == 401
    assert "/login" in response.headers["HX-Redirect"]


@pytest.mark.parametrize("route", ["upload", "edit", "delete", "restore", "purge"])
def test_every_post_needs_csrf(client, auth, app, placed, route):
    doc_id = placed["unit6"]
    if route in ("restore", "purge"):
        client_trash(app, doc_id)
    auth.login("admin")
    before = state(app)
    if route == "upload":
        response = post_upload(client, [(pdf(), "ke-hoach.pdf")], token=None)
    elif route == "edit":
        response = client.post(f"/documents/{doc_id}/edit", data=edit_form(app, doc_id, title="Sửa không có mã"))
    else:
        response = client.post(f"/documents/{doc_id}/{route}", data={"confirm": "1"})
    assert response.status_code == 400
    assert "tải lại trang" in response.text  # the Vietnamese CSRF explanation
    assert state(app) == before


def test_a_wrong_csrf_token_is_refused_too(client, auth, app, placed):
    auth.login("admin")
    before = state(app)
    response = client.post(f"/documents/{placed['unit6']}/delete", data={"csrf_token": "gia-mao"})
    assert response.status_code == 400
    assert state(app) == before


def client_trash(app, document_id: int) -> None:
    with app.app_context():
        docs.delete(auth_services.get_user("admin"), db.session.get(Document, document_id))


# --- rights ------------------------------------------------------------------------------------

# (user, document key, allowed?) for writing a document (edit page, edit, delete).
WRITE_MATRIX = [
    ("admin", "unit6", True), ("admin", "k1_2025", True), ("admin", "province", True),
    ("off1", "k1_2025", True),   # U1 leads K1 in 2025
    ("off2", "k1_2026", True),   # U2 leads K1 in 2026 (rotation moved the right)
    ("off6", "unit6", True),     # a member unit's officer, its own unit's document
    ("off1", "k1_2026", False),  # U1 is only a member of K1 in 2026
    ("off2", "k1_2025", False),  # U2 was the deputy in 2025, not the leader
    ("off1", "unit6", False),    # another unit's document
    ("off4", "k1_2025", False),  # leader of another bloc
    ("off6", "province", False),  # province-wide documents are the Board's
    ("viewer", "unit6", False), ("viewer", "k1_2025", False),
]


def matrix_id(case):
    return f"{case[0]}-{case[1]}-{'ok' if case[2] else '403'}"


@pytest.mark.parametrize("username, key, allowed", WRITE_MATRIX, ids=[matrix_id(c) for c in WRITE_MATRIX])
def test_write_rights(client, auth, app, placed, username, key, allowed):
    """The edit page, an edit and a delete: all allowed, or all 403 with nothing changed."""
    doc_id = placed[key]
    auth.login(username)
    token = auth.csrf()
    before = state(app)
    page = client.get(f"/documents/{doc_id}/edit")
    edit = client.post(f"/documents/{doc_id}/edit", data={**edit_form(app, doc_id, title="Trích yếu đã sửa"), "csrf_token": token})
    if allowed:
        assert page.status_code == 200
        assert edit.status_code == 302 and edit.headers["Location"].endswith(f"/documents/{doc_id}")
        assert get_doc(app, doc_id).title == "Trích yếu đã sửa"
    else:
        assert page.status_code == 403 and FORBIDDEN in page.text
        assert edit.status_code == 403 and FORBIDDEN in edit.text
    delete = client.post(f"/documents/{doc_id}/delete", data={"csrf_token": token})
    if allowed:
        assert delete.status_code == 302
        assert get_doc(app, doc_id).deleted
        assert events(app, doc_id) == ["update", "delete"]
        assert state(app)["files"] == before["files"]  # the trash keeps the original
    else:
        assert delete.status_code == 403
        assert state(app) == before


def test_an_officer_cannot_move_a_document_out_of_reach(client, auth, app, placed):
    doc_id = placed["unit6"]
    auth.login("off6")
    before = state(app)
    response = client.post(f"/documents/{doc_id}/edit", data={**edit_form(app, doc_id, unit="U1"), "csrf_token": auth.csrf()})
    assert response.status_code == 403
    assert state(app) == before


@pytest.mark.parametrize("username", ["off1", "off2", "off6", "viewer"])
def test_trash_restore_and_purge_are_the_boards(client, auth, app, placed, username):
    doc_id = placed["unit6"]
    client_trash(app, doc_id)
    auth.login(username)
    before = state(app)
    assert client.get("/documents/trash").status_code == 403
    token = auth.csrf()
    assert client.post(f"/documents/{doc_id}/restore", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/documents/{doc_id}/purge", data={"csrf_token": token, "confirm": "1"}).status_code == 403
    assert state(app) == before
    assert "Thùng rác" not in client.get("/documents").text  # no link to a page they cannot open


@pytest.mark.parametrize("username", ["admin", "off6", "viewer"])
def test_read_routes_for_everyone_logged_in(client, auth, app, placed, username):
    auth.login(username)
    doc_id = placed["k1_2025"]
    for path in ("/documents", f"/documents/{doc_id}", f"/documents/{doc_id}/status", f"/documents/{doc_id}/file",
                 f"/documents/{doc_id}/file?inline=1"):
        assert fetch(client, path).status_code == 200, path


def test_viewer_cannot_upload(client, auth, app, placed):
    auth.login("viewer")
    before = state(app)
    assert client.get("/documents/upload").status_code == 403
    response = post_upload(client, [(pdf(), "ke-hoach.pdf")], token=auth.csrf())
    assert response.status_code == 403
    assert state(app) == before
    assert "Tải lên văn bản" not in client.get("/documents").text


def test_member_officer_uploads_for_its_own_unit(client, auth, app, org_data):
    auth.login("off6")
    response = post_upload(client, [(pdf(), "bao-cao.pdf")], token=auth.csrf("/documents/upload"))
    assert response.status_code == 200
    [(kind, _text)] = outcome_items(response.text)
    assert kind == "ok"
    with app.app_context():
        d = db.session.scalar(sa.select(Document))
        assert (d.unit.code, d.bloc.code, d.year) == ("U6", "K2", 2025)
        assert d.uploaded_by.username == "off6"
        assert [e.action for e in audit.events_for("document", d.id)] == ["upload"]


def test_leader_officer_uploads_for_its_bloc_in_the_year_it_leads(client, auth, app, org_data):
    auth.login("off4")  # U4 leads K2 in 2025 only
    token = auth.csrf("/documents/upload")
    response = post_upload(client, [(pdf(), "giao-uoc.pdf")], token=token, year="2025", bloc="K2")
    assert [k for k, _ in outcome_items(response.text)] == ["ok"]
    before = state(app)
    response = post_upload(client, [(pdf(DIRECTIVE), "giao-uoc-2026.pdf")], token=token, year="2026", bloc="K2")
    assert response.status_code == 422
    [(kind, text)] = outcome_items(response.text)
    assert kind == "refused" and FORBIDDEN in text
    assert state(app) == before


def test_officer_cannot_upload_for_another_unit(client, auth, app, org_data):
    auth.login("off6")
    before = state(app)
    response = post_upload(client, [(pdf(), "ke-hoach.pdf")], token=auth.csrf("/documents/upload"), unit="U1")
    assert response.status_code == 422
    [(kind, text)] = outcome_items(response.text)
    assert kind == "refused" and FORBIDDEN in text
    assert state(app) == before


# --- upload outcomes ---------------------------------------------------------------------------

def test_upload_several_files_each_with_its_outcome(client, auth, app, org_data):
    existing = ingest(app, pdf(DIRECTIVE), "chi-thi-05.pdf")
    auth.login("admin")
    good = pdf()
    response = post_upload(client, [
        (good, VI_NAME),
        (pdf(DIRECTIVE), "chi-thi-ban-sao.pdf"),
        (pdf_factory.make_truncated_pdf(), "bi-hong.pdf"),
        (pdf_factory.make_not_pdf(), "bao-cao.docx.pdf"),
        (good, "ke-hoach-lan-hai.pdf"),  # the same bytes again in the same batch
    ], token=auth.csrf("/documents/upload"))
    assert response.status_code == 200
    outcomes = outcome_items(response.text)
    assert [k for k, _ in outcomes] == ["ok", "refused", "refused", "refused", "refused"]
    ok, dup, damaged, not_pdf, dup_same_batch = (t for _, t in outcomes)
    assert VI_NAME in ok and "27/KH-UBND" in ok and "08/01/2025" in ok and "Trần Văn Minh" in ok
    assert "chi-thi-ban-sao.pdf" in dup and "đã có trong lưu trữ: văn bản 05/CT-UBND" in dup and f"#{existing}" not in dup
    assert f'href="/documents/{existing}"' in response.text  # "open the existing document"
    assert "bị hỏng" in damaged and NOT_SAVED in damaged.lower()
    assert "không phải là tệp PDF" in not_pdf and NOT_SAVED in not_pdf.lower()
    assert "đã có trong lưu trữ" in dup_same_batch
    with app.app_context():
        rows = db.session.execute(sa.select(Document.original_name, Document.sha256).order_by(Document.id)).all()
    assert [r.original_name for r in rows] == ["chi-thi-05.pdf", VI_NAME]
    assert rows[1].sha256 == hashlib.sha256(good).hexdigest()
    assert len(archive_files(app)) == 2 and temp_files(app) == []


def test_upload_htmx_returns_only_the_outcomes_block(client, auth, app, org_data):
    auth.login("admin")
    response = post_upload(client, [(pdf(), "ke-hoach.pdf"), (b"khong phai pdf", "x.pdf")],
                           token=auth.csrf("/documents/upload"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.text.strip()
    assert html.startswith('<section id="upload-outcomes"') and html.endswith("</section>")
    assert "<html" not in html and 'id="upload-form"' not in html
    assert [k for k, _ in outcome_items(html)] == ["ok", "refused"]


def test_upload_htmx_with_every_file_refused_still_shows_the_reasons(client, auth, app, org_data):
    """htmx 2 swaps nothing on a 4xx answer: the fragment must come back as 200 or the user sees nothing."""
    auth.login("admin")
    before = state(app)
    response = post_upload(client, [(b"khong phai pdf", "x.pdf")], token=auth.csrf("/documents/upload"),
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.strip().startswith('<section id="upload-outcomes"')
    [(kind, text)] = outcome_items(response.text)
    assert kind == "refused" and "không phải là tệp PDF" in text
    assert state(app) == before


def test_upload_without_a_file_says_so(client, auth, app, org_data):
    auth.login("admin")
    token = auth.csrf("/documents/upload")
    response = client.post("/documents/upload", data={"csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Hãy chọn ít nhất một tệp PDF." in response.text
    htmx = client.post("/documents/upload", data={"csrf_token": token}, content_type="multipart/form-data",
                       headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and htmx.text.strip().startswith('<section id="upload-outcomes"')
    assert "Hãy chọn ít nhất một tệp PDF." in htmx.text
    assert count_documents(app) == 0


def test_upload_with_a_bad_year_stores_nothing(client, auth, app, org_data):
    auth.login("admin")
    before = state(app)
    response = post_upload(client, [(pdf(), "ke-hoach.pdf")], token=auth.csrf("/documents/upload"), year="1999")
    assert response.status_code == 422
    assert "Năm phải từ 2000 đến 2100." in response.text
    htmx = post_upload(client, [(pdf(), "ke-hoach.pdf")], token=auth.csrf("/documents/upload"), year="1999",
                       headers={"HX-Request": "true"})
    assert htmx.text.strip().startswith('<section id="upload-outcomes"') and "Năm phải từ 2000 đến 2100." in htmx.text
    assert state(app) == before


def test_upload_page_form(client, auth, app, org_data):
    auth.login("off1")
    page = client.get("/documents/upload")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'name="files"' in page.text and "multiple" in page.text
    assert 'name="csrf_token"' in page.text


# --- crafted bad PDFs ----------------------------------------------------------------------------

def _burner() -> bytes:
    # Each of 45 pages (under the 50-page cap) inflates the same 60 MiB stream again: several
    # seconds of CPU, well past the 2 s limit.
    return pdf_factory.make_shared_stream_pdf(stream_mb=60, pages=45)


CRAFTED = [
    ("truncated", pdf_factory.make_truncated_pdf, "bị hỏng"),
    ("flate_bomb", pdf_factory.make_flate_bomb_pdf, "quá phức tạp"),
    ("page_tree_loop", pdf_factory.make_page_tree_loop_pdf, "bị hỏng"),
    ("not_pdf", pdf_factory.make_not_pdf, "không phải là tệp PDF"),
    ("empty", pdf_factory.make_empty_file, "rỗng"),
    ("zero_pages", pdf_factory.make_zero_page_pdf, "rỗng"),
    ("encrypted", lambda: pdf_factory.make_encrypted_pdf(user_password="bi-mat"), "mật khẩu"),
    ("too_many_pages", lambda: pdf_factory.make_many_pages_pdf(pages=60), "60 trang, vượt quá giới hạn 50 trang"),
    ("cpu_burner", _burner, "quá phức tạp"),
]


@pytest.mark.parametrize("make, message", [pytest.param(m, msg, id=name) for name, m, msg in CRAFTED])
def test_crafted_bad_pdfs_are_refused_quickly_and_leave_nothing(client, auth, app, org_data, make, message):
    app.config["PORTAL_PDF_MAX_PAGES"] = 50
    app.config["PORTAL_PDF_TIMEOUT_S"] = 2
    data = make()
    auth.login("admin")
    token = auth.csrf("/documents/upload")
    before = state(app)
    started = time.monotonic()
    response = post_upload(client, [(data, "tai-len.pdf")], token=token)
    elapsed = time.monotonic() - started
    assert elapsed < 20, f"refusal took {elapsed:.1f} s"
    assert response.status_code == 422
    [(kind, text)] = outcome_items(response.text)
    assert kind == "refused"
    assert message in text and NOT_SAVED in text.lower()
    assert "Traceback" not in response.text
    assert state(app) == before
    assert archive_files(app) == [] and temp_files(app) == []


def test_a_file_over_the_size_cap_is_refused(client, auth, app, org_data):
    app.config["PORTAL_UPLOAD_MAX_MB"] = 0
    auth.login("admin")
    before = state(app)
    response = post_upload(client, [(pdf(), "ke-hoach.pdf")], token=auth.csrf("/documents/upload"))
    assert response.status_code == 422
    [(kind, text)] = outcome_items(response.text)
    assert kind == "refused" and "lớn hơn giới hạn 0 MB" in text
    assert state(app) == before


def test_a_pdf_that_only_restricts_printing_is_accepted(client, auth, app, org_data):
    auth.login("admin")
    response = post_upload(client, [(pdf_factory.make_encrypted_pdf(None, PLAN, user_password=""), "co-han-che.pdf")],
                           token=auth.csrf("/documents/upload"))
    assert [k for k, _ in outcome_items(response.text)] == ["ok"]
    assert count_documents(app) == 1


# --- the document page -------------------------------------------------------------------------

def test_document_page_shows_detected_metadata_citations_and_cited_by(client, auth, app, org_data):
    plan_id = ingest(app, pdf(PLAN), "ke-hoach-27.pdf")
    directive_id = ingest(app, pdf(DIRECTIVE), "chi-thi-05.pdf")
    auth.login("viewer")
    page = client.get(f"/documents/{plan_id}")
    assert page.status_code == 200
    facts = text_of(page.text)
    for expected in ("27/KH-UBND", "Kế hoạch", "08/01/2025", "Ủy ban nhân dân tỉnh Lam Sơn", "Trần Văn Minh",
                     "Tổ chức hoạt động các Khối thi đua thuộc tỉnh năm 2025", "ke-hoach-27.pdf",
                     "Văn bản không có chữ ký số.", "Lấy từ lớp chữ của tệp PDF."):
        assert expected in facts, expected
    assert f'<a href="/documents/{directive_id}">05/CT-UBND</a>' in page.text  # citation, resolved
    assert f'src="/documents/{plan_id}/file?inline=1"' in page.text  # the PDF inline
    assert f'href="/documents/{plan_id}/file"' in page.text  # download
    directive = client.get(f"/documents/{directive_id}")
    assert "20/12/2024" in directive.text and "Lê Hoàng Nam" in directive.text
    assert f'<a href="/documents/{plan_id}">27/KH-UBND</a>' in directive.text  # cited by
    # A citation not in the archive says so.
    with app.app_context():
        docs.delete(auth_services.get_user("admin"), db.session.get(Document, directive_id))
    assert "chưa có trong kho" in client.get(f"/documents/{plan_id}").text


def test_document_page_shows_signature_facts(client, auth, app, org_data):
    signed = pdf_factory.make_signed_pdf(None, PLAN)
    doc_id = ingest(app, signed.data, "ky-so.pdf")
    auth.login("viewer")
    page = text_of(client.get(f"/documents/{doc_id}").text)
    assert "Chữ ký số" in page and "✔ Trần Văn Minh" in page
    assert "Văn bản không có chữ ký số." not in page
    assert "ký số" in text_of(client.get("/documents").text)  # the list marks signed documents


def test_edit_and_delete_buttons_only_for_those_who_may(client, auth, app, placed):
    doc_id = placed["unit6"]
    auth.login("off6")
    page = client.get(f"/documents/{doc_id}").text
    assert f'href="/documents/{doc_id}/edit"' in page and f'action="/documents/{doc_id}/delete"' in page
    auth.logout()
    auth.login("off1")
    page = client.get(f"/documents/{doc_id}").text
    assert f"/documents/{doc_id}/edit" not in page and f"/documents/{doc_id}/delete" not in page


def test_status_fragment(client, auth, app, placed):
    auth.login("viewer")
    response = client.get(f"/documents/{placed['unit6']}/status")
    assert response.status_code == 200
    html = response.text.strip()
    assert html.startswith('<div id="text-status"') and "<html" not in html


@pytest.mark.parametrize("path", ["/documents/999", "/documents/999/status", "/documents/999/edit", "/documents/999/file"])
def test_unknown_document_is_404(client, auth, app, org_data, path):
    auth.login("admin")
    response = fetch(client, path)
    assert response.status_code == 404
    assert "Không tìm thấy" in response.text


def test_trashed_document_is_404_on_its_pages(client, auth, app, placed):
    doc_id = placed["unit6"]
    client_trash(app, doc_id)
    auth.login("admin")
    for path in (f"/documents/{doc_id}", f"/documents/{doc_id}/edit", f"/documents/{doc_id}/file"):
        assert fetch(client, path).status_code == 404, path


# --- the file route ----------------------------------------------------------------------------

def test_file_route_serves_the_original_bytes_safely(client, auth, app, org_data):
    data = pdf()
    doc_id = ingest(app, data, VI_NAME)
    auth.login("viewer")
    download = fetch(client, f"/documents/{doc_id}/file")
    inline = fetch(client, f"/documents/{doc_id}/file?inline=1")
    for response, disposition in ((download, "attachment"), (inline, "inline")):
        assert response.status_code == 200
        assert response.data == data
        assert response.mimetype == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        header = response.headers["Content-Disposition"]
        assert header.split(";")[0] == disposition
        # RFC 6266 / 5987: an ASCII fallback, and the exact name in filename*=UTF-8''…
        header.encode("ascii")
        match = re.search(r"filename\*=UTF-8''([^;\s]+)", header)
        assert match, header
        assert unquote(match.group(1), encoding="utf-8", errors="strict") == VI_NAME
        assert all(ch not in match.group(1) for ch in ' "(),;')
        fallback = re.search(r'filename="([^"]*)"', header)
        assert fallback and fallback.group(1).endswith(".pdf")
        from portal.text import ascii_fallback

        assert fallback.group(1) == ascii_fallback(VI_NAME)  # the words survive: Đợt → Dot, not " ot"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in inline.headers["Content-Security-Policy"]
    assert inline.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_file_route_cannot_be_tricked_by_a_hostile_name(client, auth, app, org_data):
    doc_id = ingest(app, pdf(), '..\\..\\etc/x"; filename=evil.html\r\nX-Bad: 1.pdf')
    auth.login("viewer")
    response = fetch(client, f"/documents/{doc_id}/file")
    header = response.headers["Content-Disposition"]
    assert "\r" not in header and "\n" not in header and "X-Bad" not in response.headers
    disposition, params = parse_options_header(header)
    assert disposition == "attachment"
    # One name, the last path part only, without the control characters; quotes stay inside the value.
    assert set(params) == {"filename"}  # werkzeug folds filename* into filename when parsing
    assert params["filename"] == 'x"; filename=evil.htmlX-Bad: 1.pdf'
    assert response.mimetype == "application/pdf"


def test_file_route_answers_conditional_requests(client, auth, app, org_data):
    doc_id = ingest(app, pdf(), "ke-hoach.pdf")
    auth.login("viewer")
    first = fetch(client, f"/documents/{doc_id}/file")
    again = fetch(client, f"/documents/{doc_id}/file", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_file_route_when_the_original_is_missing(client, auth, app, org_data):
    doc_id = new_doc(app, title="Không có tệp")  # fake hash, no file
    auth.login("admin")
    response = fetch(client, f"/documents/{doc_id}/file")
    assert response.status_code == 404
    assert "tệp gốc" in response.text


# --- edit ----------------------------------------------------------------------------------------

def test_edit_page_shows_the_current_values(client, auth, app, org_data):
    doc_id = new_doc(app, number="27/KH-UBND", type="KH", issue_date=date(2025, 1, 8), bloc="K1", title="Kế hoạch năm")
    auth.login("admin")
    page = client.get(f"/documents/{doc_id}/edit").text
    assert 'value="08/01/2025"' in page and 'value="27/KH-UBND"' in page
    assert re.search(r'<option selected value="K1">|<option value="K1" selected>', page)
    assert re.search(r'name="version"[^>]*value="1"|value="1"[^>]*name="version"', page)


def test_edit_saves_with_the_right_version(client, auth, app, placed):
    doc_id = placed["k1_2025"]
    auth.login("off1")
    response = client.post(f"/documents/{doc_id}/edit", data={**edit_form(
        app, doc_id, number="12/GU-K1", type="GU", issue_date="15/01/2025", signer="Nguyễn Văn An",
        title="Giao ước thi đua năm 2025"), "csrf_token": auth.csrf()})
    assert response.status_code == 302
    d = get_doc(app, doc_id)
    assert (d.number, d.type, d.issue_date, d.signer, d.title) == ("12/GU-K1", "GU", date(2025, 1, 15), "Nguyễn Văn An",
                                                                   "Giao ước thi đua năm 2025")
    assert d.version == 2 and d.metadata_confirmed
    page = client.get(response.headers["Location"])
    assert "Đã lưu thông tin văn bản." in page.text and "15/01/2025" in page.text
    with app.app_context():
        [event] = audit.events_for("document", doc_id)
        assert event.action == "update" and event.actor_name == "off1"
        assert event.before["title"] == "Giao ước Khối 1 năm 2025" and event.after["title"] == "Giao ước thi đua năm 2025"


def test_stale_edit_is_a_conflict_that_keeps_the_users_input(client, auth, app, placed):
    doc_id = placed["k1_2025"]
    auth.login("off1")
    stale = edit_form(app, doc_id, title="Bản của tôi", issuer="Khối thi đua số 1")
    # Someone else saves first.
    with app.app_context():
        docs.update_metadata(auth_services.get_user("admin"), db.session.get(Document, doc_id),
                             {"title": "Bản của Ban TĐKT", "issuer": "Ban Thi đua - Khen thưởng"}, version=1)
    before = state(app)
    response = client.post(f"/documents/{doc_id}/edit", data={**stale, "csrf_token": auth.csrf()})
    assert response.status_code == 409
    html = response.text
    callout = text_of(html[html.index('role="alert"'):html.index("</div>", html.index('role="alert"'))])
    assert "người khác sửa" in callout
    assert "Bản của Ban TĐKT" in callout and "Ban Thi đua - Khen thưởng" in callout  # the other editor's values
    assert re.search(r">\s*Bản của tôi</textarea>", html) and 'value="Khối thi đua số 1"' in html  # the user's input kept
    assert re.search(r'name="version"[^>]*value="2"|value="2"[^>]*name="version"', html)  # saving again overwrites knowingly
    assert state(app) == before
    assert get_doc(app, doc_id).title == "Bản của Ban TĐKT"
    # Having seen the newer version, the user saves again on purpose: that one goes through.
    again = client.post(f"/documents/{doc_id}/edit", data={**stale, "version": "2", "csrf_token": auth.csrf()})
    assert again.status_code == 302
    assert get_doc(app, doc_id).title == "Bản của tôi"


def test_edit_with_a_bad_date_shows_the_message_by_the_field(client, auth, app, placed):
    doc_id = placed["k1_2025"]
    auth.login("admin")
    before = state(app)
    response = client.post(f"/documents/{doc_id}/edit",
                           data={**edit_form(app, doc_id, issue_date="31/02/2025", title="Không lưu"), "csrf_token": auth.csrf()})
    assert response.status_code == 422
    match = re.search(r'<p class="error" id="issue_date-error">([^<]+)</p>', response.text)
    assert match and match.group(1).strip()
    assert 'aria-invalid="true"' in response.text
    assert re.search(r">\s*Không lưu</textarea>", response.text)
    assert state(app) == before


def test_edit_with_an_unknown_bloc_shows_the_message_by_the_field(client, auth, app, placed):
    doc_id = placed["province"]
    auth.login("admin")
    before = state(app)
    response = client.post(f"/documents/{doc_id}/edit", data={**edit_form(app, doc_id, bloc="K9"), "csrf_token": auth.csrf()})
    assert response.status_code == 422
    assert re.search(r'<p class="error" id="bloc-error">[^<]+</p>', response.text)
    assert state(app) == before


# --- trash ---------------------------------------------------------------------------------------

def test_delete_restore_purge_through_the_pages(client, auth, app, org_data):
    data = pdf()
    doc_id = ingest(app, data, "ke-hoach-27.pdf")
    original = archive_files(app)
    assert len(original) == 1 and original[0].read_bytes() == data
    auth.login("admin")
    token = auth.csrf()
    response = client.post(f"/documents/{doc_id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Đã chuyển văn bản vào thùng rác" in client.get(response.headers["Location"]).text
    assert f"/documents/{doc_id}\"" not in client.get("/documents").text
    trash = client.get("/documents/trash")
    assert trash.status_code == 200
    assert "27/KH-UBND" in trash.text and "ke-hoach-27.pdf" in trash.text and "<td>Nguyễn Văn Quản</td>" in trash.text  # who deleted
    assert archive_files(app) == original  # the trash keeps the file

    response = client.post(f"/documents/{doc_id}/restore", data={"csrf_token": token})
    assert response.status_code == 302
    assert f'href="/documents/{doc_id}"' in client.get("/documents").text
    assert "Thùng rác trống." in client.get("/documents/trash").text

    client.post(f"/documents/{doc_id}/delete", data={"csrf_token": token})
    before = state(app)
    assert client.post(f"/documents/{doc_id}/purge", data={"csrf_token": token}).status_code == 400  # no confirm=1
    assert client.post(f"/documents/{doc_id}/purge", data={"csrf_token": token, "confirm": "0"}).status_code == 400
    assert state(app) == before
    response = client.post(f"/documents/{doc_id}/purge", data={"csrf_token": token, "confirm": "1"})
    assert response.status_code == 302
    assert get_doc(app, doc_id) is None
    assert archive_files(app) == []
    assert events(app, doc_id) == ["upload", "delete", "restore", "delete", "purge"]
    with app.app_context():
        purge_event = audit.events_for("document", doc_id)[0]
        assert purge_event.actor_name == "admin" and purge_event.before["original_name"] == "ke-hoach-27.pdf"


def test_purge_of_a_live_document_is_refused(client, auth, app, placed):
    auth.login("admin")
    before = state(app)
    response = client.post(f"/documents/{placed['unit6']}/purge", data={"csrf_token": auth.csrf(), "confirm": "1"})
    assert response.status_code == 409
    assert "thùng rác" in response.text
    assert state(app) == before


def test_purge_keeps_a_file_still_used_by_nothing_else(client, auth, app, placed):
    """Purging one document removes its original only."""
    client_trash(app, placed["unit6"])
    auth.login("admin")
    files = archive_files(app)
    client.post(f"/documents/{placed['unit6']}/purge", data={"csrf_token": auth.csrf(), "confirm": "1"})
    assert len(archive_files(app)) == len(files) - 1


def test_officer_deletes_its_own_document_and_cannot_bring_it_back(client, auth, app, placed):
    doc_id = placed["unit6"]
    auth.login("off6")
    token = auth.csrf()
    assert client.post(f"/documents/{doc_id}/delete", data={"csrf_token": token}).status_code == 302
    assert client.get("/documents/trash").status_code == 403
    assert client.post(f"/documents/{doc_id}/restore", data={"csrf_token": token}).status_code == 403
    assert get_doc(app, doc_id).deleted


# --- the list ------------------------------------------------------------------------------------

@pytest.fixture
def listing(app, org_data):
    """Eight documents spread over years, types, blocs, units and issuers (rows only, no PDFs)."""
    rows = [
        ("27/KH-UBND", "KH", 2025, "K1", None, "Ủy ban nhân dân tỉnh Lam Sơn", "Kế hoạch hoạt động Khối 1"),
        ("05/CT-UBND", "CT", 2024, None, None, "Ủy ban nhân dân tỉnh Lam Sơn", "Chỉ thị phát động thi đua"),
        ("01/GU-K1", "GU", 2025, "K1", None, "Khối thi đua số 1", "Giao ước thi đua Khối 1"),
        ("02/GU-K2", "GU", 2025, "K2", None, "Khối thi đua số 2", "Giao ước thi đua Khối 2"),
        ("10/BC-SNV", "BC", 2025, "K1", "U1", "Sở Nội vụ", "Báo cáo tổng kết của Sở Nội vụ"),
        ("11/BC-BDT", "BC", 2025, "K2", "U6", "Ban Dân tộc", "Báo cáo tổng kết của Ban Dân tộc"),
        ("12/BC-BDT", "BC", 2026, "K2", "U6", "Ban Dân tộc", "Báo cáo sơ kết của Ban Dân tộc 2026"),
        ("03/KH-UBND", "KH", 2026, None, None, "Ủy ban nhân dân tỉnh Lam Sơn", "Kế hoạch năm 2026"),
    ]
    ids = {}
    for i, (number, doc_type, year, bloc, unit, issuer, title) in enumerate(rows):
        ids[number] = new_doc(app, number=number, type=doc_type, year=year, bloc=bloc, unit=unit, issuer=issuer,
                              title=title, issue_date=date(year, 1 + i, 10))
    return ids


def listed(html: str) -> list[str]:
    """Numbers of the documents in the results table, in order."""
    body = html[html.index('id="document-results"'):]
    return re.findall(r'<td class="nowrap">([^<]+)</td>\s*<td class="nowrap">\d', body)


@pytest.mark.parametrize("query, expected", [
    ("", {"27/KH-UBND", "05/CT-UBND", "01/GU-K1", "02/GU-K2", "10/BC-SNV", "11/BC-BDT", "12/BC-BDT", "03/KH-UBND"}),
    ("year=2026", {"12/BC-BDT", "03/KH-UBND"}),
    ("type=GU", {"01/GU-K1", "02/GU-K2"}),
    ("bloc=K1", {"27/KH-UBND", "01/GU-K1", "10/BC-SNV"}),
    ("unit=U6", {"11/BC-BDT", "12/BC-BDT"}),
    ("issuer=Ban+D%C3%A2n+t%E1%BB%99c", {"11/BC-BDT", "12/BC-BDT"}),
    ("year=2025&type=BC&bloc=K2", {"11/BC-BDT"}),
    ("type=KH&year=2024", set()),
    ("type=XYZ", {"27/KH-UBND", "05/CT-UBND", "01/GU-K1", "02/GU-K2", "10/BC-SNV", "11/BC-BDT", "12/BC-BDT", "03/KH-UBND"}),
])
def test_list_filters(client, auth, app, listing, query, expected):
    auth.login("viewer")
    response = client.get(f"/documents?{query}")
    assert response.status_code == 200
    assert set(listed(response.text)) == expected
    assert f"{len(expected)} văn bản" in response.text
    if not expected:
        assert "Không có văn bản nào khớp với bộ lọc." in response.text


def test_list_is_newest_first_and_shows_dates_the_vietnamese_way(client, auth, app, listing):
    auth.login("viewer")
    html = client.get("/documents").text
    assert listed(html)[0] == "03/KH-UBND"  # issued 10/08/2026
    assert "10/08/2026" in html


def test_list_filter_menus_offer_what_is_in_the_archive(client, auth, app, listing):
    auth.login("viewer")
    html = client.get("/documents?year=2026").text
    assert '<option value="2026" selected>2026</option>' in html and '<option value="2024"' in html
    assert '<option value="Ban Dân tộc"' in html


def test_list_paging(client, auth, app, org_data):
    app.config["PORTAL_PAGE_SIZE"] = 4
    for i in range(10):
        new_doc(app, number=f"{i + 1}/TB-BTĐKT", type="TB", issue_date=date(2025, 1, 1 + i), title=f"Thông báo {i + 1}")
    auth.login("viewer")
    pages = [listed(client.get(f"/documents?page={p}").text) for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [4, 4, 2]
    assert pages[0][0] == "10/TB-BTĐKT" and pages[2][-1] == "1/TB-BTĐKT"
    assert len({n for p in pages for n in p}) == 10
    page2 = client.get("/documents?page=2&type=TB").text
    assert "Trang 2 / 3" in page2
    assert 'href="/documents?page=1&amp;type=TB"' in page2 and 'href="/documents?page=3&amp;type=TB"' in page2
    assert listed(client.get("/documents?page=99").text) == pages[2]  # past the end: the last page
    assert listed(client.get("/documents?page=abc").text) == pages[0]


def test_list_htmx_fragment_returns_only_the_results(client, auth, app, listing):
    auth.login("viewer")
    response = client.get("/documents?type=GU", headers={"HX-Request": "true", "HX-Target": "document-results"})
    assert response.status_code == 200
    html = response.text.strip()
    assert html.startswith('<section id="document-results">') and html.endswith("</section>")
    assert "<html" not in html and 'class="filters"' not in html
    assert set(listed(html)) == {"01/GU-K1", "02/GU-K2"}


def test_list_query_count_does_not_grow_with_the_documents_shown(client, auth, app, org_data):
    def add(n):
        for i in range(n):
            new_doc(app, number=f"{i}/BC-X", type="BC", report_kind="tong_ket", bloc="K2", unit=f"U{4 + i % 3}",
                    issuer=f"Cơ quan {i % 4}", title=f"Báo cáo {i}", signature=[{"intact": True, "signer_name": "A"}],
                    issue_date=date(2025, 1 + i % 12, 1 + i % 28), uploaded_by_id=1 + i % 3)

    auth.login("viewer")
    add(3)
    client.get("/documents")  # warm up the session's caches
    with count_queries(app) as few:
        assert len(listed(client.get("/documents").text)) == 3
    add(22)
    with count_queries(app) as many:
        assert len(listed(client.get("/documents").text)) == 25
    assert len(many) == len(few), "\n".join(many)
    with count_queries(app) as fragment:
        client.get("/documents", headers={"HX-Request": "true", "HX-Target": "document-results"})
    assert len(fragment) <= len(many)
