"""The Word drafts of the meeting record and the bloc's report, the PDF record with the same content, and the
XLSX exports' formulas: layout of Nghị định 30/2020/NĐ-CP, facts from the results, meeting, schedule and archive,
dotted gaps for what nobody recorded, always Vietnamese, the same rights as the results."""
from __future__ import annotations

import io
import re
from datetime import date, datetime, timezone

import pytest
from docx import Document as WordDocument
from docx.oxml.ns import qn
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from pypdf import PdfReader

from portal.auth import services as accounts
from portal.extensions import db
from portal.org import services as org
from portal.scoring import services as scoring
from portal.scoring.models import BlocMeeting
from tests.unit.test_schedule_services import add_document, make_schedule
from tests.unit.test_scoring_services import build_table, fill

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CHAIR = "Ông Trần Văn An - Giám đốc Sở Tài chính"
SECRETARY = "Bà Lê Thị Bình - Chuyên viên Sở Tài chính"
GAP = "……"


def make_k1(app, *, meeting: bool = True, submit: bool = False) -> None:
    """K1 2026: U1 and U2 tie on 29 bloc points, U3 lacks a bloc score (chưa chấm đủ); a schedule, two of the
    bloc's documents and (optionally) the meeting: 15/12/2026 08:30, U1 and U2 present, U3 to lead 2027."""
    with app.app_context():
        table, cards, criteria = build_table()
        admin, off2, off1 = (accounts.get_user(n) for n in ("admin", "off2", "off1"))
        scoring.set_thresholds(admin, 2026, {"excellent": "28", "good": "25", "completed": "15"})
        fill(off1, cards["U1"], criteria, "self", ["9", "18", "1", None])
        scoring.submit_self(off1, scoring.get_scorecard(cards["U1"].id))
        for code, points in (("U1", ["9", "19", "1", None]), ("U2", ["10", "19", None, None]), ("U3", ["7", None, None, "2"])):
            fill(off2, scoring.get_scorecard(cards[code].id), criteria, "bloc", points)
        make_schedule(2026)
        add_document(type="GU", bloc="K1", issue_date=date(2026, 1, 20), number="01/GU-K1", title="Giao ước thi đua năm 2026")
        add_document(type="BC", report_kind="so_ket", bloc="K1", issue_date=date(2026, 6, 25), number="05/BC-K1",
                     title="Sơ kết 6 tháng đầu năm 2026", board=False)
        if meeting:
            units = {u.code: u for u in org.list_units()}
            db.session.add(BlocMeeting(
                bloc_id=org.get_bloc("K1").id, year=2026, held_at_utc=datetime(2026, 12, 15, 1, 30, tzinfo=timezone.utc),
                place="Hội trường Sở Tài chính", chair=CHAIR, secretary=SECRETARY,
                content="Thông qua kết quả chấm điểm thi đua năm 2026.\nBình xét đề nghị khen thưởng.",
                attendees=[units["U1"], units["U2"]], next_leader=units["U3"], next_deputy=units["U1"],
                leadership_note="Thống nhất 3/3 đơn vị có mặt."))
            db.session.commit()
        if submit:  # every unit scored in full first (results are submitted only then)
            fill(off2, scoring.get_scorecard(cards["U3"].id), criteria, "bloc", [None, "10"])
            scoring.change_status(off2, scoring.get_table(table.id), "submit")


def _docx(data: bytes):
    return WordDocument(io.BytesIO(data))


def _all_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def _table_starting(doc, head: str):
    return next(t for t in doc.tables if t.rows[0].cells[0].text == head)


def _results_rows(doc) -> dict[str, list[str]]:
    grid = _table_starting(doc, "STT")
    return {row.cells[1].text: [c.text for c in row.cells] for row in grid.rows[1:]}


def _check_header(doc, kind: str, date_line: str) -> None:
    header = doc.tables[0]
    left, right = header.rows[0].cells
    assert [p.text for p in left.paragraphs if p.text] == ["KHỐI THI ĐUA SỐ 1", "SỞ TÀI CHÍNH"]  # U2 leads K1 in 2026
    assert all(r.bold for r in left.paragraphs[1].runs)
    assert [p.text for p in right.paragraphs if p.text] == ["CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    borders = header._tbl.tblPr.find(qn("w:tblBorders"))
    assert borders is not None and {b.get(qn("w:val")) for b in borders} == {"nil"}
    number, place = header.rows[1].cells
    assert number.text == f"Số: {GAP}/{kind}-K1"
    assert place.text == date_line and all(r.italic for r in place.paragraphs[0].runs)


def _check_layout(doc) -> None:
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert 20 <= round(section.top_margin.mm) <= 25 and 20 <= round(section.bottom_margin.mm) <= 25
    assert 30 <= round(section.left_margin.mm) <= 35 and 15 <= round(section.right_margin.mm) <= 20
    normal = doc.styles["Normal"].font
    assert normal.name == "Times New Roman" and normal.size.pt in (13, 14)
    runs = [r for p in doc.paragraphs for r in p.runs] + [r for t in doc.tables for row in t.rows for c in row.cells
                                                          for p in c.paragraphs for r in p.runs]
    assert {r.font.name for r in runs} <= {None, "Times New Roman"}  # every run in the Normal style's font


def test_record_docx_has_the_nd30_layout_and_the_meeting(client, auth, app, org_data):
    make_k1(app)
    auth.login("off2")
    response = client.get("/scoring/2026/K1/record.docx")
    assert response.status_code == 200 and response.mimetype == DOCX_MIME
    assert "bien-ban-K1-2026.docx" in response.headers["Content-Disposition"]
    doc = _docx(response.data)
    _check_layout(doc)
    _check_header(doc, "BB", f"{GAP}, ngày 15 tháng 12 năm 2026")
    texts = [p.text for p in doc.paragraphs]
    title = texts.index("BIÊN BẢN")
    assert texts[title + 1] == "Họp Khối thi đua số 1 tổng kết công tác thi đua, khen thưởng năm 2026"
    assert all(r.bold for r in doc.paragraphs[title].runs + doc.paragraphs[title + 1].runs)
    body = "\n".join(texts)
    assert "1. Thời gian: Vào hồi 08 giờ 30 phút, ngày 15 tháng 12 năm 2026." in body  # 01:30 UTC, read in local time
    assert "2. Địa điểm: Hội trường Sở Tài chính." in body
    assert f"- Chủ trì: {CHAIR}." in body and f"- Thư ký: {SECRETARY}." in body
    assert "- Các đơn vị thành viên có mặt (2/3 đơn vị):" in body
    assert "+ Sở Nội vụ" in body and "+ Sở Tài chính" in body
    assert "- Vắng mặt: Ủy ban nhân dân huyện Bản Mường." in body
    assert "Thông qua kết quả chấm điểm thi đua năm 2026." in texts and "Bình xét đề nghị khen thưởng." in texts
    assert "Trạng thái kết quả: Dự thảo." in body
    rows = _results_rows(doc)
    assert _table_starting(doc, "STT").rows[0].cells[2].text == "Tự chấm"
    assert rows["Sở Tài chính"][2:] == ["", "29", "1=", "Xuất sắc"]
    assert rows["Sở Nội vụ"][2:] == ["28", "29", "1=", "Xuất sắc"]
    assert rows["Ủy ban nhân dân huyện Bản Mường"][2:] == ["", "5", "", "Chưa chấm đủ"]  # never ranked on a part
    assert "- Trưởng khối: Ủy ban nhân dân huyện Bản Mường." in body and "- Phó Trưởng khối: Sở Nội vụ." in body
    assert "2. Đề nghị Trưởng khối, Phó Trưởng khối năm 2027:" in body and "- Thống nhất 3/3 đơn vị có mặt." in body
    signatures = doc.tables[-1].rows[0].cells
    assert [p.text for p in signatures[0].paragraphs if p.text] == ["THƯ KÝ", "(Ký, ghi rõ họ tên)", SECRETARY]
    assert [p.text for p in signatures[1].paragraphs if p.text] == ["CHỦ TRÌ", "(Ký, ghi rõ họ tên)", CHAIR]


def test_record_without_a_meeting_leaves_gaps_and_lists_the_members(client, auth, app, org_data):
    make_k1(app, meeting=False)
    auth.login("admin")
    doc = _docx(client.get("/scoring/2026/K1/record.docx").data)
    _check_header(doc, "BB", f"{GAP}, ngày {GAP} tháng {GAP} năm 2026")
    body = _all_text(doc)
    assert f"1. Thời gian: Vào hồi {GAP} giờ {GAP} phút, ngày {GAP} tháng {GAP} năm 2026." in body
    assert f"2. Địa điểm: {GAP}." in body and f"- Chủ trì: {GAP}." in body
    assert f"- Các đơn vị thành viên có mặt: {GAP}/3 đơn vị" in body
    assert "+ Sở Tài chính (Trưởng khối)" in body and "+ Ủy ban nhân dân huyện Bản Mường (Phó Trưởng khối)" in body
    assert f"- Trưởng khối: {GAP}." in body
    signatures = doc.tables[-1].rows[0].cells
    assert [p.text for p in signatures[1].paragraphs if p.text] == ["CHỦ TRÌ", "(Ký, ghi rõ họ tên)"]  # no invented name


def test_report_docx_tells_the_year_from_the_schedule_and_archive(client, auth, app, org_data):
    make_k1(app)
    auth.login("off2")
    response = client.get("/scoring/2026/K1/report.docx")
    assert response.status_code == 200 and response.mimetype == DOCX_MIME
    assert "bao-cao-tong-ket-K1-2026.docx" in response.headers["Content-Disposition"]
    doc = _docx(response.data)
    _check_layout(doc)
    _check_header(doc, "BC", f"{GAP}, ngày 15 tháng 12 năm 2026")
    texts = [p.text for p in doc.paragraphs]
    assert texts[texts.index("BÁO CÁO") + 1] == "Tổng kết công tác thi đua, khen thưởng năm 2026 của Khối thi đua số 1"
    body = "\n".join(texts)
    assert "1. Khối gồm 3 đơn vị; Trưởng khối: Sở Tài chính; Phó Trưởng khối: Ủy ban nhân dân huyện Bản Mường." in body
    assert "- Ký kết giao ước thi đua (hạn 31/01/2026): đã thực hiện ngày 20/01/2026 (văn bản số 01/GU-K1)." in body
    assert "- Báo cáo sơ kết 6 tháng (hạn 30/06/2026): đã thực hiện ngày 25/06/2026 (văn bản số 05/BC-K1)." in body
    assert "- Các đơn vị gửi báo cáo tổng kết (hạn 20/11/2026): 0/3 đơn vị đã thực hiện." in body
    assert "- Giao ước thi đua số 01/GU-K1 ngày 20/01/2026: Giao ước thi đua năm 2026." in body
    assert "- Báo cáo sơ kết số 05/BC-K1 ngày 25/06/2026: Sơ kết 6 tháng đầu năm 2026." in body
    assert _results_rows(doc)["Ủy ban nhân dân huyện Bản Mường"][-2:] == ["", "Chưa chấm đủ"]
    assert "- Trưởng khối: Ủy ban nhân dân huyện Bản Mường." in body
    left, right = doc.tables[-1].rows[0].cells
    assert left.paragraphs[0].text == "Nơi nhận:" and left.paragraphs[0].runs[0].bold and left.paragraphs[0].runs[0].italic
    assert "- Lưu: VT." in left.text
    assert [p.text for p in right.paragraphs if p.text][:2] == ["TRƯỞNG KHỐI", "SỞ TÀI CHÍNH"]


def test_outputs_stay_vietnamese_with_an_english_interface(client, auth, app, org_data):
    make_k1(app)
    auth.login("off2")
    client.post("/lang/en", data={"csrf_token": auth.csrf(), "next": "/"})
    assert "Scoring" in client.get("/scoring/2026").text or "Results" in client.get("/scoring/2026/K1/results").text
    for path in ("/scoring/2026/K1/record.docx", "/scoring/2026/K1/report.docx"):
        text = _all_text(_docx(client.get(path).data))
        assert "Dự thảo" in text and "Xuất sắc" in text and "Chưa chấm đủ" in text and "Tự chấm" in text
        assert not re.search(r"\b(Draft|Excellent|Good|Self-score|Incomplete)\b", text)
    pdf = client.get("/scoring/2026/K1/record.pdf")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Dự thảo" in text and "Xuất sắc" in text and not re.search(r"\b(Draft|Excellent|Good)\b", text)
    for path in ("/scoring/2026/K1/results.xlsx", "/scoring/2026/K1/sheet.xlsx"):
        wb = load_workbook(io.BytesIO(client.get(path).data))
        values = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None)
        assert not re.search(r"\b(Draft|Excellent|Good|Self-score|Bloc score)\b", values), path
        assert "Khối chấm" in wb.sheetnames and "Tổng điểm" in values and "Chưa chấm đủ" in values


@pytest.mark.parametrize("username, status", [("off2", 200), ("admin", 200), ("off1", 403), ("viewer", 403), ("off4", 403)])
def test_draft_results_documents_are_the_leaders(client, auth, app, org_data, username, status):
    make_k1(app)
    auth.login(username)
    for path in ("/scoring/2026/K1/record.docx", "/scoring/2026/K1/report.docx", "/scoring/2026/K1/record.pdf",
                 "/api/v1/years/2026/blocs/K1/record.docx", "/api/v1/years/2026/blocs/K1/report.docx"):
        response = client.get(path)
        assert response.status_code == status, path
        if status == 403 and path.startswith("/api/"):
            assert response.json["error"]["code"]


def test_once_submitted_every_unit_downloads_them(client, auth, app, org_data):
    make_k1(app, submit=True)
    auth.login("off1")
    for path in ("/scoring/2026/K1/record.docx", "/api/v1/years/2026/blocs/K1/report.docx"):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == DOCX_MIME, path
    assert "Trạng thái kết quả: Đã gửi." in _all_text(_docx(client.get("/scoring/2026/K1/record.docx").data))


def test_api_drafts_and_missing_tables(client, auth, app, org_data):
    make_k1(app)
    auth.login("admin")
    response = client.get("/api/v1/years/2026/blocs/K1/record.docx")
    assert response.status_code == 200 and response.mimetype == DOCX_MIME
    assert "BIÊN BẢN" in _all_text(_docx(response.data))
    report = client.get("/api/v1/years/2026/blocs/K1/report.docx")
    assert "BÁO CÁO" in _all_text(_docx(report.data))
    missing = client.get("/api/v1/years/2026/blocs/K2/record.docx")
    assert missing.status_code == 404 and missing.json["error"]["code"]
    assert client.get("/api/v1/years/2026/blocs/K9/report.docx").status_code == 404
    assert client.get("/scoring/2026/K2/report.docx").status_code == 404
    auth.logout()
    assert client.get("/api/v1/years/2026/blocs/K1/record.docx").status_code == 401


def test_pdf_record_has_the_same_parts(client, auth, app, org_data):
    make_k1(app)
    auth.login("off2")
    pdf = client.get("/scoring/2026/K1/record.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf.data))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    for part in ("KHỐI THI ĐUA SỐ 1", "SỞ TÀI CHÍNH", "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                 f"Số: {GAP}/BB-K1", f"{GAP}, ngày 15 tháng 12 năm 2026", "BIÊN BẢN",
                 "Họp Khối thi đua số 1 tổng kết công tác thi đua, khen thưởng năm 2026",
                 "Vào hồi 08 giờ 30 phút, ngày 15 tháng 12 năm 2026", "Hội trường Sở Tài chính",
                 "Các đơn vị thành viên có mặt (2/3 đơn vị)", "Vắng mặt: Ủy ban nhân dân huyện Bản Mường",
                 "Chưa chấm đủ", "Trưởng khối: Ủy ban nhân dân huyện Bản Mường", "Phó Trưởng khối: Sở Nội vụ",
                 "THƯ KÝ", "CHỦ TRÌ", CHAIR, SECRETARY):
        assert part in text, part
    assert abs(float(reader.pages[0].mediabox.width) - 595.3) < 1  # A4


def _formula_cells(ws):
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.data_type == "f"}


def test_sheet_xlsx_totals_are_formulas_with_their_values(client, auth, app, org_data):
    make_k1(app)
    auth.login("off2")
    data = client.get("/scoring/2026/K1/sheet.xlsx").data
    formulas, values = load_workbook(io.BytesIO(data)), load_workbook(io.BytesIO(data), data_only=True)
    ws, cached = formulas["Khối chấm"], values["Khối chấm"]
    total_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "Tổng điểm")
    heads = [ws.cell(4, c).value for c in range(1, ws.max_column + 1)]
    col = {name: heads.index(name) + 1 for name in ("Đơn vị 1", "Đơn vị 2", "Đơn vị 3")}
    rows = {ws.cell(r, 2).value: r for r in range(5, total_row)}
    u3 = ws.cell(total_row, col["Đơn vị 3"]).value
    # scored + bonus − deduction, over the criterion cells of that column
    assert u3.startswith("=") and "SUM(" in u3
    letter = get_column_letter(col["Đơn vị 3"])
    assert u3.split("-", 1)[1] == f"(SUM({letter}{rows['Báo cáo chậm (điểm trừ)']})))"
    assert {cached.cell(total_row, c).value for c in (col["Đơn vị 1"], col["Đơn vị 2"])} == {29}
    assert cached.cell(total_row, col["Đơn vị 3"]).value == 5  # 7 − 2
    self_ws = formulas["Tự chấm"]
    assert values["Tự chấm"].cell(total_row, col["Đơn vị 1"]).value == 28 and self_ws.cell(total_row, col["Đơn vị 1"]).value.startswith("=")
    ranks = [cached.cell(total_row + 1, c).value for c in (col["Đơn vị 1"], col["Đơn vị 2"], col["Đơn vị 3"])]
    assert ranks == ["1=", "1=", "Chưa chấm đủ"]
    assert all(v.startswith("=") for v in _formula_cells(ws).values())


def test_results_xlsx_totals_are_formulas_and_incomplete_units_are_not_ranked(client, auth, app, org_data):
    make_k1(app)
    auth.login("off2")
    data = client.get("/scoring/2026/K1/results.xlsx").data
    formulas, values = load_workbook(io.BytesIO(data)), load_workbook(io.BytesIO(data), data_only=True)
    assert formulas.sheetnames[0] == "Kết quả"
    ws, cached = formulas["Kết quả"], values["Kết quả"]
    lines = {ws.cell(r, 2).value: r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).data_type == "n"}
    u1, u3 = lines["Sở Nội vụ"], lines["Ủy ban nhân dân huyện Bản Mường"]
    assert str(ws.cell(u1, 4).value).startswith("=") and cached.cell(u1, 4).value == 29
    assert cached.cell(u3, 4).value == 5 and cached.cell(u3, 7).value is None and cached.cell(u3, 8).value == "Chưa chấm đủ"
    assert cached.cell(u1, 7).value == "1=" and cached.cell(u1, 8).value == "Xuất sắc"
