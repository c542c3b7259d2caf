"""Vietnamese text helpers shared by every feature: normalisation, folding, collation, dates."""

from portal.text.collation import (
    COLLATION_NAME,
    register_sqlite_collation,
    vi_compare,
    vi_key,
    vi_sorted,
)
from portal.text.dates import (
    TZ,
    DateMention,
    format_date,
    format_datetime,
    iter_dates,
    now_local,
    parse_date,
    to_local,
    today_local,
    utcnow,
)
from portal.text.normalize import (
    VIETNAMESE_LETTERS,
    UnsafeText,
    ascii_fallback,
    check_plain_text,
    clean_text,
    fold,
    fold_keep_length,
    nfc,
    strip_control,
)

__all__ = [
    "COLLATION_NAME",
    "TZ",
    "VIETNAMESE_LETTERS",
    "DateMention",
    "UnsafeText",
    "ascii_fallback",
    "check_plain_text",
    "clean_text",
    "fold",
    "fold_keep_length",
    "format_date",
    "format_datetime",
    "iter_dates",
    "nfc",
    "now_local",
    "parse_date",
    "register_sqlite_collation",
    "strip_control",
    "to_local",
    "today_local",
    "utcnow",
    "vi_compare",
    "vi_key",
    "vi_sorted",
]
