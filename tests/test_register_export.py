"""The register of documents (GET /api/v1/documents/export.xlsx): the whole filtered list, in Vietnamese, safe cells."""
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from portal.documents import register
from portal.extensions import db
from portal.text import format_date, today_local
from tests.conftest import count_queries
from tests.unit.test_schedule_services import add_document

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PATH = "/api/v1/documents/export.xlsx"
HEADINGS = ["STT", "Số, ký hiệu", "Ngày ban hành", "Loại văn bản", "Cơ quan ban hành", "Người ký", "Trích yếu",
            "Khối thi đua", "Đơn vị"]


def sheet(response):
    assert response.status_code == 200 and response.mimetype == XLSX_MIME, response.data[:300]
    return load_workbook(io.BytesIO(response.data)).active


def rows(ws):
    """The register's data rows (below the header row), as value lists."""
    return [[c.value for c in row] for row in ws.iter_rows(min_row=register.HEADER_ROW + 1) if row[0].value is not None]


def archive(n, **fields):
    for i in range(n):
        add_document(issue_date=date(2026, 1, 1 + i % 28), number=f"{i + 1}/KH-UBND", title=f"Kế hoạch số {i + 1}",
                     **{"type": "KH", **fields})


def test_rows_are_the_whole_filtered_list(app, client, auth, org_data):
    with app.app_context():
        archive(12, bloc="K1")
        add_document(type="BC", year=2025, bloc="K2", unit="U4", report_kind="tong_ket", issue_date=date(2025, 12, 20),
                     number="9/BC-K2", title="Báo cáo tổng kết Khối 2")
        add_document(type="KH", year=2026, bloc="K1", deleted=True, number="99/KH-UBND", title="Đã xóa")
    app.config["PORTAL_PAGE_SIZE"] = 4
    auth.login("viewer")
    listed = client.get("/api/v1/documents?year=2026&type=KH").get_json()
    assert listed["pages"] > 1
    ws = sheet(client.get(f"{PATH}?year=2026&type=KH"))
    got = rows(ws)
    assert len(got) == listed["total"] == 12
    assert [r[0] for r in got] == list(range(1, 13))  # STT
    assert "99/KH-UBND" not in [r[1] for r in got]  # the trash is no part of the register
    # The list's order (newest issue date first) and its columns.
    assert [r[2] for r in got] == sorted((r[2] for r in got), reverse=True)
    first = got[0]
    assert first[3] == "Kế hoạch" and first[7] == "Khối thi đua số 1" and first[8] in (None, "")
    everything = rows(sheet(client.get(PATH)))
    assert len(everything) == 13
    report = [r for r in everything if r[1] == "9/BC-K2"][0]
    assert report[3] == "Báo cáo tổng kết" and report[8] == "Đài Phát thanh và Truyền hình tỉnh"
    assert len(rows(sheet(client.get(f"{PATH}?bloc=K2")))) == 1
    assert len(rows(sheet(client.get(f"{PATH}?unit=U4")))) == 1


def test_title_block_header_dates_and_print_setup(app, client, auth, org_data):
    with app.app_context():
        archive(3, bloc="K1")
    auth.login("off1")
    ws = sheet(client.get(f"{PATH}?year=2026&bloc=K1&sort=number"))
    assert ws["A1"].value == "SỔ ĐĂNG KÝ VĂN BẢN"
    assert "Năm 2026" in ws["A2"].value and "Khối thi đua số 1" in ws["A2"].value and "số ký hiệu" in ws["A2"].value
    assert format_date(today_local()) in ws["A3"].value and "3 văn bản" in ws["A3"].value
    assert [c.value for c in ws[register.HEADER_ROW]] == HEADINGS
    assert ws.freeze_panes == f"A{register.HEADER_ROW + 1}"
    issued = ws.cell(register.HEADER_ROW + 1, 3)
    assert isinstance(issued.value, datetime) and issued.is_date and issued.number_format == "dd/mm/yyyy"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == f"${register.HEADER_ROW}:${register.HEADER_ROW}"
    assert ws.column_dimensions["G"].width > 40 and ws.cell(register.HEADER_ROW + 1, 7).alignment.wrap_text
    assert not any(c.hyperlink for row in ws.iter_rows() for c in row)


def test_always_vietnamese_with_english_interface(app, client, auth, org_data):
    with app.app_context():
        archive(1)
    auth.login("admin")
    client.post("/lang/en", data={"csrf_token": auth.csrf(), "next": "/"})
    assert 'lang="en"' in client.get("/documents").text
    ws = sheet(client.get(PATH))
    assert ws["A1"].value == "SỔ ĐĂNG KÝ VĂN BẢN" and ws.title == "Sổ đăng ký văn bản"
    assert [c.value for c in ws[register.HEADER_ROW]] == HEADINGS
    assert "tất cả văn bản" in ws["A2"].value and rows(ws)[0][3] == "Kế hoạch"


@pytest.mark.parametrize("hostile", ['=HYPERLINK("http://x","a")', "+1", "-2+3", "@SUM(A1)"])
def test_formula_like_text_is_stored_as_text(app, client, auth, org_data, hostile):
    with app.app_context():
        add_document(number=hostile, title=hostile, issue_date=date(2026, 3, 1))
        doc = add_document(issue_date=date(2026, 3, 2), title="Bình thường")
        doc.issuer, doc.signer = hostile, hostile
        db.session.commit()
    auth.login("admin")
    ws = sheet(client.get(PATH))
    cells = [c for row in ws.iter_rows(min_row=register.HEADER_ROW + 1) for c in row if c.value == hostile]
    assert len(cells) == 4 and all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_empty_register_and_bad_filters(app, client, auth, org_data):
    auth.login("viewer")
    ws = sheet(client.get(f"{PATH}?year=2031"))
    assert rows(ws) == [["Không có văn bản nào trong phạm vi này."] + [None] * 8]
    for query in ("year=abc", "type=XYZ", "confirmed=maybe"):
        response = client.get(f"{PATH}?{query}")
        assert response.status_code == 422 and response.get_json()["error"]["message"]


def test_confirmed_filter(app, client, auth, org_data):
    with app.app_context():
        archive(2)
        add_document(number="7/TB-UBND", type="TB").metadata_confirmed = True
        db.session.commit()
    auth.login("viewer")
    assert [r[1] for r in rows(sheet(client.get(f"{PATH}?confirmed=true")))] == ["7/TB-UBND"]
    assert len(rows(sheet(client.get(f"{PATH}?confirmed=false")))) == 2


def test_needs_login(client):
    assert client.get(PATH).status_code == 401


def test_query_count_does_not_grow_with_rows(app, client, auth, org_data):
    auth.login("viewer")
    counts = []
    for n in (5, 45):
        with app.app_context():
            archive(n, bloc="K1", unit="U1")
        with count_queries(app) as statements:
            ws = sheet(client.get(f"{PATH}?bloc=K1"))
        counts.append(len(statements))
        assert len(rows(ws)) == (5 if n == 5 else 50)
    assert counts[0] == counts[1], counts
