"""One rule for draft results everywhere (issue 12 item 1, DESIGN §4.1).

While a unit lacks a bloc score on any scored item it is "chưa chấm đủ": no rank, no classification,
`complete: false` — on the results page, the sheet, the API, the record and the XLSX alike; never
ranked by its self-score.
"""
from __future__ import annotations

import pytest

from portal.auth import services as accounts
from portal.scoring import services as scoring
from tests.conftest import NAMES
from tests.unit.test_scoring_services import build_table, fill


@pytest.fixture
def meeting(app, org_data):
    """K1 2026 half-way through the meeting: U1 fully bloc-scored, U2 half, U3 only its (submitted) self-score."""
    with app.app_context():
        admin, off2, off3 = (accounts.get_user(n) for n in ("admin", "off2", "off1"))
        table, cards, criteria = build_table()
        fill(off2, cards["U1"], criteria, "bloc", ["8", "15", "2", "1"])
        fill(off2, cards["U2"], criteria, "bloc", ["10", None, "5", None])
        fill(admin, cards["U3"], criteria, "self", ["10", "20", "5", None])
        scoring.submit_self(admin, scoring.get_scorecard(cards["U3"].id))
        return {"table": table.id, "token": accounts.create_token(None, admin), "cards": {k: c.id for k, c in cards.items()}}


def _lines(app, meeting):
    with app.app_context():
        results = scoring.compute(scoring.get_table(meeting["table"]))
        return {line.unit.code: (line.rank, line.classification, line.complete) for line in results.lines}


def test_services_rank_only_complete_units(app, meeting):
    lines = _lines(app, meeting)
    assert lines["U1"][0] == 1 and lines["U1"][2] is True and lines["U1"][1] is not None
    assert lines["U2"] == (None, None, False)  # 15 bloc points on half the items: not "Không hoàn thành"
    assert lines["U3"] == (None, None, False)  # 35 self points: not ranked 1st


def test_api_says_complete_false(client, meeting):
    response = client.get("/api/v1/years/2026/blocs/K1/results", headers={"Authorization": f"Bearer {meeting['token']}"})
    assert response.status_code == 200
    items = {item["unit"]["code"]: item for item in response.json["items"]}
    assert items["U1"]["complete"] is True and items["U1"]["rank"] == 1
    for code in ("U2", "U3"):
        assert (items[code]["rank"], items[code]["classification"], items[code]["complete"]) == (None, None, False)
    assert items["U2"]["totals"]["bloc"] == "15" and items["U3"]["totals"]["self"] == "35"


def test_results_page_and_sheet_agree(client, auth, meeting):
    auth.login("off2")
    page = client.get("/scoring/2026/K1/results").text
    rows = {unit: page.split(f"<th scope=\"row\">{NAMES[n - 1]}")[1].split("</tr>")[0] for unit, n in (("U2", 2), ("U3", 3))}
    for row in rows.values():
        assert "Chưa chấm đủ" in row and "Không hoàn thành" not in row
    assert "không xếp theo điểm tự chấm" in page
    sheet = client.get("/scoring/2026/K1/sheet").text
    sc1, sc2, sc3 = (meeting["cards"][u] for u in ("U1", "U2", "U3"))
    assert f'id="r{sc1}">1<' in sheet
    for sc in (sc2, sc3):
        assert f'id="r{sc}"><span class="muted">—<' in sheet


def test_an_english_interface_translates_the_results_but_never_the_official_outputs(client, auth, app, meeting):
    """Issue 12: with the interface in English, the page's words are English (draft note, the rules' flag note,
    document types), while the record and the XLSX stay Vietnamese."""
    auth.login("off2")
    client.post("/lang/en", data={"csrf_token": auth.csrf("/scoring/2026"), "next": "/"})
    page = client.get("/scoring/2026/K1/results").text
    assert "Not fully scored" in page and "Chưa chấm đủ" not in page
    assert "Flags are proposed only after the results are appraised." in page
    assert "Directive" in client.get("/search").text  # the type filter lists every type
    import io

    from openpyxl import load_workbook
    xlsx = load_workbook(io.BytesIO(client.get("/scoring/2026/K1/results.xlsx").data))
    words = " ".join(str(c.value) for ws in xlsx.worksheets for row in ws.iter_rows() for c in row if c.value is not None)
    assert "Chưa chấm đủ" in words and "Dự thảo" in words
    assert not any(english in words for english in ("Draft", "Good", "Not fully scored", "Excellent"))
