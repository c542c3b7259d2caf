"""The audit trail as an XLSX workbook (openpyxl); every cell written through portal.text.spreadsheet.put."""
from __future__ import annotations

import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from portal.audit import present
from portal.audit.services import AuditEntry, AuditFilters, action_label, kind_label
from portal.text import format_date, now_local
from portal.text.spreadsheet import put

# Excel keeps at most 32,767 characters in a cell; a whole criteria table before a replace can be longer.
CELL_MAX = 32_000
WRAP = Alignment(wrap_text=True, vertical="top")


def _fit(text: str) -> str:
    return text if len(text) <= CELL_MAX else text[:CELL_MAX] + "…"


def _filters_text(filters: AuditFilters) -> str:
    parts = []
    if filters.kind:
        parts.append(_("Đối tượng: %(kind)s", kind=kind_label(filters.kind))
                     + (f" {filters.object_id}" if filters.object_id is not None else ""))
    if filters.actor:
        parts.append(_("Người thực hiện: %(name)s", name=filters.actor))
    if filters.action:
        parts.append(_("Thao tác: %(action)s", action=action_label(filters.action)))
    if filters.since or filters.until:
        parts.append(_("Thời gian: %(since)s – %(until)s", since=format_date(filters.since) or "…",
                       until=format_date(filters.until) or "…"))
    return "; ".join(parts) or _("Tất cả thay đổi")


def trail_workbook(entries: list[AuditEntry], total: int, filters: AuditFilters) -> io.BytesIO:
    """Build the workbook of the filtered trail (newest first) and return it as an in-memory file."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("Nhật ký thay đổi")
    put(ws, 1, 1, _("Nhật ký thay đổi")).font = Font(bold=True, size=14)
    put(ws, 2, 1, _("Bộ lọc: %(filters)s. Xuất lúc %(at)s (giờ Việt Nam).", filters=_filters_text(filters),
                    at=now_local().strftime("%d/%m/%Y %H:%M")))
    if total > len(entries):
        note = put(ws, 3, 1, _("Chỉ xuất %(shown)s thay đổi mới nhất trong %(total)s thay đổi khớp bộ lọc; "
                               "hãy lọc hẹp hơn để xuất phần còn lại.", shown=f"{len(entries):,}".replace(",", "."),
                               total=f"{total:,}".replace(",", ".")))
        note.font = Font(bold=True, color="9C2B23")
    header = 5
    headings = [_("Thời gian"), _("Người thực hiện"), _("Tài khoản"), _("Thao tác"), _("Loại đối tượng"),
                _("Mã đối tượng"), _("Nội dung"), _("Trước"), _("Sau")]
    for column, heading in enumerate(headings, start=1):
        cell = put(ws, header, column, heading)
        cell.font, cell.alignment = Font(bold=True), WRAP
        cell.fill = PatternFill("solid", fgColor="E9EDF3")
    for row, entry in enumerate(entries, start=header + 1):
        e = entry.event
        # Excel has no time zones: the local (Asia/Ho_Chi_Minh) wall time, as a real date-time that sorts.
        put(ws, row, 1, entry.local_at.replace(tzinfo=None, microsecond=0)).number_format = "dd/mm/yyyy hh:mm"
        values = [entry.actor, e.actor_name, action_label(e.action), kind_label(e.object_type), e.object_id or "",
                  e.summary, _fit(present.as_text(e.before)), _fit(present.as_text(e.after))]
        for column, value in enumerate(values, start=2):
            put(ws, row, column, value).alignment = WRAP
    for column, width in zip("ABCDEFGHI", (17, 24, 14, 24, 20, 14, 50, 40, 40)):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = ws.cell(header + 1, 1)
    ws.auto_filter.ref = f"A{header}:I{max(header, header + len(entries))}"
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out
