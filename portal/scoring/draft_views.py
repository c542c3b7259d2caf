"""Word drafts of the meeting record and the bloc's year-end report (pages): the same rights as record.pdf."""
from __future__ import annotations

from portal.scoring import drafts
from portal.scoring import services as scoring
from portal.scoring.views import _download, _results_table, bp
from portal.text import today_local


def draft_download(year, bloc_code, build, name: str):
    """The draft as a download, for the page and the API alike (the same right as the results)."""
    table = _results_table(year, bloc_code)
    scoring.ensure_scorecards(table)
    data = build(scoring.compute(table), printed_on=today_local())
    return _download(data, drafts.DOCX_MIME, f"{name}-{table.bloc.code}-{table.year}.docx")


@bp.route("/<int:year>/<bloc_code>/record.docx")
def record_docx(year, bloc_code):
    """The meeting record (biên bản họp Khối) as a Word draft to finish and sign."""
    return draft_download(year, bloc_code, drafts.record_docx, "bien-ban")


@bp.route("/<int:year>/<bloc_code>/report.docx")
def report_docx(year, bloc_code):
    """The bloc's year-end report (báo cáo tổng kết) as a Word draft to finish and sign."""
    return draft_download(year, bloc_code, drafts.report_docx, "bao-cao-tong-ket")
