"""OCR end to end as deployed: a real server and a real `worker` process, a scan uploaded over the API.

In-process tests call the task directly; these prove the worker knows the task (the registry), that
OCR left pending while no worker ran is picked up when one starts, that a worker killed mid-task is
replaced without losing the work, and that the text reaches search. Each runs with the task queue in
SQLite (the default) and on Redis (PORTAL_QUEUE_URL; a throwaway redis-server, tests/redis_server.py).
"""
from __future__ import annotations

import signal
import time

import pytest

from portal.documents.ocr import ocr_available
from tests import pdf_factory
from tests.procs import PortalProcess
from tests.redis_server import fresh_url

pytestmark = pytest.mark.skipif(not ocr_available(), reason="tesseract-ocr-vie and poppler-utils are not installed")

OCR_TIMEOUT_S = 120
QUEUES = ("sqlite", "redis")
# A distinctive name that appears only in the picture: search for it without accents.
SCAN_TEXT = ("BÁO CÁO THÀNH TÍCH\n"
             "Phong trào thi đua khen thưởng của huyện Mường Khương năm 2025\n"
             "Đơn vị đề nghị tặng Cờ thi đua")


def queue_url(queue: str) -> str | None:
    """None for the SQLite queue in the instance folder; a Redis database of the test's own for "redis"."""
    return fresh_url() if queue == "redis" else None


def scanned_pdf(text: str = SCAN_TEXT, pages: int = 1) -> bytes:
    """An image-only PDF (a 200 dpi greyscale picture of the text, no text layer), like a scanner makes."""
    return pdf_factory.make_scanned_pdf(None, [text] * pages, dpi=200, font_px=40)


def upload_scan(portal: PortalProcess, token: str, text: str = SCAN_TEXT, pages: int = 1) -> dict:
    status, body = portal.upload(scanned_pdf(text, pages), "bao-cao-quet.pdf", token=token, fields={"year": "2025"})
    assert status == 201, body
    document = body["document"] if "document" in body else body
    assert document["text_source"] == "none" and document["ocr_status"] == "pending", document
    return document


def wait_for_ocr(portal: PortalProcess, token: str, document_id: int, timeout: float = OCR_TIMEOUT_S) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status, document = portal.request("GET", f"/api/v1/documents/{document_id}", token=token)
        assert status == 200, document
        if document["text_source"] == "ocr" or document["ocr_status"] == "failed" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert document["text_source"] == "ocr", (document, portal.worker_log()[-3000:])
    assert document["ocr_status"] == "done"
    return document


def search_ids(portal: PortalProcess, token: str, q: str) -> set[int]:
    status, body = portal.request("GET", f"/api/v1/search?q={q.replace(' ', '+')}", token=token)
    assert status == 200, body
    return {item["id"] for item in body["items"]}


def thumbnail_made(portal: PortalProcess, document: dict, timeout: float = 60) -> bool:
    """True once the worker has drawn the document's first page (the PNG in the instance's thumbnails folder)."""
    sha = document["sha256"]
    png = portal.instance / "thumbnails" / sha[:2] / f"{sha}.png"
    deadline = time.monotonic() + timeout
    while not png.is_file():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


@pytest.fixture(scope="module", params=QUEUES)
def deployed(request, tmp_path_factory):
    """One installation per queue storage: server and worker running, an admin token."""
    portal = PortalProcess(tmp_path_factory.mktemp(f"deployed-{request.param}"), queue_url=queue_url(request.param))
    try:
        portal.init()
        portal.start()
        portal.start_worker("--workers", "1")
        yield portal, portal.token("admin")
    finally:
        portal.close()


def test_the_worker_reads_an_uploaded_scan_and_search_finds_it(deployed):
    portal, token = deployed
    started = time.monotonic()
    document = upload_scan(portal, token)
    wait_for_ocr(portal, token, document["id"])
    deadline = time.monotonic() + 30  # the index follows the commit through the outbox
    while document["id"] not in search_ids(portal, token, "muong khuong") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert document["id"] in search_ids(portal, token, "muong khuong"), portal.worker_log()[-3000:]
    assert time.monotonic() - started < OCR_TIMEOUT_S
    assert thumbnail_made(portal, document), portal.worker_log()[-3000:]  # the other task of an upload


def test_the_worker_knows_every_task_it_is_given(deployed):
    portal, token = deployed
    document = upload_scan(portal, token, SCAN_TEXT.replace("Mường Khương", "Bát Xát"))
    wait_for_ocr(portal, token, document["id"])
    log = portal.worker_log()
    assert "not found in TaskRegistry" not in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize("queue", QUEUES)
def test_ocr_left_pending_without_a_worker_is_done_when_one_starts(tmp_path, queue):
    # No periodic requeue: only the worker's start-up can pick the document up.
    with PortalProcess(tmp_path, instance_config="PORTAL_OCR_REQUEUE_MINUTES = 0\n", queue_url=queue_url(queue)) as portal:
        portal.init()
        portal.start()
        token = portal.token("admin")
        document = upload_scan(portal, token)
        time.sleep(2)
        status, current = portal.request("GET", f"/api/v1/documents/{document['id']}", token=token)
        assert status == 200 and current["ocr_status"] == "pending", current
        # The task is lost too (queue emptied, as when the queue file is deleted or Redis restarted
        # without persistence): nothing but the worker's start-up requeue can bring the document back.
        with portal.queue() as tasks:
            assert tasks.queue_size() == 2  # its OCR and its thumbnail
            tasks.flush_queue()
        portal.start_worker("--workers", "1")
        wait_for_ocr(portal, token, document["id"], timeout=60)
        assert _eventually_found(portal, token, document["id"])
        assert "not found in TaskRegistry" not in portal.worker_log()


@pytest.mark.parametrize("queue", QUEUES)
def test_a_worker_killed_mid_ocr_is_replaced_and_the_work_still_finishes(tmp_path, queue):
    # No periodic requeue: the new worker's start-up alone must find what the killed one held.
    with PortalProcess(tmp_path, instance_config="PORTAL_OCR_REQUEUE_MINUTES = 0\n", queue_url=queue_url(queue)) as portal:
        portal.init()
        portal.start()
        token = portal.token("admin")
        portal.start_worker("--workers", "1")
        document = upload_scan(portal, token, pages=4)  # a few seconds of tesseract: time to kill it mid-way
        deadline = time.monotonic() + 60
        while True:
            status, current = portal.request("GET", f"/api/v1/documents/{document['id']}", token=token)
            assert status == 200 and current["ocr_status"] in ("pending", "running"), (current, portal.worker_log()[-3000:])
            if current["ocr_status"] == "running":
                break
            assert time.monotonic() < deadline, portal.worker_log()[-3000:]
            time.sleep(0.05)
        portal.stop_workers(signal.SIGKILL)  # the worker and its tesseract, as a crash or an OOM kill would
        # Huey took the task off the queue when the worker began it, on SQLite and on Redis alike:
        # the queue no longer holds it, the document says "running" for a process that is gone.
        with portal.queue() as tasks:
            assert not [item for item in tasks.enqueued_items() if b"ocr_document" in bytes(item)]
        status, current = portal.request("GET", f"/api/v1/documents/{document['id']}", token=token)
        assert current["ocr_status"] == "running" and current["text_source"] == "none"

        portal.start_worker("--workers", "1")
        wait_for_ocr(portal, token, document["id"], timeout=OCR_TIMEOUT_S)
        assert _eventually_found(portal, token, document["id"])
        assert thumbnail_made(portal, document), portal.worker_log()[-3000:]
        assert "not found in TaskRegistry" not in portal.worker_log()


def _eventually_found(portal: PortalProcess, token: str, document_id: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if document_id in search_ids(portal, token, "muong khuong"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)


def test_a_worker_on_redis_rides_out_a_redis_restart(tmp_path):
    """Redis stops (and comes back empty, as one without persistence does): the worker lives on and works."""
    from tests.redis_server import RedisServer, skip_unless_installed

    skip_unless_installed()
    redis = RedisServer.start_new()
    try:
        with PortalProcess(tmp_path, queue_url=redis.url(1)) as portal:
            portal.init()
            portal.start()
            token = portal.token("admin")
            worker = portal.start_worker("--workers", "1")
            deadline = time.monotonic() + 60
            while "consumer started" not in portal.worker_log() and time.monotonic() < deadline:
                time.sleep(0.2)
            redis.stop()
            time.sleep(3)  # the worker's reads fail meanwhile; it backs off and retries
            assert worker.poll() is None, portal.worker_log()[-3000:]
            redis.start()
            document = upload_scan(portal, token, SCAN_TEXT.replace("Mường Khương", "Sìn Hồ"))
            wait_for_ocr(portal, token, document["id"])
            assert worker.poll() is None and "not found in TaskRegistry" not in portal.worker_log()
    finally:
        redis.close()


def test_an_upload_while_redis_is_down_is_stored_and_read_once_redis_is_back(tmp_path):
    from tests.redis_server import RedisServer, skip_unless_installed

    skip_unless_installed()
    redis = RedisServer.start_new()
    try:
        # A short requeue period stands in for the default 5 minutes.
        with PortalProcess(tmp_path, queue_url=redis.url(1), instance_config="PORTAL_OCR_REQUEUE_MINUTES = 1\n") as portal:
            portal.init()
            portal.start()
            token = portal.token("admin")
            redis.stop()
            document = upload_scan(portal, token, SCAN_TEXT.replace("Mường Khương", "Phong Thổ"))  # 201, pending
            redis.start()
            portal.start_worker("--workers", "1")
            wait_for_ocr(portal, token, document["id"])
    finally:
        redis.close()
