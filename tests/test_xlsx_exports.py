"""Every XLSX the portal writes keeps user text as text: no formula made of it, hostile texts shown exactly with Excel's
quote prefix. The only formulas are the portal's own totals (sums of cell ranges), and they carry their computed values.

The export routes are found in the app's URL map, so an export added without a line in `EXPORTS` fails here.
"""
from __future__ import annotations

import inspect
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal.auth import services as accounts
from portal.extensions import db
from portal.org.models import Bloc, Unit
from portal.scoring import services as scoring
from portal.text.spreadsheet import FORMULA_STARTS
from tests.unit.test_schedule_services import add_document, make_schedule, plan_items
from tests.unit.test_scoring_services import build_table, fill

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Texts a spreadsheet would run (OWASP "CSV injection"): each starts with = + - @ or a tab.
LINK = '=HYPERLINK("http://x"&D5,"a")'
PLUS = "+1"
MINUS = "-2+3"
AT = "@SUM(A1)"
TAB = "\tTab đầu dòng"

# Route (as the URL map spells it) -> the path the Board downloads, and the hostile texts shown exactly in it.
EXPORTS = {
    "/progress/<int:year>/export.xlsx": ("/progress/2026/export.xlsx", {LINK, PLUS, MINUS}),  # unit names (sheet "Đơn vị")
    "/scoring/<int:year>/<bloc_code>/results.xlsx": ("/scoring/2026/K1/results.xlsx", {LINK, PLUS, MINUS}),  # unit names
    # criterion titles and a group; units' short names as column heads
    "/scoring/<int:year>/<bloc_code>/sheet.xlsx": ("/scoring/2026/K1/sheet.xlsx", {LINK, MINUS, PLUS, AT, TAB}),
    "/audit/export.xlsx": ("/audit/export.xlsx", {LINK}),  # the full name of the leader's officer who scored
    # the scores template: criterion titles, groups and guidance; units' full names as column heads; the bloc name on top
    "/scoring/<int:year>/<bloc_code>/scores/template.xlsx": ("/scoring/2026/K1/scores/template.xlsx?stage=bloc",
                                                             {LINK, MINUS, PLUS, AT}),
    "/api/v1/years/<year>/blocs/<bloc>/scores/template.xlsx": ("/api/v1/years/2026/blocs/K1/scores/template.xlsx?stage=bloc",
                                                               {LINK, MINUS, PLUS, AT}),
    "/api/v1/documents/export.xlsx": ("/api/v1/documents/export.xlsx?year=2026&bloc=K1", {MINUS, AT}),  # number, bloc name
}

# The only formulas an export writes are its totals, built from cell references (on the same sheet, or on one of the
# workbook's fixed stage sheets), SUM / IF / COUNT, numbers, operators and "" — never from a user's text. For example
# =IF(COUNT(D6:D11)=0,"",SUM(D6:D7,D9)-(SUM(D11))) and ='Khối chấm'!$D$12 (sheet.xlsx, results.xlsx),
# =SUM(E9:E10)+SUM(E12)-SUM(E14) and =SUM(C9:C10) (the scores template).
STAGE_SHEETS = ("Tự chấm", "Khối chấm", "Thẩm định")
_CELL = r"\$?[A-Z]{1,3}\$?[0-9]+"
_FORMULA_TOKEN = re.compile(rf"(?:'(?:{'|'.join(STAGE_SHEETS)})'!)?{_CELL}(?::{_CELL})?"
                            r'|(?:SUM|IF|COUNT)\(|[-+*/(),=<>]|[0-9]+(?:\.[0-9]+)?|""')


def is_our_formula(formula: str) -> bool:
    """True for a formula made only of the tokens above and holding at least one cell reference."""
    if not formula.startswith("=") or not re.search(_CELL, formula):
        return False
    pos = 1
    while pos < len(formula):
        token = _FORMULA_TOKEN.match(formula, pos)
        if token is None:
            return False
        pos = token.end()
    return True


@pytest.mark.parametrize("formula", [
    '=IF(COUNT(D6:D11)=0,"",SUM(D6:D7,D9)-(SUM(D11)))', "='Khối chấm'!$D$12", "=D7", "=SUM(E9:E10)+SUM(E12)-SUM(E14)",
    "=SUM(C9:C10)", "=0+SUM(E12)"])
def test_our_own_formulas_are_recognised(formula):
    assert is_our_formula(formula)


@pytest.mark.parametrize("formula", [
    LINK, "=" + AT, "=" + PLUS, "=1+2", '=SUM(A1)&"x"', "=HYPERLINK(A1)", "='Sheet1'!A1", "=SUM(A1) ", "=A1;B1", "SUM(A1)"])
def test_other_formulas_are_not(formula):
    assert not is_our_formula(formula)


def xlsx_routes(app) -> set[str]:
    """Every GET route whose rule ends with .xlsx or whose view sends an XLSX mimetype."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        try:
            source = inspect.getsource(inspect.unwrap(app.view_functions[rule.endpoint]))
        except (OSError, TypeError):
            source = ""
        if rule.rule.endswith(".xlsx") or "spreadsheetml" in source or "XLSX_MIME" in source:
            routes.add(rule.rule)
    return routes


def test_every_xlsx_route_is_covered(app):
    assert xlsx_routes(app) == set(EXPORTS)


@pytest.fixture
def hostile(app, org_data):
    """K1 2026 whose unit names, short names, bloc name, criteria, milestone, document number and the scoring
    officer's full name are hostile."""
    with app.app_context():
        items = [
            {"group": PLUS, "title": LINK, "max_points": "10", "kind": "scored", "guidance": AT},
            {"group": PLUS, "title": MINUS, "max_points": "20", "kind": "scored", "guidance": ""},
            {"group": "II. Điểm thưởng", "title": AT, "max_points": "5", "kind": "bonus", "guidance": ""},
        ]
        table, cards, criteria = build_table(items=items)
        board, leader, own = (accounts.get_user(n) for n in ("admin", "off2", "off1"))
        fill(own, cards["U1"], criteria, "self", ["9", "18", "1"])
        scoring.submit_self(own, scoring.get_scorecard(cards["U1"].id))
        for code, points in (("U1", ["9", "19", "1"]), ("U2", ["10", "19", None]), ("U3", ["7", "15", None])):
            fill(leader, scoring.get_scorecard(cards[code].id), criteria, "bloc", points)
        scoring.set_thresholds(board, 2026, {"excellent": "28", "good": "25", "completed": "15"})
        plan = plan_items(2026)
        plan[0]["title"] = LINK
        make_schedule(2026, items=plan)
        add_document(type="GU", bloc="K1", issue_date=date(2026, 1, 20), number=MINUS)
        # Written straight into the rows: the forms strip a leading tab, but older data or another tool may not.
        names = {"U1": (LINK, ""), "U2": (PLUS, TAB), "U3": (MINUS, AT)}
        for unit in db.session.scalars(sa.select(Unit).where(Unit.code.in_(names))):
            unit.name, unit.short_name = names[unit.code]
        db.session.scalar(sa.select(Bloc).where(Bloc.code == "K1")).name = AT
        leader.full_name = LINK
        db.session.commit()


def _cells(data: bytes, *, data_only: bool = False):
    """Every cell of every sheet; with data_only, a formula's cell gives the value stored with it instead."""
    workbook = load_workbook(io.BytesIO(data), data_only=data_only)
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            yield from row


@pytest.mark.parametrize("route", sorted(EXPORTS))
def test_export_keeps_user_text_as_text(client, auth, hostile, route):
    path, shown = EXPORTS[route]
    auth.login("admin")
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == XLSX_MIME
    cells = list(_cells(response.data))
    assert cells
    # No user text became a formula: the only formulas are the totals' own (cell references and sums).
    formulas = [c for c in cells if c.data_type == "f"]
    assert [(c.parent.title, c.coordinate, c.value) for c in formulas if not is_our_formula(c.value)] == []
    # Every text a spreadsheet would read as a formula carries the quote prefix (the hostile ones and any other).
    risky = [c for c in cells if c.data_type != "f" and isinstance(c.value, str) and c.value.startswith(FORMULA_STARTS)]
    assert [(c.parent.title, c.coordinate) for c in risky if not c.quotePrefix] == []
    exact = {c.value for c in risky}
    assert shown <= exact, f"missing in {path}: {shown - exact}"
    if "/blocs/" in path or path.startswith("/scoring/"):  # points stay numbers Excel can add up; totals are formulas
        assert any(c.data_type == "n" and c.value == 19 for c in cells)  # U1's and U2's bloc score on item 2
        assert formulas, f"no total formula in {path}"
    if path.startswith("/scoring/") and "/scores/template.xlsx" not in path:  # the totals carry their computed values
        assert any(c.value == 29 for c in _cells(response.data, data_only=True))  # U1: 9 + 19 + 1 (Khối chấm)
