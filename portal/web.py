"""Cross-cutting web behaviour: login, CSRF, bearer tokens, security headers, locale, template helpers."""
from __future__ import annotations

import json
import sqlite3

from flask import Request, current_app, g, has_request_context, request, session
from flask import json as flask_json
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter, ValidationError

from portal.errors import INT_MAX, ServiceError, UnsupportedMediaType, ValidationFailed, bounded_int
from portal.extensions import csrf, login_manager
from portal.text import format_date, format_datetime, register_sqlite_collation, today_local

# A JSON body is a few kilobytes of metadata; uploads are multipart and keep the larger MAX_CONTENT_LENGTH.
JSON_MAX_BYTES = 2 * 1024 * 1024
# Every request body of the API nests at most three or four levels; deeper is a mistake or an attack.
JSON_MAX_DEPTH = 32
# Years in filters (query arguments): wide enough for any archive, narrow enough for every database column.
YEAR_LO, YEAR_HI = 1900, 2200


class BoundedIntConverter(IntegerConverter):
    """Flask's `int` URL converter for ids and years: a number outside 1..2³¹−1 arrives as 0, which names no row.

    Nothing beyond PostgreSQL's `integer` may reach a query (SQLite overflows at 2⁶³, PostgreSQL at 2³¹). Refusing
    to match (ValidationError) would answer 405 to a PATCH or DELETE of `/documents/99999999999999999999` (Werkzeug
    checks the method before converting); 0 lets the view answer as for any id it does not know: 404 (or 422 for a
    year, which check_year bounds).
    """

    def __init__(self, map, fixed_digits=0, min=1, max=INT_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=1 if min is None else min,
                         max=INT_MAX if max is None else max, signed=signed)

    def to_python(self, value: str):
        # int() refuses more than 4,300 digits (ValueError): the length check first keeps it cheap.
        if len(value) > 12:
            return 0
        try:
            return super().to_python(value)
        except ValidationError:
            return 0


class JSONTooDeep(ValueError):
    """A request body nested deeper than JSON_MAX_DEPTH."""


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is too large")  # 1e400 would be infinity: no field takes it
    return value


def json_depth(value, limit: int = JSON_MAX_DEPTH) -> int:
    """Return how deep `value` nests (a scalar is 0), stopping as soon as it passes `limit`; never recursive."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


class _RequestJSON:
    """flask.json for request bodies only: no NaN/Infinity, a depth limit, and no RecursionError."""

    dumps = staticmethod(flask_json.dumps)

    @staticmethod
    def loads(s, **kwargs):
        try:
            value = json.loads(s, parse_constant=_refuse_constant, parse_float=_finite_float)
        except RecursionError:
            raise JSONTooDeep() from None
        if json_depth(value) > JSON_MAX_DEPTH:
            raise JSONTooDeep()
        return value


class PortalRequest(Request):
    """The request with bounded JSON bodies whose failures are Vietnamese 400/413/415 answers."""

    @property
    def json_module(self):
        return _RequestJSON

    @json_module.setter
    def json_module(self, value) -> None:
        # Flask's request context sets app.json here; request bodies keep the bounded parser (responses use app.json).
        pass

    @property
    def max_content_length(self) -> int | None:
        limit = super().max_content_length
        if self._max_content_length is None and self.is_json:
            return JSON_MAX_BYTES if limit is None else min(limit, JSON_MAX_BYTES)
        return limit

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    def on_json_loading_failed(self, e: ValueError | None):
        if e is None:
            raise UnsupportedMediaType(_("Cần gửi dữ liệu JSON (Content-Type: application/json)."))
        if isinstance(e, JSONTooDeep):
            raise ServiceError(_("Dữ liệu JSON lồng nhau quá sâu (tối đa %(n)s cấp).", n=JSON_MAX_DEPTH))
        raise ServiceError(_("Dữ liệu JSON không đọc được."))


def int_arg(name: str, default: int | None = None, *, lo: int = 1, hi: int = INT_MAX, label: str | None = None,
            args=None, error=ValidationFailed, lenient: bool = False) -> int | None:
    """Read an integer query argument (year, page, …) in lo..hi; empty gives `default`, a bad value a Vietnamese `error`.

    `lenient` gives `default` for a bad value instead (a page number in an old bookmark is not worth an error page).
    """
    raw = (args if args is not None else request.args).get(name)
    if raw is None or not str(raw).strip():
        return default
    try:
        return bounded_int(raw, name, lo=lo, hi=hi, label=label, error=error)
    except ServiceError:
        if lenient:
            return default
        raise


def year_arg(name: str = "year", default: int | None = None, *, args=None, error=ValidationFailed) -> int | None:
    """Read a year query argument (year, year_from, year_to, from_year) in YEAR_LO..YEAR_HI."""
    return int_arg(name, default, lo=YEAR_LO, hi=YEAR_HI, label=_("Năm (%(name)s)", name=name), args=args, error=error)


# No inline script or style anywhere: htmx is configured by a <meta> tag and styled by our CSS.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    """Turn on foreign keys and the Vietnamese collation for every SQLite connection."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL lets readers continue while a writer commits (several workers, the task queue, the CLI).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
        register_sqlite_collation(dbapi_connection)


def select_locale() -> str:
    """Vietnamese unless the user chose English (kept in the session)."""
    languages = current_app.config["PORTAL_LANGUAGES"]
    chosen = session.get("lang") if has_request_context() else None
    return chosen if chosen in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


# What a user holding a temporary password may still reach: the page to change it, logging out,
# the language switch and static files.
TEMPORARY_PASSWORD_ENDPOINTS = frozenset({"auth.account", "auth.change_password", "auth.logout", "auth.set_language",
                                          "static", "health.health", "api.set_user_password", "api.me"})


def _send_elsewhere(status: int, code: str, message: str, target: str):
    """Refuse a request that must first happen elsewhere: the API gets a JSON error, a page a redirect
    to `target`, and an htmx request `status` with HX-Redirect (a partial request cannot show a whole
    page inside a table cell: the browser is sent there)."""
    from flask import make_response, redirect

    from portal.errors import json_error

    if request.path.startswith("/api/"):
        return json_error(status, code, message)
    if request.headers.get("HX-Request"):
        response = make_response("", status)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def _require_own_password():
    """Send a user with a temporary password (set by the Board) to choose their own first."""
    if request.endpoint in TEMPORARY_PASSWORD_ENDPOINTS or not current_user or not current_user.is_authenticated:
        return None
    if not getattr(current_user, "must_change_password", False) or g.get("auth_by_token"):
        return None
    from flask import url_for

    return _send_elsewhere(
        403, "password_change_required",
        _("Bạn đang dùng mật khẩu tạm do Ban TĐKT cấp: hãy đặt mật khẩu của riêng mình trước khi làm việc tiếp."),
        url_for("auth.account"))


def init_app(app) -> None:
    """Install the hooks, loaders, filters and context of every request."""
    from portal.auth import services as auth

    app.request_class = PortalRequest
    proxies = int(app.config.get("PORTAL_TRUSTED_PROXIES") or 0)
    if proxies > 0:
        # Behind a reverse proxy every request comes from the proxy's address: trust exactly that many
        # X-Forwarded-For/-Proto hops (more would let a client choose its own address and dodge throttling).
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    # Every `<int:…>` in every blueprint: bounded ids, so a huge number is a 404 and never a database overflow.
    app.url_map.converters["int"] = BoundedIntConverter

    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page explains itself
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id):
        return auth.load_session_user(user_id)

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import url_for

        return _send_elsewhere(401, "unauthorized", _("Cần đăng nhập hoặc gửi mã API (Authorization: Bearer …)."),
                               url_for("auth.login", next=request.full_path if request.method == "GET" else None))

    @app.before_request
    def authenticate_bearer_and_check_csrf():
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            from portal.errors import json_error

            user = auth.user_for_token(header[7:].strip())
            if user is None:
                return json_error(401, "unauthorized", _("Mã API không hợp lệ hoặc đã bị thu hồi."))
            # A token call is authenticated by the token alone (never by a cookie), so CSRF cannot apply.
            g._login_user = user
            g.auth_by_token = True
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            csrf.protect()
        return _require_own_password()

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Frame-Options", "DENY")
        headers["X-Content-Type-Options"] = "nosniff"
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        # Pages differ for htmx and plain requests: caches must keep them apart.
        response.vary.add("HX-Request")
        if current_user and getattr(current_user, "is_authenticated", False):
            headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def portal_context():
        from portal.auth import policy

        return {"can": lambda action, target=None, year=None: policy.can(current_user, action, target, year=year),
                "current_year": today_local().year}

    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.add_extension("jinja2.ext.do")
