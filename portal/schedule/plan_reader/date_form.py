"""What every date form is made of: the rule type, the numbers' patterns, and the mask of full dates.

All patterns run on folded text (lower case, no accents, đ→d). No repeated group can match the
empty string, so none can backtrack catastrophically (see the "huge garbage" tests).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from typing import NamedTuple

from .model import DateMention, DateSpec

MASK = "\x01"  # stands for a full date found by portal.text.iter_dates
NB = r"(?<![\d/.,])"  # a number starts here (not inside a longer number or a symbol)
DD = r"(?:3[01]|[12]\d|0?[1-9])"
MM = r"(?:1[0-2]|0?[1-9])"
YY = r"(?:19|20)\d\d"
TO = r"(?:-|–|—|~|den|toi)"


class DateForm(NamedTuple):
    """One way a plan writes a date: a pattern (its groups unique among all forms) and its reader."""

    name: str  # the pattern's outer group
    pattern: str
    read: Callable[[re.Match[str]], DateMention | None]


def number(m: re.Match[str], group: str) -> int | None:
    v = m.group(group)
    return int(v) if v else None


def one(m: re.Match[str], spec: DateSpec) -> DateMention:
    """A mention of one day, month, quarter or part of the year (not a range)."""
    return DateMention(m.start(), m.end(), spec, spec)


def last_day(y: int, m: int) -> int:
    return calendar.monthrange(y, m)[1]
