"""The meeting record (biên bản họp Khối) as a PDF: reportlab with DejaVu Sans for Vietnamese.

The same content as the Word draft (`portal.scoring.drafts`, whose `record_facts` both read): the header
with "Số: …/BB-…" and the place-and-date line, time, place and present units, the results table, the
proposals and the signatures. Always Vietnamese.
"""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from flask import current_app

from portal.scoring import drafts

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
    """Render the record on A4 (portrait) with the margins of Nghị định 30/2020/NĐ-CP."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import HRFlowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_fonts()
    facts = drafts.record_facts(results)
    base = ParagraphStyle("base", fontName="DejaVuSans", fontSize=11, leading=15, alignment=TA_JUSTIFY, spaceAfter=2)
    small = ParagraphStyle("small", parent=base, fontSize=9.5, leading=12, alignment=0, spaceAfter=0)
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER, spaceAfter=0)
    title = ParagraphStyle("title", parent=center, fontName="DejaVuSans-Bold", fontSize=13, leading=17)
    heading = ParagraphStyle("heading", parent=base, fontName="DejaVuSans-Bold", spaceBefore=6, spaceAfter=3)
    item = ParagraphStyle("item", parent=base, firstLineIndent=8 * mm)

    def p(text, style=base):
        return Paragraph(text, style)

    def e(text):
        return escape(text)

    width = 165 * mm
    rule = dict(thickness=0.6, color=colors.black, spaceBefore=1, spaceAfter=2, hAlign="CENTER")
    header = Table([
        [[p(e(facts.bloc_title.upper()), center), p(f"<b>{e(facts.leader.upper())}</b>", center), HRFlowable(width=25 * mm, **rule)],
         [p("<b>CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM</b>", center), p("<b>Độc lập - Tự do - Hạnh phúc</b>", center),
          HRFlowable(width=55 * mm, **rule)]],
        [p(e(facts.number_line("BB")), center), p(f"<i>{e(facts.date_line(printed_on))}</i>", center)],
    ], colWidths=[65 * mm, 100 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    story = [header, Spacer(1, 6 * mm), p("BIÊN BẢN", title),
             p(e(f"Họp {facts.bloc_title} tổng kết công tác thi đua, khen thưởng năm {facts.year}"), title),
             HRFlowable(width=40 * mm, **rule), Spacer(1, 3 * mm)]

    story += [p("I. THỜI GIAN, ĐỊA ĐIỂM, THÀNH PHẦN", heading), p(e(f"1. Thời gian: {facts.time_text}")),
              p(e(f"2. Địa điểm: {facts.place}.")), p("3. Thành phần:"),
              p(e(f"- Chủ trì: {facts.chair or drafts.GAP}."), item), p(e(f"- Thư ký: {facts.secretary or drafts.GAP}."), item)]
    if facts.present is not None:
        story.append(p(e(f"- Các đơn vị thành viên có mặt ({len(facts.present)}/{len(facts.members)} đơn vị):"), item))
        story += [p(e(f"+ {name}"), item) for name in facts.present]
        if facts.absent:
            story.append(p(e("- Vắng mặt: " + "; ".join(facts.absent) + "."), item))
    else:
        story.append(p(e(f"- Các đơn vị thành viên có mặt: {drafts.GAP}/{len(facts.members)} đơn vị "
                         f"(Khối năm {facts.year} gồm các đơn vị dưới đây)."), item))
        story += [p(e(f"+ {name}"), item) for name in facts.members]

    story.append(p("II. NỘI DUNG", heading))
    story += [p(e(text), item) for text in facts.content or [drafts.GAP]]

    story += [p(e(f"III. KẾT QUẢ CHẤM ĐIỂM, XẾP HẠNG THI ĐUA NĂM {facts.year}"), heading),
              p(e(f"Trạng thái kết quả: {facts.status}."), item)]
    heads = ["STT", "Đơn vị", *facts.stages, "Xếp thứ", "Xếp loại"]
    data = [[p(f"<b>{e(h)}</b>", small) for h in heads]]
    for row in facts.rows:
        label = f"<i>{e(row.classification)}</i>" if not row.complete else e(row.classification)
        data.append([str(row.number), p(e(row.unit), small), *row.totals.values(), row.rank, p(label, small)])
    stage_mm = 18 if len(facts.stages) == 3 else 22
    widths = [12, 165 - 12 - stage_mm * len(facts.stages) - 15 - 30, *([stage_mm] * len(facts.stages)), 15, 30]
    grid = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    last_total = 1 + len(facts.stages)
    grid.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), "DejaVuSans"), ("FONTSIZE", (0, 0), (-1, -1), 9.5),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (2, 1), (last_total, -1), "RIGHT"), ("ALIGN", (0, 1), (0, -1), "CENTER"),
        ("ALIGN", (last_total + 1, 1), (last_total + 1, -1), "CENTER"),
    ]))
    story += [grid, Spacer(1, 1.5 * mm), p(f"<i>{e(facts.thresholds)}</i>", small)]

    story += [p("IV. ĐỀ NGHỊ", heading), p("1. Đề nghị khen thưởng:")]
    story += [p(e(f"- {text}"), item) for text in ([f + "." for f in facts.flags] or [facts.flag_note or drafts.GAP])]
    story += [p(e(f"2. Đề nghị Trưởng khối, Phó Trưởng khối năm {facts.year + 1}:")),
              p(e(f"- Trưởng khối: {facts.next_leader}."), item), p(e(f"- Phó Trưởng khối: {facts.next_deputy}."), item)]
    if facts.leadership_note:
        story.append(p(e(f"- {facts.leadership_note}"), item))
    story.append(p(e(f"Biên bản kết thúc vào hồi {drafts.GAP} giờ {drafts.GAP} phút cùng ngày, "
                     "đã được thông qua tại cuộc họp."), item))

    def signer(role, name):
        return [p(f"<b>{role}</b>", center), p("<i>(Ký, ghi rõ họ tên)</i>", center), Spacer(1, 18 * mm),
                p(f"<b>{e(name)}</b>", center)]

    signs = Table([[signer("THƯ KÝ", facts.secretary), signer("CHỦ TRÌ", facts.chair)]], colWidths=[width / 2, width / 2])
    signs.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [Spacer(1, 6 * mm), KeepTogether(signs)]

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=30 * mm, rightMargin=15 * mm, topMargin=20 * mm, bottomMargin=20 * mm,
                            title=f"Biên bản họp {facts.bloc_title} năm {facts.year}", author="Cổng Thi đua - Khen thưởng",
                            invariant=True)
    doc.build(story)
    return out.getvalue()
