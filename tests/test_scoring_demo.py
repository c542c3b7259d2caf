"""The demo scoring: tables for every bloc and year, finished past years with flags, 2026 at the meeting."""
from __future__ import annotations

import sqlalchemy as sa

from portal.demo import load_demo_org, province
from portal.demo.scoring import load_demo_scoring
from portal.extensions import db
from portal.org import services as org
from portal.scoring import services as scoring
from portal.scoring.models import CriteriaTable, Score


def test_demo_scoring_tells_the_story_and_loads_once(ctx):
    load_demo_org(lambda message: None)
    messages = []
    created = load_demo_scoring(messages.append)
    assert created["tables"] == len(province.YEARS) * len(province.BLOCS) and created["scores"] > 3000
    assert "bảng điểm mới" in messages[0]
    for year in province.YEARS:
        for bloc in province.BLOCS:
            table = scoring.find_table(org.get_bloc(bloc.code), year)
            criteria = scoring.criteria_of(table)
            assert table.locked and len(criteria) >= 12
            assert {c.kind for c in criteria} == {"scored", "bonus", "deduction"}
            results = scoring.compute(table)
            if year < 2026:
                assert results.status == "final"
                assert sum(1 for line in results.lines if line.flag) >= 1
                assert all(line.rank for line in results.lines)
                assert any(line.totals["appraisal"] is not None for line in results.lines)
            else:
                assert results.status == "draft"
    k1_2025 = scoring.compute(scoring.find_table(org.get_bloc("K1"), 2025))
    assert [line.flag for line in k1_2025.lines if line.flag] == ["co_chinh_phu"]
    # 2026 at the meeting: K1 has bloc scores for some units, self-scores for all but one unit.
    k1 = scoring.find_table(org.get_bloc("K1"), 2026)
    members = scoring.members(k1)
    totals = scoring.totals_by_scorecard(k1)
    scored = [m for m in members if totals[m.scorecard.id]["bloc"] is not None]
    assert 0 < len(scored) < len(members)
    assert sum(1 for m in members if m.scorecard.self_submitted_at is None) == 1
    assert scoring.thresholds_row(2026) is not None
    count = db.session.scalar(sa.select(sa.func.count(Score.id)))
    assert load_demo_scoring(messages.append) == {"tables": 0, "scores": 0}
    assert db.session.scalar(sa.select(sa.func.count(Score.id))) == count
    assert db.session.scalar(sa.select(sa.func.count(CriteriaTable.id))) == created["tables"]
