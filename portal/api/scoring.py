"""JSON API for scoring (DESIGN §4): criteria, scores, results; the same services and policy as the pages."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.api.views import bp, json_object
from portal.auth import policy
from portal.errors import Forbidden, NotFound, ValidationFailed
from portal.org import services as org
from portal.scoring import services as scoring


def _bloc_year(year, bloc_code):
    year = org.check_year(year)
    return policy.get_bloc_for(current_user, bloc_code), year


def _table(year, bloc_code, *, create: bool = False):
    if not create:
        return scoring.existing_table(current_user, year, bloc_code)
    bloc, year = _bloc_year(year, bloc_code)
    return scoring.table_for(bloc, year)


@bp.get("/years/<year>/blocs/<bloc>/criteria")
def get_criteria(year, bloc):
    """The bloc-year's criteria table in order, with each `id` and whether it is `locked`."""
    policy.require(current_user, "portal.read")
    bloc_obj, year = _bloc_year(year, bloc)
    table = scoring.find_table(bloc_obj, year)
    if table is None:
        return jsonify({"bloc": bloc_obj.code, "year": year, "locked": False, "status": "draft", "version": 0, "criteria": [],
                        "max_total": "0", "max_bonus": "0", "max_deduction": "0"})
    return jsonify(scoring.criteria_json(table))


@bp.put("/years/<year>/blocs/<bloc>/criteria")
def put_criteria(year, bloc):
    """Replace the criteria table in one transaction (leader's officers, Board); 409 once locked."""
    bloc_obj, year = _bloc_year(year, bloc)
    policy.require(current_user, "scoring.criteria.edit", bloc_obj, year=year)
    data = json_object()
    if "criteria" not in data:
        raise ValidationFailed(_("Thiếu danh sách tiêu chí (criteria)."), errors={"criteria": _("Bắt buộc.")})
    table = scoring.table_for(bloc_obj, year)
    scoring.replace_criteria(current_user, table, data["criteria"], version=data.get("version"))
    return jsonify(scoring.criteria_json(scoring.get_table(table.id)))


@bp.get("/years/<year>/blocs/<bloc>/scores")
def get_scores(year, bloc):
    """Every scorecard the caller may see, with every criterion × stage (`version` 0 and `points` null when never set).

    `?since=<token>` (the `token` of an earlier answer): only the scores changed since, and a new `token`.
    """
    policy.require(current_user, "portal.read")
    since = scoring.parse_feed_token(request.args.get("since"))
    table = _table(year, bloc)
    if since is None:
        scoring.ensure_scorecards(table)
    return jsonify(scoring.scores_json(current_user, table, since=since))


@bp.put("/scores/<int:scorecard>/<int:criterion>/<stage>")
def put_score(scorecard, criterion, stage):
    """Save one score based on `version`: 409 with the current value when stale, 422 for bad points."""
    card = scoring.get_scorecard(scorecard)
    criterion_obj = scoring.get_criterion(card.table, criterion)
    if stage not in scoring.STAGE_LABELS:
        raise NotFound(_("Giai đoạn chấm không hợp lệ: %(stage)s (self, bloc hoặc appraisal).", stage=stage))
    if not scoring.can_edit_stage(current_user, card, stage):
        raise Forbidden(_("Tài khoản của bạn không có quyền chấm điểm giai đoạn này cho đơn vị này."))
    data = json_object()
    if "version" not in data:
        raise ValidationFailed(_("Thiếu phiên bản dữ liệu (version)."), errors={"version": _("Bắt buộc.")})
    if "points" not in data:
        raise ValidationFailed(_("Thiếu điểm (points): một chuỗi số thập phân như \"8.5\", hoặc null để xóa."),
                               errors={"points": _("Bắt buộc.")})
    cell = scoring.save_score(current_user, card, criterion_obj, stage, data["points"], data["version"], note=data.get("note"))
    return jsonify({"scorecard": card.id, "criterion": criterion_obj.id, "stage": stage, **cell.to_current()})


@bp.get("/years/<year>/blocs/<bloc>/results")
def get_results(year, bloc):
    """The bloc's results: status, and per unit the totals per stage, rank with ties, classification and flag."""
    table = _table(year, bloc)
    policy.require(current_user, "scoring.results.read", table)
    scoring.ensure_scorecards(table)
    return jsonify(scoring.results_json(scoring.compute(table)))


def _move(year, bloc, action):
    table = _table(year, bloc)
    reason = None
    if action == "reopen":
        reason = json_object().get("reason")
    results = scoring.change_status(current_user, table, action, reason=reason)
    return jsonify(scoring.results_json(results))


@bp.post("/years/<year>/blocs/<bloc>/results/submit")
def submit_results(year, bloc):
    """Submit the bloc's results (leader's officers): draft → submitted."""
    return _move(year, bloc, "submit")


@bp.post("/years/<year>/blocs/<bloc>/results/appraise")
def appraise_results(year, bloc):
    """Confirm the appraisal (Board): submitted → appraised; proposes the provincial flag."""
    return _move(year, bloc, "appraise")


@bp.post("/years/<year>/blocs/<bloc>/results/finalize")
def finalize_results(year, bloc):
    """Record the council's recognition (Board): appraised → final."""
    return _move(year, bloc, "finalize")


@bp.post("/years/<year>/blocs/<bloc>/results/reopen")
def reopen_results(year, bloc):
    """Go one step back (Board) with `{"reason": "…"}`."""
    return _move(year, bloc, "reopen")
