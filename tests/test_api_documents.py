"""JSON API v1, documents part (DESIGN §4): auth (session + CSRF, bearer), rights, the document's shape,
upload outcomes and their statuses, PATCH with a version, trash and restore, the original bytes."""
from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest

from portal.auth import services as auth_services
from portal.documents import services as docs
from portal.documents.models import Document
from portal.extensions import db
from tests import pdf_factory
from tests.conftest import count_queries
from tests.test_documents_views import (
    DIRECTIVE,
    PLAN,
    archive_files,
    count_documents,
    events,
    ingest,
    new_doc,
    pdf,
    placed,  # noqa: F401  (fixture)
    state,
    temp_files,
)

API = "/api/v1"

# DESIGN §4: a document is exactly these fields (the API may add more, never fewer).
DOCUMENT_FIELDS = {"id", "type", "number", "issue_date", "year", "issuer", "signer", "signer_title", "title", "bloc",
                   "unit", "page_count", "text_source", "signature", "sha256", "size", "original_name", "citations",
                   "cited_by", "uploaded_by", "uploaded_at", "version", "deleted"}


def token_for(app, username: str) -> str:
    with app.app_context():
        return auth_services.create_token(None, auth_services.get_user(username), "test")


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tokens(app, org_data):
    return {name: token_for(app, name) for name in ("admin", "off1", "off4", "off6", "viewer")}


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert {"code", "message"} <= set(error)
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code
    assert "Traceback" not in response.get_data(as_text=True)
    return error


def upload(client, data: bytes | None, name: str = "van-ban.pdf", *, headers=None, **fields):
    form = dict(fields)
    if data is not None:
        form["file"] = (io.BytesIO(data), name)
    return client.post(f"{API}/documents", data=form, content_type="multipart/form-data", headers=headers or {})


def get_json(client, path: str, headers: dict):
    with client.get(API + path, headers=headers) as response:
        response.get_data()
    return response


# --- authentication ------------------------------------------------------------------------------

ROUTES = [
    ("GET", "/documents"),
    ("GET", "/documents/{id}"),
    ("POST", "/documents"),
    ("PATCH", "/documents/{id}"),
    ("DELETE", "/documents/{id}"),
    ("POST", "/documents/{id}/restore"),
    ("GET", "/documents/{id}/file"),
]


@pytest.mark.parametrize("method, path", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_route_needs_authentication(client, app, placed, method, path):  # noqa: F811
    before = state(app)
    url = API + path.format(id=placed["unit6"])
    response = client.open(url, method=method, json={"version": 1} if method == "PATCH" else None)
    error = assert_error(response, 401, "unauthorized")
    assert "Bearer" in error["message"]
    bad = client.open(url, method=method, headers=bearer("tdp_khong-hop-le"))
    assert_error(bad, 401, "unauthorized")
    assert state(app) == before


ONE_DOCUMENT = [r for r in ROUTES if "{id}" in r[1]]


@pytest.mark.parametrize("method, path", ONE_DOCUMENT, ids=[f"{m} {p}" for m, p in ONE_DOCUMENT])
def test_unknown_ids_are_404_json(client, app, tokens, method, path):
    response = client.open(API + path.format(id=999), method=method, headers=bearer(tokens["admin"]),
                           json={"version": 1, "title": "x"} if method == "PATCH" else None)
    assert_error(response, 404, "not_found")
    assert_error(client.get(f"{API}/documents/abc", headers=bearer(tokens["admin"])), 404, "not_found")


def test_session_writes_need_the_csrf_header(client, auth, app, org_data):
    auth.login("admin")
    before = state(app)
    response = upload(client, pdf())
    assert_error(response, 400, "csrf_failed")
    assert state(app) == before
    response = upload(client, pdf(), headers={"X-CSRFToken": auth.csrf()})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["uploaded_by"] == "admin"


def test_session_patch_and_delete_need_the_csrf_header(client, auth, app, placed):  # noqa: F811
    doc_id = placed["unit6"]
    auth.login("admin")
    before = state(app)
    assert_error(client.patch(f"{API}/documents/{doc_id}", json={"version": 1, "title": "x"}), 400, "csrf_failed")
    assert_error(client.delete(f"{API}/documents/{doc_id}"), 400, "csrf_failed")
    assert state(app) == before
    token = auth.csrf()
    response = client.patch(f"{API}/documents/{doc_id}", json={"version": 1, "title": "Đã sửa"}, headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json()["title"] == "Đã sửa"


def test_bearer_token_needs_no_csrf(client, app, tokens):
    response = upload(client, pdf(), headers=bearer(tokens["admin"]))
    assert response.status_code == 201, response.get_data(as_text=True)


# --- reading -------------------------------------------------------------------------------------

def test_document_has_every_field(client, app, tokens):
    directive_id = ingest(app, pdf(DIRECTIVE), "chi-thi-05.pdf")
    data = pdf(PLAN)
    plan_id = ingest(app, data, "Kế hoạch 27.pdf", as_="off1", fields={"bloc": "K1", "year": "2025"})
    response = get_json(client, f"/documents/{plan_id}", bearer(tokens["viewer"]))
    assert response.status_code == 200
    d = response.get_json()
    assert DOCUMENT_FIELDS <= set(d)
    assert d["id"] == plan_id
    assert (d["type"], d["number"], d["issue_date"], d["year"]) == ("KH", "27/KH-UBND", "2025-01-08", 2025)
    assert d["issuer"] == "Ủy ban nhân dân tỉnh Lam Sơn"
    assert d["signer"] == "Trần Văn Minh" and d["signer_title"]
    assert d["title"] == "Tổ chức hoạt động các Khối thi đua thuộc tỉnh năm 2025"
    assert (d["bloc"], d["unit"]) == ("K1", None)
    assert (d["page_count"], d["text_source"]) == (1, "text")
    assert d["signature"]["signed"] is False
    assert d["sha256"] == hashlib.sha256(data).hexdigest() and d["size"] == len(data)
    assert d["original_name"] == "Kế hoạch 27.pdf"
    assert d["citations"] == [{"number": "05/CT-UBND", "document": directive_id}]
    assert d["cited_by"] == []
    assert d["uploaded_by"] == "off1" and d["uploaded_at"][:4].isdigit()
    assert d["version"] == 1 and d["deleted"] is False
    cited = get_json(client, f"/documents/{directive_id}", bearer(tokens["viewer"])).get_json()
    assert [c["id"] for c in cited["cited_by"]] == [plan_id]
    assert cited["citations"] == []


def test_unresolved_citation_is_null(client, app, tokens):
    plan_id = ingest(app, pdf(PLAN))
    d = get_json(client, f"/documents/{plan_id}", bearer(tokens["viewer"])).get_json()
    assert d["citations"] == [{"number": "05/CT-UBND", "document": None}]


@pytest.fixture
def listing(app, org_data):
    rows = [
        ("27/KH-UBND", "KH", 2025, "K1", None), ("01/GU-K1", "GU", 2025, "K1", None), ("02/GU-K2", "GU", 2025, "K2", None),
        ("11/BC-BDT", "BC", 2025, "K2", "U6"), ("12/BC-BDT", "BC", 2026, "K2", "U6"), ("03/KH-UBND", "KH", 2026, None, None),
    ]
    return {number: new_doc(app, number=number, type=t, year=y, bloc=b, unit=u, issue_date=date(y, 1 + i, 1))
            for i, (number, t, y, b, u) in enumerate(rows)}


@pytest.mark.parametrize("query, expected", [
    ("", {"27/KH-UBND", "01/GU-K1", "02/GU-K2", "11/BC-BDT", "12/BC-BDT", "03/KH-UBND"}),
    ("year=2026", {"12/BC-BDT", "03/KH-UBND"}),
    ("type=GU", {"01/GU-K1", "02/GU-K2"}),
    ("bloc=K2", {"02/GU-K2", "11/BC-BDT", "12/BC-BDT"}),
    ("unit=U6&year=2025", {"11/BC-BDT"}),
    ("bloc=K9", set()),
])
def test_list_filters_and_shape(client, app, tokens, listing, query, expected):
    response = get_json(client, f"/documents?{query}", bearer(tokens["viewer"]))
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"items", "total", "page", "pages"}
    assert {d["number"] for d in body["items"]} == expected
    assert body["total"] == len(expected) and body["page"] == 1 and body["pages"] == 1
    for item in body["items"]:
        assert DOCUMENT_FIELDS - {"citations", "cited_by"} <= set(item)
        assert item["issue_date"] is None or date.fromisoformat(item["issue_date"])


def test_list_paging(client, app, tokens, listing):
    app.config["PORTAL_PAGE_SIZE"] = 4
    first = get_json(client, "/documents", bearer(tokens["viewer"])).get_json()
    second = get_json(client, "/documents?page=2", bearer(tokens["viewer"])).get_json()
    assert (first["total"], first["page"], first["pages"], len(first["items"])) == (6, 1, 2, 4)
    assert (second["total"], second["page"], second["pages"], len(second["items"])) == (6, 2, 2, 2)
    assert {d["id"] for d in first["items"]}.isdisjoint({d["id"] for d in second["items"]})


@pytest.mark.parametrize("query", ["year=abc", "page=x", "type=XYZ"])
def test_list_bad_filters_are_422(client, app, tokens, query):
    assert_error(get_json(client, f"/documents?{query}", bearer(tokens["viewer"])), 422, "validation_failed")


def test_list_query_count_does_not_grow(client, app, tokens):
    def add(n):
        for i in range(n):
            new_doc(app, number=f"{i}/BC-X", type="BC", bloc="K2", unit=f"U{4 + i % 3}", uploaded_by_id=1 + i % 3)

    add(3)
    headers = bearer(tokens["viewer"])
    get_json(client, "/documents", headers)
    with count_queries(app) as few:
        assert len(get_json(client, "/documents", headers).get_json()["items"]) == 3
    add(22)
    with count_queries(app) as many:
        assert len(get_json(client, "/documents", headers).get_json()["items"]) == 25
    assert len(many) == len(few)


def test_file_returns_the_original_bytes(client, app, tokens):
    data = pdf()
    doc_id = ingest(app, data, "Kế hoạch số 27.pdf")
    response = get_json(client, f"/documents/{doc_id}/file", bearer(tokens["viewer"]))
    assert response.status_code == 200
    assert response.data == data
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch%20s%E1%BB%91%2027.pdf" in response.headers["Content-Disposition"]


# --- upload --------------------------------------------------------------------------------------

def test_upload_returns_the_stored_document_and_what_was_detected(client, app, tokens):
    data = pdf()
    response = upload(client, data, "ke-hoach-27.pdf", headers=bearer(tokens["admin"]))
    assert response.status_code == 201
    body = response.get_json()
    assert DOCUMENT_FIELDS <= set(body)
    assert body["number"] == "27/KH-UBND" and body["sha256"] == hashlib.sha256(data).hexdigest()
    detected = body["detected"]
    assert detected["number"] == "27/KH-UBND" and detected["issue_date"] == "2025-01-08" and detected["type"] == "KH"
    assert detected["signer"] == "Trần Văn Minh" and detected["citations"] == ["05/CT-UBND"]
    assert isinstance(body["warnings"], list)
    assert events(app, body["id"]) == ["upload"]
    again = get_json(client, f"/documents/{body['id']}", bearer(tokens["admin"])).get_json()
    assert {k: again[k] for k in DOCUMENT_FIELDS} == {k: body[k] for k in DOCUMENT_FIELDS}


def test_upload_fields_win_and_dates_may_be_vietnamese(client, app, tokens):
    response = upload(client, pdf(), headers=bearer(tokens["admin"]), type="TB", number="99/TB-BTĐKT",
                      issue_date="15/03/2026", year="2026", bloc="K1", title="Thông báo do người dùng nhập")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["type"], body["number"], body["issue_date"], body["year"], body["bloc"], body["title"]) == (
        "TB", "99/TB-BTĐKT", "2026-03-15", 2026, "K1", "Thông báo do người dùng nhập")
    assert body["detected"]["number"] == "27/KH-UBND"  # what was read is still reported


def test_upload_without_a_file_is_422(client, app, tokens):
    error = assert_error(upload(client, None, headers=bearer(tokens["admin"]), title="x"), 422, "validation_failed")
    assert "file" in error["fields"]
    assert count_documents(app) == 0


@pytest.mark.parametrize("make, status, reason", [
    pytest.param(pdf_factory.make_not_pdf, 415, "không phải là tệp PDF", id="not_pdf"),
    pytest.param(pdf_factory.make_truncated_pdf, 422, "bị hỏng", id="damaged"),
    pytest.param(lambda: pdf_factory.make_encrypted_pdf(user_password="bi-mat"), 422, "mật khẩu", id="encrypted"),
    pytest.param(pdf_factory.make_empty_file, 422, "rỗng", id="empty"),
    pytest.param(pdf_factory.make_page_tree_loop_pdf, 422, "bị hỏng", id="page_tree_loop"),
])
def test_refused_uploads(client, app, tokens, make, status, reason):
    before = state(app)
    error = assert_error(upload(client, make(), headers=bearer(tokens["admin"])), status, "document_refused")
    assert reason in error["message"] and "chưa được lưu" in error["message"]
    assert state(app) == before and temp_files(app) == []


def test_too_many_pages_is_422_with_the_numbers(client, app, tokens):
    app.config["PORTAL_PDF_MAX_PAGES"] = 50
    error = assert_error(upload(client, pdf_factory.make_many_pages_pdf(pages=60), headers=bearer(tokens["admin"])), 422)
    assert "60 trang" in error["message"] and "50 trang" in error["message"]
    assert count_documents(app) == 0 and archive_files(app) == []


def test_too_large_is_413(client, app, tokens):
    app.config["PORTAL_UPLOAD_MAX_MB"] = 0
    before = state(app)
    error = assert_error(upload(client, pdf(), headers=bearer(tokens["admin"])), 413)
    assert "giới hạn" in error["message"]
    assert state(app) == before and temp_files(app) == []


def test_a_request_over_the_request_cap_is_413_json(client, app, tokens):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    before = state(app)
    assert_error(upload(client, pdf(), headers=bearer(tokens["admin"])), 413, "too_large")
    assert state(app) == before


def test_duplicate_is_409_pointing_to_the_existing_document(client, app, tokens):
    data = pdf()
    first = upload(client, data, "a.pdf", headers=bearer(tokens["admin"])).get_json()
    before = state(app)
    error = assert_error(upload(client, data, "b.pdf", headers=bearer(tokens["off1"])), 409, "duplicate")
    assert error["current"]["id"] == first["id"]
    assert first["number"] in error["message"] and f"#{first['id']}" not in error["message"]  # no internal id
    assert state(app) == before


def test_duplicate_of_a_trashed_document_says_it_is_in_the_trash(client, app, tokens):
    data = pdf()
    first = upload(client, data, headers=bearer(tokens["admin"])).get_json()
    client.delete(f"{API}/documents/{first['id']}", headers=bearer(tokens["admin"]))
    error = assert_error(upload(client, data, headers=bearer(tokens["admin"])), 409, "duplicate")
    assert error["current"]["id"] == first["id"] and "thùng rác" in error["message"]


def test_bad_metadata_is_422_with_fields_and_stores_nothing(client, app, tokens):
    before = state(app)
    error = assert_error(upload(client, pdf(), headers=bearer(tokens["admin"]), issue_date="31/02/2025", bloc="K9"),
                         422, "validation_failed")
    assert set(error["fields"]) == {"issue_date", "bloc"}
    assert state(app) == before


def test_officer_uploads_for_own_unit_and_leaders_for_their_bloc(client, app, tokens):
    own = upload(client, pdf(), headers=bearer(tokens["off6"]))
    assert own.status_code == 201 and (own.get_json()["unit"], own.get_json()["bloc"]) == ("U6", "K2")
    led = upload(client, pdf(DIRECTIVE), headers=bearer(tokens["off4"]), bloc="K2", year="2025", unit="")
    assert led.status_code == 201 and (led.get_json()["unit"], led.get_json()["bloc"]) == (None, "K2")


@pytest.mark.parametrize("username, fields", [
    ("off6", {"unit": "U1"}),                    # another unit
    ("off6", {"bloc": "K2", "year": "2025"}),   # a member, not the leader, of its bloc
    ("off4", {"bloc": "K2", "year": "2026"}),   # led K2 in 2025, not in 2026
    ("off1", {"unit": ""}),                      # province-wide: the Board's
    ("viewer", {}),
])
def test_upload_refused_by_rights_stores_nothing(client, app, tokens, username, fields):
    before = state(app)
    error = assert_error(upload(client, pdf(), headers=bearer(tokens[username]), **fields), 403, "forbidden")
    assert "không có quyền" in error["message"]
    assert state(app) == before and temp_files(app) == []


# --- PATCH ---------------------------------------------------------------------------------------

def patch(client, doc_id, body, token):
    return client.patch(f"{API}/documents/{doc_id}", json=body, headers=bearer(token))


def test_patch_changes_metadata_with_the_version(client, app, tokens, placed):  # noqa: F811
    doc_id = placed["k1_2025"]
    response = patch(client, doc_id, {"version": 1, "title": "Giao ước đã sửa", "issue_date": "2025-02-03",
                                      "number": "05/GU-K1", "type": "GU"}, tokens["off1"])
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["title"], body["issue_date"], body["number"], body["type"], body["version"]) == (
        "Giao ước đã sửa", "2025-02-03", "05/GU-K1", "GU", 2)
    assert DOCUMENT_FIELDS <= set(body)
    response = patch(client, doc_id, {"version": 2, "issue_date": "04/03/2025"}, tokens["off1"])
    assert response.status_code == 200 and response.get_json()["issue_date"] == "2025-03-04"
    assert events(app, doc_id) == ["update", "update"]


def test_patch_without_version_is_422(client, app, tokens, placed):  # noqa: F811
    before = state(app)
    error = assert_error(patch(client, placed["unit6"], {"title": "x"}, tokens["admin"]), 422, "validation_failed")
    assert "version" in error["fields"]
    assert_error(patch(client, placed["unit6"], {"title": "x", "version": "mot"}, tokens["admin"]), 422)
    assert state(app) == before


def test_stale_patch_is_409_with_the_current_values(client, app, tokens, placed):  # noqa: F811
    doc_id = placed["unit6"]
    assert patch(client, doc_id, {"version": 1, "title": "Bản của Ban TĐKT"}, tokens["admin"]).status_code == 200
    before = state(app)
    error = assert_error(patch(client, doc_id, {"version": 1, "title": "Bản cũ của tôi"}, tokens["off6"]), 409, "conflict")
    assert error["current"]["version"] == 2 and error["current"]["title"] == "Bản của Ban TĐKT"
    assert state(app) == before


@pytest.mark.parametrize("body, fields", [
    ({"version": 1, "sha256": "0" * 64}, None),            # not editable
    ({"version": 1, "deleted": False, "title": "x"}, None),
    ({"version": 1, "issue_date": "31/02/2025"}, {"issue_date"}),
    ({"version": 1, "type": "XYZ"}, {"type"}),
    ({"version": 1, "unit": "U99"}, {"unit"}),
])
def test_bad_patch_is_422_and_changes_nothing(client, app, tokens, placed, body, fields):  # noqa: F811
    before = state(app)
    error = assert_error(patch(client, placed["unit6"], body, tokens["admin"]), 422, "validation_failed")
    if fields:
        assert set(error["fields"]) == fields
    assert state(app) == before


def test_patch_needs_json(client, app, tokens, placed):  # noqa: F811
    response = client.patch(f"{API}/documents/{placed['unit6']}", data="version=1", headers=bearer(tokens["admin"]),
                            content_type="application/x-www-form-urlencoded")
    assert_error(response, 415)


@pytest.mark.parametrize("username, key", [("off1", "unit6"), ("off1", "k1_2026"), ("viewer", "unit6"), ("off6", "province")])
def test_patch_and_delete_refused_by_rights(client, app, tokens, placed, username, key):  # noqa: F811
    before = state(app)
    assert_error(patch(client, placed[key], {"version": 1, "title": "x"}, tokens[username]), 403, "forbidden")
    assert_error(client.delete(f"{API}/documents/{placed[key]}", headers=bearer(tokens[username])), 403, "forbidden")
    assert state(app) == before


# --- trash ---------------------------------------------------------------------------------------

def test_delete_then_restore(client, app, tokens, placed):  # noqa: F811
    doc_id = placed["unit6"]
    response = client.delete(f"{API}/documents/{doc_id}", headers=bearer(tokens["off6"]))
    assert response.status_code == 200
    assert response.get_json()["deleted"] is True and response.get_json()["id"] == doc_id
    listed = get_json(client, "/documents", bearer(tokens["viewer"])).get_json()
    assert doc_id not in {d["id"] for d in listed["items"]} and listed["total"] == 3
    assert_error(get_json(client, f"/documents/{doc_id}", bearer(tokens["viewer"])), 404, "not_found")
    assert len(archive_files(app)) == 4  # the trash keeps the original

    before = state(app)
    assert_error(client.post(f"{API}/documents/{doc_id}/restore", headers=bearer(tokens["off6"])), 403, "forbidden")
    assert_error(client.post(f"{API}/documents/{doc_id}/restore", headers=bearer(tokens["viewer"])), 403, "forbidden")
    assert state(app) == before

    response = client.post(f"{API}/documents/{doc_id}/restore", headers=bearer(tokens["admin"]))
    assert response.status_code == 200 and response.get_json()["deleted"] is False
    assert DOCUMENT_FIELDS <= set(response.get_json())
    assert doc_id in {d["id"] for d in get_json(client, "/documents", bearer(tokens["viewer"])).get_json()["items"]}
    assert events(app, doc_id) == ["delete", "restore"]
    with app.app_context():
        d = db.session.get(Document, doc_id)
        assert d.deleted_at is None and docs.original_file(d).is_file()
