"""The issuing body (and its parent) from the header lines in capitals."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.documents.reader.case import proper
from portal.documents.reader.textutil import split_cells

if TYPE_CHECKING:
    from portal.documents.reader.document import Doc

import re

from portal.documents.reader.case import VOCAB, vocab_key
from portal.documents.reader.heading import heading_of
from portal.documents.reader.textutil import fold_line, is_separator, squash, upper_ratio

_ADMIN_START_RE = re.compile(r"^(?:tinh|huyen|thanh pho|thi xa|quan|xa|phuong|thi tran|tp\.?)\s(?!uy\b|doan\b)")
_ADMIN_ANY_RE = re.compile(r"(?:^|\s)(?:tinh|huyen|thanh pho|thi xa|quan|xa|phuong|thi tran|tp\.?)\s(?!uy\b|doan\b)")
_BARE_BODIES = {
    "uy ban nhan dan", "hoi dong nhan dan", "ubnd", "hdnd", "cong ty", "tong cong ty",
    "cong ty co phan", "cong ty tnhh", "cong ty trach nhiem huu han", "hoi dong",
    "ban chap hanh", "uy ban mat tran to quoc viet nam", "uy ban mttq viet nam", "dang bo",
    "dang uy", "khoi thi dua", "cum thi dua", "hoi dong thi dua - khen thuong",
    "hoi dong thi dua khen thuong", "ban thi dua - khen thuong", "lien doan lao dong",
    "hoi lien hiep phu nu", "hoi nong dan", "hoi cuu chien binh", "uy ban kiem tra",
    "doan tncs ho chi minh", "ban chi dao", "toa an nhan dan", "vien kiem sat nhan dan",
}
_URGENCY = {"khan", "hoa toc", "thuong khan", "mat", "toi mat", "tuyet mat", "du thao", "ban chinh", "ban sao"}


def _issuer_cell(s: str) -> bool:
    st = s.strip()
    if not st or is_separator(st) or len(st) > 100:
        return False
    letters = [c for c in st if c.isalpha()]
    if len(letters) < 2 or upper_ratio(st) < 0.6:
        return False
    f = squash(fold_line(st)).strip(" .:*")
    if f in _URGENCY or re.match(r"^so\s*[:.]?$", f) or f.startswith(("v/v", "ve viec")):
        return False
    if heading_of(st):
        return False
    return True


def _starts_with_body(cell: str) -> bool:
    """Does a header cell in ordinary case begin with the name of a kind of body?"""
    words = cell.split()
    if not words or len(cell) > 100 or cell.endswith((".", ":", ";")):
        return False
    for length in range(min(5, len(words)), 0, -1):
        hit = VOCAB.get(" ".join(vocab_key(w) for w in words[:length]))
        if hit and hit[1] in ("head", "fixed", "namefixed", "fixedhead") and words[0][0].isupper():
            return True
    return False


def _merge_issuer_lines(items: list[str]) -> list[str]:
    units: list[str] = []
    for raw in items:
        s = squash(raw).strip(" *")
        if not s:
            continue
        f = squash(fold_line(s))
        if units:
            prev = units[-1]
            pf = squash(fold_line(prev))
            if f.startswith(("cac ", "(")):
                if pf in _BARE_BODIES:
                    units[-1] = prev + " " + s
                continue
            if (
                (_ADMIN_START_RE.match(f) and not _ADMIN_ANY_RE.search(pf))
                or pf in _BARE_BODIES
                or pf.endswith((" va", "-", ",", " cua", " thuoc"))
                or f.startswith(("va ", "- ", "cua ", "thuoc "))
            ):
                units[-1] = prev + " " + s
                continue
        units.append(s)
    return units


def read_issuer(doc: Doc) -> None:
    """Header cells in capitals above the heading/V/v line, merged into bodies; the last is the issuer."""
    head_n = doc.head_n
    issuer_stop = min(x for x in (doc.header_end, doc.vv_line if doc.vv_line >= 0 else head_n, 15, head_n))
    items: list[str] = []
    plain: list[str] = []  # a header in ordinary case ("Công ty TNHH …"), used when no capitals
    for i in range(issuer_stop):
        for _pos, cell in split_cells(doc.bare(i)):
            # "Số:" left behind after blanking the number
            cell2 = re.sub(r"(?:^|\s)(?:Số|SỐ|số)\s*[:.]?\s*$", "", cell).strip()
            if _issuer_cell(cell2):
                items.append(cell2)
            elif not items and _starts_with_body(cell2):
                plain.append(squash(cell2))
    if not items and plain:
        items = plain[-2:]
    units = _merge_issuer_lines(items)
    if units:
        doc.meta.issuer = proper(units[-1], ev=doc.ev)
        if len(units) > 1:
            doc.meta.parent_issuer = proper(units[-2], ev=doc.ev)
    else:
        doc.warn("Không tìm thấy cơ quan ban hành")
