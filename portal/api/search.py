"""JSON search (DESIGN §4): the same query parsing, rights and results as the page."""
from flask import jsonify, request
from flask_login import current_user

from portal.api.views import bp
from portal.auth import policy
from portal.search import services as search_service
from portal.search.views import like_from_args, query_from_args


@bp.get("/search")
def search():
    """Search documents: q, year_from, year_to, type, bloc, unit, page, sort, mode; or like=<id> (more like this)."""
    policy.require(current_user, "portal.read")
    like = like_from_args(current_user, request.args)
    query = query_from_args(request.args)
    result = search_service.more_like(like, query) if like is not None else search_service.search(query)
    return jsonify({
        "items": [{"id": h.id, "title": h.title_html and _plain(h.title_html), "title_html": h.title_html,
                   "number": h.number, "year": h.year, "type": h.type,
                   "issue_date": h.issue_date.isoformat() if h.issue_date else None, "snippet": h.snippet_html}
                  for h in result.hits],
        "total": result.total, "total_exact": result.total_exact, "page": result.page, "pages": result.pages,
        "facets": {"year": {str(k): v for k, v in result.facets.get("year", {}).items()},
                   "type": dict(result.facets.get("type", {}))},
        "took_ms": round(result.took_ms, 1),
    })


def _plain(html: str) -> str:
    """The title without <mark> tags, unescaped."""
    import html as html_lib
    import re

    return html_lib.unescape(re.sub(r"</?mark>", "", html))
