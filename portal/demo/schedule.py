"""Demo schedules for 2024–2026: the usual plan of DESIGN §1 with each year's dates (those of the demo
plans in portal/demo/documents.py), and a few check-offs by hand so the dashboard tells a story.

Call it after the demo documents are archived: the Board's check-offs of the blocs it did not inspect
are read from which inspection notices (TB) are in the archive.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

from portal.auth import services as auth
from portal.demo import province
from portal.demo.documents import demo_story
from portal.org import services as org
from portal.schedule import progress as prog
from portal.schedule import services as schedule


@dataclass(frozen=True)
class YearDates:
    """The deadlines of one year's plan (as in the demo plan documents)."""

    pledge: date
    so_ket: date
    unit_reports: date
    bloc_report: date
    appraisal: tuple[date, date]
    council: tuple[date, date]


DATES = {
    2024: YearDates(date(2024, 2, 29), date(2024, 6, 18), date(2024, 11, 22), date(2024, 12, 4),
                    (date(2024, 12, 9), date(2024, 12, 13)), (date(2024, 12, 17), date(2024, 12, 20))),
    2025: YearDates(date(2025, 2, 28), date(2025, 6, 20), date(2025, 11, 25), date(2025, 12, 5),
                    (date(2025, 12, 8), date(2025, 12, 12)), (date(2025, 12, 16), date(2025, 12, 19))),
    2026: YearDates(date(2026, 2, 27), date(2026, 6, 19), date(2026, 11, 27), date(2026, 12, 4),
                    (date(2026, 12, 7), date(2026, 12, 11)), (date(2026, 12, 15), date(2026, 12, 18))),
}


def usual_plan(year: int) -> list[dict]:
    """Return the year's nine milestones (DESIGN §1, step 5 split into the units' reports and the bloc meeting)."""
    d = DATES[year]
    return [
        {"title": "Ký kết giao ước thi đua của Khối", "starts_on": date(year, 1, 2), "due_on": d.pledge,
         "scope": "bloc", "responsible": "leader", "evidence_type": "GU"},
        {"title": "Gửi quy chế, kế hoạch hoạt động, tiêu chí và thang bảng điểm của Khối", "starts_on": date(year, 3, 1),
         "due_on": date(year, 3, 31), "scope": "bloc", "responsible": "leader", "evidence_type": "TC"},
        {"title": "Báo cáo sơ kết 6 tháng đầu năm của Khối", "starts_on": date(year, 6, 1), "due_on": d.so_ket,
         "scope": "bloc", "responsible": "leader", "evidence_type": "BC-SK"},
        {"title": "Ban TĐKT kiểm tra việc thực hiện giao ước (Quý III)", "starts_on": date(year, 7, 1),
         "due_on": date(year, 9, 30), "scope": "board", "responsible": "board", "evidence_type": "TB"},
        {"title": "Các đơn vị gửi báo cáo tổng kết năm và bản tự chấm điểm", "starts_on": date(year, 11, 1),
         "due_on": d.unit_reports, "scope": "unit", "responsible": "member", "evidence_type": "BC-TK"},
        {"title": "Họp Khối bình xét, chấm điểm, suy tôn đơn vị dẫn đầu", "starts_on": date(year, 11, 1),
         "due_on": date(year, 11, 30), "scope": "bloc", "responsible": "leader", "evidence_type": "BB"},
        {"title": "Trưởng khối gửi báo cáo tổng kết và kết quả chấm điểm của Khối", "starts_on": None,
         "due_on": d.bloc_report, "scope": "bloc", "responsible": "leader", "evidence_type": "BC-TK"},
        {"title": "Thẩm định kết quả các đơn vị xếp thứ nhất, nhì, ba", "starts_on": d.appraisal[0],
         "due_on": d.appraisal[1], "scope": "board", "responsible": "board", "evidence_type": "BB"},
        {"title": "Hội đồng TĐKT tỉnh xét, đề nghị Cờ thi đua; UBND tỉnh quyết định", "starts_on": d.council[0],
         "due_on": date(year, 12, 31), "scope": "council", "responsible": "council", "evidence_type": "QĐ"},
    ]


def _inspected(year: int, milestone_id: int, today: date) -> set[str] | None:
    """Return the blocs whose inspection notice is in the archive that year; None when the year has none at all
    (the demo documents are not loaded), so nothing is checked off in their place."""
    row_cells = [(row.bloc.code, cell) for row in prog.year_progress(year, today=today).rows
                 for cell in row.cells if cell.milestone.id == milestone_id]
    done = {code for code, cell in row_cells if cell.evidence is not None}
    return done or None


def _missing_unit_reports(today: date) -> list[str]:
    return list(demo_story(today)["unit_reports"]["missing_units"])


def load_demo_schedules(echo: Callable[[str], None] = print, *, today: date | None = None) -> dict:
    """Create the demo schedules of 2024–2026 and a few hand check-offs (idempotent: an existing year is kept)."""
    from portal.text import today_local

    today = today or today_local()
    board = auth.get_user("bantdkt") or auth.SYSTEM
    created = {}
    for year in province.YEARS:
        if schedule.milestones_for_year(year):
            echo(f"Lịch năm {year}: đã có, giữ nguyên")
            continue
        schedule.replace_milestones(board, year, usual_plan(year))
        created[year] = _demo_checks(year, today, board)
        echo(f"Lịch năm {year}: {len(usual_plan(year))} mốc, {created[year]} lần đánh dấu tay")
    return {"years": created}


def _check(actor, milestone, bloc_code: str, done_on: date, note: str, unit_code: str | None = None) -> int:
    bloc = org.get_bloc(bloc_code)
    prog.check_off(actor, milestone, bloc, note=note, done_on=done_on, unit_code=unit_code, today=done_on)
    return 1


def _leader_user(year: int, bloc_code: str):
    """Return a demo account of the bloc's leader unit that year, else the Board's."""
    leader = province.leaders(year).get(bloc_code)
    for u in province.USERS:
        if u.unit_code == leader:
            user = auth.get_user(u.username)
            if user is not None:
                return user
    return auth.get_user("bantdkt") or auth.SYSTEM


def _demo_checks(year: int, today: date, board) -> int:
    """The check-offs of a demo year: what the Board and the bloc leaders recorded by hand."""
    by_seq = {m.seq: m for m in schedule.milestones_for_year(year)}
    blocs = [b.code for b in province.BLOCS]
    count = 0
    inspection, appraisal = by_seq[4], by_seq[8]
    inspected = _inspected(year, inspection.id, today)
    if inspection.due_on < today and inspected is not None:
        # The Board inspects a sample of blocs (notices in the archive); the others are closed by hand.
        late_one = next((b for b in blocs if b not in inspected), None) if year == today.year else None
        for code in blocs:
            if code in inspected:
                continue
            if code == late_one:
                count += _check(board, inspection, code, date(year, 10, 8),
                                "Kiểm tra bổ sung ngày 08/10 sau khi Khối đề nghị lùi lịch; biên bản bản giấy lưu tại Ban TĐKT.")
            elif code == "K5" and year == today.year:
                continue  # still open: the Board has not decided yet
            else:
                count += _check(board, inspection, code, inspection.due_on,
                                f"Khối không thuộc diện kiểm tra trực tiếp năm {year} (kiểm tra chọn mẫu); Khối tự kiểm tra và báo cáo.")
    if appraisal.due_on < today:
        for code in blocs:
            count += _check(board, appraisal, code, appraisal.due_on,
                            "Đã thẩm định cùng Trưởng khối; biên bản thẩm định lưu tại Ban TĐKT (chưa số hóa).")
    if year == today.year:
        reports = by_seq[5]
        missing = set(_missing_unit_reports(today))
        k1 = [m.unit_code for m in province.memberships(year)
              if m.bloc_code == "K1" and m.role == "member" and m.unit_code in missing]
        if k1 and reports.starts_on <= today:
            leader = _leader_user(year, "K1")
            day = min(today, reports.due_on)
            count += _check(leader, reports, "K1", day, f"Đã nhận báo cáo bản giấy ngày {day:%d/%m/%Y}; đơn vị sẽ gửi bản điện tử sau.",
                            unit_code=k1[0])
    return count
