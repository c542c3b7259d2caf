"""End to end: active search finds "Cờ thi đua" from "co thi dua", narrows by year and type, keeps the URL shareable."""
import io
import re

from playwright.sync_api import expect

from portal.auth import services as auth
from portal.documents import services as docs
from tests import pdf_factory
from tests.e2e.conftest import login
from tests.unit.test_document_services import DIRECTIVE, PLAN

FLAG_2023 = PLAN.replace("Tổ chức hoạt động các Khối thi đua thuộc tỉnh năm 2025", "Đề nghị tặng Cờ thi đua của Ủy ban nhân dân tỉnh") \
    .replace("27/KH-UBND", "41/KH-SNV").replace("năm 2025", "năm 2023")


def test_active_search_narrows_and_shares_the_url(page, live_server, live_app):
    with live_app.app_context():
        admin = auth.get_user("admin")
        for text, fields in ((FLAG_2023, {"year": "2023"}), (PLAN.replace("thuộc tỉnh", "thuộc tỉnh, xét Cờ thi đua"), {"year": "2025"}),
                             (DIRECTIVE, {})):
            docs.ingest(admin, io.BytesIO(pdf_factory.make_text_pdf(None, text)), "vb.pdf", fields)

    login(page, live_server, "viewer")
    page.fill("#top-q", "co thi dua")
    page.press("#top-q", "Enter")
    results = page.locator("#search-results")
    expect(results.locator(".hit")).to_have_count(2)
    expect(results.locator("mark").first).to_be_visible()

    # Typing refines the results in place, debounced, and the address follows.
    page.fill("#search-q", "co thi dua de nghi")
    expect(results.locator(".hit")).to_have_count(1)
    expect(results).to_contain_text("Đề nghị tặng Cờ thi đua")
    expect(page).to_have_url(re.compile(r".*/search\?q=co(\+|%20)thi(\+|%20)dua(\+|%20)de(\+|%20)nghi.*"))

    page.fill("#search-q", "co thi dua")
    expect(results.locator(".hit")).to_have_count(2)
    page.fill("#s-from", "2023")
    page.fill("#s-to", "2023")
    page.select_option("#s-type", "KH")
    expect(results.locator(".hit")).to_have_count(1)
    shared = page.url
    assert "year_from=2023" in shared and "type=KH" in shared

    # The shared address shows the same list to someone else, without JavaScript tricks.
    page.goto(shared)
    expect(page.locator("#search-results .hit")).to_have_count(1)
    expect(page.locator("#search-results")).to_contain_text("41/KH-SNV")
