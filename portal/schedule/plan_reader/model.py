"""What the plan reader works with: the milestone it proposes, its limits, and the shapes in between."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

# A plan is a few pages (20 pages ≈ 60,000 characters); longer text is read only up to this point
# (about 60 pages) so that a pasted archive or garbage can never make a request slow.
MAX_CHARS = 200_000
MAX_LINES = 8_000  # 20 pages are about 1,500 lines
MAX_CELLS = 24  # a table row has a handful of columns
# A plan has a few dozen dates; text with thousands is not a plan, so reading stops there.
MAX_DATES = 2000
MAX_STEPS = 300  # a plan has a dozen dated steps
TITLE_MAX = 90
PIECE_MAX = 600  # a title or a work word never needs more of a clause than this


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


@dataclass
class DateSpec:
    """One end of a date expression: a day, a month, a quarter or a vague part of the year."""

    kind: str  # day | month | quarter | vague
    d: int | None = None
    m: int | None = None
    y: int | None = None
    q: int | None = None
    part: str | None = None  # month: dau/giua/cuoi; vague: h1/h2/first3/first9/last3/last9/early/mid/late


@dataclass
class DateMention:
    """A date expression found in the plan: one day/month/quarter/part of the year, or a range of two."""

    start: int
    end: int
    first: DateSpec
    last: DateSpec
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
class Line:
    """A line of the plan, as offsets into the text."""

    raw: int  # offset of the line's first character
    s: int  # first non-space character
    e: int  # end of the last non-space character

    @property
    def blank(self) -> bool:
        return self.e <= self.s


@dataclass
class Section:
    """A part of the plan under a heading; a schedule section ("TIẾN ĐỘ THỰC HIỆN") wins over repeats elsewhere."""

    title: str = ""
    sched: bool = False
    excluded: bool = False
    levels: dict = field(default_factory=dict)
    header: list | None = None  # [(x, role)] of the last table header row


@dataclass
class Step:
    """An item, a paragraph, a line that starts with a date, or a table row; items nest."""

    kind: str  # item | para | row | datefirst
    level: int
    start: int
    end: int
    section: Section
    parent: Step | None = None
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


class Piece(NamedTuple):
    """A clause of a step, or a label sub-item ("- Thời gian: …"), with its dates."""

    s: int
    e: int
    label: str | None
    atoms: list


@dataclass
class Candidate:
    """A milestone before classification and titling: where it is, its window, and the text to read."""

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
