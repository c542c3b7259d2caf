"""GET /api/v1/documents/export.xlsx: the register (sổ đăng ký văn bản) of the documents list's filters.

A browser session is accepted like any API call (GET: no CSRF token needed), so the list page's
"Xuất sổ đăng ký" button links here with its filters.
"""
from __future__ import annotations

import io

from flask import send_file
from flask_login import current_user

from portal.api.documents import filters_from_args
from portal.api.views import bp
from portal.auth import policy
from portal.documents import register
from portal.text import now_local

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/documents/export.xlsx")
def export_register():
    """The register of the filtered documents list (all pages) as XLSX, always in Vietnamese."""
    policy.require(current_user, "portal.read")
    data = register.register_workbook(filters_from_args())
    name = f"so-dang-ky-van-ban-{now_local():%Y%m%d-%H%M}.xlsx"
    return send_file(io.BytesIO(data), mimetype=XLSX_MIME, as_attachment=True, download_name=name)
