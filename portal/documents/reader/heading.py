"""The type heading in capitals (KẾ HOẠCH, QUYẾT ĐỊNH …)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.documents.reader.body import is_body_start
from portal.documents.reader.number import type_from_symbol
from portal.documents.reader.textutil import split_cells

if TYPE_CHECKING:
    from portal.documents.reader.document import Doc

import re
from dataclasses import dataclass

from portal.documents.reader.textutil import fold_line, upper_ratio

_HEADING_SRC = [
    ("giao uoc thi dua", "GU"), ("ban giao uoc thi dua", "GU"), ("ban giao uoc", "GU"),
    ("giao uoc", "GU"), ("thang bang diem", "TC"), ("thang diem", "TC"), ("tieu chi", "TC"),
    ("ke hoach", "KH"), ("chi thi", "CT"), ("bao cao", "BC"), ("bien ban", "BB"),
    ("quyet dinh", "QĐ"), ("thong bao", "TB"), ("to trinh", "TTr"), ("nghi quyet", "NQ"),
    ("nghi dinh", "NĐ"), ("huong dan", "HD"), ("cong van", "CV"),
    ("thong tu lien tich", "OTHER"), ("thong tu", "OTHER"), ("quy che", "OTHER"),
    ("quy dinh", "OTHER"), ("ket luan", "OTHER"), ("cong dien", "OTHER"),
    ("chuong trinh", "OTHER"), ("de an", "OTHER"), ("phuong an", "OTHER"), ("giay moi", "OTHER"),
    ("luat", "OTHER"), ("phap lenh", "OTHER"), ("thong tri", "OTHER"), ("danh sach", "OTHER"),
    ("giay khen", "OTHER"), ("bang khen", "OTHER"), ("hop dong", "OTHER"), ("du an", "OTHER"),
    ("ban cam ket", "OTHER"), ("ban dang ky", "OTHER"), ("phieu", "OTHER"), ("lich", "OTHER"),
    ("quy trinh", "OTHER"), ("giay chung nhan", "OTHER"), ("giay xac nhan", "OTHER"),
    ("cong thu", "OTHER"), ("phu luc", None),
]
_HEADING_RES = [
    (re.compile(r"^" + r"\s+".join(kw.split()) + r"(?=$|[\s:])"), kw, code) for kw, code in _HEADING_SRC
]
_BANG_RE = re.compile(r"^bang\s")
_HEADING_NAMES = {
    "GU": "Giao ước thi đua", "TC": "Bảng tiêu chí thi đua", "KH": "Kế hoạch", "CT": "Chỉ thị",
    "BC": "Báo cáo", "BB": "Biên bản", "QĐ": "Quyết định", "TB": "Thông báo", "TTr": "Tờ trình",
    "NQ": "Nghị quyết", "NĐ": "Nghị định", "HD": "Hướng dẫn", "CV": "Công văn",
}


@dataclass
class _Heading:
    line: int
    code: str | None
    rest: str
    text: str


def heading_of(cell: str) -> tuple[str | None, str, bool] | None:
    """(type code, words after the type, matched) when the cell is a type heading in capitals."""
    s = cell.strip().strip("*_.:;- ")
    if len(s) > 160:
        return None
    letters = [c for c in s if c.isalpha()]
    if len(letters) < 3 or upper_ratio(s) < 0.75:
        return None
    f = fold_line(s)
    for rx, kw, code in _HEADING_RES:
        m = rx.match(f)
        if m:
            rest = re.sub(r"\([^()]{0,40}\)", " ", s[m.end():]).strip(" :.-")  # "(DỰ THẢO)"
            return code, rest, True
    if _BANG_RE.match(f):
        rest = s[4:].strip()
        if "diem" in f or "tieu chi" in f:
            return "TC", "", True
        return "OTHER", rest, True
    # spaced-out capitals: "K Ế  H O Ạ C H"
    toks = s.split()
    if len(toks) >= 4 and sum(1 for t in toks if len(t) == 1) >= len(toks) - 1:
        joined = f.replace(" ", "")
        for _rx, kw, code in _HEADING_RES:
            if joined == kw.replace(" ", ""):
                return code, "", True
    return None


def find_heading(doc: Doc) -> None:
    """The type heading, in capitals, before the body begins."""
    lines = doc.lines
    for i in range(doc.head_n):
        st = lines[i].strip()
        if not st:
            continue
        if i > 0 and is_body_start(st, first=False) and fold_line(st).startswith(("can cu", "kinh gui", "thuc hien")):
            return
        for _pos, cell in [(0, st)] + split_cells(lines[i]):
            h = heading_of(cell)
            if h and h[2]:
                code, rest, _ = h
                if code is None:  # "PHỤ LỤC"
                    continue
                doc.heading = _Heading(i, code, rest, cell)
                return


def demote_subject_heading(doc: Doc) -> None:
    """Without a type heading, a subject starting like one ("QUY ĐỊNH CHI TIẾT …") is the subject.

    A real heading is the type alone, or with a few words; when a heading of another kind runs on
    for several words and the number's symbol names a type ("98/2023/NĐ-CP"), the type is the
    symbol's and the line is the first line of the subject.
    """
    h, number = doc.heading, doc.number
    if not h or not number or h.code not in ("OTHER", "HD", "TB", "BC") or len(h.rest.split()) < 3:
        return
    code = type_from_symbol(number.type_part)
    if code in (None, "OTHER", "CV", h.code):
        return
    doc.heading = _Heading(h.line - 1, code, "", "")
