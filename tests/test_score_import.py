"""Scores from Excel (DESIGN §4.1, issue 12 item 3): the template of a bloc-year and stage, and its import —
all cells or none, numbered Vietnamese lines for faults, 409 for a cell changed since the template was made.

K1 2026 of conftest's Org: U2 leads (off2), U3 is the deputy, U1 a member (off1); off4 is in K2.
"""
from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
from openpyxl import Workbook, load_workbook

from portal import audit
from portal.auth import services as accounts
from portal.scoring import score_workbooks as workbooks
from portal.scoring import services as scoring
from tests.conftest import csrf_from
from tests.unit.test_scoring_services import build_table, fill

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
API = "/api/v1/years/2026/blocs/K1/scores"
FIRST_ITEM = 9  # line of criterion 1 (title block 1-4, header 6, hidden codes 7, group I 8)
LINES = {"c1": 9, "c2": 10, "group2": 11, "c3": 12, "c4": 14, "total": 15}
COLUMNS = {"U2": "E", "U3": "F", "U1": "G"}  # leader, deputy, member: the sheet's order


@pytest.fixture
def world(app, org_data):
    with app.app_context():
        table, cards, criteria = build_table()
        off2 = accounts.get_user("off2")
        fill(off2, cards["U1"], criteria, "bloc", ["8", "15,5", None, "1"])
        return {"table": table.id, "cards": {code: card.id for code, card in cards.items()}, "crit": [c.id for c in criteria]}


def _api_client(app, username: str):
    """A client sending the user's bearer token (no CSRF needed)."""
    with app.app_context():
        user = accounts.get_user(username)
        token = accounts.create_token(user, user, "kiểm thử nhập điểm")
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def _template(client, stage: str):
    response = client.get(f"{API}/template.xlsx?stage={stage}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == XLSX_MIME
    return load_workbook(io.BytesIO(response.data))


def _bytes(wb) -> io.BytesIO:
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def _import(client, wb_or_bytes, stage: str):
    data = wb_or_bytes if isinstance(wb_or_bytes, io.BytesIO) else _bytes(wb_or_bytes)
    return client.post(f"{API}/import", data={"stage": stage, "file": (data, "mau-da-dien.xlsx")},
                       content_type="multipart/form-data")


def _stored(app, world, unit: str, index: int, stage: str = "bloc"):
    with app.app_context():
        card = scoring.get_scorecard(world["cards"][unit])
        cell = scoring.read_cell(card, scoring.get_criterion(card.table, world["crit"][index]), stage)
        return cell.points, cell.version


def _score_events(app, world, unit: str) -> list:
    with app.app_context():
        return [e for e in audit.events_for("scorecard", world["cards"][unit]) if e.action == "score"]


# --- the template ---------------------------------------------------------------------------------

def test_the_leaders_bloc_template_looks_like_the_officials_sheet(app, world):
    client = _api_client(app, "off2")
    wb = _template(client, "bloc")
    ws = wb["Chấm điểm"]
    assert ws["A1"].value == "BẢNG CHẤM ĐIỂM CỦA KHỐI NĂM 2026" and ws["A2"].value == "Khối thi đua số 1"
    assert "Ô để trống là giữ nguyên điểm đã lưu" in ws["A4"].value
    assert [c.value for c in ws[6]] == ["STT", "Nội dung tiêu chí", "Điểm tối đa", "Hướng dẫn chấm", "Sở Tài chính",
                                        "Ủy ban nhân dân huyện Bản Mường", "Sở Nội vụ", "Mã tiêu chí"]
    # Hidden: the row of unit codes, the column of criterion ids.
    assert [c.value for c in ws[7]][4:] == ["U2", "U3", "U1", "ma_don_vi"] and ws.row_dimensions[7].hidden
    assert ws.column_dimensions["H"].hidden
    rows = {line: [c.value for c in ws[line]] for line in range(8, 16)}
    assert rows[8][:3] == ["I", "Thực hiện nhiệm vụ chính trị", 30]
    assert rows[9][:4] == ["1.", "Hoàn thành chỉ tiêu được giao", 10, "Đủ 100% chỉ tiêu: 10 điểm."]
    assert rows[11][:3] == ["II", "Điểm thưởng", 5] and rows[12][1] == "Sáng kiến được công nhận (điểm thưởng)"
    assert rows[14][1] == "Báo cáo chậm (điểm trừ)" and rows[14][2] == 5
    # The stored bloc scores are there (U1: 8, 15,5, —, 1), as numbers.
    assert (ws["G9"].value, ws["G10"].value, ws["G12"].value, ws["G14"].value) == (8, 15.5, None, 1)
    assert ws["E9"].value is None
    # Totals are formulas: scored + bonus − deduction, as rules.total says.
    assert ws["B15"].value.startswith("Tổng điểm") and ws["C15"].value == "=SUM(C9:C10)"
    assert [ws[f"{col}15"].value for col in "EFG"] == [f"=SUM({c}9:{c}10)+SUM({c}12)-SUM({c}14)" for c in "EFG"]
    # Validation (a decimal between 0 and the max), frozen panes, printing on A4 landscape.
    rules = {(dv.formula1, dv.formula2): str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert rules[("0", "10")] == "E9:G9" and rules[("0", "20")] == "E10:G10" and all(
        dv.type == "decimal" for dv in ws.data_validations.dataValidation)
    assert ws.freeze_panes == "D8" and ws.page_setup.orientation == "landscape"
    assert ws.column_dimensions["B"].width > 30 and ws["B9"].alignment.wrap_text
    # The hidden sheet: what the template is, and per cell the version and value it was made with.
    meta = wb["_phien_ban"]
    assert meta.sheet_state == "veryHidden"
    values = [[c.value for c in row] for row in meta.iter_rows()]
    assert ["bloc", "K1"] == values[1][:2] and ["year", 2026] == values[2][:2] and ["stage", "bloc"] == values[3][:2]
    cells = {(r[1], r[2]): (r[0], r[3], r[4]) for r in values[values.index(["scorecard", "unit", "criterion", "version", "points"]) + 1:]}
    assert len(cells) == 3 * 4
    assert cells[("U1", world["crit"][1])] == (world["cards"]["U1"], 1, "15.5")
    assert cells[("U2", world["crit"][0])] == (world["cards"]["U2"], 0, None)


def test_who_gets_which_template(app, world):
    # A member unit's officer: its own column only, for the self-score; never the bloc stage.
    wb = _template(_api_client(app, "off1"), "self")
    ws = wb["Chấm điểm"]
    assert ws["A1"].value == "BẢNG TỰ CHẤM ĐIỂM THI ĐUA NĂM 2026" and "Đơn vị: Sở Nội vụ" in ws["A2"].value
    assert [c.value for c in ws[6]][4:] == ["Sở Nội vụ", "Mã tiêu chí"]
    assert ws["E9"].value is None  # the bloc's 8 is not the unit's self-score
    off1 = _api_client(app, "off1")
    assert off1.get(f"{API}/template.xlsx?stage=bloc").status_code == 403
    # The Board: every unit, both stages; a viewer and another bloc's officer: none.
    assert [c.value for c in _template(_api_client(app, "admin"), "self")["Chấm điểm"][6]][4:7] == [
        "Sở Tài chính", "Ủy ban nhân dân huyện Bản Mường", "Sở Nội vụ"]
    for name in ("viewer", "off4"):
        assert _api_client(app, name).get(f"{API}/template.xlsx?stage=self").status_code == 403
    bad = off1.get(f"{API}/template.xlsx?stage=appraisal")
    assert bad.status_code == 422 and "self" in bad.get_json()["error"]["message"]
    assert off1.get("/api/v1/years/2025/blocs/K1/scores/template.xlsx?stage=self").status_code == 404


# --- the import -----------------------------------------------------------------------------------

def test_round_trip_saves_the_changed_cells_audited(app, world):
    client = _api_client(app, "off2")
    wb = _template(client, "bloc")
    ws = wb["Chấm điểm"]
    ws["E9"] = 9            # U2, item 1: a number
    ws["E10"] = "17,25"     # U2, item 2: Vietnamese text as typed in a non-Vietnamese Excel
    ws["F12"] = 2.5         # U3, bonus
    ws["G9"] = 8            # U1, item 1: unchanged (stored 8) — not a change
    ws["G10"] = None        # U1, item 2: emptied — "leave as is"
    # Meanwhile someone saves U3's item 1 on the sheet: the file does not touch it, so that is no conflict.
    with app.app_context():
        fill(accounts.get_user("admin"), scoring.get_scorecard(world["cards"]["U3"]),
             scoring.criteria_of(scoring.get_table(world["table"])), "bloc", ["6"])
    response = _import(client, wb, "bloc")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"saved": 3}
    assert _stored(app, world, "U2", 0) == (D("9"), 1) and _stored(app, world, "U2", 1) == (D("17.25"), 1)
    assert _stored(app, world, "U3", 2) == (D("2.5"), 1) and _stored(app, world, "U3", 0) == (D("6"), 1)
    assert _stored(app, world, "U1", 1) == (D("15.5"), 1)
    events = _score_events(app, world, "U2")
    assert {(e.actor_name, e.after["points"]) for e in events} == {("off2", "9"), ("off2", "17.25")}
    # The same file again: everything it asks for is stored already.
    assert _import(client, wb, "bloc").get_json() == {"saved": 0}
    assert len(_score_events(app, world, "U2")) == 2


def test_a_faulty_line_saves_nothing_and_every_fault_is_listed(app, world):
    client = _api_client(app, "off2")
    wb = _template(client, "bloc")
    ws = wb["Chấm điểm"]
    ws["E9"] = 9            # fine, but must not be saved
    ws["F9"] = "chín"       # not a number
    ws["E10"] = 25          # over the max 20
    ws["F10"] = "8,555"     # three decimals
    ws["E11"] = 1           # a group row
    ws["H12"] = None        # the criterion id of line 12 wiped ...
    ws["E12"] = 1           # ... so this line is nobody's
    ws["G14"] = -1          # negative
    response = _import(client, wb, "bloc")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and "chưa có điểm nào được lưu" in error["message"]
    lines = error["lines"]
    assert [line["line"] for line in lines] == [9, 10, 10, 11, 12, 14]
    assert all(line["message"].startswith(f"Dòng {line['line']}") for line in lines)
    text = " ".join(line["message"] for line in lines)
    assert "“chín” không phải là số" in text and "vượt quá điểm tối đa 20" in text
    assert "quá hai chữ số thập phân" in text and "dòng nhóm" in text and "không được âm" in text
    assert "cột F (Ủy ban nhân dân huyện Bản Mường)" in text
    assert _stored(app, world, "U2", 0) == (None, 0) and _score_events(app, world, "U2") == []


def test_a_cell_changed_since_the_template_is_a_conflict_and_nothing_is_saved(app, world):
    client = _api_client(app, "off2")
    wb = _template(client, "bloc")
    ws = wb["Chấm điểm"]
    ws["E9"] = 9            # U2 item 1: written first in the transaction, then rolled back
    ws["G10"] = 16          # U1 item 2: someone saves it in between
    with app.app_context():
        card = scoring.get_scorecard(world["cards"]["U1"])
        criterion = scoring.get_criterion(card.table, world["crit"][1])
        scoring.save_score(accounts.get_user("admin"), card, criterion, "bloc", "14", 1)
    response = _import(client, wb, "bloc")
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "conflict" and "chưa có điểm nào được lưu" in error["message"]
    assert [line["line"] for line in error["lines"]] == [10]
    assert "cột G (Sở Nội vụ)" in error["lines"][0]["message"] and "14" in error["lines"][0]["message"]
    assert "Nguyễn Văn Quản" in error["lines"][0]["message"]  # who changed it, by name
    assert _stored(app, world, "U2", 0) == (None, 0) and _score_events(app, world, "U2") == []
    assert _stored(app, world, "U1", 1) == (D("14"), 2)


def test_a_submitted_self_score_refuses_the_import(app, world):
    client = _api_client(app, "off1")
    wb = _template(client, "self")
    wb["Chấm điểm"]["E9"] = 9
    with app.app_context():
        off1 = accounts.get_user("off1")
        card = scoring.get_scorecard(world["cards"]["U1"])
        fill(off1, card, scoring.criteria_of(card.table), "self", ["7", "18"])
        scoring.submit_self(off1, scoring.get_scorecard(card.id))
    response = _import(client, wb, "self")
    assert response.status_code == 409
    assert "đã gửi" in response.get_json()["error"]["lines"][0]["message"]
    assert _stored(app, world, "U1", 0, "self") == (D("7"), 1)


def test_rights_on_the_import(app, world):
    board_template = _template(_api_client(app, "admin"), "bloc")
    off1 = _api_client(app, "off1")
    # A member's officer may not score the bloc stage at all: 403, even with the Board's template.
    board_template["Chấm điểm"]["G9"] = 7
    assert _import(off1, board_template, "bloc").status_code == 403
    # The Board's self template holds every unit: off1 may change its own column only.
    self_template = _template(_api_client(app, "admin"), "self")
    ws = self_template["Chấm điểm"]
    ws["G9"] = 7   # U1: its own
    ws["E9"] = 5   # U2: another unit's self-score
    response = _import(off1, self_template, "self")
    assert response.status_code == 422
    assert [(line["line"], "cột E" in line["message"]) for line in response.get_json()["error"]["lines"]] == [(6, True)]
    ws["E9"] = None
    assert _import(off1, self_template, "self").get_json() == {"saved": 1}
    assert _stored(app, world, "U1", 0, "self") == (D("7"), 1)
    assert _import(_api_client(app, "viewer"), self_template, "self").status_code == 403
    # Rights come before the file: a viewer sending anything is refused, not told what is wrong with the file.
    assert _import(_api_client(app, "viewer"), io.BytesIO(b"junk"), "self").status_code == 403


def test_files_that_are_not_this_template(app, world, monkeypatch):
    client = _api_client(app, "off2")
    self_template = _template(client, "self")
    wrong_stage = _import(client, self_template, "bloc")
    assert wrong_stage.status_code == 422 and "mẫu tự chấm" in wrong_stage.get_json()["error"]["message"]
    with app.app_context():
        build_table("K2")
    k2 = _api_client(app, "admin").get("/api/v1/years/2026/blocs/K2/scores/template.xlsx?stage=bloc")
    assert k2.status_code == 200
    refused = _import(_api_client(app, "admin"), io.BytesIO(k2.data), "bloc")
    assert refused.status_code == 422 and "khối K2 năm 2026" in refused.get_json()["error"]["message"]
    assert refused.get_json()["error"]["lines"] == []
    plain = Workbook()
    plain.active.append(["STT", "Nội dung tiêu chí"])
    not_ours = _import(client, plain, "bloc")
    assert not_ours.status_code == 422 and "không phải mẫu nhập điểm" in not_ours.get_json()["error"]["message"]
    assert not_ours.get_json()["error"]["lines"] == []
    pdf = _import(client, io.BytesIO(b"%PDF-1.4 not a workbook"), "bloc")
    assert pdf.status_code == 415 and ".xlsx" in pdf.get_json()["error"]["message"]
    monkeypatch.setattr(workbooks, "MAX_XLSX_BYTES", 4000)  # a template is ~8 KB (no 5 MB upload in a unit test)
    big = _import(client, self_template, "self")
    assert big.status_code == 413 and "5 MB" in big.get_json()["error"]["message"]
    missing = client.post(f"{API}/import", data={"stage": "bloc"}, content_type="multipart/form-data")
    assert missing.status_code == 422 and "Hãy chọn tệp" in missing.get_json()["error"]["message"]
    assert _score_events(app, world, "U2") == []


# --- the pages ------------------------------------------------------------------------------------

def test_the_scorecard_page_imports_a_self_score_with_csrf(app, client, auth, world):
    auth.login("off1")
    card_url = f"/scoring/cards/{world['cards']['U1']}"
    page = client.get(card_url)
    assert page.status_code == 200 and "Tải mẫu Excel" in page.text
    template_url = "/scoring/2026/K1/scores/template.xlsx?stage=self"
    assert template_url.replace("?", "?").split("?")[0] in page.text
    response = client.get(template_url)
    assert response.status_code == 200 and response.mimetype == XLSX_MIME
    assert "mau-tu-cham-K1-2026.xlsx" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.data))
    wb["Chấm điểm"]["E9"] = 7.5
    wb["Chấm điểm"]["E10"] = 18
    form = {"stage": "self", "scorecard": str(world["cards"]["U1"])}
    # Without the CSRF token: refused, nothing saved.
    refused = client.post("/scoring/2026/K1/scores/import", data={**form, "file": (_bytes(wb), "mau.xlsx")},
                          content_type="multipart/form-data")
    assert refused.status_code == 400 and _stored(app, world, "U1", 0, "self") == (None, 0)
    token = csrf_from(page.text)
    done = client.post("/scoring/2026/K1/scores/import", data={**form, "csrf_token": token, "file": (_bytes(wb), "mau.xlsx")},
                       content_type="multipart/form-data")
    assert done.status_code == 302 and done.headers["Location"].endswith(card_url)
    assert "Đã nhập 2 ô điểm từ tệp Excel." in client.get(card_url).text
    assert _stored(app, world, "U1", 0, "self") == (D("7.5"), 1)
    # A faulty file: the scorecard again, 422, the numbered lines in the import box.
    wb["Chấm điểm"]["E9"] = 11
    again = client.post("/scoring/2026/K1/scores/import", data={**form, "csrf_token": token, "file": (_bytes(wb), "mau.xlsx")},
                        content_type="multipart/form-data")
    assert again.status_code == 422 and "Dòng 9, cột E (Sở Nội vụ)" in again.text and "vượt quá điểm tối đa 10" in again.text
    assert 'id="score-import-self" open' in again.text
    assert _stored(app, world, "U1", 0, "self") == (D("7.5"), 1)


def test_the_sheet_import_as_a_page(app, client, auth, world):
    auth.login("off2")
    token = auth.csrf("/scoring/2026/K1/sheet")
    wb = load_workbook(io.BytesIO(client.get("/scoring/2026/K1/scores/template.xlsx?stage=bloc").data))
    wb["Chấm điểm"]["F9"] = 6
    done = client.post("/scoring/2026/K1/scores/import", data={"stage": "bloc", "csrf_token": token,
                                                              "file": (_bytes(wb), "mau.xlsx")}, content_type="multipart/form-data")
    assert done.status_code == 302 and done.headers["Location"].endswith("/scoring/2026/K1/sheet")
    assert _stored(app, world, "U3", 0) == (D("6"), 1)
    wb["Chấm điểm"]["F10"] = "hai mươi"
    faulty = client.post("/scoring/2026/K1/scores/import", data={"stage": "bloc", "csrf_token": token,
                                                                "file": (_bytes(wb), "mau.xlsx")}, content_type="multipart/form-data")
    assert faulty.status_code == 422 and "Bảng chấm điểm" in faulty.text
    # A member's officer may not: 403 page.
    client.post("/logout", data={"csrf_token": token})
    auth.login("off1")
    denied = client.post("/scoring/2026/K1/scores/import", data={"stage": "bloc", "csrf_token": auth.csrf(),
                                                                 "file": (_bytes(wb), "mau.xlsx")}, content_type="multipart/form-data")
    assert denied.status_code == 403 and _stored(app, world, "U3", 1) == (None, 0)


def test_an_english_interface_still_gives_a_vietnamese_template(app, client, auth, world):
    auth.login("off2")
    client.post("/lang/en", data={"csrf_token": auth.csrf(), "next": "/"})
    assert 'lang="en"' in client.get("/").text
    ws = load_workbook(io.BytesIO(client.get("/scoring/2026/K1/scores/template.xlsx?stage=bloc").data))["Chấm điểm"]
    assert ws["A1"].value == "BẢNG CHẤM ĐIỂM CỦA KHỐI NĂM 2026"
    assert [c.value for c in ws[6]][:4] == ["STT", "Nội dung tiêu chí", "Điểm tối đa", "Hướng dẫn chấm"]
    assert ws["B15"].value.startswith("Tổng điểm") and ws["E15"].value.startswith("=SUM(")
