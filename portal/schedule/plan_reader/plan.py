"""The plan's text in the three forms every rule reads, and the lookups they share.

* ``t`` — the text, NFC, cut at ``MAX_CHARS``; every offset of a milestone points into it.
* ``f`` — ``t`` folded one character for one character (lower case, no accents, đ→d), so that
  unaccented, upper-case and NFD plans match the same patterns at the same offsets.
* ``g`` — ``f`` with the full dates found by ``portal.text.iter_dates`` masked (``MASK``), so
  the date forms here do not read them a second time.
"""

from __future__ import annotations

import bisect
import re

from portal.text import fold_keep_length, nfc

from .date_form import MASK
from .model import MAX_CHARS, DateMention, Line

_STRAY_MARK_RE = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Shared by clauses and titles: a word (two letters or more) and a run of spaces, in folded text.
WORD_RE = re.compile(r"[a-z]{2,}")
WS_RUN_RE = re.compile(r"\s+")


def safe_year(y: object) -> int | None:
    """The given year if it is a plausible one, else None (a caller may pass anything)."""
    if isinstance(y, int) and not isinstance(y, bool) and 1900 <= y <= 2100:
        return y
    return None


class Plan:
    """The text being read and what has been learnt about it so far."""

    def __init__(self, text: str, year: int | None) -> None:
        t = nfc(text)[:MAX_CHARS]
        f = fold_keep_length(t)
        if len(f) != len(t):  # pragma: no cover - fold_keep_length promises equal lengths
            f = "".join((fold_keep_length(c) or " ")[:1] for c in t)
        self.t = t
        # A mark that NFC could not attach (PDF text: "đê ́n") is a gap, not a letter.
        self.f = _STRAY_MARK_RE.sub(" ", f.replace(MASK, " "))
        self.year_given = safe_year(year)
        self.plan_year: int | None = self.year_given
        self.late = False  # a step due in October–December has been read
        self.lines: list[Line] = []
        self.atoms: list[DateMention] = []
        self.atom_starts: list[int] = []
        self.g = self.f

    def lf(self, ln: Line) -> str:
        """The folded text of a line."""
        return self.f[ln.s : ln.e]

    def only_space(self, a: int, b: int) -> bool:
        return not self.t[a:b].strip()

    def atoms_in(self, s: int, e: int) -> list[DateMention]:
        """The date mentions that start in [s, e), in order."""
        i = bisect.bisect_left(self.atom_starts, s)
        out = []
        while i < len(self.atoms) and self.atoms[i].start < e:
            out.append(self.atoms[i])
            i += 1
        return out

    def trim(self, a: int, b: int) -> tuple[int, int]:
        """Shrink [a, b) past spaces at both ends and separators at the end."""
        t = self.t
        while a < b and t[a].isspace():
            a += 1
        while b > a and t[b - 1] in " \t\r\n;,":
            b -= 1
        return a, b

    def strip_spans(self, s: int, e: int, remove: list[tuple[int, int]]) -> tuple[str, str]:
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
