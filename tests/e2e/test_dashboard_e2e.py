"""End to end: the bloc leader opens a cell of the progress grid, checks the milestone off, and the grid follows;
the same without JavaScript; a bloc's units open inline."""
from datetime import date, datetime

import pytest
from playwright.sync_api import expect

from portal.schedule import services as schedule
from portal.text import TZ
from tests.e2e.conftest import login
from tests.unit.test_schedule_services import add_document, make_schedule


@pytest.fixture
def progress_data(live_app, monkeypatch):
    monkeypatch.setattr("portal.text.dates.now_local", lambda: datetime(2026, 11, 25, 9, 0, tzinfo=TZ))
    with live_app.app_context():
        ms = make_schedule(2026)
        add_document(type="GU", bloc="K1", issue_date=date(2026, 1, 20), number="01/GU-K1")
        add_document(type="BC", report_kind="tong_ket", unit="U1", issue_date=date(2026, 11, 12), number="12/BC-SNV")
        return {"report": ms[1].id, "units": ms[2].id}


def test_leader_checks_off_a_milestone_from_the_grid(page, live_server, live_app, progress_data):
    login(page, live_server, "off2")  # U2 leads K1 in 2026
    cell = page.locator(f"#cell-{progress_data['report']}-K1")
    expect(cell).to_have_class("pg-cell st-overdue")
    expect(cell).to_contain_text("quá 148 ngày")
    expect(page.locator("thead .today-col")).to_contain_text("Hôm nay")

    cell.locator(".pg-main").click()
    panel = page.locator("#cell-panel")
    expect(panel).to_contain_text("Báo cáo sơ kết 6 tháng")
    expect(page).to_have_url(f"{live_server}/")  # the panel opened in place
    panel.locator("#check-done-on").fill("29/06/2026")
    panel.locator("#check-note").fill("Đã nhận báo cáo bản giấy ngày 29/06")
    panel.get_by_role("button", name="Đánh dấu hoàn thành").click()
    expect(panel).to_contain_text("Đã đánh dấu hoàn thành.")
    expect(panel).to_contain_text("bởi Cán bộ 2 lúc")  # the full name, not the account name
    expect(cell).to_have_class("pg-cell st-done_on_time")  # the grid's cell, swapped out of band
    expect(cell).to_contain_text("đánh dấu tay")
    with live_app.app_context():
        assert schedule.get_milestone(progress_data["report"]).checks[0].note == "Đã nhận báo cáo bản giấy ngày 29/06"

    page.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name="Hủy đánh dấu").click()
    expect(panel).to_contain_text("Đã hủy đánh dấu.")
    expect(cell).to_have_class("pg-cell st-overdue")

    # A bloc's units open under its row and close again.
    page.locator("#row-K1 .drill-toggle").click()
    drill = page.locator("#drill-K1")
    expect(drill).to_contain_text("Sở Nội vụ")
    expect(drill).to_contain_text("12/BC-SNV")
    drill.get_by_role("link", name="Thu gọn ▴").click()
    expect(page.locator("#drill-K1")).to_be_hidden()
    page.screenshot(path=str(live_app.config["PORTAL_INSTANCE_DIR"]) + "/dashboard.png", full_page=True)


def test_the_dashboard_and_a_check_off_work_without_javascript(browser, live_server, live_app, progress_data):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1024, "height": 768}, locale="vi-VN")
    page = context.new_page()
    try:
        login(page, live_server, "off2")
        page.locator(f"#cell-{progress_data['units']}-K1 .pg-main").click()
        expect(page).to_have_url(f"{live_server}/progress/milestones/{progress_data['units']}/blocs/K1")
        page.select_option("#check-unit", "U3")
        page.fill("#check-note", "Nhận bản giấy")
        page.get_by_role("button", name="Đánh dấu hoàn thành").click()
        expect(page.locator(".flash-success")).to_contain_text("Đã đánh dấu hoàn thành")
        page.goto(f"{live_server}/")
        expect(page.locator(f"#cell-{progress_data['units']}-K1")).to_contain_text("2/3 đv")
        page.locator("#row-K1 .drill-toggle").click()
        expect(page).to_have_url(f"{live_server}/progress/2026/blocs/K1")
        expect(page.locator(".units-grid")).to_contain_text("Ủy ban nhân dân huyện Bản Mường")
    finally:
        context.close()
