"""The meeting record (biên bản) of a bloc's scoring as a PDF: reportlab with DejaVu Sans for Vietnamese."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from flask import current_app

from portal.scoring import rules
from portal.text import format_date

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_registered = False


def _register_fonts() -> None:
    """Register DejaVu Sans once per process (the Vietnamese letters need a full Unicode font)."""
    global _registered
    if _registered:
        return
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(current_app.config.get("PORTAL_FONT_DIR") or FONT_DIR)
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVuSans-Oblique", str(folder / "DejaVuSans-Oblique.ttf")))
    pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold", italic="DejaVuSans-Oblique",
                                  boldItalic="DejaVuSans-Bold")
    _registered = True


def record_pdf(results, *, printed_on: date) -> bytes:
    """Render the record: header, members, results table, proposals, signatures (A4, portrait)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    from xml.sax.saxutils import escape

    from portal.scoring.services import CLASSIFICATION_LABELS, FLAG_LABELS, STATUS_LABELS

    _register_fonts()
    table = results.table
    base = ParagraphStyle("base", fontName="DejaVuSans", fontSize=10.5, leading=14)
    small = ParagraphStyle("small", parent=base, fontSize=9, leading=12)
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
    title = ParagraphStyle("title", parent=base, fontName="DejaVuSans-Bold", fontSize=14, leading=18, alignment=TA_CENTER, spaceAfter=2)
    heading = ParagraphStyle("heading", parent=base, fontName="DejaVuSans-Bold", spaceBefore=8, spaceAfter=4)

    def p(text, style=base):
        return Paragraph(text, style)

    story = []
    header = Table([[p(f"<b>{escape(table.bloc.name.upper())}</b>", center),
                     p("<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br/><b>Độc lập - Tự do - Hạnh phúc</b>", center)],
                    ["", p(f"<i>Ngày {format_date(printed_on)}</i>", center)]], colWidths=[75 * mm, 100 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [header, Spacer(1, 8 * mm), p("BIÊN BẢN", title),
              p(f"<b>Bình xét, chấm điểm thi đua năm {table.year}</b>", center), Spacer(1, 4 * mm),
              p(f"Kết quả của {escape(table.bloc.name)}; trạng thái: {STATUS_LABELS[results.status]}.")]

    story.append(p("I. Thành phần", heading))
    for i, m in enumerate(results.members, start=1):
        role = {"leader": " — Trưởng khối", "deputy": " — Phó Trưởng khối"}.get(m.role, "")
        story.append(p(f"{i}. {escape(m.unit.name)}{role}"))

    story.append(p("II. Kết quả chấm điểm, xếp hạng", heading))
    data = [[p("<b>STT</b>", small), p("<b>Đơn vị</b>", small), p("<b>Tự chấm</b>", small), p("<b>Khối chấm</b>", small),
             p("<b>Thẩm định</b>", small), p("<b>Xếp thứ</b>", small), p("<b>Xếp loại</b>", small)]]
    for i, line in enumerate(results.lines, start=1):
        rank = "" if not line.rank else (f"{line.rank}=" if line.tie else str(line.rank))
        data.append([str(i), p(escape(line.unit.name), small)] +
                    [rules.format_points_vi(line.totals[s]) for s in ("self", "bloc", "appraisal")] +
                    [rank, p(str(CLASSIFICATION_LABELS[line.classification]) if line.classification else "", small)])
    grid = Table(data, colWidths=[11 * mm, 62 * mm, 19 * mm, 19 * mm, 19 * mm, 15 * mm, 28 * mm], repeatRows=1)
    grid.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), "DejaVuSans"), ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#777777")), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E9EDF3")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (2, 1), (5, -1), "RIGHT"), ("ALIGN", (0, 1), (0, -1), "CENTER"),
    ]))
    story.append(grid)
    t = results.thresholds
    story.append(p(f"Ngưỡng xếp loại: Xuất sắc từ {rules.format_points_vi(t.excellent)} điểm, Tốt từ "
                   f"{rules.format_points_vi(t.good)} điểm, Hoàn thành từ {rules.format_points_vi(t.completed)} điểm.", small))

    story.append(p("III. Đề nghị khen thưởng", heading))
    flagged = [line for line in results.lines if line.flag]
    if flagged:
        for line in flagged:
            story.append(p(f"{FLAG_LABELS[line.flag]}: <b>{escape(line.unit.name)}</b>"))
    else:
        story.append(p(escape(results.flag_note or "Chưa có đề nghị.")))

    leader = next((m for m in results.members if m.role == "leader"), None)
    deputy = next((m for m in results.members if m.role == "deputy"), None)
    signs = Table([[p("<b>THƯ KÝ</b>", center), p("<b>PHÓ TRƯỞNG KHỐI</b>", center), p("<b>TRƯỞNG KHỐI</b>", center)],
                   [p("<i>(Ký, ghi rõ họ tên)</i>", center),
                    p(f"{escape(deputy.unit.name) if deputy else ''}<br/><i>(Ký, ghi rõ họ tên)</i>", center),
                    p(f"{escape(leader.unit.name) if leader else ''}<br/><i>(Ký, ghi rõ họ tên)</i>", center)]],
                  colWidths=[58 * mm, 58 * mm, 58 * mm])
    signs.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [Spacer(1, 10 * mm), signs]

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm,
                            title=f"Biên bản chấm điểm {table.bloc.name} năm {table.year}", author="Cổng Thi đua - Khen thưởng",
                            invariant=True)
    doc.build(story)
    return out.getvalue()
