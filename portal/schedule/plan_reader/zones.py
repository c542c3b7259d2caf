"""Which lines may hold steps: not the header, the "Căn cứ …" preamble, nor what follows "Nơi nhận".

A plan opens with its number, place and date, its title ("KẾ HOẠCH …") and a preamble citing the
documents it implements; it closes with "Nơi nhận" and signatures. Their dates are not steps, so
only the lines between (and a "PHỤ LỤC" after the signature) are read.
"""

from __future__ import annotations

import re

from .model import MAX_LINES, Line
from .plan import Plan

_NOI_NHAN_RE = re.compile(r"\s*noi\s*nhan\b")
_PAGE_NO_RE = re.compile(r"\s*(?:-\s*)?(?:trang\s*)?\d{1,3}(?:\s*/\s*\d{1,3})?(?:\s*-)?\s*")
_PHU_LUC_RE = re.compile(r"\s*phu\s*luc\b")
_TITLE_LINE_RE = re.compile(r"\s*ke\s*hoach\b")
_NHU_SAU_RE = re.compile(r"nhu\s*sau\s*[:.]?\s*$")
_ROMAN = {
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV",
}
_ROMAN_HEAD_RE = re.compile(
    r"(?:(?:PHẦN|Phần|PHAN|Phan)\s+)?(?P<r>[IVX]{1,4})\s*[.):\-–—/]\s*(?=\S)"
)


def split_lines(plan: Plan) -> list[Line]:
    """The plan's lines (at most ``MAX_LINES``) as offsets of their non-space content."""
    out: list[Line] = []
    pos = 0
    t = plan.t
    for raw in t.splitlines(keepends=True):
        if len(out) >= MAX_LINES:
            break
        body = raw.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
        stripped = body.lstrip()
        s = pos + (len(body) - len(stripped))
        e = pos + len(body.rstrip())
        out.append(Line(pos, s, max(s, e)))
        pos += len(raw)
    return out


def body_lines(plan: Plan) -> list[int]:
    """Return the indexes of the lines that may hold steps (no header, preamble, signature)."""
    lines = plan.lines
    n = len(lines)
    title_i = -1
    limit = min(n, 80)
    for i in range(limit):
        ln = lines[i]
        if ln.blank:
            continue
        if _TITLE_LINE_RE.match(plan.lf(ln)) and plan.t[ln.s : ln.s + 2].isupper():
            title_i = i
            break
    start = title_i + 1
    heading_i = -1
    for i in range(start, n):
        ln = lines[i]
        if not ln.blank and is_roman_heading(plan, ln):
            heading_i = i
            break
    # the preamble ends with "… như sau:" or at the first "I." heading, whichever comes first
    stop = heading_i if heading_i >= 0 else start + max(40, (n - start) * 2 // 5)
    for i in range(start, min(n, stop)):
        ln = lines[i]
        if not ln.blank and _NHU_SAU_RE.search(plan.lf(ln)):
            heading_i = i + 1
            break
    if heading_i >= 0:
        start = heading_i
    out: list[int] = []
    tail = False
    for i in range(start, n):
        ln = lines[i]
        if ln.blank:
            out.append(i)
            continue
        lf = plan.lf(ln)
        if tail:
            if _PHU_LUC_RE.match(lf):
                tail = False
                out.append(i)
            continue
        if _NOI_NHAN_RE.match(lf):
            tail = True
            continue
        if _PAGE_NO_RE.fullmatch(lf):  # a page number left by the PDF extractor
            continue
        out.append(i)
    return out


def is_roman_heading(plan: Plan, ln: Line) -> bool:
    """ "I.", "II -", "PHẦN III." open a section. """
    m = _ROMAN_HEAD_RE.match(plan.t, ln.s, ln.e)
    return bool(m and m.group("r") in _ROMAN)
