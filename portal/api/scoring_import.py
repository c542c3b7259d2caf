"""JSON API: scores from Excel (DESIGN §4.1) — the template of a bloc-year and stage, and its all-or-nothing import."""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from portal.api.views import bp
from portal.errors import ServiceError, json_error
from portal.extensions import db
from portal.scoring import score_workbooks as workbooks
from portal.scoring import services as scoring
from portal.scoring.import_views import template_filename, xlsx_download


def _table(year, bloc_code):
    return scoring.existing_table(current_user, year, bloc_code)


@bp.get("/years/<year>/blocs/<bloc>/scores/template.xlsx")
def score_template(year, bloc):
    """The Excel template of the stage (`self` or `bloc`): one column per unit the caller may score, values pre-filled."""
    table = _table(year, bloc)
    stage = workbooks.check_stage(request.args.get("stage"))
    return xlsx_download(workbooks.template_xlsx(current_user, table, stage), template_filename(table, stage))


@bp.post("/years/<year>/blocs/<bloc>/scores/import")
def import_scores(year, bloc):
    """Import a filled-in template (multipart `file`, `stage`): 200 `{"saved": n}`, or nothing saved and
    422 with `error.lines` (`[{"line", "message"}]`), 409 when a cell changed since the template was made."""
    table = _table(year, bloc)
    try:
        stage = workbooks.check_stage(request.form.get("stage"))
        storage = request.files.get("file")
        saved = workbooks.import_scores(current_user, table, stage, storage.stream if storage and storage.filename else None)
    except ServiceError as exc:
        db.session.rollback()
        extra = {"lines": workbooks.lines_of(exc)} if exc.status in (409, 422) else {}
        if exc.errors and not extra.get("lines"):
            extra["fields"] = {k: str(v) for k, v in exc.errors.items()}
        return json_error(exc.status, exc.code, str(exc.message), **extra)
    return jsonify({"saved": saved})
