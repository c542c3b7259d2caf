"""Writing user text into spreadsheets so that a spreadsheet never runs it.

openpyxl stores any string that starts with `=` as a formula, and Excel re-reads a cell that starts
with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula once someone edits it. Every export
writes its cells through `put`: strings are stored as text, and risky ones carry Excel's "quote
prefix" (the hidden apostrophe), so the cell shows the exact text and stays text when edited.
"""
from __future__ import annotations

from typing import Any

# The first characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def is_risky(text: str) -> bool:
    """True when a spreadsheet would read the text as a formula."""
    return text.startswith(FORMULA_STARTS)


def set_value(cell, value: Any):
    """Store a value in an openpyxl cell; text is always text, never a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl marked a leading "=" as a formula; user text never is one
        if is_risky(value):
            cell.quotePrefix = True
    return cell


def put(ws, row: int, column: int, value: Any = None):
    """Write a value into the worksheet's cell (row, column) safely; return the cell."""
    return set_value(ws.cell(row=row, column=column), value)


def append(ws, values) -> int:
    """Append a row of values safely (the safe twin of `ws.append`); return the row number."""
    from openpyxl.cell.cell import Cell

    # The cells are made safe first, then ws.append places them: the row is the one ws.append picks
    # (below every row written so far; row 1 on a new sheet, even when the row starts with an empty cell).
    cells = [set_value(Cell(ws), value) for value in values]
    ws.append(cells)
    return cells[0].row if cells else ws.max_row
