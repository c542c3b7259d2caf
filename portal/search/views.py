"""The search page: a plain GET form that htmx turns into search-as-you-type."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from portal.auth import policy
from portal.documents.labels import TYPE_LABELS
from portal.documents.models import DOCUMENT_TYPES
from portal.errors import ValidationFailed
from portal.extensions import htmx
from portal.org import services as org
from portal.search import services as search_service
from portal.search.engine import SearchQuery
from portal.web import int_arg, year_arg

# Deeper than this nobody reads; a bound keeps an engine from collecting millions of hits to skip them.
MAX_PAGE = 1000

bp = Blueprint("search", __name__, url_prefix="/search")


def query_from_args(args, *, per_page: int = 20) -> SearchQuery:
    """Build a SearchQuery from request arguments (shared by the page and the API)."""
    doc_type = args.get("type") or None
    if doc_type and doc_type not in DOCUMENT_TYPES:
        raise ValidationFailed(_("Loại văn bản không hợp lệ."), errors={"type": _("Loại văn bản không hợp lệ.")})
    return SearchQuery(
        q=(args.get("q") or "")[:500], year_from=year_arg("year_from", args=args), year_to=year_arg("year_to", args=args), type=doc_type,
        bloc=(args.get("bloc") or None), unit=(args.get("unit") or None), page=int_arg("page", 1, hi=MAX_PAGE, label=_("Số trang"), args=args),
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
    context = {"query": query, "result": result, "error": error, "types": TYPE_LABELS, "blocs": org.list_blocs()}
    if htmx and htmx.target == "search-results":
        return render_block("search/index.html", "results", **context)
    return render_template("search/index.html", **context)
