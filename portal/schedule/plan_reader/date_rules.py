"""The table of date forms, in order, and the search for every date mention of the plan's body.

At one position the first form of the table that matches wins, so longer forms come before the
forms they contain ("08-12/12/2025" before "12/12/2025", "tháng 3/2025" before "tháng 3").
To read a new form: write its rule in the module of its kind and put it in ``DATE_FORMS``.
"""

from __future__ import annotations

import re
from datetime import date

from portal.text import iter_dates

from .date_form import MASK, DateForm
from .days import DAY_IN_WORDS, DAY_MONTH, DAY_RANGE_IN_MONTH, FULL_NUMERIC_DATE, RANGE_FIRST_DAY, day_period
from .deadline_words import read_surroundings
from .model import MAX_DATES, DateMention, DateSpec
from .months import BARE_MONTH_YEAR, MONTH_ALONE, MONTH_RANGE, MONTH_WITH_YEAR, month_period
from .plan import Plan
from .quarters import QUARTER, quarter_period
from .ranges import join_ranges
from .year_parts import HALF_YEAR, MONTHS_OF_YEAR, PART_OF_YEAR, year_part_period

DATE_FORMS: tuple[DateForm, ...] = (
    HALF_YEAR,
    MONTHS_OF_YEAR,
    PART_OF_YEAR,
    DAY_RANGE_IN_MONTH,
    FULL_NUMERIC_DATE,
    DAY_IN_WORDS,
    MONTH_RANGE,
    MONTH_WITH_YEAR,
    MONTH_ALONE,
    QUARTER,
    BARE_MONTH_YEAR,
    DAY_MONTH,
    RANGE_FIRST_DAY,
)
DATE_FORMS_RE = re.compile("|".join(f"(?P<{form.name}>{form.pattern})" for form in DATE_FORMS))
_READERS = {form.name: form.read for form in DATE_FORMS}


def read_form(m: re.Match[str]) -> DateMention | None:
    """The mention read by the rule whose pattern matched (its outer group is the last to close)."""
    read = _READERS.get(m.lastgroup or "")
    return read(m) if read else None


def period(spec: DateSpec, y: int, notes: list[str]) -> tuple[date, date]:
    """The first and last day that one end of a date mention stands for, in year ``y``."""
    if spec.kind == "day":
        return day_period(spec, y, notes)
    if spec.kind == "month":
        return month_period(spec, y)
    if spec.kind == "quarter":
        return quarter_period(spec, y)
    return year_part_period(spec, y)


def find_dates(plan: Plan, body: list[int]) -> list[DateMention]:
    """Find every date expression of the body: full dates from portal.text, the rest here."""
    t, f = plan.t, plan.f
    zones: list[tuple[int, int]] = []
    for i in body:
        ln = plan.lines[i]
        if ln.blank:
            continue
        if zones and plan.only_space(zones[-1][1], ln.s):
            zones[-1] = (zones[-1][0], ln.e)
        else:
            zones.append((ln.s, ln.e))
    atoms: list[DateMention] = []
    g_parts = []
    last = 0
    full: list[tuple[int, int, date]] = []
    for zs, ze in zones:
        for mention in iter_dates(t[zs:ze]):
            full.append((zs + mention.start, zs + mention.end, mention.date))
            if len(full) >= MAX_DATES:
                break
        if len(full) >= MAX_DATES:
            zones = [(a, min(b, full[-1][1])) for a, b in zones if a < full[-1][1]]
            break
    for s, e, _ in full:
        g_parts.append(f[last:s])
        g_parts.append(MASK * (e - s))
        last = e
    g_parts.append(f[last:])
    g = "".join(g_parts)
    plan.g = g
    for s, e, d in full:
        spec = DateSpec("day", d.day, d.month, d.year)
        atoms.append(DateMention(s, e, spec, spec))
    for zs, ze in zones:
        for m in DATE_FORMS_RE.finditer(g, zs, ze):
            atom = read_form(m)
            if atom is not None:
                atoms.append(atom)
            if len(atoms) >= 2 * MAX_DATES:
                break
        if len(atoms) >= 2 * MAX_DATES:
            break
    atoms.sort(key=lambda a: a.start)
    atoms = join_ranges(plan, atoms)
    for atom in atoms:
        read_surroundings(plan, atom)
    return atoms
