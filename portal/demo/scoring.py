"""Demo scoring for the province "Lam Sơn": criteria tables for every bloc and year, finished past years,
and the current year at the bloc meeting (idempotent: a bloc-year that has a table is left alone).

Past years go through the real status machine (submit → appraise → finalize) so results, ranks,
classifications and flags are the services' own; scores are inserted in bulk (one audit line per table).
"""
from __future__ import annotations

import random
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable

import sqlalchemy as sa

from portal import audit
from portal.auth.services import SYSTEM
from portal.demo import province
from portal.extensions import db
from portal.scoring import services as scoring
from portal.scoring.models import CriteriaTable, Score, Scorecard, ScoringThresholds

CURRENT_YEAR = 2026
HALF = Decimal("0.5")

# Group I (the bloc's own work) differs by bloc; groups II–V are the province's common frame.
MAIN_TASKS: dict[str, list[tuple[str, int, str]]] = {
    "K1": [("Tốc độ tăng trưởng kinh tế (GRDP) đạt và vượt chỉ tiêu Nghị quyết", 12, "Đạt chỉ tiêu: 10 điểm; vượt mỗi 0,5%: cộng 0,5 điểm, tối đa 12."),
           ("Thu ngân sách nhà nước trên địa bàn đạt dự toán được giao", 10, "Đạt 100% dự toán: 10 điểm; thấp hơn mỗi 1%: trừ 0,5 điểm."),
           ("Xây dựng nông thôn mới, đô thị văn minh", 10, "Theo tiến độ xã đạt chuẩn nông thôn mới trong năm."),
           ("Giảm tỷ lệ hộ nghèo, hộ cận nghèo theo kế hoạch", 10, ""),
           ("Bảo đảm quốc phòng, an ninh, trật tự an toàn xã hội", 8, "")],
    "K2": [("Hoàn thành các chỉ tiêu kinh tế được UBND tỉnh giao", 14, "Đủ 100% chỉ tiêu: 14 điểm."),
           ("Tham mưu cơ chế, chính sách thu hút đầu tư, phát triển doanh nghiệp", 12, ""),
           ("Giải ngân vốn đầu tư công đúng tiến độ", 12, "Giải ngân trên 95% kế hoạch: 12 điểm."),
           ("Thực hành tiết kiệm, chống lãng phí", 12, "")],
    "K3": [("Hoàn thành nhiệm vụ chuyên môn được giao trong năm", 15, ""),
           ("Chăm lo an sinh xã hội, y tế, giáo dục cho Nhân dân", 12, ""),
           ("Phát triển văn hóa, thể thao, du lịch gắn với bản sắc dân tộc", 12, ""),
           ("Giải quyết thủ tục hành chính đúng hạn", 11, "Tỷ lệ hồ sơ đúng hạn trên 98%: 11 điểm.")],
    "K4": [("Hoàn thành nhiệm vụ chuyên môn, nghiệp vụ được giao", 15, ""),
           ("Tham mưu xây dựng, kiểm tra văn bản quy phạm pháp luật", 12, ""),
           ("Công tác thanh tra, giải quyết khiếu nại, tố cáo", 12, ""),
           ("Phòng, chống tham nhũng, tiêu cực", 11, "")],
    "K5": [("Doanh thu, lợi nhuận đạt và vượt kế hoạch", 15, "Đạt kế hoạch: 13 điểm; vượt trên 10%: 15 điểm."),
           ("Nộp ngân sách nhà nước đầy đủ, đúng hạn", 12, ""),
           ("Bảo đảm việc làm, thu nhập, chế độ cho người lao động", 12, ""),
           ("An toàn lao động, bảo vệ môi trường", 11, "")],
    "K6": [("Tập hợp, đoàn kết, phát triển hội viên, đoàn viên", 14, ""),
           ("Tổ chức các phong trào thi đua, cuộc vận động lớn", 12, ""),
           ("Tham gia giám sát, phản biện xã hội", 12, ""),
           ("Chăm lo quyền, lợi ích hợp pháp của hội viên, đoàn viên", 12, "")],
}
COMMON: list[tuple[str, str, list[tuple[str, int, str]]]] = [
    ("II. Công tác thi đua, khen thưởng", "scored", [
        ("Ban hành kế hoạch, phát động phong trào thi đua kịp thời", 5, "Có kế hoạch trước ngày 31/3: 5 điểm."),
        ("Tham gia đầy đủ các hoạt động của Khối thi đua", 5, "Vắng một hoạt động không có lý do: trừ 1 điểm."),
        ("Phát hiện, bồi dưỡng, nhân rộng điển hình tiên tiến", 5, ""),
        ("Thực hiện chế độ thông tin, báo cáo đúng thời hạn", 5, "")]),
    ("III. Cải cách hành chính, chuyển đổi số, xây dựng tổ chức", "scored", [
        ("Chỉ số cải cách hành chính (PAR Index) của đơn vị", 10, "Xếp loại tốt trở lên: 10 điểm."),
        ("Chuyển đổi số, ứng dụng công nghệ thông tin trong điều hành", 10, ""),
        ("Xây dựng tổ chức Đảng, đoàn thể trong sạch, vững mạnh", 10, "")]),
    ("IV. Điểm thưởng", "bonus", [
        ("Có sáng kiến, mô hình mới được cấp tỉnh công nhận", 3, "Mỗi sáng kiến: 1 điểm, tối đa 3."),
        ("Được Thủ tướng Chính phủ hoặc Bộ, ngành Trung ương khen thưởng", 2, "")]),
    ("V. Điểm trừ", "deduction", [
        ("Gửi báo cáo chậm so với quy định", 5, "Mỗi lần chậm: trừ 1 điểm."),
        ("Cán bộ, công chức, người lao động vi phạm kỷ luật", 5, "")]),
]


def criteria_items(bloc_code: str, year: int) -> list[dict]:
    """Return the demo criteria of a bloc-year (the 2024 tables still had one item fewer in group III)."""
    items = [{"group": "I. Thực hiện nhiệm vụ chính trị, chuyên môn", "title": t, "max_points": str(m), "kind": "scored", "guidance": g}
             for t, m, g in MAIN_TASKS.get(bloc_code, MAIN_TASKS["K4"])]
    for group, kind, entries in COMMON:
        for title, max_points, guidance in entries:
            if year < 2025 and title.startswith("Chuyển đổi số"):
                continue
            if year < 2025 and title.startswith("Chỉ số cải cách"):
                max_points = 20
            items.append({"group": group, "title": title, "max_points": str(max_points), "kind": kind, "guidance": guidance})
    return items


def _at(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=timezone.utc)


def _round_half(value: Decimal) -> Decimal:
    return (value / HALF).quantize(Decimal(1), rounding=ROUND_HALF_UP) * HALF


def _scores_for(rng: random.Random, criteria, strength: float) -> dict[int, Decimal]:
    """A unit's plausible points: scored items near its strength, the odd bonus and deduction."""
    points: dict[int, Decimal] = {}
    for c in criteria:
        if c.kind == "scored":
            share = min(1.0, max(0.55, strength + rng.uniform(-0.06, 0.05)))
            points[c.id] = min(c.max_points, _round_half(c.max_points * Decimal(str(share))))
        elif c.kind == "bonus":
            if rng.random() < 0.35:
                points[c.id] = min(c.max_points, Decimal(rng.randint(1, 2)))
        elif rng.random() < 0.25:
            points[c.id] = Decimal(1)
    return points


def _bloc_view(rng: random.Random, self_points: dict[int, Decimal], criteria) -> dict[int, Decimal]:
    """The meeting usually trims a unit's own score a little."""
    result = dict(self_points)
    by_id = {c.id: c for c in criteria}
    for cid, value in self_points.items():
        if by_id[cid].kind == "scored" and value > 0 and rng.random() < 0.3:
            result[cid] = max(Decimal(0), value - HALF * rng.randint(1, 2))
    return result


def _insert_scores(scorecard_id: int, stage: str, points: dict[int, Decimal], when: datetime) -> None:
    rows = [{"scorecard_id": scorecard_id, "criterion_id": cid, "stage": stage, "points": value, "note": "", "version": 1,
             "updated_at": when, "updated_by_id": None, "updated_by": "system"} for cid, value in points.items()]
    if rows:
        db.session.execute(sa.insert(Score.__table__), rows)


def _date_events(table: CriteriaTable, dates: dict[str, datetime]) -> None:
    """Give the status events of a past year the dates the plan sets (the loader runs today)."""
    for action, when in dates.items():
        db.session.execute(sa.update(audit.AuditEvent).where(audit.AuditEvent.object_type == "bloc_results",
                                                             audit.AuditEvent.object_id == table.key,
                                                             audit.AuditEvent.action == f"results.{action}").values(at=when))


def load_demo_scoring(echo: Callable[[str], None] = print) -> dict:
    """Create criteria tables and scores for every demo bloc and year; return counts."""
    from portal.org.models import Bloc

    created = {"tables": 0, "scores": 0}
    for year in province.YEARS:
        if db.session.scalar(sa.select(ScoringThresholds.id).where(ScoringThresholds.year == year)) is None:
            scoring.set_thresholds(SYSTEM, year, {"excellent": "95", "good": "85", "completed": "70"})
        for demo_bloc in province.BLOCS:
            bloc = db.session.scalar(sa.select(Bloc).where(Bloc.code == demo_bloc.code))
            if bloc is None or scoring.find_table(bloc, year) is not None:
                continue
            rng = random.Random(f"{demo_bloc.code}-{year}")
            table = scoring.table_for(bloc, year)
            scoring.replace_criteria(SYSTEM, table, criteria_items(bloc.code, year), action="criteria.demo",
                                     summary=f"Bảng điểm mẫu {table.key}")
            created["tables"] += 1
            created["scores"] += _fill(table, year, rng)
    echo(f"Chấm điểm: {created['tables']} bảng điểm mới, {created['scores']} điểm")
    return created


def _fill(table: CriteriaTable, year: int, rng: random.Random) -> int:
    """Score a bloc-year: finished for past years, at the meeting for the current one."""
    criteria = scoring.criteria_of(table)
    members = scoring.ensure_scorecards(table)
    if not members:
        return 0
    table.locked, table.locked_at = True, _at(year, 10, 1)
    count = 0
    current = year >= CURRENT_YEAR
    for index, member in enumerate(members):
        strength = rng.uniform(0.80, 0.97)
        self_points = _scores_for(rng, criteria, strength + 0.02)
        # In the current year the last unit of each bloc has not sent its self-score yet.
        if current and index == len(members) - 1:
            _insert_scores(member.scorecard.id, "self", dict(list(self_points.items())[:4]), _at(year, 11, 20))
            count += 4
            continue
        _insert_scores(member.scorecard.id, "self", self_points, _at(year, 11, 18))
        db.session.execute(sa.update(Scorecard).where(Scorecard.id == member.scorecard.id)
                           .values(self_submitted_at=_at(year, 11, 19), self_submitted_by="system"))
        count += len(self_points)
        if current:
            # At the meeting: the leader's officers have scored the first units so far.
            if table.bloc.code == "K1" and index < len(members) // 2:
                bloc_points = _bloc_view(rng, self_points, criteria)
                _insert_scores(member.scorecard.id, "bloc", bloc_points, _at(year, 11, 25, 2))
                count += len(bloc_points)
            continue
        bloc_points = _bloc_view(rng, self_points, criteria)
        _insert_scores(member.scorecard.id, "bloc", bloc_points, _at(year, 11, 28))
        count += len(bloc_points)
    audit.record(SYSTEM, "demo", "criteria_table", table.key, summary=f"Điểm mẫu cho {table.key}")
    db.session.commit()
    if current:
        return count
    scoring.change_status(SYSTEM, table, "submit")
    results = scoring.compute(table)
    for member in results.appraisal_members:
        bloc_cells = {cid: cell.points for (cid, stage), cell in scoring.scorecard_cells(member.scorecard, ["bloc"]).items()
                      if cell.points is not None}
        appraisal = dict(bloc_cells)
        for cid in list(appraisal)[:2]:
            if rng.random() < 0.5 and appraisal[cid] >= HALF:
                appraisal[cid] -= HALF
        _insert_scores(member.scorecard.id, "appraisal", appraisal, _at(year, 12, 10))
        count += len(appraisal)
    db.session.commit()
    scoring.change_status(SYSTEM, table, "appraise")
    results = scoring.compute(table)
    if results.tie_candidates:
        scoring.decide_flag_tie(SYSTEM, table, results.tie_candidates[:1])
    scoring.change_status(SYSTEM, table, "finalize")
    if table.bloc.code == "K1" and year == 2025:
        leading = next((line for line in scoring.compute(table).lines if line.flag), None)
        if leading is not None:
            scoring.set_government_flag(SYSTEM, table, leading.scorecard, True)
    _date_events(table, {"submit": _at(year, 12, 5), "appraise": _at(year, 12, 12), "finalize": _at(year, 12, 20),
                         "gov_flag": _at(year, 12, 20, 10)})
    db.session.execute(sa.update(CriteriaTable).where(CriteriaTable.id == table.id).values(updated_at=_at(year, 12, 20)))
    db.session.commit()
    return count

