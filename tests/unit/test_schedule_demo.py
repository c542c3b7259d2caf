"""The demo schedules: three years of the usual plan with each year's dates, a few check-offs, safe to run again."""
from datetime import date

import sqlalchemy as sa

from portal.demo import load_demo_org
from portal.demo.schedule import load_demo_schedules, usual_plan
from portal.extensions import db
from portal.schedule import progress as prog
from portal.schedule import services as schedule
from portal.schedule.models import MilestoneCheck

TODAY = date(2026, 11, 25)


def test_usual_plan_follows_the_yearly_cycle():
    plan = usual_plan(2024)
    assert [p["evidence_type"] for p in plan] == ["GU", "TC", "BC-SK", "TB", "BC-TK", "BB", "BC-TK", "BB", "QĐ"]
    assert plan[0]["due_on"] == date(2024, 2, 29)  # a leap year's plan
    assert [p["scope"] for p in plan].count("unit") == 1 and plan[-1]["scope"] == "council"


def test_demo_schedules_three_years_with_checks_and_idempotent(ctx):
    load_demo_org(lambda line: None)
    lines = []
    summary = load_demo_schedules(lines.append, today=TODAY)
    assert set(summary["years"]) == {2024, 2025, 2026}
    for year in (2024, 2025, 2026):
        milestones = schedule.milestones_for_year(year)
        assert len(milestones) == 9 and all(m.due_on.year == year for m in milestones)
    # Without the demo documents, the past years' appraisals are still closed by the Board by hand.
    checks = list(db.session.scalars(sa.select(MilestoneCheck)))
    assert {c.milestone.year for c in checks} >= {2024, 2025}
    assert all(c.note and c.checked_by_name for c in checks)
    progress = prog.year_progress(2026, today=TODAY)
    statuses = progress.counts()
    assert statuses["overdue"] and statuses["due_soon"] and statuses["not_open"]
    again = load_demo_schedules(lines.append, today=TODAY)
    assert again["years"] == {} and "đã có, giữ nguyên" in lines[-1]
    assert db.session.scalar(sa.select(sa.func.count(MilestoneCheck.id))) == len(checks)
