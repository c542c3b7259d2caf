"""The OCR queue's states: one worker per document, the requeue of what was left behind, failures in
words on the document page and the "Nhận dạng lại" button. OCR itself is faked here (tests/unit/test_ocr.py
and tests/test_worker_process.py run tesseract)."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.auth import services as auth_services
from portal.documents import archive, ocr_jobs
from portal.documents import ocr as ocr_module
from portal.documents.models import Document
from portal.documents.ocr import OcrFailed, OcrResult
from portal.errors import Conflict, Forbidden
from portal.extensions import db
from portal.org.models import Unit
from portal.text import utcnow
from tests.conftest import csrf_from
from tests.redis_server import fresh_url

SCAN = b"%PDF-1.4 a scan, never parsed here "


@pytest.fixture
def fake_ocr(monkeypatch):
    """OCR that reads a fixed text at once; `.calls` counts the runs, `.fail` makes the next runs fail."""
    class Fake:
        calls = 0
        fail: OcrFailed | None = None

        def __call__(self, path, **kw):
            Fake.calls += 1
            if Fake.fail is not None:
                raise Fake.fail
            return OcrResult(pages_text=["Báo cáo thi đua huyện Mường Khương"], page_count=3, failed_pages=[3],
                             warnings=["Không nhận dạng được chữ ở 1 trang (trang 3)."])

    monkeypatch.setattr(ocr_module, "ocr_pdf", Fake())
    return Fake


def scan(app, *, status: str = "pending", unit: str | None = "U1", uploaded_by: str | None = None,
         changed_ago: timedelta = timedelta(0), ocr: dict | None = None, n: int = 0) -> int:
    """A scanned document as ingest leaves it (text_source none), in the given OCR state."""
    data = SCAN + str(n).encode()
    with app.app_context():
        sha = hashlib.sha256(data).hexdigest()
        path = archive.original_path(archive.archive_root(app.config), sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        document = Document(sha256=sha, size=len(data), page_count=3, text_source="none", ocr_status=status,
                            original_name="quet.pdf", year=2025, title="Bản quét",
                            unit=db.session.scalar(sa.select(Unit).where(Unit.code == unit)) if unit else None,
                            uploaded_by=auth_services.get_user(uploaded_by) if uploaded_by else None,
                            detected={"warnings": [], **({"ocr": ocr} if ocr else {})})
        db.session.add(document)
        db.session.commit()
        db.session.execute(sa.update(Document).where(Document.id == document.id)
                           .values(updated_at=utcnow() - changed_ago).execution_options(synchronize_session=False))
        db.session.commit()
        return document.id


def load(app, document_id: int) -> Document:
    db.session.expire_all()
    return db.session.get(Document, document_id)


@pytest.fixture
def ctx_org(app, org_data):
    with app.app_context():
        yield app


# --- the worker's side -------------------------------------------------------------------------

def test_a_pending_scan_is_read_once(ctx_org, fake_ocr):
    app = ctx_org
    document_id = scan(app)
    assert ocr_jobs.apply_ocr(document_id) == "done"
    assert ocr_jobs.apply_ocr(document_id) == "skipped"  # a second task for the same document does nothing
    document = load(app, document_id)
    assert (document.ocr_status, document.text_source, fake_ocr.calls) == ("done", "ocr", 1)
    assert "Mường Khương" in document.text
    assert ocr_jobs.ocr_state(document)["attempts"] == 1
    assert ocr_jobs.ocr_state(document)["facts"]["failed_pages"] == [3]


def test_claiming_a_scan_leaves_its_version_so_an_open_edit_form_still_saves(ctx_org, monkeypatch):
    app = ctx_org
    document_id = scan(app)
    version = load(app, document_id).version
    seen = []

    def read(path, **kw):
        document = load(app, document_id)
        seen.append((document.ocr_status, document.version))
        return OcrResult(pages_text=["Báo cáo"], page_count=1)

    monkeypatch.setattr(ocr_module, "ocr_pdf", read)
    ocr_jobs.apply_ocr(document_id)
    assert seen == [("running", version)]


def test_a_document_claimed_by_another_worker_is_skipped(ctx_org, fake_ocr):
    app = ctx_org
    document_id = scan(app, status="running", ocr={"attempts": 1, "token": "other", "worker": "elsewhere:1"})
    assert ocr_jobs.apply_ocr(document_id) == "skipped"
    assert fake_ocr.calls == 0 and load(app, document_id).ocr_status == "running"


def test_the_claim_is_a_conditional_update(ctx_org, fake_ocr):
    app = ctx_org
    document_id = scan(app)
    first, second = load(app, document_id), load(app, document_id)
    assert ocr_jobs._set_ocr_status(first, "pending", "running", detected={"ocr": {"token": "a"}})
    assert not ocr_jobs._set_ocr_status(second, "pending", "running", detected={"ocr": {"token": "b"}})
    assert ocr_jobs.ocr_state(load(app, document_id))["token"] == "a"


def test_a_result_is_dropped_when_the_document_was_handed_to_another_worker(ctx_org, fake_ocr, monkeypatch):
    app = ctx_org
    document_id = scan(app)

    def handed_over(path, **kw):
        # While this worker reads, a requeue gives the document to another one (new token).
        document = load(app, document_id)
        ocr_jobs._set_ocr_status(document, "running", "running", detected=ocr_jobs._with_ocr_state(document, token="new"))
        return OcrResult(pages_text=["x"], page_count=1)

    monkeypatch.setattr(ocr_module, "ocr_pdf", handed_over)
    assert ocr_jobs.apply_ocr(document_id) == "skipped"
    document = load(app, document_id)
    assert document.ocr_status == "running" and document.text_source == "none"


@pytest.mark.parametrize("reason", ["unavailable", "timeout", "unreadable", "no_text"])
def test_a_failure_keeps_its_reason(ctx_org, fake_ocr, reason):
    app = ctx_org
    fake_ocr.fail = OcrFailed("thông báo", reason=reason)
    document_id = scan(app)
    assert ocr_jobs.apply_ocr(document_id) == "failed"
    document = load(app, document_id)
    assert document.ocr_status == "failed" and ocr_jobs.ocr_state(document)["reason"] == reason


def test_tesseract_missing_is_reason_unavailable(ctx_org, monkeypatch):
    app = ctx_org
    monkeypatch.setattr(ocr_module, "ocr_available", lambda lang="vie": False)
    document_id = scan(app)
    assert ocr_jobs.apply_ocr(document_id) == "failed"
    assert ocr_jobs.ocr_state(load(app, document_id))["reason"] == "unavailable"


def test_a_crash_of_the_job_is_a_failed_attempt_not_a_document_running_forever(ctx_org, monkeypatch):
    app = ctx_org

    def crash(path, **kw):
        raise MemoryError

    monkeypatch.setattr(ocr_module, "ocr_pdf", crash)
    document_id = scan(app)
    assert ocr_jobs.apply_ocr(document_id) == "failed"
    assert ocr_jobs.ocr_state(load(app, document_id))["reason"] == "error"


# --- the requeue -------------------------------------------------------------------------------

def test_requeue_picks_up_what_was_left_behind_and_nothing_else(ctx_org, fake_ocr):
    app = ctx_org
    old, recent = timedelta(hours=2), timedelta(minutes=1)
    pending = scan(app, n=1)
    stale = scan(app, status="running", changed_ago=old, ocr={"attempts": 1, "token": "t", "worker": "gone-host:1"}, n=2)
    busy = scan(app, status="running", changed_ago=recent, ocr={"attempts": 1, "token": "t", "worker": "other-host:1"}, n=3)
    retry = scan(app, status="failed", changed_ago=old, ocr={"attempts": 1, "reason": "timeout"}, n=4)
    too_soon = scan(app, status="failed", changed_ago=recent, ocr={"attempts": 1, "reason": "timeout"}, n=5)
    hopeless = scan(app, status="failed", changed_ago=old, ocr={"attempts": 1, "reason": "no_text"}, n=6)
    spent = scan(app, status="failed", changed_ago=old, ocr={"attempts": 3, "reason": "timeout"}, n=7)
    died_spent = scan(app, status="running", changed_ago=old, ocr={"attempts": 3, "token": "t", "worker": "x:1"}, n=8)
    assert sorted(ocr_jobs.requeue_ocr()) == sorted([pending, stale, retry])
    statuses = {i: load(app, i).ocr_status for i in (pending, stale, busy, retry, too_soon, hopeless, spent, died_spent)}
    assert statuses == {pending: "done", stale: "done", busy: "running", retry: "done", too_soon: "failed",
                        hopeless: "failed", spent: "failed", died_spent: "failed"}
    assert ocr_jobs.ocr_state(load(app, stale))["attempts"] == 2
    assert ocr_jobs.ocr_state(load(app, died_spent))["reason"] == "interrupted"


def test_a_document_whose_worker_process_died_is_requeued_at_once(ctx_org, fake_ocr):
    app = ctx_org
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    worker = f"{ocr_jobs.socket.gethostname()}:{dead.pid}"
    document_id = scan(app, status="running", changed_ago=timedelta(seconds=5),
                        ocr={"attempts": 1, "token": "t", "worker": worker})
    assert ocr_jobs.requeue_ocr() == [document_id]
    assert load(app, document_id).ocr_status == "done"


def test_a_missing_tesseract_is_tried_again_at_worker_start_whatever_the_attempts(ctx_org, fake_ocr):
    app = ctx_org
    document_id = scan(app, status="failed", changed_ago=timedelta(seconds=5), ocr={"attempts": 3, "reason": "unavailable"})
    assert ocr_jobs.requeue_ocr() == []
    assert ocr_jobs.requeue_ocr(at_start=True) == [document_id]
    assert load(app, document_id).ocr_status == "done"


@pytest.mark.parametrize("queue", ["sqlite", "redis"])
def test_requeue_does_not_queue_twice_what_waits_in_the_queue(ctx_org, fake_ocr, queue):
    from portal import tasks
    from portal.documents.tasks import ocr_document
    from portal.tasks import huey

    app = ctx_org
    document_id = scan(app)
    # The queue the worker would read: the instance's SQLite file, or a Redis (PORTAL_QUEUE_URL).
    config = {**app.config, "PORTAL_QUEUE_URL": fresh_url() if queue == "redis" else ""}
    inline = huey.storage_class, huey.storage_kwargs
    huey.storage_class, huey.storage_kwargs = tasks.storage_settings(config)
    huey.immediate = False
    huey.storage = huey.create_storage()
    try:
        huey.flush()
        ocr_document(document_id)
        assert ocr_jobs.requeue_ocr() == []
        huey.flush()
        assert ocr_jobs.requeue_ocr() == [document_id]
        assert huey.pending_count() == 1
    finally:
        huey.flush()
        tasks.close_storage(huey.storage)
        huey.storage_class, huey.storage_kwargs = inline
        huey.immediate = True
        huey.storage = huey.create_storage()


# --- the retry button --------------------------------------------------------------------------

def test_retry_is_for_the_uploader_and_those_who_file_it(ctx_org, fake_ocr):
    app = ctx_org
    document_id = scan(app, status="failed", unit="U4", uploaded_by="off1", ocr={"attempts": 3, "reason": "no_text"})
    with pytest.raises(Forbidden):
        ocr_jobs.retry_ocr(auth_services.get_user("viewer"), load(app, document_id))
    with pytest.raises(Forbidden):
        ocr_jobs.retry_ocr(auth_services.get_user("off2"), load(app, document_id))
    ocr_jobs.retry_ocr(auth_services.get_user("off1"), load(app, document_id))  # the uploader; tasks run inline in tests
    document = load(app, document_id)
    assert document.ocr_status == "done" and ocr_jobs.ocr_state(document)["attempts"] == 1
    with pytest.raises(Conflict):
        ocr_jobs.retry_ocr(auth_services.get_user("admin"), document)  # read already


# --- the document page -------------------------------------------------------------------------

def login(client, username: str) -> None:
    from tests.conftest import PASSWORD

    page = client.get("/login")
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(page.text)})


def test_the_page_says_waiting_running_or_why_it_failed(app, org_data, client):
    waiting = scan(app, n=1)
    running = scan(app, status="running", ocr={"attempts": 1}, n=2)
    missing = scan(app, status="failed", ocr={"attempts": 1, "reason": "unavailable"}, n=3)
    timed_out = scan(app, status="failed", ocr={"attempts": 1, "reason": "timeout"}, n=4)
    forgotten = scan(app, changed_ago=timedelta(hours=1), n=5)
    login(client, "admin")
    page = client.get(f"/documents/{waiting}/status").text
    assert "đang chờ đến lượt nhận dạng chữ" in page and "hx-trigger=\"every 3s\"" in page and "Nhận dạng lại" not in page
    page = client.get(f"/documents/{running}/status").text
    assert "đang nhận dạng chữ (OCR)" in page and "hx-trigger" in page
    page = client.get(f"/documents/{missing}").text
    assert "chưa cài chương trình nhận dạng chữ" in page and "tesseract-ocr-vie" in page
    assert "Nhận dạng lại" in page and "hx-trigger" not in page.split('id="text-status"')[1].split(">")[0]
    page = client.get(f"/documents/{timed_out}/status").text
    assert "vượt quá thời gian" in page and "tự thử lại" in page and "1/3" in page
    assert "chưa chạy" in client.get(f"/documents/{forgotten}/status").text


def test_the_page_tells_the_pages_ocr_could_not_read(app, org_data, client, fake_ocr):
    document_id = scan(app)
    with app.app_context():
        ocr_jobs.apply_ocr(document_id)
    login(client, "admin")
    page = client.get(f"/documents/{document_id}").text
    assert "Nhận dạng từ bản quét" in page and "trang 3" in page


def test_the_retry_button_posts_with_csrf_and_rights(app, org_data, client, fake_ocr):
    document_id = scan(app, status="failed", unit="U4", ocr={"attempts": 3, "reason": "no_text"})
    login(client, "viewer")
    page = client.get(f"/documents/{document_id}").text
    assert "Nhận dạng lại" not in page
    assert client.post(f"/documents/{document_id}/ocr", data={"csrf_token": csrf_from(page)}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    login(client, "admin")
    page = client.get(f"/documents/{document_id}").text
    assert "Nhận dạng lại" in page
    assert client.post(f"/documents/{document_id}/ocr").status_code == 400  # no CSRF token
    answer = client.post(f"/documents/{document_id}/ocr", data={"csrf_token": csrf_from(page)},
                         headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "Nhận dạng từ bản quét" in answer.text  # tasks run inline in tests
    with app.app_context():
        assert load(app, document_id).ocr_status == "done"
