"""End to end: the Board rotates a bloc's leader on the htmx membership page in a real browser."""
import re

from playwright.sync_api import expect

from portal.org import services as org
from tests.e2e.conftest import login


def test_board_rotates_the_leader_with_live_checking(page, live_server, live_app):
    login(page, live_server, "admin")
    page.goto(f"{live_server}/org/years/2026/memberships")
    check = page.locator("#membership-check")
    expect(check).not_to_contain_text("Cần sửa")

    # Make U1 leader first: the htmx check immediately reports two leaders, nothing is saved.
    page.select_option("#role-U1", "leader")
    expect(check).to_contain_text("có 2 Trưởng khối")
    with live_app.app_context():
        assert org.leader_of(org.get_bloc("K1").id, 2026).unit.code == "U2"

    # Then make the old leader a member: the problem disappears.
    page.select_option("#role-U2", "member")
    expect(check).not_to_contain_text("Cần sửa")
    expect(check).to_contain_text("Sở Nội vụ")

    page.click("#membership-check button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("Đã lưu danh sách thành viên năm 2026")
    with live_app.app_context():
        assert org.leader_of(org.get_bloc("K1").id, 2026).unit.code == "U1"
    page.screenshot(path=str(live_app.config["PORTAL_INSTANCE_DIR"]) + "/memberships.png")


def test_active_search_of_units_keeps_the_url_in_step(page, live_server):
    login(page, live_server, "off1")
    page.goto(f"{live_server}/org/units")
    page.fill("#unit-q", "ban muong")
    expect(page.locator("#unit-rows")).to_contain_text("Bản Mường")
    expect(page.locator("#unit-rows tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r".*/org/units\?q=ban(\+|%20)muong$"))
