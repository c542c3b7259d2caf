"""Status derivation at the edges of a window (Asia/Ho_Chi_Minh), and completion derived from the archive."""
from datetime import date, datetime, timezone

import pytest

from portal.auth import services as auth
from portal.org import services as org
from portal.schedule import progress as prog
from portal.schedule.progress import derive_status
from portal.text import TZ
from tests.unit.test_schedule_services import add_document, make_schedule

START, DUE = date(2026, 6, 1), date(2026, 6, 30)


@pytest.mark.parametrize("today, done_on, expected", [
    (date(2026, 5, 31), None, "not_open"),      # the day before the window
    (date(2026, 6, 1), None, "open"),           # its first day
    (date(2026, 6, 22), None, "open"),          # 8 days left
    (date(2026, 6, 23), None, "due_soon"),      # 7 days left
    (date(2026, 6, 30), None, "due_soon"),      # the due day itself
    (date(2026, 7, 1), None, "overdue"),        # the day after
    (date(2026, 7, 1), date(2026, 6, 30), "done_on_time"),  # done on the due day
    (date(2026, 7, 1), date(2026, 7, 1), "done_late"),      # a day late
    (date(2026, 5, 1), date(2026, 6, 5), "done_on_time"),   # done wins over the clock
    (date(2026, 12, 1), date(2026, 12, 1), "done_late"),
])
def test_status_at_the_edges_of_the_window(today, done_on, expected):
    assert derive_status(opens_on=START, due_on=DUE, done_on=done_on, today=today) == expected


def test_a_short_window_is_due_soon_from_its_first_day():
    assert derive_status(opens_on=date(2026, 12, 7), due_on=date(2026, 12, 11), done_on=None, today=date(2026, 12, 7)) == "due_soon"
    assert derive_status(opens_on=date(2026, 12, 7), due_on=date(2026, 12, 11), done_on=None, today=date(2026, 12, 6)) == "not_open"


@pytest.fixture
def world(ctx, org_data):
    return make_schedule()


def _cell(progress, bloc: str, seq: int):
    row = next(r for r in progress.rows if r.bloc.code == bloc)
    return next(c for c in row.cells if c.milestone.seq == seq)


def test_open_start_opens_with_the_year(world):
    # Milestone 4 (the bloc meeting) has no start: open all year, not open the year before.
    assert _cell(prog.year_progress(2026, today=date(2025, 12, 31)), "K1", 4).status == "not_open"
    assert _cell(prog.year_progress(2026, today=date(2026, 1, 1)), "K1", 4).status == "open"


def test_today_is_the_local_day_in_ho_chi_minh_city(world, monkeypatch):
    # 30/11 17:30 UTC is already 01/12 00:30 in Viet Nam: the meeting (due 30/11) is overdue there.
    monkeypatch.setattr("portal.text.dates.now_local", lambda: datetime(2026, 11, 30, 17, 30, tzinfo=timezone.utc).astimezone(TZ))
    progress = prog.year_progress(2026)
    assert progress.today == date(2026, 12, 1)
    assert _cell(progress, "K1", 4).status == "overdue"
    monkeypatch.setattr("portal.text.dates.now_local", lambda: datetime(2026, 11, 30, 16, 59, tzinfo=timezone.utc).astimezone(TZ))
    assert _cell(prog.year_progress(2026), "K1", 4).status == "due_soon"


def test_bloc_milestone_done_by_the_blocs_own_document_on_time_or_late(world):
    add_document(type="GU", bloc="K1", issue_date=date(2026, 1, 31))
    add_document(type="GU", bloc="K2", issue_date=date(2026, 2, 3))
    p = prog.year_progress(2026, today=date(2026, 3, 1))
    k1, k2 = _cell(p, "K1", 1), _cell(p, "K2", 1)
    assert (k1.status, k1.done_on) == ("done_on_time", date(2026, 1, 31))
    assert (k2.status, k2.done_on, k2.days_late) == ("done_late", date(2026, 2, 3), 3)
    assert k1.evidence.document_id and k1.to_dict()["evidence"]["kind"] == "document"


@pytest.mark.parametrize("doc, why", [
    ({"type": "GU", "bloc": "K1", "issue_date": date(2026, 1, 1)}, "dated before the window opens"),
    ({"type": "GU", "bloc": "K1", "issue_date": date(2026, 1, 20), "year": 2025}, "another year's"),
    ({"type": "GU", "bloc": "K1", "issue_date": date(2026, 1, 20), "deleted": True}, "in the trash"),
    ({"type": "TC", "bloc": "K1", "issue_date": date(2026, 1, 20)}, "another type"),
    ({"type": "GU", "bloc": "K2", "issue_date": date(2026, 1, 20)}, "another bloc's"),
    ({"type": "GU", "bloc": "K1", "unit": "U2", "issue_date": date(2026, 1, 20)}, "a unit's, not the bloc's"),
])
def test_documents_that_do_not_prove_a_bloc_milestone(world, doc, why):
    add_document(**doc)
    assert _cell(prog.year_progress(2026, today=date(2026, 3, 1)), "K1", 1).status == "overdue", why


def test_report_kind_matters_for_bc_sk_and_bc_tk(world):
    add_document(type="BC", report_kind="tong_ket", bloc="K1", issue_date=date(2026, 6, 10))
    assert _cell(prog.year_progress(2026, today=date(2026, 7, 5)), "K1", 2).status == "overdue"
    add_document(type="BC", report_kind="so_ket", bloc="K1", issue_date=date(2026, 6, 12))
    assert _cell(prog.year_progress(2026, today=date(2026, 7, 5)), "K1", 2).status == "done_on_time"


def test_the_earliest_qualifying_document_counts(world):
    add_document(type="GU", bloc="K1", issue_date=date(2026, 2, 10), number="2/GU")
    add_document(type="GU", bloc="K1", issue_date=date(2026, 1, 15), number="1/GU")
    cell = _cell(prog.year_progress(2026, today=date(2026, 3, 1)), "K1", 1)
    assert cell.done_on == date(2026, 1, 15) and cell.evidence.number == "1/GU"


def test_a_document_without_issue_date_counts_from_its_local_upload_day(world):
    # Uploaded 31/01 17:30 UTC = 01/02 00:30 in Viet Nam: one day late.
    add_document(type="GU", bloc="K1", uploaded_at=datetime(2026, 1, 31, 17, 30, tzinfo=timezone.utc))
    add_document(type="GU", bloc="K2", uploaded_at=datetime(2026, 1, 31, 16, 30, tzinfo=timezone.utc))
    p = prog.year_progress(2026, today=date(2026, 3, 1))
    assert (_cell(p, "K1", 1).status, _cell(p, "K1", 1).done_on) == ("done_late", date(2026, 2, 1))
    assert (_cell(p, "K2", 1).status, _cell(p, "K2", 1).done_on) == ("done_on_time", date(2026, 1, 31))


def test_per_unit_milestone_counts_units_of_the_bloc_that_year(world):
    # 2026: K1 = U2 (leader), U3 (deputy), U1; K2 = U5 (leader), U4, U6.
    add_document(type="BC", report_kind="tong_ket", unit="U1", bloc="K1", issue_date=date(2026, 11, 10))
    add_document(type="BC", report_kind="tong_ket", unit="U2", bloc="K1", issue_date=date(2026, 11, 21))
    add_document(type="BC", report_kind="tong_ket", unit="U4", year=2025, issue_date=date(2026, 11, 10))
    p = prog.year_progress(2026, today=date(2026, 11, 18))
    k1 = _cell(p, "K1", 3)
    assert (k1.units_done, len(k1.units), k1.units_late, k1.status) == (1, 3, 0, "due_soon")
    assert [u.unit.code for u in k1.units] == ["U2", "U3", "U1"]  # leader, deputy, members
    p = prog.year_progress(2026, today=date(2026, 11, 25))
    k1 = _cell(p, "K1", 3)
    assert (k1.units_done, k1.units_late, k1.status) == (2, 1, "overdue")
    assert k1.to_dict()["units"] == {"done": 2, "late": 1, "total": 3}
    assert _cell(p, "K2", 3).units_done == 0
    # The last unit reports: the bloc is done, late because one unit was.
    add_document(type="BC", report_kind="tong_ket", unit="U3", issue_date=date(2026, 11, 19))
    k1 = _cell(prog.year_progress(2026, today=date(2026, 11, 25)), "K1", 3)
    assert (k1.status, k1.done_on) == ("done_late", date(2026, 11, 21))


def test_council_milestone_done_by_a_province_wide_decision(world):
    add_document(type="QĐ", issue_date=date(2026, 12, 20))
    p = prog.year_progress(2026, today=date(2026, 12, 28))
    assert {_cell(p, code, 5).status for code in ("K1", "K2")} == {"done_on_time"}


@pytest.mark.parametrize("filed, done", [
    ({"unit": "U2", "bloc": "K1"}, False),                 # a unit's document, even inside the bloc
    ({"bloc": "K1", "board": False}, False),               # the bloc's own document, filed by its leader unit
    ({"board": False}, False),                             # no place, not filed by the Board
    ({"bloc": "K1", "board": True}, True),                 # the Board's document about the bloc
    ({"board": True}, True),                               # the Board's province-wide decision
])
def test_only_board_documents_complete_a_council_milestone(world, filed, done):
    """DESIGN §4.1 filing rules: a unit's (or the leader unit's) document never completes a Board or council step."""
    add_document(type="QĐ", issue_date=date(2026, 12, 20), **filed)
    status = _cell(prog.year_progress(2026, today=date(2026, 12, 28)), "K1", 5).status
    assert status == ("done_on_time" if done else "overdue")


def test_hand_check_off_completes_and_undo_reopens(world):
    m = world[0]
    check = prog.check_off(auth.SYSTEM, m, org.get_bloc("K1"), note="Bản giấy", done_on="05/02/2026", today=date(2026, 3, 1))
    cell = _cell(prog.year_progress(2026, today=date(2026, 3, 1)), "K1", 1)
    assert (cell.status, cell.done_on, cell.check.note) == ("done_late", date(2026, 2, 5), "Bản giấy")
    assert cell.to_dict()["evidence"]["kind"] == "manual"
    # A document dated earlier than the check-off wins.
    add_document(type="GU", bloc="K1", issue_date=date(2026, 1, 30))
    cell = _cell(prog.year_progress(2026, today=date(2026, 3, 1)), "K1", 1)
    assert (cell.status, cell.to_dict()["evidence"]["kind"]) == ("done_on_time", "document")
    prog.undo_check(auth.SYSTEM, check)
    assert _cell(prog.year_progress(2026, today=date(2026, 3, 1)), "K1", 1).check is None


def test_bloc_check_off_of_a_per_unit_milestone_closes_the_bloc(world):
    prog.check_off(auth.SYSTEM, world[2], org.get_bloc("K2"), note="Cả khối nộp bản giấy", done_on=date(2026, 11, 19),
                   today=date(2026, 11, 25))
    cell = _cell(prog.year_progress(2026, today=date(2026, 11, 25)), "K2", 3)
    assert (cell.status, cell.units_done) == ("done_on_time", 0)


def test_today_marker_sits_before_the_first_milestone_not_yet_due(world):
    assert prog.year_progress(2026, today=date(2026, 7, 1)).today_index == 2
    assert prog.year_progress(2026, today=date(2026, 6, 30)).today_index == 1
    assert prog.year_progress(2026, today=date(2025, 12, 1)).today_index is None
    assert prog.year_progress(2026, today=date(2027, 1, 5)).today_index is None


def test_next_deadlines_of_an_officers_unit_and_bloc(world):
    add_document(type="GU", bloc="K1", issue_date=date(2026, 1, 20))
    add_document(type="BC", report_kind="tong_ket", unit="U2", issue_date=date(2026, 11, 2))
    p = prog.year_progress(2026, today=date(2026, 11, 18))
    u1 = org.get_unit("U1")
    row, items = prog.next_deadlines(p, u1.id)
    assert row.bloc.code == "K1"
    assert [(d.milestone.seq, d.for_unit, d.status) for d in items] == [(2, False, "overdue"), (3, True, "due_soon"), (4, False, "open")]
    _m, items = prog.next_deadlines(p, org.get_unit("U2").id)  # U2 sent its report
    assert [d.milestone.seq for d in items] == [2, 4]
    assert prog.next_deadlines(p, None) == (None, [])


def test_blocs_shown_are_those_with_members_that_year(world):
    org.create_bloc(None, {"code": "K3", "name": "Khối không có thành viên"})
    assert [r.bloc.code for r in prog.year_progress(2026, today=date(2026, 3, 1)).rows] == ["K1", "K2"]
    # A year without memberships shows the active blocs.
    make_schedule(2030)
    assert [r.bloc.code for r in prog.year_progress(2030, today=date(2030, 3, 1)).rows] == ["K1", "K2", "K3"]


def test_progress_is_json_ready(world):
    body = prog.year_progress(2026, today=date(2026, 11, 25)).to_dict()
    assert body["blocs"][0]["bloc"] == {"code": "K1", "name": "Khối thi đua số 1"}
    first = body["blocs"][0]["milestones"][0]
    assert set(first) >= {"seq", "status", "due_on", "done_on", "evidence"}
    assert first["due_on"] == "2026-01-31" and first["status"] == "overdue"
    assert "units" in body["blocs"][0]["milestones"][2] and "units" not in first
    assert all(c["status"] in prog.STATUSES for b in body["blocs"] for c in b["milestones"])
