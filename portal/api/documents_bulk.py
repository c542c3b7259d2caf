"""JSON API: bulk edit and bulk delete of documents (DESIGN §4.1), all or nothing."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from portal.api.views import bp, json_object
from portal.documents import bulk


@bp.post("/documents/bulk")
def bulk_documents():
    """`{"ids": [...], "set": {year|type|bloc|unit|issuer}}` or `{"ids": [...], "action": "delete"}` → `{"updated": n}`;
    one document the caller may not change → 403, an unknown or trashed one → 404, bad input → 422: nothing changed."""
    return jsonify({"updated": bulk.run(current_user, json_object())})
