"""JSON API v1, org part (DESIGN §4): auth (session + CSRF, bearer), rights, bodies, errors, spec."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.audit import AuditEvent
from portal.auth import services as auth_services
from portal.auth.models import ApiToken, User
from portal.extensions import db
from portal.org import services as org
from portal.org.models import Bloc, Membership, Unit
from portal.text import utcnow
from tests.conftest import PASSWORD, AuthActions, count_queries

API = "/api/v1"

MEMBERSHIPS_2027 = [{"unit": "U1", "bloc": "K1", "role": "leader"}, {"unit": "U2", "bloc": "K1", "role": "member"},
                    {"unit": "U4", "bloc": "K2", "role": "leader"}, {"unit": "U5", "bloc": "K2"}]

# Every route of the org API with a request that succeeds for an admin: (method, path, json body, status).
ROUTES = [
    ("GET", "/me", None, 200),
    ("GET", "/units", None, 200),
    ("GET", "/units/U1", None, 200),
    ("POST", "/units", {"code": "U7", "name": "Sở Xây dựng", "short_name": "SXD", "kind": "so_nganh"}, 201),
    ("GET", "/blocs", None, 200),
    ("GET", "/blocs/K1", None, 200),
    ("POST", "/blocs", {"code": "K3", "name": "Khối thi đua số 3"}, 201),
    ("GET", "/years/2025/memberships", None, 200),
    ("PUT", "/years/2027/memberships", MEMBERSHIPS_2027, 200),
    ("POST", "/users", {"username": "moi", "password": "mat-khau-moi-1", "role": "officer", "unit": "U3"}, 201),
]
# Routes of portal/api/users.py besides POST /users are covered by tests/test_api_users.py.


def params(routes):
    return [pytest.param(*route, id=f"{route[0]} {route[1]}") for route in routes]


ALL = params(ROUTES)
READS = params(r for r in ROUTES if r[0] == "GET")
WRITES = params(r for r in ROUTES if r[0] != "GET")


def token_for(app, username: str) -> str:
    with app.app_context():
        return auth_services.create_token(None, auth_services.get_user(username), "test")


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def snapshot(app) -> dict:
    """Everything an org write could change, to prove a refused request changed nothing."""
    with app.app_context():
        return {
            "units": sorted((u.code, u.name, u.version) for u in db.session.scalars(sa.select(Unit))),
            "blocs": sorted((b.code, b.name) for b in db.session.scalars(sa.select(Bloc))),
            "memberships": sorted((m.unit.code, m.bloc.code, m.year, m.role) for m in db.session.scalars(sa.select(Membership))),
            "users": sorted(db.session.scalars(sa.select(User.username))),
            "audit": db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)),
        }


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    message = body["error"]["message"]
    assert isinstance(message, str) and message
    assert "Traceback" not in response.get_data(as_text=True)
    return body["error"]


def call(client, method, path, body=None, **kwargs):
    return client.open(API + path, method=method, json=body, **kwargs)


@pytest.fixture
def admin_token(app, org_data):
    return token_for(app, "admin")


# --- authentication ------------------------------------------------------------------------------

def test_routes_list_covers_every_org_api_rule(app):
    """The parametrized tests below must cover every route of the org API (portal/api/views.py)."""
    registered = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        in_scope = view.__module__ == "portal.api.views" or rule.endpoint == "api.create_user"
        if rule.rule.startswith(API) and in_scope and rule.endpoint != "api.openapi":
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                registered.add((method, re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(API):])))
    tested = {(m, re.sub(r"/(U1|K1)$", "/{code}", re.sub(r"/years/\d+/", "/years/{year}/", p))) for m, p, _b, _s in ROUTES}
    assert registered == tested


@pytest.mark.parametrize("method, path, body, status", ALL)
def test_anonymous_gets_401_json(app, client, org_data, method, path, body, status):
    before = snapshot(app)
    error = assert_error(call(client, method, path, body), 401, "unauthorized")
    assert "đăng nhập" in error["message"]
    assert snapshot(app) == before


@pytest.mark.parametrize("method, path, body, status", WRITES)
def test_anonymous_write_with_a_csrf_token_still_gets_401(app, client, auth, org_data, method, path, body, status):
    token = auth.csrf("/login")
    assert_error(call(client, method, path, body, headers={"X-CSRFToken": token}), 401, "unauthorized")


@pytest.mark.parametrize("username", ["admin", "off1", "viewer"])
def test_session_reads(client, auth, org_data, username):
    auth.login(as_=username)
    for method, path, _body, _status in (p.values for p in READS):
        response = call(client, method, path)
        assert response.status_code == 200, (username, path)
        assert response.is_json


@pytest.mark.parametrize("method, path, body, status", WRITES)
def test_session_write_needs_csrf_header(app, client, auth, org_data, method, path, body, status):
    auth.login(as_="admin")
    before = snapshot(app)
    error = assert_error(call(client, method, path, body), 400, "csrf_failed")
    assert "CSRF" in error["message"]
    assert_error(call(client, method, path, body, headers={"X-CSRFToken": "sai-ma"}), 400, "csrf_failed")
    assert snapshot(app) == before
    response = call(client, method, path, body, headers={"X-CSRFToken": auth.csrf()})
    assert response.status_code == status, response.get_data(as_text=True)
    assert snapshot(app) != before


@pytest.mark.parametrize("method, path, body, status", ALL)
def test_bearer_token_works_without_csrf(app, admin_token, method, path, body, status):
    client = app.test_client()  # no cookie at all
    response = call(client, method, path, body, headers=bearer(admin_token))
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    assert "Set-Cookie" not in response.headers  # a token call never starts a session


@pytest.mark.parametrize("header", ["Bearer tdp_khong-hop-le", "Bearer ", "bearer " + "x" * 300])
def test_bad_token_is_401(app, org_data, header):
    client = app.test_client()
    error = assert_error(client.get(f"{API}/me", headers={"Authorization": header}), 401, "unauthorized")
    assert "Mã API" in error["message"]
    assert_error(client.post(f"{API}/units", json=ROUTES[3][2], headers={"Authorization": header}), 401, "unauthorized")


def test_revoked_token_is_401(app, admin_token):
    client = app.test_client()
    assert client.get(f"{API}/me", headers=bearer(admin_token)).status_code == 200
    with app.app_context():
        row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(admin_token)))
        row.revoked_at = utcnow()
        db.session.commit()
    assert_error(client.get(f"{API}/me", headers=bearer(admin_token)), 401, "unauthorized")


def test_token_of_a_deactivated_account_is_401(app, org_data):
    token = token_for(app, "off1")
    with app.app_context():
        auth_services.get_user("off1").active = False
        db.session.commit()
    assert_error(app.test_client().get(f"{API}/me", headers=bearer(token)), 401, "unauthorized")


def test_token_records_last_use_at_most_hourly(app, admin_token):
    client = app.test_client()
    client.get(f"{API}/me", headers=bearer(admin_token))
    with app.app_context():
        row = db.session.scalar(sa.select(ApiToken))
        first = row.last_used_at
        assert first is not None
        row.last_used_at = utcnow() - timedelta(minutes=10)
        db.session.commit()
        recent = row.last_used_at
    client.get(f"{API}/me", headers=bearer(admin_token))
    with app.app_context():
        assert db.session.scalar(sa.select(ApiToken)).last_used_at.replace(tzinfo=None) == recent.replace(tzinfo=None)


def test_the_spec_is_public(app):
    response = app.test_client().get(f"{API}/openapi.json")
    assert response.status_code == 200


# --- rights --------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path, body, status", WRITES)
def test_officers_and_viewers_cannot_write(app, org_data, method, path, body, status):
    # off1 leads K1 in 2025 and off2 in 2026: leading a bloc gives no right over the org.
    for username in ("off1", "off2", "viewer"):
        before = snapshot(app)
        client = app.test_client()
        actions = AuthActions(client)
        actions.login(as_=username)
        error = assert_error(call(client, method, path, body, headers={"X-CSRFToken": actions.csrf()}), 403, "forbidden")
        assert "không có quyền" in error["message"]
        token = token_for(app, username)
        assert_error(call(app.test_client(), method, path, body, headers=bearer(token)), 403, "forbidden")
        after = snapshot(app)
        after["audit"] -= 1  # creating the token is audited
        assert after == before, username


# --- units and blocs -----------------------------------------------------------------------------

def test_list_units_shape_and_vietnamese_order(client, auth, org_data):
    auth.login()
    body = client.get(f"{API}/units").get_json()
    assert set(body) == {"items", "total", "page", "pages"}
    assert (body["total"], body["page"], body["pages"]) == (6, 1, 1)
    assert [u["name"] for u in body["items"]] == ["Ban Dân tộc", "Đài Phát thanh và Truyền hình tỉnh", "Sở Nội vụ",
                                                  "Sở Tài chính", "Sở Y tế", "Ủy ban nhân dân huyện Bản Mường"]
    assert body["items"][2] == {"code": "U1", "name": "Sở Nội vụ", "short_name": "Đơn vị 1", "kind": "so_nganh", "active": True}


def test_list_units_search_without_accents(client, auth, org_data):
    auth.login(as_="viewer")
    body = client.get(f"{API}/units", query_string={"q": "ban muong"}).get_json()
    assert [u["code"] for u in body["items"]] == ["U3"]
    assert body["total"] == 1


def test_list_pages(app, client, auth, org_data):
    with app.app_context():
        for i in range(1, 131):
            org.create_unit(None, {"code": f"X{i:03d}", "name": f"Xã số {i:03d}"}, commit=False)
        db.session.commit()
    auth.login()
    first = client.get(f"{API}/units").get_json()
    assert (first["total"], first["page"], first["pages"], len(first["items"])) == (136, 1, 2, 100)
    second = client.get(f"{API}/units?page=2").get_json()
    assert (second["total"], second["page"], second["pages"], len(second["items"])) == (136, 2, 2, 36)
    assert not {u["code"] for u in first["items"]} & {u["code"] for u in second["items"]}
    beyond = client.get(f"{API}/units?page=9").get_json()
    assert beyond["items"] == [] and beyond["page"] == 9
    assert_error(client.get(f"{API}/units?page=abc"), 400, "bad_request")


def test_list_units_query_count_does_not_grow_with_units(app, client, auth, org_data):
    auth.login()
    client.get(f"{API}/units")  # warm up (login bookkeeping)
    with count_queries(app) as statements:
        assert client.get(f"{API}/units").status_code == 200
    few = len(statements)
    with app.app_context():
        for i in range(60):
            org.create_unit(None, {"code": f"N{i}", "name": f"Đơn vị mới {i}"}, commit=False)
        db.session.commit()
    with count_queries(app) as statements:
        body = client.get(f"{API}/units").get_json()
    assert body["total"] == 66
    assert len(statements) == few
    assert few <= 3


def test_get_one_unit_and_bloc(client, auth, org_data):
    auth.login(as_="off4")
    assert client.get(f"{API}/units/u3").get_json() == {
        "code": "U3", "name": "Ủy ban nhân dân huyện Bản Mường", "short_name": "Đơn vị 3", "kind": "so_nganh", "active": True}
    assert client.get(f"{API}/blocs/K2").get_json() == {"code": "K2", "name": "Khối thi đua số 2", "active": True}
    error = assert_error(client.get(f"{API}/units/NOPE"), 404, "not_found")
    assert "NOPE" in error["message"]
    assert_error(client.get(f"{API}/blocs/K9"), 404, "not_found")


def test_create_unit(app, client, auth, org_data):
    auth.login()
    response = client.post(f"{API}/units", json={"code": "sxd", "name": " Sở  Xây dựng ", "short_name": "SXD", "kind": "so_nganh"},
                           headers={"X-CSRFToken": auth.csrf()})
    assert response.status_code == 201
    assert response.get_json() == {"code": "SXD", "name": "Sở Xây dựng", "short_name": "SXD", "kind": "so_nganh", "active": True}
    with app.app_context():
        assert org.get_unit("SXD").name == "Sở Xây dựng"
        [event] = [e for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.object_id == "SXD"))]
        assert event.actor_name == "admin"


@pytest.mark.parametrize("body, field", [
    ({"code": "U1", "name": "Trùng mã"}, "code"),
    ({"code": "U 9", "name": "Mã có dấu cách"}, "code"),
    ({"code": "U9", "name": ""}, "name"),
    ({"code": "U9", "name": "Sở", "kind": "bo"}, "kind"),
    ({"code": "U9", "name": 12}, "name"),            # not text: a 422, not a 500
    ({"code": "U9", "name": "Sở", "kind": ["so_nganh"]}, "kind"),
])
def test_create_unit_validation_is_422_with_fields(app, admin_token, body, field):
    before = snapshot(app)
    response = app.test_client().post(f"{API}/units", json=body, headers=bearer(admin_token))
    error = assert_error(response, 422, "validation_failed")
    assert field in error["fields"]
    assert error["message"] == "Thông tin đơn vị chưa hợp lệ."
    assert snapshot(app) == before


def test_duplicate_unit_code_message(app, admin_token):
    response = app.test_client().post(f"{API}/units", json={"code": "u1", "name": "Trùng"}, headers=bearer(admin_token))
    error = assert_error(response, 422, "validation_failed")
    assert error["fields"] == {"code": "Mã U1 đã được dùng cho đơn vị khác."}


BAD_BODIES = [
    ({"data": "code=U9&name=Sở", "content_type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
    ({"data": '{"code": "U9", "name": "Sở"}', "content_type": "text/plain"}, 415, "unsupported_media_type"),
    ({"data": '{"code": "U9", "name": ', "content_type": "application/json"}, 400, "bad_request"),
    ({"data": "", "content_type": "application/json"}, 400, "bad_request"),
    ({"json": [{"code": "U9", "name": "Sở"}]}, 400, "bad_request"),
    ({"json": "U9"}, 400, "bad_request"),
]


@pytest.mark.parametrize("path", ["/units", "/blocs", "/users"])
def test_bad_bodies(app, admin_token, path):
    before = snapshot(app)
    for kwargs, status, code in BAD_BODIES:
        response = app.test_client().post(API + path, headers=bearer(admin_token), **kwargs)
        error = assert_error(response, status, code)
        assert "JSON" in error["message"], (path, kwargs)
    assert snapshot(app) == before


def test_bad_membership_bodies(app, admin_token):
    before = snapshot(app)
    for kwargs, status, code in BAD_BODIES[:4]:
        assert_error(app.test_client().put(f"{API}/years/2025/memberships", headers=bearer(admin_token), **kwargs), status, code)
    assert snapshot(app) == before


def test_create_bloc(app, client, auth, org_data):
    auth.login()
    response = client.post(f"{API}/blocs", json={"code": "k3", "name": "Khối các Doanh nghiệp"}, headers={"X-CSRFToken": auth.csrf()})
    assert response.status_code == 201
    assert response.get_json() == {"code": "K3", "name": "Khối các Doanh nghiệp", "active": True}
    codes = [b["code"] for b in client.get(f"{API}/blocs").get_json()["items"]]
    assert codes == ["K1", "K2", "K3"]
    error = assert_error(client.post(f"{API}/blocs", json={"code": "K3", "name": "Lại"}, headers={"X-CSRFToken": auth.csrf()}),
                         422, "validation_failed")
    assert error["fields"] == {"code": "Mã K3 đã được dùng cho khối khác."}
    error = assert_error(client.post(f"{API}/blocs", json={"code": "K4"}, headers={"X-CSRFToken": auth.csrf()}), 422, "validation_failed")
    assert error["fields"] == {"name": "Vui lòng nhập tên khối."}


def test_list_blocs_shape(client, auth, org_data):
    auth.login(as_="off6")
    body = client.get(f"{API}/blocs").get_json()
    assert body == {"items": [{"code": "K1", "name": "Khối thi đua số 1", "active": True},
                              {"code": "K2", "name": "Khối thi đua số 2", "active": True}],
                    "total": 2, "page": 1, "pages": 1}


# --- memberships ---------------------------------------------------------------------------------

def test_get_memberships(client, auth, org_data):
    auth.login(as_="viewer")
    body = client.get(f"{API}/years/2026/memberships").get_json()
    assert body["year"] == 2026
    assert (body["total"], body["page"], body["pages"]) == (6, 1, 1)
    assert body["items"] == [
        {"unit": "U2", "bloc": "K1", "role": "leader"}, {"unit": "U3", "bloc": "K1", "role": "deputy"},
        {"unit": "U1", "bloc": "K1", "role": "member"}, {"unit": "U5", "bloc": "K2", "role": "leader"},
        {"unit": "U6", "bloc": "K2", "role": "member"}, {"unit": "U4", "bloc": "K2", "role": "member"},
    ]
    empty = client.get(f"{API}/years/2030/memberships").get_json()
    assert (empty["items"], empty["total"]) == ([], 0)


@pytest.mark.parametrize("wrap", [lambda items: items, lambda items: {"items": items}], ids=["bare-array", "items-object"])
def test_put_memberships_replaces_the_year(app, admin_token, wrap):
    client = app.test_client()
    rotated = [{"unit": "U1", "bloc": "K1", "role": "deputy"}, {"unit": "U2", "bloc": "K1", "role": "leader"},
               {"unit": "U3", "bloc": "K1", "role": "member"}, {"unit": "U4", "bloc": "K2", "role": "leader"},
               {"unit": "U5", "bloc": "K2", "role": "deputy"}, {"unit": "U6", "bloc": "K2", "role": "member"}]
    response = client.put(f"{API}/years/2025/memberships", json=wrap(rotated), headers=bearer(admin_token))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["year"] == 2025 and body["changed"] == 2 and body["total"] == 6
    triples = sorted((i["unit"], i["bloc"], i["role"]) for i in body["items"])
    assert triples == sorted((i["unit"], i["bloc"], i["role"]) for i in rotated)
    fetched = client.get(f"{API}/years/2025/memberships", headers=bearer(admin_token)).get_json()
    assert fetched["items"] == body["items"]
    # The other year is untouched.
    assert client.get(f"{API}/years/2026/memberships", headers=bearer(admin_token)).get_json()["items"][0] == \
        {"unit": "U2", "bloc": "K1", "role": "leader"}


def test_put_same_memberships_changes_nothing(app, admin_token):
    client = app.test_client()
    current = client.get(f"{API}/years/2026/memberships", headers=bearer(admin_token)).get_json()["items"]
    before = snapshot(app)
    response = client.put(f"{API}/years/2026/memberships", json=current, headers=bearer(admin_token))
    assert response.get_json()["changed"] == 0
    assert snapshot(app) == before


@pytest.mark.parametrize("items, fields", [
    ([{"unit": "U1", "bloc": "K1", "role": "leader"}, {"unit": "U2", "bloc": "K1", "role": "leader"}], {"bloc:K1"}),
    ([{"unit": "U1", "bloc": "K1", "role": "leader"}, {"unit": "U9", "bloc": "K1"}], {"unit:U9"}),
    ([{"unit": "U1", "bloc": "K1", "role": "leader"}, {"unit": "U2", "bloc": "K9"}], {"unit:U2"}),
    ([{"unit": "U1", "bloc": "K1", "role": "leader"}, {"unit": "U1", "bloc": "K2", "role": "leader"}], {"unit:U1"}),
    ([{"unit": "U1", "bloc": "K1", "role": "chief"}], {"unit:U1", "bloc:K1"}),
    ([{"unit": "U1", "bloc": "K1", "role": "leader"}, {"unit": "U2", "bloc": "K1", "role": "deputy"},
      {"unit": "U3", "bloc": "K1", "role": "deputy"}, {"unit": "U4", "bloc": "K2", "role": "member"}], {"bloc:K1", "bloc:K2"}),
])
def test_put_bad_memberships_is_422_per_row_and_changes_nothing(app, admin_token, items, fields):
    before = snapshot(app)
    response = app.test_client().put(f"{API}/years/2025/memberships", json=items, headers=bearer(admin_token))
    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == fields
    assert all(isinstance(m, str) and m for m in error["fields"].values())
    assert error["message"] == "Danh sách thành viên năm 2025 chưa hợp lệ; chưa có thay đổi nào được lưu."
    assert snapshot(app) == before


@pytest.mark.parametrize("body", [{"items": "U1"}, {"rows": []}, [{"unit": "U1"}], ["U1"], 5])
def test_put_malformed_membership_list_is_422(app, admin_token, body):
    before = snapshot(app)
    response = app.test_client().put(f"{API}/years/2025/memberships", json=body, headers=bearer(admin_token))
    assert_error(response, 422, "validation_failed")
    assert snapshot(app) == before


@pytest.mark.parametrize("year, message", [("abc", "Năm không hợp lệ: abc."), ("1800", "Năm phải từ 2000 đến 2100."),
                                           ("2101", "Năm phải từ 2000 đến 2100.")])
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_bad_year_is_422(app, admin_token, year, message, method):
    before = snapshot(app)
    response = app.test_client().open(f"{API}/years/{year}/memberships", method=method, json=MEMBERSHIPS_2027,
                                      headers=bearer(admin_token))
    error = assert_error(response, 422, "validation_failed")
    assert error["message"] == message
    assert snapshot(app) == before


# --- users ---------------------------------------------------------------------------------------

def test_create_user_then_it_can_log_in(app, client, auth, org_data):
    auth.login()
    response = client.post(f"{API}/users", json={"username": "Can.Bo.Moi", "password": "mat-khau-du-dai", "role": "officer",
                                                   "unit": "u3", "full_name": "Lò Văn Mới"}, headers={"X-CSRFToken": auth.csrf()})
    assert response.status_code == 201
    assert response.get_json() == {"username": "can.bo.moi", "full_name": "Lò Văn Mới", "role": "officer", "unit": "U3",
                                   "active": True, "last_login": None}
    other = app.test_client()
    assert AuthActions(other).login(as_="can.bo.moi", password="mat-khau-du-dai").status_code == 302
    me = other.get(f"{API}/me").get_json()
    assert me["unit"] == "U3" and me["role"] == "officer"


def test_create_user_with_a_numeric_unit_code_means_the_code(app, admin_token):
    with app.app_context():
        org.create_unit(None, {"code": "5", "name": "Đơn vị mã năm"})
    # Unit U1 has id 1 and so on; {"unit": 1} must not pick a unit by its internal id.
    client = app.test_client()
    response = client.post(f"{API}/users", json={"username": "so5", "password": "mat-khau-du-dai", "role": "officer", "unit": 5},
                           headers=bearer(admin_token))
    assert response.status_code == 201 and response.get_json()["unit"] == "5"
    response = client.post(f"{API}/users", json={"username": "so1", "password": "mat-khau-du-dai", "role": "officer", "unit": 1},
                           headers=bearer(admin_token))
    error = assert_error(response, 422, "validation_failed")
    assert error["fields"] == {"unit": "Không tìm thấy đơn vị 1."}


@pytest.mark.parametrize("body, fields", [
    ({"username": "cb", "password": "mat-khau-du-dai", "role": "officer"}, {"unit": "Cán bộ của đơn vị phải gắn với một đơn vị."}),
    ({"username": "cb", "password": "ngan", "role": "viewer"}, {"password": "Mật khẩu cần ít nhất 8 ký tự."}),
    ({"username": "off1", "password": "mat-khau-du-dai", "role": "viewer"}, {"username": "Tên đăng nhập off1 đã tồn tại."}),
    ({"username": "cb", "password": "mat-khau-du-dai", "role": "officer", "unit": "U9"}, {"unit": "Không tìm thấy đơn vị U9."}),
    ({"username": "cb", "password": "mat-khau-du-dai", "role": "boss"}, {"role": "Vai trò phải là admin, officer hoặc viewer."}),
    ({"username": "Cán bộ", "password": "mat-khau-du-dai", "role": "viewer"}, None),
])
def test_create_user_validation(app, admin_token, body, fields):
    before = snapshot(app)
    error = assert_error(app.test_client().post(f"{API}/users", json=body, headers=bearer(admin_token)), 422, "validation_failed")
    if fields is None:
        assert set(error["fields"]) == {"username"}
    else:
        assert error["fields"] == fields
    assert error["message"] == "Thông tin tài khoản chưa hợp lệ."
    assert snapshot(app) == before


# --- me ------------------------------------------------------------------------------------------

def test_me_for_admin(client, auth, org_data):
    auth.login()
    assert client.get(f"{API}/me").get_json() == {"username": "admin", "full_name": "Nguyễn Văn Quản", "role": "admin",
                                                  "unit": None, "memberships": {}}


def test_me_for_an_officer_whose_unit_rotates(app, org_data):
    # U1 leads K1 in 2025 and is a plain member in 2026.
    body = app.test_client().get(f"{API}/me", headers=bearer(token_for(app, "off1"))).get_json()
    assert body == {"username": "off1", "full_name": "Cán bộ 1", "role": "officer", "unit": "U1",
                    "memberships": {"2025": {"bloc": "K1", "role": "leader"}, "2026": {"bloc": "K1", "role": "member"}}}
    body = app.test_client().get(f"{API}/me", headers=bearer(token_for(app, "off4"))).get_json()
    assert body["memberships"] == {"2025": {"bloc": "K2", "role": "leader"}, "2026": {"bloc": "K2", "role": "member"}}


def test_me_follows_a_membership_change(app, admin_token):
    client = app.test_client()
    client.put(f"{API}/years/2027/memberships", json=MEMBERSHIPS_2027, headers=bearer(admin_token))
    body = client.get(f"{API}/me", headers=bearer(token_for(app, "off2"))).get_json()
    assert body["memberships"]["2027"] == {"bloc": "K1", "role": "member"}
    assert list(body["memberships"]) == ["2025", "2026", "2027"]


# --- the spec ------------------------------------------------------------------------------------

def test_openapi_describes_every_route(app, client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200 and response.is_json
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]
    assert {s["url"] for s in spec["servers"]} == {API}
    assert "bearer" in spec["components"]["securitySchemes"]
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(API):])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = spec["paths"].get(path, {}).get(method.lower())
            if operation is None:
                missing.append(f"{method} {path}")
                continue
            assert operation.get("summary"), f"{method} {path} has no summary"
            assert operation["responses"], f"{method} {path} has no responses"
            for param in re.findall(r"{(\w+)}", path):
                assert param in [p["name"] for p in operation.get("parameters", [])], f"{method} {path}: {param}"
    assert not missing, f"routes missing from openapi.json: {missing}"


def test_openapi_refs_resolve(client):
    spec = client.get(f"{API}/openapi.json").get_json()
    refs = set()

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.add(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in spec["components"]["schemas"], ref


# --- errors and headers --------------------------------------------------------------------------

def test_unknown_api_path_is_404_json(client, auth, org_data):
    assert_error(client.get(f"{API}/nope"), 404, "not_found")
    auth.login()
    error = assert_error(client.get(f"{API}/nope"), 404, "not_found")
    assert "Không tìm thấy" in error["message"]


def test_wrong_method_is_405_json(app, admin_token):
    assert_error(app.test_client().delete(f"{API}/units", headers=bearer(admin_token)), 405, "method_not_allowed")


def test_unexpected_error_is_500_json_without_details(app, admin_token, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("bí mật: /srv/portal/instance/portal.sqlite3")

    monkeypatch.setattr(org, "list_units", explode)
    response = app.test_client().get(f"{API}/units", headers=bearer(admin_token))
    error = assert_error(response, 500, "internal_error")
    text = response.get_data(as_text=True)
    assert "bí mật" not in text and "RuntimeError" not in text and "sqlite3" not in text and "File \"" not in text
    assert "lỗi hệ thống" in error["message"]


@pytest.mark.parametrize("request_kwargs, status", [
    ({"path": f"{API}/units", "with_token": True}, 200),
    ({"path": f"{API}/units"}, 401),
    ({"path": f"{API}/nope", "with_token": True}, 404),
    ({"path": f"{API}/years/abc/memberships", "with_token": True}, 422),
    ({"path": f"{API}/openapi.json"}, 200),
    ({"path": f"{API}/me", "headers": {"Authorization": "Bearer sai"}}, 401),
])
def test_security_headers_on_every_api_response(app, admin_token, request_kwargs, status):
    kwargs = dict(request_kwargs)
    headers = dict(kwargs.pop("headers", {}))
    if kwargs.pop("with_token", False):
        headers.update(bearer(admin_token))
    response = app.test_client().get(kwargs["path"], headers=headers)
    assert response.status_code == status
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "HX-Request" in response.headers.get("Vary", "")
    assert response.mimetype == "application/json"


def test_authenticated_api_responses_are_not_cached(app, admin_token):
    response = app.test_client().get(f"{API}/me", headers=bearer(admin_token))
    assert response.headers.get("Cache-Control") == "no-store"


def test_session_login_then_logout_ends_api_access(client, auth, org_data):
    auth.login(as_="off2")
    assert client.get(f"{API}/me").get_json()["username"] == "off2"
    auth.logout()
    assert_error(client.get(f"{API}/me"), 401, "unauthorized")


def test_wrong_password_gives_no_api_access(client, auth, org_data):
    auth.login(as_="admin", password=PASSWORD + "x")
    assert_error(client.get(f"{API}/me"), 401, "unauthorized")
