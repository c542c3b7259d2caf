"""Scores from Excel: the template of a bloc-year and stage, and its import (pages; thin over score_workbooks)."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import policy
from portal.errors import NotFound, ServiceError
from portal.extensions import db
from portal.scoring import score_workbooks as workbooks
from portal.scoring import services as scoring
from portal.scoring import views as sheet_views
from portal.scoring.views import _card_context, bp

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_download(data: bytes, filename: str) -> Response:
    """An XLSX attachment (ASCII and UTF-8 names), never rendered by the browser."""
    response = Response(data, mimetype=XLSX_MIME)
    ascii_name = filename.encode("ascii", "ignore").decode() or "mau-nhap-diem.xlsx"
    response.headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def template_filename(table, stage: str) -> str:
    return f"mau-{'tu-cham' if stage == 'self' else 'khoi-cham'}-{table.bloc.code}-{table.year}.xlsx"


def _table(year, bloc_code):
    return scoring.existing_table(current_user, year, bloc_code)


@bp.route("/<int:year>/<bloc_code>/scores/template.xlsx")
def score_template(year, bloc_code):
    """Download the Excel template of a stage (?stage=self|bloc) with the units the user may score."""
    table = _table(year, bloc_code)
    stage = workbooks.check_stage(request.args.get("stage"))
    return xlsx_download(workbooks.template_xlsx(current_user, table, stage), template_filename(table, stage))


def _card_for(table, stage: str):
    """The scorecard page a self-score import returns to: the one it was sent from, else the user's own unit's."""
    if stage != "self":
        return None
    wanted = request.form.get("scorecard", "")
    if wanted.isdigit():
        try:
            card = scoring.get_scorecard(wanted)
        except NotFound:
            card = None
        if card is not None and card.table_id == table.id and scoring.visible_stages(current_user, table, card):
            return card
    if current_user.unit_id:
        return scoring.scorecard_of_unit(table, current_user.unit_id)
    return None


def _back(table, stage: str, card) -> str:
    if card is not None:
        return url_for("scoring.card", scorecard_id=card.id)
    if stage == "bloc":
        return url_for("scoring.sheet", year=table.year, bloc_code=table.bloc.code)
    return url_for("scoring.criteria", year=table.year, bloc_code=table.bloc.code)


def _page_with_errors(table, stage: str, card, exc: ServiceError):
    """Render the page the form was on again, the refusal and its numbered lines in the import box."""
    lines = workbooks.lines_of(exc)
    extra = {"import_message": exc.message, "import_errors": lines}
    flash(exc.message, "error")  # at the top of the page; the numbered lines are in the import box
    if card is not None:
        return render_template("scoring/card.html", **_card_context(card), **extra), exc.status
    if stage == "bloc" and policy.can(current_user, "scoring.sheet", table.bloc, year=table.year):
        context = sheet_views.sheet_context(table, "bloc", the_members=scoring.ensure_scorecards(table))
        return render_template("scoring/sheet.html", **context, **extra), exc.status
    # No page to show the lines on (the Board importing self-scores from outside a scorecard): the first few as flashes.
    for line in lines[:10]:
        flash(line["message"], "error")
    return redirect(_back(table, stage, card)), 303


@bp.route("/<int:year>/<bloc_code>/scores/import", methods=["POST"])
def import_scores(year, bloc_code):
    """Import a filled-in template (file + stage): all cells or none, then back to the sheet or the scorecard."""
    table = _table(year, bloc_code)
    stage = workbooks.check_stage(request.form.get("stage"))
    card = _card_for(table, stage)
    storage = request.files.get("file")
    try:
        saved = workbooks.import_scores(current_user, table, stage, storage.stream if storage and storage.filename else None)
    except ServiceError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            raise
        table = scoring.get_table(table.id)  # the rollback expired what was loaded
        card = scoring.get_scorecard(card.id) if card is not None else None
        return _page_with_errors(table, stage, card, exc)
    if saved:
        flash(_("Đã nhập %(n)s ô điểm từ tệp Excel.", n=saved), "success")
    else:
        flash(_("Tệp không có ô điểm nào khác với điểm đã lưu; không có gì thay đổi."), "success")
    return redirect(_back(table, stage, card))
