"""JSON API: the Word drafts of the meeting record and the bloc's year-end report (DESIGN §4.1)."""
from __future__ import annotations

from flask_login import current_user

from portal.api.scoring import _table
from portal.api.views import bp
from portal.auth import policy
from portal.scoring import drafts
from portal.scoring import services as scoring
from portal.scoring.views import _download
from portal.text import today_local


def _draft(year, bloc, build, name: str):
    # The same right as the results (and the record.pdf page): the leader while drafted, everybody once submitted.
    table = _table(year, bloc)
    policy.require(current_user, "scoring.results.read", table)
    scoring.ensure_scorecards(table)
    data = build(scoring.compute(table), printed_on=today_local())
    return _download(data, drafts.DOCX_MIME, f"{name}-{table.bloc.code}-{table.year}.docx")


@bp.get("/years/<year>/blocs/<bloc>/record.docx")
def get_record_docx(year, bloc):
    """The meeting record (biên bản họp Khối) as a Word draft, always in Vietnamese."""
    return _draft(year, bloc, drafts.record_docx, "bien-ban")


@bp.get("/years/<year>/blocs/<bloc>/report.docx")
def get_report_docx(year, bloc):
    """The bloc's year-end report (báo cáo tổng kết) as a Word draft, always in Vietnamese."""
    return _draft(year, bloc, drafts.report_docx, "bao-cao-tong-ket")
