"""Scoring services on a real database: criteria editing and locking, scores with versions, totals,
ranking with ties, classification, flags, the status machine, self-score submission, import and copy.

`build_table` is also used by the client, API, concurrency, e2e and perf tests of scoring.
"""
from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from portal import audit
from portal.auth import services as auth
from portal.errors import Conflict, Forbidden, ValidationFailed
from portal.extensions import db
from portal.org import services as org
from portal.scoring import rules
from portal.scoring import scores as scores_module
from portal.scoring import services as scoring
from portal.scoring.models import CriteriaTable, Result, Score

CRITERIA = [
    {"group": "I. Thực hiện nhiệm vụ chính trị", "title": "Hoàn thành chỉ tiêu được giao", "max_points": "10", "kind": "scored",
     "guidance": "Đủ 100% chỉ tiêu: 10 điểm."},
    {"group": "I. Thực hiện nhiệm vụ chính trị", "title": "Thu ngân sách đạt dự toán", "max_points": "20", "kind": "scored", "guidance": ""},
    {"group": "II. Điểm thưởng", "title": "Sáng kiến được công nhận", "max_points": "5", "kind": "bonus", "guidance": ""},
    {"group": "III. Điểm trừ", "title": "Báo cáo chậm", "max_points": "5", "kind": "deduction", "guidance": ""},
]


def build_table(bloc_code: str = "K1", year: int = 2026, items=None, actor=None):
    """Create the bloc-year's table with CRITERIA; return (table, {unit code: scorecard}, [criteria])."""
    table = scoring.table_for(org.get_bloc(bloc_code), year)
    scoring.replace_criteria(actor or auth.SYSTEM, table, items if items is not None else CRITERIA)
    table = scoring.get_table(table.id)
    members = scoring.ensure_scorecards(table)
    return table, {m.unit.code: m.scorecard for m in members}, scoring.criteria_of(table)


def fill(actor, card, criteria, stage: str, points: list) -> None:
    """Save one stage of a scorecard from a list of points (None skips), each from its current version."""
    for criterion, value in zip(criteria, points):
        if value is not None:
            current = scoring.read_cell(card, criterion, stage)
            scoring.save_score(actor, scoring.get_scorecard(card.id), criterion, stage, value, current.version)


@pytest.fixture
def world(ctx, org_data):
    users = {name: auth.get_user(name) for name in ("admin", "off1", "off2", "off4", "off6", "viewer")}
    table, cards, criteria = build_table()
    return users, table, cards, criteria


def _cell(card, criterion, stage):
    return scoring.read_cell(card, criterion, stage)


# --- criteria tables ---------------------------------------------------------------------------

def test_leader_builds_the_table_and_totals_follow(world):
    users, table, cards, criteria = world
    assert [c.title for c in criteria][:2] == ["Hoàn thành chỉ tiêu được giao", "Thu ngân sách đạt dự toán"]
    maxima = rules.table_maxima(criteria)
    assert (maxima.scored, maxima.bonus, maxima.deduction) == (D("30"), D("5"), D("5"))
    added = scoring.add_criterion(users["off2"], table, {"group": "I. Thực hiện nhiệm vụ chính trị", "title": "Giảm nghèo",
                                                         "max_points": "7,5", "kind": "scored"}, version=table.version,
                                  after_id=criteria[1].id)
    criteria = scoring.criteria_of(table)
    assert [c.id for c in criteria].index(added.id) == 2 and added.max_points == D("7.5")
    assert rules.table_max(criteria) == D("37.5")
    rows = scoring.criteria_rows(criteria)
    assert [(r.kind, r.number or r.group) for r in rows][:4] == [("group", "I. Thực hiện nhiệm vụ chính trị"), ("item", "1."),
                                                                  ("item", "2."), ("item", "3.")]
    assert rows[1].ref == "I.1" and rows[0].maxima.scored == D("37.5")
    event = audit.events_for("criteria_table", table.key)[0]
    assert event.action == "criteria.add" and event.actor_name == "off2"


def test_move_indent_outdent_and_delete(world):
    users, table, cards, criteria = world
    off2 = users["off2"]
    scoring.move_criterion(off2, table, criteria[1], "up")
    assert [c.id for c in scoring.criteria_of(table)][:2] == [criteria[1].id, criteria[0].id]
    # Moving the first bonus item up crosses into group I first.
    bonus = criteria[2]
    scoring.move_criterion(off2, table, bonus, "up")
    assert db.session.get(type(bonus), bonus.id).group == "I. Thực hiện nhiệm vụ chính trị"
    scoring.outdent_criterion(off2, table, scoring.get_criterion(table, bonus.id))
    moved = scoring.get_criterion(table, bonus.id)
    assert moved.group == "" and scoring.criteria_of(table)[2].id == bonus.id
    scoring.indent_criterion(off2, table, moved)
    assert scoring.get_criterion(table, bonus.id).group == "I. Thực hiện nhiệm vụ chính trị"
    scoring.delete_criterion(off2, table, scoring.get_criterion(table, bonus.id))
    assert bonus.id not in [c.id for c in scoring.criteria_of(table)]
    assert [c.position for c in scoring.criteria_of(table)] == [0, 1, 2]


def test_stale_table_version_is_refused(world):
    users, table, cards, criteria = world
    old = table.version
    scoring.update_criterion(users["off2"], table, criteria[0], {**CRITERIA[0], "title": "Đổi tên"}, version=old)
    with pytest.raises(Conflict, match="vừa được người khác thay đổi"):
        scoring.update_criterion(users["off2"], table, criteria[1], {**CRITERIA[1], "title": "Đổi nữa"}, version=old)
    assert scoring.get_criterion(table, criteria[1].id).title == CRITERIA[1]["title"]


@pytest.mark.parametrize("data, field", [
    ({"title": "", "max_points": "10"}, "title"),
    ({"title": "X", "max_points": "0"}, "max_points"),
    ({"title": "X", "max_points": "2,555"}, "max_points"),
    ({"title": "X", "max_points": "abc"}, "max_points"),
    ({"title": "X", "max_points": "10", "kind": "other"}, "kind"),
])
def test_bad_criterion_changes_nothing(world, data, field):
    users, table, cards, criteria = world
    with pytest.raises(ValidationFailed) as exc:
        scoring.add_criterion(users["off2"], table, data)
    assert field in exc.value.errors
    assert len(scoring.criteria_of(table)) == 4


def test_duplicate_title_in_group_is_refused(world):
    users, table, cards, criteria = world
    with pytest.raises(ValidationFailed, match="bị trùng"):
        scoring.add_criterion(users["off2"], table, {"group": CRITERIA[0]["group"], "title": "hoàn thành  chỉ tiêu được giao",
                                                     "max_points": "3"})


def test_only_the_leader_of_that_year_edits(world):
    users, table, cards, criteria = world
    for name in ("off1", "off4", "viewer"):
        with pytest.raises(Forbidden):
            scoring.add_criterion(users[name], table, {"title": "X", "max_points": "1"})
    # Rotation: off1's unit led K1 in 2025, so it runs that year's table and not 2026's.
    table_2025 = scoring.table_for(org.get_bloc("K1"), 2025)
    scoring.add_criterion(users["off1"], table_2025, {"title": "Tiêu chí 2025", "max_points": "10"})
    with pytest.raises(Forbidden):
        scoring.add_criterion(users["off2"], table_2025, {"title": "Không được", "max_points": "10"})


def test_first_score_locks_the_table_and_board_unlocks_with_reason(world):
    users, table, cards, criteria = world
    assert not table.locked
    scoring.save_score(users["off2"], cards["U1"], criteria[0], "bloc", "8", 0)
    table = scoring.get_table(table.id)
    assert table.locked
    with pytest.raises(Conflict, match="đã khóa"):
        scoring.add_criterion(users["off2"], table, {"title": "Muộn", "max_points": "1"})
    with pytest.raises(Conflict, match="đã khóa"):
        scoring.replace_criteria(users["off2"], table, CRITERIA)
    with pytest.raises(Forbidden):
        scoring.unlock_table(users["off2"], table, "cần sửa")
    with pytest.raises(ValidationFailed, match="lý do"):
        scoring.unlock_table(users["admin"], table, "  ")
    scoring.unlock_table(users["admin"], table, "Sửa lỗi chính tả tiêu chí 1")
    table = scoring.get_table(table.id)
    assert not table.locked
    event = next(e for e in audit.events_for("criteria_table", table.key) if e.action == "criteria.unlock")
    assert event.after["reason"] == "Sửa lỗi chính tả tiêu chí 1" and event.actor_name == "admin"
    # Once unlocked the max cannot drop below points already given.
    with pytest.raises(ValidationFailed, match="không giảm được"):
        scoring.update_criterion(users["off2"], table, scoring.get_criterion(table, criteria[0].id), {**CRITERIA[0], "max_points": "5"})


def test_replace_keeps_ids_and_points_and_deletes_the_rest_audited(world):
    users, table, cards, criteria = world
    scoring.save_score(users["off2"], cards["U1"], criteria[0], "bloc", "9", 0)
    scoring.save_score(users["off2"], cards["U1"], criteria[1], "bloc", "15", 0)
    scoring.unlock_table(users["admin"], scoring.get_table(table.id), "bỏ tiêu chí 2")
    table = scoring.get_table(table.id)
    items = [{"id": criteria[0].id, **CRITERIA[0], "title": "Hoàn thành chỉ tiêu (sửa)"}, CRITERIA[2]]
    scoring.replace_criteria(users["off2"], table, items)
    now = scoring.criteria_of(table)
    assert now[0].id == criteria[0].id and now[0].title == "Hoàn thành chỉ tiêu (sửa)"
    assert _cell(cards["U1"], now[0], "bloc").points == D("9")
    assert db.session.scalar(sa.select(sa.func.count(Score.id)).where(Score.criterion_id == criteria[1].id)) == 0
    event = audit.events_for("criteria_table", table.key)[0]
    assert event.before["scores"][0]["points"] == "15"


def test_copy_from_last_year_and_another_bloc(world):
    users, table, cards, criteria = world
    last = scoring.table_for(org.get_bloc("K1"), 2025)
    scoring.replace_criteria(users["admin"], last, CRITERIA[:2])
    with pytest.raises(Conflict, match="xác nhận thay thế"):
        scoring.copy_criteria(users["off2"], table, last)
    assert scoring.copy_criteria(users["off2"], table, last, replace=True) == 2
    assert [c.title for c in scoring.criteria_of(table)] == [CRITERIA[0]["title"], CRITERIA[1]["title"]]
    other = scoring.table_for(org.get_bloc("K2"), 2026)
    scoring.copy_criteria(users["admin"], other, table)
    assert len(scoring.criteria_of(other)) == 2
    with pytest.raises(ValidationFailed, match="chưa có tiêu chí"):
        scoring.copy_criteria(users["admin"], other, scoring.table_for(org.get_bloc("K2"), 2024), replace=True)


def _xlsx(rows) -> io.BytesIO:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["BẢNG ĐIỂM THI ĐUA NĂM 2026"])
    ws.append([])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


OFFICIAL_SHEET = [
    ["STT", "Nội dung tiêu chí", "Điểm chuẩn", "Hướng dẫn chấm"],
    ["I.", "Thực hiện nhiệm vụ chính trị", 30, None],
    ["1.", "Hoàn thành chỉ tiêu kinh tế", 10, "Đủ chỉ tiêu: 10 điểm"],
    [None, "- Vượt chỉ tiêu: không cộng thêm", None, None],
    ["2.", "Công tác an sinh xã hội", None, None],
    ["2.1", "Giảm nghèo", 12.5, None],
    ["2.2", "Việc làm", "7,5", None],
    ["II", "Điểm thưởng", 5, None],
    ["1", "Sáng kiến cấp tỉnh", 5, "Mỗi sáng kiến 1 điểm"],
    ["III.", "Điểm trừ", None, None],
    ["1.", "Báo cáo chậm", -3, None],
    [None, "Tổng cộng", 30, None],
]


def test_import_from_the_officials_sheet(world):
    users, table, cards, criteria = world
    with pytest.raises(Conflict):
        scoring.import_criteria(users["off2"], table, _xlsx(OFFICIAL_SHEET))
    result = scoring.import_criteria(users["off2"], table, _xlsx(OFFICIAL_SHEET), replace=True)
    assert result["count"] == 5 and result["warnings"] == []
    got = [(c.group, c.title, c.max_points, c.kind) for c in scoring.criteria_of(table)]
    assert got == [
        ("I. Thực hiện nhiệm vụ chính trị", "Hoàn thành chỉ tiêu kinh tế", D("10"), "scored"),
        ("I. Thực hiện nhiệm vụ chính trị", "Giảm nghèo", D("12.5"), "scored"),
        ("I. Thực hiện nhiệm vụ chính trị", "Việc làm", D("7.5"), "scored"),
        ("II. Điểm thưởng", "Sáng kiến cấp tỉnh", D("5"), "bonus"),
        ("III. Điểm trừ", "Báo cáo chậm", D("3"), "deduction"),
    ]
    assert scoring.criteria_of(table)[0].guidance == "Đủ chỉ tiêu: 10 điểm\n- Vượt chỉ tiêu: không cộng thêm"


def test_import_refuses_a_faulty_sheet_with_line_numbers_and_keeps_the_table(world):
    users, table, cards, criteria = world
    rows = [r[:] for r in OFFICIAL_SHEET]
    rows[2][2] = "mười"
    rows[5][2] = None
    with pytest.raises(ValidationFailed) as exc:
        scoring.import_criteria(users["off2"], table, _xlsx(rows), replace=True)
    messages = " ".join(exc.value.errors.values())
    assert "Dòng 5" in messages and "Dòng 8" in messages
    assert [c.id for c in scoring.criteria_of(table)] == [c.id for c in criteria]
    with pytest.raises(ValidationFailed, match="xlsx"):
        scoring.import_criteria(users["off2"], table, io.BytesIO(b"not a workbook"), replace=True)
    with pytest.raises(ValidationFailed, match="tiêu đề"):
        scoring.import_criteria(users["off2"], table, _xlsx([["A", "B"], ["1", "x"]]), replace=True)


def test_import_warns_when_a_group_total_does_not_add_up(world):
    users, table, cards, criteria = world
    rows = [r[:] for r in OFFICIAL_SHEET]
    rows[1][2] = 40
    result = scoring.import_criteria(users["off2"], table, _xlsx(rows), replace=True)
    assert "ghi 40 điểm nhưng các tiêu chí cộng lại 30 điểm" in result["warnings"][0]


# --- scores ------------------------------------------------------------------------------------

def test_save_with_versions_and_audit(world):
    users, table, cards, criteria = world
    off2, card = users["off2"], cards["U1"]
    assert _cell(card, criteria[0], "bloc") == scoring.Cell()
    saved = scoring.save_score(off2, card, criteria[0], "bloc", "8,50", 0)
    assert (saved.points, saved.version) == (D("8.5"), 1)
    assert str(saved.points) == "8.5"
    again = scoring.save_score(off2, card, criteria[0], "bloc", "9", 1)
    assert again.version == 2
    with pytest.raises(Conflict) as exc:
        scoring.save_score(off2, card, criteria[0], "bloc", "7", 1)
    assert exc.value.current["points"] == "9" and exc.value.current["version"] == 2 and exc.value.current["updated_by"] == "off2"
    with pytest.raises(Conflict):
        scoring.save_score(off2, card, criteria[0], "bloc", "7", 0)  # someone created it meanwhile
    assert _cell(card, criteria[0], "bloc").points == D("9")
    # Saving the same value again writes nothing.
    assert scoring.save_score(off2, card, criteria[0], "bloc", "9,0", 2).version == 2
    cleared = scoring.save_score(off2, card, criteria[0], "bloc", "", 2)
    assert cleared.points is None and cleared.version == 3
    events = [e for e in audit.events_for("scorecard", card.id) if e.action == "score"]
    assert [(e.before["points"], e.after["points"], e.after["stage"]) for e in reversed(events)] == [
        (None, "8.5", "bloc"), ("8.5", "9", "bloc"), ("9", None, "bloc")]


@pytest.mark.parametrize("raw", ["10.01", "-1", "8.555", "abc", "1e1", 8.5, True, "1.000", "NaN", "８"])
def test_bad_points_store_nothing(world, raw):
    users, table, cards, criteria = world
    with pytest.raises(ValidationFailed) as exc:
        scoring.save_score(users["off2"], cards["U1"], criteria[0], "bloc", raw, 0)
    assert exc.value.errors["points"] == "Điểm phải là số từ 0 đến 10, tối đa hai chữ số thập phân."
    assert db.session.scalar(sa.select(sa.func.count(Score.id))) == 0
    assert not scoring.get_table(table.id).locked  # nothing half done: not even the lock


def test_rights_per_stage(world):
    users, table, cards, criteria = world
    with pytest.raises(Forbidden):
        scoring.save_score(users["off1"], cards["U1"], criteria[0], "bloc", "5", 0)  # a member cannot bloc-score
    with pytest.raises(Forbidden):
        scoring.save_score(users["off1"], cards["U3"], criteria[0], "self", "5", 0)  # another unit's self-score
    with pytest.raises(Forbidden):
        scoring.save_score(users["off4"], cards["U1"], criteria[0], "self", "5", 0)  # not even in the bloc
    with pytest.raises(Forbidden):
        scoring.save_score(users["off2"], cards["U1"], criteria[0], "appraisal", "5", 0)  # appraisal is the Board's
    scoring.save_score(users["off1"], cards["U1"], criteria[0], "self", "5", 0, note="Có minh chứng")
    assert _cell(cards["U1"], criteria[0], "self").note == "Có minh chứng"


def test_totals_scored_plus_bonus_minus_deduction(world):
    users, table, cards, criteria = world
    fill(users["off2"], cards["U1"], criteria, "bloc", ["9", "18,5", "2", "1,5"])
    fill(users["off2"], cards["U3"], criteria, "bloc", ["10", None, None, None])
    totals = scoring.totals_by_scorecard(table)
    assert totals[cards["U1"].id]["bloc"] == D("28")
    assert totals[cards["U3"].id]["bloc"] == D("10")
    assert totals[cards["U2"].id]["bloc"] is None
    assert rules.total({c.id: p for c, p in zip(criteria, [D("9"), D("18.5"), D("2"), D("1.5")])},
                       {c.id: c.kind for c in criteria}) == D("28")


def test_self_total_counts_once_submitted(world):
    users, table, cards, criteria = world
    fill(users["off1"], cards["U1"], criteria, "self", ["9", "19", None, None])
    assert scoring.totals_by_scorecard(table)[cards["U1"].id]["self"] is None
    assert scoring.own_total(cards["U1"], "self") == D("28")
    scoring.submit_self(users["off1"], scoring.get_scorecard(cards["U1"].id))
    assert scoring.totals_by_scorecard(table)[cards["U1"].id]["self"] == D("28")
    with pytest.raises(Conflict, match="đã gửi"):
        scoring.save_score(users["off1"], scoring.get_scorecard(cards["U1"].id), criteria[0], "self", "8", 1)
    scoring.return_self(users["admin"], scoring.get_scorecard(cards["U1"].id), "Thiếu minh chứng tiêu chí 1")
    scoring.save_score(users["off1"], scoring.get_scorecard(cards["U1"].id), criteria[0], "self", "8", 1)


def test_submit_self_needs_every_scored_item(world):
    users, table, cards, criteria = world
    fill(users["off1"], cards["U1"], criteria, "self", ["9", None, "1", None])
    with pytest.raises(ValidationFailed, match="Còn 1 tiêu chí chưa tự chấm"):
        scoring.submit_self(users["off1"], cards["U1"])
    with pytest.raises(Forbidden):
        scoring.submit_self(users["off2"], cards["U1"])


def test_ranking_with_ties_and_classification(world):
    users, table, cards, criteria = world
    off2 = users["off2"]
    fill(off2, cards["U1"], criteria, "bloc", ["9", "18", None, None])   # 27
    fill(off2, cards["U2"], criteria, "bloc", ["10", "17", None, None])  # 27
    fill(off2, cards["U3"], criteria, "bloc", ["5", "10", None, "1"])   # 14
    scoring.set_thresholds(users["admin"], 2026, {"excellent": "27", "good": "20", "completed": "10"})
    results = scoring.compute(table)
    lines = {line.unit.code: line for line in results.lines}
    assert (lines["U1"].rank, lines["U1"].tie) == (1, True)
    assert (lines["U2"].rank, lines["U2"].tie) == (1, True)
    assert (lines["U3"].rank, lines["U3"].tie) == (3, False)  # the next rank skips
    assert lines["U1"].classification == "xuat_sac" and lines["U3"].classification == "hoan_thanh"
    assert [line.unit.code for line in results.lines] == ["U2", "U1", "U3"]  # rank, then the bloc's order


# --- status machine ------------------------------------------------------------------------------

def _score_everyone(users, cards, criteria):
    scoring.set_thresholds(users["admin"], 2026, {"excellent": "28", "good": "25", "completed": "15"})
    fill(users["off2"], cards["U1"], criteria, "bloc", ["9", "18", "1", None])  # 28
    fill(users["off2"], cards["U2"], criteria, "bloc", ["10", "19", None, None])  # 29
    fill(users["off2"], cards["U3"], criteria, "bloc", ["7", "15", None, "2"])  # 20


def test_status_machine_through_the_services(world):
    users, table, cards, criteria = world
    off2, admin = users["off2"], users["admin"]
    fill(off2, cards["U1"], criteria, "bloc", ["9", None, None, None])
    with pytest.raises(ValidationFailed) as exc:
        scoring.change_status(off2, table, "submit")
    assert "unit:U1" in exc.value.errors and "unit:U3" in exc.value.errors
    _score_everyone(users, cards, criteria)
    with pytest.raises(Forbidden):
        scoring.change_status(users["off1"], table, "submit")
    results = scoring.change_status(off2, table, "submit")
    assert results.status == "submitted"
    table = scoring.get_table(table.id)
    # Submitting locks the bloc scores; appraisal opens for the Board only.
    with pytest.raises(Conflict, match="Đã gửi"):
        scoring.save_score(off2, cards["U1"], criteria[0], "bloc", "10", 1)
    with pytest.raises(Forbidden):
        scoring.change_status(off2, table, "appraise")
    with pytest.raises(ValidationFailed, match="thẩm định"):
        scoring.change_status(admin, table, "appraise")
    assert [m.unit.code for m in scoring.compute(table).appraisal_members] == ["U2", "U1", "U3"]
    for code in ("U2", "U1", "U3"):
        assert scoring.copy_bloc_to_appraisal(admin, scoring.get_scorecard(cards[code].id)) >= 2
    scoring.save_score(admin, scoring.get_scorecard(cards["U2"].id), criteria[1], "appraisal", "16", 1)  # 29 → 26
    with pytest.raises(Conflict):
        scoring.change_status(admin, table, "finalize")
    results = scoring.change_status(admin, table, "appraise")
    lines = {line.unit.code: line for line in results.lines}
    assert results.status == "appraised"
    assert lines["U1"].rank == 1 and lines["U1"].flag == "co_ubnd_tinh" and lines["U2"].flag is None
    assert lines["U2"].effective_total == D("26") and lines["U2"].effective_stage == "appraisal"
    stored = {r.scorecard_id: r for r in db.session.scalars(sa.select(Result))}
    assert stored[cards["U1"].id].flag == "co_ubnd_tinh" and stored[cards["U1"].id].rank == 1
    with pytest.raises(Conflict):
        scoring.save_score(admin, scoring.get_scorecard(cards["U2"].id), criteria[1], "appraisal", "17", 2)
    results = scoring.set_government_flag(admin, table, scoring.get_scorecard(cards["U1"].id), True)
    assert {l.unit.code: l.flag for l in results.lines}["U1"] == "co_chinh_phu"
    results = scoring.change_status(admin, table, "finalize")
    assert results.status == "final" and {l.unit.code: l.flag for l in results.lines}["U1"] == "co_chinh_phu"
    with pytest.raises(ValidationFailed, match="lý do"):
        scoring.change_status(admin, table, "reopen")
    results = scoring.change_status(admin, table, "reopen", reason="Hội đồng yêu cầu xem lại")
    assert results.status == "appraised"
    steps = [(e.action, e.before["status"], e.after["status"]) for e in reversed(audit.events_for("bloc_results", table.key))
             if e.action.startswith("results.") and e.action != "results.gov_flag"]
    assert steps == [("results.submit", "draft", "submitted"), ("results.appraise", "submitted", "appraised"),
                     ("results.finalize", "appraised", "final"), ("results.reopen", "final", "appraised")]
    scoring.change_status(admin, table, "reopen", reason="Thẩm định lại")
    assert {r.flag for r in db.session.scalars(sa.select(Result))} == {None}


def test_a_status_change_that_raced_a_save_wins(world, monkeypatch):
    users, table, cards, criteria = world
    _score_everyone(users, cards, criteria)
    read_cell = scores_module._read_cell

    def submitted_meanwhile(*args):
        # Another request submits the results between this save's first check and its write.
        with db.engine.begin() as other:
            other.execute(sa.update(CriteriaTable).where(CriteriaTable.id == table.id).values(status="submitted"))
        return read_cell(*args)

    monkeypatch.setattr(scores_module, "_read_cell", submitted_meanwhile)
    with pytest.raises(Conflict, match="Đã gửi"):
        scoring.save_score(users["off2"], scoring.get_scorecard(cards["U1"].id), criteria[0], "bloc", "1", 1)
    monkeypatch.undo()
    assert _cell(cards["U1"], criteria[0], "bloc").points == D("9")


def test_tie_at_rank_one_is_the_boards_choice(world):
    users, table, cards, criteria = world
    off2, admin = users["off2"], users["admin"]
    scoring.set_thresholds(admin, 2026, {"excellent": "28", "good": "25", "completed": "15"})
    fill(off2, cards["U1"], criteria, "bloc", ["10", "19", None, None])
    fill(off2, cards["U2"], criteria, "bloc", ["10", "19", None, None])
    fill(off2, cards["U3"], criteria, "bloc", ["5", "5", None, None])
    scoring.change_status(off2, table, "submit")
    for code in ("U1", "U2", "U3"):
        scoring.copy_bloc_to_appraisal(admin, scoring.get_scorecard(cards[code].id))
    results = scoring.change_status(admin, table, "appraise")
    assert sorted(results.tie_candidates) == sorted([cards["U1"].id, cards["U2"].id])
    assert {l.unit.code: l.flag for l in results.lines} == {"U1": "co_ubnd_tinh", "U2": "co_ubnd_tinh", "U3": None}
    with pytest.raises(ValidationFailed):
        scoring.decide_flag_tie(admin, table, [cards["U3"].id])
    results = scoring.decide_flag_tie(admin, table, [cards["U2"].id])
    assert {l.unit.code: l.flag for l in results.lines} == {"U1": None, "U2": "co_ubnd_tinh", "U3": None}
    with pytest.raises(ValidationFailed):
        scoring.set_government_flag(admin, table, scoring.get_scorecard(cards["U1"].id), True)


def test_thresholds_are_checked_and_lock_after_appraisal(world):
    users, table, cards, criteria = world
    with pytest.raises(Forbidden):
        scoring.set_thresholds(users["off2"], 2026, {"excellent": "25", "good": "20", "completed": "10"})
    with pytest.raises(ValidationFailed, match="giảm dần"):
        scoring.set_thresholds(users["admin"], 2026, {"excellent": "20", "good": "25", "completed": "10"})
    with pytest.raises(ValidationFailed, match="vượt quá"):
        scoring.set_thresholds(users["admin"], 2026, {"excellent": "95", "good": "25", "completed": "10"})
    row = scoring.set_thresholds(users["admin"], 2026, {"excellent": "28,5", "good": "20", "completed": "10"})
    assert scoring.thresholds_for(2026).excellent == D("28.5") and row.version == 1
    with pytest.raises(Conflict):
        scoring.set_thresholds(users["admin"], 2026, {"excellent": "28", "good": "20", "completed": "10"}, version=0)
    _score_everyone(users, cards, criteria)
    scoring.change_status(users["off2"], table, "submit")
    for code in ("U1", "U2", "U3"):
        scoring.copy_bloc_to_appraisal(users["admin"], scoring.get_scorecard(cards[code].id))
    scoring.change_status(users["admin"], table, "appraise")
    with pytest.raises(Conflict, match="thẩm định"):
        scoring.set_thresholds(users["admin"], 2026, {"excellent": "28", "good": "20", "completed": "10"}, version=1)


def test_save_form_is_all_or_nothing(world):
    users, table, cards, criteria = world
    off2 = users["off2"]
    entries = [(cards["U1"].id, criteria[0].id, "9", "0", None), (cards["U2"].id, criteria[0].id, "99", "0", None)]
    with pytest.raises(ValidationFailed) as exc:
        scoring.save_form(off2, table, "bloc", entries)
    assert list(exc.value.errors) == [f"{cards['U2'].id}-{criteria[0].id}-bloc"]
    assert db.session.scalar(sa.select(sa.func.count(Score.id))) == 0
    scoring.save_score(off2, cards["U2"], criteria[0], "bloc", "3", 0)  # someone else saves meanwhile
    entries = [(cards["U1"].id, criteria[0].id, "9", "0", None), (cards["U2"].id, criteria[0].id, "4", "0", None)]
    with pytest.raises(Conflict):
        scoring.save_form(off2, table, "bloc", entries)
    assert _cell(cards["U1"], criteria[0], "bloc").version == 0
    entries = [(cards["U1"].id, criteria[0].id, "9", "0", None), (cards["U2"].id, criteria[0].id, "3", "0", None)]
    assert scoring.save_form(off2, table, "bloc", entries) == 1  # U2's value is what is stored: unchanged


def test_history_names_the_criterion_and_stage(world):
    users, table, cards, criteria = world
    scoring.save_score(users["off2"], cards["U3"], criteria[1], "bloc", "12", 0)
    scoring.save_score(users["off2"], cards["U3"], criteria[1], "bloc", "13,5", 1)
    lines = scoring.scorecard_history(cards["U3"])
    assert [(l.criterion, l.stage, l.old, l.new) for l in lines] == [
        ("2. Thu ngân sách đạt dự toán", "Khối chấm", "12", "13,5"), ("2. Thu ngân sách đạt dự toán", "Khối chấm", "", "12")]
