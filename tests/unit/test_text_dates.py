"""Date parsing, finding and formatting (portal.text.dates)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.text import (
    TZ,
    DateMention,
    format_date,
    format_datetime,
    iter_dates,
    nfc,
    now_local,
    parse_date,
    to_local,
    today_local,
    utcnow,
)

UTC = dt.timezone.utc


# --- parse_date -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "19/12/2022",
        "19-12-2022",
        "19.12.2022",
        "2022-12-19",
        "  19/12/2022\t",
        "ngày 19 tháng 12 năm 2022",
        "Ngày 19 tháng 12 năm 2022",
        "NGÀY 19 THÁNG 12 NĂM 2022",
        "ngày  19   tháng 12\u00a0năm 2022",
        "19 tháng 12 năm 2022",
        "ngay 19 thang 12 nam 2022",
        "ngày 19/12/2022",
        unicodedata.normalize("NFD", "ngày 19 tháng 12 năm 2022"),
        unicodedata.normalize("NFD", "NGÀY 19 THÁNG 12 NĂM 2022"),
    ],
)
def test_parse_date_accepted_forms(text: str) -> None:
    assert parse_date(text) == dt.date(2022, 12, 19)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9/3/2022", dt.date(2022, 3, 9)),
        ("09/03/2022", dt.date(2022, 3, 9)),
        ("9-3-2022", dt.date(2022, 3, 9)),
        ("ngày 9 tháng 3 năm 2022", dt.date(2022, 3, 9)),
        ("2022-03-09", dt.date(2022, 3, 9)),
        ("29/02/2024", dt.date(2024, 2, 29)),
        ("29/02/2000", dt.date(2000, 2, 29)),
        ("31/12/2023", dt.date(2023, 12, 31)),
        ("01/01/2025", dt.date(2025, 1, 1)),
        ("11/6/1948", dt.date(1948, 6, 11)),
    ],
)
def test_parse_date_values(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2024",
        "29/02/2023",
        "29/02/1900",
        "32/01/2024",
        "00/01/2024",
        "15/13/2024",
        "15/00/2024",
        "19/12/22",
        "19/12/022",
        "19/12/20222",
        "12/2022",
        "19/12",
        "2022/12/19",
        "19/12-2022",
        "19.12/2022",
        "123/12/2022",
        "19/12/2022 10:00",
        "19/12/0202",
        "ngày 19 tháng 12",
        "ngày 31 tháng 2 năm 2024",
        "tháng 12 năm 2022",
        "hôm qua",
        "abc",
        "2022-13-01",
        "١٩/١٢/٢٠٢٢",
        "",
        "   ",
    ],
)
def test_parse_date_refused_forms(text: str) -> None:
    with pytest.raises(ValueError, match="ngày|Ngày") as info:
        parse_date(text)
    assert "dd/mm/yyyy" in str(info.value)


def test_parse_date_message_is_vietnamese_and_quotes_input() -> None:
    with pytest.raises(ValueError) as info:
        parse_date("31/02/2024")
    assert str(info.value).startswith("Ngày không hợp lệ: “31/02/2024”")
    with pytest.raises(ValueError) as info:
        parse_date("ba mươi")
    assert str(info.value) == "Ngày không hợp lệ: “ba mươi”; hãy nhập theo dạng dd/mm/yyyy."


def test_parse_date_none_is_refused() -> None:
    with pytest.raises(ValueError, match="Chưa nhập ngày"):
        parse_date(None)  # type: ignore[arg-type]


@given(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_parse_date_round_trips_format_date(d: dt.date) -> None:
    assert parse_date(format_date(d)) == d
    assert parse_date(d.isoformat()) == d
    assert parse_date(f"ngày {d.day} tháng {d.month} năm {d.year}") == d


@given(st.text(max_size=20))
def test_parse_date_only_raises_value_error(text: str) -> None:
    try:
        result = parse_date(text)
    except ValueError:
        return
    assert isinstance(result, dt.date)


# --- iter_dates -----------------------------------------------------------------------------

PLAN = (
    "Thực hiện Kế hoạch số 31/KH-UBND ngày 10/01/2024 của UBND tỉnh về tổ chức phong trào thi đua "
    "năm 2024; căn cứ Nghị định số 98/2023/NĐ-CP ngày 31/12/2023 của Chính phủ quy định chi tiết "
    "thi hành một số điều của Luật Thi đua, Khen thưởng."
)


def test_iter_dates_on_a_plan_sentence() -> None:
    mentions = list(iter_dates(PLAN))
    assert [m.date for m in mentions] == [dt.date(2024, 1, 10), dt.date(2023, 12, 31)]
    assert [m.text for m in mentions] == ["ngày 10/01/2024", "ngày 31/12/2023"]
    for m in mentions:
        assert PLAN[m.start : m.end] == m.text


@pytest.mark.parametrize(
    ("text", "date", "found"),
    [
        ("Hà Nội, ngày 08 tháng 01 năm 2025", dt.date(2025, 1, 8), "ngày 08 tháng 01 năm 2025"),
        ("Hà Nội, Ngày 8 tháng 1 năm 2025.", dt.date(2025, 1, 8), "Ngày 8 tháng 1 năm 2025"),
        ("hạn chót 08/01/2025.", dt.date(2025, 1, 8), "08/01/2025"),
        ("hạn chót 8-1-2025,", dt.date(2025, 1, 8), "8-1-2025"),
        ("(08.01.2025)", dt.date(2025, 1, 8), "08.01.2025"),
        ("gửi trước ngày 08/01/2025 về Ban", dt.date(2025, 1, 8), "ngày 08/01/2025"),
        ("NGÀY 08/01/2025", dt.date(2025, 1, 8), "NGÀY 08/01/2025"),
        ("Lời kêu gọi thi đua ái quốc ngày 11/6/1948", dt.date(1948, 6, 11), "ngày 11/6/1948"),
    ],
)
def test_iter_dates_forms(text: str, date: dt.date, found: str) -> None:
    (mention,) = iter_dates(text)
    assert mention == DateMention(date=date, start=text.index(found), end=text.index(found) + len(found), text=found)


@pytest.mark.parametrize(
    "text",
    [
        "Nghị định số 98/2023/NĐ-CP",
        "Thông tư 12/2019/TT-BNV",
        "số 31/KH-UBND",
        "mã 108/01/20255",
        "mã 1108/01/2025",
        "số 1.12.01.2025",
        "08/01/2025/QĐ-UBND",
        "ngày 31/02/2024",
        "ngày 08/13/2025",
        "ngày 08/01/25",
        "08/01-2025",
        "ngày 8 tháng 1",
        "6 tháng đầu năm 2024",
        "",
    ],
)
def test_iter_dates_ignores_non_dates(text: str) -> None:
    assert list(iter_dates(text)) == []


def test_iter_dates_offsets_refer_to_nfc_text() -> None:
    text = unicodedata.normalize("NFD", "Quyết định ngày 05 tháng 3 năm 2024 và ngày 06/03/2024")
    norm = nfc(text)
    mentions = list(iter_dates(text))
    assert [m.date for m in mentions] == [dt.date(2024, 3, 5), dt.date(2024, 3, 6)]
    assert [norm[m.start : m.end] for m in mentions] == [m.text for m in mentions]
    assert mentions[0].text == "ngày 05 tháng 3 năm 2024"


def test_date_mention_is_frozen() -> None:
    (mention,) = iter_dates("ngày 08/01/2025")
    with pytest.raises(AttributeError):
        mention.start = 3  # type: ignore[misc]


@given(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)), st.text(max_size=15))
def test_iter_dates_finds_a_formatted_date(d: dt.date, noise: str) -> None:
    text = f"{noise} ngày {format_date(d)} {noise}"
    found = [m for m in iter_dates(text) if m.date == d]
    assert found
    norm = nfc(text)
    for m in iter_dates(text):
        assert norm[m.start : m.end] == m.text


# --- formatting and clocks ------------------------------------------------------------------


def test_tz_is_ho_chi_minh() -> None:
    assert TZ == ZoneInfo("Asia/Ho_Chi_Minh")


def test_format_date() -> None:
    assert format_date(dt.date(2025, 1, 8)) == "08/01/2025"
    assert format_date(None) == ""
    assert format_date(dt.datetime(2024, 12, 31, 16, 59, tzinfo=UTC)) == "31/12/2024"


def test_format_datetime_converts_utc_to_local() -> None:
    # Naive datetimes are UTC: 17:30 UTC on New Year's Eve is 00:30 on 1 January in Vietnam.
    assert format_datetime(dt.datetime(2024, 12, 31, 17, 30)) == "01/01/2025 00:30"
    assert format_datetime(dt.datetime(2024, 12, 31, 17, 30, tzinfo=UTC)) == "01/01/2025 00:30"
    assert format_date(dt.datetime(2024, 12, 31, 17, 30)) == "01/01/2025"
    assert format_datetime(dt.datetime(2025, 1, 1, 0, 30, tzinfo=TZ)) == "01/01/2025 00:30"
    assert format_datetime(None) == ""
    assert format_datetime(dt.date(2025, 1, 8)) == "08/01/2025"


def test_to_local() -> None:
    local = to_local(dt.datetime(2024, 6, 1, 3, 0))
    assert local.utcoffset() == dt.timedelta(hours=7)
    assert (local.year, local.month, local.day, local.hour) == (2024, 6, 1, 10)
    tokyo = dt.datetime(2024, 6, 1, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert to_local(tokyo).hour == 10


def test_clocks_are_aware() -> None:
    assert utcnow().utcoffset() == dt.timedelta(0)
    assert now_local().utcoffset() == dt.timedelta(hours=7)
    assert abs(now_local() - utcnow()) < dt.timedelta(seconds=5)
    assert today_local() in {now_local().date(), (now_local() - dt.timedelta(seconds=5)).date()}
