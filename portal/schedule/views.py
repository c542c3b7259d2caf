"""Schedule pages: a year's milestones, the Board's editor, copy from another year, read from the plan."""
from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from portal.auth import policy
from portal.auth.forms import EmptyForm
from portal.errors import Conflict, ValidationFailed
from portal.extensions import htmx
from portal.org import services as org
from portal.schedule import services as schedule
from portal.schedule.services import DEFAULT_RESPONSIBLE, RESPONSIBLE_LABELS, SCOPE_LABELS
from portal.text import format_date, today_local

bp = Blueprint("schedule", __name__, url_prefix="/schedule")

FIELDS = ("id", "title", "starts_on", "due_on", "scope", "responsible", "evidence_type")
_ROW_KEY = re.compile(r"^title-(\d{1,3})$")


@bp.before_request
@login_required
def require_login():
    """Every schedule page needs a logged-in user."""


def _labels() -> dict:
    return {"scope_labels": SCOPE_LABELS, "responsible_labels": RESPONSIBLE_LABELS,
            "evidence_labels": schedule.evidence_labels()}


def _years(year: int) -> list[int]:
    this = today_local().year
    return sorted(set(schedule.schedule_years()) | {year, this, this + 1}, reverse=True)


@bp.route("")
def index():
    """Go to this year's schedule."""
    return redirect(url_for("schedule.year_view", year=today_local().year))


@bp.route("/<int:year>")
def year_view(year):
    """Show a year's schedule; the Board also sees how to edit, copy or read it from the plan."""
    policy.require(current_user, "portal.read")
    year = org.check_year(year)
    milestones = schedule.milestones_for_year(year)
    sources = [y for y in schedule.schedule_years() if y != year]
    return render_template("schedule/year.html", year=year, milestones=milestones, years=_years(year),
                           copy_sources=sources, can_manage=policy.can(current_user, "schedule.manage"),
                           action_form=EmptyForm(), **_labels())


# --- the Board's editor -------------------------------------------------------------------------

def _row_values(m) -> dict:
    return {"id": m.id, "title": m.title, "starts_on": format_date(m.starts_on), "due_on": format_date(m.due_on),
            "scope": m.scope, "responsible": m.responsible, "evidence_type": m.evidence_type or ""}


def _form_rows(form) -> list[dict]:
    """Read the editor's rows (title-0, due_on-0, …) in their order on the page."""
    indexes = sorted(int(m.group(1)) for key in form if (m := _ROW_KEY.match(key)))
    return [{name: form.get(f"{name}-{i}", "").strip() for name in FIELDS} for i in indexes]


def _apply_action(rows: list[dict], action: str) -> list[dict]:
    """Add, remove or move a row of the editor (nothing is saved)."""
    verb, _sep, index = action.partition("-")
    if verb == "add":
        blank = {name: "" for name in FIELDS}
        blank.update(scope="bloc", responsible=DEFAULT_RESPONSIBLE["bloc"])
        return rows + [blank]
    if not index.isdigit() or int(index) >= len(rows):
        return rows
    i = int(index)
    if verb == "remove":
        return rows[:i] + rows[i + 1:]
    if verb == "up" and i > 0:
        rows[i - 1], rows[i] = rows[i], rows[i - 1]
    elif verb == "down" and i < len(rows) - 1:
        rows[i + 1], rows[i] = rows[i], rows[i + 1]
    return rows


def _row_errors(errors: dict) -> dict:
    """Map service error keys `<n>:<field>` (n from 1) to the editor's row indexes (from 0)."""
    out: dict[int, dict] = {}
    for key, message in errors.items():
        n, _sep, name = key.partition(":")
        if n.isdigit():
            out.setdefault(int(n) - 1, {})[name] = message
    return out


def _edit_context(year: int, rows: list[dict], errors: dict, stamp: str, message: str | None = None) -> dict:
    return {"year": year, "rows": rows, "errors": _row_errors(errors), "message": message, "stamp": stamp, **_labels()}


@bp.route("/<int:year>/edit", methods=["GET", "POST"])
def edit(year):
    """Edit a year's schedule (Board): add, remove, reorder rows and change dates, then save all at once."""
    policy.require(current_user, "schedule.manage")
    year = org.check_year(year)
    if request.method == "GET":
        milestones = schedule.milestones_for_year(year)
        rows = [_row_values(m) for m in milestones] or _apply_action([], "add")
        return render_template("schedule/edit.html", **_edit_context(year, rows, {}, schedule.schedule_stamp(milestones)))
    rows = _form_rows(request.form)
    action = request.form.get("action", "save")
    stamp = request.form.get("stamp", "")
    if action != "save":
        context = _edit_context(year, _apply_action(rows, action), {}, stamp)
        if htmx:
            return render_block("schedule/edit.html", "editor", **context)
        return render_template("schedule/edit.html", **context)
    try:
        schedule.replace_milestones(current_user, year, [{**r, "seq": n} for n, r in enumerate(rows, start=1)],
                                    stamp=stamp or None)
    except ValidationFailed as exc:
        return render_template("schedule/edit.html", **_edit_context(year, rows, exc.errors, stamp, exc.message)), 422
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for("schedule.edit", year=year))
    flash(_("Đã lưu lịch công việc năm %(year)s (%(n)s mốc).", year=year, n=len(rows)), "success")
    return redirect(url_for("schedule.year_view", year=year))


@bp.route("/<int:year>/copy", methods=["POST"])
def copy(year):
    """Copy another year's schedule into this year with every date moved on (Board), then open the editor."""
    policy.require(current_user, "schedule.manage")
    year = org.check_year(year)
    from_year = request.form.get("from_year") or year - 1
    try:
        schedule.copy_year(current_user, from_year, year, replace=request.form.get("replace") == "1")
    except (ValidationFailed, Conflict) as exc:
        flash(exc.message, "error")
        return redirect(url_for("schedule.year_view", year=year))
    flash(_("Đã sao chép lịch năm %(source)s sang năm %(year)s, mọi ngày lùi sang năm mới. Hãy kiểm tra và sửa ngày cho đúng kế hoạch năm %(year)s.",
            source=from_year, year=year), "success")
    return redirect(url_for("schedule.edit", year=year))


# --- reading the plan ---------------------------------------------------------------------------

def _proposal_values(proposal) -> dict:
    return {m.seq: {"accept": True, "title": m.title, "starts_on": format_date(m.starts_on), "due_on": format_date(m.due_on),
                    "scope": m.scope, "responsible": m.responsible, "evidence_type": m.evidence_type or ""}
            for m in proposal.milestones}


def _propose_context(year: int, proposal, values: dict, errors: dict, message: str | None = None) -> dict:
    return {"year": year, "proposal": proposal, "values": values, "errors": errors, "message": message,
            "existing": schedule.milestones_for_year(year), "plans": schedule.plan_documents(year), **_labels()}


@bp.route("/<int:year>/propose")
def propose(year):
    """Pick the year's plan, then see the milestones read from it beside the text they came from (Board)."""
    policy.require(current_user, "schedule.manage")
    year = org.check_year(year)
    document_id = request.args.get("document")
    if not document_id:
        return render_template("schedule/propose.html", **_propose_context(year, None, {}, {}))
    proposal = schedule.propose(year, schedule.get_plan_for(current_user, document_id))
    return render_template("schedule/propose.html", **_propose_context(year, proposal, _proposal_values(proposal), {}))


@bp.route("/<int:year>/propose", methods=["POST"])
def accept_proposal(year):
    """Save the accepted (and edited) lines of the proposal as the year's schedule (Board)."""
    policy.require(current_user, "schedule.manage")
    year = org.check_year(year)
    document = schedule.get_plan_for(current_user, request.form.get("document"))
    proposal = schedule.propose(year, document)
    values = {}
    for m in proposal.milestones:
        values[m.seq] = {name: request.form.get(f"{name}-{m.seq}", "").strip() for name in FIELDS if name != "id"}
        values[m.seq]["accept"] = request.form.get(f"accept-{m.seq}") == "1"
    accepted = [seq for seq, v in values.items() if v["accept"]]
    if not accepted:
        message = _("Chưa chọn dòng nào; hãy đánh dấu các dòng muốn dùng làm lịch.")
        return render_template("schedule/propose.html", **_propose_context(year, proposal, values, {}, message)), 422
    items = [{**{k: v for k, v in values[seq].items() if k != "accept"}, "seq": n} for n, seq in enumerate(accepted, start=1)]
    try:
        schedule.replace_milestones(current_user, year, items, source_document_id=document.id)
    except ValidationFailed as exc:
        errors = {accepted[i]: fields for i, fields in _row_errors(exc.errors).items() if i < len(accepted)}
        return render_template("schedule/propose.html", **_propose_context(year, proposal, values, errors, exc.message)), 422
    flash(_("Đã lưu lịch năm %(year)s từ kế hoạch %(number)s (%(n)s mốc).", year=year,
            number=document.number or document.display_title, n=len(items)), "success")
    return redirect(url_for("schedule.year_view", year=year))
