"""Rights on schedules and check-offs: only the Board edits schedules; a bloc's leader that year checks off its
bloc's own milestones, never another bloc's, another year's, or the Board's and the council's."""
from datetime import date

import pytest

from portal.auth import policy
from portal.auth import services as auth
from portal.errors import Conflict, Forbidden, ValidationFailed
from portal.org import services as org
from portal.schedule import progress as prog
from portal.schedule.progress import CellScope
from tests.unit.test_schedule_services import make_schedule


@pytest.fixture
def world(ctx, org_data):
    users = {name: auth.get_user(name) for name in ("admin", "off1", "off2", "off4", "off6", "viewer")}
    return users, {2025: make_schedule(2025), 2026: make_schedule(2026)}


@pytest.mark.parametrize("username, expected", [("admin", True), ("off1", False), ("off2", False), ("viewer", False)])
def test_only_the_board_manages_schedules(world, username, expected):
    users, _ms = world
    assert policy.can(users[username], "schedule.manage") is expected


# (user, year, milestone seq (1 bloc, 3 unit, 5 council), bloc, expected)
# 2025: K1 led by U1 (off1), K2 by U4 (off4). 2026: K1 led by U2 (off2), K2 by U5 (no account).
MATRIX = [
    ("admin", 2026, 1, "K2", True),
    ("admin", 2026, 5, "K1", True),
    ("off2", 2026, 1, "K1", True),     # leader of K1 in 2026
    ("off2", 2026, 3, "K1", True),     # per-unit milestones of its bloc too
    ("off2", 2026, 1, "K2", False),    # never another bloc's
    ("off2", 2025, 1, "K1", False),    # never another year's (it was deputy in 2025)
    ("off2", 2026, 5, "K1", False),    # never the council's
    ("off1", 2025, 1, "K1", True),     # led K1 in 2025
    ("off1", 2026, 1, "K1", False),    # a plain member in 2026: rotation moved the right
    ("off4", 2025, 3, "K2", True),
    ("off4", 2026, 3, "K2", False),
    ("off6", 2026, 1, "K2", False),    # a member, not the leader
    ("viewer", 2026, 1, "K1", False),
]


@pytest.mark.parametrize("username, year, seq, bloc, expected", MATRIX)
def test_who_may_check_off(world, username, year, seq, bloc, expected):
    users, ms = world
    milestone = ms[year][seq - 1]
    target = CellScope(org.get_bloc(bloc).id, milestone.scope, milestone.year)
    assert policy.can(users[username], "milestone.check", target, year=milestone.year) is expected
    if expected:
        prog.get_cell_for(users[username], milestone.id, bloc, "milestone.check")
    else:
        with pytest.raises(Forbidden):
            prog.get_cell_for(users[username], milestone.id, bloc, "milestone.check")


def test_a_year_passed_that_is_not_the_milestones_grants_nothing(world):
    users, ms = world
    milestone = ms[2025][0]  # off2 leads K1 in 2026, not in 2025
    target = CellScope(org.get_bloc("K1").id, milestone.scope, milestone.year)
    assert not policy.can(users["off2"], "milestone.check", target, year=2026)


def test_undo_follows_the_same_rule(world):
    users, ms = world
    check = prog.check_off(users["off2"], ms[2026][0], org.get_bloc("K1"), note="Đã ký", done_on=date(2026, 1, 20),
                           today=date(2026, 2, 1))
    assert check.checked_by_name == "Cán bộ 2"
    with pytest.raises(Forbidden):
        prog.get_check_for(users["off1"], check.id)
    with pytest.raises(Forbidden):
        prog.get_check_for(users["viewer"], check.id)
    assert prog.get_check_for(users["admin"], check.id) is check


@pytest.mark.parametrize("kwargs, key, words", [
    ({"note": ""}, "note", "ghi lý do"),
    ({"note": "   "}, "note", "ghi lý do"),
    ({"note": "x" * 501}, "note", "tối đa 500"),
    ({"note": 5}, "note", "chuỗi ký tự"),
    ({"note": "ok", "done_on": "02/02/2026"}, "done_on", "không được sau hôm nay"),
    ({"note": "ok", "done_on": "hôm qua"}, "done_on", "dd/mm/yyyy"),
    ({"note": "ok", "done_on": "01/01/2020"}, "done_on", "quá xa"),
    ({"note": "ok", "unit_code": "U1"}, "unit", "tính theo khối"),
])
def test_check_off_validation_on_a_bloc_milestone(world, kwargs, key, words):
    _users, ms = world
    with pytest.raises(ValidationFailed) as info:
        prog.check_off(auth.SYSTEM, ms[2026][0], org.get_bloc("K1"), today=date(2026, 2, 1), **kwargs)
    assert words in info.value.errors[key]


@pytest.mark.parametrize("unit, words", [("U4", "không thuộc"), ("NOPE", "Không tìm thấy")])
def test_unit_check_off_needs_a_unit_of_the_bloc_that_year(world, unit, words):
    _users, ms = world
    with pytest.raises(ValidationFailed) as info:
        prog.check_off(auth.SYSTEM, ms[2026][2], org.get_bloc("K1"), note="ok", unit_code=unit, today=date(2026, 11, 25))
    assert words in info.value.errors["unit"]


def test_a_second_check_off_of_the_same_cell_is_a_conflict(world):
    _users, ms = world
    k1 = org.get_bloc("K1")
    prog.check_off(auth.SYSTEM, ms[2026][2], k1, note="U1 nộp giấy", unit_code="U1", today=date(2026, 11, 25))
    prog.check_off(auth.SYSTEM, ms[2026][2], k1, note="cả khối", today=date(2026, 11, 25))  # the bloc cell is another cell
    with pytest.raises(Conflict):
        prog.check_off(auth.SYSTEM, ms[2026][2], k1, note="lần hai", unit_code="U1", today=date(2026, 11, 25))
    with pytest.raises(Conflict):
        prog.check_off(auth.SYSTEM, ms[2026][2], k1, note="lần hai", today=date(2026, 11, 25))


def test_check_off_and_undo_are_audited(world):
    from portal import audit

    users, ms = world
    check = prog.check_off(users["admin"], ms[2026][0], org.get_bloc("K2"), note="Đã ký ngày 20/01", done_on="20/01/2026",
                           today=date(2026, 2, 1))
    prog.undo_check(users["admin"], check)
    events = audit.events_for("milestone", ms[2026][0].id)
    assert [e.action for e in events] == ["uncheck", "check"]
    assert events[1].after["note"] == "Đã ký ngày 20/01" and events[0].before["bloc"] == "K2"
    assert prog.checks_history(ms[2026][0], org.get_bloc("K2"))[0].action == "uncheck"
    assert prog.checks_history(ms[2026][0], org.get_bloc("K1")) == []
