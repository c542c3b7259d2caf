"""How good is a PDF's text layer, and the legacy Vietnamese font encodings (TCVN3, VNI).

``assess_text_layer(text, page_count)`` says whether the text a PDF gave is usable:

========================= =====================================================================
status                    meaning
========================= =====================================================================
``good``                  readable Vietnamese
``damaged``               syllables broken apart or letters lost ("đ ng th i" for "đồng thời"),
                          unreadable characters (�, ``(cid:12)``): re-run OCR or check by hand
``legacy_font``           typed in a pre-Unicode font: TCVN3/ABC (".VnTime": "Céng hoµ") or
                          VNI ("Coäng hoøa"); ``convert_legacy`` repairs it when it can
``empty``                 (almost) no text: a scan, needs OCR
========================= =====================================================================

The measure is structural: a Vietnamese syllable is an optional initial consonant cluster, a
vowel nucleus (with its medial and glide) and an optional final consonant, carrying at most one
tone mark, and a syllable ending in c/ch/p/t only takes the sắc or nặng tone. ``score`` is the
share of word tokens that are such syllables (abbreviations in capitals such as "UBND" and
single capital letters are not counted). Good Vietnamese prose scores above 0.95; the layer is
"damaged" below 0.85 or when more than 5 % of the words are lone consonants. ``reasons`` are
short Vietnamese sentences for the officer; ``encoding`` is "tcvn3" or "vni" for a convertible
legacy layer. Text with many "�" inside words (a legacy font the PDF could not map) is
``legacy_font`` too, but cannot be converted: it needs OCR.

``convert_legacy(text)`` converts TCVN3 (ABC) and VNI-Windows text to Unicode and returns None
when the text is not legacy-encoded: characters typical of one encoding must be frequent (1 % of
the letters) and the converted text must read clearly better (+15 points of valid syllables, and
70 % at least). A document mixing Unicode and legacy text is converted line by line: a word that
holds a character beyond Latin-1, or that is already a Vietnamese syllable on a line with such
words, is kept. ``convert_legacy_named`` also says which encoding it was.

TCVN3 has no codes for capital letters with a tone: ".VnTimeH" fonts draw the lower-case codes
as capitals. After conversion a word whose Latin letters are all capitals ("CéNG" → "CỘNG") is
put in capitals; a word with a single capital Latin letter ("X·") follows the majority of its
line.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = [
    "TextLayerQuality",
    "assess_text_layer",
    "convert_legacy",
    "convert_legacy_named",
    "encode_tcvn3",
    "encode_vni",
    "is_vietnamese_syllable",
    "syllable_parts",
    "syllable_share",
]

# ---------------------------------------------------------------------------------------------
# The Vietnamese syllable
# ---------------------------------------------------------------------------------------------

_TONES = {"\u0300": "huyen", "\u0301": "sac", "\u0303": "nga", "\u0309": "hoi", "\u0323": "nang"}

_INITIALS = (
    "ngh", "ng", "gh", "gi", "kh", "nh", "ph", "th", "tr", "ch", "qu",
    "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
)

_OPEN_RHYMES = set(
    "a ai ao au ay âu ây e eo ê êu i ia iu iêu o oa oai oao oay oe oeo oi ô ôi ơ ơi "
    "u ua uây uê ui uôi uơ uy uya uyu ư ưa ưi ưu ươi ươu y yêu".split()
)

# nucleus -> finals it takes
_CLOSED = {
    "a": "c ch m n ng nh p t",
    "ă": "c k m n ng p t",  # k: the Central Highlands' place names (Đắk Lắk, Đắk Nông, Krông Pắk)
    "â": "c m n ng p t",
    "e": "c m n ng p t",
    "ê": "ch m n nh p t",
    "i": "ch m n nh p t",
    "o": "c m n ng p t",
    "ô": "c m n ng p t",
    "ơ": "m n p t",
    "u": "c m n ng p t",
    "ư": "c m n ng t",
    "iê": "c m n ng p t",
    "yê": "m n ng t",
    "uô": "c m n ng t",
    "ươ": "c m n ng p t",
    "oa": "c ch m n ng nh p t",
    "oă": "c m n ng t",
    "oe": "m n t",
    "uâ": "n ng t",
    "uê": "ch nh n",
    "uy": "ch n nh p t",
    "uyê": "n t",
    "oo": "c ng",
}

# rhyme -> its final consonant ("" for open rhymes)
_RHYMES: dict[str, str] = {r: "" for r in _OPEN_RHYMES}
for _nucleus, _finals in _CLOSED.items():
    for _final in _finals.split():
        _RHYMES[_nucleus + _final] = _final
del _nucleus, _finals, _final

_STOP_FINALS = {"c", "ch", "k", "p", "t"}
_VOWELS = set("aăâeêioôơuưy")
_WORD_RE = re.compile(r"[^\W\d_]+")


def _letter_count(text: str) -> int:
    """``sum(c.isalpha() for c in text)``, mostly in C: every letter is inside a `_WORD_RE` match,
    and only a match holding a non-letter (a numeric like "½") is counted character by character."""
    count = 0
    for word in _WORD_RE.findall(text):
        count += len(word) if word.isalpha() else sum(1 for c in word if c.isalpha())
    return count


@lru_cache(maxsize=1 << 16)
def _parse(word: str) -> tuple[str, str, str | None] | None:
    """(initial, rhyme, tone) of a Vietnamese syllable, or None."""
    if not word or len(word) > 8:
        return None
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [c for c in decomposed if c in _TONES]
    if len(tones) > 1:
        return None
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    tone = _TONES[tones[0]] if tones else None
    for initial in _INITIALS:
        if not base.startswith(initial):
            continue
        rhyme = base[len(initial):]
        if rhyme == "" and initial == "gi":
            return (initial, rhyme, tone)
        final = _RHYMES.get(rhyme)
        if final is None:
            continue
        if final in _STOP_FINALS and tone not in ("sac", "nang"):
            continue
        return (initial, rhyme, tone)
    return None


def is_vietnamese_syllable(word: str) -> bool:
    """True when ``word`` (any case, NFC or NFD) is a well-formed Vietnamese syllable."""
    return _parse(word) is not None


def syllable_parts(word: str) -> tuple[str, str, str | None] | None:
    """(initial, rhyme without tone, tone name or None) of a syllable, or None."""
    return _parse(word)


def _is_abbreviation(token: str) -> bool:
    return len(token) >= 2 and token.isupper() and _parse(token) is None


def syllable_share(text: str, limit: int = 20000) -> tuple[float, int, int]:
    """(share of valid syllables, tokens counted, lone-consonant tokens) over the first tokens.

    Abbreviations in capitals ("UBND", "TĐKT") and single capital letters (initials, list marks,
    letter-spaced headings "T H Ô N G") are not counted.
    """
    valid = counted = lone = 0
    for tok in _WORD_RE.findall(text):
        kind = _token_kind(tok)
        if kind is None:
            continue
        counted += 1
        if kind == "valid":
            valid += 1
        elif kind == "lone":
            lone += 1
        if counted >= limit:
            break
    return ((valid / counted) if counted else 0.0, counted, lone)


@lru_cache(maxsize=1 << 16)
def _token_kind(tok: str) -> str | None:
    """None (not counted), "valid", "lone" (no vowel) or "other": the same word recurs all over a
    document, so each is judged once (ingest assesses every text layer)."""
    if _is_abbreviation(tok) or (len(tok) == 1 and tok.isupper()):
        return None
    if _parse(tok) is not None:
        return "valid"
    if not any(c in _VOWELS for c in _base_letters(tok)):
        return "lone"
    return "other"


@lru_cache(maxsize=1 << 14)
def _base_letters(tok: str) -> str:
    d = unicodedata.normalize("NFD", tok.lower())
    return unicodedata.normalize("NFC", "".join(c for c in d if not unicodedata.combining(c) or c in "\u0302\u0306\u031b"))


# ---------------------------------------------------------------------------------------------
# TCVN3 (ABC)
# ---------------------------------------------------------------------------------------------

# byte (as the Latin-1 character a PDF or a Windows text file shows) -> Unicode
_TCVN3_PAIRS = (
    "¡Ă ¢Â £Ê ¤Ô ¥Ơ ¦Ư §Đ ¨ă ©â ªê «ô ¬ơ \u00adư ®đ "
    "µà ¶ả ·ã ¸á ¹ạ »ằ ¼ẳ ½ẵ ¾ắ Æặ Çầ Èẩ Éẫ Êấ Ëậ "
    "Ìè Îẻ Ïẽ Ðé Ñẹ Òề Óể Ôễ Õế Öệ ×ì Øỉ Üĩ Ýí Þị "
    "ßò áỏ âõ ãó äọ åồ æổ çỗ èố éộ êờ ëở ìỡ íớ îợ "
    "ïù ñủ òũ óú ôụ õừ öử ÷ữ øứ ùự úỳ ûỷ üỹ ýý þỵ"
)
_TCVN3_DECODE: dict[str, str] = {p[0]: p[1] for p in _TCVN3_PAIRS.split(" ")}
_TCVN3_ENCODE: dict[str, str] = {}
for _k, _v in _TCVN3_DECODE.items():
    _TCVN3_ENCODE[_v] = _k
    if _v.upper() not in _TCVN3_ENCODE and _v.upper() != _v:
        # .VnTimeH: capitals with a tone use the lower-case code
        _TCVN3_ENCODE[_v.upper()] = _k
del _k, _v
# Characters that never occur in Unicode Vietnamese text but fill TCVN3 text.
_TCVN3_SIGNS = set("¡¢£¤¥¦§¨©ª«¬\u00ad®µ¶·¸¹»¼½¾Þß×÷þ")
_TCVN3_TABLE = str.maketrans(_TCVN3_DECODE)

# ---------------------------------------------------------------------------------------------
# VNI-Windows
# ---------------------------------------------------------------------------------------------

_VNI_MARKS = {  # mark character after a vowel -> (vowel modifier, tone)
    "ù": ("", "\u0301"), "ø": ("", "\u0300"), "û": ("", "\u0309"), "õ": ("", "\u0303"), "ï": ("", "\u0323"),
    "â": ("^", ""), "á": ("^", "\u0301"), "à": ("^", "\u0300"), "å": ("^", "\u0309"),
    "ã": ("^", "\u0303"), "ä": ("^", "\u0323"),
    "ê": ("(", ""), "é": ("(", "\u0301"), "è": ("(", "\u0300"), "ú": ("(", "\u0309"),
    "ü": ("(", "\u0303"), "ë": ("(", "\u0323"),
}
_VNI_SINGLE = {
    "ô": "ơ", "ö": "ư", "ñ": "đ", "ó": "ĩ", "ò": "ị", "æ": "ỉ", "î": "ỵ", "ì": "ì", "í": "í",
}


def _build_vni() -> tuple[dict[str, str], dict[str, str]]:
    decode: dict[str, str] = {}
    for low, uni in _VNI_SINGLE.items():
        decode[low] = uni
        decode[low.upper()] = uni.upper()
    modifiers = {"^": "\u0302", "(": "\u0306"}
    bases = {"a": "a", "e": "e", "o": "o", "u": "u", "y": "y", "ô": "ơ", "ö": "ư"}
    for vb, ub in bases.items():
        for mark, (mod, tone) in _VNI_MARKS.items():
            if mod == "^" and vb not in "aeo":
                continue
            if mod == "(" and vb != "a":
                continue
            if vb in "ôö" and mod:
                continue
            uni = unicodedata.normalize("NFC", ub + (modifiers[mod] if mod else "") + tone)
            decode[vb + mark] = uni
            decode[vb.upper() + mark.upper()] = uni.upper()
            decode[vb.upper() + mark] = uni.upper()  # capital base, lower-case mark font
    encode: dict[str, str] = {}
    for seq, uni in sorted(decode.items(), key=lambda kv: (len(kv[0]), kv[0].islower())):
        if seq[0].isupper() and len(seq) == 2 and seq[1].islower():
            continue
        encode.setdefault(uni, seq)
    return decode, encode


_VNI_DECODE, _VNI_ENCODE = _build_vni()
_VNI_RE = re.compile(
    "|".join(re.escape(k) for k in sorted(_VNI_DECODE, key=len, reverse=True))
)
_VNI_SIGN_RE = re.compile(r"[aeouyAEOUYôöÔÖ][øûïåäëüØÛÏÅÄËÜ]|[ñÑöÖæÆîÎ]")

_LEGACY_WORD_RE = re.compile(r"[A-Za-z\u00a1-\u00ff]+")
_BEYOND_LATIN1_RE = re.compile(r"[^\x00-\xff]")


def encode_tcvn3(text: str) -> str:
    """Unicode → TCVN3 (the inverse table; capitals with tones get the lower-case code)."""
    t = unicodedata.normalize("NFC", text)
    return "".join(_TCVN3_ENCODE.get(c, c) for c in t)


def encode_vni(text: str) -> str:
    """Unicode → VNI-Windows (the inverse table)."""
    t = unicodedata.normalize("NFC", text)
    return "".join(_VNI_ENCODE.get(c, c) for c in t)


def _decode_tcvn3_word(word: str, line_caps: bool) -> str:
    out = word.translate(_TCVN3_TABLE)
    ascii_letters = [c for c in word if "A" <= c <= "Z" or "a" <= c <= "z"]
    if out == word:
        return out
    upper = [c for c in ascii_letters if c.isupper()]
    if ascii_letters and len(upper) == len(ascii_letters) and (len(upper) >= 2 or line_caps):
        return out.upper()
    if not ascii_letters and line_caps:
        return out.upper()
    return out


def _line_is_caps(line: str) -> bool:
    caps = lower = 0
    for m in _LEGACY_WORD_RE.finditer(line):
        letters = [c for c in m.group() if "A" <= c <= "Z" or "a" <= c <= "z"]
        if any(c.islower() for c in letters):
            lower += 1
        elif len(letters) >= 2:
            caps += 1
    return caps > lower


def _decode_tcvn3(text: str) -> str:
    out_lines = []
    for line in text.split("\n"):
        caps = _line_is_caps(line)

        def word(m: re.Match[str], caps: bool = caps) -> str:
            w = m.group()
            return _decode_tcvn3_word(w, caps)

        out_lines.append(_LEGACY_WORD_RE.sub(word, line))
    return "\n".join(out_lines)


def _decode_vni(text: str) -> str:
    def word(m: re.Match[str]) -> str:
        return _VNI_RE.sub(lambda x: _VNI_DECODE[x.group()], m.group())

    return _LEGACY_WORD_RE.sub(word, text)


def _legacy_words_only(decoder, text: str) -> str:
    """Apply ``decoder`` to every run of text that holds no character beyond Latin-1."""
    if not _BEYOND_LATIN1_RE.search(text):
        return decoder(text)
    # Mixed text (a Unicode header over a legacy body, say): a line with Unicode Vietnamese keeps
    # its Unicode words and converts only the words that are not Vietnamese as they stand; a line
    # of Latin-1 only is converted when that makes it read better.
    out = []
    for line in text.split("\n"):
        if not _BEYOND_LATIN1_RE.search(line):
            converted = decoder(line)
            if converted != line and _legacy_share(converted, unicode_tokens=True) <= _legacy_share(line):
                converted = line
            out.append(converted)
            continue
        parts = re.split(r"(\s+)", line)
        out.append(
            "".join(
                p if (i % 2 or _BEYOND_LATIN1_RE.search(p) or _legacy_word_ok(p)) else decoder(p)
                for i, p in enumerate(parts)
            )
        )
    return "\n".join(out)


def _legacy_word_ok(chunk: str) -> bool:
    """A chunk whose words are all Vietnamese syllables as they stand ("chú", "và")."""
    words = _WORD_RE.findall(chunk)
    return bool(words) and all(_parse(w) is not None for w in words) and not _TCVN3_SIGN_RE.search(chunk)


_TCVN3_SIGN_RE = re.compile("[" + re.escape("".join(sorted(_TCVN3_SIGNS))) + "]")


def _signs(text: str) -> tuple[int, int, int]:
    """(letters, TCVN3 signs, VNI signs) in a sample of the text."""
    sample = text[:200000]
    if not _TCVN3_SIGN_RE.search(sample) and not _VNI_SIGN_RE.search(sample):
        return 1, 0, 0
    letters = sum(map(str.isalpha, sample))
    tcvn = len(_TCVN3_SIGN_RE.findall(sample))
    vni = len(_VNI_SIGN_RE.findall(sample))
    return letters, tcvn, vni


def _legacy_candidates(text: str) -> list[str]:
    letters, tcvn, vni = _signs(text)
    floor = max(3, letters * 0.01)
    cands = []
    if tcvn >= floor:
        cands.append(("tcvn3", tcvn))
    if vni >= floor:
        cands.append(("vni", vni))
    cands.sort(key=lambda kv: -kv[1])
    return [name for name, _ in cands]


def _convert(text: str) -> tuple[str, str] | None:
    if not text:
        return None
    t = unicodedata.normalize("NFC", text)
    names = _legacy_candidates(t)
    if not names:
        return None
    # Tokens of the legacy text are broken by non-letters ("¸", "·"); measure whole runs too.
    before = max(_legacy_share(t), syllable_share(t)[0])
    for name in names:
        decoder = _decode_tcvn3 if name == "tcvn3" else _decode_vni
        converted = _legacy_words_only(decoder, t)
        after, counted, _ = syllable_share(converted)
        if counted and after >= 0.7 and after >= before + 0.15:
            return converted, name
    return None


def _legacy_share(text: str, unicode_tokens: bool = False) -> float:
    valid = counted = 0
    for m in (_WORD_RE if unicode_tokens else _LEGACY_WORD_RE).finditer(text[:200000]):
        tok = m.group()
        if _is_abbreviation(tok):
            continue
        counted += 1
        if _parse(tok) is not None:
            valid += 1
    return valid / counted if counted else 0.0


def convert_legacy(text: str) -> str | None:
    """TCVN3 (ABC) or VNI-Windows text converted to Unicode; None when it is not legacy text."""
    try:
        result = _convert(text)
    except Exception:  # noqa: BLE001 - a converter must never break an upload
        return None
    return result[0] if result else None


def convert_legacy_named(text: str) -> tuple[str, str] | None:
    """(converted text, "tcvn3" | "vni"), or None when the text is not legacy-encoded."""
    try:
        return _convert(text)
    except Exception:  # noqa: BLE001
        return None


# ---------------------------------------------------------------------------------------------
# Assessment
# ---------------------------------------------------------------------------------------------

_CID_RE = re.compile(r"\(cid:\d+\)")
_REPLACEMENT_IN_WORD_RE = re.compile(r"[^\W\d_]\ufffd|\ufffd[^\W\d_]")

MIN_LETTERS_PER_PAGE = 60
GOOD_SHARE = 0.85
LONE_SHARE = 0.05


@dataclass
class TextLayerQuality:
    status: str  # "good" | "damaged" | "legacy_font" | "empty"
    score: float
    reasons: list[str] = field(default_factory=list)
    encoding: str | None = None  # "tcvn3" | "vni" for legacy_font when convertible


def assess_text_layer(text: str, page_count: int) -> TextLayerQuality:
    """Judge a PDF's text layer; never raises."""
    try:
        return _assess(text if isinstance(text, str) else "", page_count)
    except Exception:  # noqa: BLE001
        return TextLayerQuality("damaged", 0.0, ["Không đánh giá được lớp chữ"])


def _assess(text: str, page_count: int) -> TextLayerQuality:
    pages = page_count if isinstance(page_count, int) and page_count > 0 else 1
    t = unicodedata.normalize("NFC", text)
    letters = _letter_count(t)
    per_page = letters / pages
    if per_page < MIN_LETTERS_PER_PAGE:
        return TextLayerQuality(
            "empty",
            0.0,
            [f"Lớp chữ gần như trống ({letters} chữ cái trên {pages} trang) — có thể là bản quét, cần nhận dạng (OCR)"],
        )
    reasons: list[str] = []
    converted = _convert(t)
    if converted is not None:
        name = "TCVN3 (ABC)" if converted[1] == "tcvn3" else "VNI"
        share_after, _, _ = syllable_share(converted[0])
        return TextLayerQuality(
            "legacy_font",
            round(_legacy_share(t), 3),
            [f"Văn bản dùng phông chữ cũ mã {name}; chuyển sang Unicode được "
             f"({share_after:.0%} âm tiết hợp lệ sau khi chuyển)"],
            converted[1],
        )
    bad_chars = t.count("\ufffd")
    in_word = len(_REPLACEMENT_IN_WORD_RE.findall(t))
    cids = len(_CID_RE.findall(t))
    share, counted, lone = syllable_share(t)
    if in_word >= 3 and in_word >= letters * 0.005:
        return TextLayerQuality(
            "legacy_font",
            round(share, 3),
            [f"Có {bad_chars} ký tự không đọc được (�) ngay trong từ — có thể là phông chữ cũ "
             "(VNI/TCVN3) không chuyển được; cần nhận dạng (OCR)"],
        )
    if cids >= 3:
        reasons.append(f"Có {cids} mã ký tự không giải được dạng (cid:…) — cần nhận dạng (OCR)")
    if bad_chars >= 3 and bad_chars >= letters * 0.005:
        reasons.append(f"Có {bad_chars} ký tự không đọc được (�)")
    if counted and share < GOOD_SHARE:
        reasons.append(f"Chỉ {share:.0%} từ là âm tiết tiếng Việt hợp lệ — chữ bị tách hoặc mất dấu")
    if counted and lone / counted > LONE_SHARE:
        reasons.append(f"Nhiều phụ âm đứng riêng ({lone} chỗ) — âm tiết bị tách hoặc mất chữ")
    if reasons:
        return TextLayerQuality("damaged", round(share, 3), reasons)
    return TextLayerQuality("good", round(share, 3), [])
