"""`GET /api/v1/health`: no login, no data, 503 naming the part that is down; also on a real server."""
from __future__ import annotations

import shutil

import pytest

from portal.api import health


def test_health_answers_without_login_and_reveals_nothing(client, org_data):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "db": "ok", "index": "ok", "queue": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert client.head("/api/v1/health").status_code == 200


@pytest.mark.parametrize("part", ["db", "index", "queue"])
def test_a_part_that_is_down_is_named_with_503(client, monkeypatch, part):
    def down():
        raise RuntimeError("postgresql://portal:secret@db/thidua refused")

    monkeypatch.setattr(health, "CHECKS", tuple((name, down if name == part else check) for name, check in health.CHECKS))
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "down" and body[part] == "down" and body["failing"] == [part]
    assert all(body[other] == "ok" for other in ("db", "index", "queue") if other != part)
    assert "secret" not in response.text  # the reason is logged, never shown


def test_health_of_a_real_server_follows_its_queue(tmp_path):
    from tests.procs import PortalProcess

    with PortalProcess(tmp_path) as portal:
        portal.init()
        portal.start()
        status, body = portal.request("GET", "/api/v1/health")
        assert (status, body) == (200, {"status": "ok", "db": "ok", "index": "ok", "queue": "ok"})
        # The queue's storage becomes unusable (a folder where its SQLite file was): the load balancer is told.
        queue_file = portal.instance / "tasks.sqlite3"
        queue_file.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            (portal.instance / f"tasks.sqlite3{suffix}").unlink(missing_ok=True)
        queue_file.mkdir()
        status, body = portal.request("GET", "/api/v1/health")
        assert status == 503 and body["queue"] == "down" and body["failing"] == ["queue"]
        shutil.rmtree(queue_file)
        # Still down: the open connection would write tasks nobody reads. A restart makes a new queue.
        assert portal.request("GET", "/api/v1/health")[0] == 503
        portal.stop()
        portal.start()
        assert portal.request("GET", "/api/v1/health")[0] == 200


def test_health_of_a_real_server_on_redis_follows_redis(tmp_path):
    """PORTAL_QUEUE_URL on Redis: 200 while it answers, 503 "queue" within seconds when it is stopped or hung."""
    import os
    import signal
    import time

    from tests.procs import PortalProcess
    from tests.redis_server import RedisServer, skip_unless_installed

    skip_unless_installed()
    redis = RedisServer.start_new()  # the test's own: it is stopped below
    try:
        with PortalProcess(tmp_path, queue_url=redis.url(1)) as portal:
            portal.init()
            portal.start()
            ok = (200, {"status": "ok", "db": "ok", "index": "ok", "queue": "ok"})
            assert portal.request("GET", "/api/v1/health") == ok
            redis.stop()
            started = time.monotonic()
            status, body = portal.request("GET", "/api/v1/health", timeout=30)
            assert status == 503 and body["queue"] == "down" and body["failing"] == ["queue"]
            assert time.monotonic() - started < 5
            redis.start()  # same port: the portal's connections come back without a restart
            assert portal.request("GET", "/api/v1/health") == ok
            os.kill(redis.process.pid, signal.SIGSTOP)  # hung, not gone: the check must not wait for it
            try:
                started = time.monotonic()
                status, body = portal.request("GET", "/api/v1/health", timeout=30)
                assert status == 503 and body["failing"] == ["queue"]
                assert time.monotonic() - started < 5
            finally:
                os.kill(redis.process.pid, signal.SIGCONT)
            assert portal.request("GET", "/api/v1/health") == ok
    finally:
        redis.close()
