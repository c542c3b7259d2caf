"""End to end: the leader's officer fills a row of the scoring sheet with the keyboard in a real browser,
sees totals and ranks change live, gets a refused value in its cell, and settles a conflict knowingly."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from portal.auth import services as accounts
from portal.scoring import services as scoring
from tests.e2e.conftest import login
from tests.unit.test_scoring_services import build_table

REFUSED_CELL = ("status of 409", "status of 422")


@pytest.fixture
def page(browser):
    """The shared page fixture, except that a cell refused with 409/422 is expected.

    Chromium logs every 4xx answer to an XHR as a console error; the sheet's refused saves are
    answered 409 (stale) and 422 (bad points) on purpose and shown in the cell. Anything else
    (a CSP violation, a JavaScript error, another failed request) still fails the test.
    """
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    errors = []

    def on_console(msg):
        if msg.type != "error":
            return
        if "/scoring/cells/" in (msg.location or {}).get("url", "") and any(s in msg.text for s in REFUSED_CELL):
            return
        errors.append(msg.text)

    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", on_console)
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture
def k1(live_app):
    with live_app.app_context():
        table, cards, criteria = build_table()
        return {"cards": {code: card.id for code, card in cards.items()}, "criteria": [c.id for c in criteria]}


def _cell(live_app, sc, cr, stage="bloc"):
    with live_app.app_context():
        card = scoring.get_scorecard(sc)
        return scoring.read_cell(card, scoring.get_criterion(card.table, cr), stage)


def test_fill_a_row_with_the_keyboard_and_see_totals_and_ranks(page, live_server, live_app, k1):
    login(page, live_server, "off2")
    page.goto(f"{live_server}/scoring/2026/K1/sheet")
    u2, u3, u1 = (k1["cards"][code] for code in ("U2", "U3", "U1"))  # leader, deputy, member: the sheet's order
    c1, c2 = k1["criteria"][:2]
    expect(page.locator(f"#t{u2}")).to_have_text("—")

    page.click(f"#i{u2}-{c1}")
    page.keyboard.type("8,5")
    page.keyboard.press("Tab")
    page.keyboard.type("9")
    page.keyboard.press("Tab")
    page.keyboard.type("7")
    page.keyboard.press("Enter")  # saves and goes down to the next criterion in the same column

    expect(page.locator(f"#t{u2}")).to_have_text("8,5")
    expect(page.locator(f"#t{u3}")).to_have_text("9")
    expect(page.locator(f"#t{u1}")).to_have_text("7")
    for sc in (u2, u3, u1):  # one scored item of two: "chưa chấm đủ", no rank yet (DESIGN §4.1)
        expect(page.locator(f"#r{sc}")).to_have_text("—")
    expect(page.locator(f"#i{u1}-{c2}")).to_be_focused()

    # Arrow keys: left along the row, and the rank comes with the unit's last scored item.
    page.keyboard.type("20")
    page.keyboard.press("ArrowLeft")  # the caret is at the end: stays in the cell
    page.keyboard.press("Home")
    page.keyboard.press("ArrowLeft")  # at the start: moves to U3's cell, saving U1's
    expect(page.locator(f"#i{u3}-{c2}")).to_be_focused()
    expect(page.locator(f"#t{u1}")).to_have_text("27")
    expect(page.locator(f"#r{u1}")).to_have_text("1")
    expect(page.locator(f"#r{u3}")).to_have_text("—")

    # A value over the max is refused in its cell, with the reason, and nothing is stored.
    page.keyboard.type("25")
    page.keyboard.press("ArrowUp")
    expect(page.locator("#sheet-alert")).to_contain_text("Điểm phải là số từ 0 đến 20")
    expect(page.locator(f"#i{u3}-{c2}")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#i{u3}-{c1}")).to_be_focused()
    assert _cell(live_app, u3, c2) == scoring.Cell()
    assert (_cell(live_app, u2, c1).points, _cell(live_app, u3, c1).points, _cell(live_app, u1, c2).points) == (D("8.5"), D("9"), D("20"))
    page.screenshot(path=str(live_app.config["PORTAL_INSTANCE_DIR"]) + "/scoring-sheet.png", full_page=True)


def _without_live_feed(page):
    """This page hears nothing of other people's saves (as if it had opened just before them, offline)."""
    page.route("**/api/v1/years/*/blocs/*/scores?since=*", lambda route: route.fulfill(status=204))


def test_a_stale_cell_shows_the_other_value_and_can_be_overwritten(page, live_server, live_app, k1):
    _without_live_feed(page)
    login(page, live_server, "off2")
    page.goto(f"{live_server}/scoring/2026/K1/sheet")
    u2, u3 = k1["cards"]["U2"], k1["cards"]["U3"]
    c2 = k1["criteria"][1]
    with live_app.app_context():  # the Board saves the same cells while the sheet is open
        admin = accounts.get_user("admin")
        for sc in (u2, u3):
            card = scoring.get_scorecard(sc)
            scoring.save_score(admin, card, scoring.get_criterion(card.table, c2), "bloc", "15", 0)

    page.fill(f"#i{u2}-{c2}", "12")
    page.keyboard.press("Tab")
    # The refusal is told above the grid (a pop-up would cover the cell the user moved to), naming the cell.
    bar = page.locator("#sheet-alert")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("Nguyễn Văn Quản vừa lưu điểm 15")
    expect(bar).to_contain_text("tiêu chí I.2")
    expect(page.locator(f"#i{u2}-{c2}")).to_have_attribute("aria-invalid", "true")
    bar.get_by_role("button", name="Ghi đè bằng 12").click()
    expect(page.locator(f"#m{u2}-{c2} .cell-pop")).to_have_count(0)
    expect(bar).to_be_hidden()
    expect(page.locator(f"#t{u2}")).to_have_text("12")
    assert (_cell(live_app, u2, c2).points, _cell(live_app, u2, c2).version) == (D("12"), 2)

    page.fill(f"#i{u3}-{c2}", "11")
    page.keyboard.press("Tab")
    expect(bar).to_contain_text("Nguyễn Văn Quản vừa lưu điểm 15")
    bar.get_by_role("link", name="Lấy giá trị 15").click()
    expect(page.locator(f"#i{u3}-{c2}")).to_have_value("15")
    expect(page.locator(f"#i{u3}-{c2}")).to_be_focused()
    expect(page.locator(f"#m{u3}-{c2} .cell-pop")).to_have_count(0)
    expect(bar).to_be_hidden()
    assert _cell(live_app, u3, c2).points == D("15")


def test_unit_self_scores_with_a_note(page, live_server, live_app, k1):
    login(page, live_server, "off1")
    page.goto(f"{live_server}/scoring/2026/K1/self")
    u1 = k1["cards"]["U1"]
    c1, c2 = k1["criteria"][:2]
    page.fill(f"#i{u1}-{c1}", "9")
    page.fill(f"#n{u1}-{c1}", "Báo cáo số 15/BC-SNV")
    page.keyboard.press("Tab")
    expect(page.locator("#card-total")).to_have_text("9")
    page.fill(f"#i{u1}-{c2}", "18,5")
    page.keyboard.press("Tab")
    expect(page.locator("#card-total")).to_have_text("27,5")
    assert _cell(live_app, u1, c1, "self").note == "Báo cáo số 15/BC-SNV"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Gửi bản tự chấm").click()
    expect(page.locator(".flash-success")).to_contain_text("Đã gửi bản tự chấm của Sở Nội vụ")
    expect(page.locator(f"#i{u1}-{c1}")).to_have_count(0)
