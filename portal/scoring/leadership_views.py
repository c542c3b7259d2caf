"""Pages for the bloc meeting and next year's leadership (proposed at the meeting, confirmed by the Board).

Thin views over portal.scoring.meeting: the meeting page of a bloc-year (details, proposal, Board's
confirmation) and the year's page listing every bloc's leaders, printable for the council's year-end session.
Forms work without JavaScript; with htmx a save swaps only the meeting's body.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from jinja2_fragments.flask import render_block

from portal.auth import policy
from portal.errors import ServiceError
from portal.extensions import htmx
from portal.org import services as org
from portal.scoring import meeting as meetings
from portal.scoring.views import bp
from portal.text import format_date


def _bloc_and_year(year, bloc_code):
    year = org.check_year(year)
    org.check_year(year + 1)
    return policy.get_bloc_for(current_user, bloc_code), year


def _meeting_context(bloc, year, *, errors=None, message=None, form=None, which=None) -> dict:
    meeting = meetings.meeting_of(bloc, year)
    members = meetings.bloc_members(bloc.id, year)
    following = {role: unit for unit, role in meetings.bloc_members(bloc.id, year + 1) if role in ("leader", "deputy")}
    may_record = policy.can(current_user, "bloc.meeting", bloc, year=year)
    is_board = policy.can(current_user, "leadership.confirm")
    state = meetings.state_of(meeting)
    held = meeting.held_at if meeting else None
    return {
        "bloc": bloc, "year": year, "meeting": meeting, "state": state, "state_labels": meetings.STATE_LABELS,
        "members": members, "role_labels": org.ROLE_LABELS, "candidates": meetings.candidates(bloc, year),
        "leader": next((u for u, r in members if r == "leader"), None),
        "deputy": next((u for u, r in members if r == "deputy"), None),
        "next_leader": following.get("leader"), "next_deputy": following.get("deputy"),
        "may_record": may_record, "may_propose": may_record and (state != "confirmed" or is_board),
        "is_board": is_board,
        "held_on": format_date(held), "held_time": held.strftime("%H:%M") if held else "",
        "present": {u.code for u in meeting.present_units} if meeting else set(),
        "errors": errors or {}, "message": message, "form": form or {}, "which": which,
    }


def _answer(bloc, year, *, ok: str | None = None, exc: ServiceError | None = None, form=None, which=None):
    """Answer a write: the meeting's body for htmx (refusals too, with 200: htmx swaps only 2xx), else a redirect
    or the page with the refusal."""
    if exc is not None:
        context = _meeting_context(bloc, year, errors={"_": exc.message, **exc.errors}, form=form, which=which)
        if htmx:
            return render_block("scoring/meeting.html", "body", **context), 200
        return render_template("scoring/meeting.html", **context), exc.status
    if htmx:
        return render_block("scoring/meeting.html", "body", **_meeting_context(bloc, year, message=ok))
    flash(ok, "success")
    return redirect(url_for("scoring.meeting", year=year, bloc_code=bloc.code), 303)


@bp.route("/<int:year>/<bloc_code>/meeting")
def meeting(year, bloc_code):
    """The bloc's year-end meeting: its details and the proposal of next year's leader and deputy."""
    bloc, year = _bloc_and_year(year, bloc_code)
    return render_template("scoring/meeting.html", **_meeting_context(bloc, year))


def _details_form() -> dict:
    form = {k: request.form.get(k, "") for k in ("held_on", "held_time", "place", "chair", "secretary", "content", "version")}
    form["present_units"] = request.form.getlist("present")
    return form


@bp.route("/<int:year>/<bloc_code>/meeting", methods=["POST"])
def save_meeting(year, bloc_code):
    """Save the meeting's details (the leader unit's officers that year, or the Board)."""
    bloc, year = _bloc_and_year(year, bloc_code)
    policy.require(current_user, "bloc.meeting", bloc, year=year)
    form = _details_form()
    held = f"{form['held_on']} {form['held_time']}".strip() if form["held_on"].strip() else ""
    data = {"held_at": held, **{k: form[k] for k in ("place", "chair", "secretary", "content", "present_units")}}
    try:
        meetings.save_meeting(current_user, bloc, year, data, form["version"])
    except ServiceError as exc:
        return _answer(bloc, year, exc=exc, form=form, which="details")
    return _answer(bloc, year, ok=_("Đã lưu thông tin cuộc họp %(bloc)s năm %(year)s.", bloc=bloc.name, year=year))


@bp.route("/<int:year>/<bloc_code>/meeting/leadership", methods=["POST"])
def propose_leadership(year, bloc_code):
    """Propose next year's leader and deputy (the leader unit's officers that year, or the Board)."""
    bloc, year = _bloc_and_year(year, bloc_code)
    policy.require(current_user, "bloc.meeting", bloc, year=year)
    form = {k: request.form.get(k, "") for k in ("leader", "deputy", "note", "version")}
    try:
        meetings.propose_leadership(current_user, bloc, year, form, form["version"])
    except ServiceError as exc:
        return _answer(bloc, year, exc=exc, form=form, which="leadership")
    return _answer(bloc, year, ok=_("Đã ghi đề xuất Trưởng khối, Phó Trưởng khối năm %(next)s; chờ Ban Thi đua - Khen thưởng xác nhận.",
                                    next=year + 1))


@bp.route("/<int:year>/<bloc_code>/meeting/confirm", methods=["POST"])
def confirm_leadership(year, bloc_code):
    """Confirm the proposal into next year's memberships (Board)."""
    bloc, year = _bloc_and_year(year, bloc_code)
    policy.require(current_user, "leadership.confirm", bloc, year=year)
    try:
        meetings.confirm_leadership(current_user, bloc, year, version=request.form.get("version"))
    except ServiceError as exc:
        return _answer(bloc, year, exc=exc, which="confirm")
    return _answer(bloc, year, ok=_("Đã xác nhận: danh sách thành viên %(bloc)s năm %(next)s đã có Trưởng khối, Phó Trưởng khối mới.",
                                    bloc=bloc.name, next=year + 1))


@bp.route("/<int:year>/leadership")
def leadership(year):
    """Every bloc's leader and deputy this year, the proposal for next year and its state; printable."""
    policy.require(current_user, "portal.read")
    year = org.check_year(year)
    org.check_year(year + 1)
    lines = meetings.year_leadership(year)
    return render_template("scoring/leadership.html", year=year, lines=lines, state_labels=meetings.STATE_LABELS,
                           waiting=sum(1 for line in lines if line.state == "proposed"),
                           is_board=policy.can(current_user, "leadership.confirm"))


@bp.route("/<int:year>/leadership/confirm", methods=["POST"])
def confirm_all(year):
    """Confirm every bloc's waiting proposal at once (Board), all or nothing."""
    policy.require(current_user, "leadership.confirm")
    year = org.check_year(year)
    try:
        count = meetings.confirm_all(current_user, year)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        if count:
            flash(_("Đã xác nhận đề xuất của %(n)s khối vào danh sách thành viên năm %(next)s.", n=count, next=year + 1), "success")
        else:
            flash(_("Không có đề xuất nào đang chờ xác nhận."), "info")
    return redirect(url_for("scoring.leadership", year=year), 303)
