"""Results of a bloc-year: thresholds, ranks, classification and flags, and the status machine around them.

The pure rules live in `portal.scoring.rules`; this module loads, stores, checks rights and audits.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from portal import audit
from portal.auth import policy
from portal.db import insert_ignoring_conflicts
from portal.errors import Conflict, NotFound, ValidationFailed, checked_text
from portal.extensions import db
from portal.org import services as org
from portal.org.models import Bloc, Unit
from portal.scoring import rules
from portal.scoring.criteria import Member, criteria_of, members, version_arg
from portal.scoring.labels import ACTION_LABELS, STAGE_LABELS, STATUS_LABELS, flag_note, points_vi
from portal.scoring.models import STAGES, CriteriaTable, Criterion, Result, Score, Scorecard, ScoringThresholds
from portal.scoring.scores import bloc_complete, totals_by_scorecard
from portal.text import utcnow

# --- thresholds and results ----------------------------------------------------------------------

def thresholds_row(year: int) -> ScoringThresholds | None:
    """Return the stored thresholds of a year, if the Board set them."""
    return db.session.scalar(sa.select(ScoringThresholds).where(ScoringThresholds.year == year))


def thresholds_for(year: int) -> rules.Thresholds:
    """Return the year's thresholds, or the usual ones (95 / 85 / 70) when none were set."""
    row = thresholds_row(year)
    if row is None:
        return rules.DEFAULT_THRESHOLDS
    return rules.Thresholds(excellent=row.excellent, good=row.good, completed=row.completed)


def set_thresholds(actor, year: int, data: dict, *, version=None) -> ScoringThresholds:
    """Set a year's classification thresholds (Board); refused once a bloc's results that year are appraised."""
    policy.require(actor, "scoring.board")
    year = org.check_year(year)
    errors = {}
    try:
        thresholds = rules.Thresholds(excellent=_threshold_text(data.get("excellent")), good=_threshold_text(data.get("good")),
                                      completed=_threshold_text(data.get("completed")))
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(_("Ngưỡng xếp loại chưa hợp lệ: %(message)s", message=str(exc)),
                               errors={"thresholds": str(exc)}) from None
    maxima = [rules.table_max(criteria_of(t)) for t in db.session.scalars(sa.select(CriteriaTable).where(CriteriaTable.year == year))]
    maxima = [m for m in maxima if m > 0]
    if maxima:
        try:
            rules.validate_thresholds(thresholds, max_total=min(maxima))
        except ValueError as exc:
            errors["excellent"] = str(exc)
    if errors:
        raise ValidationFailed(errors["excellent"], errors=errors)
    closed = db.session.scalar(sa.select(sa.func.count(CriteriaTable.id)).where(
        CriteriaTable.year == year, CriteriaTable.status.in_(("appraised", "final"))))
    if closed:
        raise Conflict(_("Đã có %(n)s khối được thẩm định hoặc công nhận kết quả năm %(year)s; không đổi ngưỡng xếp loại được.",
                         n=closed, year=year))
    row = thresholds_row(year)
    new = {"excellent": thresholds.excellent, "good": thresholds.good, "completed": thresholds.completed}
    if row is None:
        inserted = insert_ignoring_conflicts(ScoringThresholds.__table__, [{"year": year, "version": 1, "updated_at": utcnow(), **new}])
        if not inserted:
            raise Conflict(_("Ngưỡng xếp loại vừa được người khác đặt. Hãy xem lại rồi lưu."))
        before = None
    else:
        expected = version_arg(version, allow_none=True)
        stmt = sa.update(ScoringThresholds).where(ScoringThresholds.id == row.id)
        if expected is not None:
            stmt = stmt.where(ScoringThresholds.version == expected)
        before = {k: rules.format_points(getattr(row, k)) for k in new}
        if not db.session.execute(stmt.values(version=ScoringThresholds.version + 1, updated_at=utcnow(), **new)
                                  .execution_options(synchronize_session=False)).rowcount:
            db.session.rollback()
            raise Conflict(_("Ngưỡng xếp loại vừa được người khác sửa. Hãy xem lại rồi lưu."))
    audit.record(actor, "thresholds", "scoring_thresholds", year, before=before,
                 after={k: rules.format_points(v) for k, v in new.items()},
                 summary=f"Ngưỡng xếp loại năm {year}: {points_vi(thresholds.excellent)} / {points_vi(thresholds.good)} / {points_vi(thresholds.completed)}")
    db.session.commit()
    db.session.expire_all()
    return thresholds_row(year)


def _threshold_text(value):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(_("Vui lòng nhập đủ ba ngưỡng."))
    return value.strip() if isinstance(value, str) else value


@dataclass
class ResultLine:
    """One unit's line of the bloc's results."""

    member: Member
    totals: dict[str, Decimal | None]
    effective_total: Decimal | None
    effective_stage: str | None
    rank: int | None
    tie: bool
    classification: str | None
    flag: str | None
    appraised: bool = False  # among the units the Board appraises (ranked 1st–3rd when submitted)
    complete: bool = True  # a bloc score on every scored item; else "chưa chấm đủ": no rank, no classification

    @property
    def unit(self) -> Unit:
        return self.member.unit

    @property
    def scorecard(self) -> Scorecard:
        return self.member.scorecard


@dataclass
class BlocResults:
    """The bloc-year's results: status, lines by rank, thresholds, and what the flags note says."""

    table: CriteriaTable
    status: str
    lines: list[ResultLine]
    thresholds: rules.Thresholds
    flag_note: str | None = None
    tie_candidates: list[int] = field(default_factory=list)  # scorecard ids tied at rank 1 (Board decides)
    members: list[Member] = field(default_factory=list)

    @property
    def appraisal_members(self) -> list[Member]:
        return [line.member for line in sorted(self.lines, key=lambda l: (l.rank or 999)) if line.appraised]


def compute(table: CriteriaTable, *, stored_flags: bool = True, the_members: list[Member] | None = None,
            totals=None, complete: dict[int, bool] | None = None) -> BlocResults:
    """Compute the results from the scores (live): totals per stage, rank with ties, classification, flags.

    One rule everywhere (page, API, record, XLSX): a unit lacking a bloc score on any scored item is
    "chưa chấm đủ" — no rank, no classification, never ranked by its self-score.
    """
    the_members = the_members if the_members is not None else members(table)
    totals = totals if totals is not None else totals_by_scorecard(table)
    complete = complete if complete is not None else bloc_complete(table)
    thresholds = thresholds_for(table.year)
    by_card = {m.scorecard.id: totals.get(m.scorecard.id, {s: None for s in STAGES}) for m in the_members}
    member_of = {m.scorecard.id: m for m in the_members}
    computed = rules.compute_results(by_card, table.status, thresholds, complete)
    # The units the Board appraises: ranked 1st–3rd on the bloc's submitted results (ties included).
    submitted_ranks = rules.compute_results(by_card, "submitted", thresholds, complete)
    appraised = set(rules.which_units_appraised({k: v.rank for k, v in submitted_ranks.items()}))
    proposal = rules.propose_flags(computed, table.status)
    flags: dict[int, str | None] = {k: (None if v is None else str(v)) for k, v in proposal.flags.items()}
    if stored_flags and table.status in ("appraised", "final"):
        stored = {r.scorecard_id: r.flag for r in db.session.scalars(
            sa.select(Result).where(Result.scorecard_id.in_(list(by_card))))}
        if stored:
            flags = {k: stored.get(k) for k in by_card}
    lines = [ResultLine(member=member_of[k], totals={str(s): v for s, v in r.totals.items()}, effective_total=r.effective_total,
                        effective_stage=None if r.effective_stage is None else str(r.effective_stage), rank=r.rank, tie=r.tie,
                        classification=None if r.classification is None else str(r.classification), flag=flags.get(k),
                        appraised=k in appraised, complete=r.complete)
             for k, r in computed.items()]
    tie = [k for k, r in computed.items() if r.rank == 1] if proposal.tie else []
    return BlocResults(table=table, status=table.status, lines=lines, thresholds=thresholds, flag_note=flag_note(proposal),
                       tie_candidates=tie, members=the_members)


def _store_results(results: BlocResults, flags: dict[int, str | None] | None = None) -> None:
    """Write the computed lines (and flags) to the Result table, in the current transaction."""
    existing = {r.scorecard_id: r for r in db.session.scalars(
        sa.select(Result).where(Result.scorecard_id.in_([line.scorecard.id for line in results.lines])))}
    now = utcnow()
    for line in results.lines:
        row = existing.get(line.scorecard.id)
        if row is None:
            row = Result(scorecard_id=line.scorecard.id)
            db.session.add(row)
        row.total_self, row.total_bloc, row.total_appraisal = (line.totals["self"], line.totals["bloc"], line.totals["appraisal"])
        row.effective_total, row.rank, row.tie = line.effective_total, line.rank, line.tie
        row.classification = line.classification
        row.flag = flags.get(line.scorecard.id) if flags is not None else line.flag
        row.updated_at = now


def _actor_role(actor, table: CriteriaTable) -> str:
    if getattr(actor, "role", None) == "admin":
        return rules.ActorRole.BOARD
    if policy.can(actor, "scoring.sheet", table.bloc, year=table.year):
        return rules.ActorRole.LEADER
    return rules.ActorRole.VIEWER


def allowed_actions(actor, table: CriteriaTable) -> list[str]:
    """The status actions this user may take now (for showing buttons)."""
    return [str(a) for a in rules.allowed_actions(table.status, actor_role=_actor_role(actor, table))]


def change_status(actor, table: CriteriaTable, action: str, *, reason: str | None = None) -> BlocResults:
    """Move the bloc's results on (submit, appraise, finalize) or one step back (reopen, Board with a reason)."""
    if action not in ACTION_LABELS:
        raise NotFound(_("Thao tác không hợp lệ."))
    if action == "submit":
        policy.require(actor, "scoring.sheet", table.bloc, year=table.year)
    else:
        policy.require(actor, "scoring.board", table.bloc, year=table.year)
    reason = checked_text(reason, "reason", label=_("Lý do")) if isinstance(reason, str) else None
    if action == "reopen" and not reason:
        raise ValidationFailed(_("Phải nêu lý do khi mở lại kết quả."), errors={"reason": _("Bắt buộc.")})
    try:
        target = rules.transition(table.status, action, actor_role=_actor_role(actor, table), reason=reason)
    except rules.TransitionError:
        raise Conflict(_("Không thể “%(action)s” khi kết quả đang ở trạng thái “%(status)s”.",
                         action=ACTION_LABELS[action], status=STATUS_LABELS[table.status]), current={"status": table.status}) from None
    _check_complete(table, action)
    source = table.status
    moved = db.session.execute(sa.update(CriteriaTable).where(CriteriaTable.id == table.id, CriteriaTable.status == source)
                               .values(status=str(target), version=CriteriaTable.version + 1, updated_at=utcnow())
                               .execution_options(synchronize_session=False)).rowcount
    if not moved:
        db.session.rollback()
        db.session.refresh(table)
        raise Conflict(_("Kết quả vừa được người khác chuyển sang trạng thái “%(status)s”.", status=STATUS_LABELS[table.status]),
                       current={"status": table.status})
    db.session.refresh(table)
    # The write above holds the lock: the scores read now are the final ones for this step.
    if action == "appraise":
        results = compute(table, stored_flags=False)
        _store_results(results)
    elif action == "reopen" and target == rules.Status.SUBMITTED:
        results = compute(table, stored_flags=False)
        _store_results(results, flags={})
    else:
        results = compute(table)
        _store_results(results)
    audit.record(actor, f"results.{action}", "bloc_results", table.key, before={"status": source},
                 after={"status": str(target), **({"reason": reason} if reason else {})},
                 summary=f"{ACTION_LABELS[action]} kết quả {table.key}: {STATUS_LABELS[source]} → {STATUS_LABELS[str(target)]}"
                         + (f" ({reason})" if reason else ""))
    db.session.commit()
    return compute(table)


def _check_complete(table: CriteriaTable, action: str) -> None:
    """Submitting needs every unit's bloc score on every scored item; appraising, the appraised units' appraisal scores."""
    if action not in ("submit", "appraise"):
        return
    criteria = [c for c in criteria_of(table) if c.kind == "scored"]
    if not criteria:
        raise ValidationFailed(_("Bảng điểm chưa có tiêu chí chấm điểm nào."))
    the_members = members(table)
    if action == "submit":
        stage, who = "bloc", the_members
    else:
        stage, who = "appraisal", compute(table, the_members=the_members).appraisal_members
    given = defaultdict(set)
    for r in db.session.execute(sa.select(Score.scorecard_id, Score.criterion_id).join(Scorecard)
                                .where(Scorecard.table_id == table.id, Score.stage == stage, Score.points.is_not(None))):
        given[r.scorecard_id].add(r.criterion_id)
    errors = {}
    for m in who:
        missing = [c for c in criteria if c.id not in given[m.scorecard.id]]
        if missing:
            errors[f"unit:{m.unit.code}"] = _("%(unit)s: còn %(n)s tiêu chí chưa có điểm %(stage)s.", unit=m.unit.name,
                                              n=len(missing), stage=str(STAGE_LABELS[stage]).lower())
    if not the_members:
        raise ValidationFailed(_("Khối chưa có đơn vị thành viên nào trong năm %(year)s.", year=table.year))
    if errors:
        raise ValidationFailed(_("Chưa chấm đủ điểm %(stage)s cho %(n)s đơn vị.", stage=str(STAGE_LABELS[stage]).lower(),
                                 n=len(errors)), errors=errors)


def decide_flag_tie(actor, table: CriteriaTable, chosen_ids: list[int]) -> BlocResults:
    """Record the Board's choice among units tied at rank 1 for the provincial flag; audited."""
    policy.require(actor, "scoring.board", table.bloc, year=table.year)
    results = compute(table)
    live = compute(table, stored_flags=False)
    proposal = rules.FlagProposal(flags={l.scorecard.id: l.flag for l in live.lines},
                                  candidates=tuple(live.tie_candidates), tie=bool(live.tie_candidates))
    try:
        decided = rules.decide_flag_tie(proposal, [int(i) for i in chosen_ids], status=table.status, actor_role=rules.ActorRole.BOARD)
    except (rules.FlagError, ValueError) as exc:
        raise ValidationFailed(getattr(exc, "message", _("Lựa chọn không hợp lệ."))) from None
    current = {l.scorecard.id: l.flag for l in results.lines}
    flags = {k: (current.get(k) if v and current.get(k) == "co_chinh_phu" else (None if v is None else str(v)))
             for k, v in decided.flags.items()}
    _store_results(results, flags=flags)
    names = ", ".join(l.unit.name for l in results.lines if flags.get(l.scorecard.id))
    audit.record(actor, "results.flag_tie", "bloc_results", table.key, before={"flags": _flag_names(results, current)},
                 after={"flags": _flag_names(results, flags)}, summary=f"Chọn đơn vị đề nghị Cờ thi đua {table.key}: {names}")
    db.session.commit()
    return compute(table)


def set_government_flag(actor, table: CriteriaTable, scorecard: Scorecard, marked: bool) -> BlocResults:
    """Mark (or take back) a Government-flag proposal for a provincial-flag unit (council's decision, recorded by the Board)."""
    policy.require(actor, "scoring.board", table.bloc, year=table.year)
    results = compute(table)
    current = {l.scorecard.id: l.flag for l in results.lines}
    try:
        flags = rules.mark_government_flag(current, scorecard.id, status=table.status, actor_role=rules.ActorRole.BOARD, marked=marked)
    except rules.FlagError as exc:
        raise ValidationFailed(exc.message) from None
    flags = {k: None if v is None else str(v) for k, v in flags.items()}
    _store_results(results, flags=flags)
    audit.record(actor, "results.gov_flag", "bloc_results", table.key, before={"flags": _flag_names(results, current)},
                 after={"flags": _flag_names(results, flags)},
                 summary=f"{'Đề nghị' if marked else 'Bỏ đề nghị'} Cờ thi đua của Chính phủ cho {scorecard.unit.name}")
    db.session.commit()
    return compute(table)


def _flag_names(results: BlocResults, flags: dict) -> dict:
    return {l.unit.code: flags.get(l.scorecard.id) for l in results.lines if flags.get(l.scorecard.id)}


def table_history(table: CriteriaTable) -> list[audit.AuditEvent]:
    """Return the audited changes of a table's criteria, lock and results status."""
    events = audit.events_for("criteria_table", table.key, limit=500) + audit.events_for("bloc_results", table.key, limit=500)
    return sorted(events, key=lambda e: (e.at, e.id), reverse=True)


def status_steps(table: CriteriaTable) -> dict[str, audit.AuditEvent]:
    """Return, for each status reached, the audit event that last moved the results there."""
    steps = {}
    for event in sorted(audit.events_for("bloc_results", table.key, limit=500), key=lambda e: (e.at, e.id)):
        status = (event.after or {}).get("status")
        if status:
            steps[status] = event
    return steps


@dataclass
class BlocOverview:
    bloc: Bloc
    table: CriteriaTable | None
    criteria: int
    leader: Unit | None
    units: int
    my_role: str | None


def year_overview(user, year: int) -> list[BlocOverview]:
    """Return every active bloc with that year's table, criteria count, leader and unit count (constant queries)."""
    tables = {t.bloc_id: t for t in db.session.scalars(sa.select(CriteriaTable).where(CriteriaTable.year == year))}
    counts = dict(db.session.execute(sa.select(Criterion.table_id, sa.func.count(Criterion.id)).join(CriteriaTable)
                                     .where(CriteriaTable.year == year).group_by(Criterion.table_id)).all())
    mine = policy.unit_membership(user, year) if getattr(user, "unit_id", None) else None
    lines = []
    for entry in org.bloc_overview(year):
        bloc = entry["bloc"]
        if not bloc.active and bloc.id not in tables:
            continue
        table = tables.get(bloc.id)
        lines.append(BlocOverview(bloc=bloc, table=table, criteria=counts.get(table.id, 0) if table else 0,
                                  leader=entry["leader"], units=entry["count"],
                                  my_role=mine.role if mine is not None and mine.bloc_id == bloc.id else None))
    return lines


def scoring_years() -> list[int]:
    """Return the years with memberships or tables, newest first."""
    years = set(org.membership_years()) | set(db.session.scalars(sa.select(CriteriaTable.year).distinct()))
    return sorted(years, reverse=True)


def results_json(results: BlocResults) -> dict:
    """The results as the API gives them: `{status, items: [...]}` by rank."""
    t = results.thresholds
    return {
        "bloc": results.table.bloc.code, "year": results.table.year, "status": results.status,
        "thresholds": {"excellent": rules.format_points(t.excellent), "good": rules.format_points(t.good),
                       "completed": rules.format_points(t.completed)},
        "items": [{"unit": {"code": l.unit.code, "name": l.unit.name},
                   "totals": {s: rules.format_points(l.totals.get(s)) for s in STAGES},
                   "total": rules.format_points(l.effective_total), "rank": l.rank, "tie": l.tie,
                   "classification": l.classification, "flag": l.flag, "appraised": l.appraised,
                   "complete": l.complete}
                  for l in results.lines],
        "flag_note": None if results.flag_note is None else str(results.flag_note),
    }
