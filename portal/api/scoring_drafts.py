"""JSON API: the Word drafts of the meeting record and the bloc's year-end report (DESIGN §4.1).

The same downloads as the pages (same rights: the leader while drafted, everybody once submitted); refusals come
back as JSON errors because they are raised inside the API blueprint.
"""
from __future__ import annotations

from portal.api.views import bp
from portal.scoring import drafts
from portal.scoring.draft_views import draft_download


@bp.get("/years/<year>/blocs/<bloc>/record.docx")
def get_record_docx(year, bloc):
    """The meeting record (biên bản họp Khối) as a Word draft, always in Vietnamese."""
    return draft_download(year, bloc, drafts.record_docx, "bien-ban")


@bp.get("/years/<year>/blocs/<bloc>/report.docx")
def get_report_docx(year, bloc):
    """The bloc's year-end report (báo cáo tổng kết) as a Word draft, always in Vietnamese."""
    return draft_download(year, bloc, drafts.report_docx, "bao-cao-tong-ket")
