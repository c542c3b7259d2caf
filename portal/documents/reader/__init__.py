"""Read a Vietnamese administrative document's metadata from its text (PDF text layer or OCR).

``read_metadata(text) -> DocumentMetadata`` is a pure function that never raises. It reads the
structure that Nghị định 30/2020/NĐ-CP gives every administrative document rather than any
particular wording: the header (issuing body on the left, the national motto on the right), the
"Số: …" line, the place-and-date line, the type heading in capitals and the subject under it,
the body (every document number cited) and the signature block(s) at the end.

The reading is a table of steps, in order (``STEPS``); each step is a small function in the
module of the field or layout part it reads, and records what it found on a shared ``Doc``:

======================  ==========================================================================
module                  reads
======================  ==========================================================================
``repair``              damaged extraction: split syllables joined, letter-spaced words closed up,
                        lost letters flagged (never guessed)
``motto``               the national motto, blanked out wherever it is
``heading``             the type heading (KẾ HOẠCH, QUYẾT ĐỊNH …)
``body``                where the header ends and the body begins
``number``              the number and symbol, and the citations in the body
``dates``               place, issue date, year
``subject``             the subject (trích yếu), or a công văn's "V/v" line
``doctype``             the type: heading, else the number's symbol; report kind
``issuer``              issuing body and its parent, put into the usual written case (``case``)
``signers``             the signature block(s); side-by-side columns that the text layer read
                        interleaved, row by row, are taken apart by ``interleave``
======================  ==========================================================================

Rules worth knowing are documented where they are applied.
"""

from __future__ import annotations

import re

from portal.documents.reader.body import find_header_end
from portal.documents.reader.case import case_evidence
from portal.documents.reader.dates import read_issue_date_and_year, read_place_and_date
from portal.documents.reader.doctype import read_report_kind, read_type
from portal.documents.reader.document import Doc
from portal.documents.reader.heading import demote_subject_heading, find_heading
from portal.documents.reader.issuer import read_issuer
from portal.documents.reader.model import (
    HEAD_CHARS,
    MAX_CHARS,
    TAIL_CHARS,
    TYPE_CODES,
    DocumentMetadata,
    Signer,
)
from portal.documents.reader.motto import blank_motto
from portal.documents.reader.number import read_citations, read_number
from portal.documents.reader.repair import close_letter_spacing, note_lost_letters, repair_text
from portal.documents.reader.signers import read_signature_zone
from portal.documents.reader.subject import read_title, read_vv_line
from portal.documents.reader.textutil import _CLEAN_MAP, _CLEAN_RE
from portal.documents.textlayer import convert_legacy_named
from portal.text import nfc

__all__ = ["DocumentMetadata", "Signer", "STEPS", "TYPE_CODES", "read_metadata", "repair_text"]

# The order matters: each step reads what the ones before it found.
STEPS = (
    find_heading,
    blank_motto,
    find_header_end,
    read_number,
    demote_subject_heading,
    read_place_and_date,
    read_vv_line,
    read_type,
    read_title,
    read_report_kind,
    read_issuer,
    read_issue_date_and_year,
    read_citations,
    read_signature_zone,
    note_lost_letters,
)


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
    t = close_letter_spacing(t)
    t, joins = repair_text(t)
    if joins:
        warnings.append(f"Lớp chữ bị tách âm tiết; đã ghép lại {joins} chỗ")
    return t


def _read(raw: object) -> DocumentMetadata:
    warnings: list[str] = []
    text = _prepare(raw, warnings)
    if not text.strip():
        return DocumentMetadata(warnings=warnings + ["Văn bản trống"])
    doc = Doc(text=text, lines=text.split("\n"), ev=case_evidence(text), warnings=warnings)
    for step in STEPS:
        step(doc)
    doc.meta.warnings = doc.warnings
    return doc.meta
