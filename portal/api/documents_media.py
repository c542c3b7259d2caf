"""Pictures of documents for lists and pages: `GET /api/v1/documents/<id>/thumbnail` (first page, PNG).

The pages put this URL in <img src>: the API accepts the browser's session cookie, and a GET needs no
CSRF token. Same read right as the original file (anyone logged in; a trashed document is 404).
"""
from __future__ import annotations

from flask import Response, request
from flask_login import current_user

from portal.api.views import bp
from portal.documents import services as docs
from portal.documents import thumbnails
from portal.documents.views import DOWNLOAD_CSP


@bp.get("/documents/<int:document_id>/thumbnail")
def document_thumbnail(document_id):
    """The first page as a PNG about 240 px wide; a neutral page outline when it cannot be drawn."""
    document = docs.get_document_for(current_user, document_id)
    # Content-addressed: a browser holding this ETag holds the right picture, whatever is on disk now.
    known = thumbnails.page_etag(document.sha256)
    if request.if_none_match.contains(known):
        return _headers(Response(status=304), known, thumbnails.MAX_AGE)
    picture = thumbnails.picture_for(document)
    try:
        data = picture.read()
    except OSError:  # removed in between (a purge of the same bytes): nothing to cache
        picture = thumbnails.Picture("placeholder", None, 0, data=thumbnails.placeholder_png(), reason="missing")
        data = picture.data
    if picture.etag is not None and request.if_none_match.contains(picture.etag):
        return _headers(Response(status=304), picture.etag, picture.max_age)
    response = _headers(Response(data, mimetype="image/png"), picture.etag, picture.max_age)
    if picture.kind == "placeholder":
        response.headers["X-Thumbnail"] = f"placeholder; reason={picture.reason}"
    return response


def _headers(response: Response, etag: str | None, max_age: int) -> Response:
    if etag is not None:
        response.set_etag(etag)
    response.headers["Cache-Control"] = f"private, max-age={max_age}" if max_age else "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
