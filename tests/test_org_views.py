"""Org pages: units, blocs, the year's membership page (with its htmx check fragment), audit log."""
import pytest

from portal.org import services as org
from tests.conftest import count_queries

READ_PAGES = ["/", "/org/units", "/org/blocs", "/org/years/2026/memberships", "/org/units?q=so"]
BOARD_PAGES = ["/org/units/new", "/org/units/U1/edit", "/org/blocs/new", "/org/blocs/K1/edit", "/users", "/org/audit"]
MUTATIONS = [
    ("/org/units/new", {"code": "U9", "name": "Sở Mới", "kind": "so_nganh"}),
    ("/org/units/U1/edit", {"name": "Sở Nội vụ (sửa)", "kind": "so_nganh", "version": "1"}),
    ("/org/blocs/new", {"code": "K9", "name": "Khối mới"}),
    ("/org/blocs/K1/edit", {"name": "Khối sửa", "version": "1"}),
    ("/org/years/2026/memberships", {"bloc-U1": "K1", "role-U1": "leader"}),
    ("/org/years/2026/memberships/check", {"bloc-U1": "K1"}),
    ("/org/years/2027/memberships/copy", {}),
    ("/users", {"username": "x1", "role": "viewer", "password": "12345678"}),
]


@pytest.mark.parametrize("path", READ_PAGES + BOARD_PAGES)
def test_login_required(client, org_data, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path, data", MUTATIONS)
def test_mutations_need_login(client, org_data, path, data):
    from tests.conftest import csrf_from

    token = csrf_from(client.get("/login").text)
    response = client.post(path, data={**data, "csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("username", ["off1", "off2", "viewer"])
@pytest.mark.parametrize("path, data", MUTATIONS)
def test_mutations_are_for_the_board_only(client, auth, app, org_data, username, path, data):
    auth.login(username)
    before = _state(app)
    response = client.post(path, data={**data, "csrf_token": auth.csrf()})
    assert response.status_code == 403
    assert _state(app) == before


@pytest.mark.parametrize("path, data", MUTATIONS)
def test_mutations_without_csrf_are_refused(client, auth, app, org_data, path, data):
    auth.login("admin")
    before = _state(app)
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert _state(app) == before


@pytest.mark.parametrize("username", ["admin", "off1", "viewer"])
@pytest.mark.parametrize("path", READ_PAGES)
def test_read_pages_for_everyone_logged_in(client, auth, org_data, username, path):
    auth.login(username)
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", BOARD_PAGES)
def test_board_pages_refuse_officers(client, auth, org_data, path):
    auth.login("off2")
    response = client.get(path)
    assert response.status_code == 403
    assert "không có quyền" in response.text


def _state(app):
    with app.app_context():
        return ([u.to_dict() for u in org.list_units()], [b.to_dict() for b in org.list_blocs()],
                {y: org.membership_rows(y) for y in (2025, 2026, 2027)})


def test_units_in_vietnamese_order_and_accent_free_search(client, auth, org_data):
    auth.login("admin")
    page = client.get("/org/units").text
    names = ["Ban Dân tộc", "Đài Phát thanh", "Sở Nội vụ", "Sở Tài chính", "Sở Y tế", "Ủy ban nhân dân huyện Bản Mường"]
    positions = [page.index(n) for n in names]
    assert positions == sorted(positions)
    found = client.get("/org/units?q=ban muong").text
    assert "Bản Mường" in found and "Sở Y tế" not in found


def test_active_search_returns_only_the_rows(client, auth, org_data):
    auth.login("admin")
    response = client.get("/org/units?q=dai phat", headers={"HX-Request": "true", "HX-Target": "unit-rows"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<tbody id="unit-rows">')
    assert "Đài Phát thanh" in response.text and "<html" not in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_create_unit_and_audit(client, auth, app, org_data):
    auth.login("admin")
    response = client.post("/org/units/new", data={"csrf_token": auth.csrf(), "code": "sct", "name": "Sở  Công  Thương",
                                                   "short_name": "SCT", "kind": "so_nganh", "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        unit = org.get_unit("SCT")
        assert unit.name == "Sở Công Thương"  # spaces cleaned, code upper-cased
        from portal import audit

        event = audit.events_for("unit", "SCT")[0]
        assert event.actor_name == "admin" and event.action == "create" and event.after["name"] == "Sở Công Thương"


@pytest.mark.parametrize("data, message", [
    ({"code": "", "name": "Sở X", "kind": "so_nganh"}, "Vui lòng nhập mã đơn vị."),
    ({"code": "U1", "name": "Trùng", "kind": "so_nganh"}, "đã được dùng"),
    ({"code": "MÃ SAI", "name": "Sở X", "kind": "so_nganh"}, "chữ in hoa không dấu"),
    ({"code": "U7", "name": "", "kind": "so_nganh"}, "Vui lòng nhập tên đơn vị."),
])
def test_bad_unit_form_shows_message_and_saves_nothing(client, auth, app, org_data, data, message):
    auth.login("admin")
    before = _state(app)
    response = client.post("/org/units/new", data={"csrf_token": auth.csrf(), **data})
    assert response.status_code == 422
    assert message in response.text
    assert _state(app) == before


def test_stale_unit_edit_is_refused(client, auth, app, org_data):
    auth.login("admin")
    token = auth.csrf()
    assert client.post("/org/units/U1/edit", data={"csrf_token": token, "name": "Lần một", "kind": "so_nganh", "version": "1"}).status_code == 302
    response = client.post("/org/units/U1/edit", data={"csrf_token": token, "name": "Lần hai", "kind": "so_nganh", "version": "1"},
                           follow_redirects=True)
    assert "người khác sửa" in response.text
    with app.app_context():
        assert org.get_unit("U1").name == "Lần một"


def test_edit_bloc(client, auth, app, org_data):
    auth.login("admin")
    response = client.post("/org/blocs/K2/edit", data={"csrf_token": auth.csrf(), "name": "Khối Kinh tế", "version": "1", "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert org.get_bloc("K2").name == "Khối Kinh tế"


def test_blocs_page_shows_the_years_leaders(client, auth, org_data):
    auth.login("viewer")
    page = client.get("/org/blocs?year=2025").text
    assert "Sở Nội vụ" in page  # U1 leads K1 in 2025
    page = client.get("/org/blocs?year=2026").text
    k1_row = page[page.index("Khối thi đua số 1"):]
    assert k1_row.index("Sở Tài chính") < k1_row.index("Khối thi đua số 2")  # U2 leads K1 in 2026


def _membership_form(app, year, changes=None):
    with app.app_context():
        rows = {r.unit: r for r in org.membership_rows(year)}
    data = {}
    for code, row in rows.items():
        data[f"bloc-{code}"] = row.bloc
        data[f"role-{code}"] = row.role
    data.update(changes or {})
    return data


def test_save_memberships_rotates_the_leader(client, auth, app, org_data):
    auth.login("admin")
    data = _membership_form(app, 2026, {"role-U2": "member", "role-U1": "leader"})
    response = client.post("/org/years/2026/memberships", data={"csrf_token": auth.csrf(), **data})
    assert response.status_code == 302
    with app.app_context():
        assert org.leader_of(org.get_bloc("K1").id, 2026).unit.code == "U1"


def test_invalid_memberships_save_nothing_and_say_why(client, auth, app, org_data):
    auth.login("admin")
    before = _state(app)
    data = _membership_form(app, 2026, {"role-U1": "leader"})  # now K1 has two leaders
    response = client.post("/org/years/2026/memberships", data={"csrf_token": auth.csrf(), **data})
    assert response.status_code == 422
    assert "có 2 Trưởng khối" in response.text
    assert "chưa có thay đổi nào được lưu" in response.text
    assert _state(app) == before


def test_check_fragment_reports_problems_without_saving(client, auth, app, org_data):
    auth.login("admin")
    before = _state(app)
    data = _membership_form(app, 2026, {"role-U2": "member"})  # K1 without a leader
    response = client.post("/org/years/2026/memberships/check", data={"csrf_token": auth.csrf(), **data},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="membership-check"')
    assert "chưa có Trưởng khối" in response.text
    assert _state(app) == before


def test_copy_from_last_year_then_refuse_to_overwrite(client, auth, app, org_data):
    auth.login("admin")
    response = client.post("/org/years/2027/memberships/copy", data={"csrf_token": auth.csrf()}, follow_redirects=True)
    assert "Đã sao chép" in response.text
    with app.app_context():
        assert org.membership_rows(2027) == org.membership_rows(2026)
    response = client.post("/org/years/2027/memberships/copy", data={"csrf_token": auth.csrf()}, follow_redirects=True)
    assert "đã có danh sách" in response.text


def test_memberships_page_read_only_for_officers(client, auth, org_data):
    auth.login("off1")
    page = client.get("/org/years/2026/memberships").text
    assert "<select" not in page
    assert "Trưởng khối" in page


def test_membership_page_query_count_does_not_grow_with_units(client, auth, app, org_data):
    auth.login("admin")
    client.get("/org/years/2026/memberships")
    with count_queries(app) as small:
        client.get("/org/years/2026/memberships")
    with app.app_context():
        for i in range(40):
            org.create_unit(None, {"code": f"X{i}", "name": f"Đơn vị thêm {i}", "kind": "khac"})
        rows = org.membership_rows(2026) + [org.MembershipRow(f"X{i}", "K2", "member") for i in range(40)]
        org.replace_memberships(None, 2026, rows)
    with count_queries(app) as large:
        client.get("/org/years/2026/memberships")
    assert len(large) == len(small)


def test_audit_page_lists_changes(client, auth, app, org_data):
    auth.login("admin")
    client.post("/org/blocs/K2/edit", data={"csrf_token": auth.csrf(), "name": "Khối Kinh tế", "version": "1"})
    page = client.get("/org/audit", follow_redirects=True).text
    assert "Sửa khối Khối Kinh tế" in page
