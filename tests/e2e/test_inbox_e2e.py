"""End to end: the inbox of unconfirmed documents — open it from the archive, correct a title, confirm with
Ctrl+Enter, land on the next document, and empty the inbox with the keyboard alone."""
from datetime import datetime, timezone

from playwright.sync_api import expect

from tests import pdf_factory
from tests.e2e.conftest import login
from tests.test_documents_views import new_doc
from tests.unit.test_document_services import DIRECTIVE, PLAN


def test_confirm_with_the_keyboard_and_go_on(page, live_app, live_server):
    first = new_doc(live_app, year=2025, type="KH", number="27/KH-UBND", title="Ke hoach doc sai dau",
                    uploaded_at=datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc), data=pdf_factory.make_text_pdf(None, PLAN))
    second = new_doc(live_app, year=2024, type="CT", number="05/CT-UBND", title="Về việc phát động phong trào thi đua năm 2025",
                     uploaded_at=datetime(2026, 3, 1, 8, 5, tzinfo=timezone.utc),
                     data=pdf_factory.make_text_pdf(None, DIRECTIVE))

    login(page, live_server, "admin")
    page.goto(f"{live_server}/documents")
    page.get_by_role("link", name="Cần xác nhận (2)").click()
    page.wait_for_url(f"{live_server}/documents/inbox")

    current = page.locator("#inbox-current")
    expect(current).to_have_attribute("data-document", str(first))
    expect(page.locator("iframe.pdf-frame")).to_have_attribute("src", f"/documents/{first}/file?inline=1")
    title = page.locator("#title")
    title.fill("Tổ chức hoạt động các Khối thi đua thuộc tỉnh năm 2025")
    title.press("Control+Enter")

    page.wait_for_url(f"{live_server}/documents/inbox?document={second}")
    expect(current).to_have_attribute("data-document", str(second))
    expect(page.locator(".flash-success")).to_contain_text("Đã xác nhận văn bản “27/KH-UBND”")
    expect(page.locator("#inbox-count")).to_have_text("1")

    page.locator("#number").press("Control+Enter")
    expect(page.locator("#inbox-empty")).to_be_visible()

    page.goto(f"{live_server}/documents/{first}")
    expect(page.locator("h1")).to_have_text("Tổ chức hoạt động các Khối thi đua thuộc tỉnh năm 2025")
    expect(page.locator("dl.facts")).to_contain_text("Nguyễn Văn Quản")  # confirmed by, by name
