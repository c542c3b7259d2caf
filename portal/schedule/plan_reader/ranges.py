"""Two date mentions that make one window: "từ 07/12 đến 14/12/2023", "tháng 6 đến tháng 7", "16 và 17/12"."""

from __future__ import annotations

import re

from .model import DateMention, DateSpec
from .plan import Plan

# Keywords may be split by a PDF extractor ("Trư ớc", "đê ́n"): letters allow up to two spaces.
_CONN_RE = re.compile(
    r"\s*(?:\([^()]{0,30}\)\s*)?"
    r"(?:-|–|—|~|d {0,2}e {0,2}n(?:\s*h {0,2}e {0,2}t)?|t {0,2}o {0,2}i|cho\s*den)"
    r"\s*(?:ngay|thang)?\s*"
)
_SET_RE = re.compile(r"\s*(?:,|va)\s*(?:ngay)?\s*")


def join_ranges(plan: Plan, atoms: list[DateMention]) -> list[DateMention]:
    """Join "A đến B" into one range; drop a day alone that is not the start of a range."""
    g = plan.g
    out: list[DateMention] = []
    i = 0
    n = len(atoms)
    while i < n:
        a = atoms[i]
        if out and a.start < out[-1].end:  # overlapping finds: keep the first
            i += 1
            continue
        if i + 1 < n and not a.is_range:
            b = atoms[i + 1]
            between = g[a.end : b.start] if 0 <= b.start - a.end <= 40 else None
            if between is not None and not b.is_range and can_join(a.first, b.first):
                joined = _CONN_RE.fullmatch(between) is not None
                if not joined and a.first.kind == "day" and a.first.y is None and b.first.y:
                    # "ngày 16 và 17/12/2025"
                    joined = _SET_RE.fullmatch(between) is not None
                if joined:
                    out.append(DateMention(a.start, b.end, a.first, b.first, is_range=True))
                    i += 2
                    continue
        if a.first.kind == "day" and a.first.m is None:
            i += 1
            continue
        out.append(a)
        i += 1
    return out


def can_join(a: DateSpec, b: DateSpec) -> bool:
    """Two ends of the same kind; a day without a month only before one with a month."""
    if a.kind != b.kind or a.kind == "vague":
        return False
    if a.kind == "day" and a.m is None:
        return b.m is not None
    return True
