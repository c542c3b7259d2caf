"""Scores from Excel: the template of a bloc-year and stage, filled in by hand, and its all-or-nothing import.

The template looks like the sheets officials fill in (title block, STT / Nội dung tiêu chí / Điểm tối đa /
Hướng dẫn chấm, one column per unit the user may score, group rows, a totals row of formulas). Hidden parts
make the import exact whatever Excel did to the layout: a hidden column holds each row's criterion id, a
hidden row each column's unit code, and a hidden sheet the value and version of every cell when the template
was made. Only cells whose value differs from that count as changes; they are saved in one transaction with
those versions, so a cell changed by someone meanwhile is a conflict (409) and nothing is saved.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from portal import people
from portal.errors import Conflict, Forbidden, PayloadTooLarge, ServiceError, UnsupportedMediaType, ValidationFailed
from portal.extensions import db
from portal.scoring import rules
from portal.scoring import services as scoring
from portal.scoring.models import Score
from portal.text import clean_text, fold, format_datetime, utcnow
from portal.text.spreadsheet import put

STAGES = ("self", "bloc")
MAX_XLSX_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 80 * 1024 * 1024  # a 5 MB zip that unpacks to gigabytes is not a score sheet
MAX_ROWS = 2000
MAX_COLUMNS = 400
HEADER_SEARCH_ROWS = 40
PLAIN_NUMBER = re.compile(r"-?[0-9]{1,12}(?:[.,][0-9]{1,12})?", re.ASCII)

SHEET_TITLE = "Chấm điểm"
META_SHEET = "_phien_ban"
MARKER = "thi-dua-portal/mau-nhap-diem"
FORMAT = 1
# Marks in the hidden id column (the criterion id on item rows).
ID_HEADER = "Mã tiêu chí"
CODE_ROW_MARK = "ma_don_vi"
GROUP_MARK = "nhom"
TOTAL_MARK = "tong"
FIRST_UNIT_COLUMN = 5  # A STT, B content, C max, D guidance, then the units
TITLES = {"self": "BẢNG TỰ CHẤM ĐIỂM THI ĐUA NĂM {year}", "bloc": "BẢNG CHẤM ĐIỂM CỦA KHỐI NĂM {year}"}
STAGE_NAMES = {"self": "tự chấm", "bloc": "khối chấm"}  # official outputs are Vietnamese whatever the interface


def _refusal(cls, message: str, lines: list[dict] | None = None) -> ServiceError:
    """A refusal carrying the numbered lines (`[{"line": n, "message": …}]`) the API returns in `error.lines`."""
    exc = cls(message, errors={f"line:{i}:{e['line']}": e["message"] for i, e in enumerate(lines or [])})
    exc.lines = lines or []
    return exc


def lines_of(exc: ServiceError) -> list[dict]:
    """The numbered lines of an import refusal (none for other errors)."""
    return list(getattr(exc, "lines", []))


def check_stage(stage) -> str:
    """Return the stage of a template (self or bloc), or raise a Vietnamese 422."""
    if stage not in STAGES:
        raise ValidationFailed(_("Giai đoạn phải là “self” (tự chấm) hoặc “bloc” (khối chấm)."),
                               errors={"stage": _("Giai đoạn không hợp lệ.")})
    return stage


def editable_members(user, table, stage: str) -> list:
    """The bloc's members whose scores of that stage the user may write (the template's columns)."""
    return [m for m in scoring.ensure_scorecards(table) if scoring.can_edit_stage(user, m.scorecard, stage)]


def _no_unit_message(table, stage: str) -> str:
    return _("Tài khoản của bạn không chấm điểm %(stage)s cho đơn vị nào của %(bloc)s năm %(year)s.",
             stage=str(scoring.STAGE_LABELS[stage]).lower(), bloc=table.bloc.name, year=table.year)


def _stored(scorecard_ids: list[int], stage: str) -> dict[tuple[int, int], scoring.Cell]:
    cells: dict[tuple[int, int], scoring.Cell] = {}
    if scorecard_ids:
        for r in db.session.execute(sa.select(Score.scorecard_id, Score.criterion_id, Score.points, Score.version)
                                    .where(Score.scorecard_id.in_(scorecard_ids), Score.stage == stage)):
            cells[(r.scorecard_id, r.criterion_id)] = scoring.Cell(
                None if r.points is None else rules.normalize_points(r.points), r.version)
    return cells


def _number(value: Decimal | None):
    """Points as a number Excel adds up (two decimals at most, so a float shows exactly)."""
    if value is None:
        return None
    value = rules.normalize_points(value)
    return int(value) if value == value.to_integral_value() else float(value)


# --- the template ----------------------------------------------------------------------------------

def template_xlsx(user, table, stage) -> bytes:
    """The template of a bloc-year and stage for this user: one column per unit it may score, values pre-filled."""
    stage = check_stage(stage)
    columns = editable_members(user, table, stage)
    if not columns:
        raise Forbidden(_no_unit_message(table, stage))
    criteria = scoring.criteria_of(table)
    if not criteria:
        raise Conflict(_("Bảng điểm của %(bloc)s năm %(year)s chưa có tiêu chí nào; chưa lập được mẫu nhập điểm.",
                         bloc=table.bloc.name, year=table.year))
    cells = _stored([m.scorecard.id for m in columns], stage)
    with force_locale("vi"):
        return _build(user, table, stage, columns, criteria, cells)


def _styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="808080")
    font = "Times New Roman"
    return {
        "title": Font(name=font, size=14, bold=True), "subtitle": Font(name=font, size=13, bold=True),
        "bold": Font(name=font, size=12, bold=True), "normal": Font(name=font, size=12),
        "italic": Font(name=font, size=11, italic=True), "small": Font(name=font, size=9, color="808080"),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "head_fill": PatternFill("solid", fgColor="E9EDF3"), "group_fill": PatternFill("solid", fgColor="F3F5F8"),
        "input_fill": PatternFill("solid", fgColor="FFF7D6"),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "wrap": Alignment(vertical="top", wrap_text=True), "top_center": Alignment(horizontal="center", vertical="top"),
        "left": Alignment(horizontal="left", vertical="center", wrap_text=True),
    }


def _split_group(group: str) -> tuple[str, str]:
    """ "I. Thực hiện nhiệm vụ" -> ("I", "Thực hiện nhiệm vụ"); a group without a Roman numeral keeps its text."""
    match = re.match(r"^\s*([IVXLC]+)\s*[.)]\s*(.+)$", group or "")
    return (match.group(1), match.group(2)) if match else ("", group or "")


def _sum(column: str, rows: list[int]) -> str:
    """SUM over the rows of a column, contiguous rows as ranges: SUM(E8:E10,E12)."""
    parts, start = [], None
    for i, row in enumerate(rows):
        if start is None:
            start = row
        if i + 1 == len(rows) or rows[i + 1] != row + 1:
            parts.append(f"{column}{start}" if start == row else f"{column}{start}:{column}{row}")
            start = None
    return f"SUM({','.join(parts)})"


def _total_formula(column: str, rows_by_kind: dict[str, list[int]]) -> str:
    """rules.total as a formula: scored + bonus − deduction."""
    formula = _sum(column, rows_by_kind["scored"]) if rows_by_kind["scored"] else "0"
    if rows_by_kind["bonus"]:
        formula += "+" + _sum(column, rows_by_kind["bonus"])
    if rows_by_kind["deduction"]:
        formula += "-" + _sum(column, rows_by_kind["deduction"])
    return "=" + formula


def _build(user, table, stage, columns, criteria, cells) -> bytes:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    st = _styles()
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    id_col = FIRST_UNIT_COLUMN + len(columns)
    last_col = id_col - 1
    made_at = utcnow()

    # Title block.
    subtitle = table.bloc.name
    if stage == "self" and len(columns) == 1:
        subtitle = f"{table.bloc.name} — Đơn vị: {columns[0].unit.name}"
    guidance = ("Cách nhập: gõ điểm vào các ô nền vàng — một số từ 0 đến điểm tối đa của tiêu chí, tối đa hai chữ số "
                "thập phân (ví dụ 8,5); điểm trừ cũng nhập số dương. Ô để trống là giữ nguyên điểm đã lưu trên cổng. "
                "Dòng “Tổng điểm” tự cộng. Không thêm, xóa dòng hoặc cột; điền xong thì tải tệp lên trang chấm điểm "
                "(mục “Nhập điểm từ Excel”).")
    maker = people.names_for([getattr(user, "id", None)]).of(getattr(user, "id", None), getattr(user, "username", None))
    lines = [(TITLES[stage].format(year=table.year), st["title"], 22), (subtitle, st["subtitle"], 20),
             (f"Mẫu lập lúc {format_datetime(made_at)}, người lập: {maker}", st["italic"], 16), (guidance, st["italic"], 48)]
    for row, (text, font, height) in enumerate(lines, start=1):
        cell = put(ws, row, 1, text)
        cell.font, cell.alignment = font, st["center"] if row < 4 else st["left"]
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
        ws.row_dimensions[row].height = height

    # Header, then the hidden row of unit codes.
    header_row, code_row = 6, 7
    headers = ["STT", "Nội dung tiêu chí", "Điểm tối đa", "Hướng dẫn chấm"] + [m.unit.name for m in columns] + [ID_HEADER]
    for col, text in enumerate(headers, start=1):
        cell = put(ws, header_row, col, text)
        cell.font, cell.fill, cell.border, cell.alignment = st["bold"], st["head_fill"], st["border"], st["center"]
    longest = max(len(m.unit.name) for m in columns)
    ws.row_dimensions[header_row].height = max(32, 16 * (1 + longest // 13))
    put(ws, code_row, 2, "Mã đơn vị (không sửa)")
    for col, member in enumerate(columns, start=FIRST_UNIT_COLUMN):
        put(ws, code_row, col, member.unit.code)
    put(ws, code_row, id_col, CODE_ROW_MARK)
    ws.row_dimensions[code_row].hidden = True

    # Criteria: group rows, item rows with the stored values in yellow input cells.
    validations: dict[Decimal, DataValidation] = {}
    rows_by_kind: dict[str, list[int]] = {"scored": [], "bonus": [], "deduction": []}
    r = code_row
    for line in scoring.criteria_rows(criteria):
        r += 1
        if line.kind == "group":
            number, title = _split_group(line.group)
            maxima = line.maxima
            put(ws, r, 1, number)
            put(ws, r, 2, title)
            put(ws, r, 3, _number(maxima.scored or maxima.bonus or maxima.deduction))
            put(ws, r, id_col, GROUP_MARK)
            for col in range(1, last_col + 1):
                c = ws.cell(row=r, column=col)
                c.font, c.fill, c.border = st["bold"], st["group_fill"], st["border"]
                c.alignment = st["wrap"] if col == 2 else st["top_center"]
            continue
        criterion = line.criterion
        rows_by_kind[criterion.kind].append(r)
        suffix = {"bonus": " (điểm thưởng)", "deduction": " (điểm trừ)"}.get(criterion.kind, "")
        values = [line.number, criterion.title + suffix, _number(criterion.max_points), criterion.guidance or None]
        for col, value in enumerate(values, start=1):
            c = put(ws, r, col, value)
            c.font, c.border = st["normal"], st["border"]
            c.alignment = st["wrap"] if col in (2, 4) else st["top_center"]
        for col, member in enumerate(columns, start=FIRST_UNIT_COLUMN):
            stored = cells.get((member.scorecard.id, criterion.id), scoring.EMPTY)
            c = put(ws, r, col, _number(stored.points))
            c.font, c.border, c.fill, c.alignment = st["normal"], st["border"], st["input_fill"], st["top_center"]
        put(ws, r, id_col, criterion.id)
        dv = validations.get(criterion.max_points)
        if dv is None:
            max_vi = rules.format_points_vi(criterion.max_points)
            dv = DataValidation(type="decimal", operator="between", formula1="0", formula2=rules.format_points(criterion.max_points),
                                allow_blank=True, showErrorMessage=True, errorStyle="stop", errorTitle="Điểm không hợp lệ",
                                error=f"Điểm phải là số từ 0 đến {max_vi}, tối đa hai chữ số thập phân.",
                                showInputMessage=True, promptTitle="Điểm", prompt=f"Từ 0 đến {max_vi}; để trống: giữ nguyên.")
            validations[criterion.max_points] = dv
            ws.add_data_validation(dv)
        dv.add(f"{get_column_letter(FIRST_UNIT_COLUMN)}{r}:{get_column_letter(last_col)}{r}")

    # Totals: formulas (scored + bonus − deduction), the max of the scored items in column C.
    r += 1
    total_row = r
    put(ws, r, 2, "Tổng điểm (chấm điểm + điểm thưởng − điểm trừ)")
    if rows_by_kind["scored"]:
        ws.cell(row=r, column=3).value = "=" + _sum("C", rows_by_kind["scored"])
    for col in range(FIRST_UNIT_COLUMN, last_col + 1):
        ws.cell(row=r, column=col).value = _total_formula(get_column_letter(col), rows_by_kind)
    put(ws, r, id_col, TOTAL_MARK)
    for col in range(1, last_col + 1):
        c = ws.cell(row=r, column=col)
        c.font, c.fill, c.border = st["bold"], st["head_fill"], st["border"]
        c.alignment = st["wrap"] if col == 2 else st["top_center"]
        if col == 3 or col >= FIRST_UNIT_COLUMN:
            c.number_format = "0.##;-0.##;0"

    # Signatures, as on the paper sheets.
    r += 2
    left, right = (("NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ") if stage == "self" else ("THƯ KÝ", "ĐẠI DIỆN ĐƠN VỊ TRƯỞNG KHỐI"))
    put(ws, r, 2, left).font = st["bold"]
    put(ws, r + 1, 2, "(Ký, ghi rõ họ tên)").font = st["italic"]
    # The right block spans the last unit columns (or the guidance column too), so its words never overflow.
    right_col = max(4, last_col - 2)
    put(ws, r, right_col, right).font = st["bold"]
    put(ws, r + 1, right_col, "(Ký, ghi rõ họ tên, đóng dấu)").font = st["italic"]
    for row in (r, r + 1):
        ws.cell(row=row, column=2).alignment = st["center"]
        ws.cell(row=row, column=right_col).alignment = st["center"]
        if last_col > right_col:
            ws.merge_cells(start_row=row, start_column=right_col, end_row=row, end_column=last_col)

    # Layout: widths and wrap so it prints on A4 landscape; the id column hidden; panes frozen below the header.
    for col, width in zip("ABCD", (6, 46, 9, 34)):
        ws.column_dimensions[col].width = width
    for col in range(FIRST_UNIT_COLUMN, last_col + 1):
        ws.column_dimensions[get_column_letter(col)].width = 13
    ws.column_dimensions[get_column_letter(id_col)].hidden = True
    ws.freeze_panes = ws.cell(row=code_row + 1, column=4)
    ws.print_title_rows = f"{header_row}:{code_row}"
    ws.print_area = f"A1:{get_column_letter(last_col)}{r + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.print_options.horizontalCentered = True

    _write_meta(wb.create_sheet(META_SHEET), user, table, stage, columns, criteria, cells, made_at, total_row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _write_meta(ws, user, table, stage, columns, criteria, cells, made_at: datetime, total_row: int) -> None:
    """The hidden sheet: what the template is, and per cell the scorecard, criterion, version and value it was made with."""
    rows = [[MARKER, FORMAT], ["bloc", table.bloc.code], ["year", table.year], ["stage", stage], ["table", table.id],
            ["made_at", made_at.isoformat()], ["made_by", getattr(user, "username", "")], ["sheet", SHEET_TITLE],
            ["total_row", total_row], [], ["scorecard", "unit", "criterion", "version", "points"]]
    rows += [[m.scorecard.id, m.unit.code, c.id, cells.get((m.scorecard.id, c.id), scoring.EMPTY).version,
              rules.format_points(cells.get((m.scorecard.id, c.id), scoring.EMPTY).points) or ""]
             for m in columns for c in criteria]
    for r, values in enumerate(rows, start=1):
        for col, value in enumerate(values, start=1):
            put(ws, r, col, value)
    ws.sheet_state = "veryHidden"


# --- the import ------------------------------------------------------------------------------------

@dataclass
class _Recorded:
    """A cell as the template was made: its scorecard, unit, version and points."""

    scorecard_id: int
    unit: str
    version: int
    points: Decimal | None


@dataclass
class _Change:
    line: int
    column: str
    unit_name: str
    change: scoring.CellChange


def _read_bytes(stream) -> bytes:
    data = stream.read(MAX_XLSX_BYTES + 1)
    if len(data) > MAX_XLSX_BYTES:
        raise PayloadTooLarge(_("Tệp quá lớn (tối đa 5 MB); mẫu nhập điểm chỉ vài chục KB."))
    return data


def _open(data: bytes):
    from openpyxl import load_workbook

    not_xlsx = _("Không đọc được tệp: cần tệp Excel .xlsx là mẫu nhập điểm tải từ cổng (đã điền rồi lưu lại dạng .xlsx).")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise PayloadTooLarge(_("Tệp giải nén ra quá lớn; đây không phải mẫu nhập điểm."))
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, EOFError):
        raise UnsupportedMediaType(not_xlsx) from None


def _not_template() -> ServiceError:
    return _refusal(ValidationFailed, _("Tệp này không phải mẫu nhập điểm của cổng (hoặc phần ẩn của mẫu đã bị xóa, sửa). "
                                        "Hãy bấm “Tải mẫu Excel”, điền điểm vào mẫu đó rồi tải lên."))


def _read_meta(wb) -> tuple[dict, dict[tuple[int, int], _Recorded]]:
    if META_SHEET not in wb.sheetnames:
        raise _not_template()
    meta: dict = {}
    recorded: dict[tuple[int, int], _Recorded] = {}
    in_cells = False
    try:
        for n, row in enumerate(wb[META_SHEET].iter_rows(max_col=5, values_only=True), start=1):
            if n == 1:
                if row[0] != MARKER or row[1] != FORMAT:
                    raise ValueError
                continue
            if in_cells:
                if row[0] is None:
                    continue
                sc_id, unit, cr_id, version, points = row
                value = None if points in (None, "") else rules.normalize_points(Decimal(str(points)))
                recorded[(int(sc_id), int(cr_id))] = _Recorded(int(sc_id), str(unit), int(version), value)
                if len(recorded) > MAX_ROWS * MAX_COLUMNS:
                    raise ValueError
            elif row[0] == "scorecard":
                in_cells = True
            elif row[0] is not None:
                meta[str(row[0])] = row[1]
        meta["year"], meta["table"] = int(meta["year"]), int(meta["table"])
    except (ValueError, TypeError, KeyError, InvalidOperation):
        raise _not_template() from None
    if not in_cells or meta.get("stage") not in STAGES or not meta.get("bloc"):
        raise _not_template()
    return meta, recorded


def _check_same_table(meta: dict, table, stage: str) -> None:
    if (meta["bloc"], meta["year"], meta["stage"]) == (table.bloc.code, table.year, stage) and meta["table"] == table.id:
        return
    raise _refusal(ValidationFailed, _(
        "Tệp này là mẫu %(their_stage)s của khối %(their_bloc)s năm %(their_year)s, không phải mẫu %(stage)s của %(bloc)s "
        "năm %(year)s. Hãy tải đúng mẫu rồi nhập lại.",
        their_stage=str(scoring.STAGE_LABELS.get(meta["stage"], meta["stage"])).lower(), their_bloc=meta["bloc"],
        their_year=meta["year"], stage=str(scoring.STAGE_LABELS[stage]).lower(), bloc=table.bloc.name, year=table.year))


def _text(value) -> str:
    return "" if value is None else clean_text(str(value))


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _layout(ws):
    """Find the header row, the id column, the hidden unit-code row and the data rows, wherever Excel moved them.

    Returns (header line, id column index, {column index: unit code}, [(line, id cell, row values)]).
    """
    rows = ws.iter_rows(max_row=MAX_ROWS + HEADER_SEARCH_ROWS, max_col=MAX_COLUMNS, values_only=True)
    header_line = id_col = None
    for line, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if isinstance(value, str) and fold(clean_text(value)) == fold(ID_HEADER):
                header_line, id_col = line, col
                break
        if header_line is not None or line >= HEADER_SEARCH_ROWS:
            break
    if header_line is None:
        raise _not_template()
    code_row = next(rows, ())
    if id_col >= len(code_row) or code_row[id_col] != CODE_ROW_MARK:
        raise _not_template()
    units = {col: _text(value) for col, value in enumerate(code_row)
             if col >= FIRST_UNIT_COLUMN - 1 and col != id_col and not _is_empty(value)}
    data = []
    for line, row in enumerate(rows, start=header_line + 2):
        marker = row[id_col] if id_col < len(row) else None
        if marker == TOTAL_MARK:
            break
        if line > MAX_ROWS:
            if any(not _is_empty(v) for v in row):
                raise _refusal(ValidationFailed, _("Tệp có quá nhiều dòng (tối đa %(n)s); đây không phải mẫu nhập điểm.", n=MAX_ROWS))
            break
        data.append((line, marker, row))
    return header_line, id_col, units, data


def _points_message(line: int, where: str, value, criterion) -> str | None:
    """Parse one cell; return None when it is fine, else the Vietnamese line message."""
    max_vi = rules.format_points_vi(criterion.max_points)
    if isinstance(value, bool) or isinstance(value, (datetime, date, time)):
        code, shown = "type", _text(value)
    else:
        try:
            rules.parse_points(_raw(value), max_points=criterion.max_points)
            return None
        except rules.PointsError as exc:
            code = exc.code
            number = _decimal(value)
            if code == "format" and number is not None:
                # A plain number rules refuse as text ("-1", "8,555", "25"): say what is wrong with it.
                code = "range" if number < 0 or number > criterion.max_points else "precision"
        except (InvalidOperation, ValueError):
            code = "format"
        shown = _shown(value)
    if code == "range":
        reason = _("vượt quá điểm tối đa %(max)s", max=max_vi) if _decimal(value) and _decimal(value) > 0 else _("điểm không được âm")
    elif code == "precision":
        reason = _("có quá hai chữ số thập phân")
    else:
        reason = _("không phải là số")
    return _("Dòng %(n)s, cột %(col)s: “%(value)s” %(reason)s (điểm từ 0 đến %(max)s, tối đa hai chữ số thập phân).",
             n=line, col=where, value=shown[:40], reason=reason, max=max_vi)


def _raw(value):
    """An Excel value as parse_points takes it: text as typed, numbers exactly as Excel stored them."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        return value.strip()
    return value


def _decimal(value) -> Decimal | None:
    """The number a cell holds (text like "-1" or "8,555" too), or None when it is no plain number."""
    raw = _raw(value)
    if isinstance(raw, str):
        if not PLAIN_NUMBER.fullmatch(raw):
            return None
        raw = raw.replace(",", ".")
    try:
        return Decimal(raw)
    except (InvalidOperation, ValueError, TypeError):
        return None


def _shown(value) -> str:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(_raw(value)).replace(".", ",")
    return _text(value)


def _columns(actor, stage: str, units: dict[int, str], header_line: int, members: dict, bloc_year: str):
    """Split the file's unit columns: {column: member} the caller may score, {column: why not} for the others."""
    from openpyxl.utils import get_column_letter

    # A unit of the bloc that year, that the caller may score, once.
    editable, refused, seen = {}, {}, {}
    for col, code in units.items():
        letter = get_column_letter(col + 1)
        member = members.get(code)
        if code in seen:
            refused[col] = _("Dòng %(n)s: cột %(col)s và cột %(other)s cùng là đơn vị %(unit)s.",
                             n=header_line, col=letter, other=seen[code], unit=code)
        elif member is None:
            refused[col] = _("Dòng %(n)s: cột %(col)s là đơn vị %(unit)s, không thuộc %(where)s.",
                             n=header_line, col=letter, unit=code, where=bloc_year)
        elif not scoring.can_edit_stage(actor, member.scorecard, stage):
            refused[col] = _("Dòng %(n)s: cột %(col)s (%(unit)s): tài khoản của bạn không được chấm điểm %(stage)s cho đơn vị này.",
                             n=header_line, col=letter, unit=member.unit.name, stage=str(scoring.STAGE_LABELS[stage]).lower())
        else:
            editable[col] = member
        seen.setdefault(code, letter)
    return editable, refused


def import_scores(actor, table, stage, stream) -> int:
    """Import a filled-in template (`stream`; None when no file was sent): every changed cell saved in one
    transaction, or none.

    Any faulty line → 422 listing every fault with its Excel line; a cell someone changed since the template was
    made → 409; no column the caller may score → 403. Returns the number of cells saved (audited one by one).
    """
    from openpyxl.utils import get_column_letter

    stage = check_stage(stage)
    if not editable_members(actor, table, stage):  # rights first, whatever the file holds
        raise Forbidden(_no_unit_message(table, stage))
    if stream is None:
        raise ValidationFailed(_("Hãy chọn tệp mẫu nhập điểm (.xlsx) đã điền."), errors={"file": _("Bắt buộc.")})
    workbook = _open(_read_bytes(stream))
    try:
        meta, recorded = _read_meta(workbook)
        _check_same_table(meta, table, stage)
        title = meta.get("sheet") if meta.get("sheet") in workbook.sheetnames else workbook.sheetnames[0]
        header_line, id_col, units, data = _layout(workbook[title])
    finally:
        workbook.close()

    members = {m.unit.code: m for m in scoring.ensure_scorecards(table)}
    criteria = {c.id: c for c in scoring.criteria_of(table)}
    bloc_year = _("%(bloc)s năm %(year)s", bloc=table.bloc.name, year=table.year)
    faults: list[dict] = []

    def fault(line: int, message: str):
        faults.append({"line": line, "message": message})

    editable, refused = _columns(actor, stage, units, header_line, members, bloc_year)
    if not editable:
        raise Forbidden(_("Tài khoản của bạn không được chấm điểm %(stage)s cho đơn vị nào trong tệp này.",
                          stage=str(scoring.STAGE_LABELS[stage]).lower()))
    if not rules.stage_editable(table.status, stage):
        raise Conflict(_("Kết quả của %(where)s đã ở trạng thái “%(status)s”; không nhập điểm %(stage)s được nữa.",
                         where=bloc_year, status=scoring.STATUS_LABELS[table.status],
                         stage=str(scoring.STAGE_LABELS[stage]).lower()))

    by_unit = {(r.unit, cr_id): r for (_sc, cr_id), r in recorded.items()}
    now = _stored([m.scorecard.id for m in editable.values()], stage)
    changes: list[_Change] = []
    refused_used: set[int] = set()
    rows_of: dict[int, int] = {}
    for line, marker, row in data:
        filled = {col: row[col] for col in units if col < len(row) and not _is_empty(row[col])}
        if not filled:
            continue
        if marker == GROUP_MARK:
            fault(line, _("Dòng %(n)s: dòng nhóm tiêu chí không nhận điểm; hãy nhập vào các tiêu chí của nhóm.", n=line))
            continue
        if isinstance(marker, bool) or not isinstance(marker, (int, float)) or int(marker) != marker:
            fault(line, _("Dòng %(n)s: dòng này không phải tiêu chí nào của mẫu (dòng thêm vào, hoặc mã tiêu chí ở cột ẩn "
                          "đã bị xóa); hãy nhập điểm vào đúng dòng tiêu chí.", n=line))
            continue
        criterion = criteria.get(int(marker))
        if criterion is None:
            fault(line, _("Dòng %(n)s: tiêu chí của dòng này không còn trong bảng điểm; hãy tải mẫu mới.", n=line))
            continue
        if criterion.id in rows_of:
            fault(line, _("Dòng %(n)s: tiêu chí này đã có ở dòng %(m)s (dòng bị chép đôi?).", n=line, m=rows_of[criterion.id]))
            continue
        rows_of[criterion.id] = line
        for col, value in filled.items():
            letter = get_column_letter(col + 1)
            member = editable.get(col)
            where = f"{letter} ({member.unit.name if member else units[col]})"
            message = _points_message(line, where, value, criterion)
            if message:
                fault(line, message)
                continue
            points = rules.parse_points(_raw(value), max_points=criterion.max_points)
            if member is None:
                # A column the caller may not score is refused only when it holds a change.
                before = by_unit.get((units[col], criterion.id))
                if before is None or points != before.points:
                    refused_used.add(col)
                continue
            before = recorded.get((member.scorecard.id, criterion.id))
            if before is None:
                fault(line, _("Dòng %(n)s, cột %(col)s: ô này không có trong mẫu đã tải; hãy tải mẫu mới.", n=line, col=where))
                continue
            if points == before.points:
                continue  # unchanged since the template was made: not a change, whatever happened since
            if points == now.get((member.scorecard.id, criterion.id), scoring.EMPTY).points:
                continue  # already stored (the same file imported twice, or someone typed the same): nothing to do
            changes.append(_Change(line, letter, member.unit.name, scoring.CellChange(
                member.scorecard, criterion, stage, rules.format_points(points), before.version)))
    for col in sorted(refused_used):
        fault(header_line, refused[col])
    if faults:
        faults.sort(key=lambda f: f["line"])
        raise _refusal(ValidationFailed, _("Tệp có %(n)s lỗi; chưa có điểm nào được lưu. Hãy sửa các dòng dưới đây rồi tải lên lại.",
                                           n=len(faults)), faults)
    if not changes:
        return 0
    return _save(actor, changes)


def _save(actor, changes: list[_Change]) -> int:
    """Save every change in one transaction (scoring.save_many); map its refusals back to Excel lines."""
    try:
        return scoring.save_many(actor, [c.change for c in changes])
    except (Conflict, Forbidden, ValidationFailed) as exc:
        db.session.rollback()
        by_key = {f"{c.change.scorecard.id}-{c.change.criterion.id}-{c.change.stage}": c for c in changes}
        current = exc.current or {}
        names = people.names_for(usernames=[v.get("updated_by") for v in current.values() if isinstance(v, dict)])
        lines = []
        for key, message in exc.errors.items():
            c = by_key.get(key)
            if c is None:
                continue
            other = current.get(key)
            if isinstance(other, dict) and "version" in other:
                who = names.of(None, other.get("updated_by")) if other.get("updated_by") else _("người khác")
                value = rules.format_points_vi(Decimal(other["points"])) if other.get("points") not in (None, "") else "—"
                message = _("%(who)s đã sửa ô này thành %(value)s sau khi mẫu được lập", who=who, value=value)
            lines.append({"line": c.line, "message": _("Dòng %(n)s, cột %(col)s (%(unit)s): %(message)s",
                                                        n=c.line, col=c.column, unit=c.unit_name, message=message)})
        lines.sort(key=lambda f: f["line"])
        if isinstance(exc, Conflict):
            summary = _("%(n)s ô đã được sửa trên cổng sau khi tải mẫu (hoặc không còn sửa được); chưa có điểm nào được lưu. "
                        "Hãy tải mẫu mới có điểm hiện tại rồi nhập lại.", n=len(lines) or len(exc.errors))
        else:
            summary = exc.message
        raise _refusal(type(exc), summary, lines) from None
