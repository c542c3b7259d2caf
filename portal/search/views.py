"""The search page: a plain GET form that htmx turns into search-as-you-type."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from portal.auth import policy
from portal.documents.models import DOCUMENT_TYPES
from portal.errors import ValidationFailed
from portal.extensions import htmx
from portal.org import services as org
from portal.search import services as search_service
from portal.search.engine import SearchQuery

bp = Blueprint("search", __name__, url_prefix="/search")


def query_from_args(args, *, per_page: int = 20) -> SearchQuery:
    """Build a SearchQuery from request arguments (shared by the page and the API)."""
    def as_int(name):
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            return int(raw)
        except ValueError:
            raise ValidationFailed(_("Giá trị không hợp lệ cho %(name)s.", name=name), errors={name: _("Phải là số.")}) from None

    doc_type = args.get("type") or None
    if doc_type and doc_type not in DOCUMENT_TYPES:
        raise ValidationFailed(_("Loại văn bản không hợp lệ."), errors={"type": _("Loại văn bản không hợp lệ.")})
    return SearchQuery(
        q=(args.get("q") or "")[:500], year_from=as_int("year_from"), year_to=as_int("year_to"), type=doc_type,
        bloc=(args.get("bloc") or None), unit=(args.get("unit") or None), page=as_int("page") or 1,
        per_page=per_page, sort="date" if args.get("sort") == "date" else "relevance",
        mode="active" if args.get("mode") == "active" else "full",
    )


@bp.route("")
@login_required
def index():
    """Search the archive across years; results update as the user types (htmx), or on submit."""
    policy.require(current_user, "portal.read")
    try:
        query = query_from_args(request.args)
        error = None
    except ValidationFailed as exc:
        query, error = SearchQuery(), exc.message
    result = search_service.search(query) if query.q.strip() or query.year_from or query.type or query.bloc else None
    context = {"query": query, "result": result, "error": error, "types": DOCUMENT_TYPES, "blocs": org.list_blocs()}
    if htmx and htmx.target == "search-results":
        return render_block("search/index.html", "results", **context)
    return render_template("search/index.html", **context)
