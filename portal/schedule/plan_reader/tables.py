"""Rows of a table: "| 1 | … | … |" or columns set apart by tabs or wide spaces.

A header row with "Nội dung"/"Thời gian"/"Đơn vị thực hiện" names the columns; without one the
columns are guessed (the number, the dated cell, the longest text, a cell naming a body).
"""

from __future__ import annotations

import re

from .actors import ACTORS
from .labels import HEADER_WORDS
from .model import MAX_CELLS, Line, Section, Step
from .plan import Plan

ROW_START_RE = re.compile(r"(\d{1,2})[.)]?(?=\t|\s{3,})")
GAP_RE = re.compile(r"\t+\s*|\s{3,}")
_SEP_ROW_RE = re.compile(r"[\s:|\-+=_.]*")


def pipe_row(plan: Plan, ln: Line, sec: Section, cur: Step | None):
    """A "| … | … |" row: "skip" (separator), "header", "merged" (a wrapped row) or a new row step."""
    t, f = plan.t, plan.f
    cells: list[tuple[int, int]] = []
    pos = ln.s + 1
    while pos <= ln.e:
        nxt = t.find("|", pos, ln.e)
        end = ln.e if nxt < 0 else nxt
        a, b = pos, end
        while a < b and t[a].isspace():
            a += 1
        while b > a and t[b - 1].isspace():
            b -= 1
        cells.append((a, b))
        if nxt < 0 or len(cells) >= MAX_CELLS:
            break
        pos = nxt + 1
    if cells and cells[-1][0] >= cells[-1][1] and t[ln.e - 1 : ln.e] == "|":
        cells.pop()
    if not cells or all(_SEP_ROW_RE.fullmatch(t[a:b]) for a, b in cells):
        return "skip"
    has_atoms = bool(plan.atoms_in(ln.s, ln.e))
    if not has_atoms:
        roles = [header_role(f[a:b]) for a, b in cells]
        if is_header(roles):
            sec.header = [(k, r) for k, r in enumerate(roles)]
            return "header"
    first_empty = cells[0][0] >= cells[0][1]
    if cur is not None and cur.kind == "row" and cur.pipe and first_empty:
        for k, (a, b) in enumerate(cells):
            if a < b:
                while len(cur.cols) <= k:
                    cur.cols.append([len(cur.cols), []])
                cur.cols[k][1].append((a, b))
        cur.end = ln.e
        return "merged"
    node = Step("row", 0, ln.s, ln.e, sec, pipe=True)
    node.cols = [[k, [(a, b)] if a < b else []] for k, (a, b) in enumerate(cells)]
    return node


def is_header(roles: list[str | None]) -> bool:
    """A header names at least two columns, one of them the content or the time."""
    named = sum(r is not None for r in roles)
    return named >= 2 and any(r in ("content", "time") for r in roles)


def header_role(cell_f: str) -> str | None:
    """The column a header cell names ("Nội dung" → "content"), if any."""
    for role, rx in HEADER_WORDS:
        if rx.search(cell_f):
            return role
    return None


def cells_by_gaps(plan: Plan, ln: Line) -> list[tuple[int, int, int]]:
    """Split a line at tabs and runs of 3+ spaces: [(x, s, e)] with x the column."""
    t = plan.t
    out = []
    pos = ln.s
    for m in GAP_RE.finditer(t, ln.s, ln.e):
        if len(out) >= MAX_CELLS:
            break
        if m.start() > pos:
            out.append((pos - ln.raw, pos, m.start()))
        pos = m.end()
    if pos < ln.e:
        out.append((pos - ln.raw, pos, ln.e))
    return out


def space_header(plan: Plan, ln: Line, sec: Section) -> bool:
    """Is the line a header of a wide-space table? If so, remember its columns."""
    if plan.atoms_in(ln.s, ln.e):
        return False
    cells = cells_by_gaps(plan, ln)
    roles = [header_role(plan.f[s:e]) for _, s, e in cells]
    if is_header(roles):
        sec.header = [(x, r) for (x, _, _), r in zip(cells, roles)]
        return True
    return False


def space_row(plan: Plan, ln: Line, sec: Section) -> Step:
    """A row of a wide-space table: one column per gap-separated cell."""
    node = Step("row", 0, ln.s, ln.e, sec)
    node.cols = [[x, [(s, e)]] for x, s, e in cells_by_gaps(plan, ln)]
    return node


def space_row_more(plan: Plan, node: Step, ln: Line) -> None:
    """Add a wrapped line of a wide-space table row to the column it sits under."""
    cols = node.cols
    if node.content_k is None:
        node.content_k = content_col(plan, node)
    content_k = node.content_k
    for x, s, e in cells_by_gaps(plan, ln):
        k = 0
        for j, col in enumerate(cols):
            if col[0] <= x + 2:
                k = j
        if k == 0 and len(cols) > 1:
            k = content_k
        cols[k][1].append((s, e))
    node.end = ln.e


def row_roles(plan: Plan, node: Step) -> list[str | None]:
    """The role of each column of a row: from the header row, else guessed."""
    cols = node.cols or []
    header = node.section.header
    roles: list[str | None] = [None] * len(cols)
    if header:
        for k, col in enumerate(cols):
            if node.pipe:
                roles[k] = header[k][1] if k < len(header) else None
            else:
                x = col[0]
                best = None
                for hx, role in header:
                    if hx <= x + 2:
                        best = role
                roles[k] = best if best is not None else header[0][1]
    if "content" not in roles:
        roles = guess_roles(plan, node, roles)
    return roles


def guess_roles(plan: Plan, node: Step, roles: list[str | None]) -> list[str | None]:
    """Without a header: the number, the dated cell, the longest text (content), a cell naming a body."""
    t = plan.t
    roles = list(roles)
    best_k, best_len = -1, -1
    for k, (_, spans) in enumerate(node.cols):
        text = " ".join(t[s:e] for s, e in spans)
        if k == 0 and re.fullmatch(r"\s*\d{1,2}[.)]?\s*", text):
            roles[k] = "no"
            continue
        if roles[k] is not None:
            continue
        if any(plan.atoms_in(s, e) for s, e in spans):
            roles[k] = "time"
            continue
        letters = sum(c.isalpha() for c in text)
        if letters > best_len:
            best_k, best_len = k, letters
    if best_k >= 0:
        roles[best_k] = "content"
    for k, (_, spans) in enumerate(node.cols):
        if roles[k] is None:
            text = " ".join(plan.f[s:e] for s, e in spans)
            if any(rx.search(text) for _, rx in ACTORS):
                roles[k] = "actor"
    return roles


def content_col(plan: Plan, node: Step) -> int:
    """The index of the content column (where wrapped lines without a column go)."""
    roles = row_roles(plan, node) if node.cols else []
    for k, r in enumerate(roles):
        if r == "content":
            return k
    return min(1, len(node.cols) - 1)
