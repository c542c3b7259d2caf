"""The subject (trích yếu): the lines under the type heading, or a công văn's "V/v" line."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from portal.documents.reader.body import is_body_start, subject_goes_on
from portal.documents.reader.case import proper
from portal.documents.reader.dates import date_in
from portal.documents.reader.textutil import cap_first, fold_line, is_separator, split_cells, squash, upper_ratio

if TYPE_CHECKING:
    from portal.documents.reader.document import Doc

def read_vv_line(doc: Doc) -> None:
    """A công văn's subject: its "V/v …" line(s) in the header."""
    heading, head_n = doc.heading, doc.head_n
    vv_limit = heading.line if heading else min(head_n, 25)
    for i in range(vv_limit):
        for pos, cell in split_cells(doc.bare(i)):
            fc = fold_line(cell)
            vm = re.search(r"(?:^|\s)(?:v/v|v\.v|ve viec)\b", fc)
            if vm and (vm.start() == 0 or cell[vm.start() + 1] == "V"):
                doc.vv_line = i
                cell = cell[vm.start():].strip()
                parts = [re.sub(r"^(?:v/v|v\.v)\s*[:.]?\s*", "", cell, flags=re.I)]
                for j in range(i + 1, min(i + 4, head_n)):
                    nxt = doc.bare(j)
                    if not nxt.strip():
                        break
                    cs = split_cells(nxt)
                    if not cs:
                        break
                    p0, c0 = cs[0]
                    if p0 > pos + 12 or is_body_start(c0, first=False) or fold_line(c0).startswith(("kinh gui", "so", "ngay")):
                        break
                    if upper_ratio(c0) > 0.8 or date_in(c0, fold_line(c0)):
                        break
                    parts.append(c0)
                doc.vv_title = " ".join(parts)
                return


# The authority line under a subject names who decides: a title and/or a body, alone on its line.
_AUTHORITY_RE = re.compile(
    r"^(?:(?:pho )?(?:chu tich|bo truong|thu tuong|giam doc|chanh van phong|truong ban|cuc truong)\s"
    r"|uy ban nhan dan\s|hoi dong nhan dan\s|chinh phu$|ban (?:thuong vu|chap hanh)\s|hoi dong\s|khoa [ivxl]+\b)"
)
# A subject line ending like this goes on with a title or a body ("TẶNG BẰNG KHEN CỦA / CHỦ TỊCH …").
_AUTHORITY_WRAP_RE = re.compile(r"(?:\s(?:cua|va|cho|voi|thuoc|doi voi|tai|ve|giua|cac)|[-,(])\s*$")
_CITES_RE = re.compile(r"\d+\s?[/-]\s?[A-ZĐ]|\bso\s\d|\d{1,2}/\d{1,2}/\d{4}")


def _is_authority_line(s: str) -> bool:
    return bool(_AUTHORITY_RE.match(squash(fold_line(s))))


def _subject_despite_opening(s: str) -> bool:
    """A first line under the heading that starts like the body ("Thực hiện …") but is the subject.

    A subject in capitals ("THỰC HIỆN PHONG TRÀO …") or one that cites no document and ends no
    clause ("Thực hiện phong trào thi đua …") is the subject; "Thực hiện Kế hoạch số 27/KH-UBND
    ngày …, " opens the body.
    """
    f = fold_line(s.strip())
    if not f.startswith("thuc hien"):
        return False
    if upper_ratio(s) >= 0.8:
        return True
    return not _CITES_RE.search(f) and not s.rstrip().endswith((",", ":", ";"))


def _subject_lines(doc: Doc) -> tuple[list[str], bool]:
    """The subject lines under the heading, and whether they were all in capitals."""
    heading, lines, n_lines = doc.heading, doc.lines, doc.n_lines
    got: list[str] = []
    blanks = 0
    all_caps = True
    for j in range(heading.line + 1, min(heading.line + 12, n_lines)):
        s = (doc.blanked[j] if j < doc.head_n else lines[j]).strip()
        if not s:
            if got:
                break
            blanks += 1
            if blanks > 2:
                break
            continue
        if is_separator(s):
            if got:
                break
            continue
        if len(s) > 300:
            break  # a subject line is never this long
        if is_body_start(s, first=not got) and not (not got and _subject_despite_opening(s)):
            break
        caps = upper_ratio(s) >= 0.8
        if got and not caps and (s.endswith(":") or re.search(r"\S: ", s)):
            break
        if got and s.startswith("("):
            break  # "(Ban hành kèm theo …)", "(Kèm theo …)"
        if (
            got
            and not caps
            and s[0].isupper()
            and not subject_goes_on(got[-1])
            and (len(s) > 60 or s.endswith((".", ":", ";")) or len(got) >= 2)
        ):
            break  # a new sentence, not the subject wrapping onto the next line
        if got and caps and not all_caps:
            break
        if got and caps and _is_authority_line(s) and not _AUTHORITY_WRAP_RE.search(fold_line(got[-1])):
            break  # "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH …", "ỦY BAN NHÂN DÂN TỈNH …" under the subject
        if caps and not got and re.match(r"^(?:chu tich|bo truong|thu tuong|giam doc|hoi dong|ban chap hanh|uy ban)", fold_line(s)):
            break
        all_caps = all_caps and caps
        got.append(s)
        doc.title_end = j
        if s.endswith((".", ":", ";")) or len(got) >= 4:
            break
    return got, all_caps


def read_title(doc: Doc) -> None:
    heading, ev = doc.heading, doc.ev
    title = None
    doc.title_end = heading.line if heading else doc.header_end - 1
    if heading:
        got, all_caps = _subject_lines(doc)
        subject = squash(" ".join(got)).rstrip(" ;,.:") if got else ""
        if subject and all_caps:
            subject = proper(subject, sentence=True, ev=ev)
        rest = proper(heading.rest, sentence=True, ev=ev) if heading.rest else ""
        if subject and re.fullmatch(r"năm \d{4}", subject.lower()):
            # "GIAO ƯỚC THI ĐUA / Năm 2025": the heading itself names the document
            base = proper(squash(heading.text).strip(" :."), sentence=True, ev=ev)
            title = base + " " + subject.lower()
        elif subject.startswith("của "):
            # party documents: "KẾT LUẬN / của Ban Thường vụ Tỉnh ủy về …"
            title = proper(squash(heading.text).strip(" :."), sentence=True, ev=ev) + " " + subject
        elif rest and subject:
            title = rest + " " + (subject[:1].lower() + subject[1:] if not subject[:2].isupper() else subject)
        else:
            title = rest or subject or None
    if title is None and doc.vv_title:
        title = squash(doc.vv_title).rstrip(" ;,.:")
    if title:
        title = re.sub(r"^(?:v/v|v\.v|về việc)\s*[:.]?\s*", "", title, flags=re.I).strip()
        title = cap_first(title) if title else None
    if not title:
        doc.warn("Không tìm thấy trích yếu")
    doc.meta.title = title or None
