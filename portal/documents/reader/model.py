"""The reader's results: a document's metadata and its signers."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date

from portal.documents.reader.textutil import fold_line

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


_SECRETARY_RE = re.compile(r"\b(?:thu ky|nguoi lap|nguoi ghi)")


def _is_secretary(title: str | None) -> bool:
    return bool(title) and bool(_SECRETARY_RE.search(fold_line(title)))
