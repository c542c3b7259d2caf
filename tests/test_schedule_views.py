"""Schedule pages: a year's schedule, the Board's editor (add, remove, reorder, dates), copy, reading the plan."""
import re
from datetime import datetime

import pytest

from portal.schedule import services as schedule
from portal.text import TZ
from tests.conftest import csrf_from
from tests.unit.test_schedule_services import PLAN_TEXT, add_document, make_schedule


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    monkeypatch.setattr("portal.text.dates.now_local", lambda: datetime(2026, 11, 25, 9, 0, tzinfo=TZ))


@pytest.fixture
def data(app, org_data):
    with app.app_context():
        make_schedule(2025)
        plan = add_document(type="KH", year=2026, text=PLAN_TEXT, number="24/KH-UBND")
        return {"plan": plan.id}


def _state(app):
    with app.app_context():
        return {y: [m.to_dict() for m in schedule.milestones_for_year(y)] for y in (2025, 2026, 2027)}


def _editor_form(app, year, changes=None):
    """The editor's fields for the year's current list (title-0, due_on-0, …)."""
    with app.app_context():
        rows = schedule.milestones_for_year(year)
        data = {}
        for i, m in enumerate(rows):
            data.update({f"id-{i}": str(m.id), f"title-{i}": m.title, f"due_on-{i}": m.due_on.strftime("%d/%m/%Y"),
                         f"starts_on-{i}": m.starts_on.strftime("%d/%m/%Y") if m.starts_on else "",
                         f"scope-{i}": m.scope, f"responsible-{i}": m.responsible, f"evidence_type-{i}": m.evidence_type or ""})
        data["stamp"] = schedule.schedule_stamp(rows)
    data.update(changes or {})
    return data


READ_PAGES = ["/schedule", "/schedule/2025", "/schedule/2027"]
BOARD_PAGES = ["/schedule/2026/edit", "/schedule/2026/propose", "/schedule/2026/propose?document=1"]
MUTATIONS = [
    ("/schedule/2026/edit", {"title-0": "Việc mới", "due_on-0": "10/10/2026", "scope-0": "bloc", "action": "save"}),
    ("/schedule/2026/copy", {"from_year": "2025"}),
    ("/schedule/2026/propose", {"document": "1", "accept-1": "1"}),
]


@pytest.mark.parametrize("path", READ_PAGES + BOARD_PAGES)
def test_login_required(client, data, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("username", ["admin", "off1", "viewer"])
@pytest.mark.parametrize("path", READ_PAGES)
def test_everyone_logged_in_reads_schedules(client, auth, data, username, path):
    auth.login(username)
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 200
    assert "Lịch công việc các Khối thi đua năm" in response.text


def test_year_page_lists_milestones_and_only_the_board_sees_the_tools(client, auth, data):
    auth.login("off2")
    page = client.get("/schedule/2025").text
    assert "Ký kết giao ước thi đua" in page and "31/01/2025" in page and "BC-SK" in page
    assert "Sửa lịch" not in page and "/schedule/2025/copy" not in page
    auth.logout()
    auth.login("admin")
    page = client.get("/schedule/2026").text
    assert "chưa có lịch công việc" in page and "Nhập lịch" in page and 'value="2025"' in page


@pytest.mark.parametrize("username", ["off1", "off2", "viewer"])
@pytest.mark.parametrize("path", BOARD_PAGES)
def test_board_pages_refuse_others(client, auth, data, username, path):
    auth.login(username)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path, form", MUTATIONS)
def test_mutations_need_login(client, data, path, form):
    token = csrf_from(client.get("/login").text)
    response = client.post(path, data={**form, "csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("username", ["off1", "off2", "viewer"])
@pytest.mark.parametrize("path, form", MUTATIONS)
def test_mutations_are_for_the_board_only(client, auth, app, data, username, path, form):
    auth.login(username)
    before = _state(app)
    assert client.post(path, data={**form, "csrf_token": auth.csrf()}).status_code == 403
    assert _state(app) == before


@pytest.mark.parametrize("path, form", MUTATIONS)
def test_mutations_without_csrf_are_refused(client, auth, app, data, path, form):
    auth.login("admin")
    before = _state(app)
    assert client.post(path, data=form).status_code == 400
    assert _state(app) == before


def test_editor_shows_the_years_rows(client, auth, data):
    auth.login("admin")
    page = client.get("/schedule/2025/edit").text
    assert 'value="Ký kết giao ước thi đua"' in page and 'value="31/01/2025"' in page
    assert page.count('name="title-') == 5
    empty = client.get("/schedule/2026/edit").text
    assert empty.count('name="title-') == 1  # an empty year starts with one blank row


def test_editor_saves_changed_dates_and_order(client, auth, app, data):
    auth.login("admin")
    form = _editor_form(app, 2025, {"due_on-0": "2025-02-05", "action": "save"})
    # Swap the first two rows on the page: the page order is the new order.
    for key in ("id", "title", "due_on", "starts_on", "scope", "responsible", "evidence_type"):
        form[f"{key}-0"], form[f"{key}-1"] = form[f"{key}-1"], form[f"{key}-0"]
    response = client.post("/schedule/2025/edit", data={**form, "csrf_token": auth.csrf()})
    assert response.status_code == 302 and response.headers["Location"].endswith("/schedule/2025")
    with app.app_context():
        rows = schedule.milestones_for_year(2025)
        assert [r.title for r in rows[:2]] == ["Báo cáo sơ kết 6 tháng", "Ký kết giao ước thi đua"]
        assert rows[1].due_on.isoformat() == "2025-02-05"


def test_invalid_editor_save_is_422_with_messages_and_nothing_saved(client, auth, app, data):
    auth.login("admin")
    before = _state(app)
    form = _editor_form(app, 2025, {"due_on-1": "31/02/2025", "title-2": "", "action": "save"})
    response = client.post("/schedule/2025/edit", data={**form, "csrf_token": auth.csrf()})
    assert response.status_code == 422
    assert "không phải là một ngày có thật" in response.text and "Vui lòng nhập nội dung công việc" in response.text
    assert "chưa có thay đổi nào được lưu" in response.text
    assert 'value="31/02/2025"' in response.text  # what the user typed stays in the form
    assert _state(app) == before


def test_a_save_from_a_stale_page_is_refused(client, auth, app, data):
    auth.login("admin")
    form = _editor_form(app, 2025, {"action": "save"})
    with app.app_context():
        items = [schedule.row_dict(r) for r in schedule.rows_of(schedule.milestones_for_year(2025))]
        items[0]["title"] = "Đã sửa ở nơi khác"
        from portal.auth import services as auth_services

        schedule.replace_milestones(auth_services.SYSTEM, 2025, items)
    before = _state(app)
    response = client.post("/schedule/2025/edit", data={**form, "csrf_token": auth.csrf()}, follow_redirects=True)
    assert "vừa được người khác sửa" in response.text
    assert _state(app) == before


@pytest.mark.parametrize("action, titles", [
    ("add", ["Ký kết giao ước thi đua", "Báo cáo sơ kết 6 tháng", "Các đơn vị gửi báo cáo tổng kết", "Họp Khối bình xét",
             "Hội đồng xét Cờ thi đua", ""]),
    ("remove-1", ["Ký kết giao ước thi đua", "Các đơn vị gửi báo cáo tổng kết", "Họp Khối bình xét", "Hội đồng xét Cờ thi đua"]),
    ("up-1", ["Báo cáo sơ kết 6 tháng", "Ký kết giao ước thi đua", "Các đơn vị gửi báo cáo tổng kết", "Họp Khối bình xét",
              "Hội đồng xét Cờ thi đua"]),
    ("down-4", ["Ký kết giao ước thi đua", "Báo cáo sơ kết 6 tháng", "Các đơn vị gửi báo cáo tổng kết", "Họp Khối bình xét",
                "Hội đồng xét Cờ thi đua"]),
])
def test_editor_row_actions_change_the_form_not_the_database(client, auth, app, data, action, titles):
    auth.login("admin")
    before = _state(app)
    form = _editor_form(app, 2025, {"action": action})
    response = client.post("/schedule/2025/edit", data={**form, "csrf_token": auth.csrf()},
                           headers={"HX-Request": "true", "HX-Target": "schedule-editor"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="schedule-editor">')
    shown = [v for _i, v in re.findall(r'name="title-(\d+)" value="([^"]*)"', response.text)]
    assert shown == titles
    assert _state(app) == before
    plain = client.post("/schedule/2025/edit", data={**form, "csrf_token": auth.csrf()})
    assert plain.status_code == 200 and "<html" in plain.text  # works without JavaScript too


def test_copy_from_last_year_then_refuse_to_overwrite_silently(client, auth, app, data):
    auth.login("admin")
    response = client.post("/schedule/2026/copy", data={"csrf_token": auth.csrf(), "from_year": "2025"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/schedule/2026/edit")
    with app.app_context():
        assert [m.due_on.isoformat() for m in schedule.milestones_for_year(2026)][:2] == ["2026-01-31", "2026-06-30"]
    page = client.post("/schedule/2026/copy", data={"csrf_token": auth.csrf(), "from_year": "2025"}, follow_redirects=True)
    assert "đã có lịch công việc" in page.text
    page = client.post("/schedule/2026/copy", data={"csrf_token": auth.csrf(), "from_year": "2023"}, follow_redirects=True)
    assert "chưa có lịch công việc để sao chép" in page.text


def test_propose_lists_plans_then_shows_the_proposal_beside_its_text(client, auth, data):
    auth.login("admin")
    page = client.get("/schedule/2026/propose").text
    assert "24/KH-UBND" in page and f"document={data['plan']}" in page
    page = client.get(f"/schedule/2026/propose?document={data['plan']}").text
    assert 'id="src-1"' in page and 'href="#prop-1"' in page and 'id="prop-3"' in page
    assert 'name="due_on-1" value="27/02/2026"' in page
    assert "Thẩm định" in page


def test_propose_refuses_what_is_not_a_plan(client, auth, app, data):
    auth.login("admin")
    with app.app_context():
        directive = add_document(type="CT", year=2026, text=PLAN_TEXT).id
    response = client.get(f"/schedule/2026/propose?document={directive}")
    assert response.status_code == 422 and "không phải là kế hoạch" in response.text
    assert client.get("/schedule/2026/propose?document=9999").status_code == 404


def test_accepting_the_proposal_saves_the_chosen_edited_lines(client, auth, app, data):
    auth.login("admin")
    page = client.get(f"/schedule/2026/propose?document={data['plan']}").text
    form = {"csrf_token": csrf_from(page), "document": str(data["plan"]), "accept-1": "1", "accept-3": "1"}
    for seq in (1, 2, 3):
        for name in ("title", "starts_on", "due_on", "scope", "responsible", "evidence_type"):
            match = re.search(rf'name="{name}-{seq}"[^>]*value="([^"]*)"', page)
            if match:
                form[f"{name}-{seq}"] = match.group(1)
            else:
                selected = re.search(rf'name="{name}-{seq}".*?<option value="([^"]*)" selected', page, re.S)
                form[f"{name}-{seq}"] = selected.group(1) if selected else ""
    form["title-1"] = "Ký giao ước (đã sửa)"
    response = client.post("/schedule/2026/propose", data=form)
    assert response.status_code == 302, response.text
    with app.app_context():
        rows = schedule.milestones_for_year(2026)
        assert [(r.title, r.evidence_type) for r in rows] == [("Ký giao ước (đã sửa)", "GU"),
                                                             (rows[1].title, "BB")]
        assert rows[0].source_document_id == data["plan"]


def test_accepting_nothing_or_bad_lines_saves_nothing(client, auth, app, data):
    auth.login("admin")
    before = _state(app)
    response = client.post("/schedule/2026/propose", data={"csrf_token": auth.csrf(), "document": str(data["plan"])})
    assert response.status_code == 422 and "Chưa chọn dòng nào" in response.text
    response = client.post("/schedule/2026/propose", data={"csrf_token": auth.csrf(), "document": str(data["plan"]),
                                                           "accept-1": "1", "title-1": "Ký", "due_on-1": "30/02/2026",
                                                           "scope-1": "bloc"})
    assert response.status_code == 422 and "không phải là một ngày có thật" in response.text
    assert _state(app) == before
