"""End to end: the archive's bulk bar — tick a few documents, set their type and year, see the list and the message;
select all after an htmx filter; tick others and move them to the trash, where the Board finds them."""
import re

from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.test_documents_views import new_doc, pdf_bytes

TITLES = ("Báo cáo sơ kết của Sở Nội vụ", "Báo cáo tổng kết của Sở Nội vụ", "Tờ trình của Sở Nội vụ", "Công văn của Sở Y tế")


def row(page, title):
    return page.locator("#document-results tbody tr", has_text=title)


def test_bulk_edit_then_bulk_delete(page, live_app, live_server):
    for i, title in enumerate(TITLES):
        unit = "U5" if "Y tế" in title else "U1"
        new_doc(live_app, unit=unit, bloc="K2" if unit == "U5" else "K1", year=2025, type="OTHER", title=title,
                data=pdf_bytes(f"bulk-{i}"))

    login(page, live_server, "off1")  # U1's officer: its own three reports, not U5's letter
    page.goto(f"{live_server}/documents")
    bar = page.locator("#bulk-bar")
    expect(bar).to_be_hidden()
    expect(page.locator("#document-results input.bulk-pick")).to_have_count(3)
    expect(row(page, "Công văn của Sở Y tế").locator("input.bulk-pick")).to_have_count(0)

    row(page, TITLES[0]).locator("input.bulk-pick").check()
    expect(bar).to_be_visible()
    expect(page.locator("#bulk-count")).to_have_text("Đã chọn 1 văn bản")
    row(page, TITLES[1]).locator("input.bulk-pick").check()
    expect(page.locator("#bulk-count")).to_have_text("Đã chọn 2 văn bản")
    page.select_option("#b-type", "BC")
    page.select_option("#b-year", "2026")
    page.click("#bulk-apply")

    expect(page.locator(".flash-success")).to_have_text("Đã cập nhật 2 văn bản.")
    expect(bar).to_be_hidden()
    for title in TITLES[:2]:
        expect(row(page, title)).to_contain_text("Báo cáo")
        expect(row(page, title)).to_contain_text("K1")  # U1 is in K1 in 2026 too
    expect(row(page, TITLES[2])).to_contain_text("Văn bản khác")

    # The filters still swap the list in place (htmx), and the bar works on the new list.
    page.select_option("#f-year", "2026")
    expect(page).to_have_url(re.compile(r".*/documents\?.*year=2026"))
    expect(page.locator("#document-results tbody tr")).to_have_count(2)
    page.check("#bulk-all")
    expect(page.locator("#bulk-count")).to_have_text("Đã chọn 2 văn bản")
    page.uncheck("#bulk-all")
    expect(bar).to_be_hidden()

    # Tick both and move them to the trash, after the confirmation.
    page.check("#bulk-all")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#bulk-delete")
    expect(page.locator(".flash-success")).to_contain_text("Đã chuyển 2 văn bản vào thùng rác")
    expect(page).to_have_url(re.compile(r".*/documents\?.*year=2026"))  # back to the same filtered list
    expect(page.locator("#document-results td.empty")).to_be_visible()

    # The Board finds them in the trash, ready to restore.
    page.goto(f"{live_server}/login")
    page.context.clear_cookies()
    login(page, live_server, "admin")
    page.goto(f"{live_server}/documents/trash")
    for title in TITLES[:2]:
        expect(page.locator("table", has_text=title)).to_be_visible()
    expect(page.locator("table")).not_to_contain_text(TITLES[2])


def test_dismissing_the_confirmation_deletes_nothing(page, live_app, live_server):
    new_doc(live_app, unit="U1", bloc="K1", year=2025, title=TITLES[2], data=pdf_bytes("kept"))
    login(page, live_server, "off1")
    page.goto(f"{live_server}/documents")
    row(page, TITLES[2]).locator("input.bulk-pick").check()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#bulk-delete")
    expect(row(page, TITLES[2])).to_be_visible()
    expect(page.locator(".flash")).to_have_count(0)
