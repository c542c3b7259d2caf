"""Capitals put into the usual written case of bodies, titles, places and subjects."""

from __future__ import annotations

import re
from functools import lru_cache

from portal.documents.reader.textutil import cap_first, is_abbrev, squash, upper_ratio
from portal.text import fold_keep_length

# Categories: head (a body type; the next word starts a field and is capitalised: "Sở Y tế"),
# titlehead (a title that may be followed by a field: "Trưởng phòng Tổ chức - Hành chính"),
# admin (a level of administration; a place name follows, in Title Case), fixed (its own case),
# namefixed (fixed, and a place name follows: "Tỉnh ủy Lam Sơn"), legal (a company's legal
# form; the company's name follows), prefix (Phó/Tổng/Chánh: the next word is capitalised),
# word (lower case unless capitalised by position), conn (a connector: lower case; inside a
# field the next word is capitalised: "Tài nguyên và Môi trường").
_VOCAB_SRC = {
    "head": [
        "sở", "bộ", "ban", "tiểu ban", "cục", "chi cục", "tổng cục", "phòng", "trung tâm", "viện", "hội",
        "hội đồng", "ủy ban", "văn phòng", "đoàn", "vụ", "bệnh viện", "trường", "công ty",
        "tổng công ty", "ngân hàng", "kho bạc", "báo", "đài", "thanh tra", "liên đoàn",
        "hiệp hội", "ban quản lý", "học viện", "chi nhánh", "cụm", "đội",
        "ban chỉ đạo", "tòa án", "viện kiểm sát", "bộ chỉ huy", "công an", "quỹ", "hợp tác xã",
    ],
    "titlehead": [
        "trưởng phòng", "trưởng ban", "giám đốc", "chủ tịch", "bí thư",
        "trưởng đoàn", "chủ nhiệm", "bộ trưởng", "thủ trưởng", "hiệu trưởng", "viện trưởng",
        "cục trưởng", "chi cục trưởng", "trưởng tiểu ban", "chỉ huy trưởng",
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
        "ban hành", "nhân dân", "cụm trưởng", "khối trưởng", "năm", "lần", "giai đoạn", "về", "trong", "tại", "đợt",
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
def vocab_key(word: str) -> str:
    """Lower case with the tone placed the new way ("UỶ" → "ủy", "HOÀ" → "hòa")."""
    w = word.lower()
    return _OLD_TONE_RE.sub(lambda m: _OLD_TONES[m.group()], w)


def _build_vocab() -> tuple[dict[str, tuple[str, str]], int]:
    vocab: dict[str, tuple[str, str]] = {}
    longest = 1
    for cat, items in _VOCAB_SRC.items():
        for form in items:
            k = " ".join(vocab_key(w) for w in form.split())
            longest = max(longest, len(k.split()))
            if cat in ("fixed", "namefixed", "fixedhead"):
                vocab[k] = (form, cat)
            else:
                vocab.setdefault(k, (form.lower(), cat))
    return vocab, longest


VOCAB, _VOCAB_LONGEST = _build_vocab()
# Phrases of two words or more also match without accents, so that OCR slips in a well-known
# body ("UỶ BAN NHẨN DÂN") still come out right; single words never do ("sở" ≠ "số").
_VOCAB_FOLDED = {
    fold_keep_length(k): v for k, v in VOCAB.items() if " " in k and v[1] in ("fixed", "namefixed", "fixedhead")
}
_SENTENCE_CATS = {"admin", "fixed", "namefixed", "conn", "word"}
_TRAIL_CHARS = ",;:.)\"'"
_LEAD_CHARS = "(\"'"

Evidence = dict[str, list[int]]


def case_evidence(text: str, limit: int = 20000) -> Evidence:
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
            key = vocab_key(w)
            slot = 0 if w[0].isupper() else 1
            ev.setdefault(key, [0, 0])[slot] += 1
            ev.setdefault(vocab_key(prev.strip(",;:.()\"'")) + " " + key, [0, 0])[slot] += 1
    return ev


def _evidence_case(ev: Evidence | None, prev: str | None, word: str, pair_only: bool = False) -> bool | None:
    """True: the text writes this word capitalised here; False: in lower case; None: unknown.

    ``pair_only``: only the evidence of this word after ``prev`` counts, not of the word alone.
    """
    if not ev:
        return None
    key = vocab_key(word)
    if prev:
        pair = ev.get(vocab_key(prev.strip(",;:.()\"'")) + " " + key)
        if pair and pair[0] != pair[1]:
            return pair[0] > pair[1]
    if pair_only:
        return None
    one = ev.get(key)
    if one:
        if one[0] >= 2 and one[0] > one[1]:
            return True
        if one[1] > one[0]:
            return False
    return None


def _starts_name(ev: Evidence | None, word: str, nxt: str | None) -> bool:
    """The text writes the next word capitalised right after this one ("Lam Sơn") and never
    writes this one in lower case: this word opens the same proper name."""
    if not ev or not nxt:
        return False
    key = vocab_key(word)
    nkey = vocab_key(_split_word(nxt)[1])
    if not nkey or nkey in VOCAB:
        return False
    pair = ev.get(key + " " + nkey)
    own = ev.get(key)
    return bool(pair) and pair[0] > pair[1] and not (own and own[1])


def title_word(w: str) -> str:
    if is_abbrev(w):
        return w
    parts = re.split(r"(['\-])", w.lower())
    return "".join(p[:1].upper() + p[1:] for p in parts)


def _split_word(w: str) -> tuple[str, str, str]:
    rest = w.lstrip(_LEAD_CHARS)
    lead = w[: len(w) - len(rest)]
    core = rest.rstrip(_TRAIL_CHARS)
    trail = rest[len(core):]
    return lead, core, trail


def proper(text: str, sentence: bool = False, ev: Evidence | None = None) -> str:
    """Capitals → the usual written case of a body or title, or (sentence=True) of a subject."""
    text = squash(re.sub(r"(?<=[^\W\d_])\s*-\s*(?=[^\W\d_]{2})", " - ", text))
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
                key = " ".join([vocab_key(x) for x in chunk[:-1]] + [vocab_key(last_core)])
                hit = VOCAB.get(key)
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
                form = cap_first(form)
            elif not out or (cap_next and cat in ("word", "legal", "head", "titlehead")):
                form = cap_first(form)
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
        if is_abbrev(core):
            piece = core  # an abbreviation keeps capitals and does not use up cap_next
        elif mode == "name":
            # after "tỉnh", "huyện" …: the place's syllables, until the text shows a common word
            # here; in a body's name (not a sentence) only the word after this very one counts
            # ("UBND HUYỆN BẢN MƯỜNG" although "11 bản" is written in lower case)
            if (_evidence_case(ev, prev_word, core, pair_only=not sentence) is False
                    and not _starts_name(ev, core, words[i + 1] if i + 1 < n else None)):
                mode = "default"
                piece = core.lower()
            else:
                piece = title_word(core)
        elif not out:
            piece = cap_first(core.lower())
        elif cap_next:
            # the first word of a field is capitalised, unless the document itself writes it
            # in lower case right after the body type ("Đoàn kiểm tra")
            pair = ev.get(vocab_key(prev_word.strip(",;:.()\"'")) + " " + vocab_key(core)) if ev and prev_word else None
            piece = core.lower() if pair and pair[1] > pair[0] else cap_first(core.lower())
            cap_next = False
        elif _evidence_case(ev, prev_word, core):
            piece = title_word(core)
        elif _starts_name(ev, core, words[i + 1] if i + 1 < n else None):
            # "ĐIỆN LỰC LAM SƠN": the text writes "Lam Sơn" ("Lam Sơn, ngày …"), so "LAM" opens
            # that name even where no sentence shows "Lam" itself
            piece = title_word(core)
            mode, cap_next = "name", False
        else:
            piece = core.lower()
        out.append(lead + piece + trail)
        if trail.startswith(",") and mode == "field":
            cap_next = True
        i += 1
    return cap_first(" ".join(out))


def proper_if_caps(text: str, sentence: bool = False, ev: Evidence | None = None) -> str:
    text = squash(text)
    if upper_ratio(text) >= 0.8:
        return proper(text, sentence=sentence, ev=ev)
    return text
