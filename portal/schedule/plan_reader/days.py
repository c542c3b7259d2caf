"""Days: "16/12", "28 /02/ 2025", "ngày 16 tháng 12 năm 2025", "08-12/12/2025", the "07" of "từ 07 đến 14/12".

Well-formed full dates ("28/02/2025") are found by ``portal.text.iter_dates`` and masked before
these forms run; these read what it leaves out.
"""

from __future__ import annotations

import re
from datetime import date

from .date_form import DD, MASK, MM, NB, TO, YY, DateForm, last_day, number, one
from .model import DateMention, DateSpec


def day_range_in_one_month(m: re.Match[str]) -> DateMention | None:
    """ "08-12/12/2025", "16 đến 19/12/2025", "08 - 12/12": the month (and year) written once """
    a, b = number(m, "dr1"), number(m, "dr2")
    if a is None or b is None or a >= b:
        return None
    y, month = number(m, "dry"), number(m, "drm")
    return DateMention(m.start(), m.end(), DateSpec("day", a, month, y), DateSpec("day", b, month, y), is_range=True)


DAY_RANGE_IN_MONTH = DateForm(
    "dr",
    rf"{NB}(?P<dr1>{DD})\s*{TO}\s*(?:ngay\s*)?(?P<dr2>{DD})\s*/\s*(?P<drm>{MM})"
    rf"(?:\s*/\s*(?P<dry>{YY}))?(?![\d/])",
    day_range_in_one_month,
)


def full_numeric_date(m: re.Match[str]) -> DateMention:
    """Full dates iter_dates leaves out: spaced ("28 /02/ 2025"), impossible ("29/02/2025"),
    or glued to a range ("08/12-12/12/2025")."""
    return one(m, DateSpec("day", number(m, "fd"), number(m, "fm"), number(m, "fy")))


FULL_NUMERIC_DATE = DateForm(
    "fn",
    rf"{NB}(?P<fd>{DD})\s*(?P<fs>[/.\-])\s*(?P<fm>{MM})\s*(?P=fs)\s*(?P<fy>{YY})"
    r"(?!\d)(?![/\-][\da-z])",
    full_numeric_date,
)


def day_in_words(m: re.Match[str]) -> DateMention:
    """ "ngày 16 tháng 12", with or without ", năm 2025" """
    return one(m, DateSpec("day", number(m, "wdd"), number(m, "wdm"), number(m, "wdy")))


DAY_IN_WORDS = DateForm(
    "wd",
    rf"\bngay\s*(?P<wdd>{DD})\s*thang\s*(?P<wdm>{MM})"
    rf"(?:\s*,?\s*nam\s*(?P<wdy>{YY}))?(?!\d)",
    day_in_words,
)


def day_and_month(m: re.Match[str]) -> DateMention:
    """ "16/12" (not "05/2023/TT-BNV", a document's number) """
    return one(m, DateSpec("day", number(m, "dmd"), number(m, "dmm")))


DAY_MONTH = DateForm("dm", rf"{NB}(?P<dmd>{DD})\s*/\s*(?P<dmm>{MM})(?!\d)(?!\s*/\s*[\da-z])", day_and_month)


def first_day_of_range(m: re.Match[str]) -> DateMention:
    """The "07" of "từ 07 đến 14/12/2023": kept only if ranges.join_ranges joins it to the end."""
    return one(m, DateSpec("day", number(m, "dyd")))


RANGE_FIRST_DAY = DateForm(
    "dy", rf"{NB}(?P<dyd>{DD})(?=\s*{TO}\s*(?:ngay\s*)?(?:{MASK}|{DD}\s*/))", first_day_of_range
)


def day_period(spec: DateSpec, y: int, notes: list[str]) -> tuple[date, date]:
    """The day itself; an impossible day ("29/02/2025", "31/04") becomes the month's last day."""
    m = spec.m or 1
    last = last_day(y, m)
    d = spec.d or 1
    if d > last:
        notes.append(f"Ngày {d:02d}/{m:02d}/{y} không có thật; dùng ngày cuối tháng {last:02d}/{m:02d}/{y}")
        d = last
    day = date(y, m, d)
    return day, day
