"""Every bad input is a 4xx with a Vietnamese message, and nothing changes: never a 500.

Numbers beyond the database's integers (in URLs, query arguments and JSON), JSON too deep, too large
or not JSON at all, control characters in text fields, and a stale save of the no-JavaScript scoring
sheet; through the API and through the pages, on SQLite and on PostgreSQL (the `app` fixture).
"""
from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.auth import services as accounts
from portal.errors import INT_MAX, ValidationFailed, bounded_int
from portal.extensions import db
from portal.scoring import services as scoring
from portal.text import UnsafeText, check_plain_text, strip_control
from portal.web import JSON_MAX_BYTES, JSON_MAX_DEPTH, json_depth
from tests.test_api_documents import assert_error, bearer, token_for
from tests.test_documents_views import new_doc
from tests.unit.test_scoring_services import build_table

API = "/api/v1"
HUGE = "99999999999999999999"  # beyond 64 bits
INT4 = str(2**31)  # beyond PostgreSQL's integer
# Tables a read or a login writes to (attempts, token use, last login): not what a refused write may change.
VOLATILE = {"login_attempt", "api_token"}
VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.I)


def snapshot(app) -> dict:
    """Every row of every table that a write could change, to prove a refusal changed nothing."""
    with app.app_context():
        out = {}
        for table in db.metadata.sorted_tables:
            if table.name in VOLATILE:
                continue
            columns = [c for c in table.columns if c.name not in ("last_login_at",)]
            rows = db.session.execute(sa.select(*columns).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(r) for r in rows]
        db.session.rollback()
        return out


def vietnamese_error(response, status: int, *words: str) -> dict:
    """The API's error shape with a Vietnamese message (mentioning `words`, in the message or a field's)."""
    error = assert_error(response, status)
    text = " ".join([error["message"], *error.get("fields", {}).values()])
    assert VIETNAMESE.search(text), text
    for word in words:
        assert word in text, f"{word!r} not in {text!r}"
    return error


@pytest.fixture
def board(app, org_data):
    return bearer(token_for(app, "admin"))


@pytest.fixture
def document(app, org_data):
    return new_doc(app, number="12/KH-UBND", type="KH", unit="U1", year=2025, title="Kế hoạch thi đua năm 2025")


def send(client, method: str, path: str, headers: dict, body=None, *, raw: str | bytes | None = None,
         content_type: str = "application/json"):
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    return client.open(API + path, method=method, data=data, content_type=content_type if data is not None else None,
                       headers=headers)


# --- helpers --------------------------------------------------------------------------------------

def test_check_plain_text_refuses_control_characters_and_keeps_line_breaks_in_multiline_fields():
    assert check_plain_text("  Sở\u00a0Nội   vụ\n") == "Sở Nội vụ"
    assert check_plain_text("Dòng 1\r\n\tDòng 2\n", multiline=True) == "Dòng 1\n\tDòng 2"
    assert check_plain_text(None) == ""
    for bad in ("Sở\x00Nội vụ", "\x1b[31mđỏ", "a\x7fb", "a\x85b", "\ud800", "a\x0bb", "a\x1fb"):
        with pytest.raises(UnsafeText) as caught:
            check_plain_text(bad, multiline=True)
        assert caught.value.code.startswith("U+")
    assert strip_control("Trích\x00 yếu\x01 văn bản\n") == "Trích yếu văn bản\n"


def test_bounded_int_and_json_depth():
    assert bounded_int("2025", "year", lo=2000, hi=2100) == 2025
    assert bounded_int(7, "page") == 7 and bounded_int(7.0, "page") == 7
    for bad in (HUGE, INT4, "0", "-1", "1_000", "abc", "", 1.5, True, None, [1], 2**63, "9" * 5000):
        with pytest.raises(ValidationFailed) as caught:
            bounded_int(bad, "page", label="Số trang")
        assert "Số trang phải là số nguyên từ 1 đến 2147483647" in caught.value.message
    assert bounded_int(str(INT_MAX), "id") == INT_MAX
    assert json_depth(1) == 0 and json_depth([]) == 1 and json_depth({"a": [{"b": 1}]}) == 3
    deep: list = []
    for _ in range(10_000):
        deep = [deep]
    assert json_depth(deep) == JSON_MAX_DEPTH + 1  # stops early, no recursion


# --- numbers beyond the database's integers -----------------------------------------------------

ID_ROUTES = [("GET", "/documents/{n}"), ("PATCH", "/documents/{n}"), ("DELETE", "/documents/{n}"),
             ("POST", "/documents/{n}/restore"), ("GET", "/documents/{n}/file"), ("PUT", "/scores/{n}/1/self"),
             ("PUT", "/scores/1/{n}/bloc")]


@pytest.mark.parametrize("number", [HUGE, INT4, "0"])
@pytest.mark.parametrize(("method", "route"), ID_ROUTES)
def test_api_ids_beyond_int4_are_404(client, app, board, document, method, route, number):
    before = snapshot(app)
    body = {"version": 1, "points": "5"} if method in ("PATCH", "PUT") else None
    vietnamese_error(send(client, method, route.format(n=number), board, body), 404)
    assert snapshot(app) == before


@pytest.mark.parametrize("path", [f"/documents/{HUGE}", f"/documents/{INT4}/edit", f"/scoring/cards/{HUGE}",
                                  f"/scoring/cells/{INT4}/1/bloc", f"/progress/milestones/{HUGE}/blocs/K1"])
def test_pages_with_ids_beyond_int4_are_404(client, auth, app, document, path):
    auth.login("admin")
    response = client.get(path)
    assert response.status_code == 404
    assert "Không tìm thấy" in response.text


@pytest.mark.parametrize("path", ["/scoring/3000", "/schedule/1999", "/progress/2147483647", f"/scoring/{HUGE}",
                                  f"/schedule/{HUGE}", f"/progress/{INT4}", "/scoring/0"])
def test_pages_with_years_out_of_range_are_refused_in_vietnamese(client, auth, org_data, path):
    auth.login("admin")
    response = client.get(path)
    assert response.status_code == 422
    assert "Năm phải từ 2000 đến 2100" in response.text


@pytest.mark.parametrize("year", [HUGE, INT4, "1e400", "-5", "1999"])
@pytest.mark.parametrize("route", ["/years/{y}/memberships", "/years/{y}/milestones", "/years/{y}/progress",
                                   "/years/{y}/blocs/K1/criteria", "/years/{y}/blocs/K1/scores", "/years/{y}/blocs/K1/results"])
def test_api_years_out_of_range_are_422(client, board, route, year):
    vietnamese_error(send(client, "GET", route.format(y=year), board), 422, "Năm")


@pytest.mark.parametrize(("query", "word"), [
    (f"/documents?year={HUGE}", "year"), (f"/documents?year={INT4}", "year"), ("/documents?year=3000", "year"),
    (f"/documents?page={HUGE}", "Số trang"), ("/documents?page=0", "Số trang"),
    (f"/search?q=thi+đua&year_from={HUGE}", "year_from"), (f"/search?year_to={INT4}", "year_to"),
    (f"/search?q=x&page={HUGE}", "Số trang"), ("/search?q=x&page=1001", "Số trang"),
])
def test_api_integer_query_arguments_out_of_range_are_422(client, board, query, word):
    vietnamese_error(send(client, "GET", query, board), 422, word)


def test_api_list_page_beyond_int4_is_400(client, board):
    vietnamese_error(send(client, "GET", f"/units?page={HUGE}", board), 400, "Số trang")


def test_documents_page_with_a_year_out_of_range_is_422(client, auth, org_data):
    auth.login("viewer")
    response = client.get(f"/documents?year={HUGE}")
    assert response.status_code == 422 and "Năm (year) phải là số nguyên từ 1900 đến 2200" in response.text


@pytest.mark.parametrize("path", [f"/search?q=thi+đua&year_from={HUGE}", "/search?year_to=-3"])
def test_search_page_says_what_is_wrong_with_a_year_out_of_range(client, auth, org_data, path):
    auth.login("viewer")
    response = client.get(path)  # the form stays usable (also for active search): the message shows above it
    assert response.status_code == 200 and "phải là số nguyên từ 1900 đến 2200" in response.text


def test_plan_reading_page_with_a_document_id_beyond_int4_is_422(client, auth, org_data):
    auth.login("admin")
    response = client.get(f"/schedule/2026/propose?document={HUGE}")
    assert response.status_code == 422 and "Mã văn bản phải là số nguyên từ 1 đến 2147483647" in response.text


def test_documents_page_number_beyond_int4_shows_the_first_page(client, auth, document):
    auth.login("viewer")
    response = client.get(f"/documents?page={HUGE}")
    assert response.status_code == 200 and "12/KH-UBND" in response.text


@pytest.mark.parametrize(("path", "body", "status", "word"), [
    ("/years/2026/milestones/propose", {"document": int(HUGE)}, 422, "Mã văn bản"),
    ("/years/2026/milestones/propose", {"document": 2**31}, 422, "Mã văn bản"),
    ("/years/2026/milestones/propose", {"document": "9" * 5000}, 422, "Mã văn bản"),
    ("/years/2026/milestones/copy", {"from_year": int(HUGE)}, 422, "Năm"),
    ("/years/2026/milestones/copy", {"from_year": 1e300}, 422, "Năm"),
])
def test_api_json_integers_out_of_range_are_refused(client, app, board, path, body, status, word):
    before = snapshot(app)
    vietnamese_error(send(client, "POST", path, board, body), status, word)
    assert snapshot(app) == before


def test_api_score_version_beyond_int4_is_422(client, app, board):
    with app.app_context():
        _table, cards, criteria = build_table()
        card, criterion = cards["U1"].id, criteria[0].id
    before = snapshot(app)
    for version in (int(HUGE), 2**31, "99999999999999999999"):
        vietnamese_error(send(client, "PUT", f"/scores/{card}/{criterion}/bloc", board, {"points": "5", "version": version}),
                         422, "Phiên bản")
    assert snapshot(app) == before


# --- JSON bodies: depth, size, syntax -----------------------------------------------------------

def test_json_nested_100000_deep_is_400(client, app, board):
    before = snapshot(app)
    error = vietnamese_error(send(client, "PUT", "/years/2026/memberships", board, raw="[" * 100_000 + "]" * 100_000), 400,
                             "lồng nhau quá sâu")
    assert error["code"] == "bad_request"
    assert snapshot(app) == before


def test_json_depth_limit(client, app, board):
    too_deep: object = "x"
    for _ in range(JSON_MAX_DEPTH):
        too_deep = [too_deep]
    vietnamese_error(send(client, "PUT", "/years/2026/milestones", board, {"items": too_deep}), 400, "tối đa 32 cấp")
    fine: object = "x"
    for _ in range(10):
        fine = [fine]
    # Deep enough to be odd, not too deep: the service says what is wrong with it instead.
    assert send(client, "PUT", "/years/2026/milestones", board, {"items": fine}).status_code == 422


def test_json_body_over_the_limit_is_413(client, app, board):
    before = snapshot(app)
    big = json.dumps([{"unit": "U1", "bloc": "K1", "role": "member", "pad": "x" * 1000}] * (JSON_MAX_BYTES // 1000))
    assert len(big) > JSON_MAX_BYTES
    error = vietnamese_error(send(client, "PUT", "/years/2026/memberships", board, raw=big), 413)
    assert error["code"] == "too_large"
    assert snapshot(app) == before


@pytest.mark.parametrize("raw", ["{", '{"code": NaN}', '{"code": Infinity}', '{"code": 1e400}', b"\xff\xfe{}", ""])
def test_unreadable_json_is_400(client, app, board, raw):
    before = snapshot(app)
    response = send(client, "POST", "/units", board, raw=raw)
    vietnamese_error(response, 400, "JSON")
    assert snapshot(app) == before


def test_not_json_is_415(client, board):
    vietnamese_error(send(client, "POST", "/units", board, raw="code=U9", content_type="application/x-www-form-urlencoded"),
                     415, "JSON")


# --- control characters ---------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path", "body", "field", "label"), [
    ("POST", "/units", {"code": "U9", "name": "Sở\x00Nội vụ", "kind": "so_nganh"}, "name", "Tên"),
    ("POST", "/units", {"code": "U9", "name": "Sở Nội vụ", "short_name": "SNV\x1b", "kind": "so_nganh"}, "short_name", "Tên viết tắt"),
    ("POST", "/blocs", {"code": "K9", "name": "Khối\x07 9"}, "name", "Tên"),
    ("POST", "/users", {"username": "moi", "password": "mat-khau-dai-du", "role": "viewer", "full_name": "Nguyễn\x00 Văn"},
     "full_name", "Họ và tên"),
    ("POST", "/users", {"username": "moi", "password": "mat-khau\x00-dai", "role": "viewer"}, "password", "Mật khẩu"),
])
def test_api_text_with_control_characters_is_422_naming_the_field(client, app, board, method, path, body, field, label):
    before = snapshot(app)
    error = vietnamese_error(send(client, method, path, board, body), 422)
    assert label in error["fields"][field] and "ký tự điều khiển" in error["fields"][field]
    assert snapshot(app) == before


@pytest.mark.parametrize(("field", "label"), [("title", "Trích yếu"), ("number", "Số, ký hiệu"), ("issuer", "Cơ quan ban hành"),
                                              ("signer", "Người ký")])
def test_api_document_metadata_with_control_characters_is_422(client, app, board, document, field, label):
    before = snapshot(app)
    error = vietnamese_error(send(client, "PATCH", f"/documents/{document}", board, {field: "Văn\x00bản", "version": 1}), 422)
    assert label in error["fields"][field] and "U+0000" in error["fields"][field]
    assert snapshot(app) == before


def test_api_criteria_and_notes_with_control_characters_are_422(client, app, board):
    with app.app_context():
        _table, cards, criteria = build_table()
        card, criterion = cards["U1"].id, criteria[0].id
    before = snapshot(app)
    items = [{"group": "I. Nhiệm vụ", "title": "Hoàn thành\x00 chỉ tiêu", "max_points": "10", "kind": "scored"}]
    error = vietnamese_error(send(client, "PUT", "/years/2026/blocs/K1/criteria", board, {"criteria": items}), 422)
    assert "Nội dung tiêu chí" in error["fields"]["line:1"]
    items = [{"title": "Hoàn thành chỉ tiêu", "max_points": "10", "guidance": "Đủ 100%:\x0c 10 điểm."}]
    error = vietnamese_error(send(client, "PUT", "/years/2026/blocs/K1/criteria", board, {"criteria": items}), 422)
    assert "Hướng dẫn chấm" in error["fields"]["line:1"]
    error = vietnamese_error(send(client, "PUT", f"/scores/{card}/{criterion}/bloc", board,
                                  {"points": "5", "version": 0, "note": "Đã xét\x1b"}), 422)
    assert "Ghi chú" in error["message"]
    assert snapshot(app) == before
    # Line breaks and tabs in a multi-line note are text, not control characters.
    saved = send(client, "PUT", f"/scores/{card}/{criterion}/bloc", board,
                 {"points": "5", "version": 0, "note": "Cột 1\tCột 2\r\nDòng 2"})
    assert saved.status_code == 200 and saved.get_json()["note"] == "Cột 1\tCột 2\nDòng 2"


def test_api_milestone_title_with_control_characters_is_422(client, app, board):
    before = snapshot(app)
    items = [{"title": "Ký kết giao ước", "due_on": "2026-03-31"}, {"title": "Sơ kết\x00", "due_on": "2026-06-30"}]
    error = vietnamese_error(send(client, "PUT", "/years/2026/milestones", board, items), 422)
    assert "Dòng 2" in error["fields"]["2:title"] and "Tên mốc" in error["fields"]["2:title"]
    assert snapshot(app) == before


def test_pages_refuse_control_characters_naming_the_field(client, auth, app, document):
    auth.login("admin")
    before = snapshot(app)
    page = client.get("/org/units/new")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    response = client.post("/org/units/new", data={"csrf_token": token, "code": "U9", "name": "Sở\x01Nội vụ", "kind": "so_nganh"})
    assert response.status_code == 422 and "chứa ký tự điều khiển không được phép" in response.text
    form = form_values(client.get(f"/documents/{document}/edit").text)
    response = client.post(f"/documents/{document}/edit", data={**form, "title": "Kế hoạch\x00 2025"})
    assert response.status_code == 422 and "Trích yếu chứa ký tự điều khiển" in response.text
    assert snapshot(app) == before


def form_values(html: str) -> dict:
    """What a browser would submit from the page's form: inputs' values and each select's chosen option."""
    values = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and 'type="submit"' not in tag and ('type="checkbox"' not in tag or "checked" in tag):
            values[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option[^>]*value="([^"]*)"[^>]*selected', body) or re.search(r'<option[^>]*value="([^"]*)"', body)
        values[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        values[name] = body.strip()
    return values


# --- the no-JavaScript scoring sheet, saved on a stale version -----------------------------------

def test_stale_plain_sheet_save_is_409_showing_the_other_value_and_nothing_saved(client, auth, app, org_data):
    with app.app_context():
        _table, cards, criteria = build_table()
        sc1, sc2, c = cards["U1"].id, cards["U2"].id, criteria[1].id  # out of 20 points
    auth.login("off2")
    page = client.get("/scoring/2026/K1/sheet")
    form = dict(re.findall(r'name="([pv]-\d+-\d+)" value="([^"]*)"', page.text))
    # Meanwhile the Board saves 10.5 in the first cell (the form above still holds version 0).
    with app.app_context():
        card = scoring.get_scorecard(sc1)
        scoring.save_score(accounts.get_user("admin"), card, scoring.get_criterion(card.table, c), "bloc", "10.5", 0)
    before = snapshot(app)
    form.update({f"p-{sc1}-{c}": "9", f"p-{sc2}-{c}": "7"})
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    response = client.post("/scoring/2026/K1/sheet", data={**form, "csrf_token": token})
    assert response.status_code == 409, response.text[:500]
    assert "chưa có điểm nào trong lần lưu này được ghi" in response.text
    assert "Lấy giá trị 10,5" in response.text and "Ghi đè bằng 9" in response.text
    assert snapshot(app) == before
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(db.metadata.tables["score"])) == 1
        assert scoring.read_cell(scoring.get_scorecard(sc1), scoring.get_criterion(scoring.get_scorecard(sc1).table, c),
                                 "bloc").points == Decimal("10.5")
