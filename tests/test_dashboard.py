"""The dashboard: the progress grid, a bloc's units, a cell's panel, check-offs, XLSX export, print view, query count."""
import io
import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal.extensions import db
from portal.org import services as org
from portal.schedule import services as schedule
from portal.schedule.models import MilestoneCheck
from portal.text import TZ
from tests.conftest import count_queries, csrf_from
from tests.unit.test_schedule_services import add_document, make_schedule

TODAY = date(2026, 11, 25)


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    monkeypatch.setattr("portal.text.dates.now_local", lambda: datetime(2026, 11, 25, 9, 0, tzinfo=TZ))


@pytest.fixture
def data(app, org_data):
    """2026: K1 pledged on time (a document), K2 late; U1 sent its year-end report; 2025 has a schedule too."""
    with app.app_context():
        ms = make_schedule(2026)
        make_schedule(2025)
        pledge = add_document(type="GU", bloc="K1", issue_date=date(2026, 1, 20), number="01/GU-K1")
        add_document(type="GU", bloc="K2", issue_date=date(2026, 2, 9))
        add_document(type="BC", report_kind="tong_ket", unit="U1", bloc="K1", issue_date=date(2026, 11, 12), number="12/BC-SNV")
        return {"ids": [m.id for m in ms], "pledge": pledge.id}


def _checks(app):
    with app.app_context():
        return sorted((c.milestone_id, c.bloc_id, c.unit_id, c.note) for c in db.session.scalars(sa.select(MilestoneCheck)))


def _cell_url(data, seq, bloc):
    return f"/progress/milestones/{data['ids'][seq - 1]}/blocs/{bloc}"


PAGES = ["/", "/progress/2025", "/progress/2026/blocs/K1", "/progress/2026/export.xlsx", "/progress/2026/print"]


@pytest.mark.parametrize("path", PAGES + ["cell"])
def test_login_required(client, data, path):
    path = _cell_url(data, 1, "K1") if path == "cell" else path
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_htmx_request_without_login_is_sent_to_the_login_page(client, data):
    response = client.get(_cell_url(data, 1, "K1"), headers={"HX-Request": "true", "HX-Target": "cell-panel"})
    assert response.status_code == 401 and "/login" in response.headers["HX-Redirect"]


@pytest.mark.parametrize("username", ["admin", "off1", "off2", "viewer"])
@pytest.mark.parametrize("path", PAGES + ["cell"])
def test_every_page_for_everyone_logged_in(client, auth, data, username, path):
    auth.login(username)
    path = _cell_url(data, 1, "K1") if path == "cell" else path
    assert client.get(path).status_code == 200


def test_grid_shows_blocs_milestones_status_words_and_evidence(client, auth, data):
    auth.login("admin")
    page = client.get("/").text
    assert "Tiến độ công việc các Khối thi đua năm 2026" in page
    grid = page[page.index('id="progress-grid"'):]
    assert grid.index('id="row-K1"') < grid.index('id="row-K2"')
    assert "Ký kết giao ước thi đua" in grid and "Họp Khối bình xét" in grid
    k1_pledge = re.search(rf'<div id="cell-{data["ids"][0]}-K1" class="pg-cell st-done_on_time">(.*?)</div>', page, re.S).group(1)
    assert "✓" in k1_pledge and "Xong đúng hạn" in k1_pledge and f'/documents/{data["pledge"]}' in k1_pledge and "01/GU-K1" in k1_pledge
    k2_pledge = re.search(rf'<div id="cell-{data["ids"][0]}-K2" class="pg-cell st-done_late">(.*?)</div>', page, re.S).group(1)
    assert "Xong trễ hạn" in k2_pledge and "trễ 9 ngày" in k2_pledge
    k1_reports = re.search(rf'<div id="cell-{data["ids"][2]}-K1" class="pg-cell st-overdue">(.*?)</div>', page, re.S).group(1)
    assert "1/3 đv" in k1_reports and "Quá hạn" in k1_reports
    assert re.search(rf'<div id="cell-{data["ids"][3]}-K1" class="pg-cell st-due_soon">', page)
    assert re.search(rf'<div id="cell-{data["ids"][4]}-K1" class="pg-cell st-not_open">', page)
    # The today marker sits between the meeting (due 30/11) and the units' reports (due 20/11).
    head = page[page.index("<thead>"):page.index("</thead>")]
    assert head.index("Các đơn vị gửi báo cáo tổng kết") < head.index("Hôm nay") < head.index("Họp Khối bình xét")
    assert 'aria-current="page">2026</a>' in page and "/progress/2025" in page
    assert "Đơn vị của bạn" not in page  # the Board has no unit


def test_cells_work_without_javascript_and_load_the_panel_with_htmx(client, auth, data):
    auth.login("admin")
    page = client.get("/").text
    cell = re.search(r'<a class="pg-main" href="([^"]+)"\s+hx-get="([^"]+)" hx-target="#cell-panel"', page)
    assert cell and cell.group(1) == cell.group(2)
    toggle = re.search(r'<a class="drill-toggle" href="([^"]+)"\s+hx-get="([^"]+)" hx-target="#drill-K1"', page)
    assert toggle and toggle.group(1) == "/progress/2026/blocs/K1"


def test_officer_sees_its_unit_its_role_and_its_next_deadlines(client, auth, data):
    auth.login("off2")  # U2 leads K1 in 2026
    page = client.get("/").text
    assert "Đơn vị của bạn" in page and "Sở Tài chính" in page and "★ Trưởng khối" in page
    deadlines = page[page.index('class="deadlines"'):page.index("</ol>", page.index('class="deadlines"'))]
    assert "Báo cáo sơ kết 6 tháng" in deadlines  # K1 has no 6-month report: overdue
    assert "Các đơn vị gửi báo cáo tổng kết" in deadlines  # U2 has not sent its own
    assert "Họp Khối bình xét" in deadlines
    assert "Ký kết giao ước thi đua" not in deadlines  # done
    auth.logout()
    auth.login("off1")
    page = client.get("/").text
    deadlines = page[page.index('class="deadlines"'):page.index("</ol>", page.index('class="deadlines"'))]
    assert "Các đơn vị gửi báo cáo tổng kết" not in deadlines  # U1 sent its report


def test_viewer_and_year_without_schedule(client, auth, data):
    auth.login("viewer")
    page = client.get("/progress/2024").text
    assert "Năm 2024 chưa có lịch công việc" in page and "Tài khoản chỉ xem" in page


def test_bloc_drill_down_fragment_page_and_collapse(client, auth, data):
    auth.login("viewer")
    fragment = client.get("/progress/2026/blocs/K1", headers={"HX-Request": "true", "HX-Target": "drill-K1"})
    assert fragment.text.lstrip().startswith('<tr id="drill-K1" class="drill-row">') and "<html" not in fragment.text
    assert "Sở Nội vụ" in fragment.text and "12/BC-SNV" in fragment.text and "Sở Tài chính" in fragment.text
    collapsed = client.get("/progress/2026/blocs/K1?collapse=1", headers={"HX-Request": "true", "HX-Target": "drill-K1"})
    assert collapsed.text.strip() == '<tr id="drill-K1" class="drill-row" hidden></tr>'
    page = client.get("/progress/2026/blocs/K1").text
    assert "<html" in page and "Các đơn vị của khối" in page and "Ủy ban nhân dân huyện Bản Mường" in page


def test_bloc_pages_404(client, auth, app, data):
    auth.login("admin")
    with app.app_context():
        org.create_bloc(None, {"code": "K9", "name": "Khối chưa có thành viên"})
    assert client.get("/progress/2026/blocs/K9").status_code == 404
    assert client.get("/progress/2026/blocs/NOPE").status_code == 404
    assert client.get("/progress/milestones/99999/blocs/K1").status_code == 404


def test_cell_page_shows_evidence_and_who_may_check(client, auth, data):
    auth.login("off2")
    page = client.get(_cell_url(data, 1, "K1")).text
    assert "01/GU-K1" in page and "Xong đúng hạn" in page and "hoàn thành ngày 20/01/2026" in page
    page = client.get(_cell_url(data, 2, "K1")).text
    assert "Đánh dấu hoàn thành bằng tay" in page and 'name="note"' in page  # off2 leads K1 in 2026
    page = client.get(_cell_url(data, 2, "K2")).text
    assert 'name="note"' not in page  # another bloc
    auth.logout()
    auth.login("off1")
    assert 'name="note"' not in client.get(_cell_url(data, 2, "K1")).text  # a member, not the leader


def test_leader_checks_off_its_bloc_with_a_note_then_undoes_it(client, auth, app, data):
    auth.login("off2")
    response = client.post(_cell_url(data, 2, "K1") + "/check",
                           data={"csrf_token": auth.csrf(), "note": "Báo cáo gửi bản giấy ngày 28/06", "done_on": "28/06/2026"})
    assert response.status_code == 302 and response.headers["Location"].endswith(_cell_url(data, 2, "K1"))
    page = client.get(response.headers["Location"]).text
    assert "Báo cáo gửi bản giấy ngày 28/06" in page and "Xong đúng hạn" in page
    assert "bởi Cán bộ 2 lúc" in page and "<strong>Cán bộ 2</strong>" in page and "off2" not in page  # full names only
    assert "Lịch sử đánh dấu (1)" in page
    check_id = re.search(r"/progress/checks/(\d+)/undo", page).group(1)
    grid = client.get("/").text
    assert re.search(rf'<div id="cell-{data["ids"][1]}-K1" class="pg-cell st-done_on_time">', grid)
    assert "đánh dấu tay" in grid
    response = client.post(f"/progress/checks/{check_id}/undo", data={"csrf_token": auth.csrf()})
    assert response.status_code == 302
    assert _checks(app) == []


def test_leader_checks_off_one_unit_of_a_per_unit_milestone(client, auth, app, data):
    auth.login("off2")
    response = client.post(_cell_url(data, 3, "K1") + "/check",
                           data={"csrf_token": auth.csrf(), "note": "Nhận bản giấy", "unit": "U3", "done_on": "19/11/2026"})
    assert response.status_code == 302
    with app.app_context():
        assert _checks(app) == [(data["ids"][2], org.get_bloc("K1").id, org.get_unit("U3").id, "Nhận bản giấy")]
    assert "2/3 đv" in client.get("/").text


@pytest.mark.parametrize("username, year, seq, bloc", [
    ("off2", 2026, 2, "K2"),   # leader of K1, not of K2
    ("off1", 2026, 2, "K1"),   # a member of K1 in 2026
    ("viewer", 2026, 2, "K1"),
    ("off2", 2026, 5, "K1"),   # the council's milestone
    ("off2", 2025, 2, "K1"),   # K1's leader of 2026 on the 2025 schedule (it was deputy then)
])
def test_check_off_refused_to_others_and_nothing_saved(client, auth, app, data, username, year, seq, bloc):
    auth.login(username)
    with app.app_context():
        milestone_id = schedule.milestones_for_year(year)[seq - 1].id
    response = client.post(f"/progress/milestones/{milestone_id}/blocs/{bloc}/check", data={"csrf_token": auth.csrf(), "note": "thử"})
    assert response.status_code == 403
    assert _checks(app) == []


def test_a_former_leader_checks_off_its_own_year_only(client, auth, app, data):
    auth.login("off1")  # led K1 in 2025
    with app.app_context():
        m2025 = schedule.milestones_for_year(2025)[1]
    response = client.post(f"/progress/milestones/{m2025.id}/blocs/K1/check",
                           data={"csrf_token": auth.csrf(), "note": "Bổ sung hồ sơ 2025", "done_on": "20/06/2025"})
    assert response.status_code == 302
    assert client.post(_cell_url(data, 2, "K1") + "/check", data={"csrf_token": auth.csrf(), "note": "x"}).status_code == 403


def test_undo_refused_to_others(client, auth, app, data):
    auth.login("off2")
    client.post(_cell_url(data, 2, "K1") + "/check", data={"csrf_token": auth.csrf(), "note": "Đã gửi"})
    with app.app_context():
        check_id = db.session.scalar(sa.select(MilestoneCheck.id))
    auth.logout()
    for username in ("off1", "off4", "viewer"):
        auth.login(username)
        assert client.post(f"/progress/checks/{check_id}/undo", data={"csrf_token": auth.csrf()}).status_code == 403
        auth.logout()
    assert len(_checks(app)) == 1
    auth.login("admin")
    assert client.post("/progress/checks/99999/undo", data={"csrf_token": auth.csrf()}).status_code == 404
    assert client.post(f"/progress/checks/{check_id}/undo", data={"csrf_token": auth.csrf()}).status_code == 302
    assert _checks(app) == []


def test_check_off_and_undo_need_csrf(client, auth, app, data):
    auth.login("admin")
    assert client.post(_cell_url(data, 2, "K1") + "/check", data={"note": "không có mã"}).status_code == 400
    assert _checks(app) == []
    client.post(_cell_url(data, 2, "K1") + "/check", data={"csrf_token": auth.csrf(), "note": "có mã"})
    with app.app_context():
        check_id = db.session.scalar(sa.select(MilestoneCheck.id))
    assert client.post(f"/progress/checks/{check_id}/undo").status_code == 400
    assert len(_checks(app)) == 1


def test_check_off_needs_login(client, data):
    token = csrf_from(client.get("/login").text)
    response = client.post(_cell_url(data, 2, "K1") + "/check", data={"csrf_token": token, "note": "x"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("form, words", [
    ({"note": ""}, "Vui lòng ghi lý do"),
    ({"note": "ok", "done_on": "30/11/2026"}, "không được sau hôm nay"),
    ({"note": "ok", "done_on": "32/11/2026"}, "dd/mm/yyyy"),
    ({"note": "ok", "unit": "U1"}, "tính theo khối"),
])
def test_invalid_check_off_is_422_with_the_message_and_nothing_saved(client, auth, app, data, form, words):
    auth.login("admin")
    response = client.post(_cell_url(data, 2, "K1") + "/check", data={"csrf_token": auth.csrf(), **form})
    assert response.status_code == 422 and words in response.text
    assert _checks(app) == []


def test_second_check_off_is_a_conflict(client, auth, app, data):
    auth.login("admin")
    client.post(_cell_url(data, 2, "K1") + "/check", data={"csrf_token": auth.csrf(), "note": "lần một"})
    response = client.post(_cell_url(data, 2, "K1") + "/check", data={"csrf_token": auth.csrf(), "note": "lần hai"})
    assert response.status_code == 409 and "đã được" in response.text
    assert [c[3] for c in _checks(app)] == ["lần một"]


def test_htmx_check_off_answers_the_panel_and_refreshes_the_grid_cell(client, auth, app, data):
    auth.login("off2")
    headers = {"HX-Request": "true", "HX-Target": "cell-panel"}
    panel = client.get(_cell_url(data, 2, "K1"), headers=headers).text
    assert panel.lstrip().startswith("<details") and "<html" not in panel and 'name="grid" value="1"' in panel
    response = client.post(_cell_url(data, 2, "K1") + "/check", headers=headers,
                           data={"csrf_token": auth.csrf(), "note": "Đã nhận", "done_on": "29/06/2026", "grid": "1"})
    assert response.status_code == 200 and "Đã đánh dấu hoàn thành." in response.text
    assert f'<div id="cell-{data["ids"][1]}-K1" class="pg-cell st-done_on_time" hx-swap-oob="true">' in response.text
    # A refused check-off comes back with its message in the panel (htmx swaps only 2xx answers).
    response = client.post(_cell_url(data, 4, "K1") + "/check", headers=headers, data={"csrf_token": auth.csrf(), "note": ""})
    assert response.status_code == 200 and "Vui lòng ghi lý do" in response.text and "hx-swap-oob" not in response.text
    # From the cell's own page (no grid), no out-of-band cell.
    check_id = re.search(r"/progress/checks/(\d+)/undo", client.get(_cell_url(data, 2, "K1")).text).group(1)
    response = client.post(f"/progress/checks/{check_id}/undo", headers=headers, data={"csrf_token": auth.csrf()})
    assert response.status_code == 200 and "Đã hủy đánh dấu." in response.text and "hx-swap-oob" not in response.text


def test_xlsx_export_of_the_grid(client, auth, data):
    auth.login("viewer")
    response = client.get("/progress/2026/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "tien-do-thi-dua-2026.xlsx" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.data))
    ws = wb.worksheets[0]
    assert "năm 2026" in ws["A1"].value and "25/11/2026" in ws["A2"].value
    assert ws.cell(4, 2).value.startswith("1. Ký kết giao ước thi đua")
    assert ws.cell(5, 1).value.startswith("K1 · Khối thi đua số 1")
    assert "Xong đúng hạn" in ws.cell(5, 2).value and "01/GU-K1" in ws.cell(5, 2).value
    assert ws.cell(5, 2).hyperlink.target.endswith(f"/documents/{data['pledge']}")
    assert "trễ 9 ngày" in ws.cell(6, 2).value
    assert "1/3 đơn vị" in ws.cell(5, 4).value
    units = wb.worksheets[1]
    assert units.cell(1, 4).value.startswith("3. Các đơn vị")
    assert [units.cell(r, 2).value for r in range(2, 5)] == ["Sở Tài chính", "Ủy ban nhân dân huyện Bản Mường", "Sở Nội vụ"]
    assert "Xong đúng hạn" in units.cell(4, 4).value
    assert [c.value for c in wb.worksheets[2]["B"]][1:] == ["Chưa đến kỳ", "Đang thực hiện", "Sắp đến hạn", "Quá hạn",
                                                           "Xong đúng hạn", "Xong trễ hạn"]


def test_print_view_has_the_grid_without_controls(client, auth, data):
    auth.login("viewer")
    page = client.get("/progress/2026/print").text
    assert "A4 nằm ngang" in page and "Tính đến ngày 25/11/2026" in page and "Khối thi đua số 2" in page
    sheet = page[page.index('class="print-sheet"'):]
    assert "hx-get" not in sheet and "<form" not in sheet.split("</main>")[0]


def test_dashboard_query_count_does_not_grow_with_blocs_units_or_documents(client, auth, app, data):
    auth.login("off2")
    client.get("/")
    with count_queries(app) as small:
        assert client.get("/").status_code == 200
    with app.app_context():
        rows = org.membership_rows(2026)
        for b in range(3, 9):
            org.create_bloc(None, {"code": f"K{b}", "name": f"Khối thêm {b}"})
            for u in range(6):
                code = f"X{b}{u}"
                org.create_unit(None, {"code": code, "name": f"Đơn vị thêm {b}.{u}", "kind": "khac"})
                rows.append(org.MembershipRow(code, f"K{b}", "leader" if u == 0 else "member"))
                add_document(type="BC", report_kind="tong_ket", unit=code, issue_date=date(2026, 11, 3 + u))
            add_document(type="GU", bloc=f"K{b}", issue_date=date(2026, 1, 10 + b))
        org.replace_memberships(None, 2026, rows)
    with count_queries(app) as large:
        assert client.get("/").status_code == 200
    assert len(large) == len(small), (len(small), len(large))
    with count_queries(app) as bloc_page:
        client.get("/progress/2026/blocs/K5")
    assert len(bloc_page) <= len(small)
