"""A step's clauses and which of its dates count: the pieces a step is split into before proposing."""

from __future__ import annotations

import bisect
import re

from .labels import LABEL_RE
from .model import PIECE_MAX, DateMention, Step
from .plan import WORD_RE, Plan

_CLAUSE_END_RE = re.compile(r";|\.\s+(\S)")
_NONSPACE_RE = re.compile(r"\S")


def clauses(plan: Plan, s: int, e: int) -> list[tuple[int, int]]:
    """Split [s, e) at ";" and at sentence ends followed by a capital letter."""
    t = plan.t
    cuts = []
    for m in _CLAUSE_END_RE.finditer(t, s, e):
        p = m.start()
        if t[p] == "." and not m.group(1).isupper():
            continue
        cuts.append((p, p + 1))
    # a line that starts with a label ("Thời gian: …", "Đơn vị thực hiện: …") starts a clause
    nl = t.find("\n", s, e)
    while nl >= 0 and len(cuts) < 200:
        if LABEL_RE.match(plan.f, nl + 1, e):
            cuts.append((nl, nl))
        nl = t.find("\n", nl + 1, e)
    out = []
    start = s
    for p, q in sorted(cuts):
        if p >= start:
            out.append((start, p))
            start = q
    out.append((start, e))
    return [plan.trim(a, b) for a, b in out if plan.t[a:b].strip()]


def has_work(plan: Plan, s: int, e: int, atoms: list[DateMention]) -> bool:
    """Does the clause say what to do, beyond its date and a label?"""
    e = min(e, s + PIECE_MAX)
    spans = sorted((a.xs, a.xe) for a in atoms if a.xe > s and a.xs < e)
    _, fo = plan.strip_spans(s, e, spans)
    m = LABEL_RE.match(fo)
    if m:
        fo = fo[m.end() :]
    return len(WORD_RE.findall(fo, 0, 200)) >= 2


def usable_dates(plan: Plan, atoms: list[DateMention], node: Step, piece_starts: list[int]) -> list[DateMention]:
    """The dates that count: precise ones if any; vague ones only in a schedule, a table row or leading the step."""
    out = [a for a in atoms if not a.citation]
    precise = [a for a in out if not a.vague]
    if precise:
        return precise
    allowed = []
    for a in out:
        date_first = a.colon and leads(plan, a, piece_starts)
        if node.sched or node.kind == "row" or date_first:
            allowed.append(a)
    return allowed


def date_spans_to_remove(plan: Plan, atoms: list[DateMention], piece_starts: list[int]) -> list[tuple[int, int]]:
    """Spans to leave out of a title: the dates, but a vague "cuối năm" only when it leads."""
    out = []
    for a in atoms:
        if a.vague and not leads(plan, a, piece_starts):
            continue
        out.append((a.xs, a.xe))
    return sorted(out)


def leads(plan: Plan, atom: DateMention, piece_starts: list[int]) -> bool:
    """Does the date expression open one of the pieces (sorted starts; only spaces before)?"""
    k = bisect.bisect_right(piece_starts, atom.xs) - 1
    if k < 0:
        return False
    m = _NONSPACE_RE.search(plan.t, piece_starts[k], atom.xs + 1)
    return m is None or m.start() >= atom.xs
