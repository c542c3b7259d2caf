"""JSON API for the audit trail (DESIGN §4.1): the same filters and query as the Board's page."""
from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from portal import audit
from portal.api.views import bp
from portal.auth import policy
from portal.errors import ValidationFailed
from portal.web import int_arg


@bp.get("/audit")
def get_audit():
    """Every feature's changes, newest first: `?object=kind:id&actor=&action=&since=&until=&page=` (Board)."""
    policy.require(current_user, "user.manage")
    filters = audit.parse_filters(request.args)
    page = int_arg("page", 1, label=_("Số trang"), error=ValidationFailed)
    result = audit.query(filters, page=page)
    body = {"items": [audit.event_dict(entry) for entry in result.items], "total": result.total,
            "page": result.page, "pages": result.pages,
            "next_page": result.page + 1 if result.page < result.pages else None}
    # Readable Unicode in the body itself ("Âu Minh Khoa", not "\u00c2u …"): the trail is read by people too.
    return current_app.response_class(current_app.json.dumps(body, ensure_ascii=False) + "\n", mimetype="application/json")
