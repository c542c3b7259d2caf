"""The words around a date that say how it binds a step.

"Trước ngày …" (before), "chậm nhất / hạn chót / đến (hết) / hết …" (by), "từ / bắt đầu …" (from),
"trong / vào / diễn ra …" (in), "ngày …" (on); "… năm sau" after it; ":" after it (a step that
starts with its date). Keywords may be split by a PDF extractor ("Trư ớc"): letters allow spaces.
"""

from __future__ import annotations

import re

from .citations import cites_a_document, is_the_documents_own_date
from .model import DateMention
from .plan import Plan

_MODE_RE = re.compile(
    # never inside a symbol: "63-KL/TU ngày …" is not "từ ngày …"
    r"(?<![/\-])(?:"
    r"(?P<before>\b(?:hoan\s*thanh\s*|xong\s*)?t {0,2}r {0,2}u {0,2}o {0,2}c(?:\s*khi)?)"
    # "chậm nhất (đến) hết tháng 3", "hết ngày 15/12": "hết" (to the end of) binds like "đến hết"
    r"|(?P<by>\b(?:cham\s*nhat(?:\s*la)?(?:\s*(?:trong|vao|(?:den\s*)?het))?"
    r"|han\s*chot(?:\s*la)?(?:\s*(?:trong|vao|(?:den\s*)?het))?"
    r"|han\s*cuoi(?:\s*la)?|thoi\s*han(?:\s*la)?|khong\s*(?:muon|cham|qua)(?:\s*hon)?"
    r"|d {0,2}e {0,2}n(?:\s*het)?|het|hoan\s*thanh(?:\s*trong)?|xong|han))"
    r"|(?P<from>\b(?:t {0,2}u|bat\s*dau(?:\s*tu)?|ke\s*tu|sau))"
    r"|(?P<in>\b(?:trong(?:\s*thoi\s*gian)?|vao|dien\s*ra|thoi\s*gian(?:\s*thuc\s*hien)?\s*:"
    r"|tien\s*do\s*:))"
    r"|(?P<on>\b(?:cac\s*)?ngay)"
    r")\s*(?:la\s*)?(?:cac\s*)?(?:ngay|thang)?\s*:?\s*$"
)
_NEXT_YEAR_RE = re.compile(r"\s*(?:cua\s*)?nam\s*(?:sau|tiep\s*theo|toi)\b")


def read_surroundings(plan: Plan, atom: DateMention) -> None:
    """Read the words before a date ("trước", "từ", "trong", …) and flag citations."""
    g = plan.g
    lo = max(0, atom.start - 48)
    left = g[lo : atom.start]
    m = _MODE_RE.search(left)
    atom.xs = atom.start
    if m:
        atom.mode = m.lastgroup
        atom.xs = lo + m.start()
    atom.next_year = _NEXT_YEAR_RE.match(g, atom.end, atom.end + 20) is not None
    colon = re.match(r"\s*:", g[atom.end : atom.end + 4])
    atom.xe = atom.end + (colon.end() if colon else 0)
    atom.colon = bool(colon)
    if atom.mode in ("before", "by", "from", "in"):
        return
    # A date that cites a document is not a deadline.
    atom.citation = cites_a_document(plan, atom) or is_the_documents_own_date(plan, atom)
