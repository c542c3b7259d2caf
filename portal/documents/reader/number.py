"""The number and symbol ("Số: 27/KH-UBND") and the type its symbol names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.documents.reader.textutil import fold_line

if TYPE_CHECKING:
    from portal.documents.reader.document import Doc

import re
from dataclasses import dataclass

_SEG = r"(?:TTr|TTg|Ttr|[A-ZĐƯƠÂÊÔĂ][A-ZĐƯƠÂÊÔĂ0-9]{0,11})"
_SYM = rf"(?P<sym>{_SEG}(?:(?: {{0,2}}[-/]\n? {{0,2}}|\.){_SEG}){{0,4}})"
_NUM_HEAD_RE = re.compile(
    r"(?P<n>\d(?: ?\d){0,5})(?: {0,2}/ {0,2}(?P<y>(?:19|20)\d\d))? {0,2}(?P<sep>[/-]) {0,2}" + _SYM
)
_NUM_BODY_RE = re.compile(
    r"(?<![\w/.\-])(?<!\d )(?P<n>\d{1,6})(?: ?/ ?(?P<y>(?:19|20)\d\d))? ?(?P<sep>[/-]) ?" + _SYM
)
_BLANK_NUM_RE = re.compile(r"[ .…_]{0,20}/ {0,2}" + _SYM)
_SO_RE = re.compile(r"(?:^|(?<=\s))so(?![a-z])\s{0,3}[:.;]?\s{0,3}")

_TYPE_FROM_SYMBOL = {
    "CT": "CT", "KH": "KH", "GU": "GU", "TC": "TC", "BC": "BC", "BB": "BB", "QĐ": "QĐ",
    "QD": "QĐ", "TB": "TB", "TTR": "TTr", "CV": "CV", "NQ": "NQ", "NĐ": "NĐ", "HD": "HD",
    "HĐ": None, "KL": "OTHER", "TT": "OTHER", "TTLT": "OTHER", "QC": "OTHER", "QĐI": "OTHER",
    "CTR": "OTHER", "ĐA": "OTHER", "CĐ": "OTHER", "GM": "OTHER", "PA": "OTHER", "DS": "OTHER",
    "QY": "OTHER", "TTRA": "OTHER", "L": "OTHER", "PL": "OTHER", "HDLT": "OTHER", "QYĐ": "OTHER",
    "CTRI": "OTHER", "GUTĐ": "GU",
}


@dataclass
class _Number:
    value: str | None
    type_part: str | None
    start: int
    end: int


def _finish_number(line: str, m: re.Match[str], allow_one_segment: bool) -> _Number | None:
    end = m.end()
    sym = m.group("sym")
    # run-together text: "27/KH-UBNDLam Sơn" or "27/KH-UBND - Kế hoạch"
    if end < len(line) and line[end].isalpha() and line[end].islower():
        segs = re.split(r"( ?[-/.]\n? ?)", sym)
        if len(segs[-1]) <= 1 and len(segs) >= 3:
            cut = len(segs[-1]) + len(segs[-2])
        else:
            cut = 1
        sym = sym[:-cut]
        end -= cut
        if not sym or not re.match(_SEG, sym):
            return None
    sym = re.sub(r"\s+", "", sym)
    parts = [p for p in re.split(r"[-/.]", sym) if p]
    if not parts:
        return None
    if len(parts) == 1 and not allow_one_segment:
        return None
    if m.group("sep") == "-" and len(parts) < 2:
        return None
    n = m.group("n").replace(" ", "")
    y = m.group("y")
    value = n + (f"/{y}" if y else "") + m.group("sep") + sym
    return _Number(value, parts[0], m.start(), end)


def type_from_symbol(part: str | None) -> str | None:
    if not part:
        return None
    return _TYPE_FROM_SYMBOL.get(part.upper())


def read_number(doc: Doc) -> None:
    """The "Số: …" line in the header; a blank number ("Số:   /KH-UBND") gives None."""
    for i in range(min(doc.header_end + 1, doc.head_n, 25)):
        line, f = doc.blanked[i], doc.folded[i]
        for m in _SO_RE.finditer(f):
            pos = m.end()
            mm = _NUM_HEAD_RE.match(line, pos)
            if mm:
                num = _finish_number(line, mm, allow_one_segment=True)
                if num:
                    doc.number, doc.number_line = num, i
                    break
            bm = _BLANK_NUM_RE.match(line, pos)
            if bm:
                parts = [p for p in re.split(r" ?[-/.] ?", bm.group("sym")) if p]
                if parts:
                    doc.blank_number_type = type_from_symbol(parts[0]) or "CV"
                    doc.number_line = i
                    doc.number = _Number(None, parts[0], m.start(), bm.end())
                    break
        if doc.number:
            break
    if doc.number and doc.number.value is None:
        doc.warn("Số văn bản để trống (văn bản chưa cấp số)")
    elif not doc.number:
        doc.warn("Không tìm thấy số, ký hiệu văn bản")
    doc.meta.number = doc.number.value if doc.number else None


def read_citations(doc: Doc) -> None:
    """Every number-and-symbol in the text, except the document's own number and forms."""
    text = doc.text
    own = doc.meta.number
    cites: list[str] = []
    seen = set()
    for m in _NUM_BODY_RE.finditer(text):
        ctx = fold_line(text[max(0, m.start() - 14):m.start()])
        if re.search(r"(?:mau|bieu|phu luc)\s*(?:so)?\s*:?\s*$", ctx):
            continue  # a form ("Mẫu số 01/TĐKT"), not a document
        num = _finish_number(text, m, allow_one_segment=bool(re.search(r"\bso\s*:?\s*$", ctx)))
        if not num or not num.value:
            continue
        if num.value == own or num.value in seen:
            continue
        seen.add(num.value)
        cites.append(num.value)
    doc.meta.citations = cites
