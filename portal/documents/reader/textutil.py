"""Small helpers over lines and cells of extracted text."""

from __future__ import annotations

import re
import unicodedata

from portal.documents.textlayer import (
    is_vietnamese_syllable,
)
from portal.text import fold_keep_length

_CLEAN_MAP = {
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u2012": "-",
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u202f": " ", "\u3000": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "", "\u00ad": "", "\u2060": "",
    "\t": "    ", "\x0b": "\n", "\x0c": "\n",
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
}
_CLEAN_RE = re.compile("[" + re.escape("".join(_CLEAN_MAP)) + "]")
GAP_RE = re.compile(r" {3,}")
_SPACES_RE = re.compile(r"\s+")
_SEPARATOR_RE = re.compile(r"^[\s\-_=*.~─━—–·•]+$")


def fold_line(s: str) -> str:
    return fold_keep_length(s)


def squash(s: str) -> str:
    return _SPACES_RE.sub(" ", s).strip()


def split_cells(line: str) -> list[tuple[int, str]]:
    """Split a line into (start, text) cells at runs of 3+ spaces."""
    out = []
    pos = 0
    for m in GAP_RE.finditer(line):
        if m.start() > pos:
            seg = line[pos:m.start()]
            if seg.strip():
                lead = len(seg) - len(seg.lstrip())
                out.append((pos + lead, seg.strip()))
        pos = m.end()
    seg = line[pos:]
    if seg.strip():
        lead = len(seg) - len(seg.lstrip())
        out.append((pos + lead, seg.strip()))
    return out


def upper_ratio(s: str) -> float:
    upper = sum(map(str.isupper, s))
    lower = sum(map(str.islower, s))
    return upper / (upper + lower) if upper + lower else 0.0


def is_separator(s: str) -> bool:
    return bool(_SEPARATOR_RE.match(s))


def cap_first(s: str) -> str:
    for i, c in enumerate(s):
        if c.isalpha():
            return s[:i] + c.upper() + s[i + 1:]
    return s


def _has_vowel_marks(word: str) -> bool:
    """A tone or a vowel mark (ắ, ô, ơ …); "Đ" is a letter of its own, as in "HĐND"."""
    d = unicodedata.normalize("NFD", word)
    return any(c in "\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b" for c in d)


def is_abbrev(word: str) -> bool:
    core = word.strip(".,;:()")
    if not core:
        return False
    if any(c.isdigit() for c in core):
        return True
    letters = [c for c in core if c.isalpha()]
    if _has_vowel_marks(core):
        return False  # "ĐẮK LẮK", "KRÔNG": a word of a name, abbreviations carry no vowel marks
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        parts = re.split(r"[-/.&]", core)
        return any(p and not is_vietnamese_syllable(p) for p in parts)
    return False
