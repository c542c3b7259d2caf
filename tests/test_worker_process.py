"""OCR end to end as deployed: a real server and a real `worker` process, a scan uploaded over the API.

In-process tests call the task directly; these prove the worker knows the task (the registry), that
OCR left pending while no worker ran is picked up when one starts, and that the text reaches search.
"""
from __future__ import annotations

import sqlite3
import time

import pytest

from portal.documents.ocr import ocr_available
from tests import pdf_factory
from tests.procs import PortalProcess

pytestmark = pytest.mark.skipif(not ocr_available(), reason="tesseract-ocr-vie and poppler-utils are not installed")

OCR_TIMEOUT_S = 120
# A distinctive name that appears only in the picture: search for it without accents.
SCAN_TEXT = ("BÁO CÁO THÀNH TÍCH\n"
             "Phong trào thi đua khen thưởng của huyện Mường Khương năm 2025\n"
             "Đơn vị đề nghị tặng Cờ thi đua")


def scanned_pdf(text: str = SCAN_TEXT) -> bytes:
    """An image-only PDF (a 200 dpi greyscale picture of the text, no text layer), like a scanner makes."""
    return pdf_factory.make_scanned_pdf(None, text, dpi=200, font_px=40)


def upload_scan(portal: PortalProcess, token: str, text: str = SCAN_TEXT) -> dict:
    status, body = portal.upload(scanned_pdf(text), "bao-cao-quet.pdf", token=token, fields={"year": "2025"})
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


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """One installation for the module: server and worker running, an admin token."""
    portal = PortalProcess(tmp_path_factory.mktemp("deployed"))
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


def test_the_worker_knows_every_task_it_is_given(deployed):
    portal, token = deployed
    document = upload_scan(portal, token, SCAN_TEXT.replace("Mường Khương", "Bát Xát"))
    wait_for_ocr(portal, token, document["id"])
    log = portal.worker_log()
    assert "not found in TaskRegistry" not in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]


def test_ocr_left_pending_without_a_worker_is_done_when_one_starts(tmp_path):
    # No periodic requeue: only the worker's start-up can pick the document up.
    with PortalProcess(tmp_path, instance_config="PORTAL_OCR_REQUEUE_MINUTES = 0\n") as portal:
        portal.init()
        portal.start()
        token = portal.token("admin")
        document = upload_scan(portal, token)
        time.sleep(2)
        status, current = portal.request("GET", f"/api/v1/documents/{document['id']}", token=token)
        assert status == 200 and current["ocr_status"] == "pending", current
        # The task is lost too (queue emptied, as when the queue file is deleted): nothing but the
        # worker's start-up requeue can bring the document back.
        with sqlite3.connect(portal.instance / "tasks.sqlite3") as queue:
            assert queue.execute("select count(*) from task").fetchone()[0] == 2  # its OCR and its thumbnail
            queue.execute("delete from task")
        portal.start_worker("--workers", "1")
        wait_for_ocr(portal, token, document["id"], timeout=60)
        assert _eventually_found(portal, token, document["id"])
        assert "not found in TaskRegistry" not in portal.worker_log()


def _eventually_found(portal: PortalProcess, token: str, document_id: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if document_id in search_ids(portal, token, "muong khuong"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
