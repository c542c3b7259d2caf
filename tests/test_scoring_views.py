"""Scoring pages through the test client: every route, every right, locked tables, stale and bad cells, exports."""
from __future__ import annotations

import io
import re
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from portal.auth import services as accounts
from portal.extensions import db
from portal.org import services as org
from portal.scoring import services as scoring
from portal.scoring.models import Score
from tests.conftest import count_queries
from tests.unit.test_scoring_services import CRITERIA, build_table, fill

HX = {"HX-Request": "true"}


@pytest.fixture
def k1(app, org_data):
    """K1 2026 with the test criteria: {table, cards: {unit: scorecard id}, criteria: [ids]}."""
    with app.app_context():
        table, cards, criteria = build_table()
        return {"table": table.id, "cards": {code: card.id for code, card in cards.items()}, "criteria": [c.id for c in criteria]}


def _post(client, auth, path, data=None, **kw):
    return client.post(path, data={**(data or {}), "csrf_token": auth.csrf("/scoring/2026")}, **kw)


def _cell_post(client, auth, sc, cr, stage, points, version, note=None):
    data = {f"p-{sc}-{cr}": points, f"v-{sc}-{cr}": str(version)}
    if note is not None:
        data[f"n-{sc}-{cr}"] = note
    return client.post(f"/scoring/cells/{sc}/{cr}/{stage}", data=data,
                       headers={**HX, "X-CSRFToken": auth.csrf("/scoring/2026")})


def _stored(app, sc, cr, stage):
    with app.app_context():
        row = db.session.execute(sa.select(Score.points, Score.version).where(
            Score.scorecard_id == sc, Score.criterion_id == cr, Score.stage == stage)).first()
        return (row.points, row.version) if row else (None, 0)


def _score_count(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Score.id)))


# --- login and reading ------------------------------------------------------------------------

PAGES = ["/scoring/", "/scoring/2026", "/scoring/2026/K1/criteria", "/scoring/2026/K1/sheet", "/scoring/2026/K1/results",
         "/scoring/2026/K1/self", "/scoring/2026/K1/record", "/scoring/2026/K1/results.xlsx"]


@pytest.mark.parametrize("path", PAGES)
def test_login_required(client, k1, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("username", ["admin", "off1", "off2", "off4", "viewer"])
def test_overview_and_criteria_are_readable_by_everyone(client, auth, k1, username):
    auth.login(username)
    page = client.get("/scoring/2026")
    assert page.status_code == 200 and "Khối thi đua số 1" in page.text
    criteria = client.get("/scoring/2026/K1/criteria")
    assert criteria.status_code == 200 and "Thu ngân sách đạt dự toán" in criteria.text
    assert ("Thêm tiêu chí</button>" in criteria.text) == (username in ("admin", "off2"))


def test_nav_link_and_empty_table(client, auth, org_data):
    auth.login("off2")
    page = client.get("/scoring/2026/K2/criteria")
    assert page.status_code == 200 and "Khối chưa có bảng tiêu chí năm 2026" in page.text
    assert 'href="/scoring/"' in page.text and "Chấm điểm" in page.text
    assert client.get("/scoring/2026/K2/sheet").status_code == 404
    assert client.get("/scoring/2026/K9/criteria").status_code == 404
    assert client.get("/scoring/1999").status_code == 422


# --- the criteria editor -------------------------------------------------------------------------

def _criteria_ops(k1):
    c = k1["criteria"][1]
    item = {"group": "I. Thực hiện nhiệm vụ chính trị", "title": "Giảm nghèo", "max_points": "5", "kind": "scored"}
    return [
        ("/scoring/2026/K1/criteria/items", item),
        (f"/scoring/2026/K1/criteria/items/{c}", {**CRITERIA[1], "title": "Thu ngân sách (sửa)"}),
        (f"/scoring/2026/K1/criteria/items/{c}/up", {}),
        (f"/scoring/2026/K1/criteria/items/{c}/down", {}),
        (f"/scoring/2026/K1/criteria/items/{c}/outdent", {}),
        (f"/scoring/2026/K1/criteria/items/{c}/delete", {}),
        ("/scoring/2026/K1/criteria/copy", {"source_bloc": "K1", "source_year": "2025", "replace": "1"}),
        ("/scoring/2026/K1/criteria/lock", {}),
    ]


def _criteria_state(app):
    with app.app_context():
        table = scoring.find_table(org.get_bloc("K1"), 2026)
        return [c.to_dict() for c in scoring.criteria_of(table)], table.locked


@pytest.mark.parametrize("username", ["off1", "off4", "off6", "viewer"])
@pytest.mark.parametrize("index", range(8))
def test_criteria_edits_refuse_everyone_but_the_leader(client, auth, app, k1, username, index):
    path, data = _criteria_ops(k1)[index]
    auth.login(username)
    before = _criteria_state(app)
    response = _post(client, auth, path, data)
    assert response.status_code == 403
    assert _criteria_state(app) == before


@pytest.mark.parametrize("index", range(8))
def test_criteria_edits_need_csrf(client, auth, app, k1, index):
    path, data = _criteria_ops(k1)[index]
    auth.login("off2")
    before = _criteria_state(app)
    assert client.post(path, data=data).status_code == 400
    assert _criteria_state(app) == before


def test_leader_edits_inline_with_htmx(client, auth, app, k1):
    auth.login("off2")
    c = k1["criteria"][1]
    edit = client.get(f"/scoring/2026/K1/criteria/items/{c}/edit", headers=HX)
    assert edit.status_code == 200 and edit.text.lstrip().startswith('<section id="criteria-editor"')
    assert 'value="Thu ngân sách đạt dự toán"' in edit.text and "<html" not in edit.text
    version = re.search(r'name="version" value="(\d+)"', edit.text).group(1)
    saved = client.post(f"/scoring/2026/K1/criteria/items/{c}", headers={**HX, "X-CSRFToken": auth.csrf()},
                        data={**CRITERIA[1], "max_points": "17,5", "version": version})
    assert saved.status_code == 200 and "Đã lưu tiêu chí." in saved.text
    assert 'id="max-total">27,5<' in saved.text  # the table's total follows the edit
    bad = client.post("/scoring/2026/K1/criteria/items", headers={**HX, "X-CSRFToken": auth.csrf()},
                      data={"title": "", "max_points": "-1"})
    assert bad.status_code == 422 and "Vui lòng nhập nội dung tiêu chí." in bad.text and "Điểm tối đa phải là số dương" in bad.text
    stale = client.post(f"/scoring/2026/K1/criteria/items/{c}/up", headers={**HX, "X-CSRFToken": auth.csrf()},
                        data={"version": version})
    assert stale.status_code == 409 and "vừa được người khác thay đổi" in stale.text


def test_plain_form_edits_redirect_with_a_message(client, auth, app, k1):
    auth.login("off2")
    response = _post(client, auth, "/scoring/2026/K1/criteria/items", {"title": "Xây dựng nông thôn mới", "max_points": "10"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "Đã thêm tiêu chí." in page.text and "Xây dựng nông thôn mới" in page.text


def test_locked_table_is_refused_with_409_and_board_unlocks(client, auth, app, k1):
    auth.login("off2")
    assert _post(client, auth, "/scoring/2026/K1/criteria/lock").status_code == 302
    before = _criteria_state(app)
    assert before[1] is True
    response = _post(client, auth, "/scoring/2026/K1/criteria/items", {"title": "Muộn", "max_points": "1"})
    # Locked by hand, no score yet: the reason says so (not "vì việc chấm điểm đã bắt đầu").
    assert response.status_code == 409 and "đã được khóa để chuẩn bị chấm điểm" in response.text
    assert "chưa có điểm nào" in client.get("/scoring/2026/K1/criteria").text
    htmx = client.post("/scoring/2026/K1/criteria/items", headers={**HX, "X-CSRFToken": auth.csrf()},
                       data={"title": "Muộn", "max_points": "1"})
    assert htmx.status_code == 409 and "Ban Thi đua - Khen thưởng có thể mở khóa" in htmx.text
    assert _post(client, auth, "/scoring/2026/K1/criteria/unlock", {"reason": "x"}).status_code == 403
    assert _criteria_state(app) == before
    auth.logout()
    auth.login("admin")
    assert _post(client, auth, "/scoring/2026/K1/criteria/unlock", {"reason": ""}).status_code == 422
    assert _post(client, auth, "/scoring/2026/K1/criteria/unlock", {"reason": "Sửa tiêu chí 2"}).status_code == 302
    assert _criteria_state(app)[1] is False


def test_import_xlsx_through_the_page(client, auth, app, k1):
    from tests.unit.test_scoring_services import OFFICIAL_SHEET, _xlsx

    auth.login("off2")
    response = client.post("/scoring/2026/K1/criteria/import", content_type="multipart/form-data",
                           data={"csrf_token": auth.csrf(), "replace": "1", "file": (_xlsx(OFFICIAL_SHEET), "bang-diem.xlsx")})
    assert response.status_code == 302
    assert [c["title"] for c in _criteria_state(app)[0]][-1] == "Báo cáo chậm"
    bad = client.post("/scoring/2026/K1/criteria/import", content_type="multipart/form-data",
                      data={"csrf_token": auth.csrf(), "replace": "1", "file": (io.BytesIO(b"xx"), "x.xlsx")})
    assert bad.status_code == 422 and "cần một tệp Excel .xlsx" in bad.text


def test_copy_from_last_year_through_the_page(client, auth, app, k1):
    with app.app_context():
        scoring.replace_criteria(accounts.SYSTEM, scoring.table_for(org.get_bloc("K1"), 2025), CRITERIA[:1])
    auth.login("off2")
    response = _post(client, auth, "/scoring/2026/K1/criteria/copy", {"source_bloc": "K1", "source_year": "2025", "replace": "1"})
    assert response.status_code == 302
    assert [c["title"] for c in _criteria_state(app)[0]] == [CRITERIA[0]["title"]]


# --- the sheet and its cells ---------------------------------------------------------------------

@pytest.mark.parametrize("username, status", [("off2", 200), ("admin", 200), ("off1", 403), ("off4", 403), ("viewer", 403)])
def test_sheet_is_for_the_leader_and_the_board(client, auth, k1, username, status):
    auth.login(username)
    response = client.get("/scoring/2026/K1/sheet")
    assert response.status_code == status
    if status == 200:
        assert 'class="cell-input"' in response.text and "scoring.js" in response.text
        assert "Sở Nội vụ" in response.text or "Đơn vị 1" in response.text


def test_appraisal_sheet_is_the_boards(client, auth, k1):
    auth.login("off2")
    assert client.get("/scoring/2026/K1/sheet?stage=appraisal").status_code == 403
    auth.logout()
    auth.login("admin")
    page = client.get("/scoring/2026/K1/sheet?stage=appraisal")
    assert page.status_code == 200 and "Chưa có đơn vị nào để thẩm định" in page.text


def test_cell_save_updates_total_and_rank_live(client, auth, app, k1):
    auth.login("off2")
    sc1, sc2 = k1["cards"]["U1"], k1["cards"]["U2"]
    c1 = k1["criteria"][0]
    first = _cell_post(client, auth, sc1, c1, "bloc", "8,5", 0)
    assert first.status_code == 200
    # Everything comes out of band: the input the user may be typing in again is never replaced.
    assert f'<input type="hidden" id="v{sc1}-{c1}" name="v-{sc1}-{c1}" value="1" hx-swap-oob="true">' in first.text
    assert f'id="m{sc1}-{c1}" class="cell-slot" data-value="8,5" hx-swap-oob="true"' in first.text
    assert 'class="cell-input"' not in first.text and f'id="t{sc1}">8,5<' in first.text
    # One scored item of two: "chưa chấm đủ", no rank yet (the same rule as the results page).
    assert re.search(rf'id="r{sc1}"><span class="muted">—<', first.text)
    c2 = k1["criteria"][1]
    assert re.search(rf'id="r{sc1}">1<', _cell_post(client, auth, sc1, c2, "bloc", "10", 0).text)
    _cell_post(client, auth, sc2, c1, "bloc", "9", 0)
    second = _cell_post(client, auth, sc2, c2, "bloc", "10", 0)
    assert re.search(rf'id="r{sc2}">1<', second.text) and re.search(rf'id="r{sc1}">2<', second.text)
    assert _stored(app, sc1, c1, "bloc") == (D("8.5"), 1)


def test_stale_cell_is_409_with_the_other_value_and_nothing_stored(client, auth, app, k1):
    auth.login("off2")
    sc, c = k1["cards"]["U1"], k1["criteria"][0]
    assert _cell_post(client, auth, sc, c, "bloc", "7", 0).status_code == 200
    response = _cell_post(client, auth, sc, c, "bloc", "9", 0)
    assert response.status_code == 409
    assert "Cán bộ 2 vừa lưu điểm 7 cho ô này" in response.text
    assert "Lấy giá trị 7" in response.text and "Ghi đè bằng 9" in response.text
    assert f'name="v-{sc}-{c}" value="1" hx-swap-oob="true"' in response.text  # overwriting is now based on v1, knowingly
    assert _stored(app, sc, c, "bloc") == (D("7"), 1)
    take = client.get(f"/scoring/cells/{sc}/{c}/bloc", headers=HX)
    assert take.status_code == 200 and 'data-value="7" data-force="1"' in take.text
    overwrite = _cell_post(client, auth, sc, c, "bloc", "9", 1)
    assert overwrite.status_code == 200 and _stored(app, sc, c, "bloc") == (D("9"), 2)


@pytest.mark.parametrize("raw", ["11", "8,555", "-2", "abc", "1.000"])
def test_bad_points_are_422_on_the_cell_and_nothing_stored(client, auth, app, k1, raw):
    auth.login("off2")
    sc, c = k1["cards"]["U1"], k1["criteria"][0]
    response = _cell_post(client, auth, sc, c, "bloc", raw, 0)
    assert response.status_code == 422
    assert "Điểm phải là số từ 0 đến 10, tối đa hai chữ số thập phân." in response.text
    assert f'name="v-{sc}-{c}" value="0" hx-swap-oob="true"' in response.text and 'role="alert"' in response.text
    assert _score_count(app) == 0


@pytest.mark.parametrize("username, unit, stage", [
    ("off1", "U1", "bloc"),       # a member does not bloc-score, not even itself
    ("off1", "U3", "self"),       # nor another unit's self-score
    ("off4", "U1", "self"),       # nor a bloc it does not belong to
    ("off2", "U1", "appraisal"),  # appraisal is the Board's
    ("viewer", "U1", "bloc"),
])
def test_cell_rights(client, auth, app, k1, username, unit, stage):
    auth.login(username)
    response = _cell_post(client, auth, k1["cards"][unit], k1["criteria"][0], stage, "5", 0)
    assert response.status_code == 403
    assert _score_count(app) == 0


def test_cell_needs_csrf_and_login(client, auth, app, k1):
    sc, c = k1["cards"]["U1"], k1["criteria"][0]
    assert client.post(f"/scoring/cells/{sc}/{c}/bloc", data={f"p-{sc}-{c}": "5", f"v-{sc}-{c}": "0"}).status_code in (302, 400)
    auth.login("off2")
    assert client.post(f"/scoring/cells/{sc}/{c}/bloc", data={f"p-{sc}-{c}": "5", f"v-{sc}-{c}": "0"}).status_code == 400
    assert _score_count(app) == 0
    assert client.get(f"/scoring/cells/{sc}/{c}/nope", headers=HX).status_code == 404


def test_plain_sheet_form_saves_all_or_nothing(client, auth, app, k1):
    auth.login("off2")
    sc1, sc2, c = k1["cards"]["U1"], k1["cards"]["U2"], k1["criteria"][0]
    page = client.get("/scoring/2026/K1/sheet")
    form = dict(re.findall(r'name="([pv]-\d+-\d+)" value="([^"]*)"', page.text))
    form.update({f"p-{sc1}-{c}": "9", f"p-{sc2}-{c}": "12"})
    refused = _post(client, auth, "/scoring/2026/K1/sheet", form)
    assert refused.status_code == 422 and "chưa có điểm nào trong lần lưu này được ghi" in refused.text
    assert _score_count(app) == 0
    form[f"p-{sc2}-{c}"] = "6"
    saved = _post(client, auth, "/scoring/2026/K1/sheet", form)
    assert saved.status_code == 302
    assert _stored(app, sc1, c, "bloc") == (D("9"), 1) and _stored(app, sc2, c, "bloc") == (D("6"), 1)
    assert "Đã lưu 2 ô điểm." in client.get(saved.headers["Location"]).text


def test_sheet_queries_do_not_grow_with_units_or_criteria(client, auth, app, k1):
    auth.login("off2")
    client.get("/scoring/2026/K1/sheet")
    with count_queries(app) as small:
        assert client.get("/scoring/2026/K1/sheet").status_code == 200
    with app.app_context():
        for i in range(7, 12):
            org.create_unit(None, {"code": f"U{i}", "name": f"Đơn vị thêm {i}", "kind": "so_nganh"})
        rows = org.membership_rows(2026) + [org.MembershipRow(f"U{i}", "K1", "member") for i in range(7, 12)]
        org.replace_memberships(None, 2026, rows)
        table = scoring.find_table(org.get_bloc("K1"), 2026)
        for i in range(12):
            scoring.add_criterion(accounts.get_user("off2"), table, {"title": f"Tiêu chí thêm {i}", "max_points": "2"})
        fill(accounts.get_user("off2"), scoring.get_scorecard(k1["cards"]["U1"]), scoring.criteria_of(table), "bloc", ["1"] * 16)
    client.get("/scoring/2026/K1/sheet")  # creates the new units' scorecards once
    with count_queries(app) as large:
        page = client.get("/scoring/2026/K1/sheet")
    assert page.status_code == 200 and page.text.count('class="cell-input"') == 8 * 16
    assert len(large) == len(small), (small, large)


def test_cell_save_queries_do_not_grow(client, auth, app, k1):
    auth.login("off2")
    sc, c = k1["cards"]["U1"], k1["criteria"][0]
    token = auth.csrf()
    _cell_post(client, auth, sc, c, "bloc", "1", 0)
    with count_queries(app) as queries:
        client.post(f"/scoring/cells/{sc}/{c}/bloc", data={f"p-{sc}-{c}": "2", f"v-{sc}-{c}": "1"},
                    headers={**HX, "X-CSRFToken": token})
    assert len(queries) <= 20, queries


# --- self-scoring ------------------------------------------------------------------------------

def test_unit_fills_its_own_self_score_with_notes_and_submits(client, auth, app, k1):
    auth.login("off1")
    page = client.get("/scoring/2026/K1/self", follow_redirects=True)
    assert page.status_code == 200 and "Phiếu chấm điểm: Sở Nội vụ" in page.text
    sc = k1["cards"]["U1"]
    c1, c2 = k1["criteria"][:2]
    row = _cell_post(client, auth, sc, c1, "self", "9,5", 0, note="Báo cáo số 12/BC-SNV")
    assert row.status_code == 200 and 'data-value="9,5" data-note="Báo cáo số 12/BC-SNV"' in row.text
    assert 'id="card-total" hx-swap-oob="true"' in row.text and ">9,5<" in row.text
    refused = _post(client, auth, f"/scoring/cards/{sc}/submit")
    assert refused.status_code == 422 and "Còn 1 tiêu chí chưa tự chấm" in refused.text
    _cell_post(client, auth, sc, c2, "self", "18", 0)
    assert _post(client, auth, f"/scoring/cards/{sc}/submit").status_code == 302
    page = client.get(f"/scoring/cards/{sc}")
    assert "Đã gửi lúc" in page.text and 'class="cell-input"' not in page.text
    assert _cell_post(client, auth, sc, c1, "self", "8", 1).status_code == 409


def test_other_units_cannot_see_a_draft_self_score(client, auth, app, k1):
    auth.login("off6")
    assert client.get(f"/scoring/cards/{k1['cards']['U1']}").status_code == 403
    assert client.get("/scoring/2026/K1/self").status_code == 403
    auth.logout()
    auth.login("off1")
    assert client.get(f"/scoring/cards/{k1['cards']['U3']}").status_code == 403
    assert client.get(f"/scoring/cards/{k1['cards']['U3']}/history").status_code == 403


def test_leader_sees_submitted_self_scores_beside_the_cells(client, auth, app, k1):
    with app.app_context():
        off1 = accounts.get_user("off1")
        card = scoring.get_scorecard(k1["cards"]["U1"])
        fill(off1, card, scoring.criteria_of(card.table), "self", ["7", "15", None, None])
    auth.login("off2")
    sheet = client.get("/scoring/2026/K1/sheet").text
    assert ">7</span>" not in sheet  # a draft is the unit's own business
    with app.app_context():
        scoring.submit_self(accounts.get_user("off1"), scoring.get_scorecard(k1["cards"]["U1"]))
    sheet = client.get("/scoring/2026/K1/sheet").text
    assert re.search(r'<span id="k\d+-\d+" class="cmp" title="Tự chấm">7</span>', sheet) and ">22<" in sheet


def test_plain_scorecard_form_saves_with_notes(client, auth, app, k1):
    auth.login("off1")
    sc, c1 = k1["cards"]["U1"], k1["criteria"][0]
    response = _post(client, auth, f"/scoring/cards/{sc}", {f"p-{sc}-{c1}": "6", f"v-{sc}-{c1}": "0", f"n-{sc}-{c1}": "Ghi chú"})
    assert response.status_code == 302 and _stored(app, sc, c1, "self") == (D("6"), 1)


def test_history_page_lists_every_change(client, auth, app, k1):
    auth.login("off2")
    sc, c = k1["cards"]["U3"], k1["criteria"][1]
    _cell_post(client, auth, sc, c, "bloc", "12", 0)
    _cell_post(client, auth, sc, c, "bloc", "13,5", 1)
    page = client.get(f"/scoring/cards/{sc}/history")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    assert "Khối chấm" in text and "2. Thu ngân sách đạt dự toán" in text
    assert '<td class="num">12</td> <td class="num"><strong>13,5</strong>' in text
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", text)


# --- results, status, exports --------------------------------------------------------------------

def _complete(app, k1, *, thresholds=True):
    with app.app_context():
        off2 = accounts.get_user("off2")
        if thresholds:
            scoring.set_thresholds(accounts.get_user("admin"), 2026, {"excellent": "28", "good": "25", "completed": "15"})
        for code, points in (("U1", ["9", "19", "1", None]), ("U2", ["10", "19", None, None]), ("U3", ["7", "15", None, "2"])):
            card = scoring.get_scorecard(k1["cards"][code])
            fill(off2, card, scoring.criteria_of(card.table), "bloc", points)


@pytest.mark.parametrize("username, status", [("off2", 200), ("admin", 200), ("off1", 403), ("viewer", 403)])
def test_draft_results_are_for_the_leader(client, auth, k1, username, status):
    auth.login(username)
    assert client.get("/scoring/2026/K1/results").status_code == status


def test_status_flow_through_the_pages(client, auth, app, k1):
    _complete(app, k1)
    auth.login("off1")
    assert _post(client, auth, "/scoring/2026/K1/results/submit").status_code == 403
    auth.logout()
    auth.login("off2")
    assert _post(client, auth, "/scoring/2026/K1/results/submit").status_code == 302
    assert _post(client, auth, "/scoring/2026/K1/results/appraise").status_code == 403
    auth.logout()
    auth.login("off1")  # once submitted, every unit sees the results
    page = client.get("/scoring/2026/K1/results")
    assert page.status_code == 200 and "Đã gửi" in page.text
    auth.logout()
    auth.login("admin")
    again = _post(client, auth, "/scoring/2026/K1/results/submit")
    assert again.status_code == 409 and "Không thể “Gửi kết quả”" in again.text
    incomplete = _post(client, auth, "/scoring/2026/K1/results/appraise")
    assert incomplete.status_code == 422 and "còn 2 tiêu chí chưa có điểm thẩm định" in incomplete.text
    for code in ("U1", "U2", "U3"):
        assert _post(client, auth, f"/scoring/cards/{k1['cards'][code]}/appraisal-copy").status_code == 302
    sheet = client.get("/scoring/2026/K1/sheet?stage=appraisal")
    assert sheet.status_code == 200 and sheet.text.count('class="cell-input"') == 3 * 4
    assert _post(client, auth, "/scoring/2026/K1/results/appraise").status_code == 302
    page = client.get("/scoring/2026/K1/results").text
    assert "Cờ thi đua của UBND tỉnh" in page and "Đề nghị Cờ Chính phủ" in page
    gov = _post(client, auth, f"/scoring/2026/K1/results/gov-flag/{k1['cards']['U2']}", {"marked": "1"})
    assert gov.status_code == 302
    assert "Cờ thi đua của Chính phủ" in client.get("/scoring/2026/K1/results").text
    assert _post(client, auth, "/scoring/2026/K1/results/finalize").status_code == 302
    assert _post(client, auth, "/scoring/2026/K1/results/reopen", {"reason": ""}).status_code == 422
    assert _post(client, auth, "/scoring/2026/K1/results/reopen", {"reason": "Hội đồng xem lại"}).status_code == 302
    page = client.get("/scoring/2026/K1/results").text
    assert "Đã thẩm định" in page and "system" not in page


def test_exports(client, auth, app, k1):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    _complete(app, k1)
    auth.login("off2")
    response = client.get("/scoring/2026/K1/results.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.data), data_only=True).active  # totals are formulas with their values
    values = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    assert values[0][0] == "KẾT QUẢ CHẤM ĐIỂM, XẾP HẠNG THI ĐUA NĂM 2026"
    assert re.search(r"ngày xuất: \d\d/\d\d/\d{4}", values[1][0])
    lines = [row for row in values if row and row[1] in ("Sở Nội vụ", "Sở Tài chính", "Ủy ban nhân dân huyện Bản Mường")]
    assert [(row[1], row[3], row[6]) for row in lines][:2] == [("Sở Tài chính", 29, 1), ("Sở Nội vụ", 29, "1=")] or \
           [(row[1], row[3], row[6]) for row in lines][:2] == [("Sở Tài chính", 29, "1="), ("Sở Nội vụ", 29, "1=")]
    full = client.get("/scoring/2026/K1/sheet.xlsx")
    assert full.status_code == 200
    wb = load_workbook(io.BytesIO(full.data))
    assert wb.sheetnames == ["Tự chấm", "Khối chấm", "Thẩm định"]
    rows = list(wb["Khối chấm"].iter_rows(values_only=True))
    assert rows[3][:3] == ("STT", "Nội dung tiêu chí", "Điểm chuẩn")
    assert any(r[1] == "Thu ngân sách đạt dự toán" and r[2] == 20 for r in rows)
    record = client.get("/scoring/2026/K1/record")
    assert record.status_code == 200 and "BIÊN BẢN" in record.text and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in record.text
    pdf = client.get("/scoring/2026/K1/record.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages))
    assert "BIÊN BẢN" in text and "Sở Tài chính" in text and "tổng kết công tác thi đua, khen thưởng năm 2026" in text
    assert "Số: ……/BB-K1" in text and re.search(r"ngày \S+ tháng \S+ năm 2026", text)
    auth.logout()
    auth.login("off1")
    assert client.get("/scoring/2026/K1/results.xlsx").status_code == 403  # draft results: the leader's
    assert client.get("/scoring/2026/K1/sheet.xlsx").status_code == 403


def test_thresholds_form_is_the_boards(client, auth, app, k1):
    auth.login("off2")
    assert _post(client, auth, "/scoring/2026/thresholds", {"excellent": "28", "good": "25", "completed": "15"}).status_code == 403
    auth.logout()
    auth.login("admin")
    page = client.get("/scoring/2026")
    assert 'name="excellent" value="95"' in page.text
    saved = _post(client, auth, "/scoring/2026/thresholds", {"excellent": "28", "good": "25", "completed": "15"})
    assert saved.status_code == 302
    assert 'name="excellent" value="28"' in client.get("/scoring/2026").text


def test_rotation_moves_the_rights(client, auth, app, org_data):
    with app.app_context():
        build_table(year=2025)
        build_table(year=2026)
    auth.login("off1")  # U1 led K1 in 2025, is a member in 2026
    assert client.get("/scoring/2025/K1/sheet").status_code == 200
    assert client.get("/scoring/2026/K1/sheet").status_code == 403
    auth.logout()
    auth.login("off2")  # U2 was deputy in 2025, leads in 2026
    assert client.get("/scoring/2025/K1/sheet").status_code == 403
    assert client.get("/scoring/2026/K1/sheet").status_code == 200


def test_the_same_value_saved_by_two_scorers_is_no_conflict(client, auth, app, k1):
    """Re-sending the value already stored (another scorer typed the same) is not "Lấy 4 / Ghi đè bằng 4"."""
    auth.login("off2")
    sc, c = k1["cards"]["U1"], k1["criteria"][0]
    assert _cell_post(client, auth, sc, c, "bloc", "4", 0).status_code == 200
    same = _cell_post(client, auth, sc, c, "bloc", "4,0", 0)  # from a screen that still had version 0
    assert same.status_code == 200 and "Ghi đè" not in same.text
    assert _stored(app, sc, c, "bloc") == (D("4"), 1)  # no second write, no audit line
    assert _cell_post(client, auth, sc, c, "bloc", "5", 0).status_code == 409  # a different value still is one


def test_submitting_a_self_score_with_unsaved_or_refused_cells_is_refused(client, auth, app, k1):
    auth.login("off1")
    sc = k1["cards"]["U1"]
    c1, c2 = k1["criteria"][:2]
    for cr, points in ((c1, "8"), (c2, "15")):
        assert _cell_post(client, auth, sc, cr, "self", points, 0).status_code == 200
    token = auth.csrf(f"/scoring/cards/{sc}")
    # The form on screen still shows a refused value (25 > max 20) and an unsaved one: nothing is sent.
    refused = client.post(f"/scoring/cards/{sc}/submit", data={"csrf_token": token, f"p-{sc}-{c1}": "9", f"v-{sc}-{c1}": "1",
                                                               f"p-{sc}-{c2}": "25", f"v-{sc}-{c2}": "1"})
    assert refused.status_code == 422
    assert "Chưa gửi: còn 2 ô chưa lưu hoặc bị từ chối" in refused.text and "Chưa lưu: điểm đang lưu là 8." in refused.text
    assert 'value="25"' in refused.text  # what the officer typed stays on screen, marked
    with app.app_context():
        assert scoring.get_scorecard(sc).self_submitted_at is None
    # The same form once everything on screen is what is stored: sent.
    sent = client.post(f"/scoring/cards/{sc}/submit", data={"csrf_token": token, f"p-{sc}-{c1}": "8", f"v-{sc}-{c1}": "1",
                                                            f"p-{sc}-{c2}": "15,00", f"v-{sc}-{c2}": "1"})
    assert sent.status_code == 302
    with app.app_context():
        assert scoring.get_scorecard(sc).self_submitted_at is not None


def _table_version(client) -> str:
    return re.search(r'name="version" value="(\d+)"', client.get("/scoring/2026/K1/criteria").text).group(1)


def test_adding_criteria_one_after_another_keeps_group_kind_and_focus(client, auth, app, k1):
    """The criteria editor's frictions (issue 12 item 7): the group stays for the next item, the cursor is back in
    the title, and deleting asks once (data-confirm only, no second hx-confirm)."""
    auth.login("off2")
    added = client.post("/scoring/2026/K1/criteria/items", headers={**HX, "X-CSRFToken": auth.csrf()},
                        data={"group": "II. Điểm thưởng", "title": "Giải thưởng cấp tỉnh", "max_points": "2", "kind": "bonus",
                              "version": _table_version(client)})
    assert added.status_code == 200 and "Đã thêm tiêu chí." in added.text
    add_form = added.text.split('class="card add-card"')[1]
    assert 'id="a-group" name="group" value="II. Điểm thưởng"' in add_form
    assert '<option value="bonus" selected>' in add_form
    assert re.search(r'id="a-title" name="title" value="" required autofocus', add_form)
    assert "hx-confirm" not in added.text and 'data-confirm="Xóa tiêu chí' in added.text
    # Without JavaScript: the redirect brings the same group and kind back.
    plain = _post(client, auth, "/scoring/2026/K1/criteria/items", {"group": "II. Điểm thưởng", "title": "Bằng khen",
                                                                    "max_points": "1", "kind": "bonus",
                                                                    "version": _table_version(client)})
    assert plain.status_code == 302 and "group=II." in plain.headers["Location"]
    page = client.get(plain.headers["Location"]).text.split('class="card add-card"')[1]
    assert 'value="II. Điểm thưởng"' in page
