"""Org services: units, blocs, yearly memberships, rotation, copy, overview, search and audit."""
import pytest
import sqlalchemy as sa

from portal import audit
from portal.audit import AuditEvent
from portal.auth import services as auth
from portal.errors import Conflict, NotFound, ValidationFailed
from portal.extensions import db
from portal.org import services as org
from portal.org.models import Bloc, Membership, Unit

R = org.MembershipRow

# The fixture's two years (see tests/conftest.py:Org).
ROWS_2025 = [R("U1", "K1", "leader"), R("U2", "K1", "deputy"), R("U3", "K1", "member"),
             R("U4", "K2", "leader"), R("U5", "K2", "deputy"), R("U6", "K2", "member")]
ROWS_2026 = [R("U2", "K1", "leader"), R("U3", "K1", "deputy"), R("U1", "K1", "member"),
             R("U5", "K2", "leader"), R("U4", "K2", "member"), R("U6", "K2", "member")]


@pytest.fixture
def admin(org_data, ctx):
    return auth.get_user("admin")


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def rows_of(year):
    return sorted((r.unit, r.bloc, r.role) for r in org.membership_rows(year))


def as_tuples(rows):
    return sorted((r.unit, r.bloc, r.role) for r in rows)


def vietnamese(message: str) -> bool:
    """A user-facing message: Vietnamese letters, not an English exception text."""
    return any(ch in message for ch in "ăâđêôơưàáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ")


# --- units ---------------------------------------------------------------------------------------

def test_create_unit_stores_cleaned_fields_and_audits(admin):
    unit = org.create_unit(admin, {"code": " u7 ", "name": "  Sở  Xây\u00a0dựng ", "short_name": "SXD", "kind": "so_nganh"})
    assert unit.code == "U7"
    assert unit.name == "Sở Xây dựng"
    assert unit.active is True and unit.version == 1
    db.session.expire_all()
    assert org.get_unit("u7").name == "Sở Xây dựng"
    [event] = audit.events_for("unit", "U7")
    assert event.action == "create"
    assert event.actor_name == "admin" and event.actor_id == admin.id
    assert event.before is None
    assert event.after == {"code": "U7", "name": "Sở Xây dựng", "short_name": "SXD", "kind": "so_nganh", "active": True}


@pytest.mark.parametrize("data, field, words", [
    ({"code": "U9", "name": ""}, "name", "tên đơn vị"),
    ({"code": "U9", "name": "   "}, "name", "tên đơn vị"),
    ({"code": "U9", "name": "x" * 201}, "name", "200"),
    ({"code": "", "name": "Sở mới"}, "code", "mã đơn vị"),
    ({"code": "Đ1", "name": "Sở mới"}, "code", "chữ in hoa không dấu"),
    ({"code": "U 9", "name": "Sở mới"}, "code", "chữ in hoa không dấu"),
    ({"code": "U" * 21, "name": "Sở mới"}, "code", "20 ký tự"),
    ({"code": "u1", "name": "Sở mới"}, "code", "đã được dùng"),
    ({"code": "U9", "name": "Sở mới", "kind": "bo"}, "kind", "Loại đơn vị"),
    ({"code": "U9", "name": "Sở mới", "short_name": "x" * 81}, "short_name", "80"),
    # JSON clients can send anything: a number or a list is a field error, never a crash.
    ({"code": "U9", "name": 5}, "name", "chuỗi"),
    ({"code": "U9", "name": "Sở mới", "kind": 3}, "kind", "chuỗi"),
    ({"code": "U9", "name": "Sở mới", "short_name": ["x"]}, "short_name", "chuỗi"),
])
def test_create_unit_refuses_bad_fields_with_vietnamese_message(admin, data, field, words):
    units_before, events_before = count(Unit), count(AuditEvent)
    with pytest.raises(ValidationFailed) as info:
        org.create_unit(admin, data)
    assert info.value.status == 422
    assert field in info.value.errors
    message = info.value.errors[field]
    assert words.lower() in message.lower()
    assert vietnamese(message) and vietnamese(info.value.message)
    db.session.rollback()
    assert count(Unit) == units_before
    assert count(AuditEvent) == events_before


def test_create_unit_reports_every_bad_field_at_once(admin):
    with pytest.raises(ValidationFailed) as info:
        org.create_unit(admin, {"code": "u 1", "name": "", "kind": "bo"})
    assert set(info.value.errors) == {"code", "name", "kind"}


def test_update_unit_audits_before_and_after_and_bumps_version(admin):
    unit = org.get_unit("U1")
    assert unit.version == 1
    org.update_unit(admin, unit, {"name": "Sở Nội vụ tỉnh", "short_name": "SNV", "kind": "so_nganh"}, version=1)
    db.session.expire_all()
    unit = org.get_unit("U1")
    assert unit.name == "Sở Nội vụ tỉnh" and unit.short_name == "SNV"
    assert unit.version == 2
    [event] = [e for e in audit.events_for("unit", "U1") if e.action == "update"]
    assert event.actor_name == "admin"
    assert event.before["name"] == "Sở Nội vụ" and event.before["short_name"] == "Đơn vị 1"
    assert event.after["name"] == "Sở Nội vụ tỉnh" and event.after["short_name"] == "SNV"


def test_update_unit_code_never_changes(admin):
    unit = org.get_unit("U1")
    org.update_unit(admin, unit, {"code": "ZZ", "name": "Sở Nội vụ", "short_name": "Đơn vị 1", "kind": "so_nganh"}, version=None)
    assert org.get_unit("U1").name == "Sở Nội vụ"
    with pytest.raises(NotFound):
        org.get_unit("ZZ")


def test_noop_update_writes_no_audit_and_keeps_version(admin):
    unit = org.get_unit("U1")
    events_before = count(AuditEvent)
    org.update_unit(admin, unit, {"name": " Sở Nội vụ ", "short_name": "Đơn vị 1", "kind": "so_nganh"}, version=1)
    db.session.expire_all()
    assert count(AuditEvent) == events_before
    assert org.get_unit("U1").version == 1


def test_deactivating_a_unit_is_audited(admin):
    unit = org.get_unit("U6")
    org.update_unit(admin, unit, {"name": unit.name, "short_name": unit.short_name, "kind": unit.kind, "active": "0"},
                    version=unit.version)
    db.session.expire_all()
    assert org.get_unit("U6").active is False
    [event] = [e for e in audit.events_for("unit", "U6") if e.action == "update"]
    assert event.before["active"] is True and event.after["active"] is False


def test_update_unit_with_stale_version_is_a_conflict_and_changes_nothing(admin):
    unit = org.get_unit("U1")
    org.update_unit(admin, unit, {"name": "Sở Nội vụ (1)", "short_name": "", "kind": "so_nganh"}, version=1)
    events_before = count(AuditEvent)
    with pytest.raises(Conflict) as info:
        org.update_unit(admin, org.get_unit("U1"), {"name": "Sở Nội vụ (2)", "kind": "so_nganh"}, version=1)
    assert info.value.status == 409
    assert info.value.current == {"version": 2}
    assert vietnamese(info.value.message)
    db.session.rollback()
    db.session.expire_all()
    assert org.get_unit("U1").name == "Sở Nội vụ (1)"
    assert count(AuditEvent) == events_before


def test_update_unit_with_garbage_version_is_refused(admin):
    with pytest.raises(ValidationFailed):
        org.update_unit(admin, org.get_unit("U1"), {"name": "X"}, version="abc")


def test_update_unit_validates_fields(admin):
    with pytest.raises(ValidationFailed) as info:
        org.update_unit(admin, org.get_unit("U1"), {"name": "", "kind": "nope"}, version=1)
    assert set(info.value.errors) == {"name", "kind"}
    db.session.rollback()
    assert org.get_unit("U1").name == "Sở Nội vụ"


def test_get_unit_and_bloc_by_code_or_id(admin):
    unit = org.get_unit("u3")
    assert org.get_unit(unit.id).code == "U3"
    assert org.get_bloc(" k2 ").code == "K2"
    with pytest.raises(NotFound) as info:
        org.get_unit("NOPE")
    assert "NOPE" in info.value.message and vietnamese(info.value.message)
    with pytest.raises(NotFound):
        org.get_bloc("K9")


# --- blocs ---------------------------------------------------------------------------------------

def test_create_bloc_and_audit(admin):
    bloc = org.create_bloc(admin, {"code": "k3", "name": "Khối thi đua số 3"})
    assert bloc.code == "K3"
    [event] = audit.events_for("bloc", "K3")
    assert event.action == "create" and event.actor_name == "admin"
    assert event.after == {"code": "K3", "name": "Khối thi đua số 3", "active": True}


@pytest.mark.parametrize("data, field, words", [
    ({"code": "K3", "name": ""}, "name", "tên khối"),
    ({"code": "", "name": "Khối 3"}, "code", "mã khối"),
    ({"code": "K 3", "name": "Khối 3"}, "code", "chữ in hoa không dấu"),
    ({"code": "k1", "name": "Khối 3"}, "code", "đã được dùng"),
    ({"code": "K3", "name": {"vi": "Khối 3"}}, "name", "chuỗi"),
])
def test_create_bloc_refuses_bad_fields(admin, data, field, words):
    blocs_before = count(Bloc)
    with pytest.raises(ValidationFailed) as info:
        org.create_bloc(admin, data)
    assert words.lower() in info.value.errors[field].lower()
    assert vietnamese(info.value.errors[field])
    db.session.rollback()
    assert count(Bloc) == blocs_before


def test_update_bloc_audit_noop_and_conflict(admin):
    bloc = org.get_bloc("K1")
    events_before = count(AuditEvent)
    org.update_bloc(admin, bloc, {"name": "Khối thi đua số 1"}, version=1)
    assert count(AuditEvent) == events_before  # nothing changed, nothing recorded
    org.update_bloc(admin, bloc, {"name": "Khối các huyện"}, version=1)
    db.session.expire_all()
    bloc = org.get_bloc("K1")
    assert bloc.name == "Khối các huyện" and bloc.version == 2
    [event] = [e for e in audit.events_for("bloc", "K1") if e.action == "update"]
    assert event.before["name"] == "Khối thi đua số 1" and event.after["name"] == "Khối các huyện"
    assert event.actor_name == "admin"
    with pytest.raises(Conflict):
        org.update_bloc(admin, bloc, {"name": "Khối cũ"}, version=1)
    db.session.rollback()
    assert org.get_bloc("K1").name == "Khối các huyện"


def test_list_blocs_natural_order(admin):
    for code in ("K10", "K3"):
        org.create_bloc(admin, {"code": code, "name": f"Khối {code}"})
    assert [b.code for b in org.list_blocs()] == ["K1", "K2", "K3", "K10"]
    org.update_bloc(admin, org.get_bloc("K3"), {"name": "Khối K3", "active": False}, version=None)
    assert [b.code for b in org.list_blocs(active_only=True)] == ["K1", "K2", "K10"]


# --- list and search -----------------------------------------------------------------------------

def test_list_units_in_vietnamese_order(admin):
    names = [u.name for u in org.list_units()]
    # Đ sorts right after D and Ủ after S (plain code-point order would put both last).
    assert names == ["Ban Dân tộc", "Đài Phát thanh và Truyền hình tỉnh", "Sở Nội vụ", "Sở Tài chính", "Sở Y tế",
                     "Ủy ban nhân dân huyện Bản Mường"]


@pytest.mark.parametrize("q, expected", [
    ("ban muong", ["U3"]),
    ("BẢN MƯỜNG", ["U3"]),
    ("  ban   ", ["U6", "U3"]),
    ("dai phat thanh", ["U4"]),
    ("u5", ["U5"]),           # the code matches too
    ("don vi 2", ["U2"]),     # and the short name ("Đơn vị 2")
    ("so", ["U1", "U2", "U5"]),
    ("không có", []),
])
def test_list_units_accent_free_search(admin, q, expected):
    assert [u.code for u in org.list_units(q=q)] == expected


def test_list_units_active_only(admin):
    unit = org.get_unit("U5")
    org.update_unit(admin, unit, {"name": unit.name, "short_name": unit.short_name, "kind": unit.kind, "active": False},
                    version=None)
    assert "U5" not in [u.code for u in org.list_units(active_only=True)]
    assert "U5" in [u.code for u in org.list_units()]


# --- memberships: reading ------------------------------------------------------------------------

def test_membership_rows_and_years(admin):
    assert rows_of(2025) == as_tuples(ROWS_2025)
    assert rows_of(2026) == as_tuples(ROWS_2026)
    assert org.membership_years() == [2026, 2025]
    assert org.membership_rows(2030) == []


def test_memberships_for_year_order_bloc_role_name(admin):
    rows = org.memberships_for_year(2026)
    # K2's members in 2026 are U4 "Đài Phát thanh…" and U6 "Ban Dân tộc": Vietnamese order puts Ban first.
    assert [(m.bloc.code, m.role, m.unit.code) for m in rows] == [
        ("K1", "leader", "U2"), ("K1", "deputy", "U3"), ("K1", "member", "U1"),
        ("K2", "leader", "U5"), ("K2", "member", "U6"), ("K2", "member", "U4"),
    ]


def test_membership_of_and_memberships_of_unit(admin):
    u1 = org.get_unit("U1")
    m = org.membership_of(u1.id, 2025)
    assert (m.bloc.code, m.role) == ("K1", "leader")
    m = org.membership_of(u1.id, 2026)
    assert (m.bloc.code, m.role) == ("K1", "member")
    assert org.membership_of(u1.id, 2024) is None
    assert org.membership_of(None, 2025) is None
    by_year = org.memberships_of_unit(org.get_unit("U4").id)
    assert {y: (m.bloc.code, m.role) for y, m in by_year.items()} == {2025: ("K2", "leader"), 2026: ("K2", "member")}
    assert org.memberships_of_unit(None) == {}


def test_leader_of(admin):
    k1 = org.get_bloc("K1")
    assert org.leader_of(k1.id, 2025).unit.code == "U1"
    assert org.leader_of(k1.id, 2026).unit.code == "U2"
    assert org.leader_of(k1.id, 2024) is None


def test_bloc_overview(admin):
    org.create_bloc(admin, {"code": "K3", "name": "Khối thi đua số 3"})  # no members yet
    overview = org.bloc_overview(2026)
    by_code = {e["bloc"].code: e for e in overview}
    assert [e["bloc"].code for e in overview] == ["K1", "K2", "K3"]
    assert by_code["K1"]["leader"].code == "U2" and by_code["K1"]["deputy"].code == "U3" and by_code["K1"]["count"] == 3
    assert by_code["K2"]["leader"].code == "U5" and by_code["K2"]["deputy"] is None and by_code["K2"]["count"] == 3
    assert by_code["K3"] == {"bloc": by_code["K3"]["bloc"], "leader": None, "deputy": None, "count": 0}
    empty = org.bloc_overview(2030)
    assert all(e["count"] == 0 and e["leader"] is None for e in empty)


def test_bloc_overview_runs_a_constant_number_of_queries(app, admin):
    from tests.conftest import count_queries

    with count_queries(app) as statements:
        org.bloc_overview(2025)
    assert len(statements) <= 2


def test_check_year():
    assert org.check_year("2025") == 2025
    for bad in ("abc", None, "", "2025.5"):
        with pytest.raises(ValidationFailed) as info:
            org.check_year(bad)
        assert "Năm" in info.value.message
    for out in (1999, 2101, "1800"):
        with pytest.raises(ValidationFailed) as info:
            org.check_year(out)
        assert info.value.message == "Năm phải từ 2000 đến 2100."


# --- memberships: validation ---------------------------------------------------------------------

def test_validate_membership_rows_accepts_a_good_list(admin):
    assert org.validate_membership_rows(2027, ROWS_2025) == {}
    # A bloc may have no deputy.
    assert org.validate_membership_rows(2027, [R("U1", "K1", "leader"), R("U2", "K1", "member")]) == {}


@pytest.mark.parametrize("rows, key, words", [
    ([R("U9", "K1", "leader")], "unit:U9", "Không có đơn vị mã U9"),
    ([R("U1", "K9", "leader")], "unit:U1", "Không có khối thi đua mã K9"),
    ([R("U1", "K1", "leader"), R("U2", "K1", "boss")], "unit:U2", "Vai trò boss không hợp lệ"),
    ([R("U1", "K1", "leader"), R("U1", "K2", "leader")], "unit:U1", "Sở Nội vụ được xếp vào nhiều khối trong năm 2027"),
    ([R("U1", "K1", "member"), R("U2", "K1", "deputy")], "bloc:K1", "Khối thi đua số 1 chưa có Trưởng khối"),
    ([R("U1", "K1", "leader"), R("U2", "K1", "leader")], "bloc:K1", "có 2 Trưởng khối (Sở Nội vụ, Sở Tài chính); chỉ được một"),
    ([R("U1", "K1", "leader"), R("U2", "K1", "deputy"), R("U3", "K1", "deputy")], "bloc:K1",
     "có 2 Phó Trưởng khối (Sở Tài chính, Ủy ban nhân dân huyện Bản Mường); tối đa một"),
])
def test_validate_membership_rows_rules(admin, rows, key, words):
    errors = org.validate_membership_rows(2027, rows)
    assert key in errors, errors
    assert words in errors[key]
    assert vietnamese(errors[key])


def test_validate_membership_rows_reports_every_problem(admin):
    errors = org.validate_membership_rows(2027, [
        R("U9", "K1", "member"), R("U1", "K1", "leader"), R("U2", "K2", "deputy"), R("U3", "K2", "deputy")])
    assert set(errors) == {"unit:U9", "bloc:K2"}


# --- memberships: replace ------------------------------------------------------------------------

def test_replace_memberships_creates_a_new_year_and_audits(admin):
    result = org.replace_memberships(admin, 2027, ROWS_2026)
    assert result == {"year": 2027, "count": 6, "changed": 6}
    assert rows_of(2027) == as_tuples(ROWS_2026)
    [event] = audit.events_for("memberships", 2027)
    assert event.action == "replace" and event.actor_name == "admin"
    assert event.before == {code: None for code in ("U1", "U2", "U3", "U4", "U5", "U6")}
    assert event.after["U2"] == ["K1", "leader"]


def test_replace_memberships_normalises_codes_and_roles(admin):
    org.replace_memberships(admin, 2027, [R(" u1 ", "k1", " Leader "), R("u2", "k1", ""), R("u3", "k1", None)])
    assert rows_of(2027) == [("U1", "K1", "leader"), ("U2", "K1", "member"), ("U3", "K1", "member")]


def test_replace_memberships_rotation_swaps_leader_in_one_replace(admin):
    # 2025 K1: U1 leader, U2 deputy. Swap them (and K2's leader and deputy) in one go: the partial
    # unique indexes must never see two leaders of K1 in the middle.
    rotated = [R("U1", "K1", "deputy"), R("U2", "K1", "leader"), R("U3", "K1", "member"),
               R("U4", "K2", "deputy"), R("U5", "K2", "leader"), R("U6", "K2", "member")]
    result = org.replace_memberships(admin, 2025, rotated)
    assert result["changed"] == 4
    db.session.expire_all()
    assert rows_of(2025) == as_tuples(rotated)
    k1 = org.get_bloc("K1")
    assert org.leader_of(k1.id, 2025).unit.code == "U2"
    # The other year is untouched.
    assert rows_of(2026) == as_tuples(ROWS_2026)


def test_replace_memberships_moves_a_leader_between_blocs(admin):
    # U1 leaves K1 to lead K2; U4 (K2's leader) moves to lead K1.
    moved = [R("U4", "K1", "leader"), R("U2", "K1", "deputy"), R("U3", "K1", "member"),
             R("U1", "K2", "leader"), R("U5", "K2", "deputy"), R("U6", "K2", "member")]
    org.replace_memberships(admin, 2025, moved)
    assert rows_of(2025) == as_tuples(moved)


def test_replace_memberships_audit_records_only_changed_units(admin):
    rows = [R("U1", "K1", "leader"), R("U2", "K1", "member"), R("U3", "K1", "deputy"),
            R("U4", "K2", "leader"), R("U5", "K2", "deputy")]  # U6 leaves, U2/U3 swap roles
    result = org.replace_memberships(admin, 2025, rows)
    assert result == {"year": 2025, "count": 5, "changed": 3}
    event = audit.events_for("memberships", 2025)[0]
    assert event.before == {"U2": ["K1", "deputy"], "U3": ["K1", "member"], "U6": ["K2", "member"]}
    assert event.after == {"U2": ["K1", "member"], "U3": ["K1", "deputy"], "U6": None}
    assert event.actor_id == admin.id


def test_replace_memberships_with_the_same_list_records_nothing(admin):
    events_before, ids_before = count(AuditEvent), sorted(db.session.scalars(sa.select(Membership.id)))
    result = org.replace_memberships(admin, 2025, list(reversed(ROWS_2025)))
    assert result["changed"] == 0
    assert count(AuditEvent) == events_before
    # Unchanged rows are kept, not deleted and re-inserted.
    assert sorted(db.session.scalars(sa.select(Membership.id))) == ids_before


@pytest.mark.parametrize("rows", [
    [R("U1", "K1", "leader"), R("U2", "K1", "leader")],
    [R("U1", "K1", "member")],
    [R("U1", "K1", "leader"), R("U1", "K2", "leader")],
    [R("U1", "K1", "leader"), R("U9", "K1", "member")],
    [R("U1", "K1", "leader"), R("U2", "K1", "chief")],
    ROWS_2025[:-1] + [R("U6", "K3", "member")],
])
def test_replace_memberships_is_all_or_nothing(admin, rows):
    before = rows_of(2025)
    memberships_before, events_before = count(Membership), count(AuditEvent)
    with pytest.raises(ValidationFailed) as info:
        org.replace_memberships(admin, 2025, rows)
    assert "chưa có thay đổi nào được lưu" in info.value.message
    assert info.value.errors
    db.session.rollback()
    db.session.expire_all()
    assert rows_of(2025) == before
    assert count(Membership) == memberships_before
    assert count(AuditEvent) == events_before


def test_replace_memberships_with_empty_list_clears_the_year(admin):
    result = org.replace_memberships(admin, 2026, [])
    assert result == {"year": 2026, "count": 0, "changed": 6}
    assert org.membership_rows(2026) == []
    assert rows_of(2025) == as_tuples(ROWS_2025)


@pytest.mark.parametrize("year", ["abc", 1999, 2101])
def test_replace_memberships_refuses_a_bad_year(admin, year):
    with pytest.raises(ValidationFailed):
        org.replace_memberships(admin, year, ROWS_2025)


def test_database_refuses_two_leaders_even_without_the_service(admin):
    from sqlalchemy.exc import IntegrityError

    db.session.add(Membership(unit=org.get_unit("U3"), bloc=org.get_bloc("K1"), year=2030, role="leader"))
    db.session.add(Membership(unit=org.get_unit("U1"), bloc=org.get_bloc("K1"), year=2030, role="leader"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_rows_from_json():
    rows = org.rows_from_json([{"unit": "U1", "bloc": "K1", "role": "leader"}, {"unit": "U2", "bloc": "K1"}])
    assert rows == [R("U1", "K1", "leader"), R("U2", "K1", "member")]
    for bad in ("x", {"unit": "U1"}, None, 5):
        with pytest.raises(ValidationFailed):
            org.rows_from_json(bad)
    with pytest.raises(ValidationFailed) as info:
        org.rows_from_json([{"unit": "U1", "bloc": "K1"}, {"unit": "U2"}])
    assert info.value.message == "Dòng 2 thiếu mã đơn vị hoặc mã khối."


# --- memberships: copy ---------------------------------------------------------------------------

def test_copy_memberships_to_a_new_year(admin):
    result = org.copy_memberships(admin, 2026, 2027)
    assert result["count"] == 6
    assert rows_of(2027) == rows_of(2026)
    [event] = audit.events_for("memberships", 2027)
    assert event.actor_name == "admin"


def test_copy_memberships_without_source_is_refused(admin):
    with pytest.raises(ValidationFailed) as info:
        org.copy_memberships(admin, 2020, 2027)
    assert "Năm 2020 chưa có danh sách thành viên" in info.value.message
    assert org.membership_rows(2027) == []


def test_copy_memberships_onto_an_existing_year_needs_replace(admin):
    with pytest.raises(Conflict) as info:
        org.copy_memberships(admin, 2025, 2026)
    assert info.value.status == 409
    assert "Năm 2026 đã có danh sách thành viên" in info.value.message
    db.session.rollback()
    assert rows_of(2026) == as_tuples(ROWS_2026)
    org.copy_memberships(admin, 2025, 2026, replace=True)
    assert rows_of(2026) == as_tuples(ROWS_2025)


def test_copy_memberships_leaves_inactive_units_out(admin):
    unit = org.get_unit("U6")  # a plain member of K2 in 2026
    org.update_unit(admin, unit, {"name": unit.name, "short_name": unit.short_name, "kind": unit.kind, "active": False},
                    version=None)
    result = org.copy_memberships(admin, 2026, 2027)
    assert result["count"] == 5
    assert "U6" not in [u for u, _b, _r in rows_of(2027)]
    assert ("U6", "K2", "member") in rows_of(2026)  # history stays


@pytest.mark.parametrize("from_year, to_year", [("abc", 2027), (2026, 1800)])
def test_copy_memberships_checks_years(admin, from_year, to_year):
    with pytest.raises(ValidationFailed):
        org.copy_memberships(admin, from_year, to_year)
