"""Where the body begins, and whether a subject line goes on."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portal.documents.reader.document import Doc

import re

from portal.documents.reader.case import vocab_key
from portal.documents.reader.textutil import fold_line

# How the body begins. Strong starters end a subject even on its first line; weak ones (which
# can also begin a subject: "Xét tặng …") only end it after a first subject line. Matched on
# folded text for multi-syllable starters (OCR may lose accents) and on lower case with accents
# for the short ones ("để" must not match "đề nghị").
_BODY_STRONG_FOLDED_RE = re.compile(
    r"^(?:can cu|thuc hien|kinh gui|hom nay|vao hoi|vao luc|chuong [ivx\d]|dieu \d|"
    r"nam \d{4}\s*,|ngay \d{1,2}\s?[/.-]|(?:[ivx]+|\d{1,2}|[a-dđ])[.)]\s)"
)
_BODY_WEAK_RE = re.compile(
    r"^(?:theo |để |nhằm |xét |qua |trên cơ sở|thời gian|địa điểm|thành phần|phần [ivx\d]|"
    r"mục [ivx\d]|tiếp theo|sau khi|trong (?:năm|thời gian)|ngày \d)"
)


_LINKING_WORDS = {
    "của", "cho", "và", "về", "tại", "với", "các", "những", "trong", "thuộc", "đối", "giữa",
    "theo", "trên", "đến", "từ", "số", "tỉnh", "huyện", "phố", "xã", "thị", "lần", "việc", "là",
    "được", "hội", "nghị", "đợt", "kỳ", "khối", "cụm",
}


def subject_goes_on(prev: str) -> bool:
    """Does a subject line ending like ``prev`` go on with a capitalised word on the next line?"""
    p = prev.rstrip()
    if p.endswith(("-", ",", "(")):
        return True
    last = p.split()[-1] if p.split() else ""
    return vocab_key(last) in _LINKING_WORDS


_BULLET_RE = re.compile(r"^[-+•*]\s+")


def is_body_start(s: str, first: bool) -> bool:
    """Does this line begin the body? ``first``: it would be the first line of the subject."""
    st = _BULLET_RE.sub("", s.strip())
    if not st:
        return False
    if not (st[0].isupper() or st[0].isdigit()):
        return False
    if _BODY_STRONG_FOLDED_RE.match(fold_line(st)):
        return True
    return not first and bool(_BODY_WEAK_RE.match(vocab_key(st)))


def find_header_end(doc: Doc) -> None:
    """The header ends at the heading; without one (a công văn), where the body starts."""
    if doc.heading:
        doc.header_end = doc.heading.line
        return
    doc.header_end = min(doc.head_n, 20)
    for i in range(1, min(doc.head_n, 25)):
        fi = fold_line(doc.blanked[i].strip())
        if fi.startswith(("kinh gui", "can cu", "thuc hien", "hom nay", "theo de nghi")):
            doc.header_end = i
            return
