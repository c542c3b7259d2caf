"""The task queue (Huey): OCR, bulk work and index repair run outside the request.

SQLite storage in the instance folder by default, so a fresh machine needs no service;
`PORTAL_QUEUE_URL=redis://host:port/db` puts it on Redis, where workers of several machines share
the work. `PORTAL_TASKS_IMMEDIATE=True` runs tasks inline (tests, or a machine without a worker)
whatever the storage. `flask --app portal worker` runs the consumer.

Both storages take a task off the queue when a worker starts it (no acknowledgement): a task whose
worker is killed is gone. The portal does not rely on the queue for that: the OCR requeue, the
thumbnail backfill and the consume-folder watchdog find the work from the database and the folder,
at a worker's start and periodically.

This module owns the one registry: `init_app` imports every module that defines tasks, so the web
process (which enqueues) and the worker (which builds the same app, then dequeues) know the same
task names. A task module missing from `load_task_modules` would make the worker log
"… not found in TaskRegistry" and drop the task; tests/unit/test_task_registry.py scans portal/ for
task decorators so that cannot happen silently.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from huey import Huey
from huey.storage import PriorityRedisExpireStorage, SqliteStorage

# Redis: priorities like the SQLite storage has (a task given `priority=` works on both), and results
# that expire after a day (nobody reads most of them; on Redis they would otherwise fill its memory).
# Keys put with huey.put (the consume chain's) do not expire.
REDIS_STORAGE = PriorityRedisExpireStorage
REDIS_RESULT_TTL_S = 86400
# A Redis that is down or hung must fail an enqueue (or the health check) in seconds, not hang a request.
REDIS_CONNECT_TIMEOUT_S = 5
REDIS_SOCKET_TIMEOUT_S = 10  # above the worker's 1 s blocking read

# Created unbound, one object for the process's life: task modules decorate with @huey.task() at
# import, so init_app changes its storage in place rather than making a new Huey.
huey = Huey("portal", immediate=True, storage_class=SqliteStorage, filename=":memory:")
_app = None


def init_app(app) -> None:
    """Configure the queue's storage from the app's config and register every task."""
    global _app
    _app = app
    old = huey.storage
    huey.storage_class, huey.storage_kwargs = storage_settings(app.config)
    huey.immediate = bool(app.config.get("PORTAL_TASKS_IMMEDIATE"))
    huey.storage = huey.create_storage()
    _close(old)
    load_task_modules()


def storage_settings(config) -> tuple[type, dict]:
    """The Huey storage class and its arguments for PORTAL_QUEUE_URL (validated in portal.config)."""
    url = config.get("PORTAL_QUEUE_URL")
    if url:
        from redis import ConnectionPool

        pool = ConnectionPool.from_url(url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
                                       socket_timeout=REDIS_SOCKET_TIMEOUT_S, health_check_interval=30)
        return REDIS_STORAGE, {"connection_pool": pool, "expire_time": REDIS_RESULT_TTL_S}
    return SqliteStorage, {"filename": str(Path(config["PORTAL_INSTANCE_DIR"]) / "tasks.sqlite3")}


def open_storage(config):
    """A storage object on the queue `config` names, apart from this process's huey (tools and tests)."""
    storage_class, kwargs = storage_settings(config)
    return storage_class(huey.name, **kwargs)


def describe(config) -> str:
    """Where the queue lives, for people (the worker's banner): the Redis address without its password."""
    url = config.get("PORTAL_QUEUE_URL")
    if not url:
        return str(Path(config["PORTAL_INSTANCE_DIR"]) / "tasks.sqlite3")
    from portal.config import masked_queue_url

    return masked_queue_url(url)


def ping(timeout: float = 2.0) -> None:
    """Raise unless the queue's storage answers within `timeout` seconds (the health check)."""
    pool = getattr(huey.storage, "pool", None)
    if pool is None:
        huey.storage.queue_size()
        return
    from redis import Redis

    # Its own short-lived connection: the queue's pool waits longer, and retries would stretch a 503.
    kwargs = dict(pool.connection_kwargs, socket_connect_timeout=timeout, socket_timeout=timeout, retry=None)
    client = Redis(connection_pool=pool.__class__(connection_class=pool.connection_class, max_connections=1, **kwargs))
    try:
        client.ping()
    finally:
        client.close()
        client.connection_pool.disconnect()


def close_storage(storage) -> None:
    """Let go of a storage's connections: its SQLite connection (this thread's) or its Redis pool."""
    pool = getattr(storage, "pool", None)
    if pool is not None:
        pool.disconnect()
    elif hasattr(storage, "close"):
        storage.close()


def _close(storage) -> None:
    """Let go of a replaced Redis storage's connections (tests make many apps in one process)."""
    if getattr(storage, "pool", None) is not None and storage is not huey.storage:
        storage.pool.disconnect()


def load_task_modules() -> None:
    """Import every module that defines tasks (a new task module is added here)."""
    import portal.auth.tasks  # noqa: F401  (daily purge of old session records and login attempts)
    import portal.documents.consume_tasks  # noqa: F401  (the watched import folder, PORTAL_CONSUME_DIR)
    import portal.documents.tasks  # noqa: F401  (OCR of scans, its requeue)
    import portal.search.tasks  # noqa: F401  (periodic outbox repair, index rebuild)


def enqueue_after_commit(task, *args, what: str) -> bool:
    """Queue `task(*args)` for work already committed. Never fails the caller: with the queue down (Redis
    stopped) the error is logged and False returned; the worker's periodic requeue/backfill takes the work."""
    from flask import current_app

    try:
        task(*args)
    except Exception:  # a queue that is down must not turn a stored upload into an error
        current_app.logger.exception("could not queue %s", what)
        return False
    return True


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


def _after_fork_in_child() -> None:
    # Huey's SQLite storage holds one connection per process (and a lock another thread may have held at the fork).
    storage = huey.storage
    if hasattr(storage, "_conn"):
        storage._conn = None
        storage.lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)
