"""Scores: reading and saving cells (version-guarded, audited), a unit's self-score, its totals and history.

A save is an `UPDATE … WHERE version = :v` whose row count decides, or an insert that does nothing when the row
already exists, in one transaction with its audit event; checks that must see the latest committed state come
right after the write, so on SQLite (one writer at a time) nothing slips in between.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from portal import audit, people
from portal.auth import policy
from portal.db import insert_ignoring_conflicts
from portal.errors import Conflict, Forbidden, NotFound, ServiceError, ValidationFailed, checked_text
from portal.extensions import db
from portal.scoring import rules
from portal.scoring.criteria import criteria_of, criteria_rows, members, version_arg
from portal.scoring.labels import STAGE_LABELS, STATUS_LABELS, points_vi
from portal.scoring.models import STAGES, TOTAL, CriteriaTable, Criterion, Score, Scorecard
from portal.text import nfc, utcnow

# --- scores --------------------------------------------------------------------------------------

@dataclass
class Cell:
    """A score as the sheet and the API see it: version 0 and points None when never set."""

    points: Decimal | None = None
    version: int = 0
    note: str = ""
    updated_by: str | None = None
    updated_at: datetime | None = None

    def to_current(self) -> dict:
        return {"points": rules.format_points(self.points), "version": self.version, "note": self.note,
                "updated_by": self.updated_by, "updated_at": self.updated_at.isoformat() if self.updated_at else None}


EMPTY = Cell()


def stage_action(stage: str) -> str:
    """The policy action that lets a user write scores of a stage."""
    return {"self": "scoring.self.edit", "bloc": "scoring.sheet", "appraisal": "scoring.board"}[stage]


def can_edit_stage(user, scorecard: Scorecard, stage: str) -> bool:
    """Whether the user may write this scorecard's scores of that stage (rights only, not the status)."""
    target = scorecard if stage == "self" else scorecard.table.bloc
    return policy.can(user, stage_action(stage), target, year=scorecard.year)


def visible_stages(user, table: CriteriaTable, scorecard: Scorecard) -> list[str]:
    """The stages of a scorecard the user may read (a self-score only once submitted, except for its own unit)."""
    own = user.unit_id is not None and user.unit_id == scorecard.unit_id
    stages = []
    # Whoever may write a self-score sees it as it is (the unit itself; the Board, which may do everything).
    if own or can_edit_stage(user, scorecard, "self") or (
            scorecard.self_submitted_at is not None and policy.can(user, "scoring.self.read", scorecard)):
        stages.append("self")
    if own or policy.can(user, "scoring.sheet", table.bloc, year=table.year) or policy.can(user, "scoring.results.read", table):
        stages += ["bloc", "appraisal"]
    return stages


def _read_cell(scorecard_id: int, criterion_id: int, stage: str) -> Cell:
    row = db.session.execute(
        sa.select(Score.points, Score.version, Score.note, Score.updated_by, Score.updated_at)
        .where(Score.scorecard_id == scorecard_id, Score.criterion_id == criterion_id, Score.stage == stage)
    ).first()
    if row is None:
        return Cell()
    return Cell(points=None if row.points is None else rules.normalize_points(row.points), version=row.version,
                note=row.note or "", updated_by=row.updated_by, updated_at=row.updated_at)


def read_cell(scorecard: Scorecard, criterion: Criterion, stage: str) -> Cell:
    """Return the current score of one cell."""
    return _read_cell(scorecard.id, criterion.id, stage)


def _conflict(cell: Cell) -> Conflict:
    # Name the other editor as pages do (full name); one query, only when there is a conflict.
    who = people.names_for(usernames=[cell.updated_by]).of(None, cell.updated_by) if cell.updated_by else _("người khác")
    if cell.points is None:
        message = _("%(who)s vừa xóa điểm ô này trong lúc bạn đang sửa. Hãy chọn lấy giá trị hiện tại hoặc ghi đè.", who=who)
    else:
        message = _("%(who)s vừa lưu điểm %(points)s cho ô này trong lúc bạn đang sửa. Hãy chọn lấy giá trị đó hoặc ghi đè.",
                    who=who, points=points_vi(cell.points))
    return Conflict(message, current=cell.to_current())


def _clean_note(note) -> str | None:
    if note is None:
        return None
    if not isinstance(note, str):
        raise ValidationFailed(_("Ghi chú phải là chuỗi ký tự."), errors={"note": _("Cần một chuỗi ký tự.")})
    checked_text(note, "note", label=_("Ghi chú"), multiline=True)
    text = "\n".join(line.strip() for line in nfc(note).strip().splitlines()).strip()
    if len(text) > 2000:
        raise ValidationFailed(_("Ghi chú dài tối đa 2000 ký tự."), errors={"note": _("Quá dài.")})
    return text


def parse_points(criterion: Criterion, raw) -> Decimal | None:
    """Parse points typed for a criterion, raising a Vietnamese 422 naming the allowed range."""
    try:
        return rules.parse_points(raw, max_points=criterion.max_points)
    except rules.PointsError:
        message = _("Điểm phải là số từ 0 đến %(max)s, tối đa hai chữ số thập phân.", max=points_vi(criterion.max_points))
        raise ValidationFailed(message, errors={"points": message}) from None


def _editable_message(status: str, stage: str) -> str:
    if stage == "appraisal":
        if status == "draft":
            return _("Chưa đến bước thẩm định: kết quả của khối chưa được gửi.")
        return _("Kết quả đã ở trạng thái “%(status)s”; điểm thẩm định không sửa được nữa.", status=STATUS_LABELS[status])
    return _("Kết quả của khối đã ở trạng thái “%(status)s”; điểm %(stage)s không sửa được nữa.",
             status=STATUS_LABELS[status], stage=str(STAGE_LABELS[stage]).lower())


def _check_writable(table: CriteriaTable, scorecard: Scorecard, stage: str, *, status=None, submitted_at=None) -> None:
    status = status if status is not None else table.status
    if not rules.stage_editable(status, stage):
        raise Conflict(_editable_message(status, stage), current={"status": status})
    submitted = submitted_at if submitted_at is not None else scorecard.self_submitted_at
    if stage == "self" and submitted:
        raise Conflict(_("Bản tự chấm của %(unit)s đã gửi nên không sửa được. Cần sửa thì đề nghị Ban Thi đua - Khen thưởng trả lại.",
                         unit=scorecard.unit.name), current={"self_submitted": True})


def save_score(actor, scorecard: Scorecard, criterion: Criterion, stage: str, raw_points, version, *, note=None,
               commit: bool = True) -> Cell:
    """Save one cell if it is still at `version`; refuse stale (409), bad points (422), wrong stage or status.

    Returns the saved cell. On refusal nothing is stored (the transaction is rolled back when `commit`).
    """
    try:
        cell = _write_score(actor, scorecard, criterion, stage, raw_points, version, note=note)
    except ServiceError:
        if commit:
            db.session.rollback()
        raise
    if commit:
        db.session.commit()
    return cell


def _write_score(actor, scorecard, criterion, stage, raw_points, version, *, note=None) -> Cell:
    table = scorecard.table
    if stage not in STAGES:
        raise NotFound(_("Giai đoạn chấm không hợp lệ: %(stage)s.", stage=stage))
    if criterion.table_id != scorecard.table_id:
        raise NotFound(_("Không tìm thấy tiêu chí này trong bảng điểm."))
    if not can_edit_stage(actor, scorecard, stage):
        raise Forbidden(_("Tài khoản của bạn không có quyền chấm điểm %(stage)s cho đơn vị này.",
                          stage=str(STAGE_LABELS[stage]).lower()))
    points = parse_points(criterion, raw_points)
    expected = version_arg(version)
    note = _clean_note(note)
    _check_writable(table, scorecard, stage)

    current = _read_cell(scorecard.id, criterion.id, stage)
    new_note = current.note if note is None else note
    if current.version and current.points == points and current.note == new_note:
        # Nothing to change — also when another scorer stored the very same value meanwhile: two people
        # agreeing is no conflict ("Lấy giá trị 4 / Ghi đè bằng 4" asked nothing). No write, no audit line.
        return current
    if current.version != expected:
        raise _conflict(current)

    now = utcnow()
    if not table.locked:
        # Scoring has started: the criteria table locks in the same transaction as the first score.
        locked = db.session.execute(sa.update(CriteriaTable).where(CriteriaTable.id == table.id, CriteriaTable.locked.is_(False))
                                    .values(locked=True, locked_at=now, version=CriteriaTable.version + 1)
                                    .execution_options(synchronize_session=False)).rowcount
        if locked:
            audit.record(actor, "criteria.lock", "criteria_table", table.key, after={"locked": True, "auto": True},
                         summary=f"Bảng điểm {table.key} tự khóa khi bắt đầu chấm điểm")
    values = {"points": points, "note": new_note, "updated_at": now, "updated_by_id": getattr(actor, "id", None),
              "updated_by": getattr(actor, "username", None) or "system", "seq": next_seq(table.id)}
    if expected == 0:
        written = insert_ignoring_conflicts(Score.__table__, [{
            "scorecard_id": scorecard.id, "criterion_id": criterion.id, "stage": stage, "version": 1, **values}])
    else:
        written = db.session.execute(
            sa.update(Score.__table__)
            .where(Score.scorecard_id == scorecard.id, Score.criterion_id == criterion.id, Score.stage == stage,
                   Score.version == expected)
            .values(version=Score.version + 1, **values)).rowcount
    if written != 1:
        # No write happened, so the transaction (maybe holding other cells of a batch) is still sound.
        other = _read_cell(scorecard.id, criterion.id, stage)
        if other.points == points and other.note == new_note:
            return other  # another scorer stored the same meanwhile: no conflict
        db.session.rollback()
        raise _conflict(other)

    # After the write (this transaction now holds the write lock on SQLite, a share lock on PostgreSQL):
    # a status change or a self-score submission that committed meanwhile is seen here, and wins.
    state = db.session.execute(
        sa.select(CriteriaTable.status, Scorecard.self_submitted_at).join(Scorecard, Scorecard.table_id == CriteriaTable.id)
        .where(Scorecard.id == scorecard.id).with_for_update(read=True)
    ).one()
    if not rules.stage_editable(state.status, stage) or (stage == "self" and state.self_submitted_at is not None):
        db.session.rollback()
        _check_writable(table, scorecard, stage, status=state.status, submitted_at=state.self_submitted_at or False)

    saved = Cell(points=points, version=expected + 1, note=new_note, updated_by=values["updated_by"], updated_at=now)
    unit_name = scorecard.unit.name
    audit.record(actor, "score", "scorecard", scorecard.id,
                 before={"criterion": criterion.id, "stage": stage, "points": rules.format_points(current.points),
                         "note": current.note, "version": current.version},
                 after={"criterion": criterion.id, "stage": stage, "points": rules.format_points(points), "note": new_note,
                        "version": saved.version},
                 summary=(f"{rules.STAGE_LABELS[stage]} {unit_name}: “{criterion.title[:80]}” "
                          f"{points_vi(current.points) or '—'} → {points_vi(points) or '—'}"))
    return saved


def next_seq(table_id: int) -> int:
    """Take the table's next score-feed number (in the current transaction; its row lock orders the writers)."""
    return db.session.execute(sa.update(CriteriaTable).where(CriteriaTable.id == table_id)
                              .values(score_seq=CriteriaTable.score_seq + 1).returning(CriteriaTable.score_seq)
                              .execution_options(synchronize_session=False)).scalar_one()


def _self_scores_changed(scorecard: Scorecard) -> None:
    """A self-score sent or returned becomes visible or hidden to others: its cells go on the feed again."""
    seq = next_seq(scorecard.table_id)
    db.session.execute(sa.update(Score.__table__).where(Score.scorecard_id == scorecard.id, Score.stage == "self")
                       .values(seq=seq))


@dataclass
class CellChange:
    """One cell of a whole-sheet save (the plain-form fallback of the htmx sheet)."""

    scorecard: Scorecard
    criterion: Criterion
    stage: str
    raw: Any
    version: Any
    note: Any = None


def save_many(actor, changes: list[CellChange]) -> int:
    """Save several cells in one transaction: all of them, or none with a message per refused cell."""
    errors: dict[str, str] = {}
    conflicts: dict[str, dict] = {}
    status = 422
    for change in changes:
        key = f"{change.scorecard.id}-{change.criterion.id}-{change.stage}"
        try:
            _write_score(actor, change.scorecard, change.criterion, change.stage, change.raw, change.version, note=change.note)
        except Conflict as exc:
            errors[key] = exc.message
            if exc.current and "version" in exc.current:
                conflicts[key] = exc.current
            status = 409 if status != 403 else status
        except Forbidden as exc:
            errors[key] = exc.message
            status = 403
        except ServiceError as exc:
            errors[key] = exc.errors.get("points") or exc.message
    if errors:
        db.session.rollback()
        cls = {409: Conflict, 403: Forbidden}.get(status, ValidationFailed)
        raise cls(_("%(n)s ô chưa lưu được; chưa có điểm nào trong lần lưu này được ghi. Hãy xem các ô được đánh dấu.",
                    n=len(errors)), errors=errors, current=conflicts or None)
    db.session.commit()
    return len(changes)


def save_form(actor, table: CriteriaTable, stage: str, entries: list[tuple]) -> int:
    """Save a whole submitted form (sheet or scorecard without JavaScript): the changed cells, all or none.

    `entries` are (scorecard id, criterion id, typed points, version, note or None). A cell counts as
    changed when what was typed differs from what is stored now; a stale version on a changed cell is
    a conflict like any other.
    """
    cards = {m.scorecard.id: m.scorecard for m in members(table)}
    criteria = {c.id: c for c in criteria_of(table)}
    current: dict[tuple[int, int], Cell] = {}
    if cards:
        for r in db.session.execute(sa.select(Score.scorecard_id, Score.criterion_id, Score.points, Score.version, Score.note)
                                    .where(Score.scorecard_id.in_(list(cards)), Score.stage == stage)):
            current[(r.scorecard_id, r.criterion_id)] = Cell(None if r.points is None else rules.normalize_points(r.points),
                                                             r.version, r.note or "")
    changes, errors = [], {}
    for sc_id, cr_id, raw, version, note in entries:
        key = f"{sc_id}-{cr_id}-{stage}"
        if sc_id not in cards or cr_id not in criteria:
            errors[key] = _("Không tìm thấy ô điểm này.")
            continue
        try:
            points = parse_points(criteria[cr_id], raw)
            cleaned_note = _clean_note(note)
        except ValidationFailed as exc:
            errors[key] = exc.errors.get("points") or exc.message
            continue
        now = current.get((sc_id, cr_id), EMPTY)
        if points == now.points and (cleaned_note is None or cleaned_note == now.note):
            continue
        changes.append(CellChange(cards[sc_id], criteria[cr_id], stage, raw, version, note))
    if errors:
        raise ValidationFailed(_("%(n)s ô chưa lưu được; chưa có điểm nào trong lần lưu này được ghi. Hãy xem các ô được đánh dấu.",
                                 n=len(errors)), errors=errors)
    if not changes:
        return 0
    return save_many(actor, changes)


def _unsaved_cells(scorecard: Scorecard, criteria: list[Criterion], shown: dict[int, Any]) -> dict[str, str]:
    """Cells whose points, as the form shows them, are not what is stored: refused or not saved yet."""
    by_id = {c.id: c for c in criteria}
    stored = {r.criterion_id: r.points for r in db.session.execute(
        sa.select(Score.criterion_id, Score.points).where(Score.scorecard_id == scorecard.id, Score.stage == "self"))}
    problems = {}
    for criterion_id, raw in shown.items():
        if criterion_id not in by_id:
            continue
        key = f"{scorecard.id}-{criterion_id}-self"
        try:
            points = parse_points(by_id[criterion_id], raw)
        except ValidationFailed as exc:
            problems[key] = exc.errors.get("points") or exc.message
            continue
        old = stored.get(criterion_id)
        if points != (None if old is None else rules.normalize_points(old)):
            problems[key] = _("Chưa lưu: điểm đang lưu là %(old)s.", old=points_vi(old) or "—")
    return problems


def submit_self(actor, scorecard: Scorecard, *, shown: dict[int, Any] | None = None) -> None:
    """Send the unit's self-score to the bloc (then it is read-only for the unit); every scored item needs points.

    `shown` is {criterion id: points as typed} of the form the officer submits from: while any of them is
    refused or not saved, nothing is sent — the stored values must never go out in place of what is on screen.
    """
    policy.require(actor, "scoring.self.edit", scorecard)
    _check_writable(scorecard.table, scorecard, "self")
    criteria = criteria_of(scorecard.table)
    if not criteria:
        raise ValidationFailed(_("Bảng điểm chưa có tiêu chí nào."))
    unsaved = _unsaved_cells(scorecard, criteria, shown or {})
    if unsaved:
        raise ValidationFailed(_("Chưa gửi: còn %(n)s ô chưa lưu hoặc bị từ chối (đánh dấu đỏ). Hãy sửa và lưu các ô đó rồi gửi lại.",
                                 n=len(unsaved)), errors=unsaved)
    given = {r.criterion_id for r in db.session.execute(
        sa.select(Score.criterion_id).where(Score.scorecard_id == scorecard.id, Score.stage == "self", Score.points.is_not(None)))}
    missing = [c for c in criteria if c.kind == "scored" and c.id not in given]
    if missing:
        names = "; ".join(c.title[:60] for c in missing[:5]) + ("…" if len(missing) > 5 else "")
        raise ValidationFailed(_("Còn %(n)s tiêu chí chưa tự chấm: %(names)s.", n=len(missing), names=names),
                               errors={f"criterion:{c.id}": _("Chưa chấm.") for c in missing})
    now = utcnow()
    done = db.session.execute(sa.update(Scorecard).where(Scorecard.id == scorecard.id, Scorecard.self_submitted_at.is_(None))
                              .values(self_submitted_at=now, self_submitted_by=actor.username)
                              .execution_options(synchronize_session=False)).rowcount
    if not done:
        db.session.rollback()
        raise Conflict(_("Bản tự chấm này đã được gửi."))
    _self_scores_changed(scorecard)
    audit.record(actor, "self.submit", "scorecard", scorecard.id, after={"self_submitted": True},
                 summary=f"{scorecard.unit.name} gửi bản tự chấm")
    db.session.commit()


def return_self(actor, scorecard: Scorecard, reason: str) -> None:
    """Give a submitted self-score back to its unit for corrections (Board, with a reason)."""
    policy.require(actor, "scoring.board", scorecard)
    reason = checked_text(reason if isinstance(reason, str) else "", "reason", label=_("Lý do"))
    if not reason:
        raise ValidationFailed(_("Phải nêu lý do trả lại bản tự chấm."), errors={"reason": _("Bắt buộc.")})
    if scorecard.table.status != "draft":
        raise Conflict(_("Kết quả của khối đã gửi; không trả lại bản tự chấm được."))
    done = db.session.execute(sa.update(Scorecard).where(Scorecard.id == scorecard.id, Scorecard.self_submitted_at.is_not(None))
                              .values(self_submitted_at=None, self_submitted_by=None)
                              .execution_options(synchronize_session=False)).rowcount
    if not done:
        db.session.rollback()
        raise Conflict(_("Bản tự chấm này chưa được gửi."))
    _self_scores_changed(scorecard)
    audit.record(actor, "self.return", "scorecard", scorecard.id, before={"self_submitted": True},
                 after={"self_submitted": False, "reason": reason}, summary=f"Trả lại bản tự chấm của {scorecard.unit.name}: {reason}"[:300])
    db.session.commit()


def copy_bloc_to_appraisal(actor, scorecard: Scorecard) -> int:
    """Fill the appraisal scores not yet entered with the bloc's scores (Board), audited cell by cell."""
    policy.require(actor, "scoring.board", scorecard)
    _check_writable(scorecard.table, scorecard, "appraisal")
    bloc = {r.criterion_id: r.points for r in db.session.execute(
        sa.select(Score.criterion_id, Score.points).where(Score.scorecard_id == scorecard.id, Score.stage == "bloc",
                                                          Score.points.is_not(None)))}
    have = {r.criterion_id for r in db.session.execute(
        sa.select(Score.criterion_id).where(Score.scorecard_id == scorecard.id, Score.stage == "appraisal"))}
    criteria = {c.id: c for c in criteria_of(scorecard.table)}
    count = 0
    for criterion_id, points in bloc.items():
        if criterion_id in have or criterion_id not in criteria:
            continue
        _write_score(actor, scorecard, criteria[criterion_id], "appraisal", rules.format_points(points), 0)
        count += 1
    db.session.commit()
    return count



def totals_by_scorecard(table: CriteriaTable, *, include_draft_self: bool = False) -> dict[int, dict[str, Decimal | None]]:
    """Return {scorecard id: {stage: total}} in one query; a stage with no points has no total (None).

    A self-score counts only once submitted (its unit sees its own draft total on its own page).
    """
    signed = sa.case((Criterion.kind == "deduction", -Score.points), else_=Score.points)
    query = (sa.select(Score.scorecard_id, Score.stage, sa.type_coerce(sa.func.sum(signed), TOTAL))
             .join(Criterion, Criterion.id == Score.criterion_id)
             .join(Scorecard, Scorecard.id == Score.scorecard_id)
             .where(Scorecard.table_id == table.id, Score.points.is_not(None))
             .group_by(Score.scorecard_id, Score.stage))
    if not include_draft_self:
        query = query.where(sa.or_(Score.stage != "self", Scorecard.self_submitted_at.is_not(None)))
    totals: dict[int, dict[str, Decimal | None]] = defaultdict(lambda: {s: None for s in STAGES})
    for scorecard_id, stage, value in db.session.execute(query):
        totals[scorecard_id][stage] = rules.normalize_points(Decimal(value))
    return totals


def bloc_complete(table: CriteriaTable) -> dict[int, bool]:
    """Return {scorecard id: whether it has a bloc score on every scored item} in two queries.

    The one rule of draft results (DESIGN §4.1): a unit lacking any is "chưa chấm đủ", unranked and unclassified.
    """
    needed = db.session.scalar(sa.select(sa.func.count(Criterion.id))
                               .where(Criterion.table_id == table.id, Criterion.kind == "scored")) or 0
    given = dict(db.session.execute(
        sa.select(Score.scorecard_id, sa.func.count(Score.criterion_id))
        .join(Criterion, Criterion.id == Score.criterion_id).join(Scorecard, Scorecard.id == Score.scorecard_id)
        .where(Scorecard.table_id == table.id, Score.stage == "bloc", Score.points.is_not(None), Criterion.kind == "scored")
        .group_by(Score.scorecard_id)).all())
    return defaultdict(lambda: needed == 0, {card: count >= needed for card, count in given.items()})


def own_total(scorecard: Scorecard, stage: str) -> Decimal | None:
    """Return one scorecard's total of one stage, drafts included (for the unit's own page)."""
    signed = sa.case((Criterion.kind == "deduction", -Score.points), else_=Score.points)
    row = db.session.execute(
        sa.select(sa.type_coerce(sa.func.sum(signed), TOTAL), sa.func.count(Score.points))
        .join(Criterion, Criterion.id == Score.criterion_id)
        .where(Score.scorecard_id == scorecard.id, Score.stage == stage, Score.points.is_not(None))).one()
    return rules.normalize_points(Decimal(row[0])) if row[1] else None


# --- history and overview -------------------------------------------------------------------------

@dataclass
class HistoryLine:
    event: audit.AuditEvent
    criterion: str
    stage: str
    old: str
    new: str
    note_changed: bool
    who: str = ""


def can_read_history(user, scorecard: Scorecard) -> bool:
    """Whether the user may read a scorecard's history: its own unit, the bloc's leader that year and the Board."""
    table = scorecard.table
    return bool(visible_stages(user, table, scorecard)) and (
        user.unit_id == scorecard.unit_id or policy.can(user, "scoring.sheet", table.bloc, year=table.year))


def scorecard_history(scorecard: Scorecard, stages: list[str] | tuple[str, ...] = STAGES) -> list[HistoryLine]:
    """Return the audited changes of a scorecard, newest first, with the criterion's title and who made them.

    Only the score changes of `stages` are listed (the reader's `visible_stages`): a unit's self-score
    stays its own, points and notes alike, until it is submitted (issue 11, item 8).
    """
    titles = {}
    for row in criteria_rows(criteria_of(scorecard.table)):
        if row.kind == "item":
            titles[row.criterion.id] = f"{row.number} {row.criterion.title}"
    events = [e for e in audit.events_for("scorecard", scorecard.id, limit=5000)
              if e.action != "score" or (e.after or e.before or {}).get("stage") in stages]
    names = people.event_names(events)
    lines = []
    for event in events:
        before, after = event.before or {}, event.after or {}
        criterion = titles.get(after.get("criterion") or before.get("criterion"), "")
        stage = after.get("stage") or ""
        lines.append(HistoryLine(event=event, criterion=criterion, stage=str(STAGE_LABELS.get(stage, "")),
                                 old=_vi(before.get("points")), new=_vi(after.get("points")),
                                 note_changed=before.get("note") != after.get("note") and event.action == "score",
                                 who=names.actor(event)))
    return lines


def _vi(points: str | None) -> str:
    return "" if points is None else points.replace(".", ",")


def parse_feed_token(token) -> int | None:
    """The `since` token of the score feed: the feed number the caller has seen (absent: everything)."""
    if token is None or token == "":
        return None
    text = str(token).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise ValidationFailed(_("Mã «since» không hợp lệ; hãy dùng «token» của lần đọc trước."), errors={"since": _("Cần một số.")})
    return int(text)


def scores_json(user, table: CriteriaTable, *, since: int | None = None) -> dict:
    """Every scorecard the user may see, each with every criterion × visible stage (version 0 when never set).

    With `since` (a feed token of an earlier answer) only the scores written after it come, in fixed queries,
    with the new `token`: the live meeting sheet polls this. A token the feed hasn't reached (a restored
    database) answers everything again with `"reset": true`.
    """
    criteria = criteria_of(table)
    the_members = members(table)
    token = db.session.scalar(sa.select(CriteriaTable.score_seq).where(CriteriaTable.id == table.id)) or 0
    reset = since is not None and since > token
    if reset:
        since = None
    visible = []
    for m in the_members:
        stages = visible_stages(user, table, m.scorecard)
        if stages:
            visible.append((m, stages))
    ids = [m.scorecard.id for m, _s in visible]
    cells: dict[tuple[int, int, str], Cell] = {}
    if ids:
        query = sa.select(Score.scorecard_id, Score.criterion_id, Score.stage, Score.points, Score.version,
                          Score.note).where(Score.scorecard_id.in_(ids))
        if since is not None:
            query = query.where(Score.seq > since, Score.seq <= token)
        for r in db.session.execute(query):
            cells[(r.scorecard_id, r.criterion_id, r.stage)] = Cell(
                None if r.points is None else rules.normalize_points(r.points), r.version, r.note or "")
    cards = []
    for m, stages in visible:
        scores = []
        for c in criteria:
            for stage in stages:
                cell = cells.get((m.scorecard.id, c.id, stage))
                if cell is None and since is not None:
                    continue
                cell = cell or EMPTY
                entry = {"criterion": c.id, "stage": stage, "points": rules.format_points(cell.points), "version": cell.version}
                if cell.note:
                    entry["note"] = cell.note
                scores.append(entry)
        if scores or since is None:
            cards.append({"id": m.scorecard.id, "unit": {"code": m.unit.code, "name": m.unit.name},
                          "self_submitted": m.scorecard.self_submitted_at is not None, "scores": scores})
    answer = {"bloc": table.bloc.code, "year": table.year, "status": table.status, "criteria_version": table.version,
              "token": str(token), "scorecards": cards}
    if since is None:
        answer["criteria"] = [c.to_dict() for c in criteria]
    if reset:
        answer["reset"] = True
    return answer
