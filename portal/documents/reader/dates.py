"""The place-and-date line ("Lam Sơn, ngày 08 tháng 01 năm 2025")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.documents.reader.body import is_body_start
from portal.documents.reader.textutil import GAP_RE, fold_line, squash

if TYPE_CHECKING:
    from portal.documents.reader.document import Doc

import re
from dataclasses import dataclass
from datetime import date

from portal.documents.reader.case import title_word
from portal.documents.reader.textutil import upper_ratio
from portal.text import iter_dates, parse_date

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


def date_in(line: str, folded: str, from_pos: int = 0) -> tuple[int, int, str | None, str | None, str, bool] | None:
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
    if upper_ratio(place) > 0.9 and len(place) > 3:
        place = " ".join(title_word(w) if not w.endswith(".") else w for w in place.split())
    return place


def read_place_and_date(doc: Doc) -> None:
    """The place-and-date line of the header, else a line that is nothing but a place and a date."""
    lines, number = doc.lines, doc.number
    candidates = []
    for i in range(min(doc.header_end, doc.head_n)):
        line, f = doc.blanked[i], doc.folded[i]
        if "ngay" not in f and not _DATE_PLACE_NUM_RE.search(f):
            continue
        if i != doc.number_line and is_body_start(line.strip(), first=True) and not fold_line(line.strip()).startswith("ngay"):
            continue
        from_pos = number.end if (number and i == doc.number_line) else 0
        hit = date_in(line, f, from_pos)
        if hit is None:
            pm = _DATE_PLACE_NUM_RE.search(f, from_pos)
            if not pm:
                continue
            hit = (pm.start(), pm.end(), pm.group("d"), pm.group("m"), pm.group("y"), False)
        a = hit[0]
        # the cell the date is in, after the number if it shares the line
        cell_start = from_pos
        for gm in GAP_RE.finditer(line, from_pos, a):
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
            f = fold_line(line)
            hit = date_in(line, f)
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
        doc.place = _place_before(prefix)
        raw_date = lines[i][a:b] if i < len(lines) else ""
        year = int(y) if y and y.isdigit() else None
        dval = None
        if not blank and d and mo and y:
            try:
                dval = parse_date(f"{int(d):02d}/{int(mo):02d}/{y}")
            except ValueError:
                doc.warn(f"Ngày ban hành không hợp lệ: “{squash(raw_date)}”")
        elif blank:
            doc.warn("Ngày ban hành để trống")
        doc.date_hit = _DateHit(i, a, b, dval, year, raw_date, blank)
    doc.meta.place = doc.place


def read_issue_date_and_year(doc: Doc) -> None:
    """The issue date; a biên bản without a date line takes its meeting date; then the year."""
    meta, lines, date_hit, heading = doc.meta, doc.lines, doc.date_hit, doc.heading
    if date_hit:
        meta.issue_date = date_hit.date
    if meta.issue_date is None and meta.type == "BB":
        start = (heading.line + 1) if heading else 0
        for j in range(start, min(start + 15, doc.n_lines)):
            fj = fold_line(lines[j])
            if re.search(r"hom nay|vao (?:hoi|luc)", fj):
                for dm in iter_dates(" ".join(lines[j:j + 2])):
                    meta.issue_date = dm.date
                    doc.warn("Không có dòng địa danh, ngày tháng; lấy ngày họp trong biên bản")
                    break
                break
    if meta.issue_date is None and date_hit is None:
        doc.warn("Không tìm thấy ngày ban hành")
    title = meta.title
    if meta.issue_date:
        meta.year = meta.issue_date.year
    elif date_hit and date_hit.year:
        meta.year = date_hit.year
    elif title and (ym := re.search(r"năm (\d{4})\b", title, flags=re.I)):
        meta.year = int(ym.group(1))
    elif meta.number and (ym := re.search(r"/((?:19|20)\d\d)/", meta.number)):
        meta.year = int(ym.group(1))
