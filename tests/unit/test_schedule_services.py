"""Schedule services: validation, replacing a year (ids and check-offs kept), copy with 29 February, reading the plan."""
import itertools
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from portal import audit
from portal.auth import services as auth
from portal.documents.models import Document
from portal.errors import Conflict, NotFound, ValidationFailed
from portal.extensions import db
from portal.org import services as org
from portal.schedule import progress as prog
from portal.schedule import services as schedule
from portal.schedule.models import Milestone, MilestoneCheck

_sha = itertools.count(1)


def plan_items(year: int = 2026) -> list[dict]:
    """A small year: a pledge, a 6-month report, the units' year-end reports, the bloc meeting, the council."""
    return [
        {"seq": 1, "title": "Ký kết giao ước thi đua", "starts_on": f"02/01/{year}", "due_on": f"31/01/{year}",
         "scope": "bloc", "responsible": "leader", "evidence_type": "GU"},
        {"seq": 2, "title": "Báo cáo sơ kết 6 tháng", "starts_on": f"{year}-06-01", "due_on": f"{year}-06-30",
         "scope": "bloc", "evidence_type": "BC-SK"},
        {"seq": 3, "title": "Các đơn vị gửi báo cáo tổng kết", "starts_on": f"01/11/{year}", "due_on": f"20/11/{year}",
         "scope": "unit", "evidence_type": "BC-TK"},
        {"seq": 4, "title": "Họp Khối bình xét", "starts_on": None, "due_on": f"30/11/{year}", "scope": "bloc",
         "evidence_type": "BB"},
        {"seq": 5, "title": "Hội đồng xét Cờ thi đua", "starts_on": f"15/12/{year}", "due_on": f"22/12/{year}",
         "scope": "council", "evidence_type": "QĐ"},
    ]


def make_schedule(year: int = 2026, items=None) -> list[Milestone]:
    """Save a year's schedule as the Board (system)."""
    return schedule.replace_milestones(auth.SYSTEM, year, items or plan_items(year))


def add_document(*, type="GU", year=2026, bloc=None, unit=None, issue_date=None, report_kind=None, deleted=False,
                 uploaded_at=None, number=None, text="", title="Văn bản thử", board=None) -> Document:
    """Archive a document row directly (no PDF): enough for progress derivation.

    `board`: filed by the Board (default: when it is no unit's document)."""
    n = next(_sha)
    document = Document(type=type, report_kind=report_kind, year=year, issue_date=issue_date, title=title, number=number,
                        bloc_id=org.get_bloc(bloc).id if bloc else None, unit_id=org.get_unit(unit).id if unit else None,
                        sha256=f"{n:064x}", size=100, original_name=f"vb-{n}.pdf", text=text,
                        filed_by_board=unit is None if board is None else board)
    if uploaded_at is not None:
        document.uploaded_at = uploaded_at
    if deleted:
        document.deleted_at = datetime.now(timezone.utc)
    db.session.add(document)
    db.session.commit()
    return document


@pytest.fixture
def world(ctx, org_data):
    return ctx


# --- validation ---------------------------------------------------------------------------------

def test_replace_saves_in_seq_order_with_iso_and_vietnamese_dates(world):
    items = list(reversed(plan_items()))
    saved = make_schedule(items=items)
    assert [m.seq for m in saved] == [1, 2, 3, 4, 5]
    rows = schedule.milestones_for_year(2026)
    assert rows[0].title == "Ký kết giao ước thi đua" and rows[0].starts_on == date(2026, 1, 2)
    assert rows[1].due_on == date(2026, 6, 30) and rows[1].responsible == "leader"  # defaulted from the scope
    assert rows[2].responsible == "member" and rows[4].responsible == "council"
    assert rows[3].starts_on is None
    assert audit.events_for("schedule", 2026)[0].after[0]["title"] == "Ký kết giao ước thi đua"


@pytest.mark.parametrize("change, key, words", [
    ({"title": ""}, "1:title", "nội dung công việc"),
    ({"title": "x" * 301}, "1:title", "tối đa 300"),
    ({"title": 5}, "1:title", "chuỗi ký tự"),
    ({"due_on": ""}, "1:due_on", "Vui lòng nhập ngày"),
    ({"due_on": "31/02/2026"}, "1:due_on", "không phải là một ngày có thật"),
    ({"due_on": "mai"}, "1:due_on", "dd/mm/yyyy"),
    ({"due_on": 20260131}, "1:due_on", "dd/mm/yyyy"),
    ({"due_on": "31/01/2025"}, "1:due_on", "phải thuộc năm 2026"),
    ({"starts_on": "01/02/2026"}, "1:starts_on", "trước hoặc bằng hạn"),
    ({"starts_on": "01/01/2020"}, "1:starts_on", "gần năm 2026"),
    ({"scope": "tinh"}, "1:scope", "bloc, unit, board"),
    ({"responsible": "boss"}, "1:responsible", "leader, member"),
    ({"evidence_type": "XYZ"}, "1:evidence_type", "không hợp lệ"),
    ({"seq": "một"}, "1:seq", "phải là một số"),
    ({"seq": True}, "1:seq", "phải là một số"),
    ({"seq": "nan"}, "1:seq", "phải là một số"),
])
def test_invalid_rows_are_refused_naming_the_field_and_nothing_changes(world, change, key, words):
    make_schedule()
    before = [m.to_dict() for m in schedule.milestones_for_year(2026)]
    items = plan_items()
    items[0] = {**items[0], **change}
    with pytest.raises(ValidationFailed) as info:
        schedule.replace_milestones(auth.SYSTEM, 2026, items)
    assert key in info.value.errors and words in info.value.errors[key]
    assert "chưa có thay đổi nào được lưu" in info.value.message
    db.session.rollback()
    assert [m.to_dict() for m in schedule.milestones_for_year(2026)] == before


def test_every_faulty_row_is_reported_at_once(world):
    items = plan_items()
    items[1]["due_on"] = ""
    items[3]["scope"] = "?"
    items.append("không phải dòng")
    with pytest.raises(ValidationFailed) as info:
        schedule.replace_milestones(auth.SYSTEM, 2026, items)
    assert {"2:due_on", "4:scope", "6:_"} <= set(info.value.errors)


def test_evidence_codes_are_read_leniently(world):
    items = plan_items()
    items[0]["evidence_type"], items[1]["evidence_type"], items[4]["evidence_type"] = "gu", "bc_sk", "QD"
    items[3]["evidence_type"] = ""
    make_schedule(items=items)
    assert [m.evidence_type for m in schedule.milestones_for_year(2026)] == ["GU", "BC-SK", "BC-TK", None, "QĐ"]


def test_due_date_early_next_year_is_allowed(world):
    items = plan_items()
    items[4]["due_on"] = "15/01/2027"
    make_schedule(items=items)
    assert schedule.milestones_for_year(2026)[-1].due_on == date(2027, 1, 15)


@pytest.mark.parametrize("year", ["abc", 1999, 2101])
def test_bad_year_is_refused(world, year):
    with pytest.raises(ValidationFailed):
        schedule.replace_milestones(auth.SYSTEM, year, plan_items())


# --- replacing keeps milestones (and their check-offs) ----------------------------------------------

def test_reorder_and_date_change_keep_check_offs(world):
    saved = make_schedule()
    k1 = org.get_bloc("K1")
    prog.check_off(auth.SYSTEM, saved[0], k1, note="Ký tại hội nghị", done_on=date(2026, 1, 20), today=date(2026, 2, 1))
    ids = [m.id for m in saved]
    items = [{**schedule.row_dict(r), "seq": 6 - r.seq} for r in schedule.rows_of(saved)]  # reversed order
    items[0]["due_on"] = date(2026, 2, 15)
    schedule.replace_milestones(auth.SYSTEM, 2026, items)
    rows = schedule.milestones_for_year(2026)
    assert [m.id for m in rows] == list(reversed(ids))
    pledge = db.session.get(Milestone, ids[0])
    assert pledge.seq == 5 and pledge.due_on == date(2026, 2, 15)
    assert db.session.scalar(sa.select(sa.func.count(MilestoneCheck.id))) == 1


def test_rows_without_id_match_by_title_else_are_new_and_missing_rows_go_with_their_checks(world):
    saved = make_schedule()
    k1 = org.get_bloc("K1")
    prog.check_off(auth.SYSTEM, saved[3], k1, note="Đã họp", done_on=date(2026, 11, 20), today=date(2026, 11, 25))
    items = plan_items()
    del items[3]  # the meeting goes, with its check-off
    items[0]["title"] = "ký kết giao ước thi đua"  # same title, other case: kept
    items.append({"title": "Việc mới", "due_on": "10/12/2026", "scope": "board"})
    schedule.replace_milestones(auth.SYSTEM, 2026, items)
    rows = schedule.milestones_for_year(2026)
    assert rows[0].id == saved[0].id and rows[0].title == "ký kết giao ước thi đua"
    assert saved[3].id not in {m.id for m in rows}
    assert rows[-1].title == "Việc mới" and rows[-1].responsible == "board"
    assert db.session.scalar(sa.select(sa.func.count(MilestoneCheck.id))) == 0


def test_an_id_from_another_year_is_refused(world):
    other = make_schedule(2025)
    items = plan_items()
    items[0]["id"] = other[0].id
    with pytest.raises(ValidationFailed):
        schedule.replace_milestones(auth.SYSTEM, 2026, items)


def test_stale_stamp_is_a_conflict(world):
    saved = make_schedule()
    stamp = schedule.schedule_stamp(saved)
    items = plan_items()
    items[0]["due_on"] = "25/01/2026"
    schedule.replace_milestones(auth.SYSTEM, 2026, items, stamp=stamp)
    with pytest.raises(Conflict):
        schedule.replace_milestones(auth.SYSTEM, 2026, plan_items(), stamp=stamp)


def test_empty_list_clears_the_year(world):
    make_schedule()
    schedule.replace_milestones(auth.SYSTEM, 2026, [])
    assert schedule.milestones_for_year(2026) == []


# --- copy a year ---------------------------------------------------------------------------------

@pytest.mark.parametrize("day, years, expected", [
    (date(2024, 2, 29), 1, date(2025, 2, 28)),
    (date(2024, 2, 29), 4, date(2028, 2, 29)),
    (date(2024, 2, 29), -1, date(2023, 2, 28)),
    (date(2025, 2, 28), 1, date(2026, 2, 28)),
    (date(2027, 2, 28), 1, date(2028, 2, 28)),
    (date(2025, 12, 31), 1, date(2026, 12, 31)),
    (None, 1, None),
])
def test_shift_year(day, years, expected):
    assert schedule.shift_year(day, years) == expected


def test_copy_moves_every_date_a_year_on_with_29_february(world):
    items = plan_items(2024)
    items[0]["due_on"] = "29/02/2024"
    items[0]["starts_on"] = "29/02/2024"
    make_schedule(2024, items)
    copied = schedule.copy_year(auth.SYSTEM, 2024, 2025)
    assert copied[0].starts_on == date(2025, 2, 28) and copied[0].due_on == date(2025, 2, 28)
    assert [m.due_on for m in copied[1:]] == [date(2025, 6, 30), date(2025, 11, 20), date(2025, 11, 30), date(2025, 12, 22)]
    assert [m.title for m in copied] == [m.title for m in schedule.milestones_for_year(2024)]
    assert copied[3].starts_on is None


def test_copy_refuses_to_overwrite_unless_asked_and_needs_a_source(world):
    make_schedule(2025)
    make_schedule(2026)
    with pytest.raises(Conflict):
        schedule.copy_year(auth.SYSTEM, 2025, 2026)
    with pytest.raises(ValidationFailed):
        schedule.copy_year(auth.SYSTEM, 2023, 2024)
    with pytest.raises(ValidationFailed):
        schedule.copy_year(auth.SYSTEM, 2026, 2026)
    replaced = schedule.copy_year(auth.SYSTEM, 2025, 2026, replace=True)
    assert replaced[0].due_on == date(2026, 1, 31)


# --- reading the plan ------------------------------------------------------------------------------

PLAN_TEXT = """KẾ HOẠCH
Hoạt động các Khối thi đua năm 2026

III. THỜI GIAN THỰC HIỆN
1. Trước ngày 27/02/2026: Trưởng Khối chủ trì tổ chức ký giao ước thi đua giữa các thành viên.
2. Trước ngày 19/6/2026: các Khối gửi báo cáo sơ kết 6 tháng đầu năm về Ban Thi đua - Khen thưởng.
3. Từ ngày 07/12/2026 đến ngày 11/12/2026: Ban Thi đua - Khen thưởng thẩm định kết quả các đơn vị dẫn đầu.
"""


def test_propose_reads_the_plan_and_cuts_the_text_at_the_sources(world):
    plan = add_document(type="KH", text=PLAN_TEXT, number="24/KH-UBND")
    proposal = schedule.propose(2026, schedule.get_plan_for(auth.SYSTEM, plan.id))
    assert [(m.evidence_type, m.due_on) for m in proposal.milestones] == [
        ("GU", date(2026, 2, 27)), ("BC-SK", date(2026, 6, 19)), ("BB", date(2026, 12, 11))]
    assert "".join(piece for piece, _seq in proposal.segments) == PLAN_TEXT
    marked = {seq: piece for piece, seq in proposal.segments if seq}
    assert "ký giao ước" in marked[1] and "sơ kết" in marked[2]
    assert schedule.milestones_for_year(2026) == []  # nothing saved


def test_source_segments_survive_overlapping_sources():
    class M:
        def __init__(self, seq, start, end):
            self.seq, self.source_start, self.source_end = seq, start, end

    text = "0123456789"
    pieces = schedule.source_segments(text, [M(1, 2, 6), M(2, 4, 8), M(3, 20, 30)])
    assert "".join(p for p, _s in pieces) == text
    assert pieces == [("01", None), ("2345", 1), ("67", 2), ("89", None)]


@pytest.mark.parametrize("kind", ["not_kh", "deleted", "missing", "empty", "bad_id", "none"])
def test_propose_refuses_what_is_not_a_readable_plan(world, kind):
    if kind == "not_kh":
        doc_id, error = add_document(type="CT", text=PLAN_TEXT).id, ValidationFailed
    elif kind == "deleted":
        doc_id, error = add_document(type="KH", text=PLAN_TEXT, deleted=True).id, NotFound
    elif kind == "missing":
        doc_id, error = 9999, NotFound
    elif kind == "bad_id":
        doc_id, error = "abc", ValidationFailed
    elif kind == "none":
        doc_id, error = None, ValidationFailed
    else:
        doc_id, error = add_document(type="KH", text="   ").id, ValidationFailed
    with pytest.raises(error):
        schedule.propose(2026, schedule.get_plan_for(auth.SYSTEM, doc_id))


def test_plan_documents_lists_this_and_last_years_plans(world):
    a = add_document(type="KH", year=2026, issue_date=date(2026, 1, 8))
    b = add_document(type="KH", year=2025, issue_date=date(2025, 1, 8))
    add_document(type="KH", year=2024)
    add_document(type="CT", year=2026)
    add_document(type="KH", year=2026, deleted=True)
    assert [d.id for d in schedule.plan_documents(2026)] == [a.id, b.id]
