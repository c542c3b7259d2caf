"""Quarters: "Quý III/2025", "quý 3 năm 2025", "Quý I"."""

from __future__ import annotations

import re
from datetime import date

from .date_form import YY, DateForm, last_day, number, one
from .model import DateMention, DateSpec

_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def quarter(m: re.Match[str]) -> DateMention:
    """ "Quý III/2025", "quý 3 năm 2025", "Quý I" (Roman or Arabic numeral) """
    return one(m, DateSpec("quarter", q=_QUARTERS[m.group("q")], y=number(m, "qy")))


QUARTER = DateForm(
    "qu",
    r"\bquy\s*(?P<q>iv|i{1,3}|[1-4])(?![a-z\d])"
    rf"(?:\s*(?:/|-|,?\s*nam)\s*(?P<qy>{YY})(?!\d))?",
    quarter,
)


def quarter_period(spec: DateSpec, y: int) -> tuple[date, date]:
    q = spec.q or 1
    m0 = (q - 1) * 3 + 1
    return date(y, m0, 1), date(y, m0 + 2, last_day(y, m0 + 2))
