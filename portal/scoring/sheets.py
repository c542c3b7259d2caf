"""Excel in and out: criteria tables in the officials' usual shape, results and the full scoring sheet."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from portal.errors import ValidationFailed
from portal.scoring import rules
from portal.text import clean_text, fold, format_date
from portal.text.spreadsheet import put

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_XLSX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000

ROMAN = re.compile(r"^([IVXLC]+)\s*[.)]?$")
ARABIC = re.compile(r"^(\d+(?:\.\d+)*)\.?$")
BULLET = re.compile(r"^([a-zđ]\)?|[a-zđ]\.|[-+*•–])$")

# Folded header texts -> our field (the first matching column wins).
HEADERS = (
    ("stt", ("stt", "tt", "so tt", "so thu tu")),
    ("title", ("noi dung tieu chi", "noi dung", "tieu chi", "ten tieu chi", "noi dung cham diem")),
    ("max_points", ("diem chuan", "diem toi da", "thang diem", "diem", "diem quy dinh", "so diem")),
    ("guidance", ("huong dan cham", "huong dan", "cach cham", "ghi chu", "phuong phap cham")),
)


def _header_field(text: str) -> str | None:
    folded = fold(clean_text(text)).strip(" :.")
    for name, options in HEADERS:
        if folded in options:
            return name
    for name, options in HEADERS:
        if name in ("title", "max_points", "guidance") and any(folded.startswith(o) for o in options if len(o) > 4):
            return name
    return None


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value))


def _max_value(value) -> Decimal | None:
    """Read a max-points cell: a number, or text like "10", "2,5", "10 điểm", "-5"; None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, (int, float)):
        text = repr(value) if isinstance(value, float) else str(value)
    else:
        text = fold(clean_text(str(value))).replace("diem", "").strip()
    text = text.replace(" ", "")
    negative = text.startswith(("-", "−"))
    text = text.lstrip("-−+")
    if re.fullmatch(r"\d+,\d{1,2}", text):
        text = text.replace(",", ".")
    try:
        parsed = Decimal(text)
    except InvalidOperation:
        raise ValueError from None
    if negative:
        parsed = -parsed
    return parsed


def _kind_of_group(title: str) -> str:
    folded = fold(title)
    if "diem tru" in folded or folded.startswith("tru diem") or "bi tru" in folded:
        return "deduction"
    if "diem thuong" in folded or "diem cong" in folded or folded.startswith("cong diem"):
        return "bonus"
    return "scored"


def read_criteria_xlsx(stream) -> tuple[list[dict], list[str]]:
    """Read a criteria table from an XLSX sheet; return (items, warnings) or raise ValidationFailed per line.

    Columns are found by their headers (STT, Nội dung tiêu chí, Điểm chuẩn, Hướng dẫn chấm, in any order).
    Rows whose STT is a Roman numeral ("I.", "II") are groups; a group whose name mentions điểm thưởng /
    điểm cộng or điểm trừ makes its items bonuses or deductions. Rows numbered "1.", "2." (or "1.1")
    are items; an item with numbered sub-items ("1.1", "1.2") is a heading and its sub-items are
    scored. Rows marked "a)", "-", "+" or with no number add to the guidance of the item above.
    "Tổng cộng" rows are skipped; a group's own points are checked against the sum of its items.
    """
    from openpyxl import load_workbook

    data = stream.read(MAX_XLSX_BYTES + 1)
    if len(data) > MAX_XLSX_BYTES:
        raise ValidationFailed(_("Tệp quá lớn (tối đa 5 MB)."), errors={"file": _("Tệp quá lớn.")})
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise ValidationFailed(_("Không đọc được tệp: cần một tệp Excel .xlsx."), errors={"file": _("Không phải tệp .xlsx.")}) from None
    try:
        for sheet in workbook.worksheets:
            rows = list(sheet.iter_rows(max_row=MAX_ROWS, values_only=True))
            found = _find_header(rows)
            if found is not None:
                return _parse_rows(rows, *found)
    finally:
        workbook.close()
    raise ValidationFailed(_("Không tìm thấy dòng tiêu đề có các cột “STT”, “Nội dung tiêu chí” và “Điểm chuẩn”."),
                           errors={"file": _("Thiếu dòng tiêu đề.")})


def _find_header(rows) -> tuple[int, dict[str, int]] | None:
    for index, row in enumerate(rows[:20]):
        columns: dict[str, int] = {}
        for col, value in enumerate(row):
            name = _header_field(_cell_text(value)) if value is not None else None
            if name and name not in columns:
                columns[name] = col
        if "title" in columns and "max_points" in columns:
            return index, columns
    return None


def _parse_rows(rows, header_index: int, columns: dict[str, int]) -> tuple[list[dict], list[str]]:
    def get(row, name):
        col = columns.get(name)
        return row[col] if col is not None and col < len(row) else None

    errors: dict[str, str] = {}
    warnings: list[str] = []
    entries: list[dict] = []  # items in order, with "line", "number" and the raw max
    group, group_kind, group_line, group_max = "", "scored", 0, None
    group_entries: list[dict] = []

    def close_group():
        if group and group_max is not None and group_entries:
            total = sum((e["max"] for e in group_entries if e["max"] is not None and not e.get("heading")), Decimal(0))
            if abs(group_max) != total:
                warnings.append(_("Dòng %(n)s: nhóm “%(g)s” ghi %(a)s điểm nhưng các tiêu chí cộng lại %(b)s điểm.",
                                  n=group_line, g=group, a=rules.format_points_vi(abs(group_max)), b=rules.format_points_vi(total)))

    for offset, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        stt = _cell_text(get(row, "stt")) if "stt" in columns else ""
        title = _cell_text(get(row, "title"))
        guidance = _cell_text(get(row, "guidance"))
        raw_max = get(row, "max_points")
        if not stt and not title and raw_max in (None, ""):
            continue
        folded_title = fold(title)
        if folded_title.startswith(("tong cong", "tong diem", "tong so diem")) or fold(stt).startswith("tong"):
            continue
        try:
            max_points = _max_value(raw_max)
        except ValueError:
            errors[f"line:{offset}"] = _("Dòng %(n)s: điểm chuẩn “%(v)s” không phải là số.", n=offset, v=_cell_text(raw_max))
            continue
        stt_clean = stt.strip().rstrip(".") + ("." if stt.strip().endswith(".") else "")
        if ROMAN.match(stt.strip()) or (not stt and title and max_points is None and folded_title.startswith(("phan ", "nhom "))):
            close_group()
            label = stt.strip().rstrip(".)")
            group = f"{label}. {title}" if label else title
            group_kind, group_line, group_max, group_entries = _kind_of_group(title), offset, max_points, []
            continue
        number = ARABIC.match(stt.strip())
        if number:
            if not title:
                errors[f"line:{offset}"] = _("Dòng %(n)s: tiêu chí %(stt)s chưa có nội dung.", n=offset, stt=stt_clean)
                continue
            entry = {"line": offset, "number": number.group(1), "group": group, "kind": group_kind, "title": title,
                     "max": max_points, "guidance": guidance}
            entries.append(entry)
            group_entries.append(entry)
            continue
        if BULLET.match(fold(stt)) or not stt:
            if entries:
                text = " ".join(t for t in (stt if BULLET.match(fold(stt)) else "", title, guidance) if t)
                entries[-1]["guidance"] = "\n".join(t for t in (entries[-1]["guidance"], text) if t)
                continue
            if title:
                warnings.append(_("Dòng %(n)s: bỏ qua “%(t)s” (chưa có tiêu chí nào phía trên).", n=offset, t=title[:60]))
            continue
        errors[f"line:{offset}"] = _("Dòng %(n)s: không hiểu số thứ tự “%(stt)s”.", n=offset, stt=stt)
    close_group()

    # An item followed by its own sub-items ("1." then "1.1", "1.2") is a heading, not a scored item.
    items: list[dict] = []
    for i, entry in enumerate(entries):
        following = entries[i + 1] if i + 1 < len(entries) else None
        if following and following["number"].startswith(entry["number"] + ".") and following["group"] == entry["group"]:
            entry["heading"] = True
            continue
        if entry["max"] is None:
            errors[f"line:{entry['line']}"] = _("Dòng %(n)s: tiêu chí “%(t)s” chưa có điểm chuẩn.", n=entry["line"], t=entry["title"][:60])
            continue
        value = entry["max"]
        if value < 0:
            if entry["kind"] != "deduction":
                errors[f"line:{entry['line']}"] = _("Dòng %(n)s: điểm âm chỉ dùng trong nhóm điểm trừ.", n=entry["line"])
                continue
            value = -value
        if rules.parse_max_points(value) is None:
            errors[f"line:{entry['line']}"] = _("Dòng %(n)s: điểm chuẩn phải là số dương, tối đa hai chữ số thập phân.", n=entry["line"])
            continue
        items.append({"group": entry["group"], "title": entry["title"], "max_points": rules.format_points(rules.parse_max_points(value)),
                      "kind": entry["kind"], "guidance": entry["guidance"]})
    if errors:
        raise ValidationFailed(_("Tệp có %(n)s dòng lỗi; chưa có thay đổi nào được lưu.", n=len(errors)), errors=errors)
    if not items:
        raise ValidationFailed(_("Không tìm thấy tiêu chí nào trong tệp (các dòng đánh số “1.”, “2.” dưới nhóm “I.”, “II.”)."))
    messages = rules.validate_criteria(items)
    if messages:
        raise ValidationFailed(messages[0], errors={f"rule:{i}": m for i, m in enumerate(messages)})
    return items, warnings


# --- exports ---------------------------------------------------------------------------------------
# Every value goes into its cell through `put`: criterion titles, group, unit and bloc names are user text,
# and a title such as "=HYPERLINK(…)" must stay text in the official's Excel (formula injection). The only
# formulas are the totals, built here from cell references and fixed sheet names, never from user text.
# They carry their computed value too (openpyxl writes none), so a viewer that does not recalculate, or a
# program reading the values, sees the right totals; Excel recalculates on opening anyway.

INCOMPLETE = "Chưa chấm đủ"
MAX_SUM_ARGS = 200  # Excel takes at most 255 arguments per function


def _workbook():
    from openpyxl import Workbook

    wb = Workbook()
    wb.calculation.fullCalcOnLoad = True
    return wb


def _styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="999999")
    return {
        "title": Font(name="Times New Roman", size=14, bold=True),
        "bold": Font(name="Times New Roman", size=12, bold=True),
        "normal": Font(name="Times New Roman", size=12),
        "italic": Font(name="Times New Roman", size=12, italic=True),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "head_fill": PatternFill("solid", fgColor="E9EDF3"),
        "group_fill": PatternFill("solid", fgColor="F3F5F8"),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "wrap": Alignment(vertical="top", wrap_text=True),
        "right": Alignment(horizontal="right", vertical="top"),
    }


def _number(value: Decimal | None):
    """Write points as numbers Excel can add up (two decimals at most, so a float is exact enough to show)."""
    if value is None:
        return None
    value = rules.normalize_points(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _title_block(ws, st, lines: list[str], width: int) -> int:
    for i, text in enumerate(lines, start=1):
        put(ws, i, 1, text).font = st["title"] if i == 1 else st["italic"]
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=width)
        ws.cell(row=i, column=1).alignment = st["center"]
    return len(lines) + 2


def _fit_width(ws) -> None:
    """Print landscape, one page wide (as many pages tall as needed)."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0


def _rank_text(rank: int | None, tie: bool):
    return (f"{rank}=" if tie else rank) if rank else None


class _Formulas:
    """The workbook's formulas and the value each must show: {sheet index: {coordinate: value}}."""

    def __init__(self):
        self.cached: dict[int, dict[str, object]] = {}

    def put(self, wb, ws, row: int, column: int, formula: str, value):
        cell = ws.cell(row=row, column=column)
        cell.value = formula  # openpyxl stores a string starting with "=" as a formula
        self.cached.setdefault(wb.worksheets.index(ws), {})[cell.coordinate] = value
        return cell


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive row numbers as (first, last) runs: [5, 6, 7, 9] -> [(5, 7), (9, 9)]."""
    runs: list[tuple[int, int]] = []
    for r in rows:
        if runs and runs[-1][1] == r - 1:
            runs[-1] = (runs[-1][0], r)
        else:
            runs.append((r, r))
    return runs


def _sum(letter: str, rows: list[int]) -> str:
    refs = [f"{letter}{a}" if a == b else f"{letter}{a}:{letter}{b}" for a, b in _runs(rows)]
    chunks = [refs[i:i + MAX_SUM_ARGS] for i in range(0, len(refs), MAX_SUM_ARGS)]
    return "+".join(f"SUM({','.join(chunk)})" for chunk in chunks)


def total_formula(letter: str, added: list[int], deducted: list[int]) -> str | None:
    """A stage total as rules.total computes it: scored + bonus − deduction; empty while no point is entered."""
    if not added and not deducted:
        return None
    every = sorted(added + deducted)
    body = _sum(letter, added) if added else "0"
    if deducted:
        body += f"-({_sum(letter, deducted)})"
    return f'=IF(COUNT({letter}{every[0]}:{letter}{every[-1]})=0,"",{body})'


def _stage_sheet(wb, formulas: _Formulas, st, table, stage: str, rows, the_members, cells: dict, totals: dict,
                 ranks: dict | None, incomplete: set[int], printed_on: date) -> dict[int, str]:
    """One stage's worksheet (criteria as rows, units as columns, totals as formulas); return {scorecard: total cell}."""
    from openpyxl.utils import get_column_letter

    from portal.scoring.labels import STAGE_LABELS

    label = str(STAGE_LABELS[stage])
    ws = wb.create_sheet(label)
    width = 3 + len(the_members)
    start = _title_block(ws, st, [f"BẢNG CHẤM ĐIỂM THI ĐUA NĂM {table.year} — {label.upper()}",
                                  f"{table.bloc.name} — ngày xuất: {format_date(printed_on)}"], width)
    headers = ["STT", "Nội dung tiêu chí", "Điểm chuẩn"] + [m.unit.display_name for m in the_members]
    for col, text in enumerate(headers, start=1):
        cell = put(ws, start, col, text)
        cell.font, cell.fill, cell.border, cell.alignment = st["bold"], st["head_fill"], st["border"], st["center"]
    r = start
    added: list[int] = []
    deducted: list[int] = []
    for row in rows:
        r += 1
        if row.kind == "group":
            maxima = row.maxima
            put(ws, r, 2, row.group)
            put(ws, r, 3, _number(maxima.scored or maxima.bonus or maxima.deduction))
            for col in range(1, width + 1):
                c = ws.cell(row=r, column=col)
                c.font, c.fill, c.border = st["bold"], st["group_fill"], st["border"]
            continue
        c = row.criterion
        (deducted if c.kind == "deduction" else added).append(r)
        values = [row.number, c.title + {"bonus": " (điểm thưởng)", "deduction": " (điểm trừ)"}.get(c.kind, ""), _number(c.max_points)]
        values += [_number(cells.get((m.scorecard.id, c.id, stage))) for m in the_members]
        for col, value in enumerate(values, start=1):
            cell = put(ws, r, col, value)
            cell.font, cell.border = st["normal"], st["border"]
            cell.alignment = st["wrap"] if col == 2 else st["right"]
    total_row, where = r + 1, {}
    put(ws, total_row, 2, "Tổng điểm")
    for col, m in enumerate(the_members, start=4):
        letter = get_column_letter(col)
        formula = total_formula(letter, added, deducted)
        if formula:
            value = totals.get(m.scorecard.id, {}).get(stage)
            formulas.put(wb, ws, total_row, col, formula, "" if value is None else rules.normalize_points(value))
            ws.cell(row=total_row, column=col).number_format = "0.##"
            where[m.scorecard.id] = f"'{label}'!${letter}${total_row}"
    last = total_row
    if ranks is not None:
        last += 1
        put(ws, last, 2, "Xếp thứ")
        for col, m in enumerate(the_members, start=4):
            info = ranks.get(m.scorecard.id)
            text = INCOMPLETE if m.scorecard.id in incomplete else (_rank_text(info.rank, info.tie) if info else None)
            put(ws, last, col, text).alignment = st["right"]
    for row_number in range(total_row, last + 1):
        for col in range(1, width + 1):
            cell = ws.cell(row=row_number, column=col)
            cell.font, cell.border = st["bold"], st["border"]
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 55
    ws.column_dimensions["C"].width = 10
    for col in range(4, width + 1):
        ws.column_dimensions[get_column_letter(col)].width = 12
    ws.freeze_panes = ws.cell(row=start + 1, column=4)
    _fit_width(ws)
    return where


def _scores(the_members) -> dict:
    """{(scorecard, criterion, stage): points} of the bloc's scorecards; a self-score only once submitted."""
    import sqlalchemy as sa

    from portal.extensions import db
    from portal.scoring.models import Score

    cells = {}
    ids = [m.scorecard.id for m in the_members]
    submitted = {m.scorecard.id for m in the_members if m.scorecard.self_submitted_at is not None}
    if ids:
        for r in db.session.execute(sa.select(Score.scorecard_id, Score.criterion_id, Score.stage, Score.points)
                                    .where(Score.scorecard_id.in_(ids))):
            if r.stage != "self" or r.scorecard_id in submitted:
                cells[(r.scorecard_id, r.criterion_id, r.stage)] = r.points
    return cells


def _stage_sheets(wb, formulas: _Formulas, st, table, stages, results, printed_on: date) -> dict[str, dict[int, str]]:
    """The stages' worksheets, ranked as the sheet page ranks them, units lacking a bloc score unranked."""
    from portal.scoring import services as scoring

    rows = scoring.criteria_rows(scoring.criteria_of(table))
    the_members = results.members
    totals = scoring.totals_by_scorecard(table)
    complete = {line.scorecard.id: line.complete for line in results.lines}
    incomplete = {k for k, v in complete.items() if not v}
    cells = _scores(the_members)
    where = {}
    for stage in stages:
        ranks = None if stage == "self" else scoring.sheet_ranks(stage, totals, the_members, the_members, complete)[1]
        where[stage] = _stage_sheet(wb, formulas, st, table, stage, rows, the_members, cells, totals, ranks,
                                    incomplete if ranks is not None else set(), printed_on)
    return where


def results_xlsx(results, *, printed_on: date) -> bytes:
    """The bloc's results: rank, unit, totals per stage, classification, proposal; the bloc and appraisal
    totals refer to the criterion sheets that follow (the self-scores' detail is for the unit and leader only)."""
    from flask_babel import force_locale

    with force_locale("vi"):
        return _results_xlsx(results, printed_on)


def _results_xlsx(results, printed_on: date) -> bytes:
    from portal.scoring.labels import CLASSIFICATION_LABELS, FLAG_LABELS, STATUS_LABELS

    wb = _workbook()
    ws = wb.active
    ws.title = "Kết quả"
    st = _styles()
    formulas = _Formulas()
    table = results.table
    where = _stage_sheets(wb, formulas, st, table, ("bloc", "appraisal"), results, printed_on)
    headers = ["STT", "Đơn vị", "Tự chấm", "Khối chấm", "Thẩm định", "Điểm xếp hạng", "Xếp thứ", "Xếp loại", "Đề nghị khen thưởng"]
    row = _title_block(ws, st, [
        f"KẾT QUẢ CHẤM ĐIỂM, XẾP HẠNG THI ĐUA NĂM {table.year}",
        f"{table.bloc.name} — trạng thái: {STATUS_LABELS[results.status]} — ngày xuất: {format_date(printed_on)}",
    ], len(headers))
    for col, text in enumerate(headers, start=1):
        cell = put(ws, row, col, text)
        cell.font, cell.fill, cell.border, cell.alignment = st["bold"], st["head_fill"], st["border"], st["center"]
    stage_column = {"self": "C", "bloc": "D", "appraisal": "E"}
    for i, line in enumerate(results.lines, start=1):
        r = row + i
        complete = line.complete
        values = [i, line.unit.name, _number(line.totals["self"]), None, None, None,
                  _rank_text(line.rank, line.tie) if complete else None,
                  (str(CLASSIFICATION_LABELS[line.classification]) if line.classification else None) if complete else INCOMPLETE,
                  str(FLAG_LABELS[line.flag]) if line.flag else None]
        for col, value in enumerate(values, start=1):
            cell = put(ws, r, col, value)
            cell.font, cell.border = st["normal"], st["border"]
            cell.alignment = st["right"] if col in (1, 3, 4, 5, 6, 7) else st["wrap"]
            if col in (3, 4, 5, 6):
                cell.number_format = "0.##"
        for stage, col in (("bloc", 4), ("appraisal", 5)):
            ref = where[stage].get(line.scorecard.id)
            if ref:
                value = line.totals[stage]
                formulas.put(wb, ws, r, col, f"={ref}", "" if value is None else rules.normalize_points(value))
        # The total that ranks: a reference to its stage's cell, for the units that are ranked.
        if complete and line.effective_stage in stage_column and line.effective_total is not None:
            formulas.put(wb, ws, r, 6, f"={stage_column[line.effective_stage]}{r}", rules.normalize_points(line.effective_total))
    end = row + len(results.lines) + 2
    t = results.thresholds
    put(ws, end, 1, (f"Ngưỡng xếp loại: Xuất sắc từ {rules.format_points_vi(t.excellent)}, Tốt từ "
                     f"{rules.format_points_vi(t.good)}, Hoàn thành từ {rules.format_points_vi(t.completed)} điểm.")).font = st["italic"]
    if any(not line.complete for line in results.lines):
        put(ws, end + 1, 1, f"{INCOMPLETE}: đơn vị còn tiêu chí chưa có điểm khối chấm, chưa xếp thứ và xếp loại.").font = st["italic"]
    for col, width in zip("ABCDEFGHI", (6, 42, 11, 11, 11, 13, 12, 16, 30)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = ws.cell(row=row + 1, column=3)
    ws.print_title_rows = f"{row}:{row}"
    _fit_width(ws)
    return _save(wb, formulas)


def full_sheet_xlsx(table, *, printed_on: date) -> bytes:
    """The whole scoring sheet: one worksheet per stage, criteria as rows (STT, content, max) and units as columns."""
    from flask_babel import force_locale

    from portal.scoring import services as scoring

    with force_locale("vi"):
        wb = _workbook()
        wb.remove(wb.active)
        formulas = _Formulas()
        _stage_sheets(wb, formulas, _styles(), table, ("self", "bloc", "appraisal"), scoring.compute(table), printed_on)
        return _save(wb, formulas)


def _save(wb, formulas: _Formulas | None = None) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    return _with_values(data, formulas.cached) if formulas and formulas.cached else data


FORMULA_CELL = re.compile(r'<c r="([A-Z]+[0-9]+)"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?</c>', re.S)


def _with_values(data: bytes, cached: dict[int, dict[str, object]]) -> bytes:
    """Write each formula's computed value into the saved workbook (openpyxl's sheets are sheet1.xml, sheet2.xml… in order)."""
    from xml.sax.saxutils import escape

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            match = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
            values = cached.get(int(match.group(1)) - 1) if match else None
            if values:
                def fill(m, values=values):
                    coordinate, attributes, formula = m.group(1), m.group(2), m.group(3)
                    if coordinate not in values:
                        return m.group(0)
                    value = values[coordinate]
                    attributes = re.sub(r'\s+t="[^"]*"', "", attributes)
                    if isinstance(value, str):
                        return f'<c r="{coordinate}"{attributes} t="str"><f>{formula}</f><v>{escape(value)}</v></c>'
                    return f'<c r="{coordinate}"{attributes}><f>{formula}</f><v>{value}</v></c>'
                content = FORMULA_CELL.sub(fill, content.decode("utf-8")).encode("utf-8")
            target.writestr(info, content)
    return out.getvalue()
