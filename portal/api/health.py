"""`GET /api/v1/health` (DESIGN §4.1): for monitoring and load balancers; no login, reveals no data.

Each part is tried for real (a query, the index's document count, the queue: its SQLite file, or a
PING to Redis within 2 s); a failing part answers 503 with its name, and the reason goes to the
server log only, never to the caller (an exception can carry a path or a database URL).
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

bp = Blueprint("health", __name__, url_prefix="/api/v1")


def _database() -> None:
    import sqlalchemy as sa

    from portal.extensions import db

    try:
        db.session.execute(sa.text("SELECT 1"))
    finally:
        db.session.rollback()


def _index() -> None:
    from portal.search import services as search

    search.engine().doc_count()


def _queue() -> None:
    from pathlib import Path

    from portal import tasks

    if tasks.huey.immediate:
        return
    filename = getattr(tasks.huey.storage, "filename", None)
    # A SQLite queue whose file was removed still answers on its open connection, but every task
    # written to it is lost: the file itself must be there.
    if filename and filename != ":memory:" and not Path(filename).is_file():
        raise FileNotFoundError("the task queue's database file is missing")
    tasks.ping(timeout=QUEUE_TIMEOUT_S)  # Redis: a PING on a connection of its own, never a hang


QUEUE_TIMEOUT_S = 2.0  # a load balancer's probe usually gives up after a few seconds


CHECKS = (("db", _database), ("index", _index), ("queue", _queue))


@bp.route("/health", methods=["GET", "HEAD"])
def health():
    """Report whether the database, the search index and the task queue answer."""
    parts = {}
    for name, check in CHECKS:
        try:
            check()
            parts[name] = "ok"
        except Exception:  # any failure of a part is the answer, not an error of this page
            current_app.logger.exception("health check: %s is down", name)
            parts[name] = "down"
    failing = [name for name, state in parts.items() if state != "ok"]
    body = {"status": "ok" if not failing else "down", **parts}
    if failing:
        body["failing"] = failing
    response = jsonify(body)
    response.status_code = 503 if failing else 200
    response.headers["Cache-Control"] = "no-store"
    return response
