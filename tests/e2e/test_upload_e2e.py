"""End to end: upload a PDF plan through the htmx form, see what the portal read, download the identical bytes."""
from playwright.sync_api import expect

from tests import pdf_factory
from tests.e2e.conftest import login
from tests.unit.test_document_services import DIRECTIVE, PLAN


def test_upload_shows_detected_metadata_and_download_is_identical(page, live_server, tmp_path):
    plan = tmp_path / "Kế hoạch khối 2025.pdf"
    plan.write_bytes(pdf_factory.make_text_pdf(None, PLAN))
    directive = tmp_path / "chi-thi-05.pdf"
    directive.write_bytes(pdf_factory.make_text_pdf(None, DIRECTIVE))
    junk = tmp_path / "khong-phai-pdf.pdf"
    junk.write_bytes(b"day khong phai la PDF")

    login(page, live_server, "admin")
    page.goto(f"{live_server}/documents/upload")
    page.set_input_files("#files", [str(plan), str(directive), str(junk)])
    page.click("#upload-form button[type=submit]")

    outcomes = page.locator("#upload-outcomes")
    expect(outcomes).to_contain_text("27/KH-UBND")
    expect(outcomes).to_contain_text("08/01/2025")
    expect(outcomes).to_contain_text("Tổ chức hoạt động các Khối thi đua thuộc tỉnh năm 2025")
    expect(outcomes.locator(".outcome.refused")).to_contain_text("không phải là tệp PDF")
    expect(outcomes.locator(".outcome.ok")).to_have_count(2)

    outcomes.get_by_role("link", name="Kế hoạch 27/KH-UBND").click()
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Trần Văn Minh")
    expect(facts).to_contain_text("Ủy ban nhân dân tỉnh Lam Sơn")
    # The citation resolves to the directive uploaded in the same batch.
    expect(page.locator("ul.links").first).to_contain_text("05/CT-UBND")
    expect(page.get_by_role("link", name="05/CT-UBND")).to_be_visible()

    with page.expect_download() as info:
        page.get_by_role("link", name="Tải tệp gốc").click()
    download = info.value
    assert download.suggested_filename == "Kế hoạch khối 2025.pdf"
    with open(download.path(), "rb") as fh:
        assert fh.read() == plan.read_bytes()
