"""The plan's layout: sections (headings), steps (items, paragraphs, date-first lines, table rows).

Lines that are not items continue the item above (PDF line wraps); items nest by the kind of their
marker ("1.", "1.2.", "a)", "-", "+"), in the order the section first uses them.
"""

from __future__ import annotations

import re

from .labels import LABEL_RE
from .model import Line, Section, Step
from .plan import Plan
from .tables import GAP_RE, ROW_START_RE, pipe_row, space_header, space_row, space_row_more
from .zones import is_roman_heading

_MARKER_RE = re.compile(
    r"(?P<step>(?:buoc|giai\s*doan)\s*\d{1,2})\s*[:.)\-–]\s*"
    r"|(?P<num>\d{1,2}(?:\.\d{1,2}){0,3})\s*[.)](?!\d)\s*"
    r"|(?P<num2>\d{1,2}(?:\.\d{1,2}){1,3})\s+(?=[a-z])"
    r"|(?P<let>[a-z])\s*\)\s*|(?P<let2>[a-z])\.\s+"
    r"|(?P<bul>[-–—•+*·▪►○●◦■□✓➢❖])\s*(?=\S)"
)
_CLOSING_RE = re.compile(
    r"\s*(?:tren\s*day\s*la|trong\s*qua\s*trinh\s*(?:to\s*chuc\s*)?thuc\s*hien)"
)
_SCHED_HEAD_RE = re.compile(
    r"thoi\s*gian|tien\s*do|lich\s*trinh|moc\s*thoi\s*gian|thoi\s*han|to\s*chuc\s*thuc\s*hien"
    r"|phu\s*luc|cac\s*buoc|trien\s*khai\s*thuc\s*hien"
)
_EXCLUDED_HEAD_RE = re.compile(
    r"\s*(?:(?:phan\s*)?[ivx]{1,4}\s*[.):\-–—/]\s*)?(?:can\s*cu|muc\s*dich)"
)
_LETTERS_RE = re.compile(r"[^\W\d_]")


def is_caps_heading(plan: Plan, ln: Line) -> bool:
    """An undated line in capitals ("TIẾN ĐỘ THỰC HIỆN") heads a section."""
    s = plan.t[ln.s : ln.e]
    if len(s) > 150 or s != s.upper() or len(_LETTERS_RE.findall(s)) < 4:
        return False
    return not plan.atoms_in(ln.s, ln.e)


def build_steps(plan: Plan, body: list[int]) -> list[Step]:
    """The steps of the body, as trees under their sections; returns the top-level steps."""
    t, f = plan.t, plan.f
    roots: list[Step] = []
    sec = Section()
    stack: list[Step] = []
    cur: Step | None = None
    prev_blank = False
    prev_heading = False
    prev_row = False
    prev_end_char = ""

    def new_section(title: str) -> Section:
        s = Section(title=title)
        s.sched = bool(_SCHED_HEAD_RE.search(title))
        s.excluded = bool(_EXCLUDED_HEAD_RE.match(title))
        return s

    def add(node: Step) -> None:
        nonlocal cur
        while stack and stack[-1].level >= node.level:
            stack.pop()
        if stack:
            node.parent = stack[-1]
            stack[-1].children.append(node)
            node.sched = stack[-1].sched or node.section.sched
        else:
            node.sched = node.section.sched
            if not node.section.excluded:
                roots.append(node)
        stack.append(node)
        cur = node

    def level_of(key: str) -> int:
        levels = sec.levels
        if key not in levels:
            levels[key] = len(levels) + 1
        return levels[key]

    for i in body:
        ln = plan.lines[i]
        if ln.blank:
            prev_blank = True
            continue
        tl = t[ln.s : ln.e]
        fl = f[ln.s : ln.e]
        was_blank, prev_blank = prev_blank, False
        roman = is_roman_heading(plan, ln)
        # tables with pipes
        if tl.startswith("|") and not roman:
            handled = pipe_row(plan, ln, sec, cur if prev_row else None)
            if handled == "skip":  # a separator row "|---|---|"
                continue
            prev_heading, prev_row = False, True
            if handled == "header":
                prev_row = False
            elif handled != "merged":
                handled.level = level_of("row")
                add(handled)
            continue
        # tables with tab or wide-space columns
        row_m = ROW_START_RE.match(tl)
        gaps = len(GAP_RE.findall(tl, 0, 2000))
        if row_m and gaps >= 2 and not roman:
            node = space_row(plan, ln, sec)
            node.level = level_of("row")
            add(node)
            prev_heading, prev_row = False, True
            continue
        if not row_m and gaps >= 2 and space_header(plan, ln, sec):
            prev_heading, prev_row = False, False
            continue
        if prev_row and cur is not None and cur.kind == "row" and not cur.pipe:
            if not _MARKER_RE.match(fl) and not roman:
                space_row_more(plan, cur, ln)
                continue
        prev_row = False
        # headings
        if roman or is_caps_heading(plan, ln) and not _MARKER_RE.match(fl):
            if prev_heading and cur is None:
                sec.title = (sec.title + " " + fl)[:300]
                sec.sched = sec.sched or bool(_SCHED_HEAD_RE.search(fl))
            else:
                sec = new_section(fl)
            stack.clear()
            cur = None
            prev_heading = True
            prev_end_char = tl[-1:]
            continue
        prev_heading = False
        # items
        m = _MARKER_RE.match(fl)
        if m:
            key = m.lastgroup or "item"
            if key in ("num", "num2"):
                key = f"num{(m.group(key) or '').count('.') + 1}"
            elif key == "let2":
                key = "let"
            elif key == "bul":
                key = "bul" + {"–": "-", "—": "-"}.get(tl[0], tl[0])
            content_s = ln.s + m.end()
            node = Step("item", level_of(key), content_s, max(content_s, ln.e), sec)
            node.label = label_of(plan, node)
            add(node)
            prev_end_char = tl[-1:]
            continue
        if starts_with_date(plan, ln):
            node = Step("datefirst", level_of("datefirst"), ln.s, ln.e, sec)
            add(node)
            prev_end_char = tl[-1:]
            continue
        starts_upper = tl[:1].isupper()
        new_para = (
            cur is None
            or _CLOSING_RE.match(fl) is not None
            or was_blank and prev_end_char in ".:;!?" and starts_upper
            or cur.kind == "para" and prev_end_char in ".!?" and starts_upper and was_blank
        )
        if new_para:
            stack.clear()
            node = Step("para", 0, ln.s, ln.e, sec)
            node.sched = sec.sched
            if not sec.excluded:
                roots.append(node)
            stack.append(node)
            cur = node
        else:
            cur.end = ln.e
        prev_end_char = tl[-1:]
    # a short undated item naming a schedule ("1. Thời gian thực hiện") marks its subtree
    for node in roots:
        mark_schedule(plan, node)
    return roots


def mark_schedule(plan: Plan, node: Step) -> None:
    """A short undated item naming a schedule ("1. Thời gian thực hiện") marks its subtree."""
    if not node.sched and node.kind == "item" and node.end - node.start <= 80:
        named = _SCHED_HEAD_RE.search(plan.f[node.start : node.end])
        if named and not plan.atoms_in(node.start, node.end):
            node.sched = True
    for c in node.children:
        c.sched = c.sched or node.sched
        mark_schedule(plan, c)


def label_of(plan: Plan, node: Step) -> str | None:
    """The label a step starts with ("Thời gian:" → "time"), if any."""
    m = LABEL_RE.match(plan.f, node.start, node.end)
    return m.lastgroup if m else None


def starts_with_date(plan: Plan, ln: Line) -> bool:
    """ "Trước ngày 28/02/2025: …": a line that opens with a date and a colon is a step. """
    for a in plan.atoms_in(ln.s, min(ln.e, ln.s + 60)):
        if a.citation:
            continue
        if ln.s <= a.xs and plan.only_space(ln.s, a.xs) and a.colon:
            return True
        break
    return False
