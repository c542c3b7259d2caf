"""The policy matrix: role × relation to the object × action, and rotation between two years."""
import pytest

from portal.auth import policy
from portal.auth import services as auth
from portal.errors import Forbidden
from portal.org import services as org


@pytest.fixture
def world(ctx, org_data):
    users = {name: auth.get_user(name) for name in ("admin", "off1", "off2", "off4", "off6", "viewer")}
    units = {code: org.get_unit(code) for code in ("U1", "U2", "U3", "U4", "U5", "U6")}
    blocs = {code: org.get_bloc(code) for code in ("K1", "K2")}
    return users, units, blocs


# (user, action, target kind, target code, year, expected)
MATRIX = [
    # Board admins: everything, any year, any object.
    ("admin", "org.manage", None, None, None, True),
    ("admin", "user.manage", None, None, None, True),
    ("admin", "unit.act", "unit", "U3", 2025, True),
    ("admin", "bloc.run", "bloc", "K2", 2026, True),
    # Officers: their own unit only.
    ("off1", "unit.act", "unit", "U1", 2025, True),
    ("off1", "unit.act", "unit", "U2", 2025, False),
    ("off6", "unit.act", "unit", "U6", 2026, True),
    ("off6", "unit.act", "unit", "U4", 2026, False),
    # Officers of the leader unit run the bloc *that year*; rotation moves the right.
    ("off1", "bloc.run", "bloc", "K1", 2025, True),
    ("off1", "bloc.run", "bloc", "K1", 2026, False),
    ("off2", "bloc.run", "bloc", "K1", 2025, False),   # deputy is not leader
    ("off2", "bloc.run", "bloc", "K1", 2026, True),
    ("off4", "bloc.run", "bloc", "K2", 2025, True),
    ("off4", "bloc.run", "bloc", "K2", 2026, False),
    ("off1", "bloc.run", "bloc", "K2", 2025, False),   # leading K1 gives nothing in K2
    ("off1", "bloc.run", "bloc", "K1", 2024, False),   # no membership that year
    ("off1", "bloc.run", "bloc", "K1", None, False),   # a bloc right always needs a year
    # Members take part in their own bloc only.
    ("off1", "bloc.member", "bloc", "K1", 2026, True),
    ("off1", "bloc.member", "bloc", "K2", 2026, False),
    ("off6", "bloc.member", "bloc", "K2", 2025, True),
    # Nobody but the Board manages the org or accounts.
    ("off1", "org.manage", None, None, None, False),
    ("off2", "user.manage", None, None, None, False),
    ("viewer", "org.manage", None, None, None, False),
    # Viewers read, never act.
    ("viewer", "portal.read", None, None, None, True),
    ("viewer", "unit.act", "unit", "U1", 2025, False),
    ("viewer", "bloc.run", "bloc", "K1", 2025, False),
    ("viewer", "bloc.member", "bloc", "K1", 2025, False),
    ("off4", "portal.read", None, None, None, True),
]


@pytest.mark.parametrize("username, action, kind, code, year, expected", MATRIX)
def test_policy_matrix(world, username, action, kind, code, year, expected):
    users, units, blocs = world
    target = {"unit": units, "bloc": blocs}.get(kind, {}).get(code)
    assert policy.can(users[username], action, target, year=year) is expected


def test_rotation_moves_rights_without_editing_users(world):
    users, units, blocs = world
    k1 = blocs["K1"]
    # 2027: copy 2026 and make U1 leader again, U2 a member.
    rows = [r if r.unit not in ("U1", "U2") else org.MembershipRow(r.unit, r.bloc, {"U1": "leader", "U2": "member"}[r.unit])
            for r in org.membership_rows(2026)]
    org.replace_memberships(None, 2027, rows)
    assert policy.can(users["off1"], "bloc.run", k1, year=2027)
    assert not policy.can(users["off2"], "bloc.run", k1, year=2027)
    # Past years keep their history: 2026 still belongs to U2's officers.
    assert policy.can(users["off2"], "bloc.run", k1, year=2026)


def test_inactive_and_anonymous_users_may_do_nothing(world):
    users, units, blocs = world
    admin = users["admin"]
    admin.active = False
    assert not policy.can(admin, "portal.read")
    assert not policy.can(None, "portal.read")


def test_require_raises_forbidden_with_vietnamese_message(world):
    users, units, blocs = world
    with pytest.raises(Forbidden) as exc:
        policy.require(users["off1"], "unit.act", units["U2"], year=2025)
    assert "không có quyền" in exc.value.message


def test_unknown_action_is_a_programming_error(world):
    users, _, _ = world
    with pytest.raises(KeyError):
        policy.can(users["off1"], "no.such.action")


def test_loaders_return_the_object_or_refuse(world):
    from portal.errors import NotFound

    users, units, blocs = world
    assert policy.get_bloc_for(users["off2"], "K1", "bloc.run", year=2026) is blocs["K1"]
    with pytest.raises(Forbidden):
        policy.get_bloc_for(users["off2"], "K1", "bloc.run", year=2025)
    with pytest.raises(NotFound):
        policy.get_unit_for(users["admin"], "NOPE")
