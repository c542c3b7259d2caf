"""JSON API v1, schedule and progress (DESIGN §4): milestones, propose, copy, progress; rights, CSRF, errors."""
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from portal.auth import services as auth_services
from portal.extensions import db
from portal.schedule import services as schedule
from portal.schedule.models import MilestoneCheck
from portal.text import TZ
from tests.unit.test_schedule_services import PLAN_TEXT, add_document, make_schedule

API = "/api/v1"

MILESTONES_2027 = [
    {"seq": 1, "title": "Ký kết giao ước", "starts_on": "2027-01-04", "due_on": "28/02/2027", "scope": "bloc",
     "responsible": "leader", "evidence_type": "GU"},
    {"seq": 2, "title": "Báo cáo tổng kết của đơn vị", "starts_on": None, "due_on": "2027-11-20", "scope": "unit",
     "responsible": "member", "evidence_type": "BC-TK"},
]

# Every route with a request that succeeds for an admin: (method, path, body, status).
ROUTES = [
    ("GET", "/years/2025/milestones", None, 200),
    ("PUT", "/years/2027/milestones", MILESTONES_2027, 200),
    ("POST", "/years/2026/milestones/propose", {"document": "PLAN"}, 200),
    ("POST", "/years/2027/milestones/copy", {"from_year": 2025}, 201),
    ("GET", "/years/2025/progress", None, 200),
]
WRITES = [r for r in ROUTES if r[0] != "GET" and "propose" not in r[1]]


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    monkeypatch.setattr("portal.text.dates.now_local", lambda: datetime(2026, 11, 25, 9, 0, tzinfo=TZ))


@pytest.fixture
def data(app, org_data):
    with app.app_context():
        make_schedule(2025)
        make_schedule(2026)
        add_document(type="GU", bloc="K1", year=2026, issue_date=date(2026, 1, 20), number="01/GU")
        plan = add_document(type="KH", year=2026, text=PLAN_TEXT, number="24/KH-UBND")
        return {"plan": plan.id}


def _body(body, data):
    if isinstance(body, dict) and body.get("document") == "PLAN":
        return {"document": data["plan"]}
    return body


def call(client, method, path, body=None, **kwargs):
    return client.open(API + path, method=method, json=body, **kwargs)


def snapshot(app):
    with app.app_context():
        return ({y: [m.to_dict() for m in schedule.milestones_for_year(y)] for y in (2025, 2026, 2027)},
                db.session.scalar(sa.select(sa.func.count(MilestoneCheck.id))))


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def bearer(app, username):
    with app.app_context():
        token = auth_services.create_token(None, auth_services.get_user(username), "test")
    return {"Authorization": f"Bearer {token}"}


def test_every_schedule_route_is_covered_here_and_documented(app):
    paths = {r[1].replace("2025", "<year>").replace("2026", "<year>").replace("2027", "<year>") for r in ROUTES}
    registered = {rule.rule.replace(API, "") for rule in app.url_map.iter_rules()
                  if rule.endpoint in ("api.get_milestones", "api.put_milestones", "api.propose_milestones",
                                       "api.copy_milestones", "api.get_progress")}
    assert registered == paths
    spec = app.test_client().get(API + "/openapi.json").get_json()["paths"]
    for path in paths:
        assert path.replace("<year>", "{year}") in spec


@pytest.mark.parametrize("method, path, body, status", ROUTES)
def test_anonymous_gets_401(app, client, data, method, path, body, status):
    before = snapshot(app)
    assert_error(call(client, method, path, _body(body, data)), 401, "unauthorized")
    assert snapshot(app) == before


@pytest.mark.parametrize("method, path, body, status", ROUTES)
def test_board_token_works_without_csrf(app, data, method, path, body, status):
    response = call(app.test_client(), method, path, _body(body, data), headers=bearer(app, "admin"))
    assert response.status_code == status, response.get_data(as_text=True)


@pytest.mark.parametrize("method, path, body, status", WRITES + [r for r in ROUTES if "propose" in r[1]])
@pytest.mark.parametrize("username", ["off1", "off2", "viewer"])
def test_writes_are_for_the_board_only(app, data, method, path, body, status, username):
    before = snapshot(app)
    error = assert_error(call(app.test_client(), method, path, _body(body, data), headers=bearer(app, username)), 403, "forbidden")
    assert "không có quyền" in error["message"]
    assert snapshot(app) == before


@pytest.mark.parametrize("method, path, body, status", WRITES)
def test_session_writes_need_the_csrf_header(app, client, auth, data, method, path, body, status):
    auth.login("admin")
    before = snapshot(app)
    assert_error(call(client, method, path, body), 400, "csrf_failed")
    assert snapshot(app) == before
    response = call(client, method, path, body, headers={"X-CSRFToken": auth.csrf()})
    assert response.status_code == status
    assert snapshot(app) != before


@pytest.mark.parametrize("username", ["off1", "viewer"])
def test_everyone_reads_milestones_and_progress(client, auth, data, username):
    auth.login(username)
    body = call(client, "GET", "/years/2025/milestones").get_json()
    assert body["total"] == 5 and body["pages"] == 1
    assert body["items"][0] == {"seq": 1, "title": "Ký kết giao ước thi đua", "starts_on": "2025-01-02", "due_on": "2025-01-31",
                                "scope": "bloc", "responsible": "leader", "evidence_type": "GU"}
    assert call(client, "GET", "/years/2025/progress").status_code == 200


def test_put_replaces_the_year_and_returns_it_with_iso_dates(app, data):
    headers = bearer(app, "admin")
    response = call(app.test_client(), "PUT", "/years/2027/milestones", {"items": MILESTONES_2027}, headers=headers)
    items = response.get_json()["items"]
    assert [(i["seq"], i["starts_on"], i["due_on"], i["evidence_type"]) for i in items] == [
        (1, "2027-01-04", "2027-02-28", "GU"), (2, None, "2027-11-20", "BC-TK")]
    assert call(app.test_client(), "PUT", "/years/2027/milestones", [], headers=headers).get_json()["total"] == 0


@pytest.mark.parametrize("body, field", [
    ([{**MILESTONES_2027[0], "due_on": "31/02/2027"}], "1:due_on"),
    ([MILESTONES_2027[0], {**MILESTONES_2027[1], "scope": "tinh"}], "2:scope"),
    ([{**MILESTONES_2027[0], "title": ""}], "1:title"),
    ([{**MILESTONES_2027[0], "evidence_type": "BC-XX"}], "1:evidence_type"),
    ([{**MILESTONES_2027[0], "starts_on": "2027-03-01"}], "1:starts_on"),
    ([{**MILESTONES_2027[0], "due_on": "2025-01-01"}], "1:due_on"),
    ([{**MILESTONES_2027[0], "title": ["a"]}], "1:title"),
    ([1, 2], "1:_"),
])
def test_put_with_any_bad_row_is_422_naming_it_and_nothing_saved(app, data, body, field):
    make = call(app.test_client(), "PUT", "/years/2027/milestones", MILESTONES_2027, headers=bearer(app, "admin"))
    assert make.status_code == 200
    before = snapshot(app)
    error = assert_error(call(app.test_client(), "PUT", "/years/2027/milestones", body, headers=bearer(app, "admin")),
                         422, "validation_failed")
    assert field in error["fields"]
    assert snapshot(app) == before


@pytest.mark.parametrize("body", [{"items": "x"}, {"a": 1}, "text"])
def test_put_with_a_body_that_is_not_a_list_is_422(app, data, body):
    assert_error(call(app.test_client(), "PUT", "/years/2027/milestones", body, headers=bearer(app, "admin")), 422,
                 "validation_failed")


def test_not_json_is_415_and_bad_year_422(app, data):
    headers = bearer(app, "admin")
    response = app.test_client().put(API + "/years/2027/milestones", data="x", headers=headers)
    assert_error(response, 415, "unsupported_media_type")
    assert_error(call(app.test_client(), "GET", "/years/abc/milestones", headers=headers), 422, "validation_failed")
    assert_error(call(app.test_client(), "GET", "/years/1990/progress", headers=headers), 422, "validation_failed")


def test_put_keeps_check_offs_of_milestones_kept_by_title(app, data):
    from portal.org import services as org
    from portal.schedule import progress as prog

    with app.app_context():
        m = schedule.milestones_for_year(2026)[0]
        prog.check_off(auth_services.SYSTEM, m, org.get_bloc("K2"), note="Ký bản giấy", done_on=date(2026, 1, 30))
        items = [m.to_dict() for m in schedule.milestones_for_year(2026)]
    items[0]["due_on"] = "15/02/2026"
    items = list(reversed(items))
    for n, item in enumerate(items, start=1):
        item["seq"] = n
    call(app.test_client(), "PUT", "/years/2026/milestones", items, headers=bearer(app, "admin"))
    body = call(app.test_client(), "GET", "/years/2026/progress", headers=bearer(app, "admin")).get_json()
    k2 = body["blocs"][1]["milestones"]
    pledge = next(c for c in k2 if c["due_on"] == "2026-02-15")
    assert pledge["seq"] == 5 and pledge["status"] == "done_on_time" and pledge["evidence"]["kind"] == "manual"
    assert pledge["evidence"]["note"] == "Ký bản giấy" and pledge["evidence"]["checked_by"] == "Hệ thống"


def test_propose_returns_the_read_milestones_without_saving(app, data):
    before = snapshot(app)
    body = call(app.test_client(), "POST", "/years/2026/milestones/propose", {"document": data["plan"]},
                headers=bearer(app, "admin")).get_json()
    assert body["document"] == {"id": data["plan"], "number": "24/KH-UBND", "title": "Văn bản thử"}
    assert [(i["seq"], i["due_on"], i["evidence_type"], i["scope"]) for i in body["items"]] == [
        (1, "2026-02-27", "GU", "bloc"), (2, "2026-06-19", "BC-SK", "bloc"), (3, "2026-12-11", "BB", "board")]
    first = body["items"][0]
    assert PLAN_TEXT[first["source_start"]:first["source_end"]] == first["source_text"]
    assert first["confidence"] in ("high", "low") and isinstance(first["notes"], list)
    assert snapshot(app) == before


@pytest.mark.parametrize("body, status, code", [
    ({}, 422, "validation_failed"),
    ({"document": "abc"}, 422, "validation_failed"),
    ({"document": 99999}, 404, "not_found"),
    ({"document": "DIRECTIVE"}, 422, "validation_failed"),
    (["x"], 400, "bad_request"),
])
def test_propose_errors(app, data, body, status, code):
    if body == {"document": "DIRECTIVE"}:
        with app.app_context():
            body = {"document": add_document(type="CT", text=PLAN_TEXT).id}
    assert_error(call(app.test_client(), "POST", "/years/2026/milestones/propose", body, headers=bearer(app, "admin")), status, code)


def test_copy_moves_dates_and_refuses_to_overwrite_unless_replace(app, data):
    headers = bearer(app, "admin")
    response = call(app.test_client(), "POST", "/years/2027/milestones/copy", {"from_year": 2026}, headers=headers)
    assert response.status_code == 201
    assert [i["due_on"] for i in response.get_json()["items"]][:2] == ["2027-01-31", "2027-06-30"]
    before = snapshot(app)
    error = assert_error(call(app.test_client(), "POST", "/years/2027/milestones/copy", {"from_year": 2025}, headers=headers),
                         409, "conflict")
    assert "đã có lịch" in error["message"]
    assert snapshot(app) == before
    response = call(app.test_client(), "POST", "/years/2027/milestones/copy", {"from_year": 2025, "replace": True}, headers=headers)
    assert response.status_code == 201


@pytest.mark.parametrize("body, status", [({}, 422), ({"from_year": 2020}, 422), ({"from_year": "x"}, 422),
                                          ({"from_year": 2025, "replace": "yes"}, 422), ({"from_year": True}, 422)])
def test_copy_errors_save_nothing(app, data, body, status):
    before = snapshot(app)
    assert_error(call(app.test_client(), "POST", "/years/2027/milestones/copy", body, headers=bearer(app, "admin")), status,
                 "validation_failed")
    assert snapshot(app) == before


def test_progress_shape(app, data):
    body = call(app.test_client(), "GET", "/years/2026/progress", headers=bearer(app, "viewer")).get_json()
    assert body["year"] == 2026 and body["today"] == "2026-11-25"
    assert [b["bloc"] for b in body["blocs"]] == [{"code": "K1", "name": "Khối thi đua số 1"}, {"code": "K2", "name": "Khối thi đua số 2"}]
    k1 = body["blocs"][0]["milestones"]
    assert [c["seq"] for c in k1] == [1, 2, 3, 4, 5]
    assert k1[0]["status"] == "done_on_time" and k1[0]["done_on"] == "2026-01-20"
    assert k1[0]["evidence"]["kind"] == "document" and k1[0]["evidence"]["number"] == "01/GU"
    assert k1[1]["status"] == "overdue" and k1[1]["done_on"] is None and k1[1]["evidence"] is None
    assert k1[2]["units"] == {"done": 0, "late": 0, "total": 3}
    assert k1[3]["status"] == "due_soon" and k1[4]["status"] == "not_open"
    assert body["blocs"][1]["milestones"][0]["status"] == "overdue"


def test_progress_of_a_year_without_schedule(app, data):
    body = call(app.test_client(), "GET", "/years/2024/progress", headers=bearer(app, "admin")).get_json()
    assert body["milestones"] == [] and all(b["milestones"] == [] for b in body["blocs"])
