"""The proposal: candidates classified, repeats dropped, titled, ordered by due date, numbered."""

from __future__ import annotations

from .classify import classify
from .model import Candidate, ProposedMilestone
from .plan import Plan
from .titles import make_title

_UNKNOWN_NOTE = "Không nhận ra loại công việc; cần xem lại phạm vi và loại văn bản minh chứng"


def drop_repeats(rows: list) -> list:
    """Drop a step outside the schedule section that the schedule section states again."""
    sched = [r for r in rows if r[0].sched]
    if not sched:
        return rows
    windows = {r[0].window for r in sched}
    kinds = {(r[1], r[4]) for r in sched if r[4] is not None}  # (scope, work)
    return [
        r
        for r in rows
        if r[0].sched or (r[0].window not in windows and (r[1], r[4]) not in kinds)
    ]


def assemble(plan: Plan, cands: list[Candidate]) -> list[ProposedMilestone]:
    """Classify and title the candidates, drop repeats, order by due date and number them 1..n."""
    out: list[ProposedMilestone] = []
    seen: dict[tuple, ProposedMilestone] = {}
    rows = [(c, *classify(plan, c)) for c in sorted(cands, key=lambda c: c.pos)]
    for c, scope, responsible, evidence, work in drop_repeats(rows):
        title = make_title(plan, c)
        s, e = c.src
        notes = list(dict.fromkeys(c.notes))
        low = c.low
        if work is None:
            notes.append(_UNKNOWN_NOTE)
            low = True
        key = (c.window, scope, evidence, work)
        if key in seen:
            kept = seen[key]
            note = "Trùng với một bước khác trong kế hoạch; đã gộp"
            if note not in kept.notes:
                kept.notes.append(note)
            continue
        ms = ProposedMilestone(
            seq=0,
            title=title,
            starts_on=c.window[0],
            due_on=c.window[1],
            scope=scope,
            responsible=responsible,
            evidence_type=evidence,
            source_text=plan.t[s:e],
            source_start=s,
            source_end=e,
            confidence="low" if low else "high",
            notes=notes,
        )
        seen[key] = ms
        out.append(ms)
    order = {id(m): k for k, m in enumerate(out)}
    out.sort(key=lambda m: (m.due_on, order[id(m)]))
    for k, m in enumerate(out, 1):
        m.seq = k
    return out
