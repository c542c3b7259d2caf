"""The archive list's bulk bar: set year, type, bloc, unit or issuer on the chosen documents, or trash them.

Thin: the form becomes the API's request shape and portal.documents.bulk does the rest (all or nothing).
"""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.documents import bulk
from portal.documents.views import bp, index
from portal.errors import ServiceError, ValidationFailed
from portal.org import services as org

# The bar's "— không thuộc khối / đơn vị —" choice (no bloc or unit code starts with "-").
NONE = "-"


@bp.route("/bulk", methods=["POST"])
def bulk_edit():
    """Apply the bar's choice to the ticked documents, then show the list again with what happened."""
    form = request.form
    ids = form.getlist("ids")
    if form.get("action") == "delete":
        payload = {"ids": ids, "action": "delete"}
    else:
        changes = {}
        for key in bulk.SETTABLE:
            value = (form.get(f"set_{key}") or "").strip()
            if value:
                changes[key] = None if value == NONE and key in ("bloc", "unit") else value
        payload = {"ids": ids, "set": changes}
    try:
        if "set" in payload and not payload["set"]:
            raise ValidationFailed(_("Hãy chọn ít nhất một thông tin cần sửa: năm, loại, khối, đơn vị hoặc cơ quan ban hành."))
        count = bulk.run(current_user, payload)
    except ServiceError as exc:
        # The list again, the choice kept, with why nothing changed (documents named as people know them).
        flash(exc.message, "error")
        return index(), exc.status
    if "action" in payload:
        flash(ngettext("Đã chuyển %(num)s văn bản vào thùng rác. Ban TĐKT có thể khôi phục.",
                       "Đã chuyển %(num)s văn bản vào thùng rác. Ban TĐKT có thể khôi phục.", count), "success")
    else:
        flash(ngettext("Đã cập nhật %(num)s văn bản.", "Đã cập nhật %(num)s văn bản.", count), "success")
    return redirect(url_for("documents.index", **request.args))


@bp.context_processor
def bulk_context():
    """What the bar offers: the places the user may file to (the server checks each document anyway)."""
    return {"bulk_places": bulk_places, "bulk_none": NONE}


def bulk_places() -> tuple[list, list]:
    """(blocs, units) for the bar: the Board's are all; an officer's are the blocs its unit has belonged to and its unit."""
    blocs, units = org.list_blocs(), org.list_units()
    if getattr(current_user, "is_admin", False):
        return blocs, units
    unit_id = getattr(current_user, "unit_id", None)
    member_of = {m.bloc_id for m in org.memberships_of_unit(unit_id).values()} if unit_id else set()
    return [b for b in blocs if b.id in member_of], [u for u in units if u.id == unit_id]
