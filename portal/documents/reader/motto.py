"""The national motto in the header, blanked out wherever it is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.documents.reader.model import HEADER_LINES
from portal.documents.reader.textutil import fold_line

if TYPE_CHECKING:
    from portal.documents.reader.document import Doc

import re

_MOTTO_RES = [
    re.compile(r"cong\s{0,3}hoa\s{0,3}xa\s{0,3}hoi\s{0,3}chu\s{0,3}nghia\s{0,3}viet\s{0,3}nam"),
    re.compile(r"doc\s{0,3}lap\s{0,3}[-,.]?\s{0,3}tu\s{0,3}do\s{0,3}[-,.]?\s{0,3}hanh\s{0,3}phuc"),
    re.compile(r"dang\s{0,3}cong\s{0,3}san\s{0,3}viet\s{0,3}nam"),
]


# The Youth Union's documents carry "ĐOÀN TNCS HỒ CHÍ MINH" on the right where others carry the
# national motto; on the left (first cell of its line) it is the issuing body itself.
_RIGHT_MOTTO_RE = re.compile(r"(?:(?<=\S {3})|(?<=[^\W\d_]))\s*(doan\s{1,3}tncs\s{1,3}ho\s{1,3}chi\s{1,3}minh)\s*$")


def motto_spans(folded: str) -> list[tuple[int, int]]:
    spans = []
    for rx in _MOTTO_RES:
        for m in rx.finditer(folded):
            spans.append((m.start(), m.end()))
    m = _RIGHT_MOTTO_RE.search(folded)
    if m:
        spans.append((m.start(1), m.end(1)))
    return spans


def with_gaps(line: str, spans: list[tuple[int, int]]) -> str:
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


def blank_motto(doc: Doc) -> None:
    """Header lines (above the heading) with the national motto blanked out."""
    motto_to = min(doc.heading.line if doc.heading else HEADER_LINES, HEADER_LINES)
    for i in range(doc.head_n):
        line = doc.lines[i]
        f = fold_line(line)
        spans = motto_spans(f) if i < motto_to else []
        if spans:
            line = with_gaps(line, spans)
            f = fold_line(line)
        doc.blanked.append(line)
        doc.folded.append(f)
