"""Thi đua Portal: the application factory."""
from __future__ import annotations

import os
import weakref
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_APPS: "weakref.WeakSet" = weakref.WeakSet()  # every app of this process, for the after-fork reset


def _after_fork_in_child() -> None:
    """Drop, in a forked child, what belongs to the parent: a gunicorn worker forked from the preloaded
    app (gunicorn.conf.py), a multiprocessing child. Sharing any of it across processes corrupts it.

    Nothing here closes or locks: closing a SQLite connection in the child can checkpoint or unlink the
    parent's WAL, and a lock some other parent thread held at the fork stays held for ever in the child.
    Everything dropped is made again on first use."""
    for app in list(_APPS):
        sqlalchemy_ext = app.extensions.get("sqlalchemy")
        for engine in getattr(sqlalchemy_ext, "_app_engines", {}).get(app, {}).values():
            engine.dispose(close=False)  # SQLAlchemy's recipe for fork: new pool, parent's connections untouched
        # Per-process pools of PDF inspections and thumbnail renders (their Conditions and counts).
        app.extensions.pop("pdf_inspections", None)
        app.extensions.pop("thumbnail_renders", None)
    # Module-level state (the task queue's connection, searchers, pool locks, warm PDF children) is reset by
    # each module's own fork hook, registered when it is imported.


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork (and no gunicorn)
    os.register_at_fork(after_in_child=_after_fork_in_child)


def create_app(config: dict | None = None):
    """Create the portal: configuration, extensions, blueprints, CLI."""
    # Flask is imported here, not at module level, so the sandboxed PDF child process that imports
    # portal.documents.* starts without loading the web stack.
    from flask import Flask

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_relative_config=True,
    )
    from portal.config import load_config

    load_config(app, config)
    _APPS.add(app)
    app.json.sort_keys = False  # keep JSON keys in the order DESIGN §4 lists them

    from portal import web
    from portal.extensions import babel, csrf, db, htmx, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=lambda: "Asia/Ho_Chi_Minh")
    login_manager.init_app(app)
    web.init_app(app)

    from portal import tasks
    from portal.errors import register_error_handlers

    tasks.init_app(app)  # imports every task module too: web process and worker know the same tasks
    from portal.search import services as search_services

    search_services.init_app(app)

    register_error_handlers(app)

    from portal import models  # noqa: F401  (every table known to Alembic and the session)
    from portal.api import audit as _api_audit  # noqa: F401  (routes on the api blueprint)
    from portal.api import documents as _api_documents  # noqa: F401  (routes on the api blueprint)
    from portal.api import documents_bulk as _api_documents_bulk  # noqa: F401  (routes on the api blueprint)
    from portal.api import documents_export as _api_documents_export  # noqa: F401  (routes on the api blueprint)
    from portal.api import documents_media as _api_documents_media  # noqa: F401  (routes on the api blueprint)
    from portal.api import leadership as _api_leadership  # noqa: F401  (routes on the api blueprint)
    from portal.api import saved_views as _api_saved_views  # noqa: F401  (routes on the api blueprint)
    from portal.api import schedule as _api_schedule  # noqa: F401  (routes on the api blueprint)
    from portal.api import scoring as _api_scoring  # noqa: F401  (routes on the api blueprint)
    from portal.api import scoring_drafts as _api_scoring_drafts  # noqa: F401  (routes on the api blueprint)
    from portal.api import scoring_import as _api_scoring_import  # noqa: F401  (routes on the api blueprint)
    from portal.api import search as _api_search  # noqa: F401
    from portal.api import users as _api_users  # noqa: F401  (routes on the api blueprint)
    from portal.api.health import bp as health_bp
    from portal.api.views import bp as api_bp
    from portal.audit.views import bp as audit_bp
    from portal.auth.views import bp as auth_bp
    from portal.dashboard.views import bp as dashboard_bp
    from portal.documents import bulk_views as _bulk_views  # noqa: F401  (the list's bulk bar, on the documents blueprint)
    from portal.documents.saved_view_views import bp as saved_views_bp
    from portal.documents.views import bp as documents_bp
    from portal.org.views import bp as org_bp
    from portal.schedule.views import bp as schedule_bp
    from portal.scoring.views import bp as scoring_bp
    from portal.search.views import bp as search_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(org_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(saved_views_bp)
    app.register_blueprint(schedule_bp)
    app.register_blueprint(scoring_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(health_bp)

    from portal.cli import register_cli

    register_cli(app)
    from portal.documents.cli import register as register_document_cli

    register_document_cli(app)
    from portal.search.cli import register as register_search_cli

    register_search_cli(app)
    return app
