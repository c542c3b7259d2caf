"""End to end: a forgotten password, the Board's temporary one, and the officer choosing their own — in chromium."""
from playwright.sync_api import expect

from tests.e2e.conftest import login


def test_temporary_password_then_own_password_then_back_to_work(browser, page, live_server, live_app):
    login(page, live_server, "admin")
    page.goto(f"{live_server}/users")
    page.click("a[href='/users/off1']")
    page.fill("#password", "tam-thoi-2026")
    page.click("form[action='/users/off1/password'] button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("Đã đặt mật khẩu tạm cho off1")

    officer = browser.new_context(viewport={"width": 1024, "height": 768}, locale="vi-VN").new_page()
    officer.goto(f"{live_server}/login")
    officer.fill("#username", "off1")
    officer.fill("#password", "tam-thoi-2026")
    officer.click("button[type=submit]")
    officer.wait_for_url(f"{live_server}/account")
    expect(officer.locator("[role=alert]")).to_contain_text("mật khẩu tạm")
    officer.goto(f"{live_server}/documents")  # anything else leads back to the account page first
    officer.wait_for_url(f"{live_server}/account")
    officer.fill("#current", "tam-thoi-2026")
    officer.fill("#password", "mat-khau-rieng-2026")
    officer.fill("#confirm", "mat-khau-rieng-2026")
    officer.click("form[action='/account/password'] button[type=submit]")
    expect(officer.locator(".flash-success")).to_contain_text("Đã đổi mật khẩu")
    officer.goto(f"{live_server}/documents")
    expect(officer).to_have_url(f"{live_server}/documents")
    officer.screenshot(path=str(live_app.config["PORTAL_INSTANCE_DIR"]) + "/account-1024.png")
    officer.context.close()

    # The trail names both steps, the officer by full name.
    page.goto(f"{live_server}/audit?object=user:off1")
    expect(page.locator("main")).to_contain_text("Đặt mật khẩu tạm cho off1")
    expect(page.locator("main")).to_contain_text("Cán bộ 1")
