"""Vietnamese collation (portal.text.collation): golden ICU ``vi`` order, total order, SQLite."""

from __future__ import annotations

import random
import sqlite3
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.text import VIETNAMESE_LETTERS, nfc, register_sqlite_collation, vi_compare, vi_key, vi_sorted

# The order ICU `vi` gives (LIBS.md, section e).
GOLDEN = (
    "an An Anh Ảnh Ánh Ăn Ân Ấn Bình Châu Cường da Dũng Dương dz Đào ĐÀO Đặng Đức Em Ê Ếch Giang Hà Hạ "
    "Hải Hùng Khánh Lan Oanh Ôn Ông Ơn Phúc Thuỳ Thùy Thủy Thúy Thụy Uyên Ư Ưng Vân Xuân Ý Yến"
).split()

names = st.text(
    alphabet=VIETNAMESE_LETTERS + "bcdfghjklmnpqrstvwxzBCDFGHJKLMNPQRSTVWXZ 0123456789-.,",
    max_size=12,
)


def _sign(x: int) -> int:
    return (x > 0) - (x < 0)


@pytest.mark.parametrize("seed", range(5))
def test_golden_list(seed: int) -> None:
    shuffled = GOLDEN[:]
    random.Random(seed).shuffle(shuffled)
    assert vi_sorted(shuffled) == GOLDEN


def test_golden_list_from_nfd_input() -> None:
    nfd = [unicodedata.normalize("NFD", s) for s in GOLDEN]
    random.Random(7).shuffle(nfd)
    assert [nfc(s) for s in vi_sorted(nfd)] == GOLDEN


def test_plain_code_point_sort_is_wrong_which_is_why_this_exists() -> None:
    assert sorted(GOLDEN) != GOLDEN


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("Dương Kinh", "Đông Hà"),
        ("An Phú", "Ân Thi"),
        ("An Phú", "Anh"),
        ("Thuỳ", "Thùy"),
        ("Hà", "Hạ"),
        ("Hạ", "Hải"),
        ("Ôn", "Ơn"),
        ("u", "ư"),
        ("dz", "đa"),
        # ICU's default is not numeric: digits compare one by one, like the golden fixture's source.
        ("10", "2"),
        ("9", "a"),
        ("", "a"),
    ],
)
def test_pairs(lower: str, higher: str) -> None:
    assert vi_compare(lower, higher) == -1
    assert vi_compare(higher, lower) == 1
    assert vi_sorted([higher, lower]) == [lower, higher]


def test_vi_sorted_with_key_and_reverse() -> None:
    units = [{"name": "Sở Y tế"}, {"name": "Sở Giáo dục và Đào tạo"}, {"name": "Sở Công Thương"}]
    assert [u["name"] for u in vi_sorted(units, key=lambda u: u["name"])] == [
        "Sở Công Thương",
        "Sở Giáo dục và Đào tạo",
        "Sở Y tế",
    ]
    assert vi_sorted(["b", "a", "c"], reverse=True) == ["c", "b", "a"]


def test_none_sorts_as_empty() -> None:
    assert vi_key(None) == vi_key("")
    assert vi_compare(None, "a") == -1


def test_nfc_and_nfd_are_equal() -> None:
    s = "Thủ tướng Chính phủ"
    assert vi_compare(s, unicodedata.normalize("NFD", s)) == 0


@given(names, names)
def test_compare_is_consistent_with_key(a: str, b: str) -> None:
    ka, kb = vi_key(a), vi_key(b)
    assert vi_compare(a, b) == _sign((ka > kb) - (ka < kb))
    assert vi_compare(a, b) == -vi_compare(b, a)
    assert (vi_compare(a, b) == 0) == (nfc(a) == nfc(b))


@given(names, names, names)
def test_compare_is_transitive(a: str, b: str, c: str) -> None:
    x, y, z = vi_sorted([a, b, c])
    assert vi_compare(x, y) <= 0
    assert vi_compare(y, z) <= 0
    assert vi_compare(x, z) <= 0


@given(st.text(max_size=10), st.text(max_size=10))
def test_total_order_on_any_text(a: str, b: str) -> None:
    assert (vi_compare(a, b) == 0) == (nfc(a) == nfc(b))
    assert vi_compare(a, b) == -vi_compare(b, a)


@given(names)
def test_case_only_difference_sorts_lower_first(s: str) -> None:
    low, up = s.lower(), s.upper()
    if nfc(low) != nfc(up) and len(nfc(low)) == len(nfc(up)):
        assert vi_compare(low, up) == -1


@given(st.lists(names, max_size=30))
def test_sqlite_collation_matches_python(items: list[str]) -> None:
    con = sqlite3.connect(":memory:")
    try:
        register_sqlite_collation(con)
        con.execute("CREATE TABLE unit (name TEXT)")
        con.executemany("INSERT INTO unit VALUES (?)", [(s,) for s in items])
        rows = [r[0] for r in con.execute("SELECT name FROM unit ORDER BY name COLLATE vi")]
    finally:
        con.close()
    assert rows == vi_sorted(items)


def test_sqlite_golden_list() -> None:
    con = sqlite3.connect(":memory:")
    try:
        register_sqlite_collation(con)
        con.execute("CREATE TABLE unit (name TEXT)")
        shuffled = GOLDEN[:]
        random.Random(1).shuffle(shuffled)
        con.executemany("INSERT INTO unit VALUES (?)", [(s,) for s in shuffled])
        rows = [r[0] for r in con.execute("SELECT name FROM unit ORDER BY name COLLATE vi")]
    finally:
        con.close()
    assert rows == GOLDEN
