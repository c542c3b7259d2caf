"""Read a Vietnamese administrative document's metadata from its text (PDF text layer or OCR).

``read_metadata(text) -> DocumentMetadata`` is a pure function that never raises. It reads the
structure that Nghị định 30/2020/NĐ-CP gives every administrative document rather than any
particular wording:

* **Header block** (first lines): issuing body on the left, the national motto ("CỘNG HÒA XÃ
  HỘI CHỦ NGHĨA VIỆT NAM / Độc lập - Tự do - Hạnh phúc", or "ĐẢNG CỘNG SẢN VIỆT NAM" for party
  documents) on the right. The motto is blanked out wherever it is — its own line, the same
  line after a run of spaces, or run together without spaces as PDF extractors do — and what is
  left in capitals before the type heading is the issuer.
* **"Số: …" line**: the number and symbol (``27/KH-UBND``, ``98/2023/NĐ-CP``, ``34-CT/TW``),
  spaces removed ("215 /BC-SYT"); a blank number ("Số:   /KH-UBND") gives None.
* **Place-and-date line** ("Lam Sơn, ngày 08 tháng 01 năm 2025", "Hà Nội, ngày 5/3/2024"),
  tolerant of damaged spacing ("ngày 0 8 tháng 01 năm 2025", "ngày08tháng01năm2025"). Only the
  header is read for it (or a line that is nothing but a place and a date), never body dates.
* **Type heading** in capitals (KẾ HOẠCH, CHỈ THỊ, …) and the **subject** lines under it.
* **Body**: every document number cited ("Căn cứ Nghị định số 98/2023/NĐ-CP", "Quyết định
  12/2024/QĐ-UBND", "Kết luận số 63-KL/TU").
* **Signature block(s)** at the end, beside or interleaved with "Nơi nhận:" and its recipients,
  possibly several blocks in columns (a pledge).

Rules worth knowing (each decided once, here):

* ``issuer`` / ``parent_issuer``: header lines in capitals are merged into bodies: a line that
  starts with an administrative level ("TỈNH LAM SƠN", "THÀNH PHỐ HẢI PHÒNG") continues a body
  without a place ("ỦY BAN NHÂN DÂN"); a line continues a bare body type ("CÔNG TY CỔ PHẦN",
  "KHỐI THI ĐUA"); a line starting with "CÁC …" ("CÁC HUYỆN MIỀN NÚI") describes the body above
  it and is kept only when that body has no name or number of its own — so "KHỐI THI ĐUA SỐ 3 /
  CÁC HUYỆN MIỀN NÚI" gives "Khối thi đua số 3". The last body is the issuer, the one before it
  the parent ("UBND TỈNH LAM SƠN / SỞ Y TẾ" → "Sở Y tế" under "UBND tỉnh Lam Sơn").
  Capitals are put into the usual written case: known bodies ("Ủy ban nhân dân", "Khối thi
  đua", "Ban Chấp hành Trung ương" …), the first syllable of each field after a body type
  ("Sở Tài nguyên và Môi trường", "Ban Thi đua - Khen thưởng"), Title Case for place names after
  tỉnh/huyện/thành phố/…, abbreviations kept ("UBND"). Any other word takes the case the
  document itself gives it in running text ("CÔNG TY ĐIỆN LỰC HÀ TUYÊN" → "Công ty Điện lực Hà
  Tuyên" because the body writes "Hà Tuyên"; "ĐOÀN KIỂM TRA" → "Đoàn kiểm tra").
* ``title``: the subject lines under the heading, joined. A leading "Về việc"/"V/v" is dropped
  and the rest capitalised ("Về việc phát động …" → "Phát động …"): the prefix only says
  "about" and dropping it makes the titles of decisions, directives and letters read alike.
  A công văn's title is its "V/v" line(s). A subject that is only "Năm 2025" gives the heading
  plus the year ("Giao ước thi đua năm 2025"); a subject starting "của …" (party documents:
  "KẾT LUẬN / của Ban Thường vụ Tỉnh ủy về …") is prefixed by the heading ("Kết luận của …").
  Words in the heading after the type ("BÁO CÁO SƠ KẾT") start the title; a bracketed note in
  the heading ("(DỰ THẢO)") is dropped. A subject in capitals is put in sentence case. The
  subject ends at a blank line, a separator, a bracketed line ("(Kèm theo …)"), a line in
  capitals (the authority: "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH …"), a body opening ("Căn cứ",
  "Thực hiện", "Kính gửi", "1.", "Hôm nay" …) or a new sentence: a capitalised line after a
  subject line that does not end in a linking word.
* ``type``: the heading decides; the type part of the number ("KH" in 27/KH-UBND) is used when
  there is no heading (a mismatch gives a warning); a "V/v" line, or a number whose first symbol
  part is a body rather than a type ("1875/SNV-TĐKT"), makes a công văn (CV).
* ``report_kind`` (BC only): "so_ket" for sơ kết / 6 (sáu) tháng / giữa năm, "tong_ket" for
  tổng kết / cả năm, else None.
* ``signers``: capacity is the innermost marker before the title ("TM. ỦY BAN NHÂN DÂN / KT. CHỦ
  TỊCH / PHÓ CHỦ TỊCH" → KT.; "TL. CHỦ TỊCH / KT. CHÁNH VĂN PHÒNG" → KT.); ``on_behalf_of`` is
  the body after TM. when there is one, else the outermost principal after KT./TL./TUQ.
  ("Giám đốc", "Chủ tịch"); for "Q. GIÁM ĐỐC" the title is "Giám đốc" with capacity "Q."; a KT.
  block without its own title line gets "Phó " + the principal. A title on two lines is one
  title ("PHÓ CHỦ TỊCH / THƯỜNG TRỰC") unless the second line is an office of its own
  ("TRƯỞNG KHỐI / GIÁM ĐỐC SỞ TÀI CHÍNH" → "Trưởng Khối, Giám đốc Sở Tài chính"). Academic
  and military prefixes are dropped from names ("TS. Nguyễn …"). Columns come from the
  positions of the cells on the line; blocks are ordered top to bottom, then left to right. A
  block whose name is missing (an unsigned draft) is kept only when no block has a name.
  ``signer``/``signer_title`` come from the main signer: the first one that is not a
  secretary/minute-taker (in a biên bản the chair).
* ``issue_date``: a biên bản without a place-and-date line takes the date of its opening
  sentence ("Hôm nay, vào lúc … ngày 20/11/2024"), with a warning.
* ``citations``: every number-and-symbol in the text (not only after "số"), except the
  document's own number and forms ("Mẫu số 01/TĐKT"); a symbol of one part ("123/SNV") only
  right after "số".
* ``year``: issue year, else the year of a date line whose day is blank, else "năm YYYY" in the
  title, else the year inside the number.
* Damaged extraction is repaired before reading: a syllable split in two ("ĐIỀ U", "PHƯƠ NG",
  "ngư ời", "thư ờng") is joined when the two halves are not both syllables (or split inside a
  vowel group ươ/iê/yê/uô) and the join is one well-formed syllable; legacy TCVN3/VNI text is
  converted first. Normal text is left alone (every real syllable is well-formed).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import lru_cache
from itertools import accumulate

from portal.documents.textlayer import (
    convert_legacy_named,
    is_vietnamese_syllable,
    syllable_parts,
)
from portal.text import VIETNAMESE_LETTERS, fold_keep_length, iter_dates, nfc, parse_date

__all__ = ["DocumentMetadata", "Signer", "TYPE_CODES", "read_metadata", "repair_text"]

TYPE_CODES = ("CT", "KH", "GU", "TC", "BC", "BB", "QĐ", "TB", "TTr", "CV", "NQ", "NĐ", "HD", "OTHER")

MAX_CHARS = 400_000
HEAD_CHARS = 300_000
TAIL_CHARS = 100_000
HEADER_LINES = 30


@dataclass
class Signer:
    name: str | None
    capacity: str | None = None  # "TM." | "KT." | "Q." | "TL." | "TUQ." | None
    title: str | None = None
    on_behalf_of: str | None = None


@dataclass
class DocumentMetadata:
    type: str | None = None
    report_kind: str | None = None
    number: str | None = None
    issue_date: date | None = None
    place: str | None = None
    year: int | None = None
    issuer: str | None = None
    parent_issuer: str | None = None
    signers: list[Signer] = field(default_factory=list)
    title: str | None = None
    citations: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def main_signer(self) -> Signer | None:
        for s in self.signers:
            if s.name and not _is_secretary(s.title):
                return s
        for s in self.signers:
            if s.name:
                return s
        return self.signers[0] if self.signers else None

    @property
    def signer(self) -> str | None:
        s = self.main_signer
        return s.name if s else None

    @property
    def signer_title(self) -> str | None:
        s = self.main_signer
        return s.title if s else None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["issue_date"] = self.issue_date.isoformat() if self.issue_date else None
        d["signer"] = self.signer
        d["signer_title"] = self.signer_title
        return d


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

_CLEAN_MAP = {
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u2012": "-",
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u202f": " ", "\u3000": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "", "\u00ad": "", "\u2060": "",
    "\t": "    ", "\x0b": "\n", "\x0c": "\n",
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
}
_CLEAN_RE = re.compile("[" + re.escape("".join(_CLEAN_MAP)) + "]")
_GAP_RE = re.compile(r" {3,}")
_SPACES_RE = re.compile(r"\s+")
_SEPARATOR_RE = re.compile(r"^[\s\-_=*.~─━—–·•]+$")


def _fold(s: str) -> str:
    return fold_keep_length(s)


def _squash(s: str) -> str:
    return _SPACES_RE.sub(" ", s).strip()


def _cells(line: str) -> list[tuple[int, str]]:
    """Split a line into (start, text) cells at runs of 3+ spaces."""
    out = []
    pos = 0
    for m in _GAP_RE.finditer(line):
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


def _upper_ratio(s: str) -> float:
    upper = sum(map(str.isupper, s))
    lower = sum(map(str.islower, s))
    return upper / (upper + lower) if upper + lower else 0.0


def _is_separator(s: str) -> bool:
    return bool(_SEPARATOR_RE.match(s))


def _cap_first(s: str) -> str:
    for i, c in enumerate(s):
        if c.isalpha():
            return s[:i] + c.upper() + s[i + 1:]
    return s


def _is_abbrev(word: str) -> bool:
    core = word.strip(".,;:()")
    if not core:
        return False
    if any(c.isdigit() for c in core):
        return True
    letters = [c for c in core if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        parts = re.split(r"[-/.&]", core)
        return any(p and not is_vietnamese_syllable(p) for p in parts)
    return False


# ---------------------------------------------------------------------------------------------
# Repair of damaged extraction
# ---------------------------------------------------------------------------------------------

_SPLIT_NUCLEI = {("ư", "ơ"), ("i", "ê"), ("y", "ê"), ("u", "ô")}


def _vowel_edge(word: str, last: bool) -> str | None:
    d = unicodedata.normalize("NFD", word.lower())
    base = unicodedata.normalize(
        "NFC", "".join(c for c in d if c not in "\u0300\u0301\u0303\u0309\u0323")
    )
    if not base:
        return None
    return base[-1] if last else base[0]


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
    for m in _SPLIT_PAIR_RE.finditer(text):
        a = m.group("a") or m.group("c")
        space = m.end() - 1
        bm = _WORD_AT_RE.match(text, space + 1)
        if not bm:
            continue
        b = bm.group()
        if m.start() == last_b_start and last_joined is not None:
            a = last_joined
        last_b_start = space + 1
        last_joined = None
        if len(a) == 1 and len(b) == 1:
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


# ---------------------------------------------------------------------------------------------
# Proper case for names of bodies, titles and places written in capitals
# ---------------------------------------------------------------------------------------------

# Categories: head (a body type; the next word starts a field and is capitalised: "Sở Y tế"),
# titlehead (a title that may be followed by a field: "Trưởng phòng Tổ chức - Hành chính"),
# admin (a level of administration; a place name follows, in Title Case), fixed (its own case),
# namefixed (fixed, and a place name follows: "Tỉnh ủy Lam Sơn"), legal (a company's legal
# form; the company's name follows), prefix (Phó/Tổng/Chánh: the next word is capitalised),
# word (lower case unless capitalised by position), conn (a connector: lower case; inside a
# field the next word is capitalised: "Tài nguyên và Môi trường").
_VOCAB_SRC = {
    "head": [
        "sở", "bộ", "ban", "cục", "chi cục", "tổng cục", "phòng", "trung tâm", "viện", "hội",
        "hội đồng", "ủy ban", "văn phòng", "đoàn", "vụ", "bệnh viện", "trường", "công ty",
        "tổng công ty", "ngân hàng", "kho bạc", "báo", "đài", "thanh tra", "liên đoàn",
        "hiệp hội", "ban quản lý", "học viện", "chi nhánh", "cụm", "đội",
        "ban chỉ đạo", "tòa án", "viện kiểm sát", "bộ chỉ huy", "công an", "quỹ", "hợp tác xã",
    ],
    "titlehead": [
        "trưởng phòng", "trưởng ban", "giám đốc", "chủ tịch", "bí thư",
        "trưởng đoàn", "chủ nhiệm", "bộ trưởng", "thủ trưởng", "hiệu trưởng", "viện trưởng",
        "cục trưởng", "chi cục trưởng",
    ],
    "admin": [
        "tỉnh", "huyện", "thành phố", "thị xã", "quận", "xã", "phường", "thị trấn", "tp.", "tp",
    ],
    "fixed": [
        "Ủy ban nhân dân", "Hội đồng nhân dân", "Ủy ban Mặt trận Tổ quốc Việt Nam",
        "Mặt trận Tổ quốc Việt Nam", "Ban Chấp hành Trung ương", "Ban Chấp hành",
        "Ban Thường vụ", "Đảng Cộng sản Việt Nam", "Đảng ủy", "Đảng bộ", "Chính phủ",
        "Thủ tướng Chính phủ", "Quốc hội", "Khối thi đua", "Cụm thi đua",
        "Thi đua - Khen thưởng", "Trung ương", "Việt Nam", "Chánh Văn phòng",
        "Công Thương", "Nhà nước", "Hội đồng Thi đua - Khen thưởng",
        "Ban Thi đua - Khen thưởng", "Liên đoàn Lao động", "Hội Liên hiệp Phụ nữ",
        "Đoàn Thanh niên Cộng sản Hồ Chí Minh", "Kho bạc Nhà nước", "Bộ Chỉ huy Quân sự",
        "Văn phòng Chính phủ", "Hồ Chí Minh", "Thường trực",
        "Trưởng Khối", "Phó Trưởng Khối", "miền Bắc", "miền Trung", "miền Nam",
        "Thủ tướng", "Phó Thủ tướng", "Bộ Chính trị", "Ban Bí thư",
    ],
    "fixedhead": ["Đảng ủy Khối", "Ban Chỉ đạo", "Ủy ban Kiểm tra"],
    "namefixed": ["Tỉnh ủy", "Thành ủy", "Huyện ủy", "Quận ủy", "Thị ủy", "Tỉnh đoàn"],
    "legal": [
        "cổ phần", "trách nhiệm hữu hạn", "một thành viên", "hai thành viên trở lên",
    ],
    "prefix": ["phó", "tổng", "chánh"],
    "word": [
        "thứ trưởng", "thư ký", "chủ trì", "chủ tọa", "thành viên", "ủy viên", "kế toán trưởng",
        "đại diện", "người lập", "tổ trưởng", "xã hội", "số", "các", "thuộc", "khu vực",
        "ban hành", "nhân dân", "năm", "lần", "giai đoạn", "về", "trong", "tại", "đợt",
    ],
    "conn": ["và", "của", "với"],
}

_OLD_TONES = {
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oè": "òe", "oé": "óe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}
_OLD_TONE_RE = re.compile("(" + "|".join(_OLD_TONES) + r")(?![^\W\d_])")


@lru_cache(maxsize=1 << 16)
def _key(word: str) -> str:
    """Lower case with the tone placed the new way ("UỶ" → "ủy", "HOÀ" → "hòa")."""
    w = word.lower()
    return _OLD_TONE_RE.sub(lambda m: _OLD_TONES[m.group()], w)


def _build_vocab() -> tuple[dict[str, tuple[str, str]], int]:
    vocab: dict[str, tuple[str, str]] = {}
    longest = 1
    for cat, items in _VOCAB_SRC.items():
        for form in items:
            k = " ".join(_key(w) for w in form.split())
            longest = max(longest, len(k.split()))
            if cat in ("fixed", "namefixed", "fixedhead"):
                vocab[k] = (form, cat)
            else:
                vocab.setdefault(k, (form.lower(), cat))
    return vocab, longest


_VOCAB, _VOCAB_LONGEST = _build_vocab()
# Phrases of two words or more also match without accents, so that OCR slips in a well-known
# body ("UỶ BAN NHẨN DÂN") still come out right; single words never do ("sở" ≠ "số").
_VOCAB_FOLDED = {
    fold_keep_length(k): v for k, v in _VOCAB.items() if " " in k and v[1] in ("fixed", "namefixed", "fixedhead")
}
_SENTENCE_CATS = {"admin", "fixed", "namefixed", "conn", "word"}
_TRAIL_CHARS = ",;:.)\"'"
_LEAD_CHARS = "(\"'"

Evidence = dict[str, list[int]]


def _case_evidence(text: str, limit: int = 20000) -> Evidence:
    """How each word is written inside sentences of the text: [capitalised, lower case] counts.

    A word written in capitals in the header ("HÀ TUYÊN", "ĐIỆN LỰC") is given the case the
    document itself uses for it in running text ("Hà Tuyên", "Điện lực").
    """
    ev: Evidence = {}
    for line in text[:limit].split("\n"):
        if not line or line.isupper():
            continue
        toks = line.split()
        for k in range(1, len(toks)):
            prev = toks[k - 1]
            if prev.endswith((".", ":", "?", "!", ";")) or prev in ("-", "+", "•"):
                continue
            w = toks[k].strip(",;:.()\"'")
            if not w or not w.isalpha() or (len(w) > 1 and w.isupper()):
                continue
            key = _key(w)
            slot = 0 if w[0].isupper() else 1
            ev.setdefault(key, [0, 0])[slot] += 1
            ev.setdefault(_key(prev.strip(",;:.()\"'")) + " " + key, [0, 0])[slot] += 1
    return ev


def _evidence_case(ev: Evidence | None, prev: str | None, word: str) -> bool | None:
    """True: the text writes this word capitalised here; False: in lower case; None: unknown."""
    if not ev:
        return None
    key = _key(word)
    if prev:
        pair = ev.get(_key(prev.strip(",;:.()\"'")) + " " + key)
        if pair and pair[0] != pair[1]:
            return pair[0] > pair[1]
    one = ev.get(key)
    if one:
        if one[0] >= 2 and one[0] > one[1]:
            return True
        if one[1] > one[0]:
            return False
    return None


def _title_word(w: str) -> str:
    if _is_abbrev(w):
        return w
    parts = re.split(r"(['\-])", w.lower())
    return "".join(p[:1].upper() + p[1:] for p in parts)


def _split_word(w: str) -> tuple[str, str, str]:
    rest = w.lstrip(_LEAD_CHARS)
    lead = w[: len(w) - len(rest)]
    core = rest.rstrip(_TRAIL_CHARS)
    trail = rest[len(core):]
    return lead, core, trail


def _proper(text: str, sentence: bool = False, ev: Evidence | None = None) -> str:
    """Capitals → the usual written case of a body or title, or (sentence=True) of a subject."""
    text = _squash(re.sub(r"(?<=[^\W\d_])\s*-\s*(?=[^\W\d_]{2})", " - ", text))
    if not text:
        return text
    words = text.split(" ")
    out: list[str] = []
    mode = "default"  # default | field | name
    cap_next = False
    i = 0
    n = len(words)
    while i < n:
        lead, core, trail = _split_word(words[i])
        if not core or not any(c.isalpha() for c in core):
            out.append(words[i])
            if core == "-" and mode == "field":
                cap_next = True
            i += 1
            continue
        match = None
        if not lead:
            for length in range(min(_VOCAB_LONGEST, n - i), 0, -1):
                chunk = words[i:i + length]
                last_lead, last_core, last_trail = _split_word(chunk[-1])
                if last_lead and length > 1:
                    continue
                key = " ".join([_key(x) for x in chunk[:-1]] + [_key(last_core)])
                hit = _VOCAB.get(key)
                if hit is None and length > 1:
                    hit = _VOCAB_FOLDED.get(fold_keep_length(key))
                if hit and mode == "field" and not cap_next and hit[1] in ("head", "titlehead", "fixedhead"):
                    hit = None  # "Sở Nội vụ": "vụ" is a field word here, not the body type "Vụ"
                if hit and (not sentence or hit[1] in _SENTENCE_CATS):
                    match = (length, hit, last_trail)
                    break
        if match:
            length, (form, cat), mtrail = match
            if cat in ("head", "prefix") and not sentence:
                form = _cap_first(form)
            elif not out or (cap_next and cat in ("word", "legal", "head", "titlehead")):
                form = _cap_first(form)
            out.append(form + mtrail)
            if cat in ("head", "fixedhead") and not sentence:
                mode, cap_next = "field", True
            elif cat == "titlehead" and not sentence:
                mode, cap_next = "field", True
            elif cat in ("admin", "namefixed"):
                mode, cap_next = "name", False
            elif cat == "legal":
                mode, cap_next = "field", True
            elif cat == "prefix":
                cap_next = True
            elif cat == "conn":
                if mode == "name":
                    mode = "default"
                cap_next = mode == "field"
            else:
                cap_next = False
                if mode == "name":
                    mode = "default"
            if mtrail.startswith(",") and mode == "field":
                cap_next = True
            i += length
            continue
        prev_word = words[i - 1] if i else None
        if _is_abbrev(core):
            piece = core  # an abbreviation keeps capitals and does not use up cap_next
        elif mode == "name":
            if _evidence_case(ev, prev_word, core) is False:
                mode = "default"
                piece = core.lower()
            else:
                piece = _title_word(core)
        elif not out:
            piece = _cap_first(core.lower())
        elif cap_next:
            # the first word of a field is capitalised, unless the document itself writes it
            # in lower case right after the body type ("Đoàn kiểm tra")
            pair = ev.get(_key(prev_word.strip(",;:.()\"'")) + " " + _key(core)) if ev and prev_word else None
            piece = core.lower() if pair and pair[1] > pair[0] else _cap_first(core.lower())
            cap_next = False
        elif _evidence_case(ev, prev_word, core):
            piece = _title_word(core)
        else:
            piece = core.lower()
        out.append(lead + piece + trail)
        if trail.startswith(",") and mode == "field":
            cap_next = True
        i += 1
    return _cap_first(" ".join(out))


def _proper_if_caps(text: str, sentence: bool = False, ev: Evidence | None = None) -> str:
    text = _squash(text)
    if _upper_ratio(text) >= 0.8:
        return _proper(text, sentence=sentence, ev=ev)
    return text


# ---------------------------------------------------------------------------------------------
# Header: motto, number, date, heading
# ---------------------------------------------------------------------------------------------

_MOTTO_RES = [
    re.compile(r"cong\s{0,3}hoa\s{0,3}xa\s{0,3}hoi\s{0,3}chu\s{0,3}nghia\s{0,3}viet\s{0,3}nam"),
    re.compile(r"doc\s{0,3}lap\s{0,3}[-,.]?\s{0,3}tu\s{0,3}do\s{0,3}[-,.]?\s{0,3}hanh\s{0,3}phuc"),
    re.compile(r"dang\s{0,3}cong\s{0,3}san\s{0,3}viet\s{0,3}nam"),
]


def _motto_spans(folded: str) -> list[tuple[int, int]]:
    spans = []
    for rx in _MOTTO_RES:
        for m in rx.finditer(folded):
            spans.append((m.start(), m.end()))
    return spans


def _with_gaps(line: str, spans: list[tuple[int, int]]) -> str:
    """Replace spans by spaces and make sure a 3-space gap separates what was on each side."""
    if not spans:
        return line
    pieces = []
    pos = 0
    for a, b in sorted(spans):
        if a < pos:
            a = pos
        pieces.append(line[pos:a])
        pieces.append("   " + " " * max(0, (b - a) - 3))
        pos = max(pos, b)
    pieces.append(line[pos:])
    return "".join(pieces)


_SEG = r"(?:TTr|TTg|Ttr|[A-ZĐƯƠÂÊÔĂ][A-ZĐƯƠÂÊÔĂ0-9]{0,11})"
_SYM = rf"(?P<sym>{_SEG}(?:(?: {{0,2}}[-/]\n? {{0,2}}|\.){_SEG}){{0,4}})"
_NUM_HEAD_RE = re.compile(
    r"(?P<n>\d(?: ?\d){0,5})(?: {0,2}/ {0,2}(?P<y>(?:19|20)\d\d))? {0,2}(?P<sep>[/-]) {0,2}" + _SYM
)
_NUM_BODY_RE = re.compile(
    r"(?<![\w/.\-])(?<!\d )(?P<n>\d{1,6})(?: ?/ ?(?P<y>(?:19|20)\d\d))? ?(?P<sep>[/-]) ?" + _SYM
)
_BLANK_NUM_RE = re.compile(r"[ .…_]{0,20}/ {0,2}" + _SYM)
_SO_RE = re.compile(r"(?:^|(?<=\s))so(?![a-z])\s{0,3}[:.;]?\s{0,3}")

_TYPE_FROM_SYMBOL = {
    "CT": "CT", "KH": "KH", "GU": "GU", "TC": "TC", "BC": "BC", "BB": "BB", "QĐ": "QĐ",
    "QD": "QĐ", "TB": "TB", "TTR": "TTr", "CV": "CV", "NQ": "NQ", "NĐ": "NĐ", "HD": "HD",
    "HĐ": None, "KL": "OTHER", "TT": "OTHER", "TTLT": "OTHER", "QC": "OTHER", "QĐI": "OTHER",
    "CTR": "OTHER", "ĐA": "OTHER", "CĐ": "OTHER", "GM": "OTHER", "PA": "OTHER", "DS": "OTHER",
    "QY": "OTHER", "TTRA": "OTHER", "L": "OTHER", "PL": "OTHER", "HDLT": "OTHER", "QYĐ": "OTHER",
    "CTRI": "OTHER", "GUTĐ": "GU",
}


@dataclass
class _Number:
    value: str | None
    type_part: str | None
    start: int
    end: int


def _finish_number(line: str, m: re.Match[str], allow_one_segment: bool) -> _Number | None:
    end = m.end()
    sym = m.group("sym")
    # run-together text: "27/KH-UBNDLam Sơn" or "27/KH-UBND - Kế hoạch"
    if end < len(line) and line[end].isalpha() and line[end].islower():
        segs = re.split(r"( ?[-/.]\n? ?)", sym)
        if len(segs[-1]) <= 1 and len(segs) >= 3:
            cut = len(segs[-1]) + len(segs[-2])
        else:
            cut = 1
        sym = sym[:-cut]
        end -= cut
        if not sym or not re.match(_SEG, sym):
            return None
    sym = re.sub(r"\s+", "", sym)
    parts = [p for p in re.split(r"[-/.]", sym) if p]
    if not parts:
        return None
    if len(parts) == 1 and not allow_one_segment:
        return None
    if m.group("sep") == "-" and len(parts) < 2:
        return None
    n = m.group("n").replace(" ", "")
    y = m.group("y")
    value = n + (f"/{y}" if y else "") + m.group("sep") + sym
    return _Number(value, parts[0], m.start(), end)


def _type_from_symbol(part: str | None) -> str | None:
    if not part:
        return None
    return _TYPE_FROM_SYMBOL.get(part.upper())


# Dates (on folded text, which keeps the length of the original)
_D2 = r"\d(?: ?\d)?"
_DATE_WORDS_RE = re.compile(
    rf"ngay\s{{0,3}}(?P<d>{_D2})\s{{0,3}}[,.]?\s{{0,3}}thang\s{{0,3}}(?P<m>{_D2})\s{{0,3}}[,.]?\s{{0,3}}"
    r"nam\s{0,3}(?P<y>\d(?: ?\d){3})"
)
_DATE_NUM_RE = re.compile(
    r"ngay\s{0,3}(?P<d>\d{1,2})\s?[/.\-]\s?(?P<m>\d{1,2})\s?[/.\-]\s?(?P<y>\d{4})"
)
_DATE_BLANK_RE = re.compile(
    r"ngay[\s._…]{0,20}thang\s{0,3}(?:(?P<m>\d{1,2})|[._…]{0,20})[\s._…]{0,20}nam\s{0,3}(?P<y>\d{4})"
)
_DATE_PLACE_NUM_RE = re.compile(r",\s{0,3}(?P<d>\d{1,2})\s?/\s?(?P<m>\d{1,2})\s?/\s?(?P<y>\d{4})\s*$")


@dataclass
class _DateHit:
    line: int
    start: int
    end: int
    date: date | None
    year: int | None
    raw: str
    blank: bool = False


def _date_in(line: str, folded: str, from_pos: int = 0) -> tuple[int, int, str | None, str | None, str, bool] | None:
    best = None
    for rx, blank in ((_DATE_WORDS_RE, False), (_DATE_NUM_RE, False), (_DATE_BLANK_RE, True)):
        m = rx.search(folded, from_pos)
        if m and (best is None or m.start() < best[0]):
            d = None if blank else m.group("d").replace(" ", "")
            mo = m.group("m")
            mo = mo.replace(" ", "") if mo else None
            best = (m.start(), m.end(), d, mo, m.group("y").replace(" ", ""), blank)
    return best


_PLACE_LOWER_OK = {"phố", "xã", "trấn"}


def _place_before(text: str) -> str | None:
    t = text.rstrip().rstrip(",").rstrip()
    if not t:
        return None
    toks = t.split()
    got: list[str] = []
    k = len(toks) - 1
    while k >= 0 and len(got) < 6:
        tok = toks[k]
        core = tok.rstrip(",")
        if not core or not any(c.isalpha() for c in core):
            break
        if any(c.isdigit() for c in core) or "/" in core or ":" in core:
            break
        if core[0].isupper() and (core.replace(".", "").isalpha()):
            caps_word = len(core) > 1 and core.isupper()
            if got and not core.endswith(".") and caps_word != (len(got[-1]) > 1 and got[-1].isupper()):
                break  # "BAN TUYÊN GIÁO Lam Sơn": the issuer in capitals, then the place
            got.append(core)
        elif core in _PLACE_LOWER_OK and k > 0 and toks[k - 1] in ("Thành", "Thị"):
            got.append(core)
        else:
            break
        k -= 1
    if not got:
        return None
    place = " ".join(reversed(got))
    if _upper_ratio(place) > 0.9 and len(place) > 3:
        place = " ".join(_title_word(w) if not w.endswith(".") else w for w in place.split())
    return place


_HEADING_SRC = [
    ("giao uoc thi dua", "GU"), ("ban giao uoc thi dua", "GU"), ("ban giao uoc", "GU"),
    ("giao uoc", "GU"), ("thang bang diem", "TC"), ("thang diem", "TC"), ("tieu chi", "TC"),
    ("ke hoach", "KH"), ("chi thi", "CT"), ("bao cao", "BC"), ("bien ban", "BB"),
    ("quyet dinh", "QĐ"), ("thong bao", "TB"), ("to trinh", "TTr"), ("nghi quyet", "NQ"),
    ("nghi dinh", "NĐ"), ("huong dan", "HD"), ("cong van", "CV"),
    ("thong tu lien tich", "OTHER"), ("thong tu", "OTHER"), ("quy che", "OTHER"),
    ("quy dinh", "OTHER"), ("ket luan", "OTHER"), ("cong dien", "OTHER"),
    ("chuong trinh", "OTHER"), ("de an", "OTHER"), ("phuong an", "OTHER"), ("giay moi", "OTHER"),
    ("luat", "OTHER"), ("phap lenh", "OTHER"), ("thong tri", "OTHER"), ("danh sach", "OTHER"),
    ("giay khen", "OTHER"), ("bang khen", "OTHER"), ("hop dong", "OTHER"), ("du an", "OTHER"),
    ("ban cam ket", "OTHER"), ("ban dang ky", "OTHER"), ("phieu", "OTHER"), ("lich", "OTHER"),
    ("quy trinh", "OTHER"), ("giay chung nhan", "OTHER"), ("giay xac nhan", "OTHER"),
    ("cong thu", "OTHER"), ("phu luc", None),
]
_HEADING_RES = [
    (re.compile(r"^" + r"\s+".join(kw.split()) + r"(?=$|[\s:])"), kw, code) for kw, code in _HEADING_SRC
]
_BANG_RE = re.compile(r"^bang\s")
_HEADING_NAMES = {
    "GU": "Giao ước thi đua", "TC": "Bảng tiêu chí thi đua", "KH": "Kế hoạch", "CT": "Chỉ thị",
    "BC": "Báo cáo", "BB": "Biên bản", "QĐ": "Quyết định", "TB": "Thông báo", "TTr": "Tờ trình",
    "NQ": "Nghị quyết", "NĐ": "Nghị định", "HD": "Hướng dẫn", "CV": "Công văn",
}


@dataclass
class _Heading:
    line: int
    code: str | None
    rest: str
    text: str


def _heading_of(cell: str) -> tuple[str | None, str, bool] | None:
    """(type code, words after the type, matched) when the cell is a type heading in capitals."""
    s = cell.strip().strip("*_.:;- ")
    if len(s) > 160:
        return None
    letters = [c for c in s if c.isalpha()]
    if len(letters) < 3 or _upper_ratio(s) < 0.75:
        return None
    f = _fold(s)
    for rx, kw, code in _HEADING_RES:
        m = rx.match(f)
        if m:
            rest = re.sub(r"\([^()]{0,40}\)", " ", s[m.end():]).strip(" :.-")  # "(DỰ THẢO)"
            return code, rest, True
    if _BANG_RE.match(f):
        rest = s[4:].strip()
        if "diem" in f or "tieu chi" in f:
            return "TC", "", True
        return "OTHER", rest, True
    # spaced-out capitals: "K Ế  H O Ạ C H"
    toks = s.split()
    if len(toks) >= 4 and sum(1 for t in toks if len(t) == 1) >= len(toks) - 1:
        joined = f.replace(" ", "")
        for _rx, kw, code in _HEADING_RES:
            if joined == kw.replace(" ", ""):
                return code, "", True
    return None


# How the body begins. Strong starters end a subject even on its first line; weak ones (which
# can also begin a subject: "Xét tặng …") only end it after a first subject line. Matched on
# folded text for multi-syllable starters (OCR may lose accents) and on lower case with accents
# for the short ones ("để" must not match "đề nghị").
_BODY_STRONG_FOLDED_RE = re.compile(
    r"^(?:can cu|thuc hien|kinh gui|hom nay|vao hoi|vao luc|chuong [ivx\d]|dieu \d|"
    r"nam \d{4}\s*,|ngay \d{1,2}\s?[/.-]|(?:[ivx]+|\d{1,2}|[a-dđ])[.)]\s)"
)
_BODY_WEAK_RE = re.compile(
    r"^(?:theo |để |nhằm |xét |qua |trên cơ sở|thời gian|địa điểm|thành phần|phần [ivx\d]|"
    r"mục [ivx\d]|tiếp theo|sau khi|trong (?:năm|thời gian)|ngày \d)"
)
_SECRETARY_RE = re.compile(r"\b(?:thu ky|nguoi lap|nguoi ghi)")


def _is_secretary(title: str | None) -> bool:
    return bool(title) and bool(_SECRETARY_RE.search(_fold(title)))


_LINKING_WORDS = {
    "của", "cho", "và", "về", "tại", "với", "các", "những", "trong", "thuộc", "đối", "giữa",
    "theo", "trên", "đến", "từ", "số", "tỉnh", "huyện", "phố", "xã", "thị", "lần", "việc", "là",
    "được", "hội", "nghị", "đợt", "kỳ", "khối", "cụm",
}


def _continues(prev: str) -> bool:
    """Does a subject line ending like ``prev`` go on with a capitalised word on the next line?"""
    p = prev.rstrip()
    if p.endswith(("-", ",", "(")):
        return True
    last = p.split()[-1] if p.split() else ""
    return _key(last) in _LINKING_WORDS


def _is_body_start(s: str, first: bool) -> bool:
    """Does this line begin the body? ``first``: it would be the first line of the subject."""
    st = s.strip()
    if not st:
        return False
    if not (st[0].isupper() or st[0].isdigit()):
        return False
    if _BODY_STRONG_FOLDED_RE.match(_fold(st)):
        return True
    return not first and bool(_BODY_WEAK_RE.match(_key(st)))


# ---------------------------------------------------------------------------------------------
# Signatures
# ---------------------------------------------------------------------------------------------

_CAP_RE = re.compile(
    r"^(?P<cap>TUQ|T\.?U\.?Q|T/M|K/T|T/L|T\.M|K\.T|T\.L|TM|KT|TL|Q)(?P<dot>[.:]?)\s*(?P<rest>[^\W\d_].*)$"
)
_CAP_INNER_RE = re.compile(r"(?:(?<=\s)|^)(?:TUQ|TM|KT|TL|Q|T/M|K/T|T/L)\.?\s+(?=[A-ZĐÂĂÊÔƠƯỦỦ])")
_CAP_ANY_RE = re.compile(r"[TKQ](?<![^\s].)(?:UQ|M|T|L|/M|/T|/L|)[.:]?\s{1,3}(?=[A-ZĐÂĂÊÔƠƯỦÁÀẢÃẠ])")
_NOI_NHAN_RE = re.compile(r"[Nn](?<![^\s].)[ơoóòƠOÓÒ][iI]\s{0,2}[Nn][Hh][ậaâấẬAÂẤ][Nn](?![^\W\d_])")
_CAP_NORMAL = {
    "TUQ": "TUQ.", "TUQ.": "TUQ.", "T.U.Q": "TUQ.", "TM": "TM.", "T/M": "TM.", "T.M": "TM.",
    "KT": "KT.", "K/T": "KT.", "K.T": "KT.", "TL": "TL.", "T/L": "TL.", "T.L": "TL.", "Q": "Q.",
}
_TITLE_WORDS_RE = re.compile(
    r"\b(?:chu tich|giam doc|truong|bi thu|thu tuong|thu ky|chanh|chu tri|chu toa|chu nhiem|"
    r"tong bien tap|ke toan|uy vien|thanh vien|dai dien|nguoi lap|nguoi ghi|chi huy|thu quy)\b"
)
_KNOWN_TITLES = {
    "chu tich", "pho chu tich", "giam doc", "pho giam doc", "truong ban", "pho truong ban",
    "bi thu", "pho bi thu", "thu ky", "chu tri", "chu toa", "truong khoi", "pho truong khoi",
    "tong giam doc", "pho tong giam doc", "chanh van phong", "pho chanh van phong",
    "thu tuong", "pho thu tuong", "bo truong", "thu truong", "truong doan", "truong phong",
}
_NOISE_RE = re.compile(
    r"^(?:\(.*\)|\[.*\]|da ky|ky ten|dong dau|ky,? ghi ro ho ten|ky boi|email|e-mail|co quan\s*:|"
    r"thoi gian ky|ngay ky|chu ky so|signature|signed|\*+)"
)
_NAME_STOP = {
    "các", "sở", "ban", "khối", "trưởng", "phó", "nơi", "như", "lưu", "kính", "gửi", "tỉnh",
    "huyện", "ủy", "uỷ", "ubnd", "hđnd", "chủ", "giám", "đốc", "thường", "trực", "phòng",
}
_NAME_STOP_FIRST = {"chương", "điều", "mục", "phần", "khoản", "điểm", "phụ", "quyết", "căn"}
_SURNAMES = set(
    "nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý đinh đoàn lương "
    "trịnh mai cao lâm tạ hà vàng giàng lò sùng thào ma nông la quàng cầm lường triệu chu tô "
    "lưu kiều đào tăng thái vương châu quách khổng tống nghiêm âu lục lã lại mạc từ phùng tôn "
    "hứa doãn đàm kim văn trương tạ y h'".split()
)


def _looks_recipient(t: str) -> bool:
    s = t.strip()
    if not s:
        return False
    if s[0] in "-+•*–":
        return True
    f = _fold(s)
    if f.startswith(("luu", "nhu tren", "noi nhan")):
        return True
    return s.endswith(";") or f.endswith(("(b/c)", "(d/b)", "(t/h)", "b/c;", "b/c)"))


def _is_title(s: str) -> bool:
    st = s.strip()
    f = _squash(_fold(st)).strip(" .:")
    if f in _KNOWN_TITLES:
        return True
    if len(st) > 70 or len(st.split()) > 9:
        return False
    if _upper_ratio(st) < 0.8:
        return False
    if re.match(r"^(?:[ivx]+|\d+|[a-z])[.)]", f):
        return False
    if _heading_of(st):
        return False
    return bool(_TITLE_WORDS_RE.search(f))


_NAME_PREFIX_RE = re.compile(
    r"^(?:(?:GS|PGS|TS|ThS|Ths|BS|BSCKI{1,2}|DS|KS|CN|LS|NGƯT|NGND|NSƯT|NSND|TTƯT|TTND)\.\s*"
    r"|(?:Đại|Thượng|Trung|Thiếu) (?:tá|úy|tướng)\s+)+"
)


def _strip_name_prefix(s: str) -> str:
    """"TS. Nguyễn Văn A", "PGS.TS. …", "Đại tá …" → the name itself."""
    return _NAME_PREFIX_RE.sub("", s.strip())


def _is_name(s: str) -> bool:
    st = _strip_name_prefix(s).rstrip(".")
    if not st or len(st) > 45 or any(c.isdigit() for c in st) or ":" in st or ";" in st or "," in st:
        return False
    words = st.split()
    if not 2 <= len(words) <= 6:
        return False
    keys = [_key(w) for w in words]
    if keys[0] in _NAME_STOP_FIRST or any(k in _NAME_STOP for k in keys):
        return False
    if re.fullmatch(r"[IVXLC]+", words[-1]) and len(words[-1]) > 0 and words[-1] != "A":
        return False
    if all(w.isupper() for w in words if any(c.isalpha() for c in w)):
        # a name in capitals: the first word must be a family name
        return keys[0] in _SURNAMES and all(is_vietnamese_syllable(w) for w in words)
    for w in words:
        parts = [p for p in re.split(r"['\-]", w) if p]
        if not parts:
            return False
        for p in parts:
            if not (p[0].isupper() and (len(p) == 1 or p[1:].islower())):
                return False
            if not p.isalpha():
                return False
    valid = sum(1 for w in words if is_vietnamese_syllable(w))
    return valid * 2 >= len(words)


def _is_noise(s: str) -> bool:
    f = _fold(s.strip())
    return bool(_NOISE_RE.match(f))


def _split_caps_name(t: str) -> list[tuple[int, str]]:
    """'PHÓ CHỦ TỊCH Trần Văn Minh' → [(0, 'PHÓ CHỦ TỊCH'), (13, 'Trần Văn Minh')]."""
    toks = list(re.finditer(r"\S+", t))
    if len(toks) < 3:
        return [(0, t)]
    for k in range(1, len(toks) - 1):
        head = t[: toks[k - 1].end()]
        tail = t[toks[k].start():]
        if (
            _upper_ratio(head) >= 0.9
            and _upper_ratio(tail) < 0.9
            and (_is_title(head) or _CAP_RE.match(head))
            and _is_name(tail)
        ):
            return [(0, head), (toks[k].start(), tail)]
    return [(0, t)]


def _trailing_run(t: str) -> int | None:
    """Start of a signature fragment at the end of a recipient cell, or None."""
    toks = list(re.finditer(r"\S+", t))
    if len(toks) < 2:
        return None
    # capitals run (a title) or a Title Case run (a name), after a boundary
    for kind in ("caps", "name"):
        k = len(toks)
        while k > 0:
            w = toks[k - 1].group()
            if kind == "caps":
                # "VT." or "TĐKT," closes the recipients; it is not part of the title after it;
                # a dash may join two words of a title ("TỔ CHỨC - HÀNH CHÍNH")
                ok = (w.isupper() and w.isalpha()) or (w == "-" and k < len(toks))
            else:
                ok = w[0].isupper() and w.isalpha() and (len(w) == 1 or w[1:].islower() or w.isupper())
            if not ok or len(toks) - k >= (10 if kind == "caps" else 6):
                break
            k -= 1
        if k == len(toks) or k == 0:
            continue
        before = toks[k - 1].group()
        if not before.endswith((";", ".", ")", ":", ",")):
            continue
        frag = t[toks[k].start():]
        if kind == "caps" and _is_title(frag):
            return toks[k].start()
        if kind == "name" and _is_name(frag):
            return toks[k].start()
    return None


def _fragments(cell: str) -> list[tuple[int, str, bool]]:
    """Signature-relevant pieces of a cell: (offset, text, floating)."""
    t = cell
    off = 0
    f = _fold(t)
    m = re.match(r"\s*noi\s{0,2}nhan\s*[:.]?\s*", f)
    if m:
        off = m.end()
        t = cell[off:]
        if not t.strip():
            return []
    out: list[tuple[int, str, bool]] = []
    marks = [mm.start() for mm in _CAP_INNER_RE.finditer(t)]
    recipient = _looks_recipient(t)
    if marks:
        head = t[: marks[0]]
        if head.strip() and not recipient and not _looks_recipient(head):
            out.append((off, head.strip(), off > 0))
        bounds = marks + [len(t)]
        for a, b in zip(bounds, bounds[1:]):
            out.append((off + a, t[a:b].strip(), (off + a) > 0))
    elif recipient:
        k = _trailing_run(t)
        if k is not None:
            out.append((off + k, t[k:].strip(), True))
    else:
        out.append((off, t.strip(), off > 0))
    result = []
    for o, frag, floating in out:
        for o2, piece in _split_caps_name(frag):
            result.append((o + o2, piece, floating or o2 > 0))
    return result


@dataclass
class _SigCell:
    line: int
    pos: int
    floating: bool
    kind: str  # cap | title | name
    text: str
    column: tuple | None = None  # ("c", n) from positions, ("r", n) in a run-together row


@dataclass
class _Block:
    line: int
    column: int
    tm: str | None = None
    capacity: str | None = None
    principal: str | None = None
    title: str | None = None
    name: str | None = None
    title_line: int = -1
    title_more: list[tuple[str, str]] = field(default_factory=list)


@lru_cache(maxsize=8192)
def _classify(text: str) -> str:
    if _is_noise(text):
        return "noise"
    m = _CAP_RE.match(text.strip())
    if m:
        cap = m.group("cap")
        rest = m.group("rest")
        if (m.group("dot") or "/" in cap or "." in cap or cap in ("TM", "KT", "TL", "TUQ")) and (
            cap != "Q" or m.group("dot")
        ):
            if _upper_ratio(rest) >= 0.6 and not (cap in ("TM", "KT", "TL") and not m.group("dot") and not rest[:1].isupper()):
                return "cap"
    if _is_title(text):
        return "title"
    if _is_name(text):
        return "name"
    return "other"


_TITLE_START_RE = re.compile(
    r"^(?:pho |giam doc|chu tich|bi thu|truong |tong giam doc|chanh |thu truong|hieu truong|"
    r"vien truong|cuc truong|bo truong|thu tuong)"
)
_PHO_SPLIT_RE = re.compile(r"^(?P<a>.+?)\s+(?P<b>(?:PHÓ|Phó)\s.+)$")


def _title_tail(rest: str) -> tuple[str, str | None]:
    """'ỦY BAN NHÂN DÂN CHỦ TỊCH' → ('ỦY BAN NHÂN DÂN', 'CHỦ TỊCH') when a known title ends it."""
    words = rest.split()
    for k in range(1, len(words)):
        tail = " ".join(words[k:])
        if _squash(_fold(tail)) in _KNOWN_TITLES:
            return " ".join(words[:k]), tail
    return rest, None


def _part_score(parts: list[str]) -> int | None:
    """How well ``parts`` read as the pieces of a signature row; None if one of them does not."""
    total = 0
    prev_cap = None
    for part in parts:
        kind = _classify(part)
        if kind == "title":
            if prev_cap in ("KT.", "TL.", "TUQ.") and _fold(part).startswith("pho "):
                return None  # "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH" belong together
            total += 2 if _squash(_fold(part)).strip(" .:") in _KNOWN_TITLES else -3
        elif kind == "name":
            total += 2 if _key(part.split()[0]) in _SURNAMES else 0
        elif kind == "cap":
            total += 2
        elif kind != "noise":
            return None
        prev_cap = _cap_of(part) if kind == "cap" else None
    return total


def _cap_of(text: str) -> str | None:
    m = _CAP_RE.match(text.strip())
    return _CAP_NORMAL.get(m.group("cap"), m.group("cap") + ".") if m else None


def _split_row(text: str, k: int) -> list[str] | None:
    """Split a run-together row of ``k`` signature columns ("CHỦ TỊCH CHỦ TỊCH", "Vàng A Dình
    Hà Thị Lụa", "PHÓ CHỦ TỊCH Giàng Seo Phử") into 2..k parts that each read as a capacity
    line, a title or a name, when that reads better than the row as one piece."""
    words = text.split()
    n = len(words)
    if n < 2 or n > 14:
        return None
    whole = _part_score([text])
    best: tuple[int, list[str]] | None = None
    cuts_options: list[list[int]] = [[c] for c in range(1, n)]
    if k >= 3:
        cuts_options += [[c1, c2] for c1 in range(1, n) for c2 in range(c1 + 1, n)]
    for cuts in cuts_options:
        bounds = [0] + cuts + [n]
        parts = [" ".join(words[x:y]) for x, y in zip(bounds, bounds[1:])]
        sc = _part_score(parts)
        if sc is None or (whole is not None and sc <= whole):
            continue
        if best is None or sc > best[0]:
            best = (sc, parts)
    return best[1] if best else None


def _column_groups(frags: list[tuple]) -> list[list[tuple]]:
    """Group the signature fragments of one run-together cell into columns: a "TM." line, or
    a capacity or title after a finished title, starts a new column; "KT."/"TL." after "TM."
    and a "PHÓ …" title after "KT." nest in the same one."""
    groups: list[list[tuple]] = []
    for fr in frags:
        kind, text = fr[3], fr[1]
        if not groups:
            groups.append([fr])
            continue
        prev_kind, prev_text = groups[-1][-1][3], groups[-1][-1][1]
        new = True
        if kind == "cap" and _cap_of(text) != "TM." and prev_kind == "cap":
            new = False
        elif kind == "title" and prev_kind == "cap":
            new = _cap_of(prev_text) in ("KT.", "TL.", "TUQ.") and not _fold(text).startswith("pho ")
        elif kind == "name" and prev_kind in ("title", "cap"):
            new = False
        if new:
            groups.append([fr])
        else:
            groups[-1].append(fr)
    return groups


def _read_signers(lines: list[str], start: int, end: int, ev: Evidence | None = None) -> list[Signer]:
    cells: list[_SigCell] = []
    found_named = False
    run_k = 0  # columns of a signature row run together without spaces (several "TM." in a cell)
    for i in range(start, end):
        line = lines[i]
        if not line.strip():
            continue
        f = _fold(line)
        line_cells = _cells(line)
        if found_named and (_motto_spans(f) or any(_heading_of(c) for _, c in line_cells)):
            break
        found: list[_SigCell] = []
        for pos, text in line_cells:
            frags = [(o, fr, fl, _classify(fr)) for o, fr, fl in _fragments(text) if fr]
            frags = [x for x in frags if x[3] in ("cap", "title", "name")]
            caps = [x for x in frags if x[3] == "cap"]
            explicit = None
            groups = _column_groups(frags) if len(frags) >= 2 else []
            if (
                len(line_cells) == 1
                and caps
                and len(groups) >= 2
                and all(x[3] in ("cap", "title") for x in frags)
                and not _looks_recipient(text)
                and not _fold(text).lstrip().startswith("noi nhan")
            ):
                # "TM. UBND HUYỆN A TM. UBND HUYỆN B", "THƯ KÝ TM. ĐOÀN KIỂM TRA": columns run together
                run_k = len(groups)
                for idx, group in enumerate(groups):
                    for o, fr, _fl, kind in group:
                        found.append(_SigCell(i, pos + o, True, kind, fr, column=("r", idx)))
                continue
            if len(line_cells) == 1 and not _looks_recipient(text) and (
                run_k >= 2 or (len(frags) == 1 and frags[0][3] == "title")
            ):
                parts = _split_row(text, max(run_k, 2))
                if parts and len(parts) >= 2 and (
                    run_k >= 2 or all(_squash(_fold(p)).strip(" .:") in _KNOWN_TITLES for p in parts)
                ):
                    run_k = max(run_k, len(parts))
                    explicit = [(0, p, True, _classify(p)) for p in parts]
                    explicit = [x for x in explicit if x[3] in ("cap", "title", "name")]
            if explicit is not None:
                for idx, (o, fr, _fl, kind) in enumerate(explicit):
                    found.append(_SigCell(i, pos + o, True, kind, fr, column=("r", idx)))
            else:
                for o, fr, fl, kind in frags:
                    col = ("r", None) if run_k >= 2 and len(line_cells) == 1 else None
                    found.append(_SigCell(i, pos + o, fl, kind, fr, column=col))
        for c in found:
            if c.kind == "name" and any(x.kind != "name" for x in cells):
                found_named = True
            cells.append(c)
    if not cells:
        return []
    # columns from the positions of the cells that kept their place on the line
    auto = [c for c in cells if c.column is None]
    fixed = sorted(c.pos + len(c.text) / 2 for c in auto if not c.floating)
    clusters: list[list[float]] = []
    for x in fixed:
        if clusters and x - clusters[-1][-1] <= 16:
            clusters[-1].append(x)
        else:
            clusters.append([x])
    centers = [sum(c) / len(c) for c in clusters]
    for c in auto:
        if not centers:
            c.column = ("c", 0)
        elif c.floating:
            c.column = ("c", len(centers) - 1)
        else:
            x = c.pos + len(c.text) / 2
            c.column = ("c", min(range(len(centers)), key=lambda k: abs(centers[k] - x)))
    blocks: list[_Block] = []
    current: dict[tuple, _Block | None] = {}

    def needs(col: tuple, kind: str) -> bool:
        cur = current.get(col)
        if cur is None:
            return kind != "name"
        if kind == "name":
            return not cur.name and bool(cur.title or cur.capacity)
        if kind == "title":
            return cur.title is None and not cur.name
        return False

    for c in sorted(cells, key=lambda x: x.line):
        if c.column == ("r", None):
            # a single piece in a run-together row: the leftmost column still waiting for it
            run_cols = sorted({x.column for x in cells if x.column and x.column[0] == "r" and x.column[1] is not None}, key=lambda t: t[1])
            target = next((col for col in run_cols if needs(col, c.kind)), run_cols[0] if run_cols else ("r", 0))
            c.column = target
        col = c.column
        cur = current.get(col)
        order = col[1] if col[1] is not None else 0
        if c.kind == "cap":
            m = _CAP_RE.match(c.text.strip())
            cap = _CAP_NORMAL.get(m.group("cap"), m.group("cap") + ".")
            rest = m.group("rest").strip()
            if cur is None or cur.title or cur.name or (cap == "TM." and (cur.tm or cur.capacity)):
                if cur is not None:
                    blocks.append(cur)
                cur = _Block(c.line, order)
            if cap == "TM.":
                body, title = _title_tail(rest)
                cur.tm = body
                cur.capacity = "TM."
                if title:
                    cur.title = title
                    cur.title_line = c.line
            elif cap == "Q.":
                cur.capacity = "Q."
                cur.title = rest
                cur.title_line = c.line
            else:
                # nested markers ("TL. CHỦ TỊCH / KT. CHÁNH VĂN PHÒNG"): the innermost
                # capacity, the outermost principal
                cur.capacity = cap
                mm = _PHO_SPLIT_RE.match(rest)
                principal = mm.group("a") if mm else rest
                if cur.principal is None:
                    cur.principal = principal
                if mm:
                    cur.title = mm.group("b")
                    cur.title_line = c.line
        elif c.kind == "title":
            if cur is None or cur.name:
                if cur is not None:
                    blocks.append(cur)
                cur = _Block(c.line, order, title=c.text, title_line=c.line)
            elif cur.title is None:
                cur.title = c.text
                cur.title_line = c.line
            elif c.line == cur.title_line + 1:
                # a title on two lines: "PHÓ CHỦ TỊCH / THƯỜNG TRỰC" continues it,
                # "TRƯỞNG KHỐI / GIÁM ĐỐC SỞ TÀI CHÍNH" adds a second office
                joiner = ", " if _TITLE_START_RE.match(_fold(c.text)) else " "
                cur.title_more.append((joiner, c.text))
                cur.title_line = c.line
            else:
                blocks.append(cur)
                cur = _Block(c.line, order, title=c.text, title_line=c.line)
        elif c.kind == "name":
            if cur is not None and not cur.name and (cur.title or cur.capacity):
                cur.name = c.text
                blocks.append(cur)
                cur = None
        current[col] = cur
    blocks.extend(b for b in current.values() if b is not None)
    blocks.sort(key=lambda b: (b.line, b.column))
    named = [b for b in blocks if b.name]
    chosen = named if named else [b for b in blocks if b.title or b.capacity]
    signers = []
    for b in chosen:
        title = None
        if b.title:
            # "PHÓ CHỦ TỊCH / THƯỜNG TRỰC" is one title; "TRƯỞNG KHỐI / GIÁM ĐỐC SỞ …" two offices
            segments = [b.title]
            for joiner, more in b.title_more:
                if joiner == ", ":
                    segments.append(more)
                else:
                    segments[-1] = segments[-1] + " " + more
            title = ", ".join(_proper_if_caps(seg, ev=ev) for seg in segments)
        principal = _proper_if_caps(b.principal, ev=ev) if b.principal else None
        if title is None and b.capacity == "KT." and principal:
            title = "Phó " + principal
        on_behalf = _proper_if_caps(b.tm, ev=ev) if b.tm else principal
        name = _squash(_strip_name_prefix(b.name)) if b.name else None
        if name and name.isupper():
            name = " ".join(_title_word(w) for w in name.split())
        signers.append(Signer(name=name, capacity=b.capacity, title=title, on_behalf_of=on_behalf))
    return signers


# ---------------------------------------------------------------------------------------------
# Issuer
# ---------------------------------------------------------------------------------------------

_ADMIN_START_RE = re.compile(r"^(?:tinh|huyen|thanh pho|thi xa|quan|xa|phuong|thi tran|tp\.?)\s(?!uy\b|doan\b)")
_ADMIN_ANY_RE = re.compile(r"(?:^|\s)(?:tinh|huyen|thanh pho|thi xa|quan|xa|phuong|thi tran|tp\.?)\s(?!uy\b|doan\b)")
_BARE_BODIES = {
    "uy ban nhan dan", "hoi dong nhan dan", "ubnd", "hdnd", "cong ty", "tong cong ty",
    "cong ty co phan", "cong ty tnhh", "cong ty trach nhiem huu han", "hoi dong",
    "ban chap hanh", "uy ban mat tran to quoc viet nam", "uy ban mttq viet nam", "dang bo",
    "dang uy", "khoi thi dua", "cum thi dua", "hoi dong thi dua - khen thuong",
    "hoi dong thi dua khen thuong", "ban thi dua - khen thuong", "lien doan lao dong",
    "hoi lien hiep phu nu", "hoi nong dan", "hoi cuu chien binh", "uy ban kiem tra",
    "doan tncs ho chi minh", "ban chi dao", "toa an nhan dan", "vien kiem sat nhan dan",
}
_URGENCY = {"khan", "hoa toc", "thuong khan", "mat", "toi mat", "tuyet mat", "du thao", "ban chinh", "ban sao"}


def _issuer_cell(s: str) -> bool:
    st = s.strip()
    if not st or _is_separator(st) or len(st) > 100:
        return False
    letters = [c for c in st if c.isalpha()]
    if len(letters) < 2 or _upper_ratio(st) < 0.6:
        return False
    f = _squash(_fold(st)).strip(" .:*")
    if f in _URGENCY or re.match(r"^so\s*[:.]?$", f) or f.startswith(("v/v", "ve viec")):
        return False
    if _heading_of(st):
        return False
    return True


def _starts_with_body(cell: str) -> bool:
    """Does a header cell in ordinary case begin with the name of a kind of body?"""
    words = cell.split()
    if not words or len(cell) > 100 or cell.endswith((".", ":", ";")):
        return False
    for length in range(min(5, len(words)), 0, -1):
        hit = _VOCAB.get(" ".join(_key(w) for w in words[:length]))
        if hit and hit[1] in ("head", "fixed", "namefixed", "fixedhead") and words[0][0].isupper():
            return True
    return False


def _merge_issuer_lines(items: list[str]) -> list[str]:
    units: list[str] = []
    for raw in items:
        s = _squash(raw).strip(" *")
        if not s:
            continue
        f = _squash(_fold(s))
        if units:
            prev = units[-1]
            pf = _squash(_fold(prev))
            if f.startswith(("cac ", "(")):
                if pf in _BARE_BODIES:
                    units[-1] = prev + " " + s
                continue
            if (
                (_ADMIN_START_RE.match(f) and not _ADMIN_ANY_RE.search(pf))
                or pf in _BARE_BODIES
                or pf.endswith((" va", "-", ",", " cua", " thuoc"))
                or f.startswith(("va ", "- ", "cua ", "thuoc "))
            ):
                units[-1] = prev + " " + s
                continue
        units.append(s)
    return units


# ---------------------------------------------------------------------------------------------
# The reader
# ---------------------------------------------------------------------------------------------


def read_metadata(text: str) -> DocumentMetadata:
    """Read type, number, date, place, issuer, signers, title and citations; never raises."""
    try:
        return _read(text)
    except Exception:  # noqa: BLE001 - a reader of untrusted text must never break an upload
        return DocumentMetadata(warnings=["Không đọc được thông tin văn bản (lỗi khi phân tích)"])


def _prepare(raw: object, warnings: list[str]) -> str:
    t = raw if isinstance(raw, str) else ""
    if len(t) > MAX_CHARS:
        t = t[:HEAD_CHARS] + "\n" + t[-TAIL_CHARS:]
        warnings.append("Văn bản rất dài; chỉ đọc phần đầu và phần cuối")
    t = nfc(t)
    t = t.replace("\r\n", "\n").replace("\r", "\n")
    legacy = convert_legacy_named(t)
    if legacy:
        t = legacy[0]
        name = "TCVN3 (ABC)" if legacy[1] == "tcvn3" else "VNI"
        warnings.append(f"Văn bản dùng phông chữ cũ {name}; đã chuyển sang Unicode")
    t = _CLEAN_RE.sub(lambda m: _CLEAN_MAP[m.group()], t)
    t = re.sub(r"[\x00-\x08\x0e-\x1f\x7f]", " ", t)
    t, joins = repair_text(t)
    if joins:
        warnings.append(f"Lớp chữ bị tách âm tiết; đã ghép lại {joins} chỗ")
    return t


# the first character class before the look-behind lets the regex engine skip ahead quickly
_LOST_LETTERS_RE = re.compile(
    r"[bcdđghklmnpqrstvx](?<![^\W\d_].)[bcdđghklmnpqrstvx]{0,2} [bcdđghklmnpqrstvx]{1,3}(?![^\W\d_])"
)


def _lost_letters(text: str) -> bool:
    """Two lower-case consonant-only tokens side by side ("đ ng bộ"): letters were lost."""
    return _LOST_LETTERS_RE.search(text) is not None


def _read(raw: object) -> DocumentMetadata:
    warnings: list[str] = []
    text = _prepare(raw, warnings)
    meta = DocumentMetadata()
    if not text.strip():
        meta.warnings = warnings + ["Văn bản trống"]
        return meta
    lines = text.split("\n")
    n_lines = len(lines)
    ev = _case_evidence(text)

    head_n = min(n_lines, 60)

    # 1. the type heading, in capitals, before the body begins
    heading: _Heading | None = None
    for i in range(head_n):
        st = lines[i].strip()
        if not st:
            continue
        if i > 0 and _is_body_start(st, first=False) and _fold(st).startswith(("can cu", "kinh gui", "thuc hien")):
            break
        for _pos, cell in [(0, st)] + _cells(lines[i]):
            h = _heading_of(cell)
            if h and h[2]:
                code, rest, _ = h
                if code is None:  # "PHỤ LỤC"
                    continue
                heading = _Heading(i, code, rest, cell)
                break
        if heading:
            break

    # 2. header lines (above the heading) with the national motto blanked out
    motto_to = min(heading.line if heading else HEADER_LINES, HEADER_LINES)
    blanked: list[str] = []
    folded: list[str] = []
    for i in range(head_n):
        line = lines[i]
        f = _fold(line)
        spans = _motto_spans(f) if i < motto_to else []
        if spans:
            line = _with_gaps(line, spans)
            f = _fold(line)
        blanked.append(line)
        folded.append(f)

    if heading:
        header_end = heading.line
    else:
        # no heading (a công văn): the header ends where the body starts
        header_end = min(head_n, 20)
        for i in range(1, min(head_n, 25)):
            fi = _fold(blanked[i].strip())
            if fi.startswith(("kinh gui", "can cu", "thuc hien", "hom nay", "theo de nghi")):
                header_end = i
                break

    # 3. number
    number: _Number | None = None
    number_line = -1
    blank_number_type: str | None = None
    for i in range(min(header_end + 1, head_n, 25)):
        line, f = blanked[i], folded[i]
        for m in _SO_RE.finditer(f):
            pos = m.end()
            mm = _NUM_HEAD_RE.match(line, pos)
            if mm:
                num = _finish_number(line, mm, allow_one_segment=True)
                if num:
                    number, number_line = num, i
                    break
            bm = _BLANK_NUM_RE.match(line, pos)
            if bm:
                parts = [p for p in re.split(r" ?[-/.] ?", bm.group("sym")) if p]
                if parts:
                    blank_number_type = _type_from_symbol(parts[0]) or "CV"
                    number_line = i
                    number = _Number(None, parts[0], m.start(), bm.end())
                    break
        if number:
            break
    if number and number.value is None:
        warnings.append("Số văn bản để trống (văn bản chưa cấp số)")
    elif not number:
        warnings.append("Không tìm thấy số, ký hiệu văn bản")
    meta.number = number.value if number else None

    # 4. place and date
    date_hit = None
    place = None
    candidates = []
    for i in range(min(header_end, head_n)):
        line, f = blanked[i], folded[i]
        if "ngay" not in f and not _DATE_PLACE_NUM_RE.search(f):
            continue
        if i != number_line and _is_body_start(line.strip(), first=True) and not _fold(line.strip()).startswith("ngay"):
            continue
        from_pos = number.end if (number and i == number_line) else 0
        hit = _date_in(line, f, from_pos)
        if hit is None:
            pm = _DATE_PLACE_NUM_RE.search(f, from_pos)
            if not pm:
                continue
            hit = (pm.start(), pm.end(), pm.group("d"), pm.group("m"), pm.group("y"), False)
        a = hit[0]
        # the cell the date is in, after the number if it shares the line
        cell_start = from_pos
        for gm in _GAP_RE.finditer(line, from_pos, a):
            cell_start = gm.end()
        prefix = line[cell_start:a]
        has_place = prefix.rstrip().endswith(",") or bool(_place_before(prefix))
        if not has_place and prefix.strip():
            continue  # a date inside a sentence, not the date line
        candidates.append((0 if has_place else 1, i, hit, prefix))
        if has_place:
            break
    if not candidates:
        # a line that is nothing but a place and a date, anywhere (often above the signatures)
        for i, line in enumerate(lines):
            if "ng" not in line and "NG" not in line:
                continue
            st = line.strip()
            if len(st) > 90:
                continue
            f = _fold(line)
            hit = _date_in(line, f)
            if not hit:
                continue
            tail = f[hit[1]:].strip(" .")
            prefix = line[:hit[0]]
            if tail or not prefix.rstrip().endswith(","):
                continue
            p = _place_before(prefix)
            if p and len(prefix.strip().split()) <= 7:
                candidates.append((0, i, hit, prefix))
                break
    if candidates:
        candidates.sort(key=lambda c: (c[0], c[1]))
        _rank, i, hit, prefix = candidates[0]
        a, b, d, mo, y, blank = hit
        place = _place_before(prefix)
        raw_date = lines[i][a:b] if i < len(lines) else ""
        year = int(y) if y and y.isdigit() else None
        dval = None
        if not blank and d and mo and y:
            try:
                dval = parse_date(f"{int(d):02d}/{int(mo):02d}/{y}")
            except ValueError:
                warnings.append(f"Ngày ban hành không hợp lệ: “{_squash(raw_date)}”")
        elif blank:
            warnings.append("Ngày ban hành để trống")
        date_hit = _DateHit(i, a, b, dval, year, raw_date, blank)
    meta.place = place

    # 5. type
    heading_type = heading.code if heading else None
    number_type = _type_from_symbol(number.type_part) if number else None
    if number and number.value is None:
        number_type = blank_number_type if blank_number_type != "CV" else _type_from_symbol(number.type_part)

    def bare(i: int) -> str:
        """Header line ``i`` with the motto, the number and the place-and-date blanked out."""
        line = blanked[i]
        spans = []
        if number and i == number_line:
            spans.append((number.start, number.end))
        if date_hit and i == date_hit.line:
            a = date_hit.start
            if place:
                k = line[:a].rfind(place)
                if k >= 0:
                    a = k
            spans.append((a, date_hit.end))
        return _with_gaps(line, spans) if spans else line

    # V/v line (công văn) in the header
    vv_title = None
    vv_line = -1
    vv_limit = heading.line if heading else min(head_n, 25)
    for i in range(vv_limit):
        for pos, cell in _cells(bare(i)):
            fc = _fold(cell)
            vm = re.search(r"(?:^|\s)(?:v/v|v\.v|ve viec)\b", fc)
            if vm and (vm.start() == 0 or cell[vm.start() + 1] == "V"):
                vv_line = i
                cell = cell[vm.start():].strip()
                parts = [re.sub(r"^(?:v/v|v\.v)\s*[:.]?\s*", "", cell, flags=re.I)]
                for j in range(i + 1, min(i + 4, head_n)):
                    nxt = bare(j)
                    if not nxt.strip():
                        break
                    cs = _cells(nxt)
                    if not cs:
                        break
                    p0, c0 = cs[0]
                    if p0 > pos + 12 or _is_body_start(c0, first=False) or _fold(c0).startswith(("kinh gui", "so", "ngay")):
                        break
                    if _upper_ratio(c0) > 0.8 or _date_in(c0, _fold(c0)):
                        break
                    parts.append(c0)
                vv_title = " ".join(parts)
                break
        if vv_line >= 0:
            break

    if heading_type:
        meta.type = heading_type
        if number_type and number_type not in (heading_type, "OTHER") and heading_type != "OTHER":
            warnings.append(
                f"Tiêu đề là {_HEADING_NAMES.get(heading_type, heading_type)} nhưng ký hiệu số là {number.type_part}"
            )
    elif number_type:
        meta.type = number_type
    elif vv_line >= 0 or (number and number.type_part and number_type is None):
        meta.type = "CV"
    else:
        warnings.append("Không xác định được loại văn bản")

    # 6. title (trích yếu)
    title = None
    title_end = heading.line if heading else header_end - 1
    if heading:
        got: list[str] = []
        blanks = 0
        all_caps = True
        for j in range(heading.line + 1, min(heading.line + 12, n_lines)):
            s = (blanked[j] if j < head_n else lines[j]).strip()
            if not s:
                if got:
                    break
                blanks += 1
                if blanks > 2:
                    break
                continue
            if _is_separator(s):
                if got:
                    break
                continue
            if len(s) > 300:
                break  # a subject line is never this long
            if _is_body_start(s, first=not got):
                break
            caps = _upper_ratio(s) >= 0.8
            if got and not caps and (s.endswith(":") or re.search(r"\S: ", s)):
                break
            if got and s.startswith("("):
                break  # "(Ban hành kèm theo …)", "(Kèm theo …)"
            if (
                got
                and not caps
                and s[0].isupper()
                and not _continues(got[-1])
                and (len(s) > 60 or s.endswith((".", ":", ";")) or len(got) >= 2)
            ):
                break  # a new sentence, not the subject wrapping onto the next line
            if got and caps and not all_caps:
                break
            if caps and _TITLE_WORDS_RE.search(_fold(s)) and re.search(r"(?:uy ban|hoi dong|chinh phu|bo truong|chu tich)", _fold(s)) and got:
                break
            if caps and not got and re.match(r"^(?:chu tich|bo truong|thu tuong|giam doc|hoi dong|ban chap hanh|uy ban)", _fold(s)):
                break
            all_caps = all_caps and caps
            got.append(s)
            title_end = j
            if s.endswith((".", ":", ";")) or len(got) >= 4:
                break
        subject = _squash(" ".join(got)).rstrip(" ;,.:") if got else ""
        if subject and all_caps:
            subject = _proper(subject, sentence=True, ev=ev)
        rest = _proper(heading.rest, sentence=True, ev=ev) if heading.rest else ""
        if subject and re.fullmatch(r"năm \d{4}", subject.lower()):
            # "GIAO ƯỚC THI ĐUA / Năm 2025": the heading itself names the document
            base = _proper(_squash(heading.text).strip(" :."), sentence=True, ev=ev)
            title = base + " " + subject.lower()
        elif subject.startswith("của "):
            # party documents: "KẾT LUẬN / của Ban Thường vụ Tỉnh ủy về …"
            title = _proper(_squash(heading.text).strip(" :."), sentence=True, ev=ev) + " " + subject
        elif rest and subject:
            title = rest + " " + (subject[:1].lower() + subject[1:] if not subject[:2].isupper() else subject)
        else:
            title = rest or subject or None
    if title is None and vv_title:
        title = _squash(vv_title).rstrip(" ;,.:")
    if title:
        title = re.sub(r"^(?:v/v|v\.v|về việc)\s*[:.]?\s*", "", title, flags=re.I).strip()
        title = _cap_first(title) if title else None
    if not title:
        warnings.append("Không tìm thấy trích yếu")
    meta.title = title or None

    # report kind
    if meta.type == "BC":
        f = _fold(" ".join(x for x in (heading.rest if heading else "", title or "") if x))
        if re.search(r"so ket|\b6 thang|sau thang|giua nam", f):
            meta.report_kind = "so_ket"
        elif re.search(r"tong ket|ca nam", f):
            meta.report_kind = "tong_ket"

    # 7. issuer
    issuer_stop = min(x for x in (header_end, vv_line if vv_line >= 0 else head_n, 15, head_n))
    items: list[str] = []
    plain: list[str] = []  # a header in ordinary case ("Công ty TNHH …"), used when no capitals
    for i in range(issuer_stop):
        for _pos, cell in _cells(bare(i)):
            # "Số:" left behind after blanking the number
            cell2 = re.sub(r"(?:^|\s)(?:Số|SỐ|số)\s*[:.]?\s*$", "", cell).strip()
            if _issuer_cell(cell2):
                items.append(cell2)
            elif not items and _starts_with_body(cell2):
                plain.append(_squash(cell2))
    if not items and plain:
        items = plain[-2:]
    units = _merge_issuer_lines(items)
    if units:
        meta.issuer = _proper(units[-1], ev=ev)
        if len(units) > 1:
            meta.parent_issuer = _proper(units[-2], ev=ev)
    else:
        warnings.append("Không tìm thấy cơ quan ban hành")

    # 8. dates and year
    if date_hit:
        meta.issue_date = date_hit.date
    if meta.issue_date is None and meta.type == "BB":
        start = (heading.line + 1) if heading else 0
        for j in range(start, min(start + 15, n_lines)):
            fj = _fold(lines[j])
            if re.search(r"hom nay|vao (?:hoi|luc)", fj):
                for dm in iter_dates(" ".join(lines[j:j + 2])):
                    meta.issue_date = dm.date
                    warnings.append("Không có dòng địa danh, ngày tháng; lấy ngày họp trong biên bản")
                    break
                break
    if meta.issue_date is None and date_hit is None:
        warnings.append("Không tìm thấy ngày ban hành")
    if meta.issue_date:
        meta.year = meta.issue_date.year
    elif date_hit and date_hit.year:
        meta.year = date_hit.year
    elif title and (ym := re.search(r"năm (\d{4})\b", title, flags=re.I)):
        meta.year = int(ym.group(1))
    elif meta.number and (ym := re.search(r"/((?:19|20)\d\d)/", meta.number)):
        meta.year = int(ym.group(1))

    # 9. citations
    own = meta.number
    cites: list[str] = []
    seen = set()
    for m in _NUM_BODY_RE.finditer(text):
        ctx = _fold(text[max(0, m.start() - 14):m.start()])
        if re.search(r"(?:mau|bieu|phu luc)\s*(?:so)?\s*:?\s*$", ctx):
            continue  # a form ("Mẫu số 01/TĐKT"), not a document
        num = _finish_number(text, m, allow_one_segment=bool(re.search(r"\bso\s*:?\s*$", ctx)))
        if not num or not num.value:
            continue
        if num.value == own or num.value in seen:
            continue
        seen.add(num.value)
        cites.append(num.value)
    meta.citations = cites

    # 10. signers
    # the body begins after the subject and the authority lines in capitals under it
    # ("CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH …", "HỘI ĐỒNG NHÂN DÂN TỈNH … / KHÓA XVIII …")
    body_start = title_end + 1
    skipped = 0
    while body_start < n_lines and skipped < 6:
        st = lines[body_start].strip()
        if st and not _is_separator(st) and _upper_ratio(st) < 0.8:
            break
        body_start += 1
        skipped += 1
    if body_start >= n_lines:
        body_start = title_end + 1
    line_starts = [0, *accumulate(len(line) + 1 for line in lines[:-1])]
    body_offset = line_starts[body_start] if body_start < n_lines else len(text)

    def line_of(offset: int) -> int:
        lo, hi = 0, n_lines - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo

    nn_idx = -1
    nm = _NOI_NHAN_RE.search(text, body_offset)
    if nm:
        nn_idx = line_of(nm.start())
    cap_idx = -1
    for cm in _CAP_ANY_RE.finditer(text, body_offset):
        i = line_of(cm.start())
        if any(_classify(fr) == "cap" for _p, c in _cells(lines[i]) for _o, fr, _f in _fragments(c)):
            cap_idx = i
            break
    starts = [x for x in (nn_idx - 10 if nn_idx >= 0 else None, cap_idx - 3 if cap_idx >= 0 else None) if x is not None]
    zone_start = max(body_start, min(starts)) if starts else max(body_start, n_lines - 30)
    zone_end = min(n_lines, zone_start + 90)
    meta.signers = _read_signers(lines, zone_start, zone_end, ev)
    if not any(s.name for s in meta.signers):
        warnings.append("Không tìm thấy người ký")

    # damage left over after repair
    if _lost_letters(text[:HEAD_CHARS]):
        warnings.append("Lớp chữ có chỗ mất chữ (phụ âm đứng riêng); nên kiểm tra lại")

    meta.warnings = warnings
    return meta
