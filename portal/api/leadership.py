"""JSON API: the bloc meeting and next year's leadership (DESIGN §4.1), on the same services and policy as the pages."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.api.views import bp, json_object
from portal.auth import policy
from portal.errors import ValidationFailed
from portal.org import services as org
from portal.scoring import meeting as meetings


def _bloc_year(year, bloc_code):
    year = org.check_year(year)
    return policy.get_bloc_for(current_user, bloc_code), year


def _version(data: dict):
    if "version" not in data:
        raise ValidationFailed(_("Thiếu phiên bản dữ liệu (version)."), errors={"version": _("Bắt buộc.")})
    return data["version"]


@bp.get("/years/<year>/blocs/<bloc>/leadership")
def get_leadership(year, bloc):
    """Year + 1's leader and deputy proposed at year's meeting (unit codes), the note, whether and when confirmed, the version."""
    bloc_obj, year = _bloc_year(year, bloc)
    return jsonify(meetings.leadership_json(bloc_obj, year, meetings.meeting_of(bloc_obj, year)))


@bp.put("/years/<year>/blocs/<bloc>/leadership")
def put_leadership(year, bloc):
    """Propose year + 1's `leader` and `deputy` (unit codes) with a `note`, based on `version` (0 for the first)."""
    bloc_obj, year = _bloc_year(year, bloc)
    policy.require(current_user, "bloc.meeting", bloc_obj, year=year)
    data = json_object()
    meeting = meetings.propose_leadership(current_user, bloc_obj, year, data, _version(data))
    return jsonify(meetings.leadership_json(bloc_obj, year, meeting))


@bp.post("/years/<year>/blocs/<bloc>/leadership/confirm")
def confirm_leadership(year, bloc):
    """Write the proposal into year + 1's memberships (Board); an optional `version` must be the proposal's."""
    bloc_obj, year = _bloc_year(year, bloc)
    policy.require(current_user, "leadership.confirm", bloc_obj, year=year)
    data = json_object() if request.get_data(cache=True) else {}  # the body is optional
    meeting = meetings.confirm_leadership(current_user, bloc_obj, year, version=data.get("version"))
    return jsonify(meetings.leadership_json(bloc_obj, year, meeting))


@bp.get("/years/<year>/blocs/<bloc>/meeting")
def get_meeting(year, bloc):
    """The meeting's details: `held_at` (ISO, Viet Nam time), place, chair, secretary, units present, content, version."""
    bloc_obj, year = _bloc_year(year, bloc)
    return jsonify(meetings.meeting_json(bloc_obj, year, meetings.meeting_of(bloc_obj, year)))


@bp.put("/years/<year>/blocs/<bloc>/meeting")
def put_meeting(year, bloc):
    """Replace the meeting's details (`present_units` as unit codes), based on `version` (0 for the first)."""
    bloc_obj, year = _bloc_year(year, bloc)
    policy.require(current_user, "bloc.meeting", bloc_obj, year=year)
    data = json_object()
    meeting = meetings.save_meeting(current_user, bloc_obj, year, data, _version(data))
    return jsonify(meetings.meeting_json(bloc_obj, year, meeting))
