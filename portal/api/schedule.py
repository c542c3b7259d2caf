"""JSON API for the schedule and the progress grid (DESIGN §4): the same services and policy as the pages."""
from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from portal.api.views import bp, json_body, json_object
from portal.auth import policy
from portal.errors import ValidationFailed
from portal.org import services as org
from portal.schedule import progress as prog
from portal.schedule import services as schedule


def _milestones_body(year: int, status: int = 200):
    items = [m.to_dict() for m in schedule.milestones_for_year(year)]
    return jsonify({"year": year, "items": items, "total": len(items), "page": 1, "pages": 1}), status


@bp.get("/years/<year>/milestones")
def get_milestones(year):
    """List the year's milestones in order."""
    policy.require(current_user, "portal.read")
    return _milestones_body(org.check_year(year))


@bp.put("/years/<year>/milestones")
def put_milestones(year):
    """Replace the year's milestones as one transaction (Board); nothing changes on any error."""
    policy.require(current_user, "schedule.manage")
    year = org.check_year(year)
    data = json_body()
    items = data.get("items") if isinstance(data, dict) else data
    schedule.replace_milestones(current_user, year, schedule.rows_from_json(items))
    return _milestones_body(year)


@bp.post("/years/<year>/milestones/propose")
def propose_milestones(year):
    """Read the year's milestones from an archived plan `{"document": id}`; nothing is saved (Board)."""
    policy.require(current_user, "schedule.manage")
    year = org.check_year(year)
    document = schedule.get_plan_for(current_user, json_object().get("document"))
    proposal = schedule.propose(year, document)
    items = [m.as_dict() for m in proposal.milestones]
    return jsonify({"year": year, "document": {"id": document.id, "number": document.number, "title": document.title},
                    "items": items, "total": len(items), "page": 1, "pages": 1})


@bp.post("/years/<year>/milestones/copy")
def copy_milestones(year):
    """Copy `{"from_year": y}`'s milestones into the year with every date moved on (Board); 409 if it has some, unless `replace`."""
    policy.require(current_user, "schedule.manage")
    year = org.check_year(year)
    data = json_object()
    if data.get("from_year") in (None, "") or isinstance(data.get("from_year"), bool):
        raise ValidationFailed(_("Thiếu năm nguồn (from_year)."), errors={"from_year": _("Bắt buộc.")})
    replace = data.get("replace", False)
    if not isinstance(replace, bool):
        raise ValidationFailed(_("replace phải là true hoặc false."), errors={"replace": _("Cần true hoặc false.")})
    schedule.copy_year(current_user, data["from_year"], year, replace=replace)
    return _milestones_body(year, 201)


@bp.get("/years/<year>/progress")
def get_progress(year):
    """Every bloc's status per milestone of the year (units' counts for per-unit milestones)."""
    policy.require(current_user, "portal.read")
    return jsonify(prog.year_progress(org.check_year(year)).to_dict())
