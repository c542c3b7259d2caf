"""The bloc meeting and next year's leadership (DESIGN §4.1, issue 12 item 4): services, API, pages, dashboard.

Org world (conftest): 2025 K1 led by U1 (deputy U2, member U3); 2026 K1 led by U2 (deputy U3, member U1), K2 led by
U5 (members U4, U6); no memberships in 2027. At K1's 2026 meeting the bloc proposes 2027's leader and deputy.
"""
from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from portal import audit
from portal.auth import policy
from portal.auth import services as auth
from portal.errors import Conflict, Forbidden, ValidationFailed
from portal.extensions import db
from portal.org import services as org
from portal.org.models import Membership
from portal.scoring import meeting as meetings
from portal.text import TZ
from tests.conftest import PASSWORD, AuthActions, count_queries, csrf_from

R = org.MembershipRow
DETAILS = {"held_at": "20/11/2026 08:30", "place": "Hội trường Sở Tài chính", "chair": "Nguyễn Văn A, Giám đốc Sở Tài chính",
           "secretary": "Trần Thị B", "present_units": ["U3", "U1", "U2"], "content": "Bình xét thi đua năm 2026.\nThống nhất đề xuất."}


@pytest.fixture
def world(ctx, org_data):
    auth.create_user(None, username="off3", password=PASSWORD, role="officer", unit_code="U3", full_name="Cán bộ 3")
    users = {name: auth.get_user(name) for name in ("admin", "off1", "off2", "off3", "off4", "viewer")}
    return users, org.get_bloc("K1"), org.get_bloc("K2")


def roles(year: int, bloc_code: str) -> dict[str, str]:
    return {r.unit: r.role for r in org.membership_rows(year) if r.bloc == bloc_code}


def events(action: str) -> list:
    return [e for e in audit.events_for("bloc_meeting") if e.action == action]


# --- the meeting's details ----------------------------------------------------------------------

def test_leader_records_the_meeting_details(world):
    users, k1, _k2 = world
    assert meetings.meeting_of(k1, 2026) is None
    saved = meetings.save_meeting(users["off2"], k1, 2026, DETAILS, 0)
    got = meetings.meeting_of(k1, 2026)
    assert got.version == saved.version == 1
    assert got.held_at == datetime(2026, 11, 20, 8, 30, tzinfo=TZ) and got.held_at.utcoffset().total_seconds() == 7 * 3600
    assert [u.code for u in got.present_units] == ["U1", "U2", "U3"]  # Vietnamese order: Sở Nội vụ < Sở Tài chính < Ủy ban…
    assert [u.name for u in got.present_units] == ["Sở Nội vụ", "Sở Tài chính", "Ủy ban nhân dân huyện Bản Mường"]
    assert got.place == DETAILS["place"] and got.chair == DETAILS["chair"] and got.content == DETAILS["content"]
    assert got.next_leader is None and got.confirmed_at is None and meetings.state_of(got) == "none"
    [event] = events("meeting.save")
    assert event.object_id == "K1-2026" and event.after["present_units"] == ["U1", "U2", "U3"]
    assert event.after["held_at"] == "20/11/2026 08:30"
    # ISO with an offset is read as such; a naive ISO time is Viet Nam time.
    meetings.save_meeting(users["admin"], k1, 2026, {**DETAILS, "held_at": "2026-11-21T01:00:00+00:00", "present_units": ["U1"]}, 1)
    got = meetings.meeting_of(k1, 2026)
    assert got.held_at == datetime(2026, 11, 21, 8, 0, tzinfo=TZ) and [u.code for u in got.present_units] == ["U1"]
    assert got.version == 2


def test_same_details_again_are_no_conflict_but_a_stale_change_is(world):
    users, k1, _k2 = world
    meetings.save_meeting(users["off2"], k1, 2026, DETAILS, 0)
    again = meetings.save_meeting(users["admin"], k1, 2026, dict(DETAILS), 0)  # stale version, same values
    assert again.version == 1 and len(events("meeting.save")) == 1
    with pytest.raises(Conflict) as exc:
        meetings.save_meeting(users["admin"], k1, 2026, {**DETAILS, "place": "Nơi khác"}, 0)
    assert exc.value.current == {"version": 1}
    assert meetings.meeting_of(k1, 2026).place == DETAILS["place"]


@pytest.mark.parametrize("change, field", [
    ({"present_units": ["U4"]}, "present_units"),      # a K2 unit
    ({"present_units": "U1"}, "present_units"),
    ({"held_at": "20/11/2024 08:30"}, "held_at"),      # not that year's meeting
    ({"held_at": "31/02/2026 08:30"}, "held_at"),
    ({"held_at": "20/11/2026"}, "held_at"),            # no hour
    ({"held_at": 2026}, "held_at"),
    ({"held_at": "9999-12-31T23:59:59-14:00"}, "held_at"),  # beyond what a datetime can convert
    ({"held_at": "1" + " " * 100000 + "x"}, "held_at"),      # long: refused before any pattern reads it
    ({"place": "x" * 301}, "place"),
    ({"chair": "Ông \x1b A"}, "chair"),
    ({"secretary": ["a"]}, "secretary"),
])
def test_bad_details_change_nothing(world, change, field):
    users, k1, _k2 = world
    with pytest.raises(ValidationFailed) as exc:
        meetings.save_meeting(users["off2"], k1, 2026, {**DETAILS, **change}, 0)
    assert field in exc.value.errors and exc.value.message
    assert meetings.meeting_of(k1, 2026) is None and not events("meeting.save")


def test_only_that_years_leader_and_the_board_record_the_meeting(world):
    users, k1, _k2 = world
    for name in ("off1", "off3", "off4", "viewer"):
        with pytest.raises(Forbidden):
            meetings.save_meeting(users[name], k1, 2026, DETAILS, 0)
    # off1 led K1 in 2025: that year's meeting is theirs.
    meetings.save_meeting(users["off1"], k1, 2025, {**DETAILS, "held_at": "15/12/2025 14:00", "present_units": ["U1"]}, 0)
    with pytest.raises(ValidationFailed):
        meetings.save_meeting(users["off2"], k1, 2026, DETAILS, None)  # a version is required


# --- the proposal ----------------------------------------------------------------------------------

def test_leader_proposes_next_years_leader_and_deputy(world):
    users, k1, _k2 = world
    meetings.save_meeting(users["off2"], k1, 2026, DETAILS, 0)
    got = meetings.propose_leadership(users["off2"], k1, 2026, {"leader": "u3", "deputy": "U1", "note": "Luân phiên theo quy chế"}, 1)
    assert got.version == 2 and meetings.state_of(got) == "proposed"
    assert got.next_leader.code == "U3" and got.next_deputy.code == "U1" and got.proposed_by == "off2"
    assert got.place == DETAILS["place"]  # the details are kept
    [event] = events("leadership.propose")
    assert event.before == {"leader": None, "deputy": None, "note": ""}
    assert event.after == {"leader": "U3", "deputy": "U1", "note": "Luân phiên theo quy chế"}
    assert roles(2027, "K1") == {}  # nothing moves before the Board confirms
    # The deputy is optional; a proposal without meeting details yet starts the row (version 0).
    got = meetings.propose_leadership(users["admin"], org.get_bloc("K2"), 2026, {"leader": "U6"}, 0)
    assert got.next_leader.code == "U6" and got.next_deputy is None


@pytest.mark.parametrize("data, field", [
    ({"leader": "U3", "deputy": "U3"}, "deputy"),
    ({"deputy": "U3"}, "leader"),
    ({"leader": "U4"}, "leader"),                       # a K2 unit
    ({"leader": "U3", "deputy": "U9"}, "deputy"),       # no such unit
    ({"leader": 3}, "leader"),
    ({"leader": "U\x00"}, "leader"),                  # never sent to the database
    ({"leader": "U3", "note": "y" * 2001}, "note"),
])
def test_bad_proposals_change_nothing(world, data, field):
    users, k1, _k2 = world
    with pytest.raises(ValidationFailed) as exc:
        meetings.propose_leadership(users["off2"], k1, 2026, data, 0)
    assert field in exc.value.errors, exc.value.errors
    assert meetings.meeting_of(k1, 2026) is None and not events("leadership.propose")


def test_an_inactive_unit_cannot_be_proposed(world):
    users, k1, _k2 = world
    u1 = org.get_unit("U1")
    org.update_unit(None, u1, {"name": u1.name, "short_name": u1.short_name, "kind": u1.kind, "active": False}, version=u1.version)
    with pytest.raises(ValidationFailed) as exc:
        meetings.propose_leadership(users["off2"], k1, 2026, {"leader": "U1"}, 0)
    assert "ngừng hoạt động" in exc.value.errors["leader"]
    assert "U1" not in [u.code for u in meetings.candidates(k1, 2026)]


def test_candidates_are_next_years_members_once_they_exist(world):
    users, k1, _k2 = world
    assert [u.code for u in meetings.candidates(k1, 2026)] == ["U2", "U3", "U1"]  # leader, deputy, members
    # The Board already drew up 2027: U4 moved to K1, U1 moved to K2.
    org.replace_memberships(None, 2027, [R("U2", "K1", "leader"), R("U4", "K1", "member"), R("U3", "K1", "member"),
                                         R("U5", "K2", "leader"), R("U1", "K2", "member"), R("U6", "K2", "member")])
    assert {u.code for u in meetings.candidates(k1, 2026)} == {"U2", "U3", "U4"}
    with pytest.raises(ValidationFailed) as exc:
        meetings.propose_leadership(users["off2"], k1, 2026, {"leader": "U1"}, 0)
    assert "Khối thi đua số 2" in exc.value.errors["leader"]  # says where U1 is now
    meetings.propose_leadership(users["off2"], k1, 2026, {"leader": "U4", "deputy": "U3"}, 0)


def test_stale_proposal_is_refused_and_the_same_one_is_not(world):
    users, k1, _k2 = world
    meetings.propose_leadership(users["off2"], k1, 2026, {"leader": "U3"}, 0)
    assert meetings.propose_leadership(users["admin"], k1, 2026, {"leader": "U3"}, 0).version == 1
    with pytest.raises(Conflict):
        meetings.propose_leadership(users["admin"], k1, 2026, {"leader": "U1"}, 0)
    assert meetings.meeting_of(k1, 2026).next_leader.code == "U3"


def test_who_may_propose(world):
    users, k1, _k2 = world
    for name in ("off1", "off3", "off4", "viewer"):
        with pytest.raises(Forbidden):
            meetings.propose_leadership(users[name], k1, 2026, {"leader": "U3"}, 0)


# --- confirmation -------------------------------------------------------------------------------

def test_board_confirms_into_next_years_memberships_and_rights_move(world):
    users, k1, _k2 = world
    meetings.propose_leadership(users["off2"], k1, 2026, {"leader": "U3", "deputy": "U1"}, 0)
    with pytest.raises(Forbidden):
        meetings.confirm_leadership(users["off2"], k1, 2026)
    assert not policy.can(users["off3"], "scoring.criteria.edit", k1, year=2027)
    got = meetings.confirm_leadership(users["admin"], k1, 2026, version=1)
    assert meetings.state_of(got) == "confirmed" and got.confirmed_by == "admin" and got.version == 2
    # Year 2027 had nothing for K1: the bloc's 2026 units are copied, the old leader becomes a member.
    assert roles(2027, "K1") == {"U3": "leader", "U1": "deputy", "U2": "member"}
    assert roles(2027, "K2") == {}
    assert [e.action for e in audit.events_for("memberships", 2027)] == ["replace"]
    assert events("leadership.confirm")[0].after == {"leader": "U3", "deputy": "U1", "note": ""}
    # Rights follow the memberships at once.
    assert policy.can(users["off3"], "scoring.criteria.edit", k1, year=2027)
    assert policy.can(users["off3"], "bloc.meeting", k1, year=2027)
    assert not policy.can(users["off2"], "scoring.criteria.edit", k1, year=2027)
    assert policy.can(users["off2"], "scoring.criteria.edit", k1, year=2026)


def test_confirm_keeps_the_rest_of_next_year(world):
    users, k1, _k2 = world
    org.replace_memberships(None, 2027, [R("U2", "K1", "leader"), R("U3", "K1", "deputy"), R("U1", "K1", "member"),
                                         R("U5", "K2", "leader"), R("U4", "K2", "deputy"), R("U6", "K2", "member")])
    meetings.propose_leadership(users["off2"], k1, 2026, {"leader": "U1", "deputy": "U2"}, 0)
    meetings.confirm_leadership(users["admin"], k1, 2026)
    assert roles(2027, "K1") == {"U1": "leader", "U2": "deputy", "U3": "member"}
    assert roles(2027, "K2") == {"U5": "leader", "U4": "deputy", "U6": "member"}


def test_confirm_refusals_change_nothing(world):
    users, k1, k2 = world
    with pytest.raises(ValidationFailed):
        meetings.confirm_leadership(users["admin"], k1, 2026)  # nothing proposed
    meetings.propose_leadership(users["off2"], k1, 2026, {"leader": "U3", "deputy": "U1"}, 0)
    with pytest.raises(Conflict):
        meetings.confirm_leadership(users["admin"], k1, 2026, version=0)  # the Board saw an older proposal
    # Since the proposal, the Board placed U1 in K2 for 2027 (K1 has no 2027 members yet).
    org.replace_memberships(None, 2027, [R("U5", "K2", "leader"), R("U1", "K2", "member")])
    with pytest.raises(ValidationFailed) as exc:
        meetings.confirm_leadership(users["admin"], k1, 2026)
    assert "deputy" in exc.value.errors
    assert roles(2027, "K1") == {} and meetings.state_of(meetings.meeting_of(k1, 2026)) == "proposed"
    assert not events("leadership.confirm")


def test_after_confirmation_only_the_board_changes_the_proposal(world):
    users, k1, _k2 = world
    meetings.propose_leadership(users["off2"], k1, 2026, {"leader": "U3", "deputy": "U1"}, 0)
    meetings.confirm_leadership(users["admin"], k1, 2026)
    with pytest.raises(Conflict):
        meetings.propose_leadership(users["off2"], k1, 2026, {"leader": "U1"}, 2)
    # The same proposal again is no change at all, even from the leader.
    assert meetings.propose_leadership(users["off2"], k1, 2026, {"leader": "U3", "deputy": "U1"}, 2).version == 2
    # The Board's change withdraws the confirmation; memberships wait for the new confirmation.
    got = meetings.propose_leadership(users["admin"], k1, 2026, {"leader": "U1", "deputy": "U3"}, 2)
    assert meetings.state_of(got) == "proposed" and got.confirmed_at is None
    assert roles(2027, "K1") == {"U3": "leader", "U1": "deputy", "U2": "member"}
    meetings.confirm_leadership(users["admin"], k1, 2026)
    assert roles(2027, "K1") == {"U1": "leader", "U3": "deputy", "U2": "member"}


def test_confirm_all_is_all_or_nothing(world):
    users, k1, k2 = world
    meetings.propose_leadership(users["off2"], k1, 2026, {"leader": "U3"}, 0)
    meetings.propose_leadership(users["admin"], k2, 2026, {"leader": "U4", "deputy": "U6"}, 0)
    with pytest.raises(Forbidden):
        meetings.confirm_all(users["off2"], 2026)
    # U6 is placed in K1 for 2027 meanwhile: K2's proposal can no longer be written, so nothing is.
    org.replace_memberships(None, 2027, [R("U2", "K1", "leader"), R("U3", "K1", "member"), R("U1", "K1", "member"),
                                         R("U6", "K1", "member")])
    with pytest.raises(ValidationFailed) as exc:
        meetings.confirm_all(users["admin"], 2026)
    assert exc.value.message.startswith("Khối thi đua số 2")
    assert roles(2027, "K1") == {"U2": "leader", "U3": "member", "U1": "member", "U6": "member"}
    org.replace_memberships(None, 2027, [])
    assert meetings.confirm_all(users["admin"], 2026) == 2
    assert roles(2027, "K1") == {"U3": "leader", "U2": "member", "U1": "member"}
    assert roles(2027, "K2") == {"U4": "leader", "U6": "deputy", "U5": "member"}
    assert meetings.confirm_all(users["admin"], 2026) == 0


def test_year_leadership_lists_every_bloc(world):
    users, k1, k2 = world
    meetings.propose_leadership(users["off2"], k1, 2026, {"leader": "U3", "deputy": "U1"}, 0)
    lines = {line.bloc.code: line for line in meetings.year_leadership(2026)}
    assert lines["K1"].leader.code == "U2" and lines["K1"].deputy.code == "U3" and lines["K1"].state == "proposed"
    assert lines["K2"].leader.code == "U5" and lines["K2"].deputy is None and lines["K2"].state == "none"
    assert meetings.proposals_for(2027).keys() == {k1.id}
    meetings.confirm_leadership(users["admin"], k1, 2026)
    lines = {line.bloc.code: line for line in meetings.year_leadership(2026)}
    assert lines["K1"].state == "confirmed" and lines["K1"].next_leader.code == "U3" and lines["K1"].next_deputy.code == "U1"
    assert meetings.proposals_for(2027) == {}


# --- the JSON API --------------------------------------------------------------------------------

@pytest.fixture
def tokens(app, org_data):
    with app.app_context():
        auth.create_user(None, username="off3", password=PASSWORD, role="officer", unit_code="U3", full_name="Cán bộ 3")
        return {name: auth.create_token(None, auth.get_user(name)) for name in ("admin", "off1", "off2", "off3", "viewer")}


def call(client, tokens, who, method, path, body=None):
    return client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {tokens[who]}"})


LEAD = "/api/v1/years/2026/blocs/K1/leadership"


def test_api_leadership_round_trip(client, tokens):
    empty = call(client, tokens, "viewer", "GET", LEAD)
    assert empty.status_code == 200
    assert empty.json == {"bloc": "K1", "year": 2026, "for_year": 2027, "leader": None, "deputy": None, "note": "",
                          "state": "none", "proposed_by": None, "proposed_at": None, "confirmed": False, "confirmed_by": None,
                          "confirmed_at": None, "version": 0}
    put = call(client, tokens, "off2", "PUT", LEAD, {"leader": "U3", "deputy": "U1", "note": "Luân phiên", "version": 0})
    assert put.status_code == 200, put.json
    assert put.json["leader"] == "U3" and put.json["deputy"] == "U1" and put.json["state"] == "proposed"
    assert put.json["version"] == 1 and put.json["proposed_at"].endswith("+07:00")
    stale = call(client, tokens, "off2", "PUT", LEAD, {"leader": "U1", "version": 0})
    assert stale.status_code == 409 and stale.json["error"]["code"] == "conflict"
    assert call(client, tokens, "off2", "PUT", LEAD, {"leader": "U1"}).status_code == 422  # no version
    bad = call(client, tokens, "off2", "PUT", LEAD, {"leader": "U1", "deputy": "U1", "version": 1})
    assert bad.status_code == 422 and "khác nhau" in bad.json["error"]["message"]
    assert call(client, tokens, "off2", "PUT", LEAD, ["U1"]).status_code == 400
    for who in ("off1", "off3", "viewer"):
        assert call(client, tokens, who, "PUT", LEAD, {"leader": "U1", "version": 1}).status_code == 403
    assert call(client, tokens, "off2", "POST", LEAD + "/confirm").status_code == 403
    assert call(client, tokens, "admin", "POST", LEAD + "/confirm", {"version": 0}).status_code == 409
    confirmed = call(client, tokens, "admin", "POST", LEAD + "/confirm")
    assert confirmed.status_code == 200 and confirmed.json["confirmed"] is True and confirmed.json["confirmed_by"] == "admin"
    assert call(client, tokens, "off1", "GET", LEAD).json == confirmed.json
    # Rights moved: U3's officer runs K1 in 2027 and proposes for 2028; U2's officer no longer does.
    members = call(client, tokens, "viewer", "GET", "/api/v1/years/2027/memberships").json
    assert {(m["unit"], m["role"]) for m in members["items"] if m["bloc"] == "K1"} == {("U3", "leader"), ("U1", "deputy"), ("U2", "member")}
    assert call(client, tokens, "off3", "PUT", "/api/v1/years/2027/blocs/K1/leadership", {"leader": "U2", "version": 0}).status_code == 200
    assert call(client, tokens, "off2", "PUT", "/api/v1/years/2027/blocs/K1/leadership", {"leader": "U1", "version": 1}).status_code == 403
    assert call(client, tokens, "viewer", "GET", "/api/v1/years/2026/blocs/K9/leadership").status_code == 404
    assert call(client, tokens, "viewer", "GET", "/api/v1/years/1990/blocs/K1/leadership").status_code == 422


def test_api_meeting_round_trip(client, tokens):
    path = "/api/v1/years/2026/blocs/K1/meeting"
    assert call(client, tokens, "viewer", "GET", path).json["version"] == 0
    put = call(client, tokens, "off2", "PUT", path, {**DETAILS, "held_at": "2026-11-20T08:30", "version": 0})
    assert put.status_code == 200, put.json
    assert put.json["held_at"] == "2026-11-20T08:30+07:00"
    assert [u["code"] for u in put.json["present_units"]] == ["U1", "U2", "U3"] and put.json["version"] == 1
    assert call(client, tokens, "off1", "PUT", path, {**DETAILS, "version": 1}).status_code == 403
    bad = call(client, tokens, "off2", "PUT", path, {**DETAILS, "present_units": ["U4"], "version": 1})
    assert bad.status_code == 422 and bad.json["error"]["code"] == "validation_failed"
    assert call(client, tokens, "off2", "PUT", path, {**DETAILS, "place": "Khác", "version": 0}).status_code == 409
    assert call(client, tokens, "viewer", "GET", path).json == put.json


def test_session_api_needs_csrf(client, org_data):
    actions = AuthActions(client)
    actions.login("off2")
    refused = client.put(LEAD, json={"leader": "U3", "version": 0})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf_failed"
    ok = client.put(LEAD, json={"leader": "U3", "version": 0}, headers={"X-CSRFToken": actions.csrf()})
    assert ok.status_code == 200 and ok.json["leader"] == "U3"


# --- pages ----------------------------------------------------------------------------------------

PAGE = "/scoring/2026/K1/meeting"


def test_meeting_page_for_readers_and_the_leader(client, org_data):
    actions = AuthActions(client)
    actions.login("viewer")
    page = client.get(PAGE)
    assert page.status_code == 200 and "Cuộc họp Khối" in page.text and "chưa đề xuất" in page.text
    assert 'name="leader"' not in page.text and 'name="place"' not in page.text
    actions.logout()
    actions.login("off2")
    page = client.get(PAGE)
    assert page.status_code == 200 and 'name="place"' in page.text and 'name="leader"' in page.text
    assert "Xác nhận đề xuất" not in page.text
    token = csrf_from(page.text)
    form = {"csrf_token": token, "version": "0", "held_on": "20/11/2026", "held_time": "08:30", "place": "Hội trường",
            "chair": "Nguyễn Văn A", "secretary": "Trần Thị B", "present": ["U1", "U2"], "content": "Nội dung"}
    saved = client.post(PAGE, data=form)
    assert saved.status_code == 303
    page = client.get(PAGE)
    assert "Đã lưu thông tin cuộc họp" in page.text and 'value="Hội trường"' in page.text and 'value="20/11/2026"' in page.text
    # A refused save shows the message and the typed values, and saves nothing.
    refused = client.post(PAGE, data={**form, "version": "1", "held_on": "20/11/2020", "place": "Nơi gõ dở"})
    assert refused.status_code == 422 and "Nơi gõ dở" in refused.text and "năm 2026" in refused.text
    # Without a CSRF token nothing is saved.
    assert client.post(PAGE, data={**form, "csrf_token": "", "version": "1", "place": "X"}).status_code == 400
    # htmx: the meeting's body only.
    proposed = client.post(PAGE + "/leadership", data={"csrf_token": token, "version": "1", "leader": "U3", "deputy": "U1", "note": ""},
                           headers={"HX-Request": "true", "HX-Target": "meeting-body"})
    assert proposed.status_code == 200 and proposed.text.lstrip().startswith('<div id="meeting-body"')
    assert "đã đề xuất" in proposed.text and "<html" not in proposed.text
    same = client.post(PAGE + "/leadership", data={"csrf_token": token, "version": "2", "leader": "U3", "deputy": "U3"},
                       headers={"HX-Request": "true", "HX-Target": "meeting-body"})
    assert same.status_code == 200 and "hai đơn vị khác nhau" in same.text
    assert client.post(PAGE + "/confirm", data={"csrf_token": token, "version": "2"}).status_code == 403


def test_board_confirms_on_the_page(client, app, org_data):
    with app.app_context():
        meetings.propose_leadership(auth.get_user("off2"), org.get_bloc("K1"), 2026, {"leader": "U3", "deputy": "U1"}, 0)
    actions = AuthActions(client)
    actions.login("admin")
    page = client.get(PAGE)
    assert "Xác nhận đề xuất" in page.text
    done = client.post(PAGE + "/confirm", data={"csrf_token": csrf_from(page.text), "version": "1"})
    assert done.status_code == 303
    page = client.get(PAGE)
    assert "đã xác nhận" in page.text and "Xác nhận đề xuất" not in page.text
    with app.app_context():
        assert roles(2027, "K1") == {"U3": "leader", "U1": "deputy", "U2": "member"}
    # The 2027 dashboard shows the new leader from the memberships.
    bloc_page = client.get("/progress/2027/blocs/K1")
    assert bloc_page.status_code == 200 and "Ủy ban nhân dân huyện Bản Mường" in bloc_page.text


def test_next_years_dashboard_shows_a_waiting_proposal(client, app, org_data):
    with app.app_context():
        meetings.propose_leadership(auth.get_user("off2"), org.get_bloc("K1"), 2026, {"leader": "U3"}, 0)
    AuthActions(client).login("viewer")
    page = client.get("/progress/2027/blocs/K1")
    assert page.status_code == 200 and "đề xuất, chờ Ban xác nhận" in page.text and "Ủy ban nhân dân huyện Bản Mường" in page.text
    assert client.get("/progress/2027").status_code == 200


def _add_blocs(app, n: int, start: int, *, propose: bool):
    with app.app_context():
        rows = org.membership_rows(2026)
        for i in range(start, start + n):
            org.create_bloc(None, {"code": f"K{i}", "name": f"Khối thi đua số {i}"})
            for j in range(3):
                org.create_unit(None, {"code": f"X{i}-{j}", "name": f"Đơn vị {i}.{j}"})
                rows.append(R(f"X{i}-{j}", f"K{i}", ("leader", "deputy", "member")[j]))
        org.replace_memberships(None, 2026, rows)
        if propose:
            for i in range(start, start + n):
                meetings.propose_leadership(auth.SYSTEM, org.get_bloc(f"K{i}"), 2026, {"leader": f"X{i}-2", "deputy": f"X{i}-0"}, 0)


def test_year_page_lists_every_bloc_with_flat_queries(client, app, org_data):
    actions = AuthActions(client)
    actions.login("admin")
    _add_blocs(app, 2, 3, propose=True)
    client.get("/scoring/2026/leadership")
    with count_queries(app) as few:
        page = client.get("/scoring/2026/leadership")
    assert page.status_code == 200
    _add_blocs(app, 6, 5, propose=True)
    with count_queries(app) as many:
        page = client.get("/scoring/2026/leadership")
    assert page.status_code == 200 and page.text.count("đã đề xuất") >= 8
    assert len(many) == len(few), (len(few), len(many))
    assert "Xác nhận tất cả đề xuất (8 khối)" in page.text
    done = client.post("/scoring/2026/leadership/confirm", data={"csrf_token": csrf_from(page.text)})
    assert done.status_code == 303
    page = client.get("/scoring/2026/leadership")
    assert page.text.count("đã xác nhận") == 8 and "Xác nhận tất cả" not in page.text
    with app.app_context():
        assert roles(2027, "K5") == {"X5-2": "leader", "X5-0": "deputy", "X5-1": "member"}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership).where(Membership.year == 2027)) == 24
    # Readers see the page, without the Board's button; the dashboard's query count stays flat too.
    actions.logout()
    actions.login("viewer")
    page = client.get("/scoring/2026/leadership")
    assert page.status_code == 200 and 'action="/scoring/2026/leadership/confirm"' not in page.text
    assert client.post("/scoring/2026/leadership/confirm", data={"csrf_token": csrf_from(page.text)}).status_code == 403


def test_dashboard_query_count_does_not_grow_with_proposals(client, app, org_data):
    AuthActions(client).login("viewer")
    _add_blocs(app, 2, 3, propose=True)
    client.get("/progress/2027")
    with count_queries(app) as few:
        assert client.get("/progress/2027").status_code == 200
    _add_blocs(app, 5, 5, propose=True)
    with count_queries(app) as many:
        assert client.get("/progress/2027").status_code == 200
    assert len(many) == len(few), (len(few), len(many))
