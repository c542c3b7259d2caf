"""The bloc's year-end meeting (họp Khối): its details and next year's leader and deputy (DESIGN §4.1).

At year y's meeting the bloc proposes year y+1's leader and deputy (year y's leader-unit officers, or the
Board); the Board confirms the proposal into year y+1's memberships, so rights move at once (the policy
reads memberships). Every write is guarded by the meeting's version (`UPDATE … WHERE version = :v`) and
audited in the same transaction.

After confirmation only the Board changes the proposal; such a change withdraws the confirmation (the
memberships stay as confirmed until the Board confirms the new proposal), so what the memberships say and
what was proposed never silently differ.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from portal import audit
from portal.auth import policy
from portal.db import insert_ignoring_conflicts
from portal.errors import Conflict, ValidationFailed, checked_text
from portal.extensions import db
from portal.org import services as org
from portal.org.models import Bloc, Membership, Unit
from portal.scoring import services as scoring
from portal.scoring.models import BlocMeeting, bloc_meeting_unit
from portal.text import TZ, format_datetime, parse_date, to_local, utcnow, vi_key

ROLE_ORDER = {"leader": 0, "deputy": 1, "member": 2}
STATE_LABELS = {"none": _l("chưa đề xuất"), "proposed": _l("đã đề xuất"), "confirmed": _l("đã xác nhận")}
DETAIL_FIELDS = ("held_at", "place", "chair", "secretary", "present_units", "content")
_LIMITS = {"place": 300, "chair": 300, "secretary": 300, "content": 20000, "note": 2000}
_LABELS = {"place": _l("Địa điểm"), "chair": _l("Chủ trì"), "secretary": _l("Thư ký"), "content": _l("Nội dung, kết luận"),
           "note": _l("Ghi chú")}
_TIME = re.compile(r"^(?P<date>.+?)[\sT,]+(?P<h>\d{1,2})\s*[:hg]\s*(?P<m>\d{2})$", re.IGNORECASE)


def _stale() -> str:
    return _("Biên bản họp Khối vừa được người khác sửa. Trang đã hiện bản mới nhất; hãy xem lại rồi lưu.")


# --- reading ----------------------------------------------------------------------------------------

def meeting_of(bloc: Bloc, year: int) -> BlocMeeting | None:
    """Return the bloc-year's meeting with its units loaded, or None when nothing was recorded yet."""
    return db.session.scalar(
        sa.select(BlocMeeting).where(BlocMeeting.bloc_id == bloc.id, BlocMeeting.year == year)
        .options(joinedload(BlocMeeting.bloc), selectinload(BlocMeeting.attendees),
                 joinedload(BlocMeeting.next_leader), joinedload(BlocMeeting.next_deputy)))


def state_of(meeting: BlocMeeting | None) -> str:
    """Return where the leadership proposal stands: none, proposed or confirmed."""
    if meeting is None or meeting.next_leader_unit_id is None:
        return "none"
    return "confirmed" if meeting.confirmed_at is not None else "proposed"


def bloc_members(bloc_id: int, year: int) -> list[tuple[Unit, str]]:
    """Return the bloc's units that year with their roles: leader, deputy, then members by name (one query)."""
    rows = db.session.execute(sa.select(Unit, Membership.role).join(Membership, Membership.unit_id == Unit.id)
                              .where(Membership.bloc_id == bloc_id, Membership.year == year)).all()
    return sorted(((u, r) for u, r in rows), key=lambda p: (ROLE_ORDER.get(p[1], 3), vi_key(p[0].name)))


def units_of(bloc: Bloc, year: int) -> list[Unit]:
    """Return the bloc's units that year (the units that may be present at its meeting)."""
    return [u for u, _role in bloc_members(bloc.id, year)]


def candidates(bloc: Bloc, year: int) -> list[Unit]:
    """Return the units that may lead the bloc in year + 1: its active units of year + 1 when that year already
    has members for the bloc, else its active units of year (who are not placed in another bloc in year + 1)."""
    following = bloc_members(bloc.id, year + 1)
    if following:
        return [u for u, _role in following if u.active]
    placed = set(db.session.scalars(sa.select(Membership.unit_id).where(Membership.year == year + 1)))
    return [u for u, _role in bloc_members(bloc.id, year) if u.active and u.id not in placed]


# --- parsing --------------------------------------------------------------------------------------

def parse_held_at(value, year: int) -> _dt.datetime | None:
    """Read when the meeting was held: ISO (`2026-11-20T08:30`, naive = Viet Nam time) or `20/11/2026 08:30`.

    The meeting of year y is held in year y or early in year y+1; anything else is a typo.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise _field_error("held_at", _("Thời gian họp không hợp lệ: cần dạng 20/11/2026 08:30."))
    text = value.strip()
    if len(text) > 40:  # no date and time is longer; and the pattern below should never see a long text
        raise _field_error("held_at", _("Thời gian họp không hợp lệ: cần dạng 20/11/2026 08:30."))
    try:
        held = _dt.datetime.fromisoformat(text)
    except ValueError:
        held = _parse_vietnamese(text)
    if held.tzinfo is None:
        held = held.replace(tzinfo=TZ)
    try:
        local = held.astimezone(TZ)
    except (OverflowError, ValueError):  # year 1 or 9999 with an offset: no time anyone met
        local = None
    if local is None or local.year not in (year, year + 1):
        raise _field_error("held_at", _("Cuộc họp Khối năm %(year)s phải họp trong năm %(year)s hoặc đầu năm %(next)s.",
                                        year=year, next=year + 1))
    return held.astimezone(_dt.timezone.utc)


def _parse_vietnamese(text: str) -> _dt.datetime:
    match = _TIME.match(text)
    try:
        if match is None:
            parse_date(text)  # a date alone: say that the hour is missing, or why the date is wrong
            raise ValueError(_("Thiếu giờ họp; hãy nhập như 20/11/2026 08:30."))
        day = parse_date(match["date"])
        return _dt.datetime.combine(day, _dt.time(int(match["h"]), int(match["m"])))
    except ValueError as exc:
        raise _field_error("held_at", _("Thời gian họp không hợp lệ: %(why)s", why=str(exc))) from None


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={field: message})


def _text(data: dict, field: str, *, multiline: bool = False) -> str:
    value = data.get(field)
    if value is not None and not isinstance(value, str):
        raise _field_error(field, _("%(name)s: cần một chuỗi ký tự.", name=_LABELS[field]))
    text = checked_text(value, field, label=str(_LABELS[field]), multiline=multiline)
    if len(text) > _LIMITS[field]:
        raise _field_error(field, _("%(name)s dài quá %(n)s ký tự.", name=_LABELS[field], n=_LIMITS[field]))
    return text


def _code(value, field: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise _field_error(field, _("Cần mã đơn vị (một chuỗi ký tự)."))
    code = value.strip().upper()
    if not org.CODE_RE.match(code):  # never sent to the database: PostgreSQL refuses a NUL in a parameter
        raise _field_error(field, _("Không có đơn vị mã %(code)s.", code=code[:40]))
    return code


def _data(data) -> dict:
    if not isinstance(data, dict):
        raise ValidationFailed(_("Cần một đối tượng JSON."))
    return data


# --- writing --------------------------------------------------------------------------------------

def _write(actor, bloc: Bloc, year: int, version, values: dict, *, attendees: list[Unit] | None = None) -> None:
    """Create or update the meeting's row if its version is still `version` (0: there is none yet)."""
    expected = scoring.version_arg(version)
    table = BlocMeeting.__table__
    now = utcnow()
    values = {**values, "updated_at": now, "updated_by": getattr(actor, "username", None) or "system"}
    meeting = meeting_of(bloc, year)
    if meeting is None:
        if expected != 0 or not insert_ignoring_conflicts(table, [{"bloc_id": bloc.id, "year": year, "version": 1, **values}]):
            db.session.rollback()
            raise Conflict(_stale(), current={"version": _version(bloc, year)})
        meeting_id = db.session.scalar(sa.select(table.c.id).where(table.c.bloc_id == bloc.id, table.c.year == year))
    else:
        meeting_id = meeting.id
        done = db.session.execute(sa.update(table).where(table.c.id == meeting_id, table.c.version == expected)
                                  .values(version=table.c.version + 1, **values)).rowcount
        if not done:
            db.session.rollback()
            raise Conflict(_stale(), current={"version": _version(bloc, year)})
    if attendees is not None:
        db.session.execute(sa.delete(bloc_meeting_unit).where(bloc_meeting_unit.c.meeting_id == meeting_id))
        if attendees:
            db.session.execute(sa.insert(bloc_meeting_unit), [{"meeting_id": meeting_id, "unit_id": u.id} for u in attendees])


def _version(bloc: Bloc, year: int) -> int:
    return db.session.scalar(sa.select(BlocMeeting.version).where(BlocMeeting.bloc_id == bloc.id, BlocMeeting.year == year)) or 0


def _done(bloc: Bloc, year: int) -> BlocMeeting:
    db.session.commit()
    db.session.expire_all()
    return meeting_of(bloc, year)


def details_dict(meeting: BlocMeeting | None) -> dict:
    """The meeting's details as the audit log and the API read them (codes, local times)."""
    if meeting is None:
        return {"held_at": None, "place": "", "chair": "", "secretary": "", "present_units": [], "content": ""}
    return {"held_at": format_datetime(meeting.held_at) or None, "place": meeting.place, "chair": meeting.chair,
            "secretary": meeting.secretary, "present_units": [u.code for u in meeting.present_units], "content": meeting.content}


def save_meeting(actor, bloc: Bloc, year: int, data: dict, version) -> BlocMeeting:
    """Record the meeting's details (time, place, chair, secretary, units present, content); leader's officers or Board.

    `data` replaces all details; `present_units` is a list of unit codes of the bloc that year.
    """
    year = org.check_year(year)
    policy.require(actor, "bloc.meeting", bloc, year=year)
    data = _data(data)
    held = parse_held_at(data.get("held_at"), year)
    texts = {"place": _text(data, "place"), "chair": _text(data, "chair"), "secretary": _text(data, "secretary"),
             "content": _text(data, "content", multiline=True)}
    codes = data.get("present_units") or []
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise _field_error("present_units", _("Các đơn vị dự họp: cần một danh sách mã đơn vị."))
    members = {u.code: u for u in units_of(bloc, year)}
    wanted = list(dict.fromkeys(c.strip().upper() for c in codes if c.strip()))
    strangers = [c for c in wanted if c not in members]
    if strangers:
        raise _field_error("present_units", _("Không thuộc %(bloc)s năm %(year)s: %(codes)s.", bloc=bloc.name, year=year,
                                              codes=", ".join(strangers)))
    meeting = meeting_of(bloc, year)
    before = details_dict(meeting)
    present = sorted((members[c] for c in wanted), key=lambda u: vi_key(u.name))
    after = {"held_at": format_datetime(held) or None, "place": texts["place"], "chair": texts["chair"],
             "secretary": texts["secretary"], "present_units": [u.code for u in present], "content": texts["content"]}
    if meeting is not None and after == before:
        return meeting  # the same details again: nothing to save, no conflict
    _write(actor, bloc, year, version, {"held_at": held, **texts}, attendees=[members[c] for c in wanted])
    changed = [k for k in before if before[k] != after[k]]
    audit.record(actor, "meeting.save", "bloc_meeting", f"{bloc.code}-{year}",
                 before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
                 summary=f"Biên bản họp {bloc.name} năm {year}: cập nhật {len(changed)} mục")
    return _done(bloc, year)


def leadership_dict(meeting: BlocMeeting | None) -> dict:
    """The proposal as codes (and its note), for the audit log and comparisons."""
    if meeting is None:
        return {"leader": None, "deputy": None, "note": ""}
    return {"leader": meeting.next_leader.code if meeting.next_leader else None,
            "deputy": meeting.next_deputy.code if meeting.next_deputy else None, "note": meeting.leadership_note}


def _check_candidate(unit: Unit | None, code: str, field: str, bloc: Bloc, year: int, allowed: dict[str, Unit]) -> Unit:
    if unit is None:
        raise _field_error(field, _("Không có đơn vị mã %(code)s.", code=code))
    if not unit.active:
        raise _field_error(field, _("%(unit)s đã ngừng hoạt động; không đề xuất được.", unit=unit.name))
    if unit.code not in allowed:
        placed = org.membership_of(unit.id, year + 1)
        if placed is not None and placed.bloc_id != bloc.id:
            raise _field_error(field, _("%(unit)s đã được xếp vào %(other)s năm %(next)s; không đề xuất cho %(bloc)s được.",
                                        unit=unit.name, other=placed.bloc.name, next=year + 1, bloc=bloc.name))
        raise _field_error(field, _("%(unit)s không thuộc %(bloc)s; chỉ đề xuất được đơn vị của khối.", unit=unit.name, bloc=bloc.name))
    return unit


def propose_leadership(actor, bloc: Bloc, year: int, data: dict, version) -> BlocMeeting:
    """Record the meeting's proposal of year + 1's leader (required) and deputy (optional), with a note.

    Year y's leader-unit officers or the Board; once confirmed, the Board only, and its change withdraws the
    confirmation until it confirms again.
    """
    year = org.check_year(year)
    org.check_year(year + 1)
    policy.require(actor, "bloc.meeting", bloc, year=year)
    data = _data(data)
    leader_code, deputy_code = _code(data.get("leader"), "leader"), _code(data.get("deputy"), "deputy")
    note = _text(data, "note", multiline=True)
    if leader_code is None:
        raise _field_error("leader", _("Vui lòng chọn đơn vị đề xuất làm Trưởng khối năm %(next)s.", next=year + 1))
    if leader_code == deputy_code:
        raise _field_error("deputy", _("Trưởng khối và Phó Trưởng khối phải là hai đơn vị khác nhau."))
    allowed = {u.code: u for u in candidates(bloc, year)}
    units = {u.code: u for u in db.session.scalars(sa.select(Unit).where(Unit.code.in_([c for c in (leader_code, deputy_code) if c])))}
    leader = _check_candidate(units.get(leader_code), leader_code, "leader", bloc, year, allowed)
    deputy = _check_candidate(units.get(deputy_code), deputy_code, "deputy", bloc, year, allowed) if deputy_code else None
    meeting = meeting_of(bloc, year)
    before = leadership_dict(meeting)
    after = {"leader": leader.code, "deputy": deputy.code if deputy else None, "note": note}
    if meeting is not None and before == after:
        return meeting  # the same proposal again: nothing to save, no conflict
    if state_of(meeting) == "confirmed" and not policy.can(actor, "leadership.confirm"):
        raise Conflict(_("Đề xuất đã được Ban Thi đua - Khen thưởng xác nhận vào danh sách thành viên năm %(next)s; "
                         "chỉ Ban sửa được.", next=year + 1))
    withdrawn = state_of(meeting) == "confirmed"
    now = utcnow()
    _write(actor, bloc, year, version, {
        "next_leader_unit_id": leader.id, "next_deputy_unit_id": deputy.id if deputy else None, "leadership_note": note,
        "proposed_by": getattr(actor, "username", None) or "system", "proposed_at": now, "confirmed_by": None,
        "confirmed_at": None})
    summary = f"Đề xuất Trưởng khối {bloc.name} năm {year + 1}: {leader.name}" + (f", Phó: {deputy.name}" if deputy else "")
    if withdrawn:
        summary += " (thay đề xuất đã xác nhận; chờ xác nhận lại)"
    audit.record(actor, "leadership.propose", "bloc_meeting", f"{bloc.code}-{year}", before=before, after=after, summary=summary)
    return _done(bloc, year)


def _confirmed_rows(bloc: Bloc, year: int, meeting: BlocMeeting) -> list[org.MembershipRow]:
    """Return year + 1's whole membership list with the proposal written into the bloc's part."""
    following = year + 1
    rows = org.membership_rows(following)
    ours = [r for r in rows if r.bloc == bloc.code]
    others = [r for r in rows if r.bloc != bloc.code]
    if not ours:
        # Year + 1 has nothing for the bloc yet: start from its active units of year y, as members, leaving out
        # units the Board already placed in another bloc that year.
        placed = {r.unit for r in others}
        ours = [org.MembershipRow(u.code, bloc.code, "member") for u, _role in bloc_members(bloc.id, year)
                if u.active and u.code not in placed]
    codes = {r.unit for r in ours}
    leader, deputy = meeting.next_leader, meeting.next_deputy
    for unit, field in ((leader, "leader"), (deputy, "deputy")):
        if unit is not None and (unit.code not in codes or not unit.active):
            raise _field_error(field, _("%(unit)s không còn là đơn vị của %(bloc)s năm %(next)s; hãy sửa đề xuất trước khi xác nhận.",
                                        unit=unit.name, bloc=bloc.name, next=following))

    def role(r: org.MembershipRow) -> str:
        if r.unit == leader.code:
            return "leader"
        if deputy is not None and r.unit == deputy.code:
            return "deputy"
        return "member"

    return others + [org.MembershipRow(r.unit, r.bloc, role(r)) for r in ours]


def _confirm(actor, bloc: Bloc, year: int, version=None) -> bool:
    """Write one bloc's proposal into year + 1's memberships (no commit); return False when there is none."""
    meeting = meeting_of(bloc, year)
    if state_of(meeting) == "none":
        return False
    if version is not None and str(version).strip() != "" and scoring.version_arg(version) != meeting.version:
        raise Conflict(_stale(), current={"version": meeting.version})
    rows = _confirmed_rows(bloc, year, meeting)
    org.replace_memberships(actor, year + 1, rows, commit=False)
    table = BlocMeeting.__table__
    done = db.session.execute(sa.update(table).where(table.c.id == meeting.id, table.c.version == meeting.version).values(
        version=table.c.version + 1, confirmed_by=getattr(actor, "username", None) or "system", confirmed_at=utcnow(),
        updated_at=utcnow())).rowcount
    if not done:
        raise Conflict(_stale(), current={"version": _version(bloc, year)})
    proposal = leadership_dict(meeting)
    audit.record(actor, "leadership.confirm", "bloc_meeting", f"{bloc.code}-{year}", before=None, after=proposal,
                 summary=f"Xác nhận Trưởng khối {bloc.name} năm {year + 1}: {meeting.next_leader.name}"
                 + (f", Phó: {meeting.next_deputy.name}" if meeting.next_deputy else ""))
    return True


def confirm_leadership(actor, bloc: Bloc, year: int, version=None) -> BlocMeeting:
    """Write the bloc's proposal into year + 1's memberships in one transaction (Board); `version`, when given,
    must be the meeting's (the Board confirms what it saw)."""
    year = org.check_year(year)
    org.check_year(year + 1)
    policy.require(actor, "leadership.confirm", bloc, year=year)
    try:
        if not _confirm(actor, bloc, year, version):
            raise ValidationFailed(_("%(bloc)s chưa có đề xuất Trưởng khối năm %(next)s để xác nhận.", bloc=bloc.name, next=year + 1))
    except Exception:
        db.session.rollback()
        raise
    return _done(bloc, year)


def confirm_all(actor, year: int) -> int:
    """Confirm every bloc's unconfirmed proposal of the year at once (Board), all or nothing; return how many."""
    year = org.check_year(year)
    org.check_year(year + 1)
    policy.require(actor, "leadership.confirm")
    waiting = [m.bloc for m in db.session.scalars(
        sa.select(BlocMeeting).where(BlocMeeting.year == year, BlocMeeting.next_leader_unit_id.is_not(None),
                                     BlocMeeting.confirmed_at.is_(None)).options(joinedload(BlocMeeting.bloc)))]
    count = 0
    try:
        for bloc in sorted(waiting, key=lambda b: b.code):
            try:
                count += _confirm(actor, bloc, year)
            except ValidationFailed as exc:
                raise ValidationFailed(f"{bloc.name}: {exc.message} " + _("Chưa xác nhận đề xuất nào."), errors=exc.errors) from None
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return count


# --- for the API, the pages and the dashboard ------------------------------------------------------

def _iso(dt: _dt.datetime | None) -> str | None:
    return to_local(dt).isoformat(timespec="seconds") if dt else None


def leadership_json(bloc: Bloc, year: int, meeting: BlocMeeting | None) -> dict:
    """The leadership resource of the API: the proposal for year + 1, whether and when it was confirmed."""
    proposal = leadership_dict(meeting)
    return {"bloc": bloc.code, "year": year, "for_year": year + 1, **proposal, "state": state_of(meeting),
            "proposed_by": meeting.proposed_by if meeting else None, "proposed_at": _iso(meeting.proposed_at) if meeting else None,
            "confirmed": state_of(meeting) == "confirmed", "confirmed_by": meeting.confirmed_by if meeting else None,
            "confirmed_at": _iso(meeting.confirmed_at) if meeting else None, "version": meeting.version if meeting else 0}


def meeting_json(bloc: Bloc, year: int, meeting: BlocMeeting | None) -> dict:
    """The meeting resource of the API: its details, with the units present as {code, name}."""
    return {"bloc": bloc.code, "year": year,
            "held_at": meeting.held_at.isoformat(timespec="minutes") if meeting and meeting.held_at else None,
            "place": meeting.place if meeting else "", "chair": meeting.chair if meeting else "",
            "secretary": meeting.secretary if meeting else "",
            "present_units": [{"code": u.code, "name": u.name} for u in meeting.present_units] if meeting else [],
            "content": meeting.content if meeting else "", "version": meeting.version if meeting else 0}


@dataclass
class LeadershipLine:
    """One bloc on the year's leadership page: this year's leader and deputy, next year's proposal and its state."""

    bloc: Bloc
    leader: Unit | None
    deputy: Unit | None
    meeting: BlocMeeting | None
    next_leader: Unit | None  # from year + 1's memberships
    next_deputy: Unit | None

    @property
    def state(self) -> str:
        return state_of(self.meeting)


def year_leadership(year: int) -> list[LeadershipLine]:
    """Every bloc with year's leader and deputy, year + 1's proposal and year + 1's memberships (four queries)."""
    year = org.check_year(year)
    following = _leaders(year + 1)
    meetings = {m.bloc_id: m for m in db.session.scalars(
        sa.select(BlocMeeting).where(BlocMeeting.year == year)
        .options(joinedload(BlocMeeting.next_leader), joinedload(BlocMeeting.next_deputy)))}
    lines = []
    for entry in org.bloc_overview(year):
        bloc = entry["bloc"]
        if not bloc.active and not entry["count"] and bloc.id not in meetings:
            continue  # a bloc closed before that year
        nxt = following.get(bloc.id, {})
        lines.append(LeadershipLine(bloc, entry["leader"], entry["deputy"], meetings.get(bloc.id), nxt.get("leader"), nxt.get("deputy")))
    return lines


def _leaders(year: int) -> dict[int, dict[str, Unit]]:
    """Return {bloc id: {"leader": unit, "deputy": unit}} for that year (one query)."""
    out: dict[int, dict[str, Unit]] = {}
    rows = db.session.execute(sa.select(Membership.bloc_id, Membership.role, Unit).join(Unit, Unit.id == Membership.unit_id)
                              .where(Membership.year == year, Membership.role.in_(("leader", "deputy"))))
    for bloc_id, role, unit in rows:
        out.setdefault(bloc_id, {})[role] = unit
    return out


def proposals_for(year: int) -> dict[int, BlocMeeting]:
    """Return {bloc id: meeting} of year - 1's proposals for `year` not confirmed yet (one query), for the dashboard."""
    return {m.bloc_id: m for m in db.session.scalars(
        sa.select(BlocMeeting).where(BlocMeeting.year == year - 1, BlocMeeting.next_leader_unit_id.is_not(None),
                                     BlocMeeting.confirmed_at.is_(None))
        .options(joinedload(BlocMeeting.next_leader), joinedload(BlocMeeting.next_deputy)))}
