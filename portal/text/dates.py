"""Dates and times the Vietnamese way: Asia/Ho_Chi_Minh, dd/mm/yyyy, "ngày … tháng … năm …"."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from portal.text.normalize import clean_text, fold_keep_length, nfc

__all__ = [
    "TZ",
    "DateMention",
    "parse_date",
    "iter_dates",
    "format_date",
    "format_datetime",
    "now_local",
    "today_local",
    "to_local",
    "utcnow",
]

TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Years before 1000 are almost always typos ("0202"); Vietnamese documents never need them.
MIN_YEAR = 1000

_D = r"(?P<d>[0-9]{1,2})"
_M = r"(?P<m>[0-9]{1,2})"
_Y = r"(?P<y>[0-9]{4})"

# parse_date works on folded text (lower case, no accents), so "NGÀY", "ngay" and NFD all match.
_PARSE_PATTERNS = [
    re.compile(rf"(?:ngay\s+)?{_D}\s*([/.\-])\s*{_M}\s*\2\s*{_Y}"),
    re.compile(rf"(?:ngay\s*)?{_D}\s+thang\s+{_M}\s*,?\s+nam\s+{_Y}"),
    re.compile(rf"{_Y}-{_M}-{_D}"),
]

# iter_dates: the folded text has the same length as the NFC text, so offsets carry over.
# A number is not a date when it continues a longer number or a document symbol
# ("1.12.01.2025", "08/01/2025/QĐ-UBND").
_NUMERIC_IN_TEXT = re.compile(
    rf"(?:\bngay\s+)?(?<![0-9])(?<![0-9][/.\-]){_D}(?P<sep>[/.\-]){_M}(?P=sep){_Y}"
    r"(?![0-9])(?![/\-][0-9a-z])(?!\.[0-9])"
)
_WORDS_IN_TEXT = re.compile(rf"\bngay\s+{_D}\s+thang\s+{_M}\s*,?\s+nam\s+{_Y}(?![0-9])")


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date found in free text; ``start``/``end`` are offsets into ``nfc(text)``."""

    date: _dt.date
    start: int
    end: int
    text: str


def _invalid(s: str) -> ValueError:
    return ValueError(f"Ngày không hợp lệ: “{s}”; hãy nhập theo dạng dd/mm/yyyy.")


def _make_date(y: str, m: str, d: str) -> _dt.date | None:
    year, month, day = int(y), int(m), int(d)
    if year < MIN_YEAR:
        return None
    try:
        return _dt.date(year, month, day)
    except ValueError:
        return None


def parse_date(s: str) -> _dt.date:
    """Parse dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy, "ngày dd tháng mm năm yyyy" or yyyy-mm-dd."""
    if isinstance(s, _dt.datetime):
        raise TypeError("parse_date expects text, not a datetime")
    if s is None or not clean_text(s):
        raise ValueError("Chưa nhập ngày; hãy nhập theo dạng dd/mm/yyyy.")
    shown = clean_text(s)
    folded = fold_keep_length(shown)
    for pattern in _PARSE_PATTERNS:
        match = pattern.fullmatch(folded)
        if match:
            result = _make_date(match["y"], match["m"], match["d"])
            if result is None:
                raise ValueError(
                    f"Ngày không hợp lệ: “{shown}” không phải là một ngày có thật; "
                    "hãy nhập theo dạng dd/mm/yyyy."
                )
            return result
    raise _invalid(shown)


def iter_dates(text: str | None) -> Iterator[DateMention]:
    """Yield the full dates mentioned in ``text``, in order; offsets refer to ``nfc(text)``."""
    t = nfc(text)
    if not t:
        return
    folded = fold_keep_length(t)
    found: list[tuple[int, int, _dt.date]] = []
    for pattern in (_NUMERIC_IN_TEXT, _WORDS_IN_TEXT):
        for match in pattern.finditer(folded):
            value = _make_date(match["y"], match["m"], match["d"])
            if value is not None:
                found.append((match.start(), match.end(), value))
    found.sort(key=lambda item: (item[0], -item[1]))
    last_end = -1
    for start, end, value in found:
        if start < last_end:
            continue
        last_end = end
        yield DateMention(date=value, start=start, end=end, text=t[start:end])


def utcnow() -> _dt.datetime:
    """Return the current time, aware, in UTC."""
    return _dt.datetime.now(_dt.timezone.utc)


def now_local() -> _dt.datetime:
    """Return the current time, aware, in Asia/Ho_Chi_Minh."""
    return _dt.datetime.now(TZ)


def today_local() -> _dt.date:
    """Return today's date in Asia/Ho_Chi_Minh."""
    return now_local().date()


def as_utc(dt: _dt.datetime) -> _dt.datetime:
    """Return ``dt`` with a time zone; a naive datetime (SQLite stores UTC without one) is taken as UTC."""
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        return dt.replace(tzinfo=_dt.timezone.utc)
    return dt


def to_local(dt: _dt.datetime) -> _dt.datetime:
    """Convert ``dt`` to Asia/Ho_Chi_Minh; a naive datetime is taken as UTC."""
    return as_utc(dt).astimezone(TZ)


def format_date(d: _dt.date | _dt.datetime | None) -> str:
    """Format as dd/mm/yyyy (a datetime is first converted to local time; naive = UTC)."""
    if d is None:
        return ""
    if isinstance(d, _dt.datetime):
        d = to_local(d).date()
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def format_datetime(dt: _dt.datetime | _dt.date | None) -> str:
    """Format as dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh (naive = UTC); a plain date gives dd/mm/yyyy."""
    if dt is None:
        return ""
    if not isinstance(dt, _dt.datetime):
        return format_date(dt)
    local = to_local(dt)
    return f"{format_date(local.date())} {local.hour:02d}:{local.minute:02d}"
