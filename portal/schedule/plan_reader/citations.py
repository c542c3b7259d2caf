"""Dates that are not steps: a cited document's date, or the plan's own date in its header."""

from __future__ import annotations

import re

from .model import DateMention
from .plan import Plan

_DOCREF_RE = re.compile(
    r"\bso\s*:?\s*\d|\d\s*/\s*(?:\d{2,4}\s*/\s*)?[a-z]{1,10}\b|\b(?:bo\s*)?luat\b|\bphap\s*lenh\b"
    r"|\bhien\s*phap\b"
)
_CITE_LEFT_RE = re.compile(r"(?:\bngay|ban\s*hanh|,)\s*$")
_CITE_RIGHT_RE = re.compile(
    r"\s*(?:cua\s*(?:chinh\s*phu|thu\s*tuong|bo\b|ubnd|uy\s*ban|chu\s*tich|hdnd"
    r"|hoi\s*dong\s*nhan\s*dan|tinh\s*uy|ban\s*thuong\s*vu|ban\s*chap\s*hanh|quoc\s*hoi|so\b"
    r"|ban\s*thi\s*dua|ban\s*tdkt)"
    r"|ve\s*viec|v/v)"
)
_HEADER_DATE_RE = re.compile(r"(?:^|\s{2}|\t)[a-z][a-z .'\-]{1,40},\s*$")


def cites_a_document(plan: Plan, atom: DateMention) -> bool:
    """ "Nghị định số 98/2023/NĐ-CP ngày 31/12/2023", "Luật … ngày …", "… ngày … của Chính phủ" """
    g = plan.g
    lc = g[max(0, atom.start - 90) : atom.start]
    cut = max(lc.rfind(". "), lc.rfind(";"), lc.rfind(": "))
    if cut >= 0:
        lc = lc[cut + 1 :]
    starts_with_ngay = plan.f.startswith("ngay", atom.start)
    if (starts_with_ngay or _CITE_LEFT_RE.search(lc)) and _DOCREF_RE.search(lc):
        return True
    if starts_with_ngay or re.search(r"\bngay\s*$", lc):
        return _CITE_RIGHT_RE.match(g, atom.end) is not None
    return False


def is_the_documents_own_date(plan: Plan, atom: DateMention) -> bool:
    """ "Lam Sơn, ngày 08 tháng 01 năm 2025": a day in words after a place name """
    if atom.first.kind != "day" or atom.is_range:
        return False
    lo = max(0, atom.start - 80)
    line_start = plan.t.rfind("\n", lo, atom.start) + 1 or lo
    words_form = "thang" in plan.f[atom.start : atom.end]
    return bool(words_form and _HEADER_DATE_RE.search(plan.g[line_start : atom.start]))
