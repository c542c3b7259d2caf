"""Word drafts of the bloc's meeting record (biên bản họp Khối) and year-end report (báo cáo tổng kết).

The layout is that of Nghị định 30/2020/NĐ-CP (Times New Roman, A4, the two-column header, "Số:", the
place-and-date line, title, body, signature block), so the officials finish the draft in Word and sign.
What the portal does not know (the meeting's hour, who chaired it, the place-name) stays a dotted gap
"……" to fill in: a draft never invents a fact. `record_facts` gathers what both the Word and the PDF
record (`portal.scoring.record`) show, so the two never drift apart. Always Vietnamese (force_locale).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale

from portal.extensions import db
from portal.scoring import rules
from portal.text import fold, format_date

GAP = "……"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
INCOMPLETE = "Chưa chấm đủ"
FONT = "Times New Roman"
# The bloc's own documents worth citing in its year-end report, in this order.
REPORT_TYPES = ("KH", "GU", "BC", "TB", "BB", "QĐ", "CV")
MAX_DOCUMENTS = 40
# A step not done yet, by where today falls in its window (portal.schedule.progress statuses).
ACTIVITY_STATES = {"not_open": "chưa đến kỳ thực hiện", "open": "đang thực hiện", "due_soon": "đang thực hiện, sắp đến hạn",
                   "overdue": "chưa thực hiện, đã quá hạn"}


def bloc_title(bloc) -> str:
    """The bloc's name as the documents write it: "Khối thi đua …" (the names mostly already say so)."""
    return bloc.name if fold(bloc.name).startswith("khoi thi dua") else f"Khối thi đua {bloc.name}"


def vi_date_words(day: date | None, year: int) -> str:
    """ "ngày 15 tháng 12 năm 2026", or dotted gaps to fill in when the day is not known."""
    if day is None:
        return f"ngày {GAP} tháng {GAP} năm {year}"
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


@dataclass
class ResultRow:
    number: int
    unit: str
    totals: dict[str, str]
    rank: str
    classification: str
    complete: bool


@dataclass
class RecordFacts:
    """Everything a record or report shows, as Vietnamese text (gaps where the portal does not know)."""

    year: int
    bloc_code: str
    bloc_title: str
    leader: str  # this year's leader unit (the issuing body's second line)
    deputy: str
    members: list[str]
    place_name: str  # the địa danh of the date line
    held_on: date | None
    time_text: str
    place: str
    chair: str
    secretary: str
    present: list[str] | None  # None: not recorded
    absent: list[str]
    content: list[str]
    status: str
    stages: list[str]  # the result table's total columns
    rows: list[ResultRow]
    thresholds: str
    flags: list[str]
    flag_note: str
    next_leader: str
    next_deputy: str
    leadership_note: str
    activities: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)

    def date_line(self, printed_on: date | None = None) -> str:
        year = self.held_on.year if self.held_on else (printed_on.year if printed_on and printed_on.year in (self.year, self.year + 1)
                                                       else self.year)
        return f"{self.place_name}, {vi_date_words(self.held_on, year)}"

    def number_line(self, kind: str) -> str:
        return f"Số: {GAP}/{kind}-{self.bloc_code}"


def _points(value) -> str:
    return rules.format_points_vi(value)


def record_facts(results, *, with_activities: bool = False) -> RecordFacts:
    """Gather the record's facts from the results, the meeting (if recorded), the schedule and the archive."""
    from portal.scoring import meeting as meetings
    from portal.scoring.labels import CLASSIFICATION_LABELS, FLAG_LABELS, STAGE_LABELS, STATUS_LABELS

    with force_locale("vi"):
        table = results.table
        bloc, year = table.bloc, table.year
        met = meetings.meeting_of(bloc, year)
        role_of = {m.unit.id: m.role for m in results.members}
        leader = next((m.unit for m in results.members if m.role == "leader"), None)
        deputy = next((m.unit for m in results.members if m.role == "deputy"), None)
        held = met.held_at if met is not None else None
        present = [u.name for u in met.present_units] if met is not None and met.attendees else None
        present_ids = {u.id for u in met.attendees} if present is not None else set()
        absent = [m.unit.name for m in results.members if present is not None and m.unit.id not in present_ids]
        stages = ["self", "bloc"] + (["appraisal"] if any(line.totals.get("appraisal") is not None for line in results.lines)
                                     or results.status in ("appraised", "final") else [])
        rows = []
        for i, line in enumerate(results.lines, start=1):
            complete = line.complete  # without a bloc score on every scored item: no rank (§4.1)
            rank = "" if not (complete and line.rank) else (f"{line.rank}=" if line.tie else str(line.rank))
            label = (str(CLASSIFICATION_LABELS[line.classification]) if complete and line.classification else
                     ("" if complete else INCOMPLETE))
            rows.append(ResultRow(i, line.unit.name, {s: _points(line.totals.get(s)) for s in stages}, rank, label, complete))
        flags = [f"{FLAG_LABELS[line.flag]}: {line.unit.name}" for line in results.lines if line.flag]
        t = results.thresholds
        facts = RecordFacts(
            year=year, bloc_code=bloc.code, bloc_title=bloc_title(bloc),
            leader=leader.name if leader else GAP, deputy=deputy.name if deputy else GAP,
            members=[m.unit.name + {"leader": " (Trưởng khối)", "deputy": " (Phó Trưởng khối)"}.get(role_of[m.unit.id], "")
                     for m in results.members],
            place_name=GAP, held_on=held.date() if held else None,
            time_text=(f"Vào hồi {held.hour:02d} giờ {held.minute:02d} phút, {vi_date_words(held.date(), held.year)}." if held else
                       f"Vào hồi {GAP} giờ {GAP} phút, {vi_date_words(None, year)}."),
            place=(met.place if met is not None and met.place else GAP),
            chair=(met.chair if met is not None and met.chair else ""),
            secretary=(met.secretary if met is not None and met.secretary else ""),
            present=present, absent=absent,
            content=[p for p in (met.content.splitlines() if met is not None and met.content else []) if p.strip()],
            status=str(STATUS_LABELS[results.status]), stages=[str(STAGE_LABELS[s]) for s in stages], rows=rows,
            thresholds=(f"Ngưỡng xếp loại: Xuất sắc từ {_points(t.excellent)} điểm, Tốt từ {_points(t.good)} điểm, "
                        f"Hoàn thành từ {_points(t.completed)} điểm."),
            flags=flags, flag_note=str(results.flag_note or ""),
            next_leader=(met.next_leader.name if met is not None and met.next_leader else GAP),
            next_deputy=(met.next_deputy.name if met is not None and met.next_deputy else GAP),
            leadership_note=(met.leadership_note if met is not None and met.leadership_note else ""),
        )
        if with_activities:
            facts.activities = _activities(bloc, year)
            facts.documents = _documents(bloc, year)
    return facts


def _activities(bloc, year: int) -> list[str]:
    """The year's schedule as the bloc lived it: each step with its due date and when (and by what) it was done."""
    from portal.schedule.progress import year_progress

    row = year_progress(year).row(bloc.id)
    if row is None:
        return []
    lines = []
    for cell in row.cells:
        m = cell.milestone
        text = f"{m.title} (hạn {format_date(m.due_on)}): "
        if cell.per_unit and cell.done_on is None:
            text += f"{cell.units_done}/{cell.units_total} đơn vị đã thực hiện"
        elif cell.done_on is not None:
            text += f"đã thực hiện ngày {format_date(cell.done_on)}"
            if cell.evidence is not None and cell.evidence.number:
                text += f" (văn bản số {cell.evidence.number})"
            if cell.done_on > m.due_on:
                text += ", chậm so với kế hoạch"
        else:
            text += ACTIVITY_STATES.get(cell.status, "chưa thực hiện")
        lines.append(text + ".")
    return lines


def _documents(bloc, year: int) -> list[str]:
    """The bloc's own documents of the year in the archive (not its units'), by type then date."""
    from portal.documents.models import DOCUMENT_TYPES, REPORT_KINDS, Document

    docs = db.session.scalars(
        sa.select(Document).where(Document.bloc_id == bloc.id, Document.year == year, Document.unit_id.is_(None),
                                  Document.deleted_at.is_(None), Document.type.in_(REPORT_TYPES))
        .order_by(Document.issue_date, Document.id).limit(MAX_DOCUMENTS)).all()
    docs.sort(key=lambda d: REPORT_TYPES.index(d.type))
    lines = []
    for d in docs:
        kind = DOCUMENT_TYPES[d.type] + (f" {REPORT_KINDS[d.report_kind].lower()}" if d.report_kind in REPORT_KINDS else "")
        number = f" số {d.number}" if d.number else ""
        day = f" ngày {format_date(d.issue_date)}" if d.issue_date else ""
        lines.append(f"{kind}{number}{day}" + (f": {d.title}" if d.title else "") + ".")
    return lines


# --- Word -----------------------------------------------------------------------------------------

def _document():
    from docx import Document
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    for name in ("Normal", "Table Grid"):
        style = doc.styles[name]
        style.font.name = FONT
        style.font.size = Pt(14)
        _east_asian(style.element.get_or_add_rPr())
    normal = doc.styles["Normal"].paragraph_format
    normal.space_before, normal.space_after, normal.line_spacing = Pt(0), Pt(6), 1.1
    doc.core_properties.author = "Cổng Thi đua - Khen thưởng"
    return doc


def _east_asian(rpr) -> None:
    """Name the font for every script slot, so Word shows Times New Roman whatever its language settings."""
    from docx.oxml.ns import qn

    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(slot), FONT)


def _para(container, text: str = "", *, bold=False, italic=False, size=None, align=None, before=None, after=None,
          indent_first=False, keep_next=False):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    p = container.add_paragraph()
    if text:
        run = p.add_run(text)
        run.bold, run.italic = bold or None, italic or None
        if size:
            run.font.size = Pt(size)
    p.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT,
                   "justify": WD_ALIGN_PARAGRAPH.JUSTIFY, None: None}[align]
    fmt = p.paragraph_format
    if before is not None:
        fmt.space_before = Pt(before)
    if after is not None:
        fmt.space_after = Pt(after)
    if indent_first:
        fmt.first_line_indent = Mm(10)
    if keep_next:
        fmt.keep_with_next = True
    return p


# What follows w:pBdr in a paragraph's properties (WordprocessingML keeps a fixed order; Word refuses others).
PBDR_SUCCESSORS = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
                   "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
                   "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
                   "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def _short_line(container, width_mm: float, cell_mm: float):
    """A short centred rule under a heading (ND30): an empty paragraph's top border, narrowed by indents."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    p = container.add_paragraph()
    side = max((cell_mm - width_mm) / 2, 0)
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = Mm(side)
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.line_spacing = Pt(4)
    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        top.set(qn(key), value)
    borders.append(top)
    p._p.get_or_add_pPr().insert_element_before(borders, *PBDR_SUCCESSORS)
    return p


def _no_borders(table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    tbl_pr.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption",
                                 "w:tblDescription", "w:tblPrChange")


def _widths(table, widths_mm: list[float]) -> None:
    """Fix the columns' widths: the grid (LibreOffice reads it), each cell (Word reads those) and a fixed layout."""
    from docx.oxml.ns import qn
    from docx.shared import Mm

    table.autofit = False
    for column, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_mm):
        column.set(qn("w:w"), str(int(Mm(width).twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm):
            cell.width = Mm(width)
    total = table._tbl.tblPr.find(qn("w:tblW"))  # python-docx writes one; autofit=False made the layout fixed
    total.set(qn("w:w"), str(int(Mm(sum(widths_mm)).twips)))
    total.set(qn("w:type"), "dxa")


def _cell(cell, text: str, *, bold=False, italic=False, size=None, align=None, after=0):
    """Write the cell's first paragraph (a new cell has one, empty)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = cell.paragraphs[0]
    if text:
        run = p.add_run(text)
        run.bold, run.italic = bold or None, italic or None
        if size:
            run.font.size = Pt(size)
    if align:
        p.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}[align]
    p.paragraph_format.space_after = Pt(after)
    return p


HEADER_LEFT_MM, HEADER_RIGHT_MM = 62, 103


def _header(doc, facts: RecordFacts, kind: str, printed_on: date | None) -> None:
    """The ND30 header: issuing body | national name and motto; then "Số:" | place and date."""
    header = doc.add_table(rows=2, cols=2)
    _no_borders(header)
    _widths(header, [HEADER_LEFT_MM, HEADER_RIGHT_MM])
    left, right = header.rows[0].cells
    _cell(left, facts.bloc_title.upper(), size=12, align="center")
    _para(left, facts.leader.upper(), bold=True, size=12, align="center", after=0)
    _short_line(left, 25, HEADER_LEFT_MM)
    _cell(right, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12, align="center")
    _para(right, "Độc lập - Tự do - Hạnh phúc", bold=True, size=13, align="center", after=0)
    _short_line(right, 58, HEADER_RIGHT_MM)
    number, place = header.rows[1].cells
    _cell(number, facts.number_line(kind), size=13, align="center", after=6)
    _cell(place, facts.date_line(printed_on), italic=True, size=14, align="center", after=6)


def _title(doc, title: str, subtitle: str) -> None:
    _para(doc, title, bold=True, align="center", before=18, after=0, keep_next=True)
    _para(doc, subtitle, bold=True, align="center", after=0, keep_next=True)
    _short_line(doc, 40, 165)
    _para(doc, "", after=6)


def _heading(doc, text: str) -> None:
    _para(doc, text, bold=True, before=6, after=4, keep_next=True)


def _bullets(doc, items: list[str], *, prefix: str = "- ") -> None:
    for item in items:
        _para(doc, prefix + item, align="justify", after=2, indent_first=True)


def _results_table(doc, facts: RecordFacts) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT

    heads = ["STT", "Đơn vị"] + facts.stages + ["Xếp thứ", "Xếp loại"]
    stage_mm = 19 if len(facts.stages) == 3 else 22
    widths = [13, 165 - 13 - stage_mm * len(facts.stages) - 16 - 34, *([stage_mm] * len(facts.stages)), 16, 34]
    grid = doc.add_table(rows=1, cols=len(heads))
    grid.style = doc.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(grid.rows[0].cells, heads):
        _cell(cell, text, bold=True, size=12, align="center")
    for row in facts.rows:
        cells = grid.add_row().cells
        values = [str(row.number), row.unit, *row.totals.values(), row.rank, row.classification]
        for col, (cell, text) in enumerate(zip(cells, values)):
            align = "center" if col == 0 or col >= len(values) - 2 else ("right" if col >= 2 else None)
            _cell(cell, text, size=13, align=align, italic=not row.complete and col == len(values) - 1)
    _widths(grid, widths)
    _repeat_header(grid)
    _para(doc, facts.thresholds, italic=True, size=13, before=4)


def _repeat_header(table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    tr_pr.append(element)


def _proposals(doc, facts: RecordFacts, number: str) -> None:
    _heading(doc, f"{number}. ĐỀ NGHỊ")
    _para(doc, "1. Đề nghị khen thưởng:", keep_next=True, after=2)
    _bullets(doc, [f + "." for f in facts.flags] or [facts.flag_note or GAP])
    _para(doc, f"2. Đề nghị Trưởng khối, Phó Trưởng khối năm {facts.year + 1}:", keep_next=True, after=2)
    _bullets(doc, [f"Trưởng khối: {facts.next_leader}.", f"Phó Trưởng khối: {facts.next_deputy}."]
             + ([facts.leadership_note] if facts.leadership_note else []))


def _signatures(doc, columns: list[tuple[str, list[str], str]]) -> None:
    """Signature block: per column a bold title, lines under it (italic note, unit), then the name after room to sign."""
    block = doc.add_table(rows=1, cols=len(columns))
    _no_borders(block)
    _widths(block, [165 / len(columns)] * len(columns))
    for cell, (title, lines, name) in zip(block.rows[0].cells, columns):
        _cell(cell, title, bold=True, align="center")
        for line in lines:
            _para(cell, line, italic=line.startswith("("), bold=not line.startswith("("), size=13, align="center", after=0)
        for _ in range(3):
            _para(cell, "", after=6)
        _para(cell, name, bold=True, align="center", after=0)


def _save(doc) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _record_body(doc, facts: RecordFacts) -> None:
    _heading(doc, "I. THỜI GIAN, ĐỊA ĐIỂM, THÀNH PHẦN")
    _para(doc, f"1. Thời gian: {facts.time_text}", align="justify", after=2)
    _para(doc, f"2. Địa điểm: {facts.place}.", align="justify", after=2)
    _para(doc, "3. Thành phần:", after=2, keep_next=True)
    _bullets(doc, [f"Chủ trì: {facts.chair or GAP}.", f"Thư ký: {facts.secretary or GAP}."])
    if facts.present is not None:
        _para(doc, f"- Các đơn vị thành viên có mặt ({len(facts.present)}/{len(facts.members)} đơn vị):", after=2,
              indent_first=True, keep_next=True)
        _bullets(doc, facts.present, prefix="+ ")
        if facts.absent:
            _para(doc, "- Vắng mặt: " + "; ".join(facts.absent) + ".", align="justify", after=2, indent_first=True)
    else:
        _para(doc, f"- Các đơn vị thành viên có mặt: {GAP}/{len(facts.members)} đơn vị "
                   f"(Khối năm {facts.year} gồm các đơn vị dưới đây).", align="justify", after=2, indent_first=True,
              keep_next=True)
        _bullets(doc, facts.members, prefix="+ ")
    _heading(doc, "II. NỘI DUNG")
    for text in facts.content or [GAP]:
        _para(doc, text, align="justify", after=2, indent_first=True)
    _heading(doc, f"III. KẾT QUẢ CHẤM ĐIỂM, XẾP HẠNG THI ĐUA NĂM {facts.year}")
    _para(doc, f"Trạng thái kết quả: {facts.status}.", after=4, indent_first=True, keep_next=True)
    _results_table(doc, facts)
    _proposals(doc, facts, "IV")
    _para(doc, f"Biên bản kết thúc vào hồi {GAP} giờ {GAP} phút cùng ngày, đã được thông qua tại cuộc họp.",
          align="justify", before=6, indent_first=True)


def record_docx(results, *, printed_on: date | None = None) -> bytes:
    """The meeting record (biên bản họp Khối) as a Word draft."""
    facts = record_facts(results)
    with force_locale("vi"):
        doc = _document()
        doc.core_properties.title = f"Biên bản họp {facts.bloc_title} năm {facts.year}"
        _header(doc, facts, "BB", printed_on)
        _title(doc, "BIÊN BẢN", f"Họp {facts.bloc_title} tổng kết công tác thi đua, khen thưởng năm {facts.year}")
        _record_body(doc, facts)
        _signatures(doc, [("THƯ KÝ", ["(Ký, ghi rõ họ tên)"], facts.secretary),
                          ("CHỦ TRÌ", ["(Ký, ghi rõ họ tên)"], facts.chair)])
        return _save(doc)


def report_docx(results, *, printed_on: date | None = None) -> bytes:
    """The bloc's year-end report (báo cáo tổng kết) as a Word draft."""
    facts = record_facts(results, with_activities=True)
    with force_locale("vi"):
        doc = _document()
        doc.core_properties.title = f"Báo cáo tổng kết {facts.bloc_title} năm {facts.year}"
        _header(doc, facts, "BC", printed_on)
        _title(doc, "BÁO CÁO", f"Tổng kết công tác thi đua, khen thưởng năm {facts.year} của {facts.bloc_title}")
        _heading(doc, f"I. TÌNH HÌNH TỔ CHỨC HOẠT ĐỘNG CỦA KHỐI NĂM {facts.year}")
        _para(doc, f"1. Khối gồm {len(facts.members)} đơn vị; Trưởng khối: {facts.leader}; Phó Trưởng khối: {facts.deputy}.",
              align="justify", after=2)
        _bullets(doc, facts.members, prefix="+ ")
        _para(doc, "2. Các hoạt động theo kế hoạch của năm:", after=2, keep_next=True)
        _bullets(doc, facts.activities or [GAP])
        _para(doc, "3. Văn bản của Khối trong năm:", after=2, keep_next=True)
        _bullets(doc, facts.documents or [GAP])
        _heading(doc, f"II. KẾT QUẢ CHẤM ĐIỂM, XẾP HẠNG THI ĐUA NĂM {facts.year}")
        _para(doc, f"Trạng thái kết quả: {facts.status}.", after=4, indent_first=True, keep_next=True)
        _results_table(doc, facts)
        _proposals(doc, facts, "III")
        _heading(doc, f"IV. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM {facts.year + 1}")
        _para(doc, GAP, indent_first=True)
        _report_signature(doc, facts)
        return _save(doc)


def _report_signature(doc, facts: RecordFacts) -> None:
    """ND30: "Nơi nhận:" bottom-left (12 pt bold italic, the list 11 pt), the signer on the right."""
    _para(doc, "", after=6)
    block = doc.add_table(rows=1, cols=2)
    _no_borders(block)
    _widths(block, [80, 85])
    left, right = block.rows[0].cells
    _cell(left, "Nơi nhận:", bold=True, italic=True, size=12)
    for line in ("- Ban Thi đua - Khen thưởng tỉnh;", "- Các đơn vị thành viên Khối;", "- Lưu: VT."):
        _para(left, line, size=11, after=0)
    _cell(right, "TRƯỞNG KHỐI", bold=True, align="center")
    _para(right, facts.leader.upper(), bold=True, size=13, align="center", after=0)
    _para(right, "(Ký, ghi rõ họ tên, đóng dấu)", italic=True, size=13, align="center", after=0)
    for _ in range(4):  # room to sign and stamp
        _para(right, "", after=6)
