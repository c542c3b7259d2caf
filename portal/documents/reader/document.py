"""The state of one reading: the prepared text, its lines, and what earlier steps found."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal.documents.reader.case import Evidence
from portal.documents.reader.dates import _DateHit
from portal.documents.reader.heading import _Heading
from portal.documents.reader.model import DocumentMetadata
from portal.documents.reader.motto import with_gaps
from portal.documents.reader.number import _Number


@dataclass
class Doc:
    text: str
    lines: list[str]
    ev: Evidence
    warnings: list[str]
    meta: DocumentMetadata = field(default_factory=DocumentMetadata)
    heading: _Heading | None = None
    blanked: list[str] = field(default_factory=list)  # header lines with the motto blanked out
    folded: list[str] = field(default_factory=list)
    header_end: int = 0
    number: _Number | None = None
    number_line: int = -1
    blank_number_type: str | None = None
    date_hit: _DateHit | None = None
    place: str | None = None
    vv_title: str | None = None
    vv_line: int = -1
    title_end: int = 0

    @property
    def n_lines(self) -> int:
        return len(self.lines)

    @property
    def head_n(self) -> int:
        return min(self.n_lines, 60)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def bare(self, i: int) -> str:
        """Header line ``i`` with the motto, the number and the place-and-date blanked out."""
        line = self.blanked[i]
        spans = []
        if self.number and i == self.number_line:
            spans.append((self.number.start, self.number.end))
        if self.date_hit and i == self.date_hit.line:
            a = self.date_hit.start
            if self.place:
                k = line[:a].rfind(self.place)
                if k >= 0:
                    a = k
            spans.append((a, self.date_hit.end))
        return with_gaps(line, spans) if spans else line
