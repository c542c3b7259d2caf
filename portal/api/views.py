"""JSON API v1 (DESIGN §4): the same services as the pages, the same policy, JSON in and out."""
from __future__ import annotations

import math

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from portal.api.openapi import openapi_spec
from portal.auth import policy
from portal.auth import services as auth
from portal.errors import ServiceError, json_error
from portal.org import services as org
from portal.web import int_arg

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def require_login():
    """Every API call needs a session or a bearer token (the spec itself is public)."""
    if request.endpoint == "api.openapi":
        return None
    if not current_user.is_authenticated:
        return json_error(401, "unauthorized", _("Cần đăng nhập hoặc gửi mã API (Authorization: Bearer …)."))
    return None


@bp.errorhandler(CSRFError)
def csrf_failed(exc):
    """Tell a caller with no credentials at all to authenticate, rather than to send a CSRF token."""
    # The CSRF check runs before this blueprint's login check; a script posting with no cookie and no
    # token must learn it needs a bearer token (401), not chase a CSRF token it cannot use.
    if not current_user.is_authenticated:
        return json_error(401, "unauthorized", _("Cần đăng nhập hoặc gửi mã API (Authorization: Bearer …)."))
    return json_error(400, "csrf_failed", _("Thiếu hoặc sai mã chống giả mạo (CSRF)."))


def json_body():
    """Return the request's JSON, or raise 415/400 with a Vietnamese message."""
    # Not silent: PortalRequest turns a body that is not JSON, too large, too deep or unreadable into
    # a Vietnamese 415/413/400.
    data = request.get_json()
    if data is None:
        raise ServiceError(_("Dữ liệu JSON không đọc được."))
    return data


def json_object() -> dict:
    data = json_body()
    if not isinstance(data, dict):
        raise ServiceError(_("Cần một đối tượng JSON."))
    return data


def paginate(items: list, *, per_page: int = 100) -> dict:
    """Slice a list into the API's page shape {items, total, page, pages}."""
    page = int_arg("page", 1, label=_("Số trang"), error=ServiceError)
    total = len(items)
    pages = max(1, math.ceil(total / per_page))
    return {"items": items[(page - 1) * per_page: page * per_page], "total": total, "page": page, "pages": pages}


@bp.get("/openapi.json")
def openapi():
    """Serve the API description."""
    return jsonify(openapi_spec())


@bp.get("/me")
def me():
    """Describe the caller and its unit's bloc and role per year."""
    return jsonify(auth.me(current_user))


@bp.get("/units")
def list_units():
    """List units in Vietnamese order."""
    policy.require(current_user, "portal.read")
    return jsonify(paginate([u.to_dict() for u in org.list_units(q=request.args.get("q", ""))]))


@bp.get("/units/<code>")
def get_unit(code):
    """Return one unit."""
    return jsonify(policy.get_unit_for(current_user, code).to_dict())


@bp.post("/units")
def create_unit():
    """Create a unit (Board)."""
    policy.require(current_user, "org.manage")
    return jsonify(org.create_unit(current_user, json_object()).to_dict()), 201


@bp.get("/blocs")
def list_blocs():
    """List blocs."""
    policy.require(current_user, "portal.read")
    return jsonify(paginate([b.to_dict() for b in org.list_blocs()]))


@bp.get("/blocs/<code>")
def get_bloc(code):
    """Return one bloc."""
    return jsonify(policy.get_bloc_for(current_user, code).to_dict())


@bp.post("/blocs")
def create_bloc():
    """Create a bloc (Board)."""
    policy.require(current_user, "org.manage")
    return jsonify(org.create_bloc(current_user, json_object()).to_dict()), 201


def _membership_items(year: int) -> list[dict]:
    return [{"unit": r.unit, "bloc": r.bloc, "role": r.role} for r in org.membership_rows(year)]


@bp.get("/years/<year>/memberships")
def get_memberships(year):
    """List the year's memberships."""
    policy.require(current_user, "portal.read")
    year = org.check_year(year)
    items = _membership_items(year)
    return jsonify({"year": year, "items": items, "total": len(items), "page": 1, "pages": 1})


@bp.put("/years/<year>/memberships")
def put_memberships(year):
    """Replace the year's memberships as one transaction (Board); nothing changes on any error."""
    policy.require(current_user, "org.manage")
    year = org.check_year(year)
    data = json_body()
    items = data.get("items") if isinstance(data, dict) else data
    result = org.replace_memberships(current_user, year, org.rows_from_json(items))
    items = _membership_items(year)
    return jsonify({"year": year, "changed": result["changed"], "items": items, "total": len(items), "page": 1, "pages": 1})


def _code_or_none(value) -> str | None:
    """Return a unit code as text: {"unit": 5} means the unit coded "5", never the row with id 5."""
    return None if value in (None, "") else str(value)
