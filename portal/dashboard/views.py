"""The home page: the year's progress grid (blocs × milestones), a bloc's units, a cell's detail and check-off,
the XLSX export and the print view."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from portal import people
from portal.auth import policy
from portal.auth.forms import EmptyForm
from portal.dashboard import present
from portal.dashboard.export import progress_workbook
from portal.documents import saved_views
from portal.errors import Conflict, ValidationFailed
from portal.extensions import htmx
from portal.org import services as org
from portal.schedule import progress as prog
from portal.schedule import services as schedule
from portal.schedule.progress import STATUS_ICONS, STATUS_LABELS, CellScope
from portal.schedule.services import RESPONSIBLE_LABELS, SCOPE_LABELS
from portal.scoring import meeting as meetings
from portal.text import today_local

bp = Blueprint("dashboard", __name__)


@bp.before_request
@login_required
def require_login():
    """Every dashboard page needs a logged-in user."""


def _labels() -> dict:
    return {"status_labels": STATUS_LABELS, "status_icons": STATUS_ICONS, "scope_labels": SCOPE_LABELS,
            "responsible_labels": RESPONSIBLE_LABELS, "role_labels": org.ROLE_LABELS,
            "evidence_labels": schedule.evidence_labels()}


def _years(year: int) -> list[int]:
    this = today_local().year
    return sorted(set(schedule.schedule_years()) | set(org.membership_years()) | {year, this}, reverse=True)


@bp.route("/")
def home():
    """Show this year's progress grid, and for an officer its unit's bloc, role and next deadlines."""
    return _dashboard(today_local().year)


@bp.route("/progress/<int:year>")
def year_progress(year):
    """Show another year's progress grid."""
    return _dashboard(org.check_year(year))


def _dashboard(year: int):
    policy.require(current_user, "portal.read")
    progress = prog.year_progress(year)
    my_row, deadlines = prog.next_deadlines(progress, current_user.unit_id)
    context = {
        "year": year, "progress": progress, "grid": present.grid(progress), "years": _years(year), "deadlines": deadlines, "my_row": my_row,
        "memberships": org.memberships_of_unit(current_user.unit_id), "counts": progress.counts(),
        "now_date": progress.today,
        # Last year's meetings' proposals for this year not yet confirmed (one query): a bloc without a leader
        # in this year's memberships shows its proposed leader, "đề xuất, chờ Ban xác nhận".
        "proposals": meetings.proposals_for(year), "pins": _pins(), **_labels(),
    }
    return render_template("dashboard/home.html", **context)


def _pins() -> list[dict]:
    """The person's pinned views of the archive, each with its document count: at most four queries whatever
    the pins (the pins, their counts in one UNION ALL, the blocs and units they name), one when nothing is pinned."""
    views = saved_views.pinned_views(current_user)
    if not views:
        return []
    counts = saved_views.document_counts(views)
    words = saved_views.describe(views)
    return [{"view": v, "url": saved_views.view_url(v), "count": counts.get(v.id, 0), "words": words[v.id],
             "mine": v.owner_id == current_user.id, "owner_name": people.display_name(v.owner)} for v in views]


@bp.route("/progress/<int:year>/blocs/<code>")
def bloc(year, code):
    """Show one bloc's progress with its units (a row of the grid opens this inline with htmx)."""
    bloc = policy.get_bloc_for(current_user, code)
    progress = prog.year_progress(org.check_year(year))
    row = progress.row(bloc.id)
    if row is None:
        abort(404)
    names = present.checker_names(row.cells, units=True)
    words = present.GridWords(names=names)
    last_meeting = meetings.meeting_of(bloc, progress.year - 1)
    proposal = last_meeting if meetings.state_of(last_meeting) == "proposed" else None
    context = {"year": progress.year, "progress": progress, "row": row, "views": [words.view(c) for c in row.cells],
               "names": names, "proposal": proposal, **_labels()}
    if htmx and htmx.target == f"drill-{bloc.code}":
        block = "collapsed" if request.args.get("collapse") else "drill"
        return render_block("dashboard/bloc.html", block, **context)
    return render_template("dashboard/bloc.html", **context)


def _cell_context(milestone, bloc, *, errors=None, form=None) -> dict:
    progress = prog.year_progress(milestone.year)
    row = progress.row(bloc.id)
    if row is None:
        abort(404)
    cell = next(c for c in row.cells if c.milestone.id == milestone.id)
    history = prog.checks_history(milestone, bloc)
    checks = [c for c in [cell.check, *(u.check for u in cell.units)] if c is not None]
    # Who checked off and who changed the check-offs, by full name: one query for the whole panel.
    names = people.names_for([c.checked_by_id for c in checks] + [e.actor_id for e in history])
    can_check = policy.can(current_user, "milestone.check", CellScope(bloc.id, milestone.scope, milestone.year),
                           year=milestone.year)
    # In the grid's panel (not on the cell's own page) an answer also refreshes the grid's cell out of band.
    in_grid = bool(htmx) and htmx.target == "cell-panel" and (request.method == "GET" or request.form.get("grid") == "1")
    return {"year": milestone.year, "progress": progress, "row": row, "cell": cell, "view": present.GridWords(names=names).view(cell),
            "can_check": can_check, "in_grid": in_grid, "names": names,
            "history": history, "errors": errors or {}, "form": form or {},
            "today": progress.today, "action_form": EmptyForm(), **_labels()}


def _render_cell(context: dict, status: int = 200):
    if htmx and htmx.target == "cell-panel":
        # htmx swaps only 2xx answers: a refused check-off shows its message in the panel with a 200.
        return render_block("dashboard/cell.html", "panel", **context), 200
    return render_template("dashboard/cell.html", **context), status


@bp.route("/progress/milestones/<int:milestone_id>/blocs/<code>")
def cell(milestone_id, code):
    """Show one cell: the milestone, the bloc's status, the evidence, the check-offs and who may change them."""
    milestone, bloc = prog.get_cell_for(current_user, milestone_id, code)
    return _render_cell(_cell_context(milestone, bloc))


@bp.route("/progress/milestones/<int:milestone_id>/blocs/<code>/check", methods=["POST"])
def check(milestone_id, code):
    """Check a milestone off by hand for the bloc or one of its units (Board, or the bloc's leader that year)."""
    milestone, bloc = prog.get_cell_for(current_user, milestone_id, code, "milestone.check")
    form = {k: request.form.get(k, "") for k in ("note", "done_on", "unit")}
    try:
        prog.check_off(current_user, milestone, bloc, note=form["note"], done_on=form["done_on"], unit_code=form["unit"] or None)
    except ValidationFailed as exc:
        return _render_cell(_cell_context(milestone, bloc, errors={"_": exc.message, **exc.errors}, form=form), 422)
    except Conflict as exc:
        return _render_cell(_cell_context(milestone, bloc, errors={"_": exc.message}, form=form), 409)
    if htmx and htmx.target == "cell-panel":
        context = _cell_context(milestone, bloc)
        context["notice"] = _("Đã đánh dấu hoàn thành.")
        return render_block("dashboard/cell.html", "panel", oob=context["in_grid"], **context)
    flash(_("Đã đánh dấu hoàn thành mốc “%(title)s” cho %(bloc)s.", title=milestone.title, bloc=bloc.name), "success")
    return redirect(url_for("dashboard.cell", milestone_id=milestone.id, code=bloc.code))


@bp.route("/progress/checks/<int:check_id>/undo", methods=["POST"])
def undo(check_id):
    """Undo a hand check-off (Board, or the bloc's leader that year); the audit log keeps it."""
    check = prog.get_check_for(current_user, check_id)
    milestone, bloc = check.milestone, check.bloc
    prog.undo_check(current_user, check)
    if htmx and htmx.target == "cell-panel":
        context = _cell_context(milestone, bloc)
        context["notice"] = _("Đã hủy đánh dấu.")
        return render_block("dashboard/cell.html", "panel", oob=context["in_grid"], **context)
    flash(_("Đã hủy đánh dấu mốc “%(title)s”.", title=milestone.title), "success")
    return redirect(url_for("dashboard.cell", milestone_id=milestone.id, code=bloc.code))


@bp.route("/progress/<int:year>/export.xlsx")
def export(year):
    """Download the year's grid as an XLSX workbook."""
    policy.require(current_user, "portal.read")
    progress = prog.year_progress(org.check_year(year))
    return send_file(progress_workbook(progress, request.host_url.rstrip("/")), as_attachment=True, download_name=f"tien-do-thi-dua-{progress.year}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/progress/<int:year>/print")
def print_view(year):
    """Show the year's grid laid out for paper (A4 landscape), without controls."""
    policy.require(current_user, "portal.read")
    progress = prog.year_progress(org.check_year(year))
    return render_template("dashboard/print.html", year=progress.year, progress=progress, counts=progress.counts(),
                           grid=present.grid(progress, links=False), **_labels())
