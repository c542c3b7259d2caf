"""The task queue (Huey): OCR, bulk work and index repair run outside the request.

SQLite storage in the instance folder by default, so a fresh machine needs no service; set
`PORTAL_TASKS_IMMEDIATE=True` to run tasks inline (tests, or a machine without a worker).
`flask --app portal worker` runs the consumer.

This module owns the one registry: `init_app` imports every module that defines tasks, so the web
process (which enqueues) and the worker (which builds the same app, then dequeues) know the same
task names. A task module missing from `load_task_modules` would make the worker log
"… not found in TaskRegistry" and drop the task; tests/unit/test_task_registry.py scans portal/ for
task decorators so that cannot happen silently.
"""
from __future__ import annotations

from pathlib import Path

from huey import SqliteHuey

# Created unbound; init_app points it at the instance folder. Task modules decorate with @huey.task().
huey = SqliteHuey("portal", filename=":memory:", immediate=True)
_app = None


def init_app(app) -> None:
    """Configure the queue's storage from the app's config and register every task."""
    global _app
    _app = app
    huey.storage_kwargs["filename"] = str(Path(app.config["PORTAL_INSTANCE_DIR"]) / "tasks.sqlite3")
    huey.immediate = bool(app.config.get("PORTAL_TASKS_IMMEDIATE"))
    huey.storage = huey.create_storage()
    load_task_modules()


def load_task_modules() -> None:
    """Import every module that defines tasks (a new task module is added here)."""
    import portal.auth.tasks  # noqa: F401  (daily purge of old session records and login attempts)
    import portal.documents.consume_tasks  # noqa: F401  (the watched import folder, PORTAL_CONSUME_DIR)
    import portal.documents.tasks  # noqa: F401  (OCR of scans, its requeue)
    import portal.search.tasks  # noqa: F401  (periodic outbox repair, index rebuild)


def registered_tasks() -> set[str]:
    """The names of the tasks this process can run ("module.function")."""
    return set(huey._registry._registry)


def config(key: str, default=None):
    """A setting of the app the queue was configured for (periodic schedules read theirs when they run)."""
    return _app.config.get(key, default) if _app is not None else default


def app_context():
    """An application context for a task: the current one when run inline (same session), else the worker's app."""
    from contextlib import nullcontext

    from flask import has_app_context

    if has_app_context():
        return nullcontext()
    return _app.app_context()
