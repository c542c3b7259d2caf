"""The plan's year, and the year of a date written without one."""

from __future__ import annotations

import re
from collections import Counter

from .model import DateSpec
from .plan import Plan

_YEAR_TITLE_RE = re.compile(
    r"\bke\s*hoach\b[^.;:]{0,250}?\bnam\s*((?:19|20)\d\d)\b|\bthi\s*dua\s*nam\s*((?:19|20)\d\d)\b"
)


def infer_plan_year(plan: Plan) -> int | None:
    """The "năm YYYY" of the title, else the most common year of the body's dates (not citations)."""
    head = plan.f[:4000]
    m = _YEAR_TITLE_RE.search(head)
    if m:
        return int(m.group(1) or m.group(2))
    years = Counter()
    for a in plan.atoms:
        if a.citation:
            continue
        for spec in (a.first, a.last):
            if spec.y:
                years[spec.y] += 1
    if years:
        return years.most_common(1)[0][0]
    return None


def year_of(plan: Plan, spec: DateSpec, notes: list[str], next_year: bool = False) -> tuple[int | None, bool]:
    """(year, rolled over) of one end of a date: its own year, else the plan's ("năm sau": the next).

    A January/February date without a year, read after a step due in October–December, rolls over
    to the next year; the caller lowers the confidence then.
    """
    if spec.y:
        return spec.y, False
    if plan.plan_year is None:
        return None, False
    y = plan.plan_year
    if next_year:
        notes.append(f"'năm sau' hiểu là năm {y + 1}")
        return y + 1, False
    month = spec.m or (spec.q - 1) * 3 + 1 if spec.kind in ("day", "month", "quarter") else None
    if month is not None and month <= 2 and plan.late:
        y += 1
        notes.append(f"Không ghi năm; sau các mốc cuối năm nên hiểu là năm {y}")
        return y, True
    notes.append(f"Không ghi năm; lấy năm {y} của kế hoạch")
    return y, False
