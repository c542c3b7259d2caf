"""Unicode normalisation and accent folding for Vietnamese text."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["nfc", "clean_text", "check_plain_text", "strip_control", "UnsafeText", "fold", "fold_keep_length", "VIETNAMESE_LETTERS"]

# Every precomposed Vietnamese letter, lower then upper case (NFC), plus đ/Đ.
_VI_LOWER = (
    "aàáảãạăằắẳẵặâầấẩẫậ"
    "eèéẻẽẹêềếểễệ"
    "iìíỉĩị"
    "oòóỏõọôồốổỗộơờớởỡợ"
    "uùúủũụưừứửữự"
    "yỳýỷỹỵ"
    "đ"
)
VIETNAMESE_LETTERS = _VI_LOWER + _VI_LOWER.upper()

# Look-alikes of Đ that legacy font converters (TCVN3/VNI) and some keyboards put in
# Vietnamese text: Icelandic eth and African D. Folding them to "d" keeps search working.
_D_LIKE = {"đ", "Đ", "Ð", "ð", "Ɖ", "ɖ"}

_ASCII_SPACE_RE = re.compile(r"[\t\n\r\x0b\x0c\x1c-\x1f]")
_WS_RE = re.compile(r"[\s\u200b\ufeff]+")


def nfc(s: str | None) -> str:
    """Return ``s`` in Unicode NFC (None gives "")."""
    if s is None:
        return ""
    return unicodedata.normalize("NFC", s)


def clean_text(s: str | None) -> str:
    """Return ``s`` in NFC with every whitespace run (NBSP, tabs, newlines) made one space, stripped."""
    return _WS_RE.sub(" ", nfc(s)).strip()


# Control characters (C0 but tab, line feed and carriage return; DEL; C1) and lone surrogates: they come from
# binary data or from broken copy-paste, never from a person typing, and they break exports, XML and
# PostgreSQL (which refuses NUL in text). Whitespace controls are spaces in single-line fields anyway.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_END_RE = re.compile(r"\r\n?")


class UnsafeText(ValueError):
    """User text holding a control character; `char` is the first one, `position` its index."""

    def __init__(self, char: str, position: int) -> None:
        super().__init__(f"control character U+{ord(char):04X} at {position}")
        self.char = char
        self.position = position

    @property
    def code(self) -> str:
        return f"U+{ord(self.char):04X}"


def check_plain_text(s: str | None, *, multiline: bool = False) -> str:
    """Return user text ready to store, or raise UnsafeText if it holds a control character (NUL, ESC, …).

    Single-line: like ``clean_text`` (NFC, whitespace runs made one space, stripped). Multi-line (notes,
    guidance): NFC, line ends made "\\n", tabs and newlines kept, stripped at both ends.
    """
    if s is None:
        return ""
    match = _CONTROL_RE.search(s)
    if match:
        raise UnsafeText(match.group(), match.start())
    if multiline:
        return _LINE_END_RE.sub("\n", nfc(s)).strip()
    return clean_text(s)


def strip_control(s: str | None) -> str:
    """Return ``s`` without control characters (for text read from a PDF, which nobody can retype)."""
    if not s:
        return ""
    return _CONTROL_RE.sub("", s)


def _fold_char(c: str) -> str | None:
    """Fold one character to exactly one character, or None when it is a combining mark."""
    if unicodedata.combining(c):
        return None
    if c in _D_LIKE:
        return "d"
    if c.isspace():
        # NBSP and the other Unicode spaces from Word documents must match a typed space.
        return " "
    base = "".join(ch for ch in unicodedata.normalize("NFD", c) if not unicodedata.combining(ch))
    if len(base) != 1:
        # Hangul syllables and similar decompose into several starters: keep them whole.
        base = c
    low = base.lower()
    # A few characters grow on lower() (e.g. 'İ' → 'i̇'); never let folding change length.
    if len(low) != 1:
        low = base
    return low


class _FoldTable(dict):
    """A lazily filled ``str.translate`` table; misses are computed once and cached."""

    def __init__(self, keep_marks: bool) -> None:
        super().__init__()
        self.keep_marks = keep_marks

    def __missing__(self, code: int) -> str | None:
        c = chr(code)
        folded = _fold_char(c)
        if folded is None and self.keep_marks:
            folded = c
        self[code] = folded
        return folded


_FOLD_DROP = _FoldTable(keep_marks=False)
_FOLD_KEEP = _FoldTable(keep_marks=True)

# Precompute Latin-1, Latin Extended A/B, combining marks and Latin Extended Additional
# (all Vietnamese letters live there), so the common path never calls __missing__.
for _table in (_FOLD_DROP, _FOLD_KEEP):
    for _lo, _hi in ((0x00, 0x250), (0x300, 0x370), (0x1E00, 0x1F00)):
        for _code in range(_lo, _hi):
            _table[_code]  # noqa: B018 - fills the cache through __missing__
del _table, _lo, _hi, _code


def fold_keep_length(s: str | None) -> str:
    """Fold ``nfc(s)`` character by character: the result always has the length of ``nfc(s)``."""
    t = nfc(s)
    if t.isascii() and not _ASCII_SPACE_RE.search(t):
        return t.lower()
    return t.translate(_FOLD_KEEP)


def fold(s: str | None) -> str:
    """Fold for search and comparison: NFC, lower case, tone and vowel marks removed, đ→d, spaces → " "."""
    t = nfc(s)
    if t.isascii() and not _ASCII_SPACE_RE.search(t):
        return t.lower()
    out = t.translate(_FOLD_DROP)
    # Dropping a stray mark can bring two composable starters together; keep output NFC
    # so that fold is idempotent. Never happens for text without leftover marks.
    if not out.isascii() and not unicodedata.is_normalized("NFC", out):
        out = unicodedata.normalize("NFC", out)
    return out


_ASCII_PUNCT = {"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "Đ": "D", "đ": "d"}


def ascii_fallback(s: str | None) -> str:
    """Plain-ASCII form keeping case and words ('Đợt 1 – Kế hoạch' → 'Dot 1 - Ke hoach'), for legacy headers."""
    out = []
    for ch in nfc(s):
        if ch.isascii():
            out.append(ch)
            continue
        if ch in _ASCII_PUNCT:
            out.append(_ASCII_PUNCT[ch])
            continue
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        base = "".join(_ASCII_PUNCT.get(c, c) for c in base)
        out.append(base if base.isascii() else "_")
    return "".join(ch for ch in out if ch.isprintable())
