"""From a step's date mentions to its window (start or None, due date), with notes and confidence."""

from __future__ import annotations

from datetime import date, timedelta

from .date_rules import period
from .model import DateMention, DateSpec
from .plan import WS_RUN_RE, Plan
from .year_parts import COUNTED_PARTS, YEAR_PART_CONVENTIONS
from .years import year_of


def step_window(plan: Plan, atoms: list[DateMention]):
    """Resolve the step's dates to (window, notes, low) using the latest due date."""
    resolved = []
    for a in atoms:
        r = resolve(plan, a)
        if r is not None:
            resolved.append(r)
    if not resolved:
        return None
    window, notes, low = max(resolved, key=lambda r: (r[0][1], r[0][0] or date.min))
    notes = list(notes)
    others = {r[0] for r in resolved} - {window}
    start = window[0]
    inside = [w for w in others if w[0] is None and start and start <= w[1] < window[1]]
    if len(others) == 1 and inside:
        # "Trong tháng 6/2026, … gửi báo cáo trước ngày 25/6/2026": the month up to the deadline
        window = (window[0], inside[0][1])
        notes.append(f"Kết hợp hai mốc thời gian của bước: {show(window)}")
        others = set()
    if others:
        shown = ", ".join(sorted(show(w) for w in others)[:5])
        if len(others) > 5:
            shown += ", …"
        notes.append(f"Bước còn có mốc thời gian khác ({shown}); đề xuất theo mốc muộn nhất")
        low = True
    if window[1].month >= 10 and plan.plan_year and window[1].year == plan.plan_year:
        plan.late = True
    return window, notes, low


def show(w: tuple[date | None, date]) -> str:
    """A window as shown in notes: "01/03/2025 – 31/03/2025" or "trước 28/02/2025"."""
    s, d = w
    due = d.strftime("%d/%m/%Y")
    return f"{s.strftime('%d/%m/%Y')} – {due}" if s else f"trước {due}"


def resolve(plan: Plan, atom: DateMention) -> tuple[tuple[date | None, date], list[str], bool] | None:
    """The window of one date mention, its notes and low confidence; None without a year to take."""
    notes: list[str] = []
    phrase = WS_RUN_RE.sub(" ", plan.t[atom.start : atom.end]).strip()
    found = _range(plan, atom, phrase, notes) if atom.is_range else _single(plan, atom, phrase, notes)
    if found is None:
        return None
    window, low = found
    if plan.plan_year and window[1].year not in (plan.plan_year, plan.plan_year + 1):
        notes.append(f"Mốc thuộc năm {window[1].year}, khác năm kế hoạch ({plan.plan_year})")
        low = True
    if any("không có thật" in n for n in notes):
        low = True
    return window, notes, low


def _range(plan: Plan, atom: DateMention, phrase: str, notes: list[str]):
    """ "từ 07/12 đến 14/12/2023", "tháng 11-12/2025": the year (and month) written once serve both ends."""
    first, last = atom.first, atom.last
    first = DateSpec(first.kind, first.d, first.m, first.y, first.q, first.part)
    last = DateSpec(last.kind, last.d, last.m, last.y, last.q, last.part)
    if first.kind == "day" and first.m is None:
        first.m = last.m
    # "từ 28/12 đến 05/01/2026": the start is in the year before the end
    wraps = (first.m or 0, first.d or 0) > (last.m or 0, last.d or 0)
    if last.y is None and first.y is not None:
        last.y = first.y + wraps
    y2, rolled = year_of(plan, last, notes, atom.next_year)
    if y2 is None:
        return None
    if first.y is None:
        first.y = y2 - wraps
    lo, _ = period(first, first.y, notes)
    _, hi = period(last, y2, notes)
    if lo > hi:
        return None
    if first.kind != "day":
        notes.append(f"Thời hạn suy ra từ '{phrase}'")
    return (lo, hi), rolled


def _single(plan: Plan, atom: DateMention, phrase: str, notes: list[str]):
    """One day, month, quarter or part of the year, bound by the words before it (atom.mode)."""
    spec = atom.first
    y, rolled = year_of(plan, spec, notes, atom.next_year)
    if y is None:
        return None
    lo, hi = period(spec, y, notes)
    if spec.kind == "day":
        window, low = _day(hi, atom.mode, phrase, notes)
    elif spec.kind == "vague":
        window, low = _part_of_year(spec, lo, hi, atom.mode, phrase, notes)
    else:
        window, low = _month_or_quarter(lo, hi, atom.mode, phrase, notes)
    return window, low or rolled


def _day(day: date, mode: str | None, phrase: str, notes: list[str]):
    """A day is a deadline (open start); "từ ngày …" alone gives only a start, so it is flagged."""
    if mode == "from":
        notes.append(f"Chỉ có ngày bắt đầu ('{phrase}'); đề xuất hạn là ngày đó")
        return (None, day), True
    return (None, day), False


def _part_of_year(spec: DateSpec, lo: date, hi: date, mode: str | None, phrase: str, notes: list[str]):
    """Vague parts of the year are always low confidence; a count of months is due at its end."""
    notes.append(f"Thời hạn suy ra từ '{phrase}' ({YEAR_PART_CONVENTIONS[spec.part or 'late']})")
    if spec.part in COUNTED_PARTS or mode == "by":
        return (None, hi), True
    if mode == "before":
        return (None, lo - timedelta(days=1)), True
    return (lo, hi), True


def _month_or_quarter(lo: date, hi: date, mode: str | None, phrase: str, notes: list[str]):
    """The whole period; "chậm nhất … tháng 3" → due its last day; "trước tháng 3" → due the day before."""
    if mode == "before":
        notes.append(f"Thời hạn suy ra từ 'trước {phrase}': xong trước ngày {lo.strftime('%d/%m/%Y')}")
        return (None, lo - timedelta(days=1)), True
    if mode == "by":
        notes.append(f"Thời hạn suy ra từ '{phrase}': chậm nhất ngày cuối của kỳ")
        return (None, hi), False
    notes.append(f"Thời hạn suy ra từ '{phrase}'")
    return (lo, hi), False
