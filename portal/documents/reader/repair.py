"""Repair of damaged extraction: split syllables joined, lost letters noticed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.documents.reader.model import HEAD_CHARS

if TYPE_CHECKING:
    from portal.documents.reader.document import Doc

import re
import unicodedata
from functools import lru_cache

from portal.documents.textlayer import (
    is_vietnamese_syllable,
    syllable_parts,
)
from portal.text import VIETNAMESE_LETTERS

_SPLIT_NUCLEI = {("ư", "ơ"), ("i", "ê"), ("y", "ê"), ("u", "ô")}


def _vowel_edge(word: str, last: bool) -> str | None:
    d = unicodedata.normalize("NFD", word.lower())
    base = unicodedata.normalize(
        "NFC", "".join(c for c in d if c not in "\u0300\u0301\u0303\u0309\u0323")
    )
    if not base:
        return None
    return base[-1] if last else base[0]


_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
_HALF_NUCLEI = {"ư": "ơ", "i": "ê", "y": "ê", "u": "ô"}


_CONSONANTS = "bcdđghklmnpqrstvx"


def _vowel_may_be_lost(onset: str, rest: str) -> bool:
    """"th i": "thi", or "thời" with its toned vowel lost? Ambiguous when a vowel fits between."""
    if any(c in _TONE_MARKS for c in unicodedata.normalize("NFD", rest)):
        return False
    for v in "aăâeêioôơuưy":
        mid = v.upper() if rest.isupper() else v
        if is_vietnamese_syllable(onset + mid + rest):
            return True
    return False


def _letters_may_be_lost(a: str, b: str) -> bool:
    """Is "a b" perhaps a syllable whose middle was lost, not only split ("TRƯ NG": TRƯNG or TRƯỜNG)?

    When ``a`` ends without a tone in the first half of a vowel pair (ư/ươ, i/iê, y/yê, u/uô) and
    ``b`` is only a final consonant, the missing half (with the tone on it) may have been lost:
    the join is not unambiguous, so the gap is kept and flagged rather than a wrong word made.
    """
    if all(c.lower() in _CONSONANTS for c in a):
        return _vowel_may_be_lost(a, b)
    if any(c.lower() not in _CONSONANTS for c in b):
        return False
    d = unicodedata.normalize("NFD", a)
    if any(c in _TONE_MARKS for c in d):
        return False
    half = _HALF_NUCLEI.get(a[-1].lower())
    if half is None:
        return False
    mid = half.upper() if a.isupper() else half
    return is_vietnamese_syllable(a + mid + b)


@lru_cache(maxsize=1 << 16)
def _should_join(a: str, b: str) -> bool:
    if len(a) + len(b) > 8:
        return False
    if not (b.islower() or (a.isupper() and b.isupper())):
        return False
    ab = a + b
    if not is_vietnamese_syllable(ab):
        return False
    a_ok = is_vietnamese_syllable(a)
    b_ok = is_vietnamese_syllable(b)
    if a_ok and _letters_may_be_lost(a, b):
        return False
    if not a_ok:
        return True
    if not b_ok:
        return True
    pa, pb = syllable_parts(a), syllable_parts(b)
    if pa is None or pb is None or pb[0] != "":
        return False
    if a.isupper() != b.isupper():
        return False
    ea, eb = _vowel_edge(a, True), _vowel_edge(b, False)
    return (ea, eb) in _SPLIT_NUCLEI


_VOWEL_LETTERS = "".join(
    sorted({c for c in VIETNAMESE_LETTERS if unicodedata.normalize("NFD", c)[0].lower() in "aeiouy"})
)
_CONSONANT_LETTERS = "bcdđghklmnpqrstvxBCDĐGHKLMNPQRSTVX"
# A split syllable leaves a consonant-only piece (first or second) or a second piece starting with
# a vowel. The pair is found with the second piece in a look-ahead so that pairs can chain;
# the look-behind and bounded counts keep the search linear.
_SPLIT_PAIR_RE = re.compile(
    rf"(?<![^\W\d_])(?:(?P<a>[^\W\d_]{{1,7}}) (?=[{_VOWEL_LETTERS}][^\W\d_]{{0,6}}(?![^\W\d_])"
    rf"|[{_CONSONANT_LETTERS}]{{1,3}}(?![^\W\d_]))|(?P<c>[{_CONSONANT_LETTERS}]{{1,3}}) (?=[^\W\d_]))"
)
_WORD_AT_RE = re.compile(r"[^\W\d_]{1,8}")


def repair_text(text: str) -> tuple[str, int]:
    """Join syllables split by a PDF extractor ("ĐIỀ U" → "ĐIỀU"); returns (text, joins).

    Two single letters are never joined: "T H Ô N G  B Á O" is a letter-spaced heading.
    """
    removed: list[int] = []
    last_b_start = -1
    last_joined: str | None = None
    kept_gap_at = -1  # a final left alone ("trư ng") must not be joined to the next word either
    for m in _SPLIT_PAIR_RE.finditer(text):
        a = m.group("a") or m.group("c")
        space = m.end() - 1
        bm = _WORD_AT_RE.match(text, space + 1)
        if not bm:
            continue
        b = bm.group()
        if m.start() == kept_gap_at:
            continue
        if m.start() == last_b_start and last_joined is not None:
            a = last_joined
        last_b_start = space + 1
        last_joined = None
        if len(a) == 1 and len(b) == 1:
            continue
        if _letters_may_be_lost(a, b) and (is_vietnamese_syllable(a) or len(b) == 1):
            kept_gap_at = space + 1
            continue
        if _WORD_AT_RE.match(text, bm.end()) is None and _should_join(a, b):
            removed.append(space)
            last_joined = a + b
    if not removed:
        return text, 0
    parts = []
    pos = 0
    for sp in removed:
        parts.append(text[pos:sp])
        pos = sp + 1
    parts.append(text[pos:])
    return "".join(parts), len(removed)

# the first character class before the look-behind lets the regex engine skip ahead quickly
_LOST_LETTERS_RE = re.compile(
    r"[bcdđghklmnpqrstvx](?<![^\W\d_].)[bcdđghklmnpqrstvx]{0,2} [bcdđghklmnpqrstvx]{1,3}(?![^\W\d_])"
)


# a syllable cut before its final consonant, the middle lost ("trư ng", "PHƯ NG"), or a capital
# consonant left alone before a word in lower case ("C  thi đua")
_LOST_MIDDLE_RE = re.compile(
    r"[ưuiyƯUIY](?<=[^\W\d_]{2}) (?:ng|nh|ch|NG|NH|CH|[cmnpt]|[CMNPT])(?![^\W\d_])"
    r"|(?<![^\s(\"])[BCDĐGHKLMNPQRSTVX] {1,2}[a-zđà-ỹ]{2,}"
)


def _lost_letters(text: str) -> bool:
    """Consonant-only pieces where letters were lost ("đ ng bộ", "trư ng", "C  thi đua")."""
    return _LOST_LETTERS_RE.search(text) is not None or _LOST_MIDDLE_RE.search(text) is not None


def note_lost_letters(doc: Doc) -> None:
    """Damage left over after repair."""
    if _lost_letters(doc.text[:HEAD_CHARS]):
        doc.warn("Lớp chữ có chỗ mất chữ (phụ âm đứng riêng); nên kiểm tra lại")


# Letter-spaced capitals ("T H Ủ  T Ư Ớ N G  C H Í N H  P H Ủ"): runs of single capitals one space
# apart; a wider gap (2-4 spaces) separates words, a gap of 5 or more separates columns.
_UPPER = "A-ZĐ" + "".join(c for c in VIETNAMESE_LETTERS if c.isupper() and not c.isascii() and c != "Đ")
_SPACED_RUN_RE = re.compile(rf"(?<![^\W\d_])[{_UPPER}](?: [{_UPPER}])+(?![^\W\d_])")
_SPACED_PHRASE_RE = re.compile(rf"{_SPACED_RUN_RE.pattern}(?: {{2,4}}{_SPACED_RUN_RE.pattern})*")


def _syllables(letters: str) -> list[str] | None:
    """The fewest Vietnamese syllables that spell ``letters``; None when there is no such split."""
    n = len(letters)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(n):
        if best[i] is None:
            continue
        for j in range(i + 1, min(n, i + 8) + 1):
            w = letters[i:j]
            if is_vietnamese_syllable(w) and (best[j] is None or len(best[i]) + 1 < len(best[j])):
                best[j] = best[i] + [w]
    return best[n]


def _close_phrase(m: re.Match[str]) -> str:
    runs = _SPACED_RUN_RE.findall(m.group())
    if sum(len(r) // 2 + 1 for r in runs) < 4:
        return m.group()
    words: list[str] = []
    for run in runs:
        letters = run.replace(" ", "")
        split = [letters] if len(runs) > 1 and is_vietnamese_syllable(letters) else _syllables(letters)
        if split is None:
            return m.group()  # not Vietnamese words: leave it as it is
        words.extend(split)
    closed = " ".join(words)
    return closed + " " * (len(m.group()) - len(closed))  # keep the columns where they were


def close_letter_spacing(text: str) -> str:
    """"C H Í N H   P H Ủ" → "CHÍNH PHỦ": headings and issuers set with spaced letters."""
    if not _SPACED_RUN_RE.search(text):
        return text
    return _SPACED_PHRASE_RE.sub(_close_phrase, text)
