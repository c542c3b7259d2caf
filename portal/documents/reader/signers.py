"""The signature block(s) at the end of a document.

Columns kept apart by a gap on each line are told apart by position; columns run together on one
line are split by how their pieces read; columns that the text layer gave one line at a time,
interleaved row by row, are taken apart first (``_interleaved_blocks``, see ``interleave``).
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING

from portal.documents.reader.textutil import is_separator

if TYPE_CHECKING:
    from portal.documents.reader.document import Doc

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate

from portal.documents.reader.case import _VOCAB_SRC, VOCAB, Evidence, proper_if_caps, title_word, vocab_key
from portal.documents.reader.heading import heading_of
from portal.documents.reader.interleave import agreed, splits
from portal.documents.reader.model import Signer
from portal.documents.reader.motto import motto_spans
from portal.documents.reader.textutil import fold_line, split_cells, squash, upper_ratio
from portal.documents.textlayer import (
    is_vietnamese_syllable,
)

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
# Words of a title or a recipient that are never part of a personal name, even after a family name.
_NAME_STOP_ALWAYS = {"các", "nơi", "kính", "gửi", "tỉnh", "huyện", "ủy", "uỷ", "ubnd", "hđnd", "chủ", "giám", "đốc", "phòng"}


def _has_stop_word(keys: list[str]) -> bool:
    """A stop word makes a line a title or a recipient, except as a given name after a family name.

    "Trần Lưu Quang", "Lê Văn Thường", "Nguyễn Văn Ban", "Huỳnh Thị Như Ý" are names; "Lưu: VT",
    "Như trên", "Ban Thường vụ", "Phó Chủ tịch" are not.
    """
    if keys[0] not in _SURNAMES or keys[0] in _NAME_STOP:
        return any(k in _NAME_STOP for k in keys)
    return any(k in _NAME_STOP_ALWAYS for k in keys) or any(
        a in _NAME_STOP and b in _NAME_STOP for a, b in zip(keys[1:], keys[2:])  # "Thường Trực"
    )


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
    f = fold_line(s)
    if f.startswith(("luu", "nhu tren", "noi nhan")):
        return True
    return s.endswith(";") or f.endswith(("(b/c)", "(d/b)", "(t/h)", "b/c;", "b/c)"))


def _is_title(s: str) -> bool:
    st = s.strip()
    f = squash(fold_line(st)).strip(" .:")
    if f in _KNOWN_TITLES:
        return True
    if len(st) > 70 or len(st.split()) > 9:
        return False
    if upper_ratio(st) < 0.8:
        return False
    if re.match(r"^(?:[ivx]+|\d+|[a-z])[.)]", f):
        return False
    if heading_of(st):
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
    keys = [vocab_key(w) for w in words]
    if keys[0] in _NAME_STOP_FIRST or _has_stop_word(keys):
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
    f = fold_line(s.strip())
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
            upper_ratio(head) >= 0.9
            and upper_ratio(tail) < 0.9
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
    f = fold_line(t)
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
            if upper_ratio(rest) >= 0.6 and not (cap in ("TM", "KT", "TL") and not m.group("dot") and not rest[:1].isupper()):
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
        if squash(fold_line(tail)) in _KNOWN_TITLES:
            return " ".join(words[:k]), tail
    return rest, None


def _part_score(parts: list[str]) -> int | None:
    """How well ``parts`` read as the pieces of a signature row; None if one of them does not."""
    total = 0
    prev_cap = None
    for part in parts:
        kind = _classify(part)
        if kind == "title":
            if prev_cap in ("KT.", "TL.", "TUQ.") and fold_line(part).startswith("pho "):
                return None  # "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH" belong together
            total += 2 if squash(fold_line(part)).strip(" .:") in _KNOWN_TITLES else -3
        elif kind == "name":
            total += 2 if vocab_key(part.split()[0]) in _SURNAMES else 0
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
            new = _cap_of(prev_text) in ("KT.", "TL.", "TUQ.") and not fold_line(text).startswith("pho ")
        elif kind == "name" and prev_kind in ("title", "cap"):
            new = False
        if new:
            groups.append([fr])
        else:
            groups[-1].append(fr)
    return groups

# ------------------------------------------------------------------------------------------
# Signature columns interleaved line by line (see ``interleave``)
# ------------------------------------------------------------------------------------------

# The words a signature title starts with (the title vocabulary above, with its accents, so that
# "TRƯỞNG BAN" starts a title and "TRƯỜNG …" does not).
_HEAD_STARTS = tuple(
    tuple(vocab_key(w) for w in t.split())
    for t in (
        *_VOCAB_SRC["titlehead"], "phó", "tổng giám đốc", "trưởng", "chánh", "thư ký", "chủ tọa",
        "chủ trì", "chỉ huy trưởng", "thủ tướng", "thứ trưởng", "tổng biên tập", "kế toán trưởng",
        "ủy viên", "thành viên", "người lập", "tổ trưởng", "cụm trưởng", "khối trưởng", "thủ quỹ",
    )
)
_DANGLING_WORDS = {"và", "của", "với", "-", "&"}
_VOCAB_BIGRAMS = {" ".join(p) for k in VOCAB for p in zip(k.split(), k.split()[1:])}
_VOCAB_FIRSTS = {k.split()[0] for k in VOCAB if " " in k} - set(VOCAB)
INTERLEAVED_WARNING = (
    "Khối chữ ký nhiều cột bị đọc xen kẽ, không tách chắc được; chỉ giữ phần chắc chắn của chức danh, "
    "nên kiểm tra lại"
)


def _interleaved_kind(line: str) -> str:
    """The kind of a line for ``interleave``: cap, title, cont, paren, name, blank or other."""
    st = line.strip()
    if not st:
        return "blank"
    if len(split_cells(line)) != 1:
        return "other"  # the columns kept their gap: read as usual
    if st.startswith("(") and st.endswith(")") and len(st) <= 60:
        return "paren"
    kind = _classify(st)
    if kind == "cap":
        return "cap"
    if kind == "name":
        return "name"
    if upper_ratio(st) < 0.8 or len(st) > 70 or any(c in st for c in ":;"):
        return "other"
    keys = [vocab_key(w) for w in st.split()]
    if any(tuple(keys[: len(h)]) == h for h in _HEAD_STARTS):
        return "title"
    return "cont"


def _word_key(w: str) -> str:
    return vocab_key(w.strip(",;:.()\"'")) if w not in ("-", "&") else w


def _interleaved_blocks(
    lines: list[str], start: int, end: int, ev: Evidence | None, warnings: list[str] | None
) -> tuple[list[_Block], list[str]]:
    """Signature columns pypdf read interleaved, line by line, with no gap between them: several
    title heads one under the other, their continuations and role lines, and as many names after
    them. Returns their blocks and ``lines`` with those lines blanked for the usual reading."""
    kinds = {i: _interleaved_kind(lines[i]) for i in range(start, end)}
    blocks: list[_Block] = []
    out = lines
    i = start
    while i < end:
        if kinds[i] not in ("cap", "title"):
            i += 1
            continue
        body: list[int] = []
        j = i
        while j < end and kinds[j] in ("cap", "title", "cont", "paren", "blank"):
            if kinds[j] != "blank":
                body.append(j)
            j += 1
        names: list[int] = []
        while j < end and kinds[j] in ("name", "blank"):
            if kinds[j] == "name":
                names.append(j)
            j += 1
        k = len(names)
        found = []
        if k >= 2 and len(body) >= k:
            texts = [lines[x].strip() for x in body]
            kind_list = [kinds[x] for x in body]
            words = [t.split() for t in texts]

            def dangling(a: int) -> int:
                last = words[a][-1]
                key = _word_key(last)
                if key in _DANGLING_WORDS or last.endswith((",", "-")):
                    return 2
                return 1 if kind_list[a] != "paren" and key in _VOCAB_FIRSTS else 0

            def joins(a: int, b: int) -> bool:
                pair = _word_key(words[a][-1]) + " " + _word_key(words[b][0])
                return pair in _VOCAB_BIGRAMS or bool(ev and pair in ev)

            found = splits(kind_list, k, dangling, joins)
        if not found:
            i = j if k >= 2 else i + 1
            continue
        if len(found) == 1:
            cols, name_of = found[0].columns, found[0].name_of
        else:
            cols, name_of = agreed(found)
            if warnings is not None and INTERLEAVED_WARNING not in warnings:
                warnings.append(INTERLEAVED_WARNING)
        for c, idx in enumerate(cols):
            b = _Block(body[0], c)
            last_field = None
            for x in idx:
                text = texts[x]
                kind = kind_list[x]
                if kind == "paren":
                    continue  # the role in the bloc ("Trưởng Khối"): no place for it on a Signer
                if kind == "cap":
                    last_field = _apply_cap(b, text, body[x])
                elif kind == "title" and b.title is None:
                    b.title, b.title_line, last_field = text, body[x], "title"
                elif kind == "title":
                    b.title_more.append((", ", text))
                elif last_field == "tm":
                    b.tm = f"{b.tm} {text}"
                elif last_field == "principal":
                    b.principal = f"{b.principal} {text}"
                else:
                    b.title_more.append((" ", text))
            b.name = lines[names[name_of[c] if name_of else c]].strip()
            blocks.append(b)
        if out is lines:
            out = list(lines)
        for x in [*body, *names]:
            out[x] = ""
        i = j
    return blocks, out


def _read_signers(
    lines: list[str], start: int, end: int, ev: Evidence | None = None, warnings: list[str] | None = None
) -> list[Signer]:
    extra_blocks, lines = _interleaved_blocks(lines, start, end, ev, warnings)
    cells: list[_SigCell] = []
    found_named = False
    run_k = 0  # columns of a signature row run together without spaces (several "TM." in a cell)
    for i in range(start, end):
        line = lines[i]
        if not line.strip():
            continue
        f = fold_line(line)
        line_cells = split_cells(line)
        if found_named and (motto_spans(f) or any(heading_of(c) for _, c in line_cells)):
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
                and not fold_line(text).lstrip().startswith("noi nhan")
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
                    run_k >= 2 or all(squash(fold_line(p)).strip(" .:") in _KNOWN_TITLES for p in parts)
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
        return [_signer_of(b, ev) for b in extra_blocks]
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
            cap = _cap_of(c.text)
            if cur is None or cur.title or cur.name or (cap == "TM." and (cur.tm or cur.capacity)):
                if cur is not None:
                    blocks.append(cur)
                cur = _Block(c.line, order)
            _apply_cap(cur, c.text, c.line)
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
                joiner = ", " if _TITLE_START_RE.match(fold_line(c.text)) else " "
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
    blocks.extend(extra_blocks)
    blocks.sort(key=lambda b: (b.line, b.column))
    named = [b for b in blocks if b.name]
    chosen = named if named else [b for b in blocks if b.title or b.capacity]
    return [_signer_of(b, ev) for b in chosen]


def _apply_cap(cur: _Block, text: str, line: int) -> str:
    """Record a capacity line ("TM. …", "KT. CHỦ TỊCH", "Q. GIÁM ĐỐC") on ``cur``; returns the
    field a continuation of the line extends: "tm", "principal" or "title"."""
    m = _CAP_RE.match(text.strip())
    cap = _CAP_NORMAL.get(m.group("cap"), m.group("cap") + ".")
    rest = m.group("rest").strip()
    if cap == "TM.":
        body, title = _title_tail(rest)
        cur.tm = body
        cur.capacity = "TM."
        if title:
            cur.title = title
            cur.title_line = line
            return "title"
        return "tm"
    if cap == "Q.":
        cur.capacity = "Q."
        cur.title = rest
        cur.title_line = line
        return "title"
    # nested markers ("TL. CHỦ TỊCH / KT. CHÁNH VĂN PHÒNG"): the innermost capacity, the
    # outermost principal
    cur.capacity = cap
    mm = _PHO_SPLIT_RE.match(rest)
    principal = mm.group("a") if mm else rest
    if cur.principal is None:
        cur.principal = principal
    if mm:
        cur.title = mm.group("b")
        cur.title_line = line
        return "title"
    return "principal"


def _signer_of(b: _Block, ev: Evidence | None) -> Signer:
    title = None
    if b.title:
        # "PHÓ CHỦ TỊCH / THƯỜNG TRỰC" is one title; "TRƯỞNG KHỐI / GIÁM ĐỐC SỞ …" two offices
        segments = [b.title]
        for joiner, more in b.title_more:
            if joiner == ", ":
                segments.append(more)
            else:
                segments[-1] = segments[-1] + " " + more
        title = ", ".join(proper_if_caps(seg, ev=ev) for seg in segments)
    principal = proper_if_caps(b.principal, ev=ev) if b.principal else None
    if title is None and b.capacity == "KT." and principal:
        title = "Phó " + principal
    on_behalf = proper_if_caps(b.tm, ev=ev) if b.tm else principal
    name = squash(_strip_name_prefix(b.name)) if b.name else None
    if name and name.isupper():
        name = " ".join(title_word(w) for w in name.split())
    return Signer(name=name, capacity=b.capacity, title=title, on_behalf_of=on_behalf)


def read_signature_zone(doc: Doc) -> None:
    """Signers from the zone around "Nơi nhận:" and the first capacity marker after the body starts."""
    lines, n_lines, text = doc.lines, doc.n_lines, doc.text
    # the body begins after the subject and the authority lines in capitals under it
    # ("CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH …", "HỘI ĐỒNG NHÂN DÂN TỈNH … / KHÓA XVIII …")
    body_start = doc.title_end + 1
    skipped = 0
    while body_start < n_lines and skipped < 6:
        st = lines[body_start].strip()
        if st and not is_separator(st) and upper_ratio(st) < 0.8:
            break
        body_start += 1
        skipped += 1
    if body_start >= n_lines:
        body_start = doc.title_end + 1
    line_starts = [0, *accumulate(len(line) + 1 for line in lines[:-1])]
    body_offset = line_starts[body_start] if body_start < n_lines else len(text)

    def line_of(offset: int) -> int:
        return bisect_right(line_starts, offset) - 1

    nn_idx = -1
    nm = _NOI_NHAN_RE.search(text, body_offset)
    if nm:
        nn_idx = line_of(nm.start())
    cap_idx = -1
    for cm in _CAP_ANY_RE.finditer(text, body_offset):
        i = line_of(cm.start())
        if any(_classify(fr) == "cap" for _p, c in split_cells(lines[i]) for _o, fr, _f in _fragments(c)):
            cap_idx = i
            break
    starts = [nn_idx - 10] if nn_idx >= 0 else []
    if cap_idx >= 0:
        starts.append(cap_idx - 3)
    zone_start = max(body_start, min(starts)) if starts else max(body_start, n_lines - 30)
    zone_end = min(n_lines, zone_start + 90)
    doc.meta.signers = _read_signers(lines, zone_start, zone_end, doc.ev, doc.warnings)
    if not any(s.name for s in doc.meta.signers):
        doc.warn("Không tìm thấy người ký")
