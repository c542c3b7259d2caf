"""Demo PDF documents for the demo province "Lam Sơn" (no Flask, no database).

``generate_demo_documents(years, today=...)`` yields realistic, deterministic PDFs in the national
administrative format (Nghị định 30/2020/NĐ-CP style, like ``shared/samples/*.txt``) for the units
and blocs of :mod:`portal.demo.province`: the province's directive (CT) and bloc plan (KH), every
bloc's pledge (GU), criteria (TC), 6-month report (BC sơ kết), meeting minutes (BB) and year-end
report (BC tổng kết), the units' year-end reports (BC tổng kết), the Board's inspection notices
(TB) and the council decision (QĐ). Only documents dated on or before ``today`` are produced.

Citations resolve between documents: every document of year Y cites the plan by its real number
and date ("Kế hoạch số 27/KH-UBND ngày 08/01/2025"), the plan cites the directive, bloc documents
cite the bloc's pledge, the decision cites the plan.

The year of ``today`` tells a story (see :func:`demo_story`): bloc K4 sent its 6-month report after
the plan's deadline, bloc K6 never signed its pledge, and only about half of the units have sent
their year-end report so far. Exactly one document is a scan (image only, no text layer): one
unit's year-end report of the previous year.

With ``sign=True`` each year's directive and plan are digitally signed (pyHanko) by a demo
certificate "Trần Văn Minh / UBND tỉnh Lam Sơn" issued by the demo CA of :mod:`portal.demo.signing`
(made once per process, kept in memory only; the tests sign with the same module). pyHanko's ``sign_pdf`` calls ``asyncio.run``, so do not call the generator
with ``sign=True`` from inside a running event loop.
"""

from __future__ import annotations

import functools
import io
import random
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from portal.demo import province, signing

__all__ = [
    "DOCUMENT_TYPES",
    "DemoDocument",
    "demo_ca_pem",
    "demo_story",
    "generate_demo_documents",
]

DOCUMENT_TYPES = ("CT", "KH", "GU", "TC", "BC", "BB", "QĐ", "TB")

PROVINCE = "Lam Sơn"
PPC_ISSUER = "Ủy ban nhân dân tỉnh Lam Sơn"
PPC_SIGNER = "Trần Văn Minh"  # Phó Chủ tịch; signs the directive and the plan (digitally)
PPC_CHAIRMAN = "Lê Quang Huy"  # Chủ tịch; signs the council decision
BOARD_UNIT = "SNV"  # Ban Thi đua - Khen thưởng belongs to Sở Nội vụ
BOARD_SIGNER = "Đỗ Thị Thu Hằng"  # Phó Giám đốc Sở Nội vụ, Trưởng Ban Thi đua - Khen thưởng
LATE_BLOC = "K4"  # current year: 6-month report after the deadline
NO_PLEDGE_BLOC = "K6"  # current year: no pledge
SCANNED_UNIT = "H-MUONGTE"  # previous year's year-end report of this unit is a paper scan

_FONT_FILES = {
    "R": ("DejaVuSans", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    "B": ("DejaVuSans-Bold", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    "I": ("DejaVuSans-Oblique", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Oblique.ttf"),
}
_PAGE_W, _PAGE_H = 595.2756, 841.8898  # A4 in points
_ML, _MR, _MT, _MB = 62.0, 48.0, 48.0, 54.0  # margins
_BODY = 11.0  # body font size
_HEAD = 10.5  # header font size
_LEFT_COL = (34.0, 236.0)  # x, width of the header/signature left column
_RIGHT_COL = (282.0, 283.0)  # x, width of the header/signature right column


@dataclass(frozen=True)
class DemoDocument:
    """One generated demo document and its metadata."""

    filename: str  # ASCII, unique, e.g. "2025/K1/GU-K1-2025.pdf"
    data: bytes = field(repr=False)
    type: str  # one of DOCUMENT_TYPES
    report_kind: str | None  # "so_ket" / "tong_ket" for BC, else None
    number: str | None  # "27/KH-UBND"; None for pledges and criteria
    issue_date: date
    year: int  # the emulation year the document belongs to
    bloc: str | None  # bloc code
    unit: str | None  # unit code of the issuing unit (unit reports, the Board's notices)
    title: str  # trích yếu
    issuer: str
    signer: str  # the person who signed (pledges: the leader unit's head; the deputy co-signs)
    signed: bool
    scanned: bool
    text: str = field(repr=False)  # NFC logical text (for the scan too, though not in its PDF)


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _d(day: date) -> str:
    """dd/m/yyyy as in the samples: two-digit day; months 1 and 2 zero-padded."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{day.day:02d}/{month}/{day.year}"


def _place_date(place: str, day: date) -> str:
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def _num(x: float, digits: int = 1) -> str:
    """Vietnamese decimal: 7,2; thousands with dots: 1.234."""
    if digits == 0:
        return f"{round(x):,}".replace(",", ".")
    whole = f"{x:,.{digits}f}"
    return whole.replace(",", " ").replace(".", ",").replace(" ", ".")


def _workday(day: date, *, back: bool = True) -> date:
    """Move a Saturday/Sunday to the Friday before (or the Monday after)."""
    while day.weekday() >= 5:
        day += timedelta(days=-1 if back else 1)
    return day


def _between(rng: random.Random, start: date, end: date) -> date:
    return _workday(start + timedelta(days=rng.randint(0, max(0, (end - start).days))))


_UNITS = {unit.code: unit for unit in province.UNITS}
_BLOCS = {bloc.code: bloc for bloc in province.BLOCS}


def _bloc_no(bloc: str) -> str:
    return bloc[1:]


def _bloc_label(bloc: str) -> str:
    return f"Khối thi đua số {_bloc_no(bloc)}"


def _bloc_subtitle(bloc: str) -> str:
    name = _BLOCS[bloc].name
    return name.removeprefix("Khối thi đua ")


def _full_name(code: str) -> str:
    unit = _UNITS[code]
    if code == "TINHDOAN":
        return "Tỉnh đoàn Lam Sơn"
    if unit.name.endswith(" tỉnh"):
        return f"{unit.name} {PROVINCE}"
    return unit.name


def _locality(code: str) -> str:
    unit = _UNITS[code]
    if unit.kind == "dia_phuong":
        rest = unit.name.removeprefix("Ủy ban nhân dân ")
        for prefix in ("huyện ", "thị xã ", "thành phố "):
            rest = rest.removeprefix(prefix)
        return rest
    return PROVINCE


def _local_name(code: str) -> str:
    """'huyện Bản Mường' for districts, else the full name."""
    unit = _UNITS[code]
    if unit.kind == "dia_phuong":
        return unit.name.removeprefix("Ủy ban nhân dân ")
    return _full_name(code)


def _header_lines(code: str) -> list[str]:
    unit = _UNITS[code]
    if unit.kind == "dia_phuong":
        return ["ỦY BAN NHÂN DÂN", _local_name(code).upper()]
    if unit.kind == "so_nganh" and code not in ("CAT", "BCHQS", "BCHBP"):
        return ["UBND TỈNH LAM SƠN", _full_name(code).upper()]
    return [_full_name(code).upper()]


def _abbr(code: str) -> str:
    unit = _UNITS[code]
    if unit.kind == "dia_phuong":
        return "UBND"
    return code.removeprefix("DN-")


_TITLE_BY_PREFIX = (
    ("Sở ", "GIÁM ĐỐC"),
    ("Thanh tra", "CHÁNH THANH TRA"),
    ("Văn phòng", "CHÁNH VĂN PHÒNG"),
    ("Ban ", "TRƯỞNG BAN"),
    ("Bộ Chỉ huy", "CHỈ HUY TRƯỞNG"),
    ("Cục ", "CỤC TRƯỞNG"),
    ("Trường ", "HIỆU TRƯỞNG"),
    ("Tòa án", "CHÁNH ÁN"),
    ("Viện ", "VIỆN TRƯỞNG"),
    ("Tỉnh đoàn", "BÍ THƯ"),
    ("Hội ", "CHỦ TỊCH"),
    ("Liên ", "CHỦ TỊCH"),
    ("Ủy ban Mặt trận", "CHỦ TỊCH"),
)


def _head_title(code: str) -> list[str]:
    """Signature lines above the name for the unit's head."""
    unit = _UNITS[code]
    if unit.kind == "dia_phuong":
        return ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    for prefix, title in _TITLE_BY_PREFIX:
        if unit.name.startswith(prefix):
            return [title]
    return ["GIÁM ĐỐC"]


_FIXED_HEADS = {  # as in shared/samples/giao-uoc-khoi-3-2025.txt
    "H-BANMUONG": "Vàng A Dình",
    "H-NAHANG": "Hà Thị Lụa",
    "H-MUONGTE": "Lò Văn Pọm",
    "H-SINHO": "Giàng Seo Phử",
}
_SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương",
             "Lý", "Đinh", "Hà", "Lương", "Trịnh", "Mai", "Phan", "Tạ", "Cao")  # fmt: skip
_MIDDLES = ("Văn", "Thị", "Đức", "Minh", "Quang", "Thanh", "Hữu", "Ngọc", "Xuân", "Thu", "Hồng",
            "Công", "Thị Thanh", "Văn Hải", "Đình", "Mạnh")  # fmt: skip
_GIVENS = ("Hùng", "Dũng", "Hải", "Lan", "Hương", "Tuấn", "Thắng", "Bình", "Hà", "Sơn", "Long",
           "Phương", "Nga", "Tâm", "Khánh", "Trung", "Hiếu", "Thủy", "Cường", "Đạt", "Nam", "Yến",
           "Quý", "Vinh", "Hạnh", "Toàn", "Thành", "Loan")  # fmt: skip


@functools.cache
def _people() -> dict[str, str]:
    """Unit code -> name of its head (deterministic, unique)."""
    rng = random.Random("thidua-demo:heads")
    used = set(_FIXED_HEADS.values()) | {PPC_SIGNER, PPC_CHAIRMAN, BOARD_SIGNER}
    heads = dict(_FIXED_HEADS)
    for unit in province.UNITS:
        if unit.code in heads:
            continue
        while True:
            name = f"{rng.choice(_SURNAMES)} {rng.choice(_MIDDLES)} {rng.choice(_GIVENS)}"
            if name not in used:
                break
        used.add(name)
        heads[unit.code] = name
    return heads


def _head(code: str) -> str:
    return _people()[code]


def _staff_name(rng: random.Random) -> str:
    return f"{rng.choice(_SURNAMES)} {rng.choice(_MIDDLES)} {rng.choice(_GIVENS)}"


# ---------------------------------------------------------------------------------------------
# Layout: a document is a list of items; rendered to PDF (reportlab) or to images (Pillow)
# ---------------------------------------------------------------------------------------------

_Piece = tuple[str, str, float]  # text, font key ("R", "B", "I"), size


@dataclass
class _Text:
    text: str
    font: str = "R"
    size: float = _BODY
    align: str = "left"  # "left" or "center"
    indent: float = 0.0  # first-line indent
    before: float = 0.0  # extra space before


@dataclass
class _Row:
    """Two columns side by side (header, signatures); kept on one page."""

    left: list[_Piece]
    right: list[_Piece]
    left_align: str = "center"
    before: float = 0.0
    left_x: float = _LEFT_COL[0]


def _p(text: str, **kw) -> _Text:
    return _Text(text, indent=24.0, **kw)


@functools.cache
def _font(key: str) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name, path = _FONT_FILES[key]
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, path))
    return name


def _width(text: str, key: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, _font(key), size)


def _wrap(text: str, key: str, size: float, width: float, indent: float = 0.0) -> list[str]:
    text = _nfc(text)
    if not text.strip():
        return [""]
    out: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        room = width - (indent if not out else 0.0)
        if not current or _width(candidate, key, size) <= room:
            current = candidate
        else:
            out.append(current)
            current = word
    out.append(current)
    return out


# A drawn line: (leading, [(x, baseline offset 0, text, font key, size)])
_Draw = tuple[float, list[tuple[float, str, str, float]]]


def _column(pieces: list[_Piece], x: float, width: float, align: str) -> list[tuple]:
    lines = []
    for text, key, size in pieces:
        if key == "L":  # a short rule under the header; ``size`` is its length
            lines.append((5.0, (x + (width - size) / 2, "", "L", size)))
            continue
        for line in _wrap(text, key, size, width):
            w = _width(line, key, size)
            lx = x + (width - w) / 2 if align == "center" else x
            lines.append((size * 1.38, (lx, line, key, size) if line else None))
    return lines


def _layout(items: list) -> list[list[tuple[float, list]]]:
    """Return pages; each page is a list of (baseline y, [(x, text, font key, size)])."""
    pages: list[list[tuple[float, list]]] = [[]]
    y = _PAGE_H - _MT
    usable = _PAGE_W - _ML - _MR

    def new_page() -> None:
        nonlocal y
        pages.append([])
        y = _PAGE_H - _MT

    for item in items:
        if isinstance(item, _Text):
            y -= item.before
            x0 = _ML
            for i, line in enumerate(_wrap(item.text, item.font, item.size, usable, item.indent)):
                lead = item.size * 1.4
                if y - lead < _MB:
                    new_page()
                y -= lead
                if not line:
                    continue
                if item.align == "center":
                    x = _ML + (usable - _width(line, item.font, item.size)) / 2
                else:
                    x = x0 + (item.indent if i == 0 else 0.0)
                pages[-1].append((y, [(x, line, item.font, item.size)]))
        else:
            y -= item.before
            if item.left_align == "left":
                left = _column(item.left, item.left_x, _LEFT_COL[1], "left")
            else:
                left = _column(item.left, *_LEFT_COL, "center")
            right = _column(item.right, *_RIGHT_COL, "center")
            height = sum(
                max(a[0] if a else 0, b[0] if b else 0)
                for a, b in _zip_longest(left, right)
            )
            if y - height < _MB and pages[-1]:
                new_page()
            for a, b in _zip_longest(left, right):
                y -= max(a[0] if a else 0, b[0] if b else 0)
                drawn = [piece[1] for piece in (a, b) if piece and piece[1]]
                if drawn:
                    pages[-1].append((y, drawn))
    return pages


def _zip_longest(a: list, b: list) -> list[tuple]:
    n = max(len(a), len(b))
    return [(a[i] if i < len(a) else None, b[i] if i < len(b) else None) for i in range(n)]


def _plain_text(items: list) -> str:
    """The document's logical text: one line per paragraph, columns joined like the samples."""
    lines: list[str] = []
    for item in items:
        if isinstance(item, _Text):
            if item.before:
                lines.append("")
            lines.append(item.text)
        else:
            if item.before:
                lines.append("")
            left = [p[0] for p in item.left if p[1] != "L"]
            right = [p[0] for p in item.right if p[1] != "L"]
            for a, b in _zip_longest(left, right):
                a, b = a or "", b or ""
                lines.append(f"{a:<40}  {b}".rstrip() if b else a)
    return _nfc("\n".join(lines).strip("\n") + "\n")


def _render_pdf(items: list, *, title: str, author: str, subject: str) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(_PAGE_W, _PAGE_H), invariant=1, pageCompression=1)
    c.setTitle(title)
    c.setAuthor(author)
    c.setSubject(subject)
    c.setCreator("Thi đua Portal (demo)")
    for page in _layout(items):
        for y, pieces in page:
            for x, text, key, size in pieces:
                if key == "L":
                    c.setLineWidth(0.6)
                    c.line(x, y + 2.5, x + size, y + 2.5)
                    continue
                c.setFont(_font(key), size)
                c.drawString(x, y, text)
        c.showPage()
    c.save()
    return buf.getvalue()


def _render_scan(items: list, *, title: str, author: str, dpi: int = 150) -> bytes:
    """An image-only PDF: every page is a greyscale picture of the laid-out text."""
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    scale = dpi / 72
    fonts: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(_PAGE_W, _PAGE_H), invariant=1, pageCompression=1)
    c.setTitle(title)
    c.setAuthor(author)
    c.setCreator("Thi đua Portal (demo scan)")
    for page in _layout(items):
        img = Image.new("L", (round(_PAGE_W * scale), round(_PAGE_H * scale)), 250)
        draw = ImageDraw.Draw(img)
        for y, pieces in page:
            for x, text, key, size in pieces:
                if key == "L":
                    yy = (_PAGE_H - y - 2.5) * scale
                    draw.line([(x * scale, yy), ((x + size) * scale, yy)], fill=25, width=1)
                    continue
                px = round(size * scale)
                font = fonts.get((key, px))
                if font is None:
                    font = fonts[(key, px)] = ImageFont.truetype(_FONT_FILES[key][1], px)
                draw.text((x * scale, (_PAGE_H - y) * scale), text, font=font, fill=25,
                          anchor="ls")  # fmt: skip
        img = img.rotate(0.35, resample=Image.Resampling.BICUBIC, fillcolor=250)
        c.drawImage(ImageReader(img), 0, 0, width=_PAGE_W, height=_PAGE_H)
        c.showPage()
    c.save()
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Demo PKI and signing
# ---------------------------------------------------------------------------------------------


def demo_ca_pem() -> bytes:
    """PEM of this process's demo CA (the demo instance trusts it, so its signed plans show as trusted)."""
    return _demo_pki().ca_pem


def _demo_pki() -> signing.Pki:
    return signing.make_pki(PPC_SIGNER, "UBND tỉnh Lam Sơn")  # issued by the demo CA, made once per process


def _sign(data: bytes) -> bytes:
    return signing.sign_pdf(data, _demo_pki(), field_name="ChuKy1", reason="Phê duyệt", location=PROVINCE)


# ---------------------------------------------------------------------------------------------
# Document specs (metadata + layout, not yet rendered)
# ---------------------------------------------------------------------------------------------

_HEADINGS = {
    "CT": "CHỈ THỊ",
    "KH": "KẾ HOẠCH",
    "GU": "GIAO ƯỚC THI ĐUA",
    "TC": "BẢNG TIÊU CHÍ CHẤM ĐIỂM THI ĐUA",
    "BC": "BÁO CÁO",
    "BB": "BIÊN BẢN",
    "QĐ": "QUYẾT ĐỊNH",
    "TB": "THÔNG BÁO",
}
_TYPE_NAMES = {
    "CT": "Chỉ thị",
    "KH": "Kế hoạch",
    "GU": "Giao ước thi đua",
    "TC": "Bảng tiêu chí",
    "BC": "Báo cáo",
    "BB": "Biên bản",
    "QĐ": "Quyết định",
    "TB": "Thông báo",
}
_MOTTO = [
    ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "B", _HEAD),
    ("Độc lập - Tự do - Hạnh phúc", "B", _HEAD),
]


@dataclass
class _Spec:
    filename: str
    type: str
    report_kind: str | None
    number: str | None
    issue_date: date
    year: int
    bloc: str | None
    unit: str | None
    title: str
    issuer: str
    signer: str  # the person who signed (pledges: the leader unit's head; the deputy co-signs)
    header: list[str]  # left header column lines
    place: str
    body: list = field(default_factory=list)  # _Text items after the heading
    recipients: list[str] = field(default_factory=list)
    signature: list[_Row] = field(default_factory=list)
    heading_lines: list[str] | None = None  # default: _HEADINGS[type], title
    sign: bool = False
    scanned: bool = False

    def items(self) -> list:
        header = [(line, "B" if i else "R", _HEAD) for i, line in enumerate(self.header)]
        if len(self.header) == 1:
            header = [(self.header[0], "B", _HEAD)]
        header.append(("", "L", 60.0))
        motto = [*_MOTTO, ("", "L", 150.0)]
        items: list = [_Row(header, motto)]
        number = f"Số: {self.number}" if self.number else ""
        place_date = _place_date(self.place, self.issue_date)
        items.append(_Row([(number, "R", _BODY)], [(place_date, "I", _BODY)], before=2))
        heading = self.heading_lines or [_HEADINGS[self.type], self.title]
        for i, line in enumerate(heading):
            size, before = (12.5, 10.0) if i == 0 else (_BODY, 0.0)
            items.append(_Text(line, "B", size, "center", before=before))
        if self.body:
            self.body[0].before = max(self.body[0].before, 10)
        items.extend(self.body)
        sign_rows = list(self.signature)
        if self.recipients and sign_rows:
            first = sign_rows[0]
            recipients = [("Nơi nhận:", "B", 9.5), *((f"- {r}", "R", 9.0) for r in self.recipients)]
            sign_rows[0] = _Row(recipients, first.right, "left", before=12, left_x=_ML)
        elif sign_rows:
            sign_rows[0].before = max(sign_rows[0].before, 12)
        items.extend(sign_rows)
        return items


def _sig(*lines: str, name: str) -> list[_Piece]:
    return [*((line, "B", _BODY) for line in lines), ("", "R", _BODY), ("", "R", _BODY),
            ("", "R", _BODY), (name, "B", _BODY)]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The year's facts
# ---------------------------------------------------------------------------------------------


@dataclass
class _Schedule:
    pledge: date
    so_ket: date
    unit_reports: date
    bloc_report: date
    appraisal: tuple[date, date]
    council: tuple[date, date]
    variants: tuple[int, ...]  # wording variant of each of the 8 steps


# Deadlines of the plan, varied a little between years (2025 is the sample plan's wording).
_SCHEDULES = {
    2024: _Schedule(date(2024, 2, 29), date(2024, 6, 18), date(2024, 11, 22), date(2024, 12, 4),
                    (date(2024, 12, 9), date(2024, 12, 13)),
                    (date(2024, 12, 17), date(2024, 12, 20)), (1, 0, 1, 1, 0, 1, 0, 1)),
    2025: _Schedule(date(2025, 2, 28), date(2025, 6, 20), date(2025, 11, 25), date(2025, 12, 5),
                    (date(2025, 12, 8), date(2025, 12, 12)),
                    (date(2025, 12, 16), date(2025, 12, 19)), (0, 0, 0, 0, 0, 0, 0, 0)),
    2026: _Schedule(date(2026, 2, 27), date(2026, 6, 19), date(2026, 11, 27), date(2026, 12, 4),
                    (date(2026, 12, 7), date(2026, 12, 11)),
                    (date(2026, 12, 15), date(2026, 12, 18)), (0, 1, 1, 0, 1, 0, 1, 0)),
}  # fmt: skip

# (directive number, directive date, plan number, plan date); 2025 as in the sample plan.
_PPC_DOCS = {
    2024: (7, date(2023, 12, 15), 31, date(2024, 1, 9)),
    2025: (5, date(2024, 12, 20), 27, date(2025, 1, 8)),
    2026: (4, date(2025, 12, 18), 24, date(2026, 1, 8)),
}


@dataclass
class _Year:
    year: int
    current: bool
    schedule: _Schedule
    ct_number: str
    ct_date: date
    kh_number: str
    kh_date: date
    members: dict[str, list[str]]  # bloc -> unit codes (leader, deputy, members)
    leader: dict[str, str]
    deputy: dict[str, str]
    rng: random.Random

    @property
    def plan_ref(self) -> str:
        return f"Kế hoạch số {self.kh_number} ngày {_d(self.kh_date)}"

    @property
    def plan_cite(self) -> str:
        return (
            f"{self.plan_ref} của Ủy ban nhân dân tỉnh về tổ chức hoạt động các Khối thi đua "
            f"thuộc tỉnh năm {self.year}"
        )


def _year_facts(year: int, today: date) -> _Year:
    if year not in province.YEARS:
        raise ValueError(f"no demo data for year {year}; years are {province.YEARS}")
    ct_n, ct_date, kh_n, kh_date = _PPC_DOCS[year]
    members: dict[str, list[str]] = {}
    for m in province.memberships(year):
        members.setdefault(m.bloc_code, []).append(m.unit_code)
    return _Year(
        year=year,
        current=year == today.year,
        schedule=_SCHEDULES[year],
        ct_number=f"{ct_n:02d}/CT-UBND",
        ct_date=ct_date,
        kh_number=f"{kh_n}/KH-UBND",
        kh_date=kh_date,
        members=members,
        leader=province.leaders(year),
        deputy=province.deputies(year),
        rng=random.Random(f"thidua-demo:{year}"),
    )


_PPC_HEADER = ["ỦY BAN NHÂN DÂN", "TỈNH LAM SƠN"]


def _ppc_sign() -> list[_Row]:
    return [_Row([], _sig("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", name=PPC_SIGNER))]


def _directive(y: _Year) -> _Spec:
    rng = y.rng
    prev = y.year - 1
    growth = rng.uniform(6.4, 8.9)
    budget = rng.randint(5200, 7400)
    budget_pct = rng.uniform(101.5, 112.0)
    new_rural = rng.randint(9, 17)
    poor = rng.uniform(1.1, 2.3)
    themes = (
        "Đoàn kết, kỷ cương, đổi mới, sáng tạo, phát triển bền vững",
        "Thi đua đổi mới, sáng tạo, chuyển đổi số, hoàn thành thắng lợi nhiệm vụ năm",
        "Chủ động, sáng tạo, tăng tốc, bứt phá, về đích các mục tiêu nhiệm kỳ",
    )
    theme = themes[(y.year - 2024) % len(themes)]
    body = [
        _p(
            f"Năm {prev}, phong trào thi đua yêu nước trên địa bàn tỉnh tiếp tục được triển khai "
            f"sâu rộng, gắn với thực hiện nhiệm vụ chính trị của từng cơ quan, đơn vị, địa phương. "
            f"Tốc độ tăng trưởng kinh tế (GRDP) ước đạt {_num(growth)}%; thu ngân sách nhà nước "
            f"trên địa bàn đạt {_num(budget, 0)} tỷ đồng, bằng {_num(budget_pct)}% dự toán; có "
            f"thêm {new_rural} xã đạt chuẩn nông thôn mới; tỷ lệ hộ nghèo giảm còn "
            f"{_num(poor, 2)}%. Hoạt động của 6 Khối thi đua thuộc tỉnh đi vào nền nếp."
        ),
        _p(
            f"Năm {y.year} là năm có ý nghĩa quan trọng trong việc thực hiện các mục tiêu phát "
            f"triển kinh tế - xã hội của tỉnh. Để phong trào thi đua năm {y.year} đạt kết quả "
            f"thiết thực, với chủ đề \u201c{theme}\u201d, Chủ tịch Ủy ban nhân dân tỉnh chỉ thị:"
        ),
        _p(
            "1. Thủ trưởng các sở, ban, ngành, đoàn thể tỉnh, Chủ tịch Ủy ban nhân dân các huyện, "
            "thị xã, thành phố, các doanh nghiệp tổ chức phát động phong trào thi đua ngay từ "
            "đầu năm, xác định rõ mục tiêu, chỉ tiêu, giải pháp cụ thể, có sơ kết, tổng kết."
        ),
        _p(
            f"2. Các Khối thi đua thuộc tỉnh tổ chức ký kết giao ước thi đua trước ngày "
            f"{_d(y.schedule.pledge)}; thống nhất tiêu chí, thang điểm chấm điểm; báo cáo đúng "
            f"thời hạn theo Kế hoạch của Ủy ban nhân dân tỉnh."
        ),
        _p(
            f"3. Sở Nội vụ (Ban Thi đua - Khen thưởng) tham mưu Ủy ban nhân dân tỉnh ban hành Kế "
            f"hoạch tổ chức hoạt động các Khối thi đua năm {y.year}; theo dõi, kiểm tra, đôn đốc "
            f"việc thực hiện Chỉ thị này và báo cáo Chủ tịch Ủy ban nhân dân tỉnh."
        ),
    ]
    return _Spec(
        filename=f"{y.year}/UBND/CT-UBND-{y.year}.pdf",
        type="CT",
        report_kind=None,
        number=y.ct_number,
        issue_date=y.ct_date,
        year=y.year,
        bloc=None,
        unit=None,
        title=f"Về việc phát động phong trào thi đua năm {y.year}",
        issuer=PPC_ISSUER,
        signer=PPC_SIGNER,
        header=_PPC_HEADER,
        place=PROVINCE,
        body=body,
        recipients=[
            "Ban Thi đua - Khen thưởng Trung ương;",
            "Thường trực Tỉnh ủy, HĐND tỉnh;",
            "Chủ tịch, các PCT UBND tỉnh;",
            "Các sở, ban, ngành, đoàn thể tỉnh;",
            "UBND các huyện, thị xã, thành phố;",
            "Lưu: VT, TĐKT.",
        ],
        signature=[_Row([], _sig("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", name=PPC_SIGNER))],
        sign=True,
    )


def _plan_steps(y: _Year) -> list[str]:
    s, Y = y.schedule, y.year
    a1, a2 = s.appraisal
    c1, c2 = s.council
    variants = {
        1: (
            f"Trước ngày {_d(s.pledge)}: Trưởng Khối chủ trì tổ chức ký giao ước thi đua giữa các "
            "thành viên.",
            f"Chậm nhất ngày {_d(s.pledge)}: các Khối hoàn thành việc ký kết giao ước thi đua; "
            "Trưởng Khối gửi bản giao ước về Ban Thi đua - Khen thưởng.",
        ),
        2: (
            f"Trong tháng 3/{Y}: Trưởng Khối gửi quy chế, kế hoạch hoạt động và bảng tiêu chí, "
            "thang điểm của Khối về Ban Thi đua - Khen thưởng.",
            f"Trong tháng 3/{Y}: các Khối thống nhất bảng tiêu chí chấm điểm, thang điểm thi đua "
            "và gửi về Ban Thi đua - Khen thưởng để theo dõi.",
        ),
        3: (
            f"Trước ngày {_d(s.so_ket)}: các Khối gửi báo cáo sơ kết 6 tháng đầu năm về Ban Thi "
            "đua - Khen thưởng.",
            f"Trước ngày {_d(s.so_ket)}: Trưởng Khối tổng hợp, gửi báo cáo sơ kết hoạt động 6 "
            "tháng đầu năm của Khối về Ban Thi đua - Khen thưởng.",
        ),
        4: (
            f"Quý III/{Y}: Ban Thi đua - Khen thưởng kiểm tra việc thực hiện giao ước tại một số "
            "đơn vị.",
            f"Trong Quý III/{Y}: Ban Thi đua - Khen thưởng tổ chức kiểm tra công tác thi đua, "
            "khen thưởng và việc thực hiện giao ước tại một số Khối.",
        ),
        5: (
            f"Trước ngày {_d(s.unit_reports)}: các thành viên gửi báo cáo tổng kết năm và bản tự "
            "chấm điểm về Trưởng Khối; Trưởng Khối tổ chức họp Khối bình xét, chấm điểm, suy tôn "
            f"đơn vị dẫn đầu và đề xuất Trưởng Khối, Phó Trưởng Khối năm {Y + 1}.",
            f"Trước ngày {_d(s.unit_reports)}: các đơn vị thành viên gửi báo cáo tổng kết năm {Y} "
            "kèm bản tự chấm điểm về Trưởng Khối; Trưởng Khối tổ chức họp Khối để bình xét, chấm "
            "điểm, suy tôn đơn vị dẫn đầu và giới thiệu Trưởng Khối, Phó Trưởng Khối năm "
            f"{Y + 1}.",
        ),
        6: (
            f"Chậm nhất ngày {_d(s.bloc_report)}: Trưởng Khối gửi báo cáo tổng kết và kết quả "
            "chấm điểm của Khối về Ban Thi đua - Khen thưởng.",
            f"Trước ngày {_d(s.bloc_report)}: Trưởng Khối gửi báo cáo tổng kết, biên bản họp "
            "Khối và bảng tổng hợp điểm về Ban Thi đua - Khen thưởng.",
        ),
        7: (
            f"Từ ngày {_d(a1)} đến ngày {_d(a2)}: Ban Thi đua - Khen thưởng phối hợp Trưởng Khối "
            "thẩm định kết quả của các đơn vị xếp thứ nhất, thứ hai và thứ ba.",
            f"Từ ngày {_d(a1)} đến ngày {_d(a2)}: Ban Thi đua - Khen thưởng chủ trì, phối hợp với "
            "Trưởng Khối thẩm định kết quả của các đơn vị được suy tôn dẫn đầu.",
        ),
        8: (
            f"Từ ngày {c1.day:02d}/{c1.month} đến ngày {_d(c2)}: Hội đồng Thi đua - Khen thưởng "
            "tỉnh họp xét, đề nghị tặng Cờ thi đua của Ủy ban nhân dân tỉnh và Cờ thi đua của "
            f"Chính phủ năm {Y}.",
            f"Từ ngày {c1.day:02d}/{c1.month} đến ngày {_d(c2)}: Hội đồng Thi đua - Khen thưởng "
            f"tỉnh họp xét, trình Chủ tịch Ủy ban nhân dân tỉnh tặng Cờ thi đua năm {Y} và đề "
            "nghị Thủ tướng Chính phủ tặng Cờ thi đua của Chính phủ.",
        ),
    }
    return [f"{i}. {variants[i][s.variants[i - 1]]}" for i in range(1, 9)]


def _plan(y: _Year) -> _Spec:
    Y = y.year
    body = [
        _p(
            "Thực hiện Luật Thi đua, Khen thưởng ngày 15/6/2022; Nghị định số 98/2023/NĐ-CP ngày "
            "31/12/2023 của Chính phủ quy định chi tiết thi hành một số điều của Luật Thi đua, "
            f"Khen thưởng; Chỉ thị số {y.ct_number} ngày {_d(y.ct_date)} của Chủ tịch Ủy ban nhân "
            f"dân tỉnh về phát động phong trào thi đua năm {Y}, Ủy ban nhân dân tỉnh ban hành Kế "
            f"hoạch tổ chức hoạt động các Khối thi đua năm {Y} như sau:"
        ),
        _Text("I. MỤC ĐÍCH, YÊU CẦU", "B", before=4),
        _p(
            "1. Tạo động lực để các cơ quan, đơn vị, địa phương trong từng Khối phấn đấu hoàn "
            f"thành các chỉ tiêu kinh tế - xã hội được giao năm {Y}."
        ),
        _p(
            "2. Việc chấm điểm, xếp hạng trong Khối bảo đảm công khai, dân chủ, đúng thang điểm "
            "đã thống nhất."
        ),
        _Text("II. NỘI DUNG", "B", before=4),
        _p(
            f"1. Mỗi Khối thống nhất quy chế hoạt động, tiêu chí và thang điểm thi đua năm {Y}."
        ),
        _p(
            "2. Các đơn vị trong Khối ký giao ước thi đua; định kỳ báo cáo kết quả thực hiện."
        ),
        _p(
            "3. Ban Thi đua - Khen thưởng (Sở Nội vụ) theo dõi, kiểm tra, tổng hợp và tham mưu "
            "Hội đồng Thi đua - Khen thưởng tỉnh xét tặng Cờ thi đua."
        ),
        _Text("III. THỜI GIAN THỰC HIỆN", "B", before=4),
        *(_p(step) for step in _plan_steps(y)),
    ]
    return _Spec(
        filename=f"{Y}/UBND/KH-UBND-{Y}.pdf",
        type="KH",
        report_kind=None,
        number=y.kh_number,
        issue_date=y.kh_date,
        year=Y,
        bloc=None,
        unit=None,
        title=f"Tổ chức hoạt động các Khối thi đua thuộc tỉnh năm {Y}",
        issuer=PPC_ISSUER,
        signer=PPC_SIGNER,
        header=_PPC_HEADER,
        place=PROVINCE,
        body=body,
        recipients=[
            "Ban Thi đua - Khen thưởng Trung ương;",
            "Chủ tịch, các PCT UBND tỉnh;",
            "Các thành viên Hội đồng TĐKT tỉnh;",
            "Các Khối thi đua;",
            "Lưu: VT, TĐKT.",
        ],
        signature=_ppc_sign(),
        sign=True,
    )


def _bloc_header(bloc: str) -> list[str]:
    return [_bloc_label(bloc).upper(), _bloc_subtitle(bloc).upper()]


def _gu_party(code: str, role: str) -> list[_Piece]:
    unit = _UNITS[code]
    if unit.kind == "dia_phuong":
        lines = [f"TM. UBND {_local_name(code).upper()}", "CHỦ TỊCH"]
    else:
        lines = [f"{_head_title(code)[-1]} {_full_name(code).upper()}"]
    return _sig(*lines, f"({role})", name=_head(code))


_PLEDGE_ITEMS = {
    "K1": "Phấn đấu tốc độ tăng giá trị sản xuất đạt từ {a}% trở lên; thu ngân sách trên địa bàn "
          "vượt ít nhất {b}% dự toán; có thêm ít nhất {c} xã đạt chuẩn nông thôn mới.",
    "K2": "Hoàn thành 100% nhiệm vụ Ủy ban nhân dân tỉnh giao; tỷ lệ hồ sơ thủ tục hành chính "
          "giải quyết đúng hạn đạt từ {a2}% trở lên; giải ngân vốn đầu tư công đạt trên {b2}%.",
    "K3": "Hoàn thành và vượt các chỉ tiêu về y tế, giáo dục, văn hóa, lao động - việc làm được "
          "giao; giải quyết việc làm mới cho ít nhất {c3} lao động.",
    "K4": "Giữ vững an ninh chính trị, trật tự an toàn xã hội; tỷ lệ giải quyết đơn thư, vụ việc "
          "đạt từ {a2}% trở lên; không để xảy ra điểm nóng phức tạp.",
    "K5": "Doanh thu tăng từ {a}% trở lên so với năm trước; nộp ngân sách đầy đủ, đúng hạn; bảo "
          "đảm việc làm, thu nhập cho người lao động.",
    "K6": "Phát triển mới ít nhất {c3} đoàn viên, hội viên; mỗi tổ chức có ít nhất {c} mô hình, "
          "công trình thi đua thiết thực chào mừng các ngày lễ lớn.",
}  # fmt: skip


def _pledge(y: _Year, bloc: str, day: date) -> _Spec:
    rng, Y = y.rng, y.year
    leader, deputy = y.leader[bloc], y.deputy[bloc]
    n = len(y.members[bloc])
    target = _PLEDGE_ITEMS[bloc].format(
        a=_num(rng.uniform(7.0, 9.5)), b=rng.choice((5, 8, 10)), c=rng.randint(2, 4),
        a2=rng.choice((98, 99)), b2=rng.choice((90, 95)), c3=_num(rng.randint(8, 30) * 100, 0),
    )  # fmt: skip
    body = [
        _p(
            f"Căn cứ {y.plan_cite}; các đơn vị thành viên {_bloc_label(bloc)} ({n} đơn vị) thống "
            "nhất ký kết giao ước thi đua với các nội dung sau:"
        ),
        _p(f"1. {target}"),
        _p(
            "2. Thực hiện tốt cải cách hành chính, chuyển đổi số; thực hành tiết kiệm, chống lãng "
            "phí; giữ vững quốc phòng, an ninh, trật tự an toàn xã hội."
        ),
        _p(
            "3. Gửi báo cáo sơ kết, tổng kết và bản tự chấm điểm đúng hạn về Trưởng Khối và Ban "
            "Thi đua - Khen thưởng theo Kế hoạch của Ủy ban nhân dân tỉnh."
        ),
        _p(
            f"Giao ước được lập thành {n + 1} bản, mỗi đơn vị thành viên giữ 01 bản, gửi 01 bản "
            "về Ban Thi đua - Khen thưởng (Sở Nội vụ) để theo dõi."
        ),
    ]
    return _Spec(
        filename=f"{Y}/{bloc}/GU-{bloc}-{Y}.pdf",
        type="GU",
        report_kind=None,
        number=None,
        issue_date=day,
        year=Y,
        bloc=bloc,
        unit=None,
        title=f"Giao ước thi đua năm {Y}",
        issuer=_bloc_label(bloc),
        signer=_head(leader),
        header=_bloc_header(bloc),
        place=_locality(leader),
        body=body,
        heading_lines=["GIAO ƯỚC THI ĐUA", f"Năm {Y}"],
        signature=[_Row(_gu_party(leader, "Trưởng Khối"), _gu_party(deputy, "Phó Trưởng Khối"))],
    )


def _bloc_sign(bloc: str, leader: str) -> list[_Row]:
    unit = _UNITS[leader]
    if unit.kind == "dia_phuong":
        role = f"CHỦ TỊCH UBND {_local_name(leader).upper()}"
    else:
        role = f"{_head_title(leader)[-1]} {_full_name(leader).upper()}"
    lines = [f"TM. {_bloc_label(bloc).upper()}", "TRƯỞNG KHỐI", role]
    return [_Row([], _sig(*lines, name=_head(leader)))]


def _bloc_spec(y: _Year, bloc: str, **kw) -> _Spec:
    leader = y.leader[bloc]
    base = dict(
        report_kind=None, number=None, year=y.year, bloc=bloc, unit=None,
        issuer=_bloc_label(bloc), signer=_head(leader), header=_bloc_header(bloc),
        place=_locality(leader), signature=_bloc_sign(bloc, leader),
    )  # fmt: skip
    base.update(kw)
    return _Spec(**base)


_MAIN_CRITERION = {
    "K1": "Thực hiện các chỉ tiêu phát triển kinh tế - xã hội, quốc phòng - an ninh được giao",
    "K2": "Thực hiện nhiệm vụ chuyên môn; tham mưu phát triển kinh tế, thu hút đầu tư",
    "K3": "Thực hiện các chỉ tiêu về y tế, giáo dục, văn hóa, lao động - xã hội được giao",
    "K4": "Thực hiện nhiệm vụ bảo đảm an ninh, trật tự, pháp chế, thanh tra được giao",
    "K5": "Thực hiện các chỉ tiêu sản xuất, kinh doanh, nộp ngân sách, việc làm",
    "K6": "Thực hiện nhiệm vụ tập hợp, vận động đoàn viên, hội viên và các phong trào",
}
_COMMON_CRITERIA = (
    "Cải cách hành chính, chuyển đổi số",
    "Công tác thi đua, khen thưởng; phát hiện, nhân rộng điển hình tiên tiến",
    "Thực hành tiết kiệm, chống lãng phí; phòng, chống tham nhũng, tiêu cực",
    "Xây dựng tổ chức đảng, đoàn thể trong sạch, vững mạnh",
    "Thực hiện quy chế dân chủ ở cơ sở, văn hóa công sở",
    "Tham gia các hoạt động chung của Khối",
    "Chế độ thông tin, báo cáo đúng hạn",
    "Công tác an sinh xã hội, hoạt động nhân đạo, từ thiện",
    "Bảo đảm an ninh, trật tự, an toàn cơ quan, đơn vị",
)


def _criteria(rng: random.Random, bloc: str) -> list[tuple[str, int]]:
    n = rng.randint(6, 10)
    picked = sorted(rng.sample(range(len(_COMMON_CRITERIA)), n - 1))
    points = [rng.choice((5, 10, 10)) for _ in picked]
    while 100 - sum(points) < 25:
        points[points.index(10)] = 5
    while 100 - sum(points) > 50:
        points[points.index(5)] = 10
    rows = [(_MAIN_CRITERION[bloc], 100 - sum(points))]
    rows += [(_COMMON_CRITERIA[i], pts) for i, pts in zip(picked, points, strict=True)]
    return rows


def _criteria_doc(y: _Year, bloc: str, day: date, pledge: _Spec | None) -> _Spec:
    rows = _criteria(y.rng, bloc)
    cite = f"Căn cứ {y.plan_cite}"
    if pledge is not None:
        cite += (
            f"; Giao ước thi đua năm {y.year} của {_bloc_label(bloc)} ký ngày "
            f"{_d(pledge.issue_date)}"
        )
    body = [
        _p(
            f"{cite}; các đơn vị thành viên thống nhất bảng tiêu chí chấm điểm thi đua năm "
            f"{y.year} gồm {len(rows)} tiêu chí, thang điểm 100 như sau:"
        ),
        *(_p(f"{i}. {name}: {pts} điểm.") for i, (name, pts) in enumerate(rows, 1)),
        _p(
            "Điểm thưởng tối đa 05 điểm cho đơn vị có mô hình mới, cách làm hay được cấp có thẩm "
            "quyền công nhận; trừ 02 điểm cho mỗi báo cáo gửi chậm so với thời hạn của Kế hoạch."
        ),
    ]
    return _bloc_spec(
        y, bloc,
        filename=f"{y.year}/{bloc}/TC-{bloc}-{y.year}.pdf",
        type="TC",
        issue_date=day,
        title=f"Bảng tiêu chí chấm điểm thi đua {_bloc_label(bloc)} năm {y.year}",
        heading_lines=["BẢNG TIÊU CHÍ CHẤM ĐIỂM THI ĐUA", f"{_bloc_label(bloc)} năm {y.year}"],
        body=body,
        recipients=["Ban Thi đua - Khen thưởng (Sở Nội vụ);", "Các đơn vị thành viên Khối;",
                    "Lưu: VT."],
    )  # fmt: skip


def _so_ket(y: _Year, bloc: str, day: date, number: int, pledge: _Spec | None) -> _Spec:
    rng, Y = y.rng, y.year
    n = len(y.members[bloc])
    collective, people = rng.randint(6, 25), rng.randint(20, 90)
    activities = rng.randint(2, 5)
    on_time = n - rng.randint(0, 2)
    if pledge is not None:
        pledge_text = (
            f"Ngày {_d(pledge.issue_date)}, {n}/{n} đơn vị thành viên đã ký kết giao ước thi "
            f"đua năm {Y}; các đơn vị đã cụ thể hóa nội dung giao ước thành chỉ tiêu, kế hoạch "
            "của đơn vị."
        )
    else:
        pledge_text = (
            f"Do thay đổi nhân sự lãnh đạo một số đơn vị thành viên, Khối chưa tổ chức ký kết "
            f"giao ước thi đua năm {Y}; các đơn vị tạm thời thực hiện theo chỉ tiêu được giao."
        )
    body = [
        _p(
            f"Thực hiện {y.plan_cite}, {_bloc_label(bloc)} báo cáo sơ kết hoạt động 6 tháng đầu "
            f"năm {Y} như sau:"
        ),
        _Text("I. KẾT QUẢ THỰC HIỆN", "B", before=4),
        _p(f"1. {pledge_text}"),
        _p(
            f"2. Trong 6 tháng, Khối tổ chức {activities} hoạt động chung; {on_time}/{n} đơn vị "
            f"gửi báo cáo đúng hạn. Các đơn vị đã khen thưởng {collective} tập thể, {people} cá "
            "nhân có thành tích xuất sắc trong phong trào thi đua."
        ),
        _Text("II. PHƯƠNG HƯỚNG 6 THÁNG CUỐI NĂM", "B", before=4),
        _p(
            "Tiếp tục thực hiện các nội dung giao ước; phối hợp với Ban Thi đua - Khen thưởng "
            f"trong đợt kiểm tra Quý III/{Y}; chuẩn bị tổng kết, chấm điểm thi đua cuối năm."
        ),
    ]
    return _bloc_spec(
        y, bloc,
        filename=f"{Y}/{bloc}/BC-SK-{bloc}-{Y}.pdf",
        type="BC", report_kind="so_ket", number=f"{number:02d}/BC-{bloc}", issue_date=day,
        title=f"Sơ kết hoạt động {_bloc_label(bloc)} 6 tháng đầu năm {Y}",
        body=body,
        recipients=["Ban Thi đua - Khen thưởng (Sở Nội vụ);", "Các đơn vị thành viên Khối;",
                    "Lưu: VT."],
    )  # fmt: skip


def _next_leadership(y: _Year, bloc: str, pick: str) -> tuple[str, str]:
    if y.year + 1 in province.YEARS:
        return province.leaders(y.year + 1)[bloc], province.deputies(y.year + 1)[bloc]
    return y.deputy[bloc], pick


def _ranking_lines(ranking: list[tuple[str, float]]) -> list[_Text]:
    return [
        _p(f"{i}. {_full_name(code)}: {_num(score)} điểm.")
        for i, (code, score) in enumerate(ranking, 1)
    ]


def _minutes(y: _Year, bloc: str, day: date, number: int, ranking, pick: str) -> _Spec:
    rng, Y = y.rng, y.year
    leader = y.leader[bloc]
    n = len(y.members[bloc])
    secretary = _staff_name(rng)
    hour, minute = rng.choice(((8, "00"), (8, "30"), (14, "00"))), rng.choice(("15", "30", "45"))
    nxt_leader, nxt_deputy = _next_leadership(y, bloc, pick)
    winner = ranking[0][0]
    body = [
        _p(
            f"Vào lúc {hour[0]} giờ {hour[1]} phút, ngày {_d(day)}, tại trụ sở "
            f"{_full_name(leader)}, "
            f"{_bloc_label(bloc)} tổ chức họp tổng kết công tác thi đua năm {Y}, bình xét, chấm "
            "điểm các đơn vị thành viên."
        ),
        _p(
            f"Thành phần: đại diện lãnh đạo {n}/{n} đơn vị thành viên; đại diện Ban Thi đua - "
            f"Khen thưởng (Sở Nội vụ). Chủ trì: đồng chí {_head(leader)}, Trưởng Khối. Thư ký: "
            f"đồng chí {secretary}."
        ),
        _p(
            "Căn cứ báo cáo tổng kết, bản tự chấm điểm của các đơn vị và bảng tiêu chí của Khối, "
            "hội nghị thống nhất kết quả chấm điểm như sau:"
        ),
        *_ranking_lines(ranking),
        _p(
            f"Hội nghị nhất trí {n}/{n} suy tôn {_full_name(winner)} là đơn vị dẫn đầu "
            f"{_bloc_label(bloc)} năm {Y}, đề nghị Ủy ban nhân dân tỉnh tặng Cờ thi đua; giới "
            f"thiệu {_full_name(nxt_leader)} "
            f"làm Trưởng Khối, {_full_name(nxt_deputy)} làm Phó Trưởng Khối năm {Y + 1}."
        ),
        _p(
            f"Biên bản kết thúc lúc {hour[0] + 3} giờ {minute} phút cùng ngày, đã được thông qua "
            "tại hội nghị."
        ),
    ]
    return _bloc_spec(
        y, bloc,
        filename=f"{Y}/{bloc}/BB-{bloc}-{Y}.pdf",
        type="BB", number=f"{number:02d}/BB-{bloc}", issue_date=day,
        title=f"Họp {_bloc_label(bloc)} tổng kết công tác thi đua năm {Y}",
        body=body,
        signature=[_Row(_sig("THƯ KÝ", name=secretary), _sig("CHỦ TRÌ", name=_head(leader)))],
    )  # fmt: skip


def _bloc_final(y: _Year, bloc: str, day: date, number: int, ranking, minutes: _Spec) -> _Spec:
    rng, Y = y.rng, y.year
    n = len(y.members[bloc])
    collective, people = rng.randint(25, 70), rng.randint(80, 260)
    top = ranking[:3]
    body = [
        _p(
            f"Thực hiện {y.plan_cite}; căn cứ Biên bản họp Khối số {minutes.number} ngày "
            f"{_d(minutes.issue_date)}, {_bloc_label(bloc)} báo cáo tổng kết hoạt động năm {Y} "
            "như sau:"
        ),
        _Text("I. KẾT QUẢ HOẠT ĐỘNG", "B", before=4),
        _p(
            f"Các đơn vị thành viên ({n} đơn vị) đã hoàn thành tốt các nội dung giao ước thi đua; "
            f"trong năm đã khen thưởng {collective} tập thể, {people} cá nhân; {n}/{n} đơn vị gửi "
            "báo cáo tổng kết và bản tự chấm điểm về Trưởng Khối."
        ),
        _Text("II. KẾT QUẢ CHẤM ĐIỂM, XẾP HẠNG", "B", before=4),
        *(
            _p(f"{rank}. {_full_name(code)}: {_num(score)} điểm, xếp thứ {rank}.")
            for rank, (code, score) in enumerate(top, 1)
        ),
        _Text("III. ĐỀ NGHỊ", "B", before=4),
        _p(
            f"Đề nghị Ủy ban nhân dân tỉnh tặng Cờ thi đua năm {Y} cho {_full_name(top[0][0])}, "
            f"đơn vị dẫn đầu {_bloc_label(bloc)}."
        ),
    ]
    return _bloc_spec(
        y, bloc,
        filename=f"{Y}/{bloc}/BC-TK-{bloc}-{Y}.pdf",
        type="BC", report_kind="tong_ket", number=f"{number:02d}/BC-{bloc}", issue_date=day,
        title=f"Tổng kết hoạt động {_bloc_label(bloc)} năm {Y}",
        body=body,
        recipients=["Ban Thi đua - Khen thưởng (Sở Nội vụ);", "Các đơn vị thành viên Khối;",
                    "Lưu: VT."],
    )  # fmt: skip


def _unit_results(rng: random.Random, code: str) -> str:
    kind = _UNITS[code].kind
    if kind == "dia_phuong":
        return (
            f"Tốc độ tăng giá trị sản xuất ước đạt {_num(rng.uniform(6.5, 10.5))}%; thu ngân sách "
            f"nhà nước trên địa bàn đạt {_num(rng.randint(150, 1400), 0)} tỷ đồng, bằng "
            f"{_num(rng.uniform(101, 118))}% dự toán; tỷ lệ hộ nghèo giảm còn "
            f"{_num(rng.uniform(1.5, 9.8), 2)}%; có thêm {rng.randint(1, 4)} xã đạt chuẩn nông "
            "thôn mới."
        )
    if kind == "doanh_nghiep":
        return (
            f"Doanh thu đạt {_num(rng.randint(120, 4800), 0)} tỷ đồng, bằng "
            f"{_num(rng.uniform(100.5, 115))}% kế hoạch; nộp ngân sách "
            f"{_num(rng.uniform(5, 400))} tỷ đồng; thu nhập bình quân của người lao động "
            f"{_num(rng.uniform(9.5, 22.0))} triệu đồng/người/tháng."
        )
    if kind == "doan_the":
        return (
            f"Phát triển mới {_num(rng.randint(300, 5200), 0)} đoàn viên, hội viên; xây dựng "
            f"{rng.randint(12, 85)} mô hình, công trình thi đua; vận động "
            f"{_num(rng.uniform(0.8, 12.5))} tỷ đồng ủng hộ Quỹ Vì người nghèo và an sinh xã hội."
        )
    total = rng.randint(25, 60)
    return (
        f"Hoàn thành {total - rng.randint(0, 1)}/{total} nhiệm vụ được giao; tiếp nhận, giải "
        f"quyết {_num(rng.randint(800, 26000), 0)} hồ sơ thủ tục hành chính, tỷ lệ đúng hạn "
        f"{_num(rng.uniform(98.2, 100.0))}%; {_num(rng.uniform(45, 92))}% hồ sơ được tiếp nhận "
        "trực tuyến."
    )


def _unit_report(y: _Year, bloc: str, code: str, day: date, score: float, pledge) -> _Spec:
    rng, Y = y.rng, y.year
    number = rng.randint(150, 620)
    results = _unit_results(rng, code)
    collective, people = rng.randint(3, 18), rng.randint(12, 75)
    self_score = min(100.0, round(score + rng.uniform(0.5, 3.0), 1))
    cite = f"Thực hiện {y.plan_cite}"
    if pledge is not None:
        cite += f" và Giao ước thi đua năm {Y} của {_bloc_label(bloc)}"
    leader = y.leader[bloc]
    body = [
        _p(
            f"{cite}, {_full_name(code)} báo cáo kết quả công tác thi đua, khen thưởng năm {Y} "
            "như sau:"
        ),
        _Text("I. KẾT QUẢ THỰC HIỆN NHIỆM VỤ", "B", before=4),
        _p(results),
        _p(
            f"Phong trào thi đua được phát động ngay từ đầu năm; đơn vị đã khen thưởng theo thẩm "
            f"quyền và đề nghị cấp trên khen thưởng {collective} tập thể, {people} cá nhân."
        ),
        _Text("II. TỰ CHẤM ĐIỂM", "B", before=4),
        _p(
            f"Căn cứ bảng tiêu chí chấm điểm của {_bloc_label(bloc)}, đơn vị tự chấm đạt "
            f"{_num(self_score)}/100 điểm."
        ),
    ]
    return _Spec(
        filename=f"{Y}/{bloc}/donvi/BC-{code}-{Y}.pdf",
        type="BC",
        report_kind="tong_ket",
        number=f"{number}/BC-{_abbr(code)}",
        issue_date=day,
        year=Y,
        bloc=bloc,
        unit=code,
        title=f"Tổng kết công tác thi đua, khen thưởng năm {Y}",
        issuer=_UNITS[code].name,
        signer=_head(code),
        header=_header_lines(code),
        place=_locality(code),
        body=body,
        recipients=[
            f"Trưởng {_bloc_label(bloc)} ({_UNITS[leader].short_name});",
            "Ban Thi đua - Khen thưởng (Sở Nội vụ);",
            "Lưu: VT, TĐKT.",
        ],
        signature=[_Row([], _sig(*_head_title(code), name=_head(code)))],
    )


def _inspection(y: _Year, bloc: str, day: date, number: int) -> _Spec:
    rng, Y = y.rng, y.year
    members = y.members[bloc]
    visited = [members[0], *sorted(rng.sample(members[1:], 2), key=members.index)]
    start = day - timedelta(days=rng.randint(10, 20))
    late = rng.randint(1, 3)
    body = [
        _p(
            f"Thực hiện {y.plan_cite}, từ ngày {_d(_workday(start))} đến ngày "
            f"{_d(_workday(start + timedelta(days=4)))}, Đoàn kiểm tra của Ban Thi đua - Khen "
            f"thưởng (Sở Nội vụ) đã kiểm tra việc thực hiện giao ước thi đua tại {len(visited)} "
            f"đơn vị thuộc {_bloc_label(bloc)}: "
            + "; ".join(_full_name(code) for code in visited) + "."
        ),
        _p(
            "1. Ưu điểm: các đơn vị đã ban hành kế hoạch, phát động phong trào thi đua ngay từ "
            "đầu năm; hồ sơ khen thưởng được lưu trữ đầy đủ, đúng quy định."
        ),
        _p(
            f"2. Hạn chế: {late} đơn vị trong Khối gửi báo cáo chậm so với thời hạn của Kế hoạch; "
            "việc phát hiện, nhân rộng điển hình tiên tiến ở một số đơn vị còn hạn chế."
        ),
        _p(
            "3. Đề nghị Trưởng Khối đôn đốc các thành viên khắc phục hạn chế, gửi báo cáo tổng "
            f"kết năm {Y} đúng thời hạn {_d(y.schedule.unit_reports)}."
        ),
    ]
    return _Spec(
        filename=f"{Y}/SNV/TB-SNV-{bloc}-{Y}.pdf",
        type="TB",
        report_kind=None,
        number=f"{number}/TB-SNV",
        issue_date=day,
        year=Y,
        bloc=bloc,
        unit=None,  # the Board's notice about the bloc (its evidence of the inspection), not a document of SNV's own
        title=f"Kết quả kiểm tra công tác thi đua, khen thưởng tại {_bloc_label(bloc)} năm {Y}",
        issuer=_UNITS[BOARD_UNIT].name,
        signer=BOARD_SIGNER,
        header=_header_lines(BOARD_UNIT),
        place=PROVINCE,
        body=body,
        recipients=[
            "UBND tỉnh (để b/c);",
            f"Các đơn vị thuộc {_bloc_label(bloc)};",
            "Lưu: VT, Ban TĐKT.",
        ],
        signature=[_Row([], _sig("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", name=BOARD_SIGNER))],
    )


def _decision(y: _Year, day: date, number: int, winners: dict[str, str]) -> _Spec:
    Y = y.year
    s = y.schedule
    proposal = y.rng.randint(180, 420)
    body = [
        _p("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19/6/2015;"),
        _p("Căn cứ Luật Thi đua, Khen thưởng ngày 15/6/2022;"),
        _p(
            "Căn cứ Nghị định số 98/2023/NĐ-CP ngày 31/12/2023 của Chính phủ quy định chi tiết thi "
            "hành một số điều của Luật Thi đua, Khen thưởng;"
        ),
        _p(f"Căn cứ {y.plan_cite};"),
        _p(
            f"Theo đề nghị của Giám đốc Sở Nội vụ tại Tờ trình số {proposal}/TTr-SNV ngày "
            f"{_d(_workday(s.council[1]))} sau khi Hội đồng Thi đua - Khen thưởng tỉnh họp xét."
        ),
        _Text("QUYẾT ĐỊNH:", "B", align="center", before=6),
        _p(
            f"Điều 1. Tặng Cờ thi đua của Ủy ban nhân dân tỉnh năm {Y} cho {len(winners)} tập "
            "thể đã dẫn đầu các Khối thi đua thuộc tỉnh:"
        ),
        *(
            _p(f"{i}. {_full_name(code)}, đơn vị dẫn đầu {_bloc_label(bloc)};")
            for i, (bloc, code) in enumerate(winners.items(), 1)
        ),
        _p(
            "Điều 2. Tiền thưởng kèm theo Cờ thi đua thực hiện theo quy định tại Nghị định số "
            "98/2023/NĐ-CP, trích từ Quỹ thi đua, khen thưởng của tỉnh."
        ),
        _p(
            "Điều 3. Quyết định có hiệu lực kể từ ngày ký. Chánh Văn phòng Ủy ban nhân dân tỉnh, "
            "Giám đốc Sở Nội vụ, Thủ trưởng các cơ quan, đơn vị liên quan và các tập thể có tên "
            "tại Điều 1 chịu trách nhiệm thi hành Quyết định này."
        ),
    ]
    return _Spec(
        filename=f"{Y}/UBND/QD-UBND-CTD-{Y}.pdf",
        type="QĐ",
        report_kind=None,
        number=f"{number}/QĐ-UBND",
        issue_date=day,
        year=Y,
        bloc=None,
        unit=None,
        title=f"Về việc tặng Cờ thi đua của Ủy ban nhân dân tỉnh năm {Y}",
        issuer=PPC_ISSUER,
        signer=PPC_CHAIRMAN,
        header=_PPC_HEADER,
        place=PROVINCE,
        heading_lines=[
            "QUYẾT ĐỊNH",
            f"Về việc tặng Cờ thi đua của Ủy ban nhân dân tỉnh năm {Y}",
            "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH LAM SƠN",
        ],
        body=body,
        recipients=["Như Điều 3;", "Ban Thi đua - Khen thưởng Trung ương;", "Lưu: VT, TĐKT."],
        signature=[_Row([], _sig("CHỦ TỊCH", name=PPC_CHAIRMAN))],
    )


# ---------------------------------------------------------------------------------------------
# Putting a year together
# ---------------------------------------------------------------------------------------------


@dataclass
class _Built:
    facts: _Year
    specs: list[_Spec]  # dated on any day; filter by today
    so_ket: dict[str, _Spec]
    pledge_skipped: list[str]
    unit_expected: list[str]  # unit codes expected to report (members)
    unit_reported: list[str]  # unit codes with a report (any date)
    inspected: list[str]
    winners: dict[str, str]


def _year_specs(year: int, today: date) -> _Built:
    """All documents of ``year`` (whatever their date). Draws from the year's own random stream
    never depend on ``today``; the story choices of the current year use a second stream."""
    y = _year_facts(year, today)
    rng, s, Y = y.rng, y.schedule, y.year
    story = random.Random(f"thidua-demo-story:{Y}")
    blocs = [b.code for b in province.BLOCS]
    specs = [_directive(y), _plan(y)]
    so_kets: dict[str, _Spec] = {}
    skipped: list[str] = []
    winners: dict[str, str] = {}
    expected: list[str] = []
    reported: list[str] = []
    for bloc in blocs:
        members = y.members[bloc]
        scores = {code: round(rng.uniform(86.0, 98.5), 1) for code in members}
        ranking = sorted(scores.items(), key=lambda kv: (-kv[1], members.index(kv[0])))
        winners[bloc] = ranking[0][0]
        others = [code for code in members if code not in (y.leader[bloc], y.deputy[bloc])]
        pick = rng.choice(others)  # next year's deputy when the province has no next year

        pledge_day = _between(rng, s.pledge - timedelta(days=24), s.pledge - timedelta(days=2))
        pledge = _pledge(y, bloc, pledge_day)
        if y.current and bloc == NO_PLEDGE_BLOC:
            skipped.append(bloc)
            pledge = None
        else:
            specs.append(pledge)

        tc_day = _between(rng, date(Y, 3, 3), date(Y, 3, 27))
        specs.append(_criteria_doc(y, bloc, tc_day, pledge))

        sk_day = _between(rng, s.so_ket - timedelta(days=10), s.so_ket - timedelta(days=1))
        sk_number = rng.randint(5, 15)
        if y.current and bloc == LATE_BLOC:
            sk_day = _workday(s.so_ket + timedelta(days=story.randint(11, 18)), back=False)
        so_kets[bloc] = _so_ket(y, bloc, sk_day, sk_number, pledge)
        specs.append(so_kets[bloc])

        bb_day = _between(rng, s.unit_reports - timedelta(days=3), s.unit_reports)
        if y.current:  # the meetings wait until all reports are in: not before the deadline
            bb_day = _workday(s.unit_reports + timedelta(days=1), back=False)
        bb = _minutes(y, bloc, bb_day, rng.randint(2, 6), ranking, pick)
        specs.append(bb)
        final_day = _between(rng, bb_day + timedelta(days=3), s.bloc_report)
        specs.append(_bloc_final(y, bloc, final_day, sk_number + rng.randint(6, 18), ranking, bb))

        # The units' year-end reports: all of them in past years, about half in the current one.
        sending = set(members)
        if y.current:
            sending = set(story.sample(members, round(len(members) / 2)))
        for code in members:
            day = _between(rng, s.unit_reports - timedelta(days=18), bb_day - timedelta(days=1))
            if y.current:
                day = min(day, _workday(s.unit_reports - timedelta(days=3)))
            report = _unit_report(y, bloc, code, day, scores[code], pledge)
            report.scanned = code == SCANNED_UNIT and Y == today.year - 1
            expected.append(code)
            if code in sending:
                reported.append(code)
                specs.append(report)

    inspected = sorted(rng.sample(blocs, 2))
    first = rng.randint(160, 260)
    days = sorted(_between(rng, date(Y, 8, 5), date(Y, 9, 25)) for _ in inspected)
    for i, (bloc, day) in enumerate(zip(inspected, days, strict=True)):
        specs.append(_inspection(y, bloc, day, first + 7 * i + rng.randint(0, 6)))

    qd_day = _between(rng, s.council[1] + timedelta(days=4), date(Y, 12, 30))
    qd = _decision(y, qd_day, rng.randint(2650, 3150), winners)
    if Y < today.year:
        specs.append(qd)

    specs.sort(key=lambda spec: (spec.issue_date, spec.filename))
    return _Built(y, specs, so_kets, skipped, expected, reported, inspected, winners)


def _render(spec: _Spec, *, sign: bool) -> DemoDocument:
    items = spec.items()
    text = _plain_text(items)
    title = _nfc(
        f"{_TYPE_NAMES[spec.type]}{' số ' + spec.number if spec.number else ''}: {spec.title}"
    )
    if spec.scanned:
        data = _render_scan(items, title=title, author=_nfc(spec.issuer))
    else:
        data = _render_pdf(items, title=title, author=_nfc(spec.issuer), subject=title)
    signed = bool(sign and spec.sign)
    if signed:
        data = _sign(data)
    return DemoDocument(
        filename=spec.filename,
        data=data,
        type=spec.type,
        report_kind=spec.report_kind,
        number=spec.number,
        issue_date=spec.issue_date,
        year=spec.year,
        bloc=spec.bloc,
        unit=spec.unit,
        title=_nfc(spec.title),
        issuer=_nfc(spec.issuer),
        signer=_nfc(spec.signer),
        signed=signed,
        scanned=spec.scanned,
        text=text,
    )


def generate_demo_documents(
    years: Iterable[int] = province.YEARS, *, today: date, sign: bool = True
) -> Iterator[DemoDocument]:
    """Yield the demo documents of ``years`` dated on or before ``today``, by year then date.

    Deterministic: the same ``years`` and ``today`` give the same filenames, numbers, dates and
    texts (the PDF bytes too, except signed documents, whose keys are made once per process).
    """
    for year in sorted(set(years)):
        for spec in _year_specs(year, today).specs:
            if spec.issue_date <= today:
                yield _render(spec, sign=sign)


def demo_story(today: date | None = None) -> dict:
    """Facts about the year of ``today`` (default: the real date) that a dashboard demo can tell.

    Computed from the same specs as :func:`generate_demo_documents` (nothing is rendered), so the
    facts match the documents generated with the same ``today``. Facts about documents dated after
    ``today`` are left out (``None``).
    """
    today = today or date.today()
    built = _year_specs(today.year, today)
    y, s = built.facts, built.facts.schedule
    visible = [spec for spec in built.specs if spec.issue_date <= today]
    late = built.so_ket[LATE_BLOC]
    received = [
        spec.unit
        for spec in visible
        if spec.type == "BC" and spec.unit and spec.report_kind == "tong_ket"
    ]
    missing = [code for code in built.unit_expected if code not in received]
    story: dict = {
        "today": today,
        "year": y.year,
        "directive": {"number": y.ct_number, "issue_date": y.ct_date},
        "plan": {"number": y.kh_number, "issue_date": y.kh_date,
                 "filename": f"{y.year}/UBND/KH-UBND-{y.year}.pdf"},
        "deadlines": {"pledge": s.pledge, "so_ket": s.so_ket, "unit_reports": s.unit_reports,
                      "bloc_report": s.bloc_report, "appraisal": s.appraisal,
                      "council": s.council},
        "late_so_ket": None,
        "missing_pledge": None,
        "unit_reports": {
            "deadline": s.unit_reports,
            "expected": len(built.unit_expected),
            "received": len(received),
            "received_units": received,
            "missing_units": missing,
        },
        "inspections": [
            {"bloc": spec.bloc, "number": spec.number, "issue_date": spec.issue_date}
            for spec in visible if spec.type == "TB"
        ],
        "documents": len(visible),
        "signed": [spec.filename for spec in visible if spec.sign],
        "scanned": None,
        "previous_year_flags": {},
    }  # fmt: skip
    if late.issue_date <= today:
        story["late_so_ket"] = {
            "bloc": LATE_BLOC,
            "bloc_name": _BLOCS[LATE_BLOC].name,
            "number": late.number,
            "issue_date": late.issue_date,
            "deadline": s.so_ket,
            "days_late": (late.issue_date - s.so_ket).days,
            "filename": late.filename,
        }
    if NO_PLEDGE_BLOC in built.pledge_skipped:
        leader = y.leader[NO_PLEDGE_BLOC]
        story["missing_pledge"] = {
            "bloc": NO_PLEDGE_BLOC,
            "bloc_name": _BLOCS[NO_PLEDGE_BLOC].name,
            "deadline": s.pledge,
            "overdue": today > s.pledge,
            "leader_unit": leader,
            "leader_name": _full_name(leader),
        }
    if today.year - 1 in province.YEARS:
        previous = _year_specs(today.year - 1, today)
        scans = [spec for spec in previous.specs if spec.scanned]
        if scans:
            story["scanned"] = {"filename": scans[0].filename, "unit": scans[0].unit,
                                "year": scans[0].year, "number": scans[0].number}  # fmt: skip
        story["previous_year_flags"] = dict(previous.winners)
    story["summary"] = _story_sentences(story)
    return story


def _story_sentences(story: dict) -> list[str]:
    out = []
    if story["late_so_ket"]:
        late = story["late_so_ket"]
        out.append(
            f"{_bloc_label(late['bloc'])} gửi báo cáo sơ kết 6 tháng ({late['number']}) ngày "
            f"{_d(late['issue_date'])}, chậm {late['days_late']} ngày so với hạn "
            f"{_d(late['deadline'])}."
        )
    if story["missing_pledge"]:
        miss = story["missing_pledge"]
        state = "đã quá hạn" if miss["overdue"] else "hạn"
        out.append(
            f"{_bloc_label(miss['bloc'])} chưa ký giao ước thi đua năm {story['year']} "
            f"({state} {_d(miss['deadline'])})."
        )
    units = story["unit_reports"]
    out.append(
        f"{units['received']}/{units['expected']} đơn vị đã gửi báo cáo tổng kết năm "
        f"{story['year']} (hạn {_d(units['deadline'])})."
    )
    if story["scanned"]:
        out.append(
            f"Báo cáo {story['scanned']['number']} của {_full_name(story['scanned']['unit'])} năm "
            f"{story['scanned']['year']} là bản quét, cần nhận dạng ký tự (OCR)."
        )
    return [_nfc(line) for line in out]
