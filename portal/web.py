"""Cross-cutting web behaviour: login, CSRF, bearer tokens, security headers, locale, template helpers."""
from __future__ import annotations

import sqlite3

from flask import current_app, g, has_request_context, request, session
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal.extensions import csrf, login_manager
from portal.text import format_date, format_datetime, register_sqlite_collation, today_local

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


def init_app(app) -> None:
    """Install the hooks, loaders, filters and context of every request."""
    from portal.auth import services as auth

    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page explains itself
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id):
        return auth.load_session_user(user_id)

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import make_response, redirect, url_for

        from portal.errors import json_error

        if request.path.startswith("/api/"):
            return json_error(401, "unauthorized", _("Cần đăng nhập hoặc gửi mã API (Authorization: Bearer …)."))
        target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
        if request.headers.get("HX-Request"):
            # A partial request cannot show the login page inside a table cell: send the browser there.
            response = make_response("", 401)
            response.headers["HX-Redirect"] = target
            return response
        return redirect(target)

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
        return None

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
