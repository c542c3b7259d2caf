"""Vietnamese collation (the order of ICU ``vi``) with the standard library only."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, TypeVar

from portal.text.normalize import nfc

__all__ = ["vi_key", "vi_sorted", "vi_compare", "register_sqlite_collation", "COLLATION_NAME"]

COLLATION_NAME = "vi"

T = TypeVar("T")

# Breve, circumflex, horn and stroke make distinct letters in Vietnamese.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
_MODIFIED = {
    ("a", "\u0306"): "ă",
    ("a", "\u0302"): "â",
    ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ",
    ("u", "\u031b"): "ư",
}
# Tone order: none, huyền, hỏi, ngã, sắc, nặng.
_TONE = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_D_LIKE = {"Ð", "ð", "Ɖ", "ɖ"}

# Primary classes: spaces sort before punctuation, symbols, digits, then letters.
_CLASS = 0x200000
_P_ORPHAN = 0
_P_SPACE = 1 * _CLASS
_P_PUNCT = 2 * _CLASS
_P_SYMBOL = 3 * _CLASS
_P_DIGIT = 4 * _CLASS
_P_VI_LETTER = 5 * _CLASS
_P_OTHER_LETTER = 6 * _CLASS
_P_OTHER = 7 * _CLASS

Element = tuple[int, int, int]


def _extras_weight(tone: int, extras: list[str]) -> int:
    # Non-Vietnamese marks (ö, ç, ...) sort after every Vietnamese tone of the same letter.
    if not extras:
        return tone
    code = 0
    for m in extras:
        code = code * 0x110000 + ord(m)
    return 6 + tone + 6 * code


@lru_cache(maxsize=8192)
def _element(cluster: str) -> Element:
    """Weights (primary, secondary, tertiary) of one base character with its combining marks."""
    d = unicodedata.normalize("NFD", cluster)
    if unicodedata.combining(d[0]):
        marks = list(d)
        return (_P_ORPHAN, _extras_weight(0, marks), 0)
    base, marks = d[0], list(d[1:])
    if base.isspace() or base in "\u200b\ufeff":
        return (_P_SPACE, _extras_weight(0, marks), 0)
    low = base.lower()
    if len(low) != 1:
        low = base
    upper = 1 if low != base else 0
    extras: list[str] = []
    if low in _D_LIKE:
        extras.append(low)
        low = "đ"
    tone = 0
    letter = low
    for m in marks:
        if letter == low and (low, m) in _MODIFIED:
            letter = _MODIFIED[(low, m)]
        elif tone == 0 and m in _TONE:
            tone = _TONE[m]
        else:
            extras.append(m)
    rank = _LETTER_RANK.get(letter)
    if rank is not None:
        return (_P_VI_LETTER + rank, _extras_weight(tone, extras), upper)
    secondary = _extras_weight(tone, extras)
    cat = unicodedata.category(base)
    if base.isdecimal():
        return (_P_DIGIT + unicodedata.decimal(base), secondary + (0 if base.isascii() else 1), 0)
    if cat[0] == "N":
        return (_P_DIGIT + 16 + ord(low), secondary, upper)
    if cat[0] == "L":
        return (_P_OTHER_LETTER + ord(low), secondary, upper)
    if cat[0] == "P":
        return (_P_PUNCT + ord(base), secondary, 0)
    if cat[0] == "S":
        return (_P_SYMBOL + ord(base), secondary, 0)
    return (_P_OTHER + ord(base), secondary, 0)


def _clusters(s: str) -> list[str]:
    """Split an NFC string into base characters each followed by its combining marks."""
    out: list[str] = []
    for ch in s:
        if out and unicodedata.combining(ch):
            out[-1] += ch
        elif unicodedata.category(ch) in ("Cc", "Cf") and not ch.isspace() and ch not in "\u200b\ufeff":
            continue  # control and format characters are ignorable, as in ICU
        else:
            out.append(ch)
    return out


def vi_key(s: str | None) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], str]:
    """Sort key ordering strings the Vietnamese way (ICU ``vi``): letters, then tones, then case."""
    return _key(nfc(s))


# SQLite calls the collation once per comparison, so the same strings come back many times.
@lru_cache(maxsize=16384)
def _key(t: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], str]:
    elements = [_element(c) for c in _clusters(t)]
    primaries = tuple(e[0] for e in elements)
    secondaries = tuple(e[1] for e in elements)
    tertiaries = tuple(e[2] for e in elements)
    # The raw NFC string last makes the order total: only NFC-equal strings compare equal.
    return (primaries, secondaries, tertiaries, t)


def vi_sorted(items: Iterable[T], key: Callable[[T], str | None] | None = None, reverse: bool = False) -> list[T]:
    """Return ``items`` sorted in Vietnamese order of ``key(item)`` (or of the item itself)."""
    if key is None:
        return sorted(items, key=vi_key, reverse=reverse)  # type: ignore[arg-type]
    return sorted(items, key=lambda item: vi_key(key(item)), reverse=reverse)


def vi_compare(a: str | None, b: str | None) -> int:
    """Compare two strings in Vietnamese order: -1, 0 or 1 (usable as a SQLite collation)."""
    ka, kb = vi_key(a), vi_key(b)
    return (ka > kb) - (ka < kb)


def register_sqlite_collation(dbapi_connection: Any) -> None:
    """Register the collation ``vi`` on a sqlite3 connection (``ORDER BY name COLLATE vi``)."""
    dbapi_connection.create_collation(COLLATION_NAME, vi_compare)
