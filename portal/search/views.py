"""The search page: a plain GET form that htmx turns into search-as-you-type."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from portal.auth import policy
from portal.documents import services as docs
from portal.documents.labels import TYPE_LABELS
from portal.documents.models import DOCUMENT_TYPES, Document
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


def like_from_args(user, args) -> Document | None:
    """The document of `like=<id>` ("more like this"), or None; 422 for a bad id or with `q`, 404 unknown or trashed."""
    raw = args.get("like")
    if raw is None or not str(raw).strip():
        return None
    if (args.get("q") or "").strip():
        message = _("Không tìm cùng lúc theo từ khóa (q) và theo văn bản tương tự (like); hãy dùng một trong hai.")
        raise ValidationFailed(message, errors={"like": message})
    document_id = int_arg("like", None, label=_("Mã văn bản (like)"), args=args)
    return docs.get_document_for(user, document_id)


@bp.route("")
@login_required
def index():
    """Search the archive across years; results update as the user types (htmx), or on submit.

    With `like=<id>`: the documents most like that one (its page loads them lazily as a fragment).
    """
    policy.require(current_user, "portal.read")
    like = like_from_args(current_user, request.args)
    try:
        query = query_from_args(request.args, per_page=SIMILAR_SHOWN if _similar_fragment() else 20)
        error = None
    except ValidationFailed as exc:
        query, error = SearchQuery(), exc.message
    if like is not None:
        result = search_service.more_like(like, query) if error is None else None
    else:
        result = search_service.search(query) if query.q.strip() or query.year_from or query.type or query.bloc else None
    context = {"query": query, "result": result, "error": error, "types": TYPE_LABELS, "blocs": org.list_blocs(),
               "like": like}
    if _similar_fragment():
        return render_block("search/index.html", "similar", **context)
    if htmx and htmx.target == "search-results":
        return render_block("search/index.html", "results", **context)
    return render_template("search/index.html", **context)


# The document page's "Văn bản tương tự" box shows this many; the search page shows them all.
SIMILAR_SHOWN = 5


def _similar_fragment() -> bool:
    return bool(htmx) and htmx.target == "similar-docs" and bool(request.args.get("like"))
