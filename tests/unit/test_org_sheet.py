"""The org sheet (`flask org load`): CSV and XLSX, Vietnamese or English headers, all or nothing."""
import io
import unicodedata
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from portal import audit
from portal.audit import AuditEvent
from portal.errors import NotFound, ValidationFailed
from portal.extensions import db
from portal.org import services as org
from portal.org import sheet
from portal.org.models import Bloc, Membership, Unit

VI_HEADER = ["Mã đơn vị", "Tên đơn vị", "Tên viết tắt", "Loại", "Mã khối", "Tên khối", "Năm", "Vai trò"]
EN_HEADER = ["unit", "unit_name", "short_name", "kind", "bloc", "bloc_name", "year", "role"]

# A realistic sheet: two blocs, six units (one with no bloc), two years with a rotation.
GOOD_ROWS = [
    ["SNV", "Sở Nội vụ", "SNV", "Sở, ban, ngành", "KT", "Khối thi đua Kinh tế - Tổng hợp", "2025", "Trưởng khối"],
    ["STC", "Sở Tài chính", "STC", "so_nganh", "KT", "", "2025", "Phó Trưởng khối"],
    ["SCT", "Sở Công Thương", "", "Sở, ban, ngành", "KT", "", "2025", "Thành viên"],
    ["H-BM", "Ủy ban nhân dân huyện Bản Mường", "UBND huyện Bản Mường", "Huyện, thị xã, thành phố", "DP",
     "Khối thi đua các huyện", "2025", "leader"],
    ["H-NH", "Ủy ban nhân dân huyện Na Hang", "", "dia_phuong", "DP", "", "2025", "member"],
    ["SNV", "", "", "", "KT", "", "2026", "Thành viên"],
    ["STC", "", "", "", "KT", "", "2026", "Trưởng khối"],
    ["SCT", "", "", "", "KT", "", "2026", "Phó Trưởng khối"],
    ["H-NH", "", "", "", "DP", "", "2026", "Trưởng khối"],
    ["H-BM", "", "", "", "DP", "", "2026", ""],
    ["DN-XS", "Công ty TNHH MTV Xổ số kiến thiết", "Xổ số", "Doanh nghiệp", "", "", "", ""],
]


def write_csv(path, rows, *, header=VI_HEADER, sep=";", bom=True, encoding="utf-8"):
    lines = [sep.join(header)] + [sep.join(_quote(cell, sep) for cell in row) for row in rows]
    text = "\r\n".join(lines) + "\r\n"
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def _quote(cell: str, sep: str) -> str:
    return f'"{cell}"' if sep in cell else cell


def write_xlsx(path, rows, *, header=VI_HEADER, title=None):
    workbook = Workbook()
    ws = workbook.active
    ws.title = "Đơn vị"
    if title:
        ws.append([title])
    ws.append(header)
    for row in rows:
        # Years as numbers, as Excel stores them.
        ws.append([int(c) if c.isdigit() and len(c) == 4 else (c or None) for c in row])
    workbook.save(path)
    return path


def counts():
    return {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Unit, Bloc, Membership, AuditEvent)}


def rows_of(year):
    return sorted((r.unit, r.bloc, r.role) for r in org.membership_rows(year))


EXPECTED_2025 = [("H-BM", "DP", "leader"), ("H-NH", "DP", "member"), ("SCT", "KT", "member"),
                 ("SNV", "KT", "leader"), ("STC", "KT", "deputy")]
EXPECTED_2026 = [("H-BM", "DP", "member"), ("H-NH", "DP", "leader"), ("SCT", "KT", "deputy"),
                 ("SNV", "KT", "member"), ("STC", "KT", "leader")]
EXPECTED_SUMMARY = {"units_created": 6, "units_updated": 0, "blocs_created": 2, "blocs_updated": 0,
                    "years": {2025: {"units": 5, "changed": 5}, 2026: {"units": 5, "changed": 5}}}


def assert_good_sheet_loaded():
    assert {u.code for u in org.list_units()} == {"SNV", "STC", "SCT", "H-BM", "H-NH", "DN-XS"}
    bm = org.get_unit("H-BM")
    assert (bm.name, bm.short_name, bm.kind) == ("Ủy ban nhân dân huyện Bản Mường", "UBND huyện Bản Mường", "dia_phuong")
    assert org.get_unit("SNV").kind == "so_nganh"
    assert org.get_unit("DN-XS").kind == "doanh_nghiep"
    assert org.get_unit("SCT").short_name == ""
    assert {b.code: b.name for b in org.list_blocs()} == {"DP": "Khối thi đua các huyện", "KT": "Khối thi đua Kinh tế - Tổng hợp"}
    assert rows_of(2025) == EXPECTED_2025
    assert rows_of(2026) == EXPECTED_2026


# --- good sheets ---------------------------------------------------------------------------------

def test_csv_with_bom_semicolons_and_vietnamese_headers(ctx, tmp_path):
    path = write_csv(tmp_path / "to-chuc.csv", GOOD_ROWS)
    summary = org.load_org_sheet(None, path)
    assert summary == EXPECTED_SUMMARY
    assert_good_sheet_loaded()
    # Every change is audited, as the system (the CLI has no user).
    assert {e.object_id for e in audit.events_for("unit")} == {"SNV", "STC", "SCT", "H-BM", "H-NH", "DN-XS"}
    assert {e.object_id for e in audit.events_for("bloc")} == {"KT", "DP"}
    assert {e.object_id for e in audit.events_for("memberships")} == {"2025", "2026"}
    assert all(e.actor_name == "system" for e in audit.recent(("unit", "bloc", "memberships")))


def test_csv_with_commas_english_headers_and_no_bom(ctx, tmp_path):
    path = write_csv(tmp_path / "org.csv", GOOD_ROWS, header=EN_HEADER, sep=",", bom=False)
    assert org.load_org_sheet(None, path) == EXPECTED_SUMMARY
    assert_good_sheet_loaded()


def test_csv_with_headers_in_another_order_and_tabs(ctx, tmp_path):
    order = [6, 7, 4, 5, 0, 1, 2, 3]
    header = [VI_HEADER[i] for i in order]
    rows = [[row[i] for i in order] for row in GOOD_ROWS]
    path = write_csv(tmp_path / "org.txt", rows, header=header, sep="\t")
    assert org.load_org_sheet(None, path) == EXPECTED_SUMMARY
    assert_good_sheet_loaded()


def test_legacy_windows_1258_csv(ctx, tmp_path):
    # Windows-1258 writes tones as combining marks; names must come out NFC like everything else.
    def cp1258(text):
        out = []
        for ch in text:
            parts = unicodedata.normalize("NFD", ch)
            tones = "".join(m for m in parts if m in "\u0300\u0301\u0303\u0309\u0323")
            out.append(unicodedata.normalize("NFC", "".join(m for m in parts if m not in tones)) + tones)
        return "".join(out)

    header = [cp1258(h) for h in VI_HEADER]
    rows = [[cp1258(c) for c in row] for row in GOOD_ROWS]
    path = write_csv(tmp_path / "cu.csv", rows, header=header, bom=False, encoding="cp1258")
    assert org.load_org_sheet(None, path) == EXPECTED_SUMMARY
    assert org.get_unit("H-BM").name == "Ủy ban nhân dân huyện Bản Mường"
    assert unicodedata.is_normalized("NFC", org.get_unit("H-BM").name)


def test_xlsx_with_a_title_row_above_the_header(ctx, tmp_path):
    path = write_xlsx(tmp_path / "to-chuc.xlsx", GOOD_ROWS, title="DANH SÁCH ĐƠN VỊ VÀ KHỐI THI ĐUA")
    assert org.load_org_sheet(None, path) == EXPECTED_SUMMARY
    assert_good_sheet_loaded()


def test_xlsx_with_english_headers(ctx, tmp_path):
    path = write_xlsx(tmp_path / "org.xlsx", GOOD_ROWS, header=EN_HEADER)
    assert org.load_org_sheet(None, path) == EXPECTED_SUMMARY


def test_loading_the_same_sheet_twice_changes_nothing(ctx, tmp_path):
    path = write_csv(tmp_path / "org.csv", GOOD_ROWS)
    org.load_org_sheet(None, path)
    before = counts()
    ids = sorted(db.session.scalars(sa.select(Membership.id)))
    versions = {u.code: u.version for u in org.list_units()}
    summary = org.load_org_sheet(None, path)
    assert summary == {"units_created": 0, "units_updated": 0, "blocs_created": 0, "blocs_updated": 0,
                       "years": {2025: {"units": 5, "changed": 0}, 2026: {"units": 5, "changed": 0}}}
    assert counts() == before  # no audit event either
    assert sorted(db.session.scalars(sa.select(Membership.id))) == ids
    assert {u.code: u.version for u in org.list_units()} == versions


def test_sheet_updates_existing_units_and_blocs_and_replaces_only_its_years(ctx, org_data, tmp_path):
    rows = [
        ["U1", "Sở Nội vụ tỉnh Lam Sơn", "", "", "K1", "Khối các sở", "2026", "Trưởng khối"],
        ["U2", "", "", "", "K1", "", "2026", "Phó Trưởng khối"],
        ["U3", "", "", "", "K1", "", "2026", ""],
    ]
    path = write_csv(tmp_path / "sua.csv", rows)
    summary = org.load_org_sheet(None, path)
    assert summary == {"units_created": 0, "units_updated": 1, "blocs_created": 0, "blocs_updated": 1,
                       "years": {2026: {"units": 3, "changed": 6}}}
    assert org.get_unit("U1").name == "Sở Nội vụ tỉnh Lam Sơn"
    assert org.get_unit("U1").short_name == "Đơn vị 1"  # an empty cell keeps what is there
    assert org.get_bloc("K1").name == "Khối các sở"
    # The sheet's year is replaced as a whole (K2's units are no longer placed in 2026) …
    assert rows_of(2026) == [("U1", "K1", "leader"), ("U2", "K1", "deputy"), ("U3", "K1", "member")]
    # … and the year it does not mention is kept.
    assert len(rows_of(2025)) == 6
    [event] = [e for e in audit.events_for("unit", "U1") if e.action == "update"]
    assert event.before["name"] == "Sở Nội vụ" and event.after["name"] == "Sở Nội vụ tỉnh Lam Sơn"


def test_read_sheet_maps_headers_and_skips_blank_lines(tmp_path):
    path = tmp_path / "org.csv"
    path.write_text("\ufeffMã đơn vị : ;TÊN ĐƠN VỊ;Năm\nU1;Sở  Nội\u00a0vụ;2025\n;;\nU2;Sở Tài chính;\n", encoding="utf-8")
    rows = sheet.read_sheet(path)
    assert [(r.line, r.values) for r in rows] == [
        (2, {"unit": "U1", "unit_name": "Sở Nội vụ", "year": "2025"}),
        (4, {"unit": "U2", "unit_name": "Sở Tài chính", "year": ""}),
    ]


@pytest.mark.parametrize("word, role", [("Trưởng khối", "leader"), ("TRƯỞNG KHỐI", "leader"), ("truong khoi", "leader"),
                                        ("Phó Trưởng khối", "deputy"), ("Phó khối", "deputy"), ("deputy", "deputy"),
                                        ("Thành viên", "member"), ("", "member"), ("Chủ tịch", None)])
def test_role_words(word, role):
    assert sheet.role_of(word) == role


@pytest.mark.parametrize("word, kind", [("Sở, ban, ngành", "so_nganh"), ("Địa phương", "dia_phuong"),
                                        ("Doanh nghiệp", "doanh_nghiep"), ("Đoàn thể", "doan_the"), ("", "khac"),
                                        ("doanh_nghiep", "doanh_nghiep"), ("Bộ", None)])
def test_kind_words(word, kind):
    assert sheet.kind_of(word) == kind


# --- bad sheets: nothing saved, every faulty line named ------------------------------------------

def load_refused(path) -> ValidationFailed:
    before = counts()
    with pytest.raises(ValidationFailed) as info:
        org.load_org_sheet(None, path)
    db.session.rollback()
    assert counts() == before, "a refused sheet must save nothing"
    assert info.value.status == 422
    return info.value


def messages(exc: ValidationFailed) -> list[str]:
    return list(exc.errors.values())


def with_row(index: int, replacement: list[str]) -> list[list[str]]:
    rows = [list(r) for r in GOOD_ROWS]
    rows[index] = replacement
    return rows


@pytest.fixture(params=["csv", "xlsx"])
def write(request, tmp_path):
    def writer(rows, name="org"):
        if request.param == "csv":
            return write_csv(tmp_path / f"{name}.csv", rows)
        return write_xlsx(tmp_path / f"{name}.xlsx", rows)
    return writer


def test_unknown_role(ctx, org_data, write):
    exc = load_refused(write(with_row(2, ["SCT", "Sở Công Thương", "", "", "KT", "", "2025", "Chủ tịch"])))
    # Line 4: the header is line 1 and this is the third data row.
    assert messages(exc) == ["Dòng 4: vai trò không rõ (Chủ tịch); dùng Trưởng khối, Phó Trưởng khối hoặc Thành viên."]
    assert "chưa có thay đổi nào được lưu" in exc.message


@pytest.mark.parametrize("year, words", [("20x5", "Năm không hợp lệ: 20x5."), ("1999", "Năm phải từ 2000 đến 2100.")])
def test_bad_year(ctx, org_data, write, year, words):
    exc = load_refused(write(with_row(1, ["STC", "Sở Tài chính", "", "", "KT", "", year, "Phó Trưởng khối"])))
    assert messages(exc) == [f"Dòng 3: {words}"]


def test_a_years_bloc_with_two_leaders(ctx, org_data, write):
    exc = load_refused(write(with_row(7, ["SCT", "", "", "", "KT", "", "2026", "Trưởng khối"])))
    [message] = messages(exc)
    # The two leader rows of KT in 2026 are lines 8 and 9.
    assert message.startswith("Dòng 8, 9 (năm 2026): ")
    assert "Khối thi đua Kinh tế - Tổng hợp có 2 Trưởng khối (Sở Tài chính, Sở Công Thương); chỉ được một." in message


def test_a_years_bloc_without_leader(ctx, org_data, write):
    exc = load_refused(write(with_row(8, ["H-NH", "", "", "", "DP", "", "2026", "member"])))
    [message] = messages(exc)
    assert message.startswith("Dòng 10, 11 (năm 2026): ")
    assert "chưa có Trưởng khối" in message


def test_a_unit_in_two_blocs_in_one_year(ctx, org_data, write):
    rows = GOOD_ROWS + [["SNV", "", "", "", "DP", "", "2025", "member"]]
    exc = load_refused(write(rows))
    [message] = messages(exc)
    assert message == ("Dòng 2, 13 (năm 2025): Đơn vị Sở Nội vụ được xếp vào nhiều khối trong năm 2025; "
                       "mỗi năm một đơn vị chỉ thuộc một khối.")


def test_missing_bloc_name_for_a_new_bloc(ctx, org_data, write):
    rows = GOOD_ROWS + [["U1", "", "", "", "K9", "", "2027", "Trưởng khối"]]
    exc = load_refused(write(rows))
    assert messages(exc) == ["Dòng 13: khối K9 chưa có trong hệ thống; cần ghi tên khối ở cột Tên khối."]


def test_missing_name_for_a_new_unit(ctx, org_data, write):
    rows = GOOD_ROWS + [["U9", "", "", "", "KT", "", "2027", "Trưởng khối"]]
    exc = load_refused(write(rows))
    assert messages(exc) == ["Dòng 13: đơn vị U9: Vui lòng nhập tên đơn vị."]


def test_too_long_names_are_named_by_line(ctx, org_data, write):
    rows = GOOD_ROWS + [["U9", "Sở " + "x" * 250, "", "", "", "", "", ""], ["U8", "Sở mới", "y" * 90, "", "", "", "", ""]]
    exc = load_refused(write(rows))
    assert messages(exc) == ["Dòng 13: đơn vị U9: Tên đơn vị dài tối đa 200 ký tự.",
                             "Dòng 14: đơn vị U8: Tên viết tắt dài tối đa 80 ký tự."]


def test_every_faulty_line_is_reported_at_once(ctx, org_data, write):
    rows = GOOD_ROWS + [
        ["", "Không mã", "", "", "", "", "", ""],                       # line 13
        ["Đ 1", "Mã có dấu", "", "", "", "", "", ""],                   # line 14
        ["U9", "Sở lạ", "", "Bộ", "", "", "", ""],                      # line 15
        ["U9", "Sở lạ", "", "", "K 9", "Khối", "2025", ""],             # line 16
        ["U9", "Sở lạ", "", "", "", "", "2025", "member"],              # line 17
        ["U9", "Sở lạ", "", "", "KT", "", "", "Thành viên"],            # line 18
    ]
    exc = load_refused(write(rows))
    assert messages(exc) == [
        "Dòng 13: mã đơn vị trống hoặc không hợp lệ (—).",
        "Dòng 14: mã đơn vị trống hoặc không hợp lệ (Đ 1).",
        "Dòng 15: loại đơn vị không rõ (Bộ).",
        "Dòng 16: mã khối không hợp lệ (K 9).",
        "Dòng 17: có năm nhưng thiếu mã khối.",
        "Dòng 18: có khối hoặc vai trò nhưng thiếu năm.",
    ]
    assert exc.message == "Tệp có 6 dòng lỗi; chưa có thay đổi nào được lưu."


def test_no_header(ctx, org_data, tmp_path):
    path = tmp_path / "org.csv"
    path.write_text("U1;Sở Nội vụ;K1;2025\nU2;Sở Tài chính;K1;2025\n", encoding="utf-8")
    exc = load_refused(path)
    assert "Mã đơn vị" in exc.message and "tiêu đề" in exc.message


def test_header_only(ctx, org_data, tmp_path):
    exc = load_refused(write_csv(tmp_path / "org.csv", []))
    assert "không có dòng dữ liệu" in exc.message


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n  \r\n\r\n"])
def test_empty_file(ctx, org_data, tmp_path, content):
    path = tmp_path / "org.csv"
    path.write_bytes(content)
    exc = load_refused(path)
    assert exc.message == "Tệp org.csv trống, không có dữ liệu."


def test_not_a_csv_or_xlsx_by_name(ctx, org_data, tmp_path):
    path = tmp_path / "org.pdf"
    path.write_bytes(b"%PDF-1.4\n")
    exc = load_refused(path)
    assert exc.message == "Chỉ nhận tệp CSV hoặc XLSX (tệp org.pdf)."


@pytest.mark.parametrize("content", [
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n\x00\x00\x00",
    bytes(range(256)) * 4,
], ids=["pdf", "random-bytes"])
def test_binary_file_named_csv(ctx, org_data, tmp_path, content):
    path = tmp_path / "org.csv"
    path.write_bytes(content)
    exc = load_refused(path)
    assert "không phải tệp CSV" in exc.message


def test_xlsx_saved_as_csv(ctx, org_data, tmp_path):
    xlsx = write_xlsx(tmp_path / "org.xlsx", GOOD_ROWS)
    path = tmp_path / "org.csv"
    path.write_bytes(xlsx.read_bytes())
    exc = load_refused(path)
    assert "không phải tệp CSV" in exc.message


def test_missing_file(ctx, tmp_path):
    exc = load_refused(tmp_path / "khong-co.csv")
    assert "Không tìm thấy tệp" in exc.message


def _good_xlsx_bytes():
    buffer = io.BytesIO()
    workbook = Workbook()
    workbook.active.append(VI_HEADER)
    for row in GOOD_ROWS:
        workbook.active.append(row)
    workbook.save(buffer)
    return buffer.getvalue()


def _damaged_sheet_xml(data: bytes) -> bytes:
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                content = content[: len(content) // 2]  # cut in the middle of the XML
            target.writestr(item, content)
    return out.getvalue()


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],           # truncated download
    lambda data: b"not a zip at all, just text",   # a text file renamed .xlsx
    _damaged_sheet_xml,                            # a valid zip whose sheet XML is broken
], ids=["truncated", "not-zip", "broken-sheet-xml"])
def test_damaged_xlsx(ctx, org_data, tmp_path, damage):
    path = tmp_path / "org.xlsx"
    path.write_bytes(damage(_good_xlsx_bytes()))
    exc = load_refused(path)
    assert exc.message == "Không đọc được tệp XLSX (tệp hỏng hoặc không phải Excel)."


def test_refused_sheet_after_partial_work_saves_nothing(ctx, org_data, tmp_path):
    # The units and blocs are valid (they are written to the session before the memberships are
    # checked), but one year is wrong: the whole load is rolled back.
    rows = GOOD_ROWS + [["U1", "Sở Nội vụ đổi tên", "", "", "K1", "Khối đổi tên", "2027", "member"]]
    exc = load_refused(write_csv(tmp_path / "org.csv", rows))
    assert "chưa có Trưởng khối" in messages(exc)[0]
    assert org.get_unit("U1").name == "Sở Nội vụ"
    assert org.get_bloc("K1").name == "Khối thi đua số 1"
    with pytest.raises(NotFound):
        org.get_unit("SNV")


def test_csv_with_a_huge_field(ctx, org_data, tmp_path):
    path = tmp_path / "org.csv"
    path.write_text("Mã đơn vị;Tên đơn vị\nU9;\"" + "x" * 200_000 + "\"\n", encoding="utf-8")
    exc = load_refused(path)
    assert exc.message == "Không đọc được tệp CSV (có ô quá dài hoặc sai định dạng)."
