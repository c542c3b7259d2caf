"""Candidate milestones from the steps: one per dated step, per dated clause or per dated sub-item."""

from __future__ import annotations

from .clauses import clauses, date_spans_to_remove, has_work, usable_dates
from .labels import LABEL_RE
from .model import Candidate, Piece, Step
from .plan import Plan
from .tables import row_roles
from .windows import step_window
from .work import ACTIVITIES

_SPLIT_NOTE = "Bước có nhiều thời hạn; mỗi thời hạn được đề xuất thành một mốc riêng"


def collect(plan: Plan, node: Step, ctx: str) -> list[Candidate]:
    """Candidates of a step and its sub-items; a parent restating its children's dates yields to them."""
    if node.kind == "row":
        cand = row_candidate(plan, node)
        return [cand] if cand else []
    attrs = [c for c in node.children if c.label]
    plain = [c for c in node.children if not c.label]
    own_f = plan.f[node.start : node.end]
    mine = step_candidates(plan, node, attrs, plain, ctx)
    child_ctx = (own_f + " " + ctx)[:400]
    child_cands: list[Candidate] = []
    for c in plain:
        child_cands.extend(collect(plan, c, child_ctx))
    if child_cands and mine:
        windows = {c.window for c in child_cands}
        mine = [m for m in mine if m.window not in windows and names_work(plan, m)]
    return mine + child_cands


def names_work(plan: Plan, cand: Candidate) -> bool:
    """Does the candidate name a work (a parent step kept beside its dated sub-items must)?"""
    text = " ".join(plan.f[s:e] for s, e in cand.class_pieces)
    return any(rx.search(text) for _, rx in ACTIVITIES)


def step_candidates(
    plan: Plan, node: Step, attrs: list[Step], plain: list[Step], ctx: str
) -> list[Candidate]:
    """Milestones from one step: one, or one per clause when clauses carry their own dates."""
    pieces = []
    for cs, ce in clauses(plan, node.start, node.end):
        lm = LABEL_RE.match(plan.f, cs, ce)
        pieces.append(Piece(cs, ce, lm.lastgroup if lm else None, plan.atoms_in(cs, ce)))
    attr_pieces = [
        Piece(c.start, c.subtree_end(), c.label, plan.atoms_in(c.start, c.subtree_end()))
        for c in attrs
    ]
    starts = sorted(p.s for p in pieces + attr_pieces)
    usable = usable_dates(plan, [a for p in pieces + attr_pieces for a in p.atoms], node, starts)
    if not usable:
        return []
    use_ids = {id(a) for a in usable}
    pieces = [p._replace(atoms=[a for a in p.atoms if id(a) in use_ids]) for p in pieces]
    attr_pieces = [
        p._replace(atoms=[a for a in p.atoms if id(a) in use_ids]) for p in attr_pieces
    ]
    actor_pieces = [(p.s, p.e) for p in pieces + attr_pieces if p.label == "actor"]
    src_end = node.subtree_end()

    dated = [k for k, p in enumerate(pieces) if p.atoms]
    with_work = [
        k
        for k in dated
        if pieces[k].label in (None, "content")
        and has_work(plan, pieces[k].s, pieces[k].e, pieces[k].atoms)
    ]
    if len(dated) >= 2 and len(with_work) >= 2:
        split = split_candidates(plan, node, pieces, dated, actor_pieces, ctx, src_end)
        if split:
            return split

    atoms = [a for p in pieces + attr_pieces for a in p.atoms]
    win = step_window(plan, atoms)
    if win is None:
        return []
    window, notes, low = win
    undated_children = [c for c in plain if not plan.atoms_in(c.start, c.subtree_end())]
    title_pieces = [[(p.s, p.e)] for p in pieces if p.label in (None, "content")]
    title_pieces += [[(p.s, p.e)] for p in attr_pieces if p.label == "content"]
    if not any(has_work(plan, *sp[0], plan.atoms_in(*sp[0])) for sp in title_pieces[:4]):
        # "1. Thẩm định:" with the work in undated sub-items
        title_pieces += [[(c.start, c.end)] for c in undated_children[:2]]
    class_pieces = [(p.s, p.e) for p in pieces if p.label in (None, "content")]
    class_pieces += [
        (p.s, p.e) for p in pieces + attr_pieces if p.label in ("product", "content")
    ]
    class_pieces += [(c.start, c.subtree_end()) for c in undated_children]
    return [
        Candidate(
            pos=node.start,
            src=plan.trim(node.start, src_end),
            window=window,
            title_pieces=title_pieces,
            remove=date_spans_to_remove(plan, atoms, starts),
            class_pieces=class_pieces,
            actor_pieces=actor_pieces,
            ctx=ctx,
            notes=notes,
            low=low,
            sched=node.sched,
        )
    ]


def split_candidates(
    plan: Plan,
    node: Step,
    pieces: list[Piece],
    dated: list[int],
    actor_pieces: list[tuple[int, int]],
    ctx: str,
    src_end: int,
) -> list[Candidate]:
    """One milestone per dated clause; undated clauses go with the dated clause before them."""
    segments = []
    for n, k in enumerate(dated):
        first = 0 if n == 0 else k
        last = dated[n + 1] if n + 1 < len(dated) else len(pieces)
        seg = pieces[first:last]
        win = step_window(plan, [a for p in seg for a in p.atoms])
        if win is not None:
            segments.append((seg, win))
    if len({win[0] for _, win in segments}) < 2:
        return []
    out = []
    for n, (seg, (window, notes, low)) in enumerate(segments):
        s, e = seg[0].s, seg[-1].e
        if n == len(segments) - 1:
            e = src_end
        lead = pieces[0]
        out.append(
            Candidate(
                pos=s,
                src=plan.trim(s, e),
                window=window,
                title_pieces=[[(p.s, p.e)] for p in seg if p.label in (None, "content")],
                remove=date_spans_to_remove(plan, [a for p in seg for a in p.atoms], sorted(p.s for p in seg)),
                class_pieces=[(p.s, p.e) for p in seg if p.label != "actor"],
                actor_pieces=[(p.s, p.e) for p in seg if p.label == "actor"] or actor_pieces,
                # a later clause without a subject borrows the step's first clause
                ctx=(plan.f[lead.s : lead.e] + " " + ctx)[:400] if n else ctx,
                notes=notes + [_SPLIT_NOTE],
                low=low,
                sched=node.sched,
            )
        )
    return out


def row_candidate(plan: Plan, node: Step) -> Candidate | None:
    """A table row: its content column is the title, its actor column says who does it."""
    roles = row_roles(plan, node)
    spans_by_role: dict[str | None, list[tuple[int, int]]] = {}
    for k, (_, spans) in enumerate(node.cols):
        spans_by_role.setdefault(roles[k] if k < len(roles) else None, []).extend(spans)
    atoms = plan.atoms_in(node.start, node.end)
    content = sorted(spans_by_role.get("content", []))
    usable = usable_dates(plan, atoms, node, [s for s, _ in content])
    if not usable:
        return None
    win = step_window(plan, usable)
    if win is None:
        return None
    window, notes, low = win
    return Candidate(
        pos=node.start,
        src=plan.trim(node.start, node.end),
        window=window,
        title_pieces=[content] if content else [],
        remove=date_spans_to_remove(plan, usable, [s for s, _ in content]),
        class_pieces=content + spans_by_role.get("product", []),
        actor_pieces=spans_by_role.get("actor", []),
        ctx="",
        notes=notes,
        low=low,
        sched=node.sched,
    )
