"""Folding and normalisation of Vietnamese text (portal.text.normalize)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.text import VIETNAMESE_LETTERS, clean_text, fold, fold_keep_length, nfc

VI_ALPHABET = VIETNAMESE_LETTERS + "bcdfghjklmnpqrstvwxzBCDFGHJKLMNPQRSTVWXZ0123456789 .,;:-/()“”…\n\t\u00a0"

vi_text = st.text(alphabet=VI_ALPHABET, max_size=60)


def _nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Cờ thi đua", "co thi dua"),
        ("ĐẢNG BỘ", "dang bo"),
        ("Quyết định", "quyet dinh"),
        ("Nghị quyết số 12/NQ-TU", "nghi quyet so 12/nq-tu"),
        ("Ưu tú, xuất sắc", "uu tu, xuat sac"),
        ("Khối thi đua các huyện, thị xã, thành phố", "khoi thi dua cac huyen, thi xa, thanh pho"),
        ("ỲỴỶỸÝ ỳỵỷỹý", "yyyyy yyyyy"),
        ("Café Ñandú Ørsted", "cafe nandu ørsted"),
        ("", ""),
    ],
)
def test_fold_examples(raw: str, expected: str) -> None:
    assert fold(raw) == expected
    assert fold(_nfd(raw)) == expected


def test_fold_none_is_empty() -> None:
    assert fold(None) == ""
    assert nfc(None) == ""
    assert clean_text(None) == ""


def test_fold_every_vietnamese_letter_to_its_ascii_base() -> None:
    for ch in VIETNAMESE_LETTERS:
        folded = fold(ch)
        assert len(folded) == 1
        assert folded in "aeiouyd", ch


def test_fold_d_lookalikes_used_by_legacy_converters() -> None:
    # TCVN3/VNI conversions often leave the Icelandic eth where Đ was meant.
    assert fold("ÐẢNG") == "dang"


def test_fold_makes_every_space_a_plain_space() -> None:
    # Word documents use NBSP and thin spaces; a typed query has plain spaces.
    assert fold("Cờ\u00a0thi\u2009đua\tnăm\n2024") == "co thi dua nam 2024"
    assert fold("a\tb") == "a b"


def test_fold_dotted_capital_i_keeps_length() -> None:
    # "İ".lower() has two code points; folding must not.
    assert fold("İ") == "i"
    assert len(fold_keep_length("xİx")) == 3


def test_fold_drops_leftover_marks_but_fold_keep_length_keeps_them() -> None:
    # q + hook above has no precomposed form, so the mark survives NFC.
    s = "q\u0309a"
    assert nfc(s) == s
    assert fold(s) == "qa"
    assert fold_keep_length(s) == "q\u0309a"


def test_nfc_only_normalises() -> None:
    assert nfc(_nfd("Thi đua\u00a0 khen thưởng")) == "Thi đua\u00a0 khen thưởng"


def test_clean_text_collapses_whitespace() -> None:
    assert clean_text("  Ban\u00a0Thi   đua\t-\nKhen thưởng \ufeff") == "Ban Thi đua - Khen thưởng"
    assert clean_text(_nfd(" Sở Nội vụ ")) == "Sở Nội vụ"


@given(st.text())
def test_fold_is_idempotent(s: str) -> None:
    assert fold(fold(s)) == fold(s)


@given(st.text())
def test_fold_of_nfc_equals_fold(s: str) -> None:
    assert fold(nfc(s)) == fold(s)
    assert fold(_nfd(s)) == fold(s)


@given(st.text())
def test_fold_output_has_no_marks_or_vietnamese_letters(s: str) -> None:
    out = fold(s)
    assert not any(unicodedata.combining(ch) for ch in out)
    assert not any(ch in VIETNAMESE_LETTERS and ch not in "aeiouyAEIOUY" for ch in out)
    assert out == out.lower() or not out.isascii()


@given(vi_text)
def test_fold_of_vietnamese_text_is_ascii_lowercase_and_keeps_no_mark(s: str) -> None:
    out = fold(s)
    assert all(ch.isascii() for ch in out if ch.isalpha() or ch.isspace())
    assert out == out.lower()
    assert unicodedata.normalize("NFD", out) == out


@given(vi_text)
def test_fold_keeps_length_on_vietnamese_text(s: str) -> None:
    assert len(fold(s)) == len(nfc(s))
    assert len(fold(_nfd(s))) == len(nfc(s))


@given(st.text())
def test_fold_keeps_length_without_leftover_marks(s: str) -> None:
    t = nfc(s)
    if any(unicodedata.combining(ch) for ch in t):
        assert len(fold_keep_length(s)) == len(t)
    else:
        assert len(fold(s)) == len(t)


@given(st.text())
def test_fold_keep_length_always_keeps_length(s: str) -> None:
    assert len(fold_keep_length(s)) == len(nfc(s))


@given(vi_text)
def test_clean_text_is_idempotent_and_stripped(s: str) -> None:
    out = clean_text(s)
    assert clean_text(out) == out
    assert out == out.strip()
    assert "  " not in out
    assert "\u00a0" not in out and "\t" not in out


def test_ascii_fallback_keeps_words_and_case():
    from portal.text import ascii_fallback

    assert ascii_fallback("Kế hoạch số 27 – Đợt 1.pdf") == "Ke hoach so 27 - Dot 1.pdf"
    assert ascii_fallback("ỨNG DỤNG “mới”") == 'UNG DUNG "moi"'
    assert ascii_fallback("文件.pdf") == "__.pdf"
