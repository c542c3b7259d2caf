"""Invariants of the demo province data (portal.demo.province)."""

import re
import unicodedata
from collections import Counter

import pytest

from portal.demo import province as dd

UNIT_CODES = {unit.code for unit in dd.UNITS}
UNITS_BY_CODE = {unit.code: unit for unit in dd.UNITS}
BLOC_CODES = {bloc.code for bloc in dd.BLOCS}
CODE_RE = re.compile(r"[A-Z0-9-]+")
USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]*")


def is_nfc(text):
    return unicodedata.normalize("NFC", text) == text


def blocs_of(year):
    """Return bloc code -> list of memberships for ``year``."""
    result = {}
    for membership in dd.memberships(year):
        result.setdefault(membership.bloc_code, []).append(membership)
    return result


def unit_of(year, bloc_code, role):
    [code] = [m.unit_code for m in blocs_of(year)[bloc_code] if m.role == role]
    return code


# --- units and blocs ------------------------------------------------------------------------


def test_about_sixty_units_of_every_kind():
    assert 55 <= len(dd.UNITS) <= 70
    assert {unit.kind for unit in dd.UNITS} == set(dd.KINDS)


def test_six_blocs():
    assert [bloc.code for bloc in dd.BLOCS] == ["K1", "K2", "K3", "K4", "K5", "K6"]


@pytest.mark.parametrize("records", [dd.UNITS, dd.BLOCS], ids=["units", "blocs"])
def test_codes_unique_and_valid(records):
    codes = [record.code for record in records]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert CODE_RE.fullmatch(code), code
        assert len(code) <= 20, code


def test_unit_names_nfc_non_empty_and_unique():
    for unit in dd.UNITS:
        for text in (unit.name, unit.short_name):
            assert text.strip() == text and text, unit
            assert is_nfc(text), unit
    assert len({unit.name for unit in dd.UNITS}) == len(dd.UNITS)
    assert len({unit.short_name for unit in dd.UNITS}) == len(dd.UNITS)


def test_bloc_names_nfc_non_empty_and_unique():
    for bloc in dd.BLOCS:
        assert bloc.name.startswith("Khối") and is_nfc(bloc.name), bloc
    assert len({bloc.name for bloc in dd.BLOCS}) == len(dd.BLOCS)


def test_names_need_vietnamese_order_not_code_points():
    names = [unit.name for unit in dd.UNITS]
    # Đ (U+0110) and Ủ (U+1EE6) sort after every ASCII letter by code point, but Vietnamese puts
    # Đ right after D and Ủ right after U, so these pairs come out in the wrong order with sorted().
    d_names = [name for name in names if name.startswith("Đ")]
    u_names = [name for name in names if name.startswith("Ủy ban")]
    later_ascii = [name for name in names if "E" <= name[0] <= "Z"]
    v_names = [name for name in names if name.startswith("V")]
    assert len(d_names) >= 2 and later_ascii and u_names and v_names
    assert sorted([d_names[0], later_ascii[0]])[0] == later_ascii[0]
    assert sorted([u_names[0], v_names[0]])[0] == v_names[0]
    # Words starting with Ô and Ư (after O and U in Vietnamese, far past Z by code point).
    words = [word for name in names for word in name.split()]
    assert any(word.startswith("Ô") for word in words)
    assert any(word.startswith(("Ư", "Ứ")) for word in words)
    full_names = [user.full_name for user in dd.USERS]
    assert any(name.startswith("Ư") for name in full_names)
    assert any(name.startswith("Ô") for name in full_names)
    assert any(name.startswith("Đ") for name in full_names)


# --- memberships ----------------------------------------------------------------------------


def test_years():
    assert dd.YEARS == (2024, 2025, 2026)


def test_unknown_year_is_refused():
    with pytest.raises(ValueError):
        dd.memberships(2023)


@pytest.mark.parametrize("year", dd.YEARS)
def test_every_active_unit_in_exactly_one_bloc(year):
    memberships = dd.memberships(year)
    counts = Counter(m.unit_code for m in memberships)
    assert all(n == 1 for n in counts.values()), counts.most_common(3)
    assert set(counts) <= UNIT_CODES
    assert {m.bloc_code for m in memberships} == BLOC_CODES
    assert {code for code, unit in UNITS_BY_CODE.items() if unit.active} <= set(counts)


def test_inactive_units_have_no_membership_in_the_last_year():
    last = {m.unit_code for m in dd.memberships(dd.YEARS[-1])}
    for unit in dd.UNITS:
        assert unit.active == (unit.code in last), unit


@pytest.mark.parametrize("year", dd.YEARS)
def test_one_leader_one_deputy_and_enough_units_per_bloc(year):
    for bloc_code, members in blocs_of(year).items():
        roles = Counter(m.role for m in members)
        assert roles["leader"] == 1, (year, bloc_code)
        assert roles["deputy"] == 1, (year, bloc_code)
        assert set(roles) <= set(dd.ROLES)
        assert 5 <= len(members) <= 14, (year, bloc_code, len(members))


@pytest.mark.parametrize("year", dd.YEARS)
def test_localities_and_enterprises_have_blocs_of_their_own(year):
    for bloc_code, members in blocs_of(year).items():
        kinds = {UNITS_BY_CODE[m.unit_code].kind for m in members}
        for kind in ("dia_phuong", "doanh_nghiep"):
            assert kind not in kinds or kinds == {kind}, (year, bloc_code, kinds)


def test_leaders_and_deputies_helpers_agree_with_memberships():
    for year in dd.YEARS:
        assert dd.leaders(year) == {b: unit_of(year, b, "leader") for b in BLOC_CODES}
        assert dd.deputies(year) == {b: unit_of(year, b, "deputy") for b in BLOC_CODES}


def test_leaders_rotate():
    for previous, year in zip(dd.YEARS, dd.YEARS[1:]):
        before, now = dd.leaders(previous), dd.leaders(year)
        for bloc_code in BLOC_CODES:
            assert before[bloc_code] != now[bloc_code], (year, bloc_code)
        # As in practice, last year's deputy usually takes over.
        took_over = [b for b in BLOC_CODES if dd.deputies(previous)[b] == now[b]]
        assert len(took_over) >= len(BLOC_CODES) - 1, (year, took_over)


def test_some_units_move_bloc_between_years():
    moved = set()
    for previous, year in zip(dd.YEARS, dd.YEARS[1:]):
        before = {m.unit_code: m.bloc_code for m in dd.memberships(previous)}
        now = {m.unit_code: m.bloc_code for m in dd.memberships(year)}
        moved |= {code for code in before.keys() & now.keys() if before[code] != now[code]}
    assert len(moved) >= 2


def test_memberships_returns_a_fresh_list():
    dd.memberships(2026).clear()
    assert dd.memberships(2026)


# --- users ----------------------------------------------------------------------------------


def test_usernames_unique_lowercase_ascii():
    usernames = [user.username for user in dd.USERS]
    assert len(usernames) == len(set(usernames))
    for username in usernames:
        assert USERNAME_RE.fullmatch(username), username


def test_user_fields():
    for user in dd.USERS:
        assert user.role in dd.USER_ROLES, user
        assert user.full_name and is_nfc(user.full_name), user
        assert user.password and user.password.isascii(), user
        if user.role == "admin":
            assert user.unit_code is None, user
        if user.role == "officer":
            assert user.unit_code in UNIT_CODES, user
            assert UNITS_BY_CODE[user.unit_code].active, user
        if user.unit_code is not None:
            assert user.unit_code in UNIT_CODES, user


def test_role_counts():
    roles = Counter(user.role for user in dd.USERS)
    assert roles["admin"] == 2
    assert 1 <= roles["viewer"] <= 2
    assert roles["officer"] >= len(dd.BLOCS) + 1 + 4


def test_officers_cover_leaders_deputy_and_rotation():
    last, previous = dd.YEARS[-1], dd.YEARS[-2]
    officer_units = {user.unit_code for user in dd.USERS if user.role == "officer"}
    assert set(dd.leaders(last).values()) <= officer_units
    assert dd.deputies(last)["K1"] in officer_units
    led_before_not_now = set(dd.leaders(previous).values()) - set(dd.leaders(last).values())
    assert officer_units & led_before_not_now
    plain_members = {m.unit_code for m in dd.memberships(last) if m.role == "member"}
    assert len(officer_units & plain_members) >= 4


# --- describe -------------------------------------------------------------------------------


def test_describe_counts():
    summary = dd.describe()
    assert summary["units"] == len(dd.UNITS)
    assert summary["active_units"] == sum(unit.active for unit in dd.UNITS)
    assert sum(summary["units_by_kind"].values()) == len(dd.UNITS)
    assert summary["blocs"] == 6
    assert summary["years"] == list(dd.YEARS)
    assert summary["memberships"] == {year: len(dd.memberships(year)) for year in dd.YEARS}
    assert sum(summary["users"].values()) == len(dd.USERS)
