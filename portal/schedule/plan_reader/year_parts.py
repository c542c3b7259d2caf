"""Vague parts of the year: "6 tháng đầu năm", "9 tháng đầu năm", "3 tháng cuối năm", "đầu năm", "cuối năm".

They are used only when a step has no precise date, with confidence "low" (see windows.resolve).
"""

from __future__ import annotations

import re
from datetime import date

from .date_form import YY, DateForm, last_day, number, one
from .model import DateMention, DateSpec


def first_or_second_half(m: re.Match[str]) -> DateMention:
    """ "6 tháng đầu năm", "sáu tháng cuối năm 2025" """
    part = "h1" if m.group("hp") == "dau" else "h2"
    return one(m, DateSpec("vague", y=number(m, "hy"), part=part))


HALF_YEAR = DateForm(
    "half", rf"\b(?:6|sau)\s*thang\s*(?P<hp>dau|cuoi)\s*nam\b(?:\s*(?P<hy>{YY})\b)?", first_or_second_half
)


def months_counted_in_year(m: re.Match[str]) -> DateMention:
    """ "3 tháng đầu năm", "9 tháng đầu năm", "ba tháng cuối năm": a report period (quarter, nine months) """
    count = 3 if m.group("cmn") in ("3", "ba") else 9
    part = f"{'first' if m.group('cmp') == 'dau' else 'last'}{count}"
    return one(m, DateSpec("vague", y=number(m, "cmy"), part=part))


# Before PART_OF_YEAR reads the "đầu năm" of "9 tháng đầu năm" as January–February.
MONTHS_OF_YEAR = DateForm(
    "cm",
    rf"\b(?P<cmn>3|9|ba|chin)\s*thang\s*(?P<cmp>dau|cuoi)\s*nam\b(?:\s*(?P<cmy>{YY})\b)?",
    months_counted_in_year,
)


def early_mid_or_late_year(m: re.Match[str]) -> DateMention:
    """ "đầu năm", "giữa năm", "cuối năm 2025" — not "đầu năm học", "cuối năm sau", … """
    part = {"dau": "early", "giua": "mid", "cuoi": "late"}[m.group("vp")]
    return one(m, DateSpec("vague", y=number(m, "vy"), part=part))


PART_OF_YEAR = DateForm(
    "vag",
    r"\b(?P<vp>dau|giua|cuoi)\s*nam\b(?!\s*(?:hoc|tai\s*chinh|sau|truoc|nay\s*va))"
    rf"(?:\s*(?P<vy>{YY})\b)?",
    early_mid_or_late_year,
)


# How each part is read, as told to the person reviewing the proposal.
YEAR_PART_CONVENTIONS = {
    "h1": "quy ước: hạn 30/06",
    "h2": "quy ước: hạn 31/12",
    "early": "quy ước: 01/01 đến hết tháng 02",
    "mid": "quy ước: 01/06 đến 31/07",
    "late": "quy ước: tháng 12",
    "first3": "quy ước: hạn 31/03",
    "first9": "quy ước: hạn 30/09",
    "last3": "quy ước: hạn 31/12",
    "last9": "quy ước: hạn 31/12",
}
# A count of months ("6 tháng đầu năm", "9 tháng đầu năm") is a report period: due at its end.
COUNTED_PARTS = frozenset({"h1", "h2", "first3", "first9", "last3", "last9"})


def year_part_period(spec: DateSpec, y: int) -> tuple[date, date]:
    """The conventions: halves end 30/06 and 31/12, counted months end with the count (3 → 31/03,
    9 → 30/09; the last months → 31/12); early = Jan–Feb, mid = Jun–Jul, late = Dec."""
    part = spec.part
    if part == "h1":
        return date(y, 1, 1), date(y, 6, 30)
    if part == "h2":
        return date(y, 7, 1), date(y, 12, 31)
    if part in ("first3", "first9"):
        end = int(part[5:])
        return date(y, 1, 1), date(y, end, last_day(y, end))
    if part in ("last3", "last9"):
        return date(y, 13 - int(part[4:]), 1), date(y, 12, 31)
    if part == "early":
        return date(y, 1, 1), date(y, 2, last_day(y, 2))
    if part == "mid":
        return date(y, 6, 1), date(y, 7, 31)
    return date(y, 12, 1), date(y, 12, 31)
