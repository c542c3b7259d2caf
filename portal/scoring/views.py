"""Scoring pages: criteria editor, self-scoring, the meeting's scoring sheet, results and exports (thin views)."""
from __future__ import annotations

import re
from decimal import Decimal

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from portal import people
from portal.auth import policy
from portal.auth.forms import EmptyForm
from portal.errors import Conflict, Forbidden, NotFound, ServiceError, ValidationFailed
from portal.extensions import htmx
from portal.org import services as org
from portal.scoring import meeting as meetings
from portal.scoring import rules
from portal.scoring import services as scoring
from portal.text import format_date, today_local

bp = Blueprint("scoring", __name__, url_prefix="/scoring")

CELL_FIELD = re.compile(r"^p-(\d+)-(\d+)$")
# How often an open sheet asks the score feed for other people's saves: "within about two seconds" at the meeting,
# one small indexed query per viewer and poll (polling, not server-sent events: a waitress thread is not held per
# viewer, and any number of processes answer it from the database).
LIVE_INTERVAL_MS = 1500


@bp.before_request
@login_required
def require_login():
    """Every scoring page needs a logged-in user."""


def _labels() -> dict:
    return {"stage_labels": scoring.STAGE_LABELS, "status_labels": scoring.STATUS_LABELS,
            "kind_labels": scoring.KIND_LABELS, "kind_short": scoring.KIND_SHORT,
            "classification_labels": scoring.CLASSIFICATION_LABELS, "flag_labels": scoring.FLAG_LABELS,
            "action_labels": scoring.ACTION_LABELS, "pts": scoring.points_vi, "action_form": EmptyForm(),
            "empty": scoring.EMPTY}


def _bloc_and_year(year, bloc_code):
    year = org.check_year(year)
    bloc = policy.get_bloc_for(current_user, bloc_code)
    return bloc, year


def _existing_table(year, bloc_code):
    return scoring.existing_table(current_user, year, bloc_code)


# --- overview and thresholds -------------------------------------------------------------------

@bp.route("/")
def index():
    """Go to this year's scoring overview."""
    return redirect(url_for("scoring.year", year=today_local().year))


@bp.route("/<int:year>")
def year(year):
    """List the year's blocs: criteria table, results status, and the links each user may follow."""
    policy.require(current_user, "portal.read")
    year = org.check_year(year)
    row = scoring.thresholds_row(year)
    context = {"year": year, "lines": scoring.year_overview(current_user, year), "thresholds": scoring.thresholds_for(year),
               "thresholds_row": row, "years": sorted(set(scoring.scoring_years()) | {year, today_local().year}, reverse=True),
               "errors": {}, **_labels()}
    return render_template("scoring/year.html", **context)


@bp.route("/<int:year>/thresholds", methods=["POST"])
def set_thresholds(year):
    """Set the year's classification thresholds (Board)."""
    policy.require(current_user, "scoring.board")
    try:
        scoring.set_thresholds(current_user, year, request.form.to_dict(), version=request.form.get("version"))
    except ServiceError as exc:
        details = " ".join(str(v) for v in exc.errors.values())
        flash(f"{exc.message} {details}".strip(), "error")
    else:
        flash(_("Đã lưu ngưỡng xếp loại năm %(year)s.", year=year), "success")
    return redirect(url_for("scoring.year", year=year))


# --- criteria tables ---------------------------------------------------------------------------

def _criteria_context(bloc, year, table, *, errors=None, message=None, form=None, editing=None, failed=False) -> dict:
    criteria = scoring.criteria_of(table) if table else []
    can_edit = policy.can(current_user, "scoring.criteria.edit", bloc, year=year)
    prev = scoring.find_table(bloc, year - 1)
    history = scoring.table_history(table) if (table and can_edit) else []
    mine = policy.unit_membership(current_user, year)
    return {
        "bloc": bloc, "year": year, "table": table, "criteria": criteria, "rows": scoring.criteria_rows(criteria),
        "maxima": rules.table_maxima(criteria), "can_edit": can_edit and not (table and table.locked),
        "can_lock": can_edit and table is not None and not table.locked and bool(criteria),
        "can_unlock": policy.can(current_user, "scoring.board") and table is not None and table.locked and table.status == "draft",
        "scoring_started": table is not None and table.locked and scoring.scoring_started(table),
        "may_edit": can_edit, "prev_table": prev, "blocs": org.list_blocs(), "errors": errors or {}, "message": message,
        "failed": failed,
        "form": form or {}, "editing": editing, "history": history, "names": people.event_names(history),
        # "Phiếu tự chấm" opens the user's own unit's scorecard (my_card): only for a member unit of the bloc that year.
        "own_card": table is not None and mine is not None and mine.bloc_id == bloc.id,
        **_labels(),
    }


@bp.route("/<int:year>/<bloc_code>/criteria")
def criteria(year, bloc_code):
    """Show the bloc-year's criteria table; its leader's officers and the Board edit it here."""
    bloc, year = _bloc_and_year(year, bloc_code)
    table = scoring.find_table(bloc, year)
    form = {k: request.args[k] for k in ("group", "kind") if request.args.get(k)}
    return render_template("scoring/criteria.html", **_criteria_context(bloc, year, table, form=form or None))


def _editor_response(bloc, year, *, ok: str | None = None, exc: ServiceError | None = None, form=None, editing=None,
                     next_form=None):
    """Answer a criteria edit: the editor block for htmx, else a redirect (or the page with the error)."""
    table = scoring.find_table(bloc, year)
    if exc is not None:
        context = _criteria_context(bloc, year, table, errors=exc.errors, message=exc.message, form=form, editing=editing,
                                    failed=True)
        if htmx:
            return render_block("scoring/criteria.html", "editor", **context), exc.status
        flash(exc.message, "error")
        return render_template("scoring/criteria.html", **context), exc.status
    if htmx:
        return render_block("scoring/criteria.html", "editor", **_criteria_context(bloc, year, table, message=ok, form=next_form))
    if ok:
        flash(ok, "success")
    target = url_for("scoring.criteria", year=year, bloc_code=bloc.code)
    if next_form:  # without JavaScript too: the add form comes back with the same group and kind
        target = url_for("scoring.criteria", year=year, bloc_code=bloc.code, group=next_form["group"] or None,
                         kind=next_form["kind"] or None) + "#a-title"
    return redirect(target)


def _criteria_call(year, bloc_code, fn, ok: str, *, form=None, editing=None, next_form=None):
    bloc, year = _bloc_and_year(year, bloc_code)
    policy.require(current_user, "scoring.criteria.edit", bloc, year=year)
    table = scoring.table_for(bloc, year)
    try:
        fn(table)
    except (ValidationFailed, Conflict) as exc:
        return _editor_response(bloc, year, exc=exc, form=form, editing=editing)
    return _editor_response(bloc, year, ok=ok, next_form=next_form)


def _item_form() -> dict:
    return {k: request.form.get(k, "") for k in ("group", "title", "max_points", "kind", "guidance")}


@bp.route("/<int:year>/<bloc_code>/criteria/items", methods=["POST"])
def add_criterion(year, bloc_code):
    """Add a criterion at the end of the table or after another one."""
    data = _item_form()
    return _criteria_call(year, bloc_code, lambda t: scoring.add_criterion(
        current_user, t, data, version=request.form.get("version"), after_id=request.form.get("after")),
        _("Đã thêm tiêu chí."), form=data,
        # The next item usually belongs to the same group and kind: keep them, and the cursor in its title.
        next_form={"group": data["group"], "kind": data["kind"], "focus": True})


@bp.route("/<int:year>/<bloc_code>/criteria/items/<int:criterion_id>", methods=["GET", "POST"])
def criterion_item(year, bloc_code, criterion_id):
    """Show one row of the editor (GET: cancel an edit) or save it (POST)."""
    if request.method == "GET":
        table = _existing_table(year, bloc_code)
        scoring.get_criterion(table, criterion_id)
        return _editor_response(table.bloc, table.year)
    data = _item_form()

    def save(table):
        scoring.update_criterion(current_user, table, scoring.get_criterion(table, criterion_id), data,
                                 version=request.form.get("version"))
    return _criteria_call(year, bloc_code, save, _("Đã lưu tiêu chí."), form=data, editing=criterion_id)


@bp.route("/<int:year>/<bloc_code>/criteria/items/<int:criterion_id>/edit")
def edit_criterion(year, bloc_code, criterion_id):
    """Open one row of the editor for inline editing (click-to-edit)."""
    table = _existing_table(year, bloc_code)
    policy.require(current_user, "scoring.criteria.edit", table.bloc, year=table.year)
    criterion = scoring.get_criterion(table, criterion_id)
    context = _criteria_context(table.bloc, table.year, table, editing=criterion.id,
                                form={**criterion.to_dict(), "max_points": scoring.points_vi(criterion.max_points)})
    if htmx:
        return render_block("scoring/criteria.html", "editor", **context)
    return render_template("scoring/criteria.html", **context)


@bp.route("/<int:year>/<bloc_code>/criteria/items/<int:criterion_id>/<op>", methods=["POST"])
def criterion_op(year, bloc_code, criterion_id, op):
    """Move a criterion up or down, into or out of a group, or delete it."""
    version = request.form.get("version")
    ops = {
        "up": (lambda t, c: scoring.move_criterion(current_user, t, c, "up", version=version), _("Đã chuyển tiêu chí lên.")),
        "down": (lambda t, c: scoring.move_criterion(current_user, t, c, "down", version=version), _("Đã chuyển tiêu chí xuống.")),
        "indent": (lambda t, c: scoring.indent_criterion(current_user, t, c, version=version), _("Đã đưa tiêu chí vào nhóm.")),
        "outdent": (lambda t, c: scoring.outdent_criterion(current_user, t, c, version=version), _("Đã đưa tiêu chí ra khỏi nhóm.")),
        "delete": (lambda t, c: scoring.delete_criterion(current_user, t, c, version=version), _("Đã xóa tiêu chí.")),
    }
    if op not in ops:
        raise NotFound(_("Thao tác không hợp lệ."))
    fn, ok = ops[op]
    return _criteria_call(year, bloc_code, lambda t: fn(t, scoring.get_criterion(t, criterion_id)), ok)


@bp.route("/<int:year>/<bloc_code>/criteria/copy", methods=["POST"])
def copy_criteria(year, bloc_code):
    """Start the table from last year's (or another bloc's) table."""
    source_bloc = request.form.get("source_bloc") or bloc_code
    try:
        source_year = org.check_year(request.form.get("source_year") or int(year) - 1)
        source = scoring.find_table(org.get_bloc(source_bloc), source_year)
    except (ValidationFailed, NotFound):
        source = None

    def copy(table):
        scoring.copy_criteria(current_user, table, source, version=request.form.get("version"),
                              replace=request.form.get("replace") == "1")
    return _criteria_call(year, bloc_code, copy, _("Đã sao chép bảng điểm."))


@bp.route("/<int:year>/<bloc_code>/criteria/import", methods=["POST"])
def import_criteria(year, bloc_code):
    """Replace the table from an XLSX sheet (STT / Nội dung tiêu chí / Điểm chuẩn / Hướng dẫn chấm)."""
    storage = request.files.get("file")
    outcome = {}

    def run(table):
        if storage is None or not storage.filename:
            raise ValidationFailed(_("Hãy chọn tệp Excel (.xlsx) có bảng điểm."), errors={"file": _("Bắt buộc.")})
        outcome.update(scoring.import_criteria(current_user, table, storage.stream, version=request.form.get("version"),
                                               replace=request.form.get("replace") == "1"))
    response = _criteria_call(year, bloc_code, run, _("Đã nhập bảng điểm từ tệp Excel."))
    for warning in outcome.get("warnings", []):
        flash(warning, "warning")
    return response


@bp.route("/<int:year>/<bloc_code>/criteria/lock", methods=["POST"])
def lock_criteria(year, bloc_code):
    """Lock the table before scoring (the first score locks it too)."""
    return _criteria_call(year, bloc_code, lambda t: scoring.lock_table(current_user, t, version=request.form.get("version")),
                          _("Đã khóa bảng điểm."))


@bp.route("/<int:year>/<bloc_code>/criteria/unlock", methods=["POST"])
def unlock_criteria(year, bloc_code):
    """Unlock a locked table (Board, with a reason)."""
    bloc, year = _bloc_and_year(year, bloc_code)
    policy.require(current_user, "scoring.board", bloc, year=year)
    table = scoring.table_for(bloc, year)
    try:
        scoring.unlock_table(current_user, table, request.form.get("reason", ""), version=request.form.get("version"))
    except (ValidationFailed, Conflict) as exc:
        return _editor_response(bloc, year, exc=exc)
    return _editor_response(bloc, year, ok=_("Đã mở khóa bảng điểm."))


# --- cells ---------------------------------------------------------------------------------------

def _cell_values(scorecard_id: int, criterion_id: int):
    form = request.form
    suffix = f"{scorecard_id}-{criterion_id}"
    points = form.get(f"p-{suffix}", form.get("points"))
    version = form.get(f"v-{suffix}", form.get("version"))
    note = form.get(f"n-{suffix}", form.get("note"))
    return points, version, note


def _cell_context(scorecard, criterion, stage, cell, *, raw=None, error=None, conflict=None, force=False) -> dict:
    """Everything the answer to a cell needs: its version and message, and the live totals of its page."""
    table = scorecard.table
    context = {"sc": scorecard, "criterion": criterion, "stage": stage, "cell": cell, "raw": raw, "error": error,
               "conflict": conflict, "force": force, "table": table, **_labels()}
    if stage == "self":
        context["self_total"] = scoring.own_total(scorecard, "self")
    else:
        compare_stage = "self" if stage == "bloc" else "bloc"
        compare = None
        if compare_stage == "bloc" or scorecard.self_submitted_at is not None:
            compare = scoring.read_cell(scorecard, criterion, compare_stage).points
        context["compare"] = compare
        context["compare_stage"] = compare_stage
        columns, totals, ranks = scoring.live_totals(table, stage)
        context.update(columns=columns, totals=totals, ranks=ranks)
    return context


def _cell_template(stage: str) -> str:
    return "scoring/card.html" if stage == "self" else "scoring/sheet.html"


@bp.route("/cells/<int:scorecard_id>/<int:criterion_id>/<stage>", methods=["GET", "POST"])
def cell(scorecard_id, criterion_id, stage):
    """Save one cell on change (htmx) with the version it was based on; GET returns the cell as stored now."""
    scorecard = scoring.get_scorecard(scorecard_id)
    criterion = scoring.get_criterion(scorecard.table, criterion_id)
    if stage not in scoring.STAGE_LABELS:
        raise NotFound(_("Giai đoạn chấm không hợp lệ."))
    if stage not in scoring.visible_stages(current_user, scorecard.table, scorecard) and not scoring.can_edit_stage(current_user, scorecard, stage):
        raise Forbidden(_("Tài khoản của bạn không có quyền xem điểm này."))
    template = _cell_template(stage)
    if request.method == "GET":
        # "Take theirs": the stored value replaces what the user typed, and the next save is based on it.
        cell = scoring.read_cell(scorecard, criterion, stage)
        return render_block(template, "cell_response", **_cell_context(scorecard, criterion, stage, cell, force=True))
    points, version, note = _cell_values(scorecard.id, criterion.id)
    try:
        cell = scoring.save_score(current_user, scorecard, criterion, stage, points, version, note=note)
    except ValidationFailed as exc:
        return _cell_refused(scorecard, criterion, stage, exc, raw=points, note=note, version=version)
    except Conflict as exc:
        return _cell_refused(scorecard, criterion, stage, exc, raw=points, note=note, version=version)
    if not htmx:
        flash(_("Đã lưu điểm."), "success")
        return redirect(_page_of(scorecard, stage))
    return render_block(template, "cell_response", **_cell_context(scorecard, criterion, stage, cell))


def _cell_refused(scorecard, criterion, stage, exc: ServiceError, *, raw, note, version):
    if not htmx:
        flash(exc.message, "error")
        return redirect(_page_of(scorecard, stage))
    current = scoring.read_cell(scorecard, criterion, stage)
    if isinstance(exc, Conflict) and exc.current and "version" in exc.current:
        # Stale: the next save (or "Ghi đè") is knowingly based on the other person's version.
        context = _cell_context(scorecard, criterion, stage, current, raw=raw, conflict=current, error=exc.message)
    else:
        # Bad points (or a closed stage): keep the version the user's value was based on.
        try:
            base_version = int(version)
        except (TypeError, ValueError):
            base_version = current.version
        shown = scoring.Cell(points=current.points, version=base_version, note=current.note)
        context = _cell_context(scorecard, criterion, stage, shown, raw=raw, error=exc.errors.get("points") or exc.message)
    return render_block(_cell_template(stage), "cell_response", **context), exc.status


def _page_of(scorecard, stage) -> str:
    table = scorecard.table
    if stage == "self":
        return url_for("scoring.card", scorecard_id=scorecard.id)
    return url_for("scoring.sheet", year=table.year, bloc_code=table.bloc.code, stage=stage)


# --- the scoring sheet -----------------------------------------------------------------------------

def _sheet_table(year, bloc_code, stage):
    table = _existing_table(year, bloc_code)
    if stage == "appraisal":
        policy.require(current_user, "scoring.board", table.bloc, year=table.year)
    else:
        policy.require(current_user, "scoring.sheet", table.bloc, year=table.year)
    return table


@bp.route("/<int:year>/<bloc_code>/sheet", methods=["GET", "POST"])
def sheet(year, bloc_code):
    """The meeting's scoring sheet: units as columns, criteria as rows, every cell saved on change."""
    stage = request.values.get("stage", "bloc")
    if stage not in ("bloc", "appraisal"):
        raise NotFound(_("Giai đoạn chấm không hợp lệ."))
    table = _sheet_table(year, bloc_code, stage)
    if request.method == "GET" and request.args.get("part") == "totals":
        # The live sheet asks for the footer when the feed brought someone else's scores.
        columns, totals, ranks = scoring.live_totals(table, stage)
        return render_block("scoring/sheet.html", "live_totals", columns=columns, totals=totals, ranks=ranks, stage=stage,
                            **_labels())
    the_members = scoring.ensure_scorecards(table)
    errors, conflicts, raws, status = {}, {}, {}, 200
    if request.method == "POST":
        # The plain-form fallback (no JavaScript): save every changed cell at once, or none.
        raws = {(int(m.group(1)), int(m.group(2))): value for key, value in request.form.items() if (m := CELL_FIELD.match(key))}
        try:
            n = scoring.save_form(current_user, table, stage, [
                (sc, cr, raw, request.form.get(f"v-{sc}-{cr}"), None) for (sc, cr), raw in raws.items()])
        except (ValidationFailed, Conflict, Forbidden) as exc:
            flash(exc.message, "error")
            errors, conflicts, status = exc.errors, _conflict_cells(exc.current), exc.status
            the_members = scoring.members(table)  # the rollback expired what was loaded
        else:
            flash(_("Đã lưu %(n)s ô điểm.", n=n) if n else _("Không có ô nào thay đổi."), "success")
            return redirect(url_for("scoring.sheet", year=table.year, bloc_code=table.bloc.code, stage=stage))
    context = sheet_context(table, stage, the_members=the_members, errors=errors, conflicts=conflicts, raws=raws if errors else {},
                            projector=request.args.get("projector") == "1")
    return render_template("scoring/sheet.html", **context), status


def sheet_context(table, stage: str, *, the_members=None, errors=None, conflicts=None, raws=None, projector=False) -> dict:
    """Everything sheet.html needs (the sheet page, and the import's refusal shown on it)."""
    data = scoring.build_sheet(current_user, table, stage, the_members=the_members)
    if projector:
        data.editable = False  # the wall shows; laptops type
    return {"s": data, "table": table, "bloc": table.bloc, "year": table.year, "stage": stage, "errors": errors or {},
            "conflicts": conflicts or {}, "raws": raws or {}, "projector": projector, "live_interval": LIVE_INTERVAL_MS,
            "can_appraise": policy.can(current_user, "scoring.board"), **_labels()}


def _conflict_cells(current) -> dict:
    """The other editors' values per refused cell, as Cells like the htmx save shows them ("Lấy giá trị …")."""
    # The service reports them as the API does (points as decimal strings); the sheet shows Decimals.
    cells = {}
    for key, value in (current or {}).items():
        if isinstance(value, dict) and "version" in value:
            points = value.get("points")
            cells[key] = scoring.Cell(points=None if points in (None, "") else rules.normalize_points(Decimal(points)),
                                      version=value["version"], note=value.get("note") or "", updated_by=value.get("updated_by"))
    return cells


# --- self-scoring --------------------------------------------------------------------------------

@bp.route("/<int:year>/<bloc_code>/self")
def my_card(year, bloc_code):
    """Go to the user's own unit's scorecard in that bloc-year."""
    table = _existing_table(year, bloc_code)
    scorecard = scoring.scorecard_of_unit(table, current_user.unit_id) if current_user.unit_id else None
    if scorecard is None:
        raise Forbidden(_("Đơn vị của bạn không thuộc %(bloc)s năm %(year)s.", bloc=table.bloc.name, year=table.year))
    scoring.ensure_scorecards(table)
    return redirect(url_for("scoring.card", scorecard_id=scorecard.id))


def _card_context(scorecard, *, errors=None, raws=None) -> dict:
    table = scorecard.table
    stages = scoring.visible_stages(current_user, table, scorecard)
    if not stages:
        raise Forbidden(_("Tài khoản của bạn không có quyền xem phiếu chấm điểm này."))
    criteria = scoring.criteria_of(table)
    can_edit = scoring.can_edit_stage(current_user, scorecard, "self")
    editable = can_edit and rules.stage_editable(table.status, "self") and scorecard.self_submitted_at is None
    cells = scoring.scorecard_cells(scorecard, stages)
    others = [s for s in stages if s != "self"]
    return {"sc": scorecard, "table": table, "bloc": table.bloc, "year": table.year, "criteria": criteria,
            "rows": scoring.criteria_rows(criteria), "cells": cells, "stages": stages,
            "others_for": lambda criterion_id: [(s, cells.get((criterion_id, s))) for s in others],
            "editable": editable, "can_edit": can_edit, "maxima": rules.table_maxima(criteria),
            "totals": {s: scoring.own_total(scorecard, s) for s in stages},
            "self_total": scoring.own_total(scorecard, "self") if "self" in stages else None,
            "can_return": policy.can(current_user, "scoring.board") and scorecard.self_submitted_at is not None and table.status == "draft",
            "can_copy_appraisal": policy.can(current_user, "scoring.board") and table.status == "submitted",
            "can_history": scoring.can_read_history(current_user, scorecard),
            "submitted_by": people.names_for(usernames=[scorecard.self_submitted_by]).of(None, scorecard.self_submitted_by)
            if scorecard.self_submitted_at else "",
            "errors": errors or {}, "raws": raws or {}, **_labels()}


@bp.route("/cards/<int:scorecard_id>", methods=["GET", "POST"])
def card(scorecard_id):
    """A unit's scorecard: its officers fill in the self-score with a note per item and submit it."""
    scorecard = scoring.get_scorecard(scorecard_id)
    errors, raws, status = {}, {}, 200
    if request.method == "POST":
        raws = {int(m.group(2)): value for key, value in request.form.items()
                if (m := CELL_FIELD.match(key)) and int(m.group(1)) == scorecard.id}
        try:
            n = scoring.save_form(current_user, scorecard.table, "self", [
                (scorecard.id, cr, raw, request.form.get(f"v-{scorecard.id}-{cr}"), request.form.get(f"n-{scorecard.id}-{cr}"))
                for cr, raw in raws.items()])
        except (ValidationFailed, Conflict, Forbidden) as exc:
            flash(exc.message, "error")
            errors, status = exc.errors, exc.status
        else:
            flash(_("Đã lưu %(n)s tiêu chí.", n=n) if n else _("Không có tiêu chí nào thay đổi."), "success")
            return redirect(url_for("scoring.card", scorecard_id=scorecard.id))
    context = _card_context(scorecard, errors=errors, raws=raws if errors else {})
    return render_template("scoring/card.html", **context), status


@bp.route("/cards/<int:scorecard_id>/submit", methods=["POST"])
def submit_card(scorecard_id):
    """Send the unit's self-score to the bloc."""
    scorecard = scoring.get_scorecard(scorecard_id)
    # The submit button belongs to the scorecard's form: what the officer sees on screen comes along.
    shown = {int(m.group(2)): value for key, value in request.form.items()
             if (m := CELL_FIELD.match(key)) and int(m.group(1)) == scorecard.id}
    try:
        scoring.submit_self(current_user, scorecard, shown=shown)
    except (ValidationFailed, Conflict) as exc:
        flash(exc.message, "error")
        return render_template("scoring/card.html", **_card_context(scoring.get_scorecard(scorecard_id), errors=exc.errors,
                                                                    raws=shown)), exc.status
    flash(_("Đã gửi bản tự chấm của %(unit)s.", unit=scorecard.unit.name), "success")
    return redirect(url_for("scoring.card", scorecard_id=scorecard_id))


@bp.route("/cards/<int:scorecard_id>/return", methods=["POST"])
def return_card(scorecard_id):
    """Give a submitted self-score back to its unit (Board, with a reason)."""
    scorecard = scoring.get_scorecard(scorecard_id)
    try:
        scoring.return_self(current_user, scorecard, request.form.get("reason", ""))
    except (ValidationFailed, Conflict) as exc:
        flash(exc.message, "error")
    else:
        flash(_("Đã trả lại bản tự chấm cho %(unit)s.", unit=scorecard.unit.name), "success")
    return redirect(url_for("scoring.card", scorecard_id=scorecard_id))


@bp.route("/cards/<int:scorecard_id>/appraisal-copy", methods=["POST"])
def copy_to_appraisal(scorecard_id):
    """Fill the unit's empty appraisal cells with the bloc's scores (Board)."""
    scorecard = scoring.get_scorecard(scorecard_id)
    try:
        n = scoring.copy_bloc_to_appraisal(current_user, scorecard)
    except (ValidationFailed, Conflict) as exc:
        flash(exc.message, "error")
    else:
        flash(_("Đã lấy %(n)s điểm của Khối làm điểm thẩm định cho %(unit)s.", n=n, unit=scorecard.unit.name), "success")
    table = scorecard.table
    return redirect(url_for("scoring.sheet", year=table.year, bloc_code=table.bloc.code, stage="appraisal"))


@bp.route("/cards/<int:scorecard_id>/history")
def card_history(scorecard_id):
    """Every change of a scorecard: who, when, which criterion and stage, old and new points."""
    scorecard = scoring.get_scorecard(scorecard_id)
    table = scorecard.table
    if not scoring.can_read_history(current_user, scorecard):
        raise Forbidden(_("Tài khoản của bạn không có quyền xem lịch sử phiếu chấm điểm này."))
    stages = scoring.visible_stages(current_user, table, scorecard)
    return render_template("scoring/history.html", sc=scorecard, table=table, self_hidden="self" not in stages,
                           lines=scoring.scorecard_history(scorecard, stages), **_labels())


# --- results -----------------------------------------------------------------------------------

def _results_table(year, bloc_code):
    table = _existing_table(year, bloc_code)
    policy.require(current_user, "scoring.results.read", table)
    return table


def _results_context(table, *, errors=None) -> dict:
    scoring.ensure_scorecards(table)
    results = scoring.compute(table)
    steps = scoring.status_steps(table)
    return {"r": results, "table": table, "bloc": table.bloc, "year": table.year,
            "leadership_state": meetings.state_of(meetings.meeting_of(table.bloc, table.year)),
            "actions": scoring.allowed_actions(current_user, table), "steps": steps,
            "names": people.event_names(steps.values()),
            "is_board": policy.can(current_user, "scoring.board"),
            "can_sheet": policy.can(current_user, "scoring.sheet", table.bloc, year=table.year),
            "errors": errors or {}, **_labels()}


@bp.route("/<int:year>/<bloc_code>/results")
def results(year, bloc_code):
    """The bloc's results: totals per stage, rank with ties, classification, flags, status and its steps."""
    table = _results_table(year, bloc_code)
    context = {**_results_context(table), "projector": request.args.get("projector") == "1"}
    if request.args.get("part") == "table":  # the projector's results follow the meeting live
        return render_block("scoring/results.html", "results_table", **context)
    return render_template("scoring/results.html", **context)


@bp.route("/<int:year>/<bloc_code>/results/<action>", methods=["POST"])
def change_status(year, bloc_code, action):
    """Submit (leader), appraise, finalize or reopen with a reason (Board)."""
    table = _existing_table(year, bloc_code)
    if action not in scoring.ACTION_LABELS:
        raise NotFound(_("Thao tác không hợp lệ."))
    try:
        scoring.change_status(current_user, table, action, reason=request.form.get("reason"))
    except (ValidationFailed, Conflict) as exc:
        flash(exc.message, "error")
        table = _existing_table(year, bloc_code)
        if policy.can(current_user, "scoring.results.read", table):
            return render_template("scoring/results.html", **_results_context(table, errors=exc.errors)), exc.status
        return redirect(url_for("scoring.year", year=table.year)), 303
    flash(_("Đã %(action)s: kết quả chuyển sang “%(status)s”.", action=str(scoring.ACTION_LABELS[action]).lower(),
            status=scoring.STATUS_LABELS[table.status]), "success")
    return redirect(url_for("scoring.results", year=table.year, bloc_code=table.bloc.code))


@bp.route("/<int:year>/<bloc_code>/results/flags", methods=["POST"])
def decide_flags(year, bloc_code):
    """Record the Board's choice among units tied at rank 1 for the provincial flag."""
    table = _existing_table(year, bloc_code)
    policy.require(current_user, "scoring.board", table.bloc, year=table.year)
    try:
        chosen = [int(v) for v in request.form.getlist("chosen")]
        scoring.decide_flag_tie(current_user, table, chosen)
    except ValueError:
        flash(_("Lựa chọn không hợp lệ."), "error")
    except (ValidationFailed, Conflict) as exc:
        flash(exc.message, "error")
    else:
        flash(_("Đã ghi nhận đơn vị được đề nghị Cờ thi đua của UBND tỉnh."), "success")
    return redirect(url_for("scoring.results", year=table.year, bloc_code=table.bloc.code))


@bp.route("/<int:year>/<bloc_code>/results/gov-flag/<int:scorecard_id>", methods=["POST"])
def government_flag(year, bloc_code, scorecard_id):
    """Mark or take back a Government-flag proposal (the council's decision, recorded by the Board)."""
    table = _existing_table(year, bloc_code)
    policy.require(current_user, "scoring.board", table.bloc, year=table.year)
    scorecard = scoring.get_scorecard(scorecard_id)
    if scorecard.table_id != table.id:
        raise NotFound(_("Không tìm thấy phiếu chấm điểm."))
    try:
        scoring.set_government_flag(current_user, table, scorecard, request.form.get("marked") == "1")
    except (ValidationFailed, Conflict) as exc:
        flash(exc.message, "error")
    else:
        flash(_("Đã cập nhật đề nghị Cờ thi đua của Chính phủ."), "success")
    return redirect(url_for("scoring.results", year=table.year, bloc_code=table.bloc.code))


# --- exports -----------------------------------------------------------------------------------

def _download(data: bytes, mimetype: str, filename: str) -> Response:
    from urllib.parse import quote

    response = Response(data, mimetype=mimetype)
    ascii_name = filename.encode("ascii", "ignore").decode() or "ket-qua"
    response.headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def _record_context(table) -> dict:
    context = _results_context(table)
    context.update(printed_on=format_date(today_local()), members=context["r"].members)
    return context


@bp.route("/<int:year>/<bloc_code>/results.xlsx")
def results_xlsx(year, bloc_code):
    """The bloc's results as an Excel sheet an official can hand on."""
    from portal.scoring import sheets

    table = _results_table(year, bloc_code)
    scoring.ensure_scorecards(table)
    data = sheets.results_xlsx(scoring.compute(table), printed_on=today_local())
    return _download(data, sheets.XLSX_MIME, f"ket-qua-{table.bloc.code}-{table.year}.xlsx")


@bp.route("/<int:year>/<bloc_code>/sheet.xlsx")
def sheet_xlsx(year, bloc_code):
    """The full scoring sheet (every stage, every criterion, every unit) as an Excel workbook."""
    from portal.scoring import sheets

    table = _sheet_table(year, bloc_code, "bloc")
    scoring.ensure_scorecards(table)
    data = sheets.full_sheet_xlsx(table, printed_on=today_local())
    return _download(data, sheets.XLSX_MIME, f"bang-cham-diem-{table.bloc.code}-{table.year}.xlsx")


@bp.route("/<int:year>/<bloc_code>/record")
def record(year, bloc_code):
    """A printable meeting record of the bloc's scoring and results."""
    table = _results_table(year, bloc_code)
    return render_template("scoring/record.html", **_record_context(table))


@bp.route("/<int:year>/<bloc_code>/record.pdf")
def record_pdf(year, bloc_code):
    """The meeting record as a PDF (reportlab, DejaVu Sans)."""
    from portal.scoring import record as record_module

    table = _results_table(year, bloc_code)
    scoring.ensure_scorecards(table)
    data = record_module.record_pdf(scoring.compute(table), printed_on=today_local())
    return _download(data, "application/pdf", f"bien-ban-{table.bloc.code}-{table.year}.pdf")


# The meeting's follow-ups register their routes on this blueprint from their own modules.
from portal.scoring import draft_views, import_views, leadership_views  # noqa: E402,F401
