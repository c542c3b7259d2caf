"""Progress of a year's schedule: each bloc's (and unit's) status per milestone, derived from the archive
or from a hand check-off, computed in a fixed number of queries whatever the number of blocs, units
or documents."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import audit, people
from portal.auth import policy
from portal.documents.models import Document
from portal.errors import Conflict, NotFound, ValidationFailed, control_message
from portal.extensions import db
from portal.org import services as org
from portal.org.models import Bloc, Membership, Unit
from portal.schedule.models import Milestone, MilestoneCheck
from portal.schedule.services import get_milestone, milestones_for_year, split_evidence
from portal.text import UnsafeText, check_plain_text, parse_date, today_local, vi_key

STATUSES = ("not_open", "open", "due_soon", "overdue", "done_on_time", "done_late")
STATUS_LABELS = {
    "not_open": _l("Chưa đến kỳ"), "open": _l("Đang thực hiện"), "due_soon": _l("Sắp đến hạn"),
    "overdue": _l("Quá hạn"), "done_on_time": _l("Xong đúng hạn"), "done_late": _l("Xong trễ hạn"),
}
# Shapes as well as colours: a cell must read the same in grey print and for colour-blind eyes.
STATUS_ICONS = {"not_open": "○", "open": "◔", "due_soon": "⚠", "overdue": "✗", "done_on_time": "✓", "done_late": "◷"}
DUE_SOON_DAYS = 7
NOTE_MAX = 500
ROLE_ORDER = {"leader": 0, "deputy": 1, "member": 2}


def derive_status(*, opens_on: date, due_on: date, done_on: date | None, today: date) -> str:
    """Return the status of one cell: done (on time or late) if done, else where today falls in the window."""
    if done_on is not None:
        return "done_on_time" if done_on <= due_on else "done_late"
    if today < opens_on:
        return "not_open"
    if today > due_on:
        return "overdue"
    if (due_on - today).days <= DUE_SOON_DAYS:
        return "due_soon"
    return "open"


def opens_on(milestone: Milestone) -> date:
    """Return the first day of a milestone's window; an open start opens with its year."""
    return milestone.starts_on or date(milestone.year, 1, 1)


@dataclass(frozen=True, slots=True)
class UnitRef:
    """What the grid shows of a unit (read as plain columns: hundreds of ORM objects per page cost more than the rest)."""

    id: int
    code: str
    name: str
    short_name: str

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


@dataclass(frozen=True, slots=True)
class Member:
    """A unit's place in a bloc for the year."""

    unit: UnitRef
    role: str

    @property
    def unit_id(self) -> int:
        return self.unit.id


@dataclass
class Evidence:
    """The archived document that proves a cell done."""

    document_id: int
    number: str | None
    title: str
    done_on: date

    def to_dict(self) -> dict:
        return {"kind": "document", "document": self.document_id, "number": self.number, "title": self.title,
                "date": self.done_on.isoformat()}


@dataclass(slots=True)
class UnitCell:
    """One unit's status for a per-unit milestone."""

    milestone: Milestone
    unit: UnitRef
    role: str
    status: str
    done_on: date | None
    evidence: Evidence | None
    check: MilestoneCheck | None
    today: date

    @property
    def days_late(self) -> int:
        return (self.done_on - self.milestone.due_on).days if self.done_on else (self.today - self.milestone.due_on).days

    @property
    def days_left(self) -> int:
        return (self.milestone.due_on - self.today).days


@dataclass
class Cell:
    """One bloc's status for one milestone (for a per-unit milestone: its units together)."""

    milestone: Milestone
    bloc: Bloc
    status: str
    done_on: date | None
    evidence: Evidence | None
    check: MilestoneCheck | None
    today: date
    units_done: int = 0
    units_late: int = 0
    units_total: int = 0
    # (members, evidence by (milestone, unit), check-offs): the units' cells are built only when shown.
    unit_source: tuple | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        return f"{self.milestone.id}-{self.bloc.code}"

    @property
    def per_unit(self) -> bool:
        return self.milestone.scope == "unit"

    @cached_property
    def units(self) -> list[UnitCell]:
        """Return each unit's cell, leader and deputy first (per-unit milestones only)."""
        if self.unit_source is None:
            return []
        members, by_unit, checks = self.unit_source
        m, opening = self.milestone, opens_on(self.milestone)
        out = []
        for member in members:
            check = checks.get((m.id, self.bloc.id, member.unit.id))
            evidence = by_unit.get((m.id, member.unit.id))
            done_on = _first_done(evidence.done_on if evidence else None, check.done_on if check else None)
            out.append(UnitCell(m, member.unit, member.role,
                                derive_status(opens_on=opening, due_on=m.due_on, done_on=done_on, today=self.today),
                                done_on, evidence, check, self.today))
        return out

    @property
    def days_left(self) -> int:
        return (self.milestone.due_on - self.today).days

    @property
    def days_late(self) -> int:
        return (self.done_on - self.milestone.due_on).days if self.done_on else (self.today - self.milestone.due_on).days

    @property
    def done(self) -> bool:
        return self.done_on is not None

    def to_dict(self) -> dict:
        """Return the cell as the progress API shows it."""
        evidence = None
        if self.evidence and (self.check is None or self.evidence.done_on <= self.check.done_on):
            evidence = self.evidence.to_dict()
        elif self.check is not None:
            evidence = {"kind": "manual", **self.check.to_dict()}
        out = {"seq": self.milestone.seq, "status": self.status,
               "starts_on": self.milestone.starts_on.isoformat() if self.milestone.starts_on else None,
               "due_on": self.milestone.due_on.isoformat(),
               "done_on": self.done_on.isoformat() if self.done_on else None, "evidence": evidence}
        if self.per_unit:
            out["units"] = {"done": self.units_done, "late": self.units_late, "total": self.units_total}
        return out


@dataclass
class BlocRow:
    """One bloc of the grid: its members that year and a cell per milestone."""

    bloc: Bloc
    members: list[Member]
    cells: list[Cell]

    @property
    def leader(self) -> UnitRef | None:
        return next((m.unit for m in self.members if m.role == "leader"), None)


@dataclass
class Progress:
    """A year's grid: blocs (rows) × milestones (columns), with where today falls among the columns."""

    year: int
    today: date
    milestones: list[Milestone]
    rows: list[BlocRow]
    today_index: int | None  # the marker goes before this column; None when today is outside the year's schedule

    def row(self, bloc_id: int) -> BlocRow | None:
        return next((r for r in self.rows if r.bloc.id == bloc_id), None)

    def counts(self) -> Counter:
        return Counter(cell.status for row in self.rows for cell in row.cells)

    def to_dict(self) -> dict:
        """Return the progress API's body."""
        return {
            "year": self.year, "today": self.today.isoformat(),
            "milestones": [m.to_dict() for m in self.milestones],
            "blocs": [{"bloc": {"code": r.bloc.code, "name": r.bloc.name},
                       "milestones": [c.to_dict() for c in r.cells]} for r in self.rows],
        }


# --- computing ----------------------------------------------------------------------------------

def _local_date(column, dialect: str):
    """The calendar day in Asia/Ho_Chi_Minh of a UTC timestamp column, in SQL."""
    if dialect == "postgresql":
        return sa.func.date(sa.func.timezone("Asia/Ho_Chi_Minh", column), type_=sa.Date)
    # SQLite keeps UTC text; Viet Nam has been UTC+7 all year round since 1975 (no daylight saving).
    return sa.func.date(column, "+7 hours", type_=sa.Date)


def _evidence_rows(milestones: list[Milestone], today: date) -> list:
    """Return, per milestone and bloc/unit, the earliest qualifying document (one query for the year).

    A document qualifies when it is not deleted, belongs to the milestone's year, is of the evidence
    type (and report kind), and is dated on or after the window's start (on time or late) and not
    after today. Its date is the issue date, else the local day it was uploaded.
    """
    proving = [m for m in milestones if m.evidence_type]
    if not proving:
        return []
    shape = tuple((m.scope, m.evidence_type, m.starts_on is not None) for m in proving)
    params = {"year": proving[0].year, "today": today}
    for i, m in enumerate(proving):
        params[f"m{i}"] = m.id
        if m.starts_on:
            params[f"s{i}"] = m.starts_on
    return list(db.session.execute(_evidence_statement(db.engine.dialect.name, shape), params))


@lru_cache(maxsize=64)
def _evidence_statement(dialect: str, shape: tuple[tuple[str, str, bool], ...]):
    """Build the evidence query for a schedule's shape once: building it cost more than running it."""
    day = sa.func.coalesce(Document.issue_date, _local_date(Document.uploaded_at, dialect), type_=sa.Date)
    # Read the day as text: SQLAlchemy's SQLite date parsing of ~1,000 rows costs more than the query.
    day_text = sa.type_coerce(day, sa.String)
    # Expressions, not bare columns: on the bare unit_id the planner picks that index (most documents
    # have no unit) over (year, type) and reads half the archive per milestone.
    no_unit = sa.func.coalesce(Document.unit_id, 0) == 0
    has_bloc = sa.func.coalesce(Document.bloc_id, 0) != 0
    selects = []
    for i, (scope, evidence_type, has_start) in enumerate(shape):
        doc_type, kind = split_evidence(evidence_type)
        q = sa.select(sa.cast(sa.bindparam(f"m{i}", type_=sa.Integer), sa.Integer).label("milestone_id"),
                      Document.id.label("document_id"), Document.bloc_id.label("bloc_id"), Document.unit_id.label("unit_id"),
                      day_text.label("done_on"), Document.number.label("number"), Document.title.label("title"))
        q = q.where(Document.year == sa.bindparam("year", type_=sa.Integer), Document.type == doc_type,
                    Document.deleted_at.is_(None), day <= sa.bindparam("today", type_=sa.Date))
        if kind:
            q = q.where(Document.report_kind == kind)
        if has_start:
            q = q.where(day >= sa.bindparam(f"s{i}", type_=sa.Date))
        if scope == "bloc":  # the bloc's own document, not one of its units'
            q = q.where(has_bloc, no_unit)
        elif scope == "unit":
            q = q.where(~no_unit)
        else:  # the Board's or the council's: a document the Board filed, about the bloc or province-wide
            q = q.where(no_unit, Document.filed_by_board.is_(True))
        selects.append(q)
    union = sa.union_all(*selects).subquery()
    ranked = sa.select(
        union, sa.func.row_number().over(partition_by=[union.c.milestone_id, union.c.bloc_id, union.c.unit_id],
                                         order_by=[union.c.done_on, union.c.document_id]).label("rank")
    ).subquery()
    return sa.select(ranked).where(ranked.c.rank == 1)


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _members(year: int) -> dict[int, list[Member]]:
    """Return {bloc id: members} for the year: leader, deputy, then members in Vietnamese order of name."""
    rows = db.session.execute(
        sa.select(Membership.bloc_id, Membership.role, Unit.id, Unit.code, Unit.name, Unit.short_name)
        .join(Unit, Unit.id == Membership.unit_id).where(Membership.year == year)
    )
    members: dict[int, list[Member]] = {}
    for bloc_id, role, unit_id, code, name, short_name in rows:
        members.setdefault(bloc_id, []).append(Member(UnitRef(unit_id, code, name, short_name or ""), role))
    for bloc_members in members.values():
        bloc_members.sort(key=lambda m: (ROLE_ORDER[m.role], vi_key(m.unit.name)))
    return members


def _earliest(store: dict, key, evidence: Evidence) -> None:
    if key not in store or evidence.done_on < store[key].done_on:
        store[key] = evidence


def _first_done(a: date | None, b: date | None) -> date | None:
    if a is None or b is None:
        return a or b
    return min(a, b)


def year_progress(year, *, today: date | None = None) -> Progress:
    """Compute the year's grid in five queries: blocs, memberships, milestones, evidence, check-offs."""
    year = org.check_year(year)
    today = today or today_local()
    blocs = org.list_blocs()
    members = _members(year)
    milestones = milestones_for_year(year)
    shown = [b for b in blocs if b.id in members] if members else [b for b in blocs if b.active]

    by_bloc: dict[tuple, Evidence] = {}
    by_unit: dict[tuple, Evidence] = {}
    province: dict[int, Evidence] = {}
    scope_of = {m.id: m.scope for m in milestones}
    for r in _evidence_rows(milestones, today):
        evidence = Evidence(r.document_id, r.number, r.title or "", _as_date(r.done_on))
        scope = scope_of[r.milestone_id]
        if scope == "unit":
            _earliest(by_unit, (r.milestone_id, r.unit_id), evidence)
        elif r.bloc_id is not None:
            _earliest(by_bloc, (r.milestone_id, r.bloc_id), evidence)
        else:
            _earliest(province, r.milestone_id, evidence)

    checks: dict[tuple, MilestoneCheck] = {}
    if milestones:
        for c in db.session.scalars(sa.select(MilestoneCheck).join(Milestone).where(Milestone.year == year)):
            checks[(c.milestone_id, c.bloc_id, c.unit_id)] = c

    # The milestones' facts read once (ORM attribute reads inside the bloc × unit loops add up).
    columns = [(m, m.id, m.scope, opens_on(m), m.due_on) for m in milestones]
    rows = []
    for bloc in shown:
        bloc_id = bloc.id
        bloc_members = members.get(bloc_id, [])
        cells = []
        for m, mid, scope, opening, due in columns:
            check = checks.get((mid, bloc_id, None))
            if scope == "unit":
                done_count = late_count = 0
                last = None
                for member in bloc_members:
                    unit_check = checks.get((mid, bloc_id, member.unit.id))
                    evidence = by_unit.get((mid, member.unit.id))
                    day = _first_done(evidence.done_on if evidence else None, unit_check.done_on if unit_check else None)
                    if day is not None:
                        done_count += 1
                        late_count += day > due
                        last = day if last is None or day > last else last
                if check is not None:
                    done_on = check.done_on
                elif bloc_members and done_count == len(bloc_members):
                    done_on = last
                else:
                    done_on = None
                status = derive_status(opens_on=opening, due_on=due, done_on=done_on, today=today)
                cells.append(Cell(m, bloc, status, done_on, None, check, today, done_count, late_count, len(bloc_members),
                                  (bloc_members, by_unit, checks)))
                continue
            evidence = by_bloc.get((mid, bloc_id))
            if evidence is None and scope != "bloc":
                evidence = province.get(mid)
            done_on = _first_done(evidence.done_on if evidence else None, check.done_on if check else None)
            status = derive_status(opens_on=opening, due_on=due, done_on=done_on, today=today)
            cells.append(Cell(m, bloc, status, done_on, evidence, check, today))
        rows.append(BlocRow(bloc, bloc_members, cells))
    return Progress(year, today, milestones, rows, _today_index(milestones, today))


def _today_index(milestones: list[Milestone], today: date) -> int | None:
    if not milestones:
        return None
    first = min(opens_on(m) for m in milestones)
    last = max(m.due_on for m in milestones)
    if not first <= today <= last:
        return None
    return sum(1 for m in milestones if m.due_on < today)


@dataclass
class Deadline:
    """A milestone still to do for an officer's unit or bloc."""

    milestone: Milestone
    status: str
    for_unit: bool  # the unit's own step (else the bloc's)
    days: int  # days left (negative: days overdue)


def next_deadlines(progress: Progress, unit_id: int | None, *, limit: int = 6) -> tuple[BlocRow | None, list[Deadline]]:
    """Return the unit's bloc row that year and its own and its bloc's steps not yet done, soonest first."""
    if unit_id is None:
        return None, []
    for row in progress.rows:
        if not any(m.unit_id == unit_id for m in row.members):
            continue
        items = []
        for cell in row.cells:
            m = cell.milestone
            if m.scope == "bloc" and not cell.done:
                items.append(Deadline(m, cell.status, False, cell.days_left))
            elif m.scope == "unit" and cell.check is None:
                mine = next((u for u in cell.units if u.unit.id == unit_id), None)
                if mine is not None and mine.done_on is None:
                    items.append(Deadline(m, mine.status, True, cell.days_left))
        items = [d for d in items if d.status != "not_open" or d.days <= 30]
        items.sort(key=lambda d: (d.milestone.due_on, d.milestone.seq))
        return row, items[:limit]
    return None, []


# --- checking off by hand -----------------------------------------------------------------------

@dataclass
class CellScope:
    """What a check-off is about, for the policy: the bloc, the milestone's scope, and its year."""

    bloc_id: int
    scope: str
    year: int


def get_cell_for(user, milestone_id, bloc_code, action: str = "portal.read") -> tuple[Milestone, Bloc]:
    """Load a grid cell's milestone and bloc and check the user's right on it (rights follow the milestone's year)."""
    milestone = get_milestone(milestone_id)
    bloc = org.get_bloc(bloc_code)
    if action == "portal.read":
        policy.require(user, action)
    else:
        policy.require(user, action, CellScope(bloc.id, milestone.scope, milestone.year), year=milestone.year)
    return milestone, bloc


def get_check_for(user, check_id) -> MilestoneCheck:
    """Load a check-off that the user may undo, or raise NotFound / Forbidden."""
    try:
        check = db.session.get(MilestoneCheck, int(check_id))
    except (TypeError, ValueError):
        check = None
    if check is None:
        raise NotFound(_("Không tìm thấy lần đánh dấu %(id)s.", id=check_id))
    milestone = check.milestone
    policy.require(user, "milestone.check", CellScope(check.bloc_id, milestone.scope, milestone.year), year=milestone.year)
    return check


def _actor_name(actor) -> str:
    return people.display_name(actor)


def check_off(actor, milestone: Milestone, bloc: Bloc, *, note, done_on=None, unit_code=None,
              today: date | None = None) -> MilestoneCheck:
    """Check a milestone off by hand for a bloc (or one unit of it) with a note; audited."""
    today = today or today_local()
    errors: dict[str, str] = {}
    unsafe = None
    try:
        text = check_plain_text(note) if isinstance(note, str) or note is None else ""
    except UnsafeText as exc:
        text, unsafe = "", exc
    if not isinstance(note, (str, type(None))):
        errors["note"] = _("Giá trị không hợp lệ: cần một chuỗi ký tự.")
    elif unsafe is not None:
        errors["note"] = control_message(unsafe, _("Ghi chú"))
    elif not text:
        errors["note"] = _("Vui lòng ghi lý do (ví dụ: đã nhận bản giấy ngày …).")
    elif len(text) > NOTE_MAX:
        errors["note"] = _("Ghi chú dài tối đa %(n)s ký tự.", n=NOTE_MAX)
    day = today
    if isinstance(done_on, date):
        day = done_on
    elif done_on not in (None, ""):
        try:
            day = parse_date(str(done_on))
        except ValueError as exc:
            errors["done_on"] = str(exc)
    if "done_on" not in errors:
        if day > today:
            errors["done_on"] = _("Ngày hoàn thành không được sau hôm nay (%(today)s).", today=today.strftime("%d/%m/%Y"))
        elif day.year < milestone.year - 1:
            errors["done_on"] = _("Ngày hoàn thành quá xa năm %(year)s.", year=milestone.year)
    unit = None
    if unit_code:
        if milestone.scope != "unit":
            errors["unit"] = _("Mốc này tính theo khối, không đánh dấu riêng từng đơn vị.")
        else:
            try:
                unit = org.get_unit(str(unit_code))
            except NotFound as exc:
                errors["unit"] = exc.message
            else:
                membership = org.membership_of(unit.id, milestone.year)
                if membership is None or membership.bloc_id != bloc.id:
                    errors["unit"] = _("%(unit)s không thuộc %(bloc)s năm %(year)s.", unit=unit.name, bloc=bloc.name,
                                       year=milestone.year)
    if errors:
        raise ValidationFailed(_("Chưa đánh dấu được; hãy sửa các mục bên dưới."), errors=errors)
    existing = db.session.scalar(sa.select(MilestoneCheck).where(
        MilestoneCheck.milestone_id == milestone.id, MilestoneCheck.bloc_id == bloc.id,
        MilestoneCheck.unit_id.is_(None) if unit is None else MilestoneCheck.unit_id == unit.id))
    if existing is not None:
        raise Conflict(_("Mốc này đã được %(who)s đánh dấu hoàn thành; hãy hủy lần đánh dấu đó trước nếu muốn sửa.",
                         who=existing.checked_by_name))
    check = MilestoneCheck(milestone=milestone, bloc=bloc, unit=unit, done_on=day, note=text,
                           checked_by_id=getattr(actor, "id", None), checked_by_name=_actor_name(actor))
    db.session.add(check)
    db.session.flush()
    audit.record(actor, "check", "milestone", milestone.id, after=_check_view(check),
                 summary=f"Đánh dấu hoàn thành mốc {milestone.seq} năm {milestone.year} cho "
                         f"{unit.name if unit else bloc.name}")
    db.session.commit()
    return check


def undo_check(actor, check: MilestoneCheck) -> None:
    """Remove a hand check-off (the audit log keeps who had checked it, when and why)."""
    milestone, target = check.milestone, check.unit.name if check.unit else check.bloc.name
    audit.record(actor, "uncheck", "milestone", milestone.id, before=_check_view(check),
                 summary=f"Hủy đánh dấu mốc {milestone.seq} năm {milestone.year} cho {target}")
    db.session.delete(check)
    db.session.commit()


def _check_view(check: MilestoneCheck) -> dict:
    return {"bloc": check.bloc.code, "unit": check.unit.code if check.unit else None, **check.to_dict()}


def checks_history(milestone: Milestone, bloc: Bloc) -> list:
    """Return the audit trail of check-offs of a milestone for a bloc and its units, newest first."""
    return [e for e in audit.events_for("milestone", milestone.id, limit=200)
            if (e.after or e.before or {}).get("bloc") == bloc.code]
