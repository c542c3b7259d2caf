"""The progress grid as an XLSX workbook (openpyxl): one sheet for the grid, one for the units, a legend."""
from __future__ import annotations

import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from portal.schedule.progress import STATUS_ICONS, STATUS_LABELS, STATUSES, Progress
from portal.text import format_date, now_local
from portal.text.spreadsheet import append, put

# The same colours as the page (light fills, dark text), so a printed sheet reads like the screen.
FILLS = {"not_open": "EEF1F5", "open": "E3EDFB", "due_soon": "FFF1C2", "overdue": "FDDCD9",
         "done_on_time": "DDF1E3", "done_late": "F3E6C8"}
THIN = Side(style="thin", color="B8C2CE")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")


def cell_text(cell) -> str:
    """Return what a grid cell says in words: status, date, units and evidence."""
    parts = [f"{STATUS_ICONS[cell.status]} {STATUS_LABELS[cell.status]}"]
    if cell.done_on:
        parts.append(format_date(cell.done_on))
        if cell.status == "done_late":
            parts.append(_("trễ %(n)s ngày", n=cell.days_late))
    elif cell.status == "overdue":
        parts.append(_("quá %(n)s ngày", n=cell.days_late))
    elif cell.status in ("open", "due_soon"):
        parts.append(_("còn %(n)s ngày", n=cell.days_left))
    if cell.per_unit:
        parts.append(_("%(done)s/%(total)s đơn vị", done=cell.units_done, total=cell.units_total))
    if cell.evidence and not cell.per_unit:
        parts.append(cell.evidence.number or cell.evidence.title or _("văn bản không số"))
    elif cell.check is not None:
        parts.append(_("đánh dấu tay"))
    return "\n".join(parts)


def _window(m) -> str:
    start = format_date(m.starts_on) if m.starts_on else "…"
    return f"{start} – {format_date(m.due_on)}"


def progress_workbook(progress: Progress, base_url: str = "") -> io.BytesIO:
    """Build the workbook of a year's progress and return it as an in-memory file (links to `base_url`)."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("Tiến độ %(year)s", year=progress.year)
    # Every cell goes through put/append: titles, names and evidence numbers are user text (issue: formula injection).
    put(ws, 1, 1, _("Tiến độ thực hiện lịch công việc các Khối thi đua năm %(year)s", year=progress.year)).font = Font(bold=True, size=14)
    put(ws, 2, 1, _("Tính đến ngày %(date)s (xuất lúc %(at)s)", date=format_date(progress.today),
                    at=now_local().strftime("%H:%M %d/%m/%Y")))
    header = 4
    put(ws, header, 1, _("Khối thi đua"))
    for j, m in enumerate(progress.milestones, start=2):
        put(ws, header, j, f"{m.seq}. {m.title}\n{_window(m)}")
    for j in range(1, len(progress.milestones) + 2):
        c = ws.cell(header, j)
        c.font, c.alignment, c.border = Font(bold=True), WRAP, BORDER
        c.fill = PatternFill("solid", fgColor="E9EDF3")
    for i, row in enumerate(progress.rows, start=header + 1):
        name = f"{row.bloc.code} · {row.bloc.name}"
        if row.leader:
            name += "\n" + _("Trưởng khối: %(name)s", name=row.leader.display_name)
        c = put(ws, i, 1, name)
        c.font, c.alignment, c.border = Font(bold=True), WRAP, BORDER
        for j, cell in enumerate(row.cells, start=2):
            c = put(ws, i, j, cell_text(cell))
            c.alignment, c.border = WRAP, BORDER
            c.fill = PatternFill("solid", fgColor=FILLS[cell.status])
            if cell.evidence and not cell.per_unit:
                c.hyperlink = f"{base_url}/documents/{cell.evidence.document_id}"
    ws.column_dimensions["A"].width = 34
    for j in range(2, len(progress.milestones) + 2):
        ws.column_dimensions[get_column_letter(j)].width = 20
    ws.row_dimensions[header].height = 75
    ws.freeze_panes = ws.cell(header + 1, 2)

    units = wb.create_sheet(_("Đơn vị"))
    per_unit = [m for m in progress.milestones if m.scope == "unit"]
    append(units, [_("Khối"), _("Đơn vị"), _("Vai trò")] + [f"{m.seq}. {m.title}" for m in per_unit])
    for c in units[1]:
        c.font, c.alignment = Font(bold=True), WRAP
    for row in progress.rows:
        cells = {c.milestone.id: c for c in row.cells}
        for k, member in enumerate(row.members):
            values = [row.bloc.code, member.unit.name, str(_role(member.role))]
            for m in per_unit:
                ucell = cells[m.id].units[k]
                text = f"{STATUS_ICONS[ucell.status]} {STATUS_LABELS[ucell.status]}"
                if ucell.done_on:
                    text += " " + format_date(ucell.done_on)
                values.append(text)
            row_number = append(units, values)
            for j, m in enumerate(per_unit, start=4):
                units.cell(row_number, j).fill = PatternFill("solid", fgColor=FILLS[cells[m.id].units[k].status])
    units.column_dimensions["B"].width = 44
    for j in range(4, len(per_unit) + 4):
        units.column_dimensions[get_column_letter(j)].width = 24

    legend = wb.create_sheet(_("Chú giải"))
    append(legend, [_("Ký hiệu"), _("Trạng thái")])
    for status in STATUSES:
        row_number = append(legend, [STATUS_ICONS[status], str(STATUS_LABELS[status])])
        legend.cell(row_number, 2).fill = PatternFill("solid", fgColor=FILLS[status])
    legend.column_dimensions["B"].width = 24

    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def _role(role: str) -> str:
    from portal.org.services import ROLE_LABELS

    return ROLE_LABELS[role]
