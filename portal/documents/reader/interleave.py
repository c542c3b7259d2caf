"""Signature columns that the extraction interleaved line by line.

Side-by-side signature columns are laid out top-aligned, one row at a time: row ``r`` holds the
``r``-th line of every column that still has one, left to right. When a PDF text layer has no gap
between the columns, pypdf gives those rows one line each, so the columns come out interleaved::

    GIÁM ĐỐC ĐIỆN LỰC LAM SƠN               <- row 0, column 1
    GIÁM ĐỐC NGÂN HÀNG NÔNG NGHIỆP VÀ       <- row 0, column 2
    (Trưởng Khối)                           <- row 1, column 1 (its last line)
    PHÁT TRIỂN NÔNG THÔN VIỆT NAM - CHI     <- row 1, column 2
     NHÁNH TỈNH LAM SƠN                     <- row 2, column 2 (column 1 has ended)
     (Phó Trưởng Khối)                      <- row 3, column 2
    Phan Hồng Đạt                           <- column 1's name (its column ended first)
    Phạm Ngọc Long

The whole interleaving follows from how many lines each column has, so the reading tries every
split of the lines into ``k`` columns (``k`` = the number of names under them) and keeps those
where every column reads as one signature: it opens with a title head, a title head further down
only follows the capacity lines that open it ("KT. CHỦ TỊCH" then "PHÓ CHỦ TỊCH"), a parenthesised
role line "(Trưởng Khối)" closes it, and no line of it ends on a word that needs a next one
("… VÀ", "… -") unless the next line of the same column continues it. Where two lines of a
column join into a known phrase ("CHI" + "NHÁNH", a place the document writes "Lam Sơn") the
split scores better. Each column's name comes a fixed number of blank rows below the column's
last line, so the names follow in the order the columns end (ties left to right).

When more than one split reads equally well, only what every one of them agrees on is kept (each
column's head line at least), and the caller warns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations

# kinds of a line: "cap" (TM./KT./… line), "title" (starts with a title: GIÁM ĐỐC, CHỦ TỊCH …),
# "cont" (the rest of a title or body name in capitals), "paren" (a role line "(…)")
HEAD_KINDS = ("cap", "title")
MAX_LINES = 24
MAX_COLUMNS = 4


@dataclass
class Split:
    columns: list[list[int]]  # indexes into the lines, per column, top to bottom
    name_of: list[int]  # name_of[c]: which of the names (in reading order) is column c's
    score: int


def interleave(counts: list[int]) -> list[list[int]]:
    """The line indexes of each column when the columns have ``counts`` lines, read row by row."""
    cols: list[list[int]] = [[] for _ in counts]
    i = 0
    for r in range(max(counts)):
        for c, n in enumerate(counts):
            if r < n:
                cols[c].append(i)
                i += 1
    return cols


def _column_score(
    idx: list[int], kinds: list[str], dangling: Callable[[int], int], joins: Callable[[int, int], bool]
) -> int | None:
    """How well lines ``idx`` read as one signature column; None if they cannot be one.

    ``dangling(i)``: 2 when line ``i`` cannot end a title ("… VÀ", "… -", "… ,"), 1 when it
    probably does not ("… CHI", "… VIỆT": the first word of a known phrase), else 0.
    """
    if kinds[idx[0]] not in HEAD_KINDS:
        return None
    score = 0
    titled = kinds[idx[0]] == "title"
    for a, b in zip(idx, idx[1:]):
        ka, kb = kinds[a], kinds[b]
        if ka == "paren":
            return None  # the role line closes the column
        if kb in HEAD_KINDS:
            # a title head starts another column, except under the capacity lines that open
            # this one ("TM. BAN THƯỜNG VỤ / LIÊN ĐOÀN LAO ĐỘNG TỈNH / PHÓ CHỦ TỊCH")
            if titled or dangling(a) == 2:
                return None
            titled = kb == "title"
            continue
        if kb == "cont":
            if dangling(a) or joins(a, b):
                score += 2
        elif dangling(a) == 2:
            return None
    last = [i for i in idx if kinds[i] != "paren"][-1]
    end = dangling(last)
    if end == 2:
        return None
    return score - 2 * end


def splits(
    kinds: list[str],
    k: int,
    dangling: Callable[[int], int],
    joins: Callable[[int, int], bool],
) -> list[Split]:
    """The best-reading ways to split ``kinds`` (one per line) into ``k`` interleaved columns."""
    m = len(kinds)
    if not 2 <= k <= MAX_COLUMNS or m < k or m > MAX_LINES:
        return []
    if any(kinds[i] not in HEAD_KINDS for i in range(k)):
        return []
    best: list[Split] = []
    for cuts in combinations(range(1, m), k - 1):
        bounds = (0, *cuts, m)
        counts = [b - a for a, b in zip(bounds, bounds[1:])]
        cols = interleave(counts)
        total = 0
        for idx in cols:
            sc = _column_score(idx, kinds, dangling, joins)
            if sc is None:
                break
            total += sc
        else:
            order = sorted(range(k), key=lambda c: (counts[c], c))  # the column ending first names first
            name_of = [0] * k
            for pos, c in enumerate(order):
                name_of[c] = pos
            if not best or total > best[0].score:
                best = [Split(cols, name_of, total)]
            elif total == best[0].score:
                best.append(Split(cols, name_of, total))
    return best


def agreed(found: list[Split]) -> tuple[list[list[int]], list[int] | None]:
    """What every split agrees on: each column's common first lines, and the names if they agree."""
    k = len(found[0].columns)
    cols = []
    for c in range(k):
        common = list(found[0].columns[c])
        for s in found[1:]:
            other = s.columns[c]
            n = 0
            while n < min(len(common), len(other)) and common[n] == other[n]:
                n += 1
            common = common[:n]
        cols.append(common)
    names = found[0].name_of if all(s.name_of == found[0].name_of for s in found) else None
    return cols, names
