"""Months: "tháng 3/2025", "3/2025", "tháng 12", "cuối tháng 12", "tháng 11-12/2025", "từ tháng 6 đến tháng 7"."""

from __future__ import annotations

import re
from datetime import date

from .date_form import MM, NB, YY, DateForm, last_day, number, one
from .model import DateMention, DateSpec


def month_range(m: re.Match[str]) -> DateMention | None:
    """ "tháng 11-12/2025", "từ tháng 6 đến (hết) tháng 7 năm 2025" """
    a, b = number(m, "mr1"), number(m, "mr2")
    if a is None or b is None or a >= b:
        return None
    y = number(m, "mry")
    return DateMention(m.start(), m.end(), DateSpec("month", m=a, y=y), DateSpec("month", m=b, y=y), is_range=True)


MONTH_RANGE = DateForm(
    "mr",
    rf"\b(?:tu\s*)?thang\s*(?P<mr1>{MM})\s*(?:-|–|—|den|toi|va|,)\s*(?:het\s*)?"
    rf"(?:thang\s*)?(?P<mr2>{MM})(?:\s*(?:/|-|,?\s*nam)\s*(?P<mry>{YY}))?(?![\d/])",
    month_range,
)


def month_with_year(m: re.Match[str]) -> DateMention:
    """ "tháng 3/2025", "cuối tháng 12 năm 2025" """
    return one(m, DateSpec("month", m=number(m, "mym"), y=number(m, "myy"), part=m.group("myp")))


MONTH_WITH_YEAR = DateForm(
    "my",
    rf"\b(?:(?P<myp>dau|giua|cuoi)\s*)?thang\s*(?P<mym>{MM})\s*(?:/|-|\.|,?\s*nam)\s*"
    rf"(?P<myy>{YY})(?!\d)",
    month_with_year,
)


def month_alone(m: re.Match[str]) -> DateMention:
    """ "tháng 12", "đầu tháng 3" (the year comes from the plan) """
    return one(m, DateSpec("month", m=number(m, "mom"), part=m.group("mop")))


# Not "tháng 3/20…" nor "tháng 3.2…" (a number); but "tháng 02. 2. Trưởng Khối …" ends a sentence
# before the next item (folding makes the line break a space).
MONTH_ALONE = DateForm(
    "mo", rf"\b(?:(?P<mop>dau|giua|cuoi)\s*)?thang\s*(?P<mom>{MM})(?!\d)(?!\s*/\s*\d)(?!\s*\.\d)", month_alone
)


def month_slash_year(m: re.Match[str]) -> DateMention:
    """ "3/2025" without "tháng" ("05/2023/TT-BNV" is a document's number, not a month) """
    return one(m, DateSpec("month", m=number(m, "bmm"), y=number(m, "bmy")))


BARE_MONTH_YEAR = DateForm(
    "bm", rf"{NB}(?P<bmm>{MM})\s*/\s*(?P<bmy>{YY})(?!\d)(?![/\-]\s*[\da-z])", month_slash_year
)


def month_period(spec: DateSpec, y: int) -> tuple[date, date]:
    """The whole month; "đầu/giữa/cuối tháng" → days 1–10 / 11–20 / 21–end."""
    m = spec.m or 1
    last = last_day(y, m)
    lo, hi = 1, last
    if spec.part == "dau":
        hi = 10
    elif spec.part == "giua":
        lo, hi = 11, 20
    elif spec.part == "cuoi":
        lo = 21
    return date(y, m, lo), date(y, m, hi)
