"""PORTAL_QUEUE_URL: the task queue on SQLite (default) or Redis, chosen at start-up, checked before use.

The same `huey` object serves both (task modules decorate it at import); what the portal asks of the
queue — tasks and their results, the schedule, the key-value store, locks, finding waiting tasks —
is run here against a real SQLite file and a real redis-server (tests/redis_server.py). The worker
itself runs against both in tests/test_worker_process.py.
"""
from __future__ import annotations

import datetime as dt

import pytest
from huey.storage import MemoryStorage, PriorityRedisExpireStorage, SqliteStorage

from portal import tasks
from portal.config import check_queue_url, masked_queue_url
from tests.conftest import make_app
from tests.redis_server import fresh_url


@pytest.mark.parametrize("url, fault", [
    ("sqlite:///tasks.db", "giao thức 'sqlite'"),
    ("postgresql://portal:secret@db/queue", "giao thức 'postgresql'"),
    ("localhost:6379", "giao thức 'localhost'"),
    ("redis://", "thiếu tên máy"),
    ("redis://:secret@redis:port/0", "không phải địa chỉ hợp lệ"),
    ("redis://redis:6379/queue", "phải là một số"),
])
def test_a_bad_queue_url_stops_the_start_with_a_message_naming_the_key(tmp_path, url, fault):
    with pytest.raises(ValueError) as raised:
        make_app(tmp_path, PORTAL_QUEUE_URL=url)
    message = str(raised.value)
    assert message.startswith("PORTAL_QUEUE_URL") and fault in message
    assert "secret" not in message  # a password in the URL is never repeated


@pytest.mark.parametrize("url", ["", "  ", None, "redis://127.0.0.1:6379/0", "rediss://:pw@cache.tinh.gov.vn:6380",
                                 "redis://u:pw@[::1]:6379/15"])
def test_good_queue_urls_pass(url):
    assert check_queue_url(url) == (url or "").strip()


def test_the_worker_banner_hides_the_redis_password():
    assert masked_queue_url("redis://:s3cret@cache:6379/2") == "redis://:***@cache:6379/2"
    assert masked_queue_url("rediss://portal:s3cret@[::1]:6380/0") == "rediss://portal:***@[::1]:6380/0"
    assert masked_queue_url("redis://cache:6379/2") == "redis://cache:6379/2"


def test_the_storage_follows_the_config_and_the_huey_object_stays(tmp_path):
    same = tasks.huey
    try:
        make_app(tmp_path / "a", PORTAL_TASKS_IMMEDIATE=False)
        assert isinstance(tasks.huey.storage, SqliteStorage)
        assert tasks.huey.storage.filename == str(tmp_path / "a" / "instance" / "tasks.sqlite3")
        make_app(tmp_path / "b", PORTAL_TASKS_IMMEDIATE=False, PORTAL_QUEUE_URL="redis://127.0.0.1:1/3")
        assert isinstance(tasks.huey.storage, PriorityRedisExpireStorage)  # no connection yet: Redis may start later
        assert tasks.huey.storage.pool.connection_kwargs["db"] == 3
        make_app(tmp_path / "c", PORTAL_QUEUE_URL="redis://127.0.0.1:1/3")  # immediate (tests) wins over the URL
        assert isinstance(tasks.huey.storage, MemoryStorage)
        assert tasks.huey is same and "portal.documents.tasks.ocr_document" in tasks.registered_tasks()
    finally:
        make_app(tmp_path / "d")  # back to the suite's inline queue


@pytest.fixture(params=["sqlite", "redis"])
def live_queue(request, tmp_path):
    """The process's huey on a real storage (not inline) for one test; the suite's inline queue after."""
    url = fresh_url() if request.param == "redis" else ""
    app = make_app(tmp_path, PORTAL_TASKS_IMMEDIATE=False, PORTAL_QUEUE_URL=url)
    tasks.huey.flush()
    try:
        yield app
    finally:
        tasks.huey.flush()
        tasks.close_storage(tasks.huey.storage)
        make_app(tmp_path / "after")


def test_tasks_results_schedule_store_and_locks_work_on_both_storages(live_queue):
    from portal.documents.consume_tasks import consume_folder
    from portal.documents.tasks import make_thumbnail
    from portal.search.tasks import rebuild_search_index

    huey = tasks.huey
    # A task and its result: enqueued, taken by a "worker" (here), its value read back.
    result = rebuild_search_index()
    assert huey.pending_count() == 1
    with live_queue.app_context():
        huey.execute(huey.dequeue())
    assert result.get() == 0 and huey.pending_count() == 0
    # Waiting tasks are found by name and arguments (the OCR requeue and thumbnail backfill rely on it).
    make_thumbnail(41)
    make_thumbnail(42)
    assert sorted(task.args[0] for task in huey.pending()) == [41, 42]
    huey.flush()
    # The schedule: a link of the consume chain due in a minute; the worker that takes it early puts
    # it on the schedule, which hands it over when it is due.
    consume_folder.schedule(args=("chain",), delay=60)
    early = huey.dequeue()
    assert early.args == ("chain",) and early.eta is not None
    huey.add_schedule(early)
    assert [task.args for task in huey.scheduled()] == [("chain",)]
    assert huey.read_schedule(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)) == []
    due = huey.read_schedule(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(minutes=2))
    assert [task.args for task in due] == [("chain",)]
    # The key-value store (the consume chain's id and heartbeat) and a lock.
    huey.put("portal.consume.chain", "abc")
    assert huey.get("portal.consume.chain", peek=True) == "abc"
    with huey.lock_task("portal.test"):
        with pytest.raises(Exception, match="unable to acquire lock"):
            with huey.lock_task("portal.test"):
                pass
    with huey.lock_task("portal.test"):
        pass  # released


def test_priorities_are_kept_on_both_storages(live_queue):
    from portal.documents.tasks import make_thumbnail

    huey = tasks.huey
    huey.enqueue(make_thumbnail.s(1))
    huey.enqueue(make_thumbnail.s(2, priority=10))  # a task given priority= goes first on either storage
    assert [huey.dequeue().args[0] for _ in range(2)] == [2, 1]
