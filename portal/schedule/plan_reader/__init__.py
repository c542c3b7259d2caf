"""Read a provincial plan ("Kế hoạch tổ chức hoạt động các Khối thi đua năm YYYY") and propose
the year's schedule from its dated steps.

``propose_milestones(text, year=None)`` is a pure function: it never raises on any string and
never looks at the clock. It returns ``ProposedMilestone`` objects for a person to review before
the schedule is saved (``POST /api/v1/years/<year>/milestones/propose``).

How the text is read
--------------------
* The text is NFC-normalised; every offset (``source_start``/``source_end``) points into
  ``nfc(text)``. Matching runs on ``fold_keep_length`` of it (lower case, no accents, đ→d, one
  character for one character), so unaccented, upper-case and NFD plans read the same.
* Skipped: the header (number, "Lam Sơn, ngày …"), the "Căn cứ …/Thực hiện …" preamble (up to the
  first "I." heading, or to "… như sau:"), sections headed "Căn cứ"/"Mục đích", everything from
  "Nơi nhận" to the end (unless a "PHỤ LỤC" follows), and dates that cite a document
  ("Nghị định số 98/2023/NĐ-CP ngày 31/12/2023", "Luật … ngày …", "… ngày … của Chính phủ").
* Steps are items ("1.", "1.2.", "a)", "-", "+", "•", "Bước 1:"), lines that start with a date and
  a colon ("Trước ngày 28/02/2025: …"), rows of a table ("| 1 | … | … |", tab or wide-space
  columns; a header row with "Nội dung"/"Thời gian"/"Đơn vị thực hiện" names the columns) or plain
  paragraphs. Lines that are not items continue the item above (PDF line wraps). A sub-item that is
  only a label ("- Thời gian: …", "- Đơn vị thực hiện: …") belongs to its parent step.
* A dated step outside a schedule section (headed like "THỜI GIAN THỰC HIỆN", "TIẾN ĐỘ …",
  "TỔ CHỨC THỰC HIỆN", "LỊCH TRÌNH", "PHỤ LỤC") is dropped when a schedule section states it again
  (same window, or same scope and document type). Steps with the same window, scope and document
  type are proposed once (note "Trùng …").
* Milestones are ordered by due date, then by their place in the text; ``seq`` is 1..n.
* Only the first ``MAX_CHARS`` characters, 8,000 lines, ``MAX_DATES`` dates and 300 dated steps
  are read, so garbage or a pasted archive stays fast; a real plan is far below these.

Dates (choices)
---------------
* One day ("Trước ngày 28/02/2025", "Chậm nhất là ngày …", "hạn chót …", "không muộn hơn …",
  "ngày 25/11/2025" alone): open start, due that day.
* A range ("Từ ngày 07/12/2023 đến 14/12/2023", "từ 16/12 đến 19/12/2025", "08-12/12/2025"): the
  window; the year (and month) written once at the end serve both ends.
* A month ("Trong tháng 3/2025", "Tháng 01/2023", "tháng 12"): the whole month; "chậm nhất/hạn …
  tháng 3", "(chậm nhất) (đến) hết tháng 3" → open start, due the last day; "trước tháng 3" → open start, due the last day of
  February; "đầu/giữa/cuối tháng 12" → days 1–10 / 11–20 / 21–end.
* A quarter ("Quý III/2025", "quý 3 năm 2025", "Quý I"): the quarter's window.
* Vague forms, used only when the step has no precise date, confidence "low":
  "6 tháng đầu năm" → due 30/06 (open start); "6 tháng cuối năm" → due 31/12 (open start);
  "3 / 9 tháng đầu năm" → due 31/03 / 30/09, "3 / 9 tháng cuối năm" → due 31/12 (open start);
  "đầu năm" → 01/01 – end of February; "giữa năm" → 01/06 – 31/07; "cuối năm" → 01/12 – 31/12.
* A day, month or quarter without a year takes the plan's year (``year`` when given, else the
  "năm YYYY" of the title, else the most common year of the body's dates); "… năm sau" takes the
  next year; a January/February date written after a step due in October–December rolls over to
  the next year (confidence "low"). Without any year the
  step is skipped. An impossible day ("29/02/2025", "31/04") is moved to the month's last day.
* Two deadlines in one step: when the step holds two or more clauses (split at ";" or at a
  sentence end) that each carry their own date *and* their own work ("Trước ngày 25/11: đơn vị gửi
  báo cáo …; trước ngày 30/11: Trưởng Khối tổ chức họp …"), each clause becomes its own milestone
  (note "Bước có nhiều thời hạn; …"). Several dates inside one clause give one milestone with the
  latest due date, a note listing the others, and confidence "low" — except a month or quarter
  that holds a deadline ("Trong tháng 6/2026 … trước ngày 25/6/2026" → 01/06 – 25/06). A step
  whose sub-items carry their own dates gives one milestone per sub-item.

Scope, responsible role, document type
--------------------------------------
The first work word of the step decides (ký giao ước → ``GU``; tiêu chí / thang điểm / bảng điểm
→ ``TC``, or ``KH`` when the step names only the bloc's rules or activity plan (quy chế, kế hoạch
hoạt động); sơ kết / 6 tháng → ``BC-SK``; kiểm tra → ``BB``; báo cáo tổng kết / tự chấm điểm /
kết quả chấm điểm → ``BC-TK``; họp Khối / bình xét / suy tôn → ``BB``; thẩm định → ``BB``;
Hội đồng / Cờ thi đua → ``QĐ`` (``TTr`` when a bloc or the Board proposes); hội nghị tổng kết →
Board, no document type; thông báo kết quả → ``TB``), and the subject of the sentence (Ban TĐKT /
Sở Nội vụ → board; Hội đồng / UBND tỉnh → council; Trưởng Khối / các Khối → bloc leader; các thành
viên / các đơn vị → member unit) settles scope and responsible role. A "Đơn vị thực hiện" column or
label wins over the sentence. A step with no recognised work gets confidence "low".

How the package is laid out
---------------------------
One module per part of the reading, in the order it happens:

* ``plan`` — the text (NFC, folded, dates masked); ``zones`` — the lines that may hold steps;
* dates: ``date_rules`` (the table of date forms, in order) over ``days``, ``months``,
  ``quarters``, ``year_parts``; then ``ranges`` ("từ … đến …"), ``deadline_words`` ("trước",
  "chậm nhất", …), ``citations`` (dates that cite a document); ``years`` (the plan's year);
  ``windows`` (a step's dates → its window);
* layout: ``structure`` (sections, items, paragraphs), ``tables``, ``labels``, ``clauses``;
* milestones: ``steps`` (candidates), ``work`` and ``actors`` (what and who), ``classify``
  (scope, role, document type), ``titles``, ``milestones`` (the ordered proposal).
"""

from __future__ import annotations

import logging

from .date_rules import find_dates
from .milestones import assemble
from .model import MAX_CHARS, MAX_DATES, MAX_STEPS, ProposedMilestone
from .plan import Plan
from .steps import collect
from .structure import build_steps
from .years import infer_plan_year
from .zones import body_lines, split_lines

__all__ = ["ProposedMilestone", "propose_milestones", "MAX_CHARS", "MAX_DATES"]

_log = logging.getLogger(__name__)


def propose_milestones(text: str, year: int | None = None) -> list[ProposedMilestone]:
    """Propose the year's milestones from the dated steps of a plan's text; never raises."""
    if not isinstance(text, str) or not text.strip():
        return []
    try:
        return _propose(text, year)
    except Exception:  # pragma: no cover - a safety net: a bad plan must never break a request
        _log.exception("plan_reader: could not read a plan of %d characters", len(text))
        return []


def _propose(text: str, year: int | None) -> list[ProposedMilestone]:
    """The reader without the safety net (tests call it so that a bug shows)."""
    plan = Plan(text, year)
    plan.lines = split_lines(plan)
    body = body_lines(plan)
    plan.atoms = find_dates(plan, body)
    plan.atom_starts = [a.start for a in plan.atoms]
    if plan.plan_year is None:
        plan.plan_year = infer_plan_year(plan)
    roots = build_steps(plan, body)
    cands = []
    for node in roots:
        cands.extend(collect(plan, node, ""))
        if len(cands) >= MAX_STEPS:
            break
    return assemble(plan, cands[:MAX_STEPS])
