"""The scoring sheet (bảng chấm điểm) as the meeting sees it: criteria rows, unit columns, live totals and ranks.

Loaded in a fixed number of queries whatever its size. (The XLSX files are `portal.scoring.sheets`.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from portal.auth import policy
from portal.errors import NotFound
from portal.extensions import db
from portal.scoring import rules
from portal.scoring.criteria import CriteriaRow, Member, criteria_of, criteria_rows, members
from portal.scoring.labels import points_vi
from portal.scoring.models import CriteriaTable, Criterion, Score, Scorecard
from portal.scoring.results import compute
from portal.scoring.scores import EMPTY, Cell, bloc_complete, stage_action, totals_by_scorecard


@dataclass
class Sheet:
    """Everything the scoring sheet shows: criteria rows, unit columns, cells, comparison, totals, ranks."""

    table: CriteriaTable
    stage: str
    compare_stage: str | None
    criteria: list[Criterion]
    rows: list[CriteriaRow]
    columns: list[Member]
    cells: dict[tuple[int, int], Cell]
    compare: dict[tuple[int, int], Decimal | None]
    totals: dict[int, Decimal | None]
    compare_totals: dict[int, Decimal | None]
    ranks: dict[int, rules.RankInfo]
    editable: bool
    maxima: rules.TableMax
    # Per criterion, per unit column: (scorecard id, "sc-cr" key, shown points, version, shown comparison,
    # " differs" or "") — ready to print, so the 800 cells of a big sheet cost no function call each.
    grid: dict[int, list[tuple]] = field(default_factory=dict)
    token: int = 0  # the score feed's number when the cells were read: the live sheet asks for what came after


def sheet_ranks(stage: str, totals: dict[int, dict[str, Decimal | None]], columns: list[Member],
                all_members: list[Member], complete: dict[int, bool]) -> tuple[dict, dict]:
    """Return ({scorecard: stage total}, {scorecard: RankInfo}) as the sheet shows them live.

    The bloc sheet ranks on the bloc totals; the appraisal sheet ranks every unit as appraisal would
    (the appraisal total where there is one, else the bloc total). As on the results page, a unit without a
    bloc score on every scored item is not ranked ("chưa chấm đủ").
    """
    stage_totals = {m.scorecard.id: totals.get(m.scorecard.id, {}).get(stage) for m in columns}
    if stage == "appraisal":
        basis = {m.scorecard.id: rules.effective_total(totals.get(m.scorecard.id, {}), "appraised") for m in all_members}
    elif stage == "bloc":
        basis = dict(stage_totals)
    else:
        basis = {}
    return stage_totals, rules.rank_with_ties({k: (v if complete[k] else None) for k, v in basis.items()})


def build_sheet(user, table: CriteriaTable, stage: str, *, the_members: list[Member] | None = None) -> Sheet:
    """Load the bloc or appraisal scoring sheet in a fixed number of queries, whatever its size."""
    if stage not in ("bloc", "appraisal"):
        raise NotFound(_("Giai đoạn chấm không hợp lệ: %(stage)s.", stage=stage))
    # Read before the cells: a save landing in between comes again through the feed (the page skips what it has).
    token = db.session.scalar(sa.select(CriteriaTable.score_seq).where(CriteriaTable.id == table.id)) or 0
    criteria = criteria_of(table)
    the_members = the_members if the_members is not None else members(table)
    totals = totals_by_scorecard(table)
    results = None
    if stage == "appraisal":
        results = compute(table, the_members=the_members, totals=totals)
        columns = results.appraisal_members
        compare_stage = "bloc"
    else:
        columns = the_members
        compare_stage = "self"
    ids = [m.scorecard.id for m in columns]
    cells: dict[tuple[int, int], Cell] = {}
    compare: dict[tuple[int, int], Decimal | None] = {}
    submitted = {m.scorecard.id for m in columns if m.scorecard.self_submitted_at is not None}
    normal: dict[Decimal | None, Decimal | None] = {None: None}  # a sheet has few distinct points: normalise each once
    if ids:
        rows = db.session.execute(
            sa.select(Score.scorecard_id, Score.criterion_id, Score.stage, Score.points, Score.version)
            .where(Score.scorecard_id.in_(ids), Score.stage.in_((stage, compare_stage))))
        for sc_id, cr_id, row_stage, points, version in rows:
            if points not in normal:
                normal[points] = rules.normalize_points(points)
            points = normal[points]
            if row_stage == stage:
                cells[(sc_id, cr_id)] = Cell(points, version)
            elif compare_stage != "self" or sc_id in submitted:
                compare[(sc_id, cr_id)] = points
    shown = {value: points_vi(value) for value in normal.values()}
    grid = {}
    for c in criteria:
        line = []
        for sc_id in ids:
            cell = cells.get((sc_id, c.id), EMPTY)
            other = compare.get((sc_id, c.id))
            differs = " differs" if other is not None and cell.points is not None and other != cell.points else ""
            line.append((sc_id, f"{sc_id}-{c.id}", shown[cell.points], cell.version, shown[other], differs))
        grid[c.id] = line
    if stage == "bloc":  # the cells are the bloc scores: completeness costs no query
        scored = [c.id for c in criteria if c.kind == "scored"]
        complete = {i: all(cells.get((i, c), EMPTY).points is not None for c in scored) for i in ids}
    else:  # the results just computed already know it
        complete = _completeness(results)
    stage_totals, ranks = sheet_ranks(stage, totals, columns, the_members, complete)
    compare_totals = {i: totals.get(i, {}).get(compare_stage) for i in ids}
    editable = rules.stage_editable(table.status, stage) and policy.can(user, stage_action(stage), table.bloc, year=table.year)
    return Sheet(table=table, stage=stage, compare_stage=compare_stage, criteria=criteria, rows=criteria_rows(criteria),
                 columns=columns, cells=cells, compare=compare, totals=stage_totals, compare_totals=compare_totals,
                 ranks=ranks, editable=editable, maxima=rules.table_maxima(criteria), grid=grid, token=token)


def live_totals(table: CriteriaTable, stage: str) -> tuple[list[Member], dict, dict]:
    """Return the columns, totals and ranks of a sheet after a save (for the live footer)."""
    the_members = members(table)
    totals = totals_by_scorecard(table)
    if stage == "appraisal":
        results = compute(table, the_members=the_members, totals=totals)
        columns, complete = results.appraisal_members, _completeness(results)
    else:
        columns, complete = the_members, bloc_complete(table)
    stage_totals, ranks = sheet_ranks(stage, totals, columns, the_members, complete)
    return columns, stage_totals, ranks


def _completeness(results) -> dict[int, bool]:
    """{scorecard id: complete} as the computed results decided it (no second query)."""
    return {line.scorecard.id: line.complete for line in results.lines}


def scorecard_cells(scorecard: Scorecard, stages: list[str]) -> dict[tuple[int, str], Cell]:
    """Return {(criterion, stage): Cell} of one scorecard for the stages asked."""
    rows = db.session.execute(sa.select(Score.criterion_id, Score.stage, Score.points, Score.version, Score.note, Score.updated_by,
                                        Score.updated_at).where(Score.scorecard_id == scorecard.id, Score.stage.in_(stages)))
    return {(r.criterion_id, r.stage): Cell(None if r.points is None else rules.normalize_points(r.points), r.version,
                                            r.note or "", r.updated_by, r.updated_at) for r in rows}
