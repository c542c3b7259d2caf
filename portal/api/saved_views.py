"""JSON API for saved views of the archive (issue 13): the same services and policy as the pages.

`GET /api/v1/saved-views` → `{items: [{id, name, filters, sort, shared, owner, pinned, url}], total, page, pages}`;
`POST` `{name, filters, sort, shared, pinned}` → 201; `PATCH /<id>` (name, shared, pinned) → 200; `DELETE /<id>` → 204.
"""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from portal.api.views import bp, json_object
from portal.auth import policy
from portal.documents import saved_views as sv


def _item(view) -> dict:
    return sv.to_dict(view, sv.pinned_ids(current_user), sv.describe([view])[view.id])


@bp.get("/saved-views")
def list_saved_views():
    """My saved views, then those others shared, each with whether I pinned it (four queries whatever their number)."""
    policy.require(current_user, "portal.read")
    views = sv.visible_views(current_user)
    pins, words = sv.pinned_ids(current_user), sv.describe(views)
    items = [sv.to_dict(v, pins, words[v.id]) for v in views]
    return jsonify({"items": items, "total": len(items), "page": 1, "pages": 1})


@bp.post("/saved-views")
def create_saved_view():
    """Save filters and sort under a name → 201; the same name twice for one owner → 422."""
    data = json_object()
    view = sv.create_view(current_user, name=data.get("name"), filters=data.get("filters"), sort=data.get("sort"),
                          shared=data.get("shared"), pinned=data.get("pinned"))
    return jsonify(_item(view)), 201


@bp.patch("/saved-views/<int:view_id>")
def update_saved_view(view_id):
    """Rename or share/unshare (owner; the Board for a shared view), pin/unpin for me."""
    view = sv.get_view_for(current_user, view_id)
    sv.update_view(current_user, view, json_object())
    return jsonify(_item(view))


@bp.delete("/saved-views/<int:view_id>")
def delete_saved_view(view_id):
    """Delete a view (owner; the Board for a shared view) → 204."""
    sv.delete_view(current_user, sv.get_view_for(current_user, view_id, "saved_view.manage"))
    return "", 204
