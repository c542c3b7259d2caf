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
  tháng 3" → open start, due the last day; "trước tháng 3" → open start, due the last day of
  February; "đầu/giữa/cuối tháng 12" → days 1–10 / 11–20 / 21–end.
* A quarter ("Quý III/2025", "quý 3 năm 2025", "Quý I"): the quarter's window.
* Vague forms, used only when the step has no precise date, confidence "low":
  "6 tháng đầu năm" → due 30/06 (open start); "6 tháng cuối năm" → due 31/12 (open start);
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
"""

from __future__ import annotations

import bisect
import calendar
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from portal.text import fold_keep_length, iter_dates, nfc

__all__ = ["ProposedMilestone", "propose_milestones", "MAX_CHARS", "MAX_DATES"]

_log = logging.getLogger(__name__)

# A plan is a few pages (20 pages ≈ 60,000 characters); longer text is read only up to this point
# (about 60 pages) so that a pasted archive or garbage can never make a request slow.
MAX_CHARS = 200_000
_MAX_LINES = 8_000  # 20 pages are about 1,500 lines
_MAX_CELLS = 24  # a table row has a handful of columns
# A plan has a few dozen dates; text with thousands is not a plan, so reading stops there.
MAX_DATES = 2000
_MAX_STEPS = 300  # a plan has a dozen dated steps
_TITLE_MAX = 90
_PIECE_MAX = 600  # a title or a work word never needs more of a clause than this


@dataclass
class ProposedMilestone:
    """One step of a year's schedule as read from a plan; reviewed by a person before saving."""

    seq: int
    title: str
    starts_on: date | None
    due_on: date
    scope: str  # bloc | unit | board | council
    responsible: str  # leader | member | board | council
    evidence_type: str | None  # GU, TC, KH, BC-SK, BC-TK, BB, QĐ, TB, TTr or None
    source_text: str  # == nfc(text)[source_start:source_end]
    source_start: int
    source_end: int
    confidence: str = "high"  # high | low
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """Return the milestone as JSON-ready data (ISO dates)."""
        return {
            "seq": self.seq,
            "title": self.title,
            "starts_on": self.starts_on.isoformat() if self.starts_on else None,
            "due_on": self.due_on.isoformat(),
            "scope": self.scope,
            "responsible": self.responsible,
            "evidence_type": self.evidence_type,
            "source_text": self.source_text,
            "source_start": self.source_start,
            "source_end": self.source_end,
            "confidence": self.confidence,
            "notes": list(self.notes),
        }


def propose_milestones(text: str, year: int | None = None) -> list[ProposedMilestone]:
    """Propose the year's milestones from the dated steps of a plan's text; never raises."""
    if not isinstance(text, str) or not text.strip():
        return []
    try:
        return _propose(text, year)
    except Exception:  # pragma: no cover - a safety net: a bad plan must never break a request
        _log.exception("plan_reader: could not read a plan of %d characters", len(text))
        return []


# --------------------------------------------------------------------------------------------
# Regular expressions. All run on folded text (lower case, no accents, đ→d, whitespace → " ").
# No repeated group can match the empty string, and the few that search backwards from a date run on
# a bounded window, so none can backtrack catastrophically (see the "huge garbage" tests).
# --------------------------------------------------------------------------------------------

_MASK = "\x01"  # stands for a full date found by portal.text.iter_dates
_STRAY_MARK_RE = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_NB = r"(?<![\d/.,])"  # a number starts here (not inside a longer number or a symbol)
_DD = r"(?:3[01]|[12]\d|0?[1-9])"
_MM = r"(?:1[0-2]|0?[1-9])"
_YY = r"(?:19|20)\d\d"
_TO = r"(?:-|–|—|~|den|toi)"

_ATOM_RE = re.compile(
    # "6 tháng đầu năm", "6 tháng cuối năm"
    rf"(?P<half>\b(?:6|sau)\s*thang\s*(?P<hp>dau|cuoi)\s*nam\b(?:\s*(?P<hy>{_YY})\b)?)"
    # "đầu năm", "giữa năm", "cuối năm"
    rf"|(?P<vag>\b(?P<vp>dau|giua|cuoi)\s*nam\b(?!\s*(?:hoc|tai\s*chinh|sau|truoc|nay\s*va))"
    rf"(?:\s*(?P<vy>{_YY})\b)?)"
    # "08-12/12/2025", "16 đến 19/12/2025", "08 - 12/12"
    rf"|(?P<dr>{_NB}(?P<dr1>{_DD})\s*{_TO}\s*(?:ngay\s*)?(?P<dr2>{_DD})\s*/\s*(?P<drm>{_MM})"
    rf"(?:\s*/\s*(?P<dry>{_YY}))?(?![\d/]))"
    # full numeric dates iter_dates leaves out: spaced ("28 /02/ 2025"), impossible ("29/02/2025"),
    # or glued to a range ("08/12-12/12/2025")
    rf"|(?P<fn>{_NB}(?P<fd>{_DD})\s*(?P<fs>[/.\-])\s*(?P<fm>{_MM})\s*(?P=fs)\s*(?P<fy>{_YY})"
    rf"(?!\d)(?![/\-][\da-z]))"
    # "ngày 16 tháng 12" (with or without the year)
    rf"|(?P<wd>\bngay\s*(?P<wdd>{_DD})\s*thang\s*(?P<wdm>{_MM})"
    rf"(?:\s*,?\s*nam\s*(?P<wdy>{_YY}))?(?!\d))"
    # "tháng 11-12/2025", "từ tháng 6 đến tháng 7 năm 2025"
    rf"|(?P<mr>\b(?:tu\s*)?thang\s*(?P<mr1>{_MM})\s*(?:-|–|—|den|toi|va|,)\s*(?:het\s*)?"
    rf"(?:thang\s*)?(?P<mr2>{_MM})(?:\s*(?:/|-|,?\s*nam)\s*(?P<mry>{_YY}))?(?![\d/]))"
    # "tháng 3/2025", "cuối tháng 12 năm 2025"
    rf"|(?P<my>\b(?:(?P<myp>dau|giua|cuoi)\s*)?thang\s*(?P<mym>{_MM})\s*(?:/|-|\.|,?\s*nam)\s*"
    rf"(?P<myy>{_YY})(?!\d))"
    # "tháng 12"
    rf"|(?P<mo>\b(?:(?P<mop>dau|giua|cuoi)\s*)?thang\s*(?P<mom>{_MM})(?!\d)(?!\s*[/.]\s*\d))"
    # "Quý III/2025", "quý 3 năm 2025", "Quý I"
    rf"|(?P<qu>\bquy\s*(?P<q>iv|i{{1,3}}|[1-4])(?![a-z\d])"
    rf"(?:\s*(?:/|-|,?\s*nam)\s*(?P<qy>{_YY})(?!\d))?)"
    # "3/2025" (month/year without "tháng"; "05/2023/TT-BNV" is a document number)
    rf"|(?P<bm>{_NB}(?P<bmm>{_MM})\s*/\s*(?P<bmy>{_YY})(?!\d)(?![/\-]\s*[\da-z]))"
    # "16/12"
    rf"|(?P<dm>{_NB}(?P<dmd>{_DD})\s*/\s*(?P<dmm>{_MM})(?!\d)(?!\s*/\s*[\da-z]))"
    # "07" in "từ 07 đến 14/12/2023"
    rf"|(?P<dy>{_NB}(?P<dyd>{_DD})(?=\s*{_TO}\s*(?:ngay\s*)?(?:{_MASK}|{_DD}\s*/)))"
)

# Keywords may be split by a PDF extractor ("Trư ớc", "đê ́n"): letters allow up to two spaces.
_CONN_RE = re.compile(
    r"\s*(?:\([^()]{0,30}\)\s*)?"
    r"(?:-|–|—|~|d {0,2}e {0,2}n(?:\s*h {0,2}e {0,2}t)?|t {0,2}o {0,2}i|cho\s*den)"
    r"\s*(?:ngay|thang)?\s*"
)
_SET_RE = re.compile(r"\s*(?:,|va)\s*(?:ngay)?\s*")

_MODE_RE = re.compile(
    # never inside a symbol: "63-KL/TU ngày …" is not "từ ngày …"
    r"(?<![/\-])(?:"
    r"(?P<before>\b(?:hoan\s*thanh\s*|xong\s*)?t {0,2}r {0,2}u {0,2}o {0,2}c(?:\s*khi)?)"
    r"|(?P<by>\b(?:cham\s*nhat(?:\s*la)?(?:\s*(?:trong|vao))?"
    r"|han\s*chot(?:\s*la)?(?:\s*(?:trong|vao))?"
    r"|han\s*cuoi(?:\s*la)?|thoi\s*han(?:\s*la)?|khong\s*(?:muon|cham|qua)(?:\s*hon)?"
    r"|d {0,2}e {0,2}n(?:\s*het)?|hoan\s*thanh(?:\s*trong)?|xong|han))"
    r"|(?P<from>\b(?:t {0,2}u|bat\s*dau(?:\s*tu)?|ke\s*tu|sau))"
    r"|(?P<in>\b(?:trong(?:\s*thoi\s*gian)?|vao|dien\s*ra|thoi\s*gian(?:\s*thuc\s*hien)?\s*:"
    r"|tien\s*do\s*:))"
    r"|(?P<on>\b(?:cac\s*)?ngay)"
    r")\s*(?:la\s*)?(?:cac\s*)?(?:ngay|thang)?\s*:?\s*$"
)
_NEXT_YEAR_RE = re.compile(r"\s*(?:cua\s*)?nam\s*(?:sau|tiep\s*theo|toi)\b")
_DOCREF_RE = re.compile(
    r"\bso\s*:?\s*\d|\d\s*/\s*(?:\d{2,4}\s*/\s*)?[a-z]{1,10}\b|\b(?:bo\s*)?luat\b|\bphap\s*lenh\b"
    r"|\bhien\s*phap\b"
)
_CITE_LEFT_RE = re.compile(r"(?:\bngay|ban\s*hanh|,)\s*$")
_CITE_RIGHT_RE = re.compile(
    r"\s*(?:cua\s*(?:chinh\s*phu|thu\s*tuong|bo\b|ubnd|uy\s*ban|chu\s*tich|hdnd"
    r"|hoi\s*dong\s*nhan\s*dan|tinh\s*uy|ban\s*thuong\s*vu|ban\s*chap\s*hanh|quoc\s*hoi|so\b"
    r"|ban\s*thi\s*dua|ban\s*tdkt)"
    r"|ve\s*viec|v/v)"
)
_HEADER_DATE_RE = re.compile(r"(?:^|\s{2}|\t)[a-z][a-z .'\-]{1,40},\s*$")

_YEAR_TITLE_RE = re.compile(
    r"\bke\s*hoach\b[^.;:]{0,250}?\bnam\s*((?:19|20)\d\d)\b|\bthi\s*dua\s*nam\s*((?:19|20)\d\d)\b"
)

_ROMAN = {
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV",
}
_ROMAN_HEAD_RE = re.compile(
    r"(?:(?:PHẦN|Phần|PHAN|Phan)\s+)?(?P<r>[IVX]{1,4})\s*[.):\-–—/]\s*(?=\S)"
)
_MARKER_RE = re.compile(
    r"(?P<step>(?:buoc|giai\s*doan)\s*\d{1,2})\s*[:.)\-–]\s*"
    r"|(?P<num>\d{1,2}(?:\.\d{1,2}){0,3})\s*[.)](?!\d)\s*"
    r"|(?P<num2>\d{1,2}(?:\.\d{1,2}){1,3})\s+(?=[a-z])"
    r"|(?P<let>[a-z])\s*\)\s*|(?P<let2>[a-z])\.\s+"
    r"|(?P<bul>[-–—•+*·▪►○●◦■□✓➢❖])\s*(?=\S)"
)
_ROW_START_RE = re.compile(r"(\d{1,2})[.)]?(?=\t|\s{3,})")
_GAP_RE = re.compile(r"\t+\s*|\s{3,}")
_SEP_ROW_RE = re.compile(r"[\s:|\-+=_.]*")
_NOI_NHAN_RE = re.compile(r"\s*noi\s*nhan\b")
_PAGE_NO_RE = re.compile(r"\s*(?:-\s*)?(?:trang\s*)?\d{1,3}(?:\s*/\s*\d{1,3})?(?:\s*-)?\s*")
_PHU_LUC_RE = re.compile(r"\s*phu\s*luc\b")
_TITLE_LINE_RE = re.compile(r"\s*ke\s*hoach\b")
_NHU_SAU_RE = re.compile(r"nhu\s*sau\s*[:.]?\s*$")
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

_LABEL_RE = re.compile(
    r"\s*(?:(?P<time>thoi\s*gian(?:\s*(?:thuc\s*hien|hoan\s*thanh))?|thoi\s*han(?:\s*hoan\s*thanh)?"
    r"|han\s*chot|tien\s*do(?:\s*thuc\s*hien)?|moc\s*thoi\s*gian)"
    r"|(?P<actor>(?:don\s*vi|co\s*quan)\s*(?:thuc\s*hien|chu\s*tri|chiu\s*trach\s*nhiem)"
    r"|chu\s*tri(?:\s*thuc\s*hien)?|trach\s*nhiem(?:\s*thuc\s*hien)?|nguoi\s*thuc\s*hien"
    r"|thuc\s*hien)"
    r"|(?P<helper>phoi\s*hop(?:\s*thuc\s*hien)?)"
    r"|(?P<product>san\s*pham(?:\s*dau\s*ra)?|ket\s*qua(?:\s*dau\s*ra)?|minh\s*chung)"
    r"|(?P<content>noi\s*dung(?:\s*cong\s*viec)?|cong\s*viec|nhiem\s*vu)"
    r"|(?P<other>hinh\s*thuc|dia\s*diem|ghi\s*chu))\s*:"
)

_HEADER_WORDS = (
    ("no", re.compile(r"^\s*(?:stt|tt|so\s*tt)\s*$")),
    ("content", re.compile(r"noi\s*dung|cong\s*viec|nhiem\s*vu|hoat\s*dong")),
    ("time", re.compile(r"thoi\s*gian|thoi\s*han|tien\s*do|moc")),
    ("helper", re.compile(r"phoi\s*hop")),
    ("actor", re.compile(r"don\s*vi|chu\s*tri|thuc\s*hien|trach\s*nhiem|co\s*quan")),
    ("product", re.compile(r"san\s*pham|ket\s*qua|minh\s*chung")),
    ("other", re.compile(r"ghi\s*chu")),
)

# Work words: (name, pattern). The earliest match in a step names its work.
_ACTIVITIES: list[tuple[str, re.Pattern[str]]] = [
    ("council", re.compile(
        r"\bhoi\s*dong\b(?!\s*nhan\s*dan)|\bco\s*thi\s*dua\b|\bxet\s*tang\b|\btang\s*co\b"
        r"|\bho\s*so\s*(?:de\s*nghi\s*)?khen\s*thuong\b|\bde\s*nghi\s*khen\s*thuong\b"
    )),
    ("conference", re.compile(r"\bhoi\s*nghi\b")),
    ("appraisal", re.compile(r"\btham\s*dinh\b")),
    ("inspection", re.compile(r"\bkiem\s*tra\b")),
    ("pledge", re.compile(r"\bky\s*ket\b|(?<!dang )(?<!dinh )\bky\b(?=[^.;]{0,60}?giao\s*uoc)")),
    ("midyear", re.compile(
        r"\bso\s*ket\b(?!\s*qua)|\b(?:6|sau)\s*thang\s*dau\s*nam\b"
        r"|\bbao\s*cao\s*(?:ket\s*qua\s*)?(?:6|sau)\s*thang\b"
    )),
    ("selfscore", re.compile(r"\btu\s*cham(?:\s*diem)?\b|\btu\s*danh\s*gia\b")),
    ("yearend", re.compile(
        r"\bbao\s*cao\s*tong\s*ket\b|\btong\s*ket\s*(?:nam|cong\s*tac|phong\s*trao|hoat\s*dong)\b"
        r"|\bket\s*qua\s*cham\s*diem\b"
        r"|\bbao\s*cao\s*ket\s*qua\s*(?:thuc\s*hien\s*)?(?:cong\s*tac\s*|phong\s*trao\s*)?"
        r"thi\s*dua\s*nam\b"
    )),
    ("meeting", re.compile(r"\bhop\b|\bbinh\s*xet\b|\bsuy\s*ton\b|\bcham\s*diem\b|\bxep\s*hang\b")),
    ("criteria", re.compile(
        r"\btieu\s*chi\b|\bthang\s*(?:bang\s*)?diem\b|\bbang\s*(?:cham\s*)?diem\b|\bquy\s*che\b"
        r"|\bke\s*hoach\s*(?:hoat\s*dong|to\s*chuc\s*hoat\s*dong)\b"
        r"|\bchuong\s*trinh\s*(?:hoat\s*dong|cong\s*tac)\b"
    )),
    ("notice", re.compile(r"\bthong\s*bao\s*ket\s*qua\b")),
    ("register", re.compile(r"\bdang\s*ky\s*(?:thi\s*dua|danh\s*hieu)\b")),
]
_TC_WORDS_RE = re.compile(
    r"\btieu\s*chi\b|\bthang\s*(?:bang\s*)?diem\b|\bbang\s*(?:cham\s*)?diem\b"
)
# Folding merges words that the original tells apart: "họp" (meet) / "hợp" (phối hợp),
# "ký" (sign) / "kỳ" (định kỳ), "Cờ" (flag) / "có" (has), "sơ kết" / "số kết".
_ORIGINAL_CHECK = {
    "meeting": ("hop", "ọo"),
    "pledge": ("ky", "ýy"),
    "council": ("co thi", "ờo"),
    "midyear": ("so ket", "ơo"),
}

_ACTORS: list[tuple[str, re.Pattern[str]]] = [
    ("board", re.compile(
        r"\bban\s*(?:thi\s*dua|tdkt|td\s*-\s*kt)\b|\bso\s*noi\s*vu\b|\bco\s*quan\s*thuong\s*truc\b"
    )),
    ("council", re.compile(
        r"\bhoi\s*dong\s*(?:thi\s*dua|tdkt|td\s*-\s*kt)\b|\b(?:uy\s*ban\s*nhan\s*dan|ubnd)\s*tinh\b"
        r"|\bchu\s*tich\s*(?:uy\s*ban|ubnd)\b"
    )),
    ("leader", re.compile(
        r"\b(?:pho\s*)?truong\s*khoi\b|\b(?:cac|moi|tung)\s*khoi\b|\bkhoi\s*thi\s*dua\b"
    )),
    ("member", re.compile(
        r"\b(?:cac\s*)?thanh\s*vien\b|\b(?:cac|moi|tung)\s*(?:co\s*quan\s*,?\s*)?don\s*vi\b"
        r"|\bdon\s*vi\b|\bcac\s*(?:so|co\s*quan|dia\s*phuong)\b"
    )),
]
# An actor right after these words receives or helps; it is not who does the step.
_RECIPIENT_RE = re.compile(
    r"(?:\bve|\bcho|\btoi|\blen|\bden|tham\s*muu|\btrinh|phoi\s*hop(?:\s*voi)?|\bgiua|\bcua|\btai"
    r"|\bvoi|\bcung|\bgui)\s*$"
)

_SUBJECT_TMPL = (
    r"(?:(?:cac|moi|tung)\s*)?(?:"
    r"truong\s*khoi(?:\s*(?:va|,)\s*pho\s*truong\s*khoi)?|pho\s*truong\s*khoi"
    r"|khoi\s*thi\s*dua(?:\s*so\s*\d+)?|khoi|thanh\s*vien(?:\s*(?:trong|cua|thuoc)\s*khoi)?"
    r"|don\s*vi(?:\s*thanh\s*vien)?(?:\s*(?:trong|cua|thuoc)\s*khoi)?"
    r"|co\s*quan\s*,?\s*don\s*vi(?:\s*,?\s*dia\s*phuong)?(?:\s*(?:trong|cua|thuoc)\s*khoi)?"
    r"|so\s*,?\s*ban\s*,?\s*nganh(?:\s*,?\s*dia\s*phuong)?"
    r"|ban\s*(?:thi\s*dua\s*-?\s*khen\s*thuong|tdkt|td\s*-\s*kt)(?:\s*tinh)?|so\s*noi\s*vu"
    r"|(?P<%s>hoi\s*dong)(?:\s*(?:thi\s*dua\s*-?\s*khen\s*thuong|tdkt|td\s*-\s*kt))?(?:\s*tinh)?"
    r"|uy\s*ban\s*nhan\s*dan\s*tinh|ubnd\s*tinh|chu\s*tich\s*(?:ubnd|uy\s*ban\s*nhan\s*dan)\s*tinh"
    r")(?:\s*\([^()]{0,80}\))?"
)
_SUBJECT_RE = re.compile(
    rf"\s*{_SUBJECT_TMPL % 'council'}(?:\s*(?:,|va)\s*{_SUBJECT_TMPL % 'c2'}){{0,3}}"
    rf"(?:\s*,?\s*(?:chu\s*tri\s*,?\s*)?(?:phoi\s*hop|cung)(?:\s*voi)?\s*{_SUBJECT_TMPL % 'c3'})?"
    r"\s*,?\s*(?:(?:chu\s*tri|tien\s*hanh|co\s*trach\s*nhiem)\s*,?\s*)*"
    r"(?:to\s*chuc\s*(?=ky|hop|kiem\s*tra|tham\s*dinh|cham|binh\s*xet))?"
)
_SUBJECT_MIN_REST = 3
_LEAD_DEADLINE_RE = re.compile(r"\s*(?:han\s*chot|thoi\s*han|han\s*cuoi)\s*(?:de\s*|la\s*)?:?\s*")
_EMPTY_PARENS_RE = re.compile(r"\(\s*[,;:.\-–]*\s*\)")
_WS_RUN_RE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+(?=[,;:.)])")
_DOUBLE_PUNCT_RE = re.compile(r"[,;:](?=\s*[,;:.])")
# Words a title never ends with once its date is gone ("…, hoàn thành", "… phải", "… năm 2025").
_TRAIL_WORD_RE = re.compile(
    r"(?:\s(?:va|la|phai|can|se|duoc|vao)|,\s?thoi\s*gian(?:\s*thuc\s*hien)?"
    r"|,\s?(?:hoan\s*thanh|xong|ket\s*thuc|thuc\s*hien|gui|nop)|\snam\s*(?:19|20)\d\d)$"
)
_TRAIL_JUNK = " \t\n,;:.-–—(+*"
_LEAD_JUNK = " \t\n,;:.-–—)+*"
# A title stops before these (recipients and qualifiers: "… về Ban …", "… tại một số đơn vị").
_CUT_WORDS = frozenset({"về", "cho", "tới", "tại", "giữa", "theo", "lên", "để", "nhằm"})
_CUT_RE = re.compile(
    r"\s(?:ve|cho|toi|tai|giua|theo|len|de|nham)\s|\s*\(|\s(?:tren\s*co\s*so|can\s*cu)\s"
)
_BOUNDARY_RE = re.compile(r",\s|;\s|\s-\s|\sva\s")
_WORD_RE = re.compile(r"[a-z]{2,}")
_NONSPACE_RE = re.compile(r"\S")
_LETTERS_RE = re.compile(r"[^\W\d_]")
_CLAUSE_END_RE = re.compile(r";|\.\s+(\S)")

_SPLIT_NOTE = "Bước có nhiều thời hạn; mỗi thời hạn được đề xuất thành một mốc riêng"
_UNKNOWN_NOTE = "Không nhận ra loại công việc; cần xem lại phạm vi và loại văn bản minh chứng"
_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


# --------------------------------------------------------------------------------------------
# Internal structures
# --------------------------------------------------------------------------------------------


@dataclass
class _Spec:
    """One end of a date expression: a day, a month, a quarter or a vague part of the year."""

    kind: str  # day | month | quarter | vague
    d: int | None = None
    m: int | None = None
    y: int | None = None
    q: int | None = None
    part: str | None = None  # month: dau/giua/cuoi; vague: h1/h2/early/mid/late


@dataclass
class _Atom:
    start: int
    end: int
    first: _Spec
    last: _Spec
    is_range: bool = False
    mode: str | None = None  # before | by | from | in | on ("ngày …")
    xs: int = 0  # expression start (with "trước ngày", "từ", …)
    xe: int = 0  # expression end (with a following ":")
    citation: bool = False
    colon: bool = False  # followed by ":" ("Trước ngày 28/02/2025: …")
    next_year: bool = False  # followed by "năm sau" ("Quý I năm sau")

    @property
    def vague(self) -> bool:
        return self.first.kind == "vague"


@dataclass
class _Line:
    raw: int  # offset of the line's first character
    s: int  # first non-space character
    e: int  # end of the last non-space character

    @property
    def blank(self) -> bool:
        return self.e <= self.s


@dataclass
class _Section:
    title: str = ""
    sched: bool = False
    excluded: bool = False
    levels: dict = field(default_factory=dict)
    header: list | None = None  # [(x, role)] of the last table header row


@dataclass
class _Node:
    kind: str  # item | para | row | datefirst
    level: int
    start: int
    end: int
    section: _Section
    parent: _Node | None = None
    children: list = field(default_factory=list)
    label: str | None = None  # time | actor | helper | product | content | other
    cols: list | None = None  # rows: [[x, [(s, e), ...]], ...]
    pipe: bool = False
    sched: bool = False
    content_k: int | None = None  # wide-space rows: the content column, found once

    def subtree_end(self) -> int:
        node = self
        while node.children:
            node = node.children[-1]
        return max(self.end, node.end)


class _Piece(NamedTuple):
    """A clause of a step, or a label sub-item ("- Thời gian: …"), with its dates."""

    s: int
    e: int
    label: str | None
    atoms: list


@dataclass
class _Cand:
    pos: int
    src: tuple[int, int]
    window: tuple[date | None, date]
    title_pieces: list[list[tuple[int, int]]]  # each piece: spans read as one text
    remove: list[tuple[int, int]]
    class_pieces: list[tuple[int, int]]
    actor_pieces: list[tuple[int, int]]
    ctx: str
    notes: list[str]
    low: bool
    sched: bool


# --------------------------------------------------------------------------------------------
# The reader
# --------------------------------------------------------------------------------------------


def _propose(text: str, year: int | None) -> list[ProposedMilestone]:
    return _Reader(text, year).run()


def _last_day(y: int, m: int) -> int:
    return calendar.monthrange(y, m)[1]


def _safe_year(y: object) -> int | None:
    if isinstance(y, int) and not isinstance(y, bool) and 1900 <= y <= 2100:
        return y
    return None


class _Reader:
    def __init__(self, text: str, year: int | None) -> None:
        t = nfc(text)[:MAX_CHARS]
        f = fold_keep_length(t)
        if len(f) != len(t):  # pragma: no cover - fold_keep_length promises equal lengths
            f = "".join((fold_keep_length(c) or " ")[:1] for c in t)
        self.t = t
        # A mark that NFC could not attach (PDF text: "đê ́n") is a gap, not a letter.
        self.f = _STRAY_MARK_RE.sub(" ", f.replace(_MASK, " "))
        self.year_given = _safe_year(year)
        self.plan_year: int | None = self.year_given
        self.late = False  # a step due in October–December has been read
        self.rolled = False

    # ---- top level ---------------------------------------------------------------------------

    def run(self) -> list[ProposedMilestone]:
        self.lines = self._split_lines()
        body = self._body_lines()
        self.atoms = self._find_atoms(body)
        self.atom_starts = [a.start for a in self.atoms]
        if self.plan_year is None:
            self.plan_year = self._infer_year()
        roots = self._build_nodes(body)
        cands: list[_Cand] = []
        for node in roots:
            cands.extend(self._collect(node, ""))
            if len(cands) >= _MAX_STEPS:
                break
        return self._finish(cands[:_MAX_STEPS])

    # ---- lines and zones ---------------------------------------------------------------------

    def _split_lines(self) -> list[_Line]:
        out: list[_Line] = []
        pos = 0
        t = self.t
        for raw in t.splitlines(keepends=True):
            if len(out) >= _MAX_LINES:
                break
            body = raw.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
            stripped = body.lstrip()
            s = pos + (len(body) - len(stripped))
            e = pos + len(body.rstrip())
            out.append(_Line(pos, s, max(s, e)))
            pos += len(raw)
        return out

    def _lf(self, ln: _Line) -> str:
        return self.f[ln.s : ln.e]

    def _body_lines(self) -> list[int]:
        """Return the indexes of the lines that may hold steps (no header, preamble, signature)."""
        lines = self.lines
        n = len(lines)
        title_i = -1
        limit = min(n, 80)
        for i in range(limit):
            ln = lines[i]
            if ln.blank:
                continue
            if _TITLE_LINE_RE.match(self._lf(ln)) and self.t[ln.s : ln.s + 2].isupper():
                title_i = i
                break
        start = title_i + 1
        heading_i = -1
        for i in range(start, n):
            ln = lines[i]
            if not ln.blank and self._roman_heading(ln):
                heading_i = i
                break
        # the preamble ends with "… như sau:" or at the first "I." heading, whichever comes first
        stop = heading_i if heading_i >= 0 else start + max(40, (n - start) * 2 // 5)
        for i in range(start, min(n, stop)):
            ln = lines[i]
            if not ln.blank and _NHU_SAU_RE.search(self._lf(ln)):
                heading_i = i + 1
                break
        if heading_i >= 0:
            start = heading_i
        out: list[int] = []
        tail = False
        for i in range(start, n):
            ln = lines[i]
            if ln.blank:
                out.append(i)
                continue
            lf = self._lf(ln)
            if tail:
                if _PHU_LUC_RE.match(lf):
                    tail = False
                    out.append(i)
                continue
            if _NOI_NHAN_RE.match(lf):
                tail = True
                continue
            if _PAGE_NO_RE.fullmatch(lf):  # a page number left by the PDF extractor
                continue
            out.append(i)
        return out

    def _roman_heading(self, ln: _Line) -> bool:
        m = _ROMAN_HEAD_RE.match(self.t, ln.s, ln.e)
        return bool(m and m.group("r") in _ROMAN)

    # ---- dates ---------------------------------------------------------------------------------

    def _find_atoms(self, body: list[int]) -> list[_Atom]:
        """Find every date expression of the body: full dates from portal.text, the rest here."""
        t, f = self.t, self.f
        zones: list[tuple[int, int]] = []
        for i in body:
            ln = self.lines[i]
            if ln.blank:
                continue
            if zones and self._only_space(zones[-1][1], ln.s):
                zones[-1] = (zones[-1][0], ln.e)
            else:
                zones.append((ln.s, ln.e))
        atoms: list[_Atom] = []
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
            g_parts.append(_MASK * (e - s))
            last = e
        g_parts.append(f[last:])
        g = "".join(g_parts)
        self.g = g
        for s, e, d in full:
            spec = _Spec("day", d.day, d.month, d.year)
            atoms.append(_Atom(s, e, spec, spec))
        for zs, ze in zones:
            for m in _ATOM_RE.finditer(g, zs, ze):
                atom = self._atom_from_match(m)
                if atom is not None:
                    atoms.append(atom)
                if len(atoms) >= 2 * MAX_DATES:
                    break
            if len(atoms) >= 2 * MAX_DATES:
                break
        atoms.sort(key=lambda a: a.start)
        atoms = self._combine(atoms)
        for atom in atoms:
            self._set_mode(atom)
        return atoms

    def _only_space(self, a: int, b: int) -> bool:
        return not self.t[a:b].strip()

    @staticmethod
    def _atom_from_match(m: re.Match[str]) -> _Atom | None:
        kind = m.lastgroup
        s, e = m.start(), m.end()

        def num(name: str) -> int | None:
            v = m.group(name)
            return int(v) if v else None

        if kind == "half":
            part = "h1" if m.group("hp") == "dau" else "h2"
            spec = _Spec("vague", y=num("hy"), part=part)
        elif kind == "vag":
            part = {"dau": "early", "giua": "mid", "cuoi": "late"}[m.group("vp")]
            spec = _Spec("vague", y=num("vy"), part=part)
        elif kind == "dr":
            y = num("dry")
            a, b = num("dr1"), num("dr2")
            if a is None or b is None or a >= b:
                return None
            first = _Spec("day", a, num("drm"), y)
            last = _Spec("day", b, num("drm"), y)
            return _Atom(s, e, first, last, is_range=True)
        elif kind == "fn":
            spec = _Spec("day", num("fd"), num("fm"), num("fy"))
        elif kind == "wd":
            spec = _Spec("day", num("wdd"), num("wdm"), num("wdy"))
        elif kind == "mr":
            a, b = num("mr1"), num("mr2")
            if a is None or b is None or a >= b:
                return None
            y = num("mry")
            return _Atom(s, e, _Spec("month", m=a, y=y), _Spec("month", m=b, y=y), is_range=True)
        elif kind == "my":
            spec = _Spec("month", m=num("mym"), y=num("myy"), part=m.group("myp"))
        elif kind == "mo":
            spec = _Spec("month", m=num("mom"), part=m.group("mop"))
        elif kind == "qu":
            spec = _Spec("quarter", q=_QUARTERS[m.group("q")], y=num("qy"))
        elif kind == "bm":
            spec = _Spec("month", m=num("bmm"), y=num("bmy"))
        elif kind == "dm":
            spec = _Spec("day", num("dmd"), num("dmm"))
        elif kind == "dy":
            spec = _Spec("day", num("dyd"))
        else:  # pragma: no cover
            return None
        return _Atom(s, e, spec, spec)

    def _combine(self, atoms: list[_Atom]) -> list[_Atom]:
        """Join "A đến B" into one range; drop a day alone that is not the start of a range."""
        g = self.g
        out: list[_Atom] = []
        i = 0
        n = len(atoms)
        while i < n:
            a = atoms[i]
            if out and a.start < out[-1].end:  # overlapping finds: keep the first
                i += 1
                continue
            if i + 1 < n and not a.is_range:
                b = atoms[i + 1]
                between = g[a.end : b.start] if 0 <= b.start - a.end <= 40 else None
                if between is not None and not b.is_range and self._compatible(a.first, b.first):
                    joined = _CONN_RE.fullmatch(between) is not None
                    if not joined and a.first.kind == "day" and a.first.y is None and b.first.y:
                        # "ngày 16 và 17/12/2025"
                        joined = _SET_RE.fullmatch(between) is not None
                    if joined:
                        out.append(_Atom(a.start, b.end, a.first, b.first, is_range=True))
                        i += 2
                        continue
            if a.first.kind == "day" and a.first.m is None:
                i += 1
                continue
            out.append(a)
            i += 1
        return out

    @staticmethod
    def _compatible(a: _Spec, b: _Spec) -> bool:
        if a.kind != b.kind or a.kind == "vague":
            return False
        if a.kind == "day" and a.m is None:
            return b.m is not None
        return True

    def _set_mode(self, atom: _Atom) -> None:
        """Read the words before a date ("trước", "từ", "trong", …) and flag citations."""
        g = self.g
        lo = max(0, atom.start - 48)
        left = g[lo : atom.start]
        m = _MODE_RE.search(left)
        atom.xs = atom.start
        if m:
            atom.mode = m.lastgroup
            atom.xs = lo + m.start()
        atom.next_year = _NEXT_YEAR_RE.match(g, atom.end, atom.end + 20) is not None
        colon = re.match(r"\s*:", g[atom.end : atom.end + 4])
        atom.xe = atom.end + (colon.end() if colon else 0)
        atom.colon = bool(colon)
        if atom.mode in ("before", "by", "from", "in"):
            return
        # A date that cites a document is not a deadline.
        lc = g[max(0, atom.start - 90) : atom.start]
        cut = max(lc.rfind(". "), lc.rfind(";"), lc.rfind(": "))
        if cut >= 0:
            lc = lc[cut + 1 :]
        starts_with_ngay = self.f.startswith("ngay", atom.start)
        if (starts_with_ngay or _CITE_LEFT_RE.search(lc)) and _DOCREF_RE.search(lc):
            atom.citation = True
        elif starts_with_ngay or re.search(r"\bngay\s*$", lc):
            if _CITE_RIGHT_RE.match(g, atom.end):
                atom.citation = True
        if not atom.citation and atom.first.kind == "day" and not atom.is_range:
            # "Lam Sơn, ngày 08 tháng 01 năm 2025" (the document's own date)
            lo = max(0, atom.start - 80)
            line_start = self.t.rfind("\n", lo, atom.start) + 1 or lo
            words_form = "thang" in self.f[atom.start : atom.end]
            if words_form and _HEADER_DATE_RE.search(g[line_start : atom.start]):
                atom.citation = True

    def _infer_year(self) -> int | None:
        head = self.f[:4000]
        m = _YEAR_TITLE_RE.search(head)
        if m:
            return int(m.group(1) or m.group(2))
        years = Counter()
        for a in self.atoms:
            if a.citation:
                continue
            for spec in (a.first, a.last):
                if spec.y:
                    years[spec.y] += 1
        if years:
            return years.most_common(1)[0][0]
        return None

    def _atoms_in(self, s: int, e: int) -> list[_Atom]:
        i = bisect.bisect_left(self.atom_starts, s)
        out = []
        while i < len(self.atoms) and self.atoms[i].start < e:
            out.append(self.atoms[i])
            i += 1
        return out

    # ---- structure -----------------------------------------------------------------------------

    def _is_caps_heading(self, ln: _Line) -> bool:
        s = self.t[ln.s : ln.e]
        if len(s) > 150 or s != s.upper() or len(_LETTERS_RE.findall(s)) < 4:
            return False
        return not self._atoms_in(ln.s, ln.e)

    def _build_nodes(self, body: list[int]) -> list[_Node]:
        t, f = self.t, self.f
        roots: list[_Node] = []
        sec = _Section()
        stack: list[_Node] = []
        cur: _Node | None = None
        prev_blank = False
        prev_heading = False
        prev_row = False
        prev_end_char = ""

        def new_section(title: str) -> _Section:
            s = _Section(title=title)
            s.sched = bool(_SCHED_HEAD_RE.search(title))
            s.excluded = bool(_EXCLUDED_HEAD_RE.match(title))
            return s

        def add(node: _Node) -> None:
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
            ln = self.lines[i]
            if ln.blank:
                prev_blank = True
                continue
            tl = t[ln.s : ln.e]
            fl = f[ln.s : ln.e]
            was_blank, prev_blank = prev_blank, False
            roman = self._roman_heading(ln)
            # tables with pipes
            if tl.startswith("|") and not roman:
                handled = self._pipe_row(ln, sec, cur if prev_row else None)
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
            row_m = _ROW_START_RE.match(tl)
            gaps = len(_GAP_RE.findall(tl, 0, 2000))
            if row_m and gaps >= 2 and not roman:
                node = self._space_row(ln, sec)
                node.level = level_of("row")
                add(node)
                prev_heading, prev_row = False, True
                continue
            if not row_m and gaps >= 2 and self._space_header(ln, sec):
                prev_heading, prev_row = False, False
                continue
            if prev_row and cur is not None and cur.kind == "row" and not cur.pipe:
                if not _MARKER_RE.match(fl) and not roman:
                    self._space_row_more(cur, ln)
                    continue
            prev_row = False
            # headings
            if roman or self._is_caps_heading(ln) and not _MARKER_RE.match(fl):
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
                node = _Node("item", level_of(key), content_s, max(content_s, ln.e), sec)
                node.label = self._label(node)
                add(node)
                prev_end_char = tl[-1:]
                continue
            if self._date_first(ln):
                node = _Node("datefirst", level_of("datefirst"), ln.s, ln.e, sec)
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
                node = _Node("para", 0, ln.s, ln.e, sec)
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
            self._mark_sched(node)
        return roots

    def _mark_sched(self, node: _Node) -> None:
        if not node.sched and node.kind == "item" and node.end - node.start <= 80:
            named = _SCHED_HEAD_RE.search(self.f[node.start : node.end])
            if named and not self._atoms_in(node.start, node.end):
                node.sched = True
        for c in node.children:
            c.sched = c.sched or node.sched
            self._mark_sched(c)

    def _label(self, node: _Node) -> str | None:
        m = _LABEL_RE.match(self.f, node.start, node.end)
        return m.lastgroup if m else None

    def _date_first(self, ln: _Line) -> bool:
        for a in self._atoms_in(ln.s, min(ln.e, ln.s + 60)):
            if a.citation:
                continue
            if ln.s <= a.xs and self._only_space(ln.s, a.xs) and a.colon:
                return True
            break
        return False

    def _pipe_row(self, ln: _Line, sec: _Section, cur: _Node | None):
        t, f = self.t, self.f
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
            if nxt < 0 or len(cells) >= _MAX_CELLS:
                break
            pos = nxt + 1
        if cells and cells[-1][0] >= cells[-1][1] and t[ln.e - 1 : ln.e] == "|":
            cells.pop()
        if not cells or all(_SEP_ROW_RE.fullmatch(t[a:b]) for a, b in cells):
            return "skip"
        has_atoms = bool(self._atoms_in(ln.s, ln.e))
        if not has_atoms:
            roles = [self._header_role(f[a:b]) for a, b in cells]
            if self._is_header(roles):
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
        node = _Node("row", 0, ln.s, ln.e, sec, pipe=True)
        node.cols = [[k, [(a, b)] if a < b else []] for k, (a, b) in enumerate(cells)]
        return node

    @staticmethod
    def _is_header(roles: list[str | None]) -> bool:
        named = sum(r is not None for r in roles)
        return named >= 2 and any(r in ("content", "time") for r in roles)

    @staticmethod
    def _header_role(cell_f: str) -> str | None:
        for role, rx in _HEADER_WORDS:
            if rx.search(cell_f):
                return role
        return None

    def _cells_by_gaps(self, ln: _Line) -> list[tuple[int, int, int]]:
        """Split a line at tabs and runs of 3+ spaces: [(x, s, e)] with x the column."""
        t = self.t
        out = []
        pos = ln.s
        for m in _GAP_RE.finditer(t, ln.s, ln.e):
            if len(out) >= _MAX_CELLS:
                break
            if m.start() > pos:
                out.append((pos - ln.raw, pos, m.start()))
            pos = m.end()
        if pos < ln.e:
            out.append((pos - ln.raw, pos, ln.e))
        return out

    def _space_header(self, ln: _Line, sec: _Section) -> bool:
        if self._atoms_in(ln.s, ln.e):
            return False
        cells = self._cells_by_gaps(ln)
        roles = [self._header_role(self.f[s:e]) for _, s, e in cells]
        if self._is_header(roles):
            sec.header = [(x, r) for (x, _, _), r in zip(cells, roles)]
            return True
        return False

    def _space_row(self, ln: _Line, sec: _Section) -> _Node:
        node = _Node("row", 0, ln.s, ln.e, sec)
        node.cols = [[x, [(s, e)]] for x, s, e in self._cells_by_gaps(ln)]
        return node

    def _space_row_more(self, node: _Node, ln: _Line) -> None:
        """Add a wrapped line of a wide-space table row to the column it sits under."""
        cols = node.cols
        if node.content_k is None:
            node.content_k = self._content_col(node)
        content_k = node.content_k
        for x, s, e in self._cells_by_gaps(ln):
            k = 0
            for j, col in enumerate(cols):
                if col[0] <= x + 2:
                    k = j
            if k == 0 and len(cols) > 1:
                k = content_k
            cols[k][1].append((s, e))
        node.end = ln.e

    # ---- rows: column roles ----------------------------------------------------------------

    def _row_roles(self, node: _Node) -> list[str | None]:
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
            roles = self._guess_roles(node, roles)
        return roles

    def _guess_roles(self, node: _Node, roles: list[str | None]) -> list[str | None]:
        t = self.t
        roles = list(roles)
        best_k, best_len = -1, -1
        for k, (_, spans) in enumerate(node.cols):
            text = " ".join(t[s:e] for s, e in spans)
            if k == 0 and re.fullmatch(r"\s*\d{1,2}[.)]?\s*", text):
                roles[k] = "no"
                continue
            if roles[k] is not None:
                continue
            if any(self._atoms_in(s, e) for s, e in spans):
                roles[k] = "time"
                continue
            letters = sum(c.isalpha() for c in text)
            if letters > best_len:
                best_k, best_len = k, letters
        if best_k >= 0:
            roles[best_k] = "content"
        for k, (_, spans) in enumerate(node.cols):
            if roles[k] is None:
                text = " ".join(self.f[s:e] for s, e in spans)
                if any(rx.search(text) for _, rx in _ACTORS):
                    roles[k] = "actor"
        return roles

    def _content_col(self, node: _Node) -> int:
        roles = self._row_roles(node) if node.cols else []
        for k, r in enumerate(roles):
            if r == "content":
                return k
        return min(1, len(node.cols) - 1)

    # ---- candidates ------------------------------------------------------------------------

    def _usable(self, atoms: list[_Atom], node: _Node, piece_starts: list[int]) -> list[_Atom]:
        out = [a for a in atoms if not a.citation]
        precise = [a for a in out if not a.vague]
        if precise:
            return precise
        allowed = []
        for a in out:
            date_first = a.colon and self._leads(a, piece_starts)
            if node.sched or node.kind == "row" or date_first:
                allowed.append(a)
        return allowed

    def _removals(self, atoms: list[_Atom], piece_starts: list[int]) -> list[tuple[int, int]]:
        """Spans to leave out of a title: the dates, but a vague "cuối năm" only when it leads."""
        out = []
        for a in atoms:
            if a.vague and not self._leads(a, piece_starts):
                continue
            out.append((a.xs, a.xe))
        return sorted(out)

    def _leads(self, atom: _Atom, piece_starts: list[int]) -> bool:
        """Does the date expression open one of the pieces (sorted starts; only spaces before)?"""
        k = bisect.bisect_right(piece_starts, atom.xs) - 1
        if k < 0:
            return False
        m = _NONSPACE_RE.search(self.t, piece_starts[k], atom.xs + 1)
        return m is None or m.start() >= atom.xs

    def _collect(self, node: _Node, ctx: str) -> list[_Cand]:
        if node.kind == "row":
            cand = self._row_cand(node)
            return [cand] if cand else []
        attrs = [c for c in node.children if c.label]
        plain = [c for c in node.children if not c.label]
        own_f = self.f[node.start : node.end]
        mine = self._node_cands(node, attrs, plain, ctx)
        child_ctx = (own_f + " " + ctx)[:400]
        child_cands: list[_Cand] = []
        for c in plain:
            child_cands.extend(self._collect(c, child_ctx))
        if child_cands and mine:
            windows = {c.window for c in child_cands}
            mine = [m for m in mine if m.window not in windows and self._work_words(m)]
        return mine + child_cands

    def _work_words(self, cand: _Cand) -> bool:
        text = " ".join(self.f[s:e] for s, e in cand.class_pieces)
        return any(rx.search(text) for _, rx in _ACTIVITIES)

    def _clauses(self, s: int, e: int) -> list[tuple[int, int]]:
        """Split [s, e) at ";" and at sentence ends followed by a capital letter."""
        t = self.t
        cuts = []
        for m in _CLAUSE_END_RE.finditer(t, s, e):
            p = m.start()
            if t[p] == "." and not m.group(1).isupper():
                continue
            cuts.append((p, p + 1))
        # a line that starts with a label ("Thời gian: …", "Đơn vị thực hiện: …") starts a clause
        nl = t.find("\n", s, e)
        while nl >= 0 and len(cuts) < 200:
            if _LABEL_RE.match(self.f, nl + 1, e):
                cuts.append((nl, nl))
            nl = t.find("\n", nl + 1, e)
        out = []
        start = s
        for p, q in sorted(cuts):
            if p >= start:
                out.append((start, p))
                start = q
        out.append((start, e))
        return [self._trim(a, b) for a, b in out if self.t[a:b].strip()]

    def _trim(self, a: int, b: int) -> tuple[int, int]:
        t = self.t
        while a < b and t[a].isspace():
            a += 1
        while b > a and t[b - 1] in " \t\r\n;,":
            b -= 1
        return a, b

    def _has_work(self, s: int, e: int, atoms: list[_Atom]) -> bool:
        """Does the clause say what to do, beyond its date and a label?"""
        e = min(e, s + _PIECE_MAX)
        spans = sorted((a.xs, a.xe) for a in atoms if a.xe > s and a.xs < e)
        _, fo = self._strip_spans(s, e, spans)
        m = _LABEL_RE.match(fo)
        if m:
            fo = fo[m.end() :]
        return len(_WORD_RE.findall(fo, 0, 200)) >= 2

    def _node_cands(
        self, node: _Node, attrs: list[_Node], plain: list[_Node], ctx: str
    ) -> list[_Cand]:
        """Milestones from one step: one, or one per clause when clauses carry their own dates."""
        pieces = []
        for cs, ce in self._clauses(node.start, node.end):
            lm = _LABEL_RE.match(self.f, cs, ce)
            pieces.append(_Piece(cs, ce, lm.lastgroup if lm else None, self._atoms_in(cs, ce)))
        attr_pieces = [
            _Piece(c.start, c.subtree_end(), c.label, self._atoms_in(c.start, c.subtree_end()))
            for c in attrs
        ]
        starts = sorted(p.s for p in pieces + attr_pieces)
        usable = self._usable([a for p in pieces + attr_pieces for a in p.atoms], node, starts)
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
            and self._has_work(pieces[k].s, pieces[k].e, pieces[k].atoms)
        ]
        if len(dated) >= 2 and len(with_work) >= 2:
            split = self._split_cands(node, pieces, dated, actor_pieces, ctx, src_end)
            if split:
                return split

        atoms = [a for p in pieces + attr_pieces for a in p.atoms]
        win = self._window(atoms)
        if win is None:
            return []
        window, notes, low = win
        undated_children = [c for c in plain if not self._atoms_in(c.start, c.subtree_end())]
        title_pieces = [[(p.s, p.e)] for p in pieces if p.label in (None, "content")]
        title_pieces += [[(p.s, p.e)] for p in attr_pieces if p.label == "content"]
        if not any(self._has_work(*sp[0], self._atoms_in(*sp[0])) for sp in title_pieces[:4]):
            # "1. Thẩm định:" with the work in undated sub-items
            title_pieces += [[(c.start, c.end)] for c in undated_children[:2]]
        class_pieces = [(p.s, p.e) for p in pieces if p.label in (None, "content")]
        class_pieces += [
            (p.s, p.e) for p in pieces + attr_pieces if p.label in ("product", "content")
        ]
        class_pieces += [(c.start, c.subtree_end()) for c in undated_children]
        return [
            _Cand(
                pos=node.start,
                src=self._trim(node.start, src_end),
                window=window,
                title_pieces=title_pieces,
                remove=self._removals(atoms, starts),
                class_pieces=class_pieces,
                actor_pieces=actor_pieces,
                ctx=ctx,
                notes=notes,
                low=low,
                sched=node.sched,
            )
        ]

    def _split_cands(
        self,
        node: _Node,
        pieces: list[_Piece],
        dated: list[int],
        actor_pieces: list[tuple[int, int]],
        ctx: str,
        src_end: int,
    ) -> list[_Cand]:
        """One milestone per dated clause; undated clauses go with the dated clause before them."""
        segments = []
        for n, k in enumerate(dated):
            first = 0 if n == 0 else k
            last = dated[n + 1] if n + 1 < len(dated) else len(pieces)
            seg = pieces[first:last]
            win = self._window([a for p in seg for a in p.atoms])
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
                _Cand(
                    pos=s,
                    src=self._trim(s, e),
                    window=window,
                    title_pieces=[[(p.s, p.e)] for p in seg if p.label in (None, "content")],
                    remove=self._removals(
                        [a for p in seg for a in p.atoms], sorted(p.s for p in seg)
                    ),
                    class_pieces=[(p.s, p.e) for p in seg if p.label != "actor"],
                    actor_pieces=[(p.s, p.e) for p in seg if p.label == "actor"] or actor_pieces,
                    # a later clause without a subject borrows the step's first clause
                    ctx=(self.f[lead.s : lead.e] + " " + ctx)[:400] if n else ctx,
                    notes=notes + [_SPLIT_NOTE],
                    low=low,
                    sched=node.sched,
                )
            )
        return out

    def _row_cand(self, node: _Node) -> _Cand | None:
        roles = self._row_roles(node)
        spans_by_role: dict[str | None, list[tuple[int, int]]] = {}
        for k, (_, spans) in enumerate(node.cols):
            spans_by_role.setdefault(roles[k] if k < len(roles) else None, []).extend(spans)
        atoms = self._atoms_in(node.start, node.end)
        content = sorted(spans_by_role.get("content", []))
        usable = self._usable(atoms, node, [s for s, _ in content])
        if not usable:
            return None
        win = self._window(usable)
        if win is None:
            return None
        window, notes, low = win
        return _Cand(
            pos=node.start,
            src=self._trim(node.start, node.end),
            window=window,
            title_pieces=[content] if content else [],
            remove=self._removals(usable, [s for s, _ in content]),
            class_pieces=content + spans_by_role.get("product", []),
            actor_pieces=spans_by_role.get("actor", []),
            ctx="",
            notes=notes,
            low=low,
            sched=node.sched,
        )

    # ---- windows ---------------------------------------------------------------------------

    def _window(self, atoms: list[_Atom]):
        """Resolve the step's dates to (window, notes, low) using the latest due date."""
        resolved = []
        for a in atoms:
            r = self._resolve(a)
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
            notes.append(f"Kết hợp hai mốc thời gian của bước: {self._show(window)}")
            others = set()
        if others:
            shown = ", ".join(sorted(self._show(w) for w in others)[:5])
            if len(others) > 5:
                shown += ", …"
            notes.append(f"Bước còn có mốc thời gian khác ({shown}); đề xuất theo mốc muộn nhất")
            low = True
        if window[1].month >= 10 and self.plan_year and window[1].year == self.plan_year:
            self.late = True
        return window, notes, low

    @staticmethod
    def _show(w: tuple[date | None, date]) -> str:
        s, d = w
        due = d.strftime("%d/%m/%Y")
        return f"{s.strftime('%d/%m/%Y')} – {due}" if s else f"trước {due}"

    def _spec_year(self, spec: _Spec, notes: list[str], next_year: bool = False) -> int | None:
        if spec.y:
            return spec.y
        if self.plan_year is None:
            return None
        y = self.plan_year
        if next_year:
            notes.append(f"'năm sau' hiểu là năm {y + 1}")
            return y + 1
        month = spec.m or (spec.q - 1) * 3 + 1 if spec.kind in ("day", "month", "quarter") else None
        if month is not None and month <= 2 and self.late:
            y += 1
            notes.append(f"Không ghi năm; sau các mốc cuối năm nên hiểu là năm {y}")
            self.rolled = True
        else:
            notes.append(f"Không ghi năm; lấy năm {y} của kế hoạch")
        return y

    def _period(self, spec: _Spec, y: int, notes: list[str]) -> tuple[date, date]:
        if spec.kind == "day":
            m = spec.m or 1
            last = _last_day(y, m)
            d = spec.d or 1
            if d > last:
                notes.append(
                    f"Ngày {d:02d}/{m:02d}/{y} không có thật; "
                    f"dùng ngày cuối tháng {last:02d}/{m:02d}/{y}"
                )
                d = last
            day = date(y, m, d)
            return day, day
        if spec.kind == "month":
            m = spec.m or 1
            last = _last_day(y, m)
            lo, hi = 1, last
            if spec.part == "dau":
                hi = 10
            elif spec.part == "giua":
                lo, hi = 11, 20
            elif spec.part == "cuoi":
                lo = 21
            return date(y, m, lo), date(y, m, hi)
        if spec.kind == "quarter":
            q = spec.q or 1
            m0 = (q - 1) * 3 + 1
            return date(y, m0, 1), date(y, m0 + 2, _last_day(y, m0 + 2))
        part = spec.part
        if part == "h1":
            return date(y, 1, 1), date(y, 6, 30)
        if part == "h2":
            return date(y, 7, 1), date(y, 12, 31)
        if part == "early":
            return date(y, 1, 1), date(y, 2, _last_day(y, 2))
        if part == "mid":
            return date(y, 6, 1), date(y, 7, 31)
        return date(y, 12, 1), date(y, 12, 31)

    def _resolve(self, atom: _Atom):
        notes: list[str] = []
        low = False
        self.rolled = False
        first, last = atom.first, atom.last
        phrase = _WS_RUN_RE.sub(" ", self.t[atom.start : atom.end]).strip()
        if atom.is_range:
            first = _Spec(first.kind, first.d, first.m, first.y, first.q, first.part)
            last = _Spec(last.kind, last.d, last.m, last.y, last.q, last.part)
            if first.kind == "day" and first.m is None:
                first.m = last.m
            # "từ 28/12 đến 05/01/2026": the start is in the year before the end
            wraps = (first.m or 0, first.d or 0) > (last.m or 0, last.d or 0)
            if last.y is None and first.y is not None:
                last.y = first.y + wraps
            y2 = self._spec_year(last, notes, atom.next_year)
            if y2 is None:
                return None
            if first.y is None:
                first.y = y2 - wraps
            lo, _ = self._period(first, first.y, notes)
            _, hi = self._period(last, y2, notes)
            if lo > hi:
                return None
            if first.kind != "day":
                notes.append(f"Thời hạn suy ra từ '{phrase}'")
            window = (lo, hi)
        else:
            spec = first
            y = self._spec_year(spec, notes, atom.next_year)
            if y is None:
                return None
            lo, hi = self._period(spec, y, notes)
            mode = atom.mode
            if spec.kind == "day":
                window = (None, hi)
                if mode == "from":
                    notes.append(f"Chỉ có ngày bắt đầu ('{phrase}'); đề xuất hạn là ngày đó")
                    low = True
            elif spec.kind == "vague":
                low = True
                explain = {
                    "h1": "quy ước: hạn 30/06",
                    "h2": "quy ước: hạn 31/12",
                    "early": "quy ước: 01/01 đến hết tháng 02",
                    "mid": "quy ước: 01/06 đến 31/07",
                    "late": "quy ước: tháng 12",
                }[spec.part or "late"]
                notes.append(f"Thời hạn suy ra từ '{phrase}' ({explain})")
                if spec.part in ("h1", "h2") or mode == "by":
                    window = (None, hi)
                elif mode == "before":
                    window = (None, lo - timedelta(days=1))
                else:
                    window = (lo, hi)
            else:
                if mode == "before":
                    window = (None, lo - timedelta(days=1))
                    first_day = lo.strftime("%d/%m/%Y")
                    notes.append(
                        f"Thời hạn suy ra từ 'trước {phrase}': xong trước ngày {first_day}"
                    )
                    low = True
                elif mode == "by":
                    window = (None, hi)
                    notes.append(f"Thời hạn suy ra từ '{phrase}': chậm nhất ngày cuối của kỳ")
                else:
                    window = (lo, hi)
                    notes.append(f"Thời hạn suy ra từ '{phrase}'")
        if self.plan_year and window[1].year not in (self.plan_year, self.plan_year + 1):
            notes.append(f"Mốc thuộc năm {window[1].year}, khác năm kế hoạch ({self.plan_year})")
            low = True
        if self.rolled or any("không có thật" in n for n in notes):
            low = True
        return window, notes, low

    # ---- choosing, titles, classification ---------------------------------------------------

    @staticmethod
    def _repeats_schedule(rows: list) -> list:
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

    def _finish(self, cands: list[_Cand]) -> list[ProposedMilestone]:
        out: list[ProposedMilestone] = []
        seen: dict[tuple, ProposedMilestone] = {}
        rows = [(c, *self._classify(c)) for c in sorted(cands, key=lambda c: c.pos)]
        for c, scope, responsible, evidence, work in self._repeats_schedule(rows):
            title = self._title(c)
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
                source_text=self.t[s:e],
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

    def _joined(self, spans: list[tuple[int, int]]) -> tuple[str, str]:
        spans = [(s, min(e, s + 2000)) for s, e in spans[:8]]
        o = " ; ".join(self.t[s:e] for s, e in spans)
        fo = " ; ".join(self.f[s:e] for s, e in spans)
        return o, fo

    def _first_activity(self, o: str, fo: str) -> tuple[str | None, int]:
        best: tuple[int, int, str] | None = None
        for rank, (name, rx) in enumerate(_ACTIVITIES):
            check = _ORIGINAL_CHECK.get(name)
            for m in rx.finditer(fo):
                if check and fo.startswith(check[0], m.start()):
                    ch = o[m.start() + 1 : m.start() + 2].lower()
                    if ch and ch not in check[1]:
                        continue
                key = (m.start(), rank, name)
                if best is None or key < best:
                    best = key
                break
        if best is None:
            return None, -1
        return best[2], best[0]

    @staticmethod
    def _first_actor(fo: str, skip_recipients: bool, before: int | None = None) -> str | None:
        best: tuple[int, str] | None = None
        for name, rx in _ACTORS:
            for m in rx.finditer(fo, 0, len(fo) if before is None else before):
                if skip_recipients and _RECIPIENT_RE.search(fo[max(0, m.start() - 16) : m.start()]):
                    continue
                if best is None or m.start() < best[0]:
                    best = (m.start(), name)
                break
        return best[1] if best else None

    def _classify(self, c: _Cand) -> tuple[str, str, str | None, str | None]:
        """Return (scope, responsible, evidence type, work) of a step; work None = not recognised."""
        o, fo = self._joined(c.class_pieces or [sp for p in c.title_pieces for sp in p] or [c.src])
        activity, at = self._first_activity(o, fo)
        actor = None
        if c.actor_pieces:
            actor_f = self._joined(c.actor_pieces)[1]
            label = _LABEL_RE.match(actor_f)  # "Đơn vị thực hiện: …" names no one by its label
            actor = self._first_actor(actor_f[label.end() if label else 0 :], skip_recipients=False)
        if actor is None:
            # a conference "of the blocs" is the province's: only a subject before the words counts
            before = at if activity == "conference" else None
            actor = self._first_actor(fo, skip_recipients=True, before=before)
        if actor is None and c.ctx:
            actor = self._first_actor(c.ctx, skip_recipients=True)
        scope, responsible, evidence, known = self._decide(activity, actor, fo)
        return scope, responsible, evidence, activity if known else None

    @staticmethod
    def _decide(activity: str | None, K: str | None, fo: str) -> tuple[str, str, str | None, bool]:
        """Scope, responsible role and document type from the work and who does it."""
        if K == "council" and activity not in ("conference", None):
            return "council", "council", "QĐ", True
        if activity == "pledge":
            return "bloc", "leader", "GU", True
        if activity == "criteria":
            code = "TC" if _TC_WORDS_RE.search(fo) else "KH"
            if K == "board":
                return "board", "board", code, True
            return "bloc", "leader", code, True
        if activity == "midyear":
            if K == "member":
                return "unit", "member", "BC-SK", True
            if K == "board":
                return "board", "board", "BC-SK", True
            return "bloc", "leader", "BC-SK", True
        if activity == "inspection":
            if K == "leader":
                return "bloc", "leader", "BB", True
            if K == "member":
                return "unit", "member", "BB", True
            return "board", "board", "BB", True
        if activity in ("yearend", "selfscore"):
            if K == "member" or K is None and activity == "selfscore":
                return "unit", "member", "BC-TK", True
            if K == "board":
                return "board", "board", "BC-TK", True
            return "bloc", "leader", "BC-TK", True
        if activity == "meeting":
            if K == "board":
                return "board", "board", "BB", True
            return "bloc", "leader", "BB", True
        if activity == "appraisal":
            return "board", "board", "BB", True
        if activity == "council":
            if K in ("leader", "member"):
                return "bloc", "leader", "TTr", True
            if K == "board":
                return "board", "board", "TTr", True
            return "council", "council", "QĐ", True
        if activity == "conference":
            if K in ("leader", "member"):
                return "bloc", "leader", "BB", True
            return "board", "board", None, True
        if activity == "notice":
            return "board", "board", "TB", True
        if activity == "register":
            if K == "leader":
                return "bloc", "leader", None, True
            return "unit", "member", None, True
        if K == "board":
            return "board", "board", None, False
        if K == "council":
            return "council", "council", "QĐ", False
        if K == "member":
            return "unit", "member", None, False
        return "bloc", "leader", None, False

    # ---- titles ------------------------------------------------------------------------------

    def _strip_spans(self, s: int, e: int, remove: list[tuple[int, int]]) -> tuple[str, str]:
        """Return (original, folded) of [s, e) with the removed spans made single spaces."""
        t, f = self.t, self.f
        o_parts, f_parts = [], []
        pos = s
        k = max(0, bisect.bisect_left(remove, (s, s)) - 1)
        for a, b in remove[k:]:
            if a >= e:
                break
            a, b = max(a, s), min(b, e)
            if a >= b or b <= pos:
                continue
            a = max(a, pos)
            o_parts.append(t[pos:a] + " ")
            f_parts.append(f[pos:a] + " ")
            pos = b
        o_parts.append(t[pos:e])
        f_parts.append(f[pos:e])
        return "".join(o_parts), "".join(f_parts)

    @staticmethod
    def _sub(
        rx: re.Pattern[str], o: str, fo: str, repl: str = "", count: int = 0
    ) -> tuple[str, str]:
        """Apply a regex found on the folded text to both texts, keeping them aligned."""
        o_parts, f_parts = [], []
        pos = 0
        n = 0
        for m in rx.finditer(fo):
            o_parts.append(o[pos : m.start()] + repl)
            f_parts.append(fo[pos : m.start()] + repl)
            pos = m.end()
            n += 1
            if count and n >= count:
                break
        o_parts.append(o[pos:])
        f_parts.append(fo[pos:])
        return "".join(o_parts), "".join(f_parts)

    def _clean_piece(
        self, spans: list[tuple[int, int]], remove: list[tuple[int, int]]
    ) -> tuple[str, str]:
        texts = [self._strip_spans(s, min(e, s + _PIECE_MAX), remove) for s, e in spans[:6]]
        o = " ".join(x[0] for x in texts)
        fo = " ".join(x[1] for x in texts)
        o, fo = self._sub(_WS_RUN_RE, o, fo, " ")
        o, fo = self._sub(_EMPTY_PARENS_RE, o, fo, " ")
        o, fo = self._sub(_WS_RUN_RE, o, fo, " ")
        o, fo = self._sub(_SPACE_BEFORE_PUNCT_RE, o, fo)
        o, fo = self._sub(_DOUBLE_PUNCT_RE, o, fo)
        m = _LABEL_RE.match(fo)
        if m and m.lastgroup in ("content", "time"):
            o, fo = o[m.end() :], fo[m.end() :]
        o, fo = self._trim_junk(o, fo)
        head = fo.find(": ")
        named = 8 <= head <= 70 and len(_WORD_RE.findall(fo, 0, head)) >= 2
        if named and not _LEAD_DEADLINE_RE.match(fo):
            # "Xây dựng tiêu chí chấm điểm: Trưởng Khối chủ trì, …" names its step before the colon
            o, fo = o[:head], fo[:head]
        m = _LEAD_DEADLINE_RE.match(fo)
        if m and m.end() < len(fo):
            o, fo = o[m.end() :], fo[m.end() :]
        # the sentence's subject ("Trưởng Khối", "Ban Thi đua - Khen thưởng (Sở Nội vụ) phối hợp …")
        m = _SUBJECT_RE.match(fo)
        if m and m.end() > 0 and len(fo) - m.end() >= _SUBJECT_MIN_REST:
            council = m.group("council")
            prefix_o = prefix_f = ""
            if council:
                cs = m.start("council")
                prefix_o = o[cs : cs + len(council)] + " "
                prefix_f = fo[cs : cs + len(council)] + " "
            o, fo = prefix_o + o[m.end() :], prefix_f + fo[m.end() :]
            o, fo = self._trim_junk(o, fo)
        # cut before recipients and qualifiers ("về Ban …", "tại …", "giữa các thành viên", "(…")
        for m in _CUT_RE.finditer(fo):
            if m.start() < 12:
                continue
            word = o[m.start() : m.end()].strip().lower()
            folded = fo[m.start() : m.end()].strip()
            if folded.startswith("(") or self._cut_word_ok(word, folded):
                o, fo = o[: m.start()], fo[: m.start()]
                break
        return self._trim_junk(o, fo)

    @staticmethod
    def _cut_word_ok(word: str, folded: str) -> bool:
        first = word.split(" ")[0]
        if first in _CUT_WORDS:
            return True
        if first.isascii():  # unaccented text: "de" may be "đề" (đề nghị), "len"/"toi" other words
            return folded.split(" ")[0] in ("ve", "cho", "giua", "theo", "tai")
        return folded.startswith(("tren", "can"))

    @staticmethod
    def _trim_junk(o: str, fo: str) -> tuple[str, str]:
        """Strip punctuation and dangling words at both ends (o and fo stay aligned)."""
        for _ in range(6):
            before = len(fo)
            k = len(fo) - len(fo.lstrip(_LEAD_JUNK))
            o, fo = o[k:], fo[k:]
            n = len(fo.rstrip(_TRAIL_JUNK))
            o, fo = o[:n], fo[:n]
            m = _TRAIL_WORD_RE.search(fo, max(0, len(fo) - 40))
            if m:
                o, fo = o[: m.start()], fo[: m.start()]
            if len(fo) == before:
                break
        return o, fo

    @staticmethod
    def _shorten(o: str, fo: str, budget: int) -> tuple[str, str] | None:
        """Cut at the last clause boundary (else the last space) that fits ``budget``."""
        if len(o) <= budget:
            return o, fo
        best = -1
        for m in _BOUNDARY_RE.finditer(fo):
            if 12 <= m.start() <= budget:
                best = m.start()
        if best < 0:
            sp = fo.rfind(" ", 0, budget + 1)
            if sp < 12:
                return None
            best = sp
        return o[:best].rstrip(" ,;-"), fo[:best].rstrip(" ,;-")

    def _title(self, c: _Cand) -> str:
        parts = []
        for piece in c.title_pieces:
            o, fo = self._clean_piece(piece, c.remove)
            # a first piece may be one word ("Thẩm định"); a second must say more than "trước"
            if len(_WORD_RE.findall(fo)) >= (2 if parts else 1) and len(o) >= 3:
                parts.append((o, fo))
            if len(parts) == 2:
                break
        if not parts:
            for s, e in c.class_pieces:
                o, fo = self._clean_piece([(s, e)], c.remove)
                if len(o) >= 3:
                    parts.append((o, fo))
                    break
        if not parts:
            return "Mốc công việc theo kế hoạch"
        title_o, title_f = parts[0]
        short = self._shorten(title_o, title_f, _TITLE_MAX)
        title_o, title_f = short if short else (title_o[:_TITLE_MAX].rsplit(" ", 1)[0], "")
        if len(parts) > 1:
            budget = _TITLE_MAX - len(title_o) - 2
            second = self._shorten(parts[1][0], parts[1][1], budget) if budget >= 12 else None
            if second and second[0]:
                title_o = f"{title_o}; {second[0]}"
        title_o = title_o.strip()
        if title_o.isupper() and len(title_o) > 3:  # "KÝ KẾT GIAO ƯỚC THI ĐUA" → sentence case
            title_o = title_o.lower()
        return title_o[:1].upper() + title_o[1:]
