"""The register of documents (sổ đăng ký văn bản): the whole filtered list as one XLSX sheet.

Always in Vietnamese (an official output), whatever the interface language. Every cell is written
through `portal.text.spreadsheet.put`, so a title or number typed as `=…` stays text. The rows are
those of the documents list with the same filters and order, all pages at once, read in one statement
(`services.all_documents`: bloc and unit loaded with the rows, type names from a constant).
"""
from __future__ import annotations

import io
import math

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from portal.documents import services as docs
from portal.documents.models import DOCUMENT_TYPES, REPORT_KINDS, Document
from portal.extensions import db
from portal.org.models import Bloc, Unit
from portal.text import format_date, now_local
from portal.text.spreadsheet import put

HEADER_ROW = 5
LINE_HEIGHT = 15  # points per line of 11-point text
THIN = Side(style="thin", color="9AA5B1")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="top", wrap_text=True)
SORT_WORDS = {"date": "ngày ban hành, mới nhất trước", "title": "trích yếu (A–Z)", "number": "số ký hiệu",
              "uploaded": "ngày tải lên, mới nhất trước"}


def _lines(value, width: float) -> int:
    """Roughly how many lines a wrapped text takes in a column `width` characters wide."""
    if not isinstance(value, str) or not value:
        return 1
    per_line = max(1, int(width * 1.1) - 1)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in value.split("\n"))


def _columns() -> list[tuple[str, float]]:
    """(heading, width) of each column, in Vietnamese (call inside force_locale("vi"))."""
    return [(_("STT"), 6), (_("Số, ký hiệu"), 18), (_("Ngày ban hành"), 12), (_("Loại văn bản"), 16),
            (_("Cơ quan ban hành"), 30), (_("Người ký"), 22), (_("Trích yếu"), 58), (_("Khối thi đua"), 20),
            (_("Đơn vị"), 24)]


def type_name(document: Document) -> str:
    """The official Vietnamese name of the type ("Báo cáo tổng kết" for a BC of that kind)."""
    name = DOCUMENT_TYPES.get(document.type, document.type or "")
    if document.type == "BC" and document.report_kind in REPORT_KINDS:
        name = f"{name} {REPORT_KINDS[document.report_kind].lower()}"
    return name


def _named(model, code: str | None) -> str | None:
    if not code:
        return None
    row = db.session.scalar(sa.select(model).where(model.code == code.upper()))
    return f"{row.code} · {row.name}" if row is not None else code


def filters_text(filters: docs.DocumentFilters) -> str:
    """The filters applied, in words (Vietnamese)."""
    parts = []
    if filters.year:
        parts.append(_("Năm %(year)s", year=filters.year))
    if filters.type:
        parts.append(_("Loại: %(type)s", type=DOCUMENT_TYPES.get(filters.type, filters.type)))
    if filters.bloc:
        parts.append(_("Khối: %(bloc)s", bloc=_named(Bloc, filters.bloc)))
    if filters.unit:
        parts.append(_("Đơn vị: %(unit)s", unit=_named(Unit, filters.unit)))
    if filters.issuer:
        parts.append(_("Cơ quan ban hành: %(issuer)s", issuer=filters.issuer))
    if filters.confirmed is False:
        parts.append(_("chỉ văn bản chưa xác nhận thông tin"))
    elif filters.confirmed:
        parts.append(_("chỉ văn bản đã xác nhận thông tin"))
    chosen = "; ".join(parts) or _("tất cả văn bản trong kho")
    return _("Phạm vi: %(filters)s. Sắp xếp theo %(sort)s.", filters=chosen,
             sort=SORT_WORDS.get(filters.sort, SORT_WORDS["date"]))


def register_workbook(filters: docs.DocumentFilters) -> bytes:
    """Build the register of the filtered list and return the XLSX bytes (always in Vietnamese)."""
    with force_locale("vi"):
        documents = docs.all_documents(filters)
        return _build(documents, filters)


def _build(documents: list[Document], filters: docs.DocumentFilters) -> bytes:
    columns = _columns()
    last = get_column_letter(len(columns))
    wb = Workbook()
    ws = wb.active
    ws.title = _("Sổ đăng ký văn bản")

    title = put(ws, 1, 1, _("SỔ ĐĂNG KÝ VĂN BẢN"))
    title.font, title.alignment = Font(bold=True, size=14), Alignment(horizontal="center")
    put(ws, 2, 1, filters_text(filters)).alignment = Alignment(horizontal="center", wrap_text=True)
    put(ws, 3, 1, _("Ngày lập sổ: %(date)s · Tổng số: %(n)s văn bản", date=format_date(now_local().date()),
                    n=len(documents))).alignment = Alignment(horizontal="center")
    for row in (1, 2, 3):
        ws.merge_cells(f"A{row}:{last}{row}")
    ws.row_dimensions[2].height = 30

    fill = PatternFill("solid", fgColor="E9EDF3")
    for column, (heading, width) in enumerate(columns, start=1):
        cell = put(ws, HEADER_ROW, column, heading)
        cell.font, cell.alignment, cell.fill, cell.border = Font(bold=True), CENTER, fill, BORDER
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.row_dimensions[HEADER_ROW].height = LINE_HEIGHT * max(_lines(h, w) for h, w in columns)

    for n, document in enumerate(documents, start=1):
        row = HEADER_ROW + n
        values = [n, document.number or "", document.issue_date, type_name(document), document.issuer or "",
                  document.signer or "", document.display_title, document.bloc.name if document.bloc else "",
                  document.unit.name if document.unit else ""]
        for column, value in enumerate(values, start=1):
            cell = put(ws, row, column, value)
            cell.border = BORDER
            cell.alignment = CENTER if column in (1, 3) else WRAP
            if column == 3 and value is not None:
                cell.number_format = "dd/mm/yyyy"
        # Spreadsheets do not grow a row for wrapped text written by a program: give it its lines' height.
        ws.row_dimensions[row].height = LINE_HEIGHT * max(_lines(v, w) for v, (_h, w) in zip(values, columns))
    if not documents:
        put(ws, HEADER_ROW + 1, 1, _("Không có văn bản nào trong phạm vi này."))
        ws.merge_cells(f"A{HEADER_ROW + 1}:{last}{HEADER_ROW + 1}")

    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 1)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + max(1, len(documents))}"
    # Printing: A4 landscape, all columns on one page width, the header row on every page.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = _("Trang &P / &N")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
