"""The task queue (Huey): OCR, bulk work and index repair run outside the request.

SQLite storage in the instance folder by default, so a fresh machine needs no service; set
`PORTAL_TASKS_IMMEDIATE=True` to run tasks inline (tests, or a machine without a worker).
`flask --app portal worker` runs the consumer.
"""
from __future__ import annotations

from pathlib import Path

from huey import SqliteHuey

# Created unbound; init_app points it at the instance folder. Task modules decorate with @huey.task().
huey = SqliteHuey("portal", filename=":memory:", immediate=True)
_app = None


def init_app(app) -> None:
    """Configure the queue's storage from the app's config."""
    global _app
    _app = app
    huey.storage_kwargs["filename"] = str(Path(app.config["PORTAL_INSTANCE_DIR"]) / "tasks.sqlite3")
    huey.immediate = bool(app.config.get("PORTAL_TASKS_IMMEDIATE"))
    huey.storage = huey.create_storage()


def app_context():
    """An application context for a task: the current one when run inline (same session), else the worker's app."""
    from contextlib import nullcontext

    from flask import has_app_context

    if has_app_context():
        return nullcontext()
    return _app.app_context()
