"""A milestone's title: the step's words without its dates, its subject, recipients and qualifiers."""

from __future__ import annotations

import re

from .labels import LABEL_RE
from .model import PIECE_MAX, TITLE_MAX, Candidate
from .plan import WORD_RE, WS_RUN_RE, Plan

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


def sub_aligned(
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


def clean_piece(
    plan: Plan, spans: list[tuple[int, int]], remove: list[tuple[int, int]]
) -> tuple[str, str]:
    """A piece of a step made a title: dates, label, subject, recipients and qualifiers removed."""
    texts = [plan.strip_spans(s, min(e, s + PIECE_MAX), remove) for s, e in spans[:6]]
    o = " ".join(x[0] for x in texts)
    fo = " ".join(x[1] for x in texts)
    o, fo = sub_aligned(WS_RUN_RE, o, fo, " ")
    o, fo = sub_aligned(_EMPTY_PARENS_RE, o, fo, " ")
    o, fo = sub_aligned(WS_RUN_RE, o, fo, " ")
    o, fo = sub_aligned(_SPACE_BEFORE_PUNCT_RE, o, fo)
    o, fo = sub_aligned(_DOUBLE_PUNCT_RE, o, fo)
    m = LABEL_RE.match(fo)
    if m and m.lastgroup in ("content", "time"):
        o, fo = o[m.end() :], fo[m.end() :]
    o, fo = trim_junk(o, fo)
    head = fo.find(": ")
    named = 8 <= head <= 70 and len(WORD_RE.findall(fo, 0, head)) >= 2
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
        o, fo = trim_junk(o, fo)
    # cut before recipients and qualifiers ("về Ban …", "tại …", "giữa các thành viên", "(…")
    for m in _CUT_RE.finditer(fo):
        if m.start() < 12:
            continue
        word = o[m.start() : m.end()].strip().lower()
        folded = fo[m.start() : m.end()].strip()
        if folded.startswith("(") or cut_word_ok(word, folded):
            o, fo = o[: m.start()], fo[: m.start()]
            break
    return trim_junk(o, fo)


def cut_word_ok(word: str, folded: str) -> bool:
    """May the title stop at this word? Unaccented text needs care ("de" may be "đề")."""
    first = word.split(" ")[0]
    if first in _CUT_WORDS:
        return True
    if first.isascii():  # unaccented text: "de" may be "đề" (đề nghị), "len"/"toi" other words
        return folded.split(" ")[0] in ("ve", "cho", "giua", "theo", "tai")
    return folded.startswith(("tren", "can"))


def trim_junk(o: str, fo: str) -> tuple[str, str]:
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


def shorten(o: str, fo: str, budget: int) -> tuple[str, str] | None:
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


def make_title(plan: Plan, c: Candidate) -> str:
    """The milestone's title: one or two cleaned pieces, at most ``TITLE_MAX`` characters."""
    parts = []
    for piece in c.title_pieces:
        o, fo = clean_piece(plan, piece, c.remove)
        # a first piece may be one word ("Thẩm định"); a second must say more than "trước"
        if len(WORD_RE.findall(fo)) >= (2 if parts else 1) and len(o) >= 3:
            parts.append((o, fo))
        if len(parts) == 2:
            break
    if not parts:
        for s, e in c.class_pieces:
            o, fo = clean_piece(plan, [(s, e)], c.remove)
            if len(o) >= 3:
                parts.append((o, fo))
                break
    if not parts:
        return "Mốc công việc theo kế hoạch"
    title_o, title_f = parts[0]
    short = shorten(title_o, title_f, TITLE_MAX)
    title_o, title_f = short if short else (title_o[:TITLE_MAX].rsplit(" ", 1)[0], "")
    if len(parts) > 1:
        budget = TITLE_MAX - len(title_o) - 2
        second = shorten(parts[1][0], parts[1][1], budget) if budget >= 12 else None
        if second and second[0]:
            title_o = f"{title_o}; {second[0]}"
    title_o = title_o.strip()
    if title_o.isupper() and len(title_o) > 3:  # "KÝ KẾT GIAO ƯỚC THI ĐUA" → sentence case
        title_o = title_o.lower()
    return title_o[:1].upper() + title_o[1:]
