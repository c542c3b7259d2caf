"""First-page thumbnails (issue 13 item 3): the guarded renderer, remembered failures, the API
(`GET /api/v1/documents/<id>/thumbnail`: PNG, ETag/304, rights, trash, placeholder), the queue task,
the backfill and its command, purge, the template macro, and the real worker making one after an
upload through the real server.
"""
from __future__ import annotations

import io
import json
import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest
from PIL import Image

from portal.documents import thumbnails
from portal.documents.models import Document
from portal.extensions import db
from portal.text import utcnow
from tests import pdf_factory
from tests.procs import PortalProcess
from tests.test_api_documents import API, assert_error, bearer, tokens  # noqa: F401  (fixture)
from tests.test_documents_views import ingest, new_doc

pytestmark = pytest.mark.skipif(not thumbnails.shutil.which("pdftoppm"), reason="poppler-utils is not installed")

TITLE_PAGE = ("ỦY BAN NHÂN DÂN TỈNH LAM SƠN\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n\n"
              "KẾ HOẠCH\nTổ chức phong trào thi đua yêu nước năm 2026\n" + "Nội dung kế hoạch thi đua. " * 40)


def text_pdf(marker: str = "") -> bytes:
    return pdf_factory.make_text_pdf(None, [TITLE_PAGE + marker, "Trang hai"])


def picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def dark_pixels(image: Image.Image) -> int:
    grey = image.convert("L")
    return sum(grey.histogram()[:128])


def thumb_dir(app) -> Path:
    return thumbnails.settings(app.config)["dir"]


def sha_of(app, document_id: int) -> str:
    with app.app_context():
        return db.session.get(Document, document_id).sha256


# --- the renderer --------------------------------------------------------------------------------

def test_the_first_page_becomes_a_240px_png_with_ink(tmp_path):
    source = tmp_path / "ke-hoach.pdf"
    source.write_bytes(text_pdf())
    target = tmp_path / "out" / "ab" / "x.png"
    size = thumbnails.render_first_page(source, target)
    image = picture(target.read_bytes())
    assert image.format == "PNG" and image.size == size
    assert image.width == thumbnails.WIDTH and 330 <= image.height <= 345  # A4 keeps its shape
    assert dark_pixels(image) > 200  # the title and body text are drawn, not a blank page
    assert sorted(p.name for p in target.parent.iterdir()) == ["x.png"]  # no temporary left beside it


def test_a_damaged_pdf_fails_cleanly(tmp_path):
    source = tmp_path / "hong.pdf"
    source.write_bytes(pdf_factory.make_truncated_pdf())
    target = tmp_path / "out" / "x.png"
    with pytest.raises(thumbnails.ThumbnailFailed) as failed:
        thumbnails.render_first_page(source, target)
    assert failed.value.reason == "unreadable"
    assert list(target.parent.iterdir()) == []


def test_a_pdf_that_takes_too_long_is_stopped_at_the_limit(tmp_path):
    # 200 MB of content stream behind 200 kB: poppler needs over a second; the limit is half a second.
    source = tmp_path / "bom.pdf"
    source.write_bytes(pdf_factory.make_flate_bomb_pdf())
    target = tmp_path / "out" / "x.png"
    started = time.monotonic()
    with pytest.raises(thumbnails.ThumbnailFailed) as failed:
        thumbnails.render_first_page(source, target, timeout_s=0.5)
    assert failed.value.reason == "timeout"
    assert time.monotonic() - started < 3
    assert list(target.parent.iterdir()) == []


def test_a_hanging_renderer_is_killed_with_its_process_group(tmp_path, monkeypatch):
    # A pdftoppm that never answers (and starts a child of its own): both must be gone at the limit.
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    pids = tmp_path / "pids"
    script = fake_bin / "pdftoppm"
    script.write_text(f"#!/bin/sh\nsleep 300 &\necho $$ $! > {pids}\nwait\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake_bin}{os.pathsep}{os.environ['PATH']}")
    source = tmp_path / "a.pdf"
    source.write_bytes(text_pdf())
    started = time.monotonic()
    with pytest.raises(thumbnails.ThumbnailFailed) as failed:
        thumbnails.render_first_page(source, tmp_path / "out" / "x.png", timeout_s=1)
    assert failed.value.reason == "timeout"
    assert time.monotonic() - started < 4
    for pid in map(int, pids.read_text().split()):
        assert not _alive(pid), pid


def _alive(pid: int) -> bool:
    """True while the process runs (a killed child left unreaped by a container's init is a zombie: dead)."""
    deadline = time.monotonic() + 2
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return False
        if state in ("Z", "X"):
            return False
        if time.monotonic() > deadline:
            return True
        time.sleep(0.05)


def test_the_renderer_runs_under_a_memory_limit(tmp_path):
    # 4 MB of address space cannot even start poppler: refused, never an unbounded process.
    source = tmp_path / "a.pdf"
    source.write_bytes(text_pdf())
    with pytest.raises(thumbnails.ThumbnailFailed):
        thumbnails.render_first_page(source, tmp_path / "out" / "x.png", memory_mb=4)


def test_the_placeholder_is_a_plain_page_outline():
    image = picture(thumbnails.placeholder_png())
    assert image.size == (thumbnails.WIDTH, 340)
    assert image.getpixel((0, 200)) < 220 and image.getpixel((120, 20)) == 255  # an outline on white
    assert thumbnails.placeholder_png() is thumbnails.placeholder_png()  # made once


# --- making one, remembering failures ----------------------------------------------------------

def test_make_stores_by_hash_and_remembers_a_failure(app, org_data, monkeypatch):
    good = new_doc(app, data=text_pdf("tốt"), year=2026)
    bad = new_doc(app, data=pdf_factory.make_truncated_pdf(), year=2026)
    with app.app_context():
        assert thumbnails.make_for_document(good) == "done"
        assert thumbnails.make_for_document(good) == "exists"
        assert thumbnails.make_for_document(bad) == "failed"
        marker = thumbnails.failure_path(thumb_dir(app), sha_of(app, bad))
        state = json.loads(marker.read_text())
        assert state["reason"] == "unreadable" and state["attempts"] == 1
        assert [d for d, _sha in thumbnails.missing()] == []  # a damaged file is not queued again

        def must_not_run(*args, **kwargs):
            raise AssertionError("a remembered failure was drawn again")

        monkeypatch.setattr(thumbnails, "render_first_page", must_not_run)
        assert thumbnails.make_for_document(bad) == "skipped"
        assert thumbnails.make_for_document(10**6) == "skipped"
    sha = sha_of(app, good)
    assert thumbnails.png_path(thumb_dir(app), sha) == thumb_dir(app) / sha[:2] / f"{sha}.png"
    # Outside the archive: `check` and `backup` see only originals there.
    assert not thumb_dir(app).is_relative_to(Path(app.config["PORTAL_ARCHIVE_DIR"]))


def test_a_timeout_is_tried_once_more_by_the_worker(app, org_data, monkeypatch):
    doc = new_doc(app, data=text_pdf("chậm"), year=2026)

    def slow(*args, **kwargs):
        raise thumbnails.ThumbnailFailed("timeout", "stopped")

    with app.app_context():
        monkeypatch.setattr(thumbnails, "render_first_page", slow)
        assert thumbnails.make_for_document(doc) == "failed"
        assert [d for d, _sha in thumbnails.missing()] == [doc]  # due for its second attempt
        assert thumbnails.make_for_document(doc) == "failed"
        assert thumbnails.missing() == []  # two attempts: remembered for good
        assert thumbnails.make_for_document(doc) == "skipped"
        monkeypatch.undo()
        assert [d for d, _sha in thumbnails.missing(retry_failed=True)] == [doc]
        assert thumbnails.make(sha_of(app, doc), retry=True) == "done"
        assert not thumbnails.failure_path(thumb_dir(app), sha_of(app, doc)).exists()


def test_the_task_and_the_backfill(app, org_data):
    from portal.documents.tasks import backfill_thumbnails, make_thumbnail

    first = new_doc(app, data=text_pdf("một"), year=2026)
    second = new_doc(app, data=text_pdf("hai"), year=2026)
    trashed = new_doc(app, data=text_pdf("ba"), year=2026)
    with app.app_context():
        db.session.get(Document, trashed).deleted_at = utcnow()
        db.session.commit()
        assert make_thumbnail(first).get() == "done"  # PORTAL_TASKS_IMMEDIATE: the task runs inline
        assert backfill_thumbnails.call_local() == 1  # the second; never the trashed one
    assert thumbnails.png_path(thumb_dir(app), sha_of(app, second)).is_file()
    assert not thumbnails.png_path(thumb_dir(app), sha_of(app, trashed)).exists()


def test_the_thumbnails_command_makes_the_missing_ones(app, org_data):
    docs_ = [new_doc(app, data=text_pdf(f"lệnh {i}"), year=2026) for i in range(3)]
    bad = new_doc(app, data=pdf_factory.make_truncated_pdf(keep=0.5), year=2026)
    result = app.test_cli_runner().invoke(args=["thumbnails"])
    assert result.exit_code == 0, result.output
    assert "Đã tạo: 3 · Không vẽ được: 1" in result.output
    for doc in docs_:
        assert thumbnails.png_path(thumb_dir(app), sha_of(app, doc)).is_file()
    again = app.test_cli_runner().invoke(args=["thumbnails"])
    assert "Cần làm: 0" in again.output
    retried = app.test_cli_runner().invoke(args=["thumbnails", "--retry-failed"])
    assert "Không vẽ được: 1 · Thiếu tệp gốc: 0 · Cần làm: 1" in retried.output
    assert thumbnails.failure_path(thumb_dir(app), sha_of(app, bad)).is_file()


# --- the API -------------------------------------------------------------------------------------

def get(client, doc_id, headers=None):
    response = client.get(f"{API}/documents/{doc_id}/thumbnail", headers=headers or {})
    response.get_data()
    return response


def test_the_api_serves_the_png_with_safe_cache_headers(client, app, tokens):  # noqa: F811
    doc = ingest(app, text_pdf("api"))
    response = get(client, doc, bearer(tokens["viewer"]))
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    image = picture(response.data)
    assert image.width == thumbnails.WIDTH and dark_pixels(image) > 200
    sha = sha_of(app, doc)
    assert response.headers["ETag"] == f'"t{thumbnails.VERSION}-{sha}"'
    assert response.headers["Cache-Control"] == f"private, max-age={thumbnails.MAX_AGE}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "X-Thumbnail" not in response.headers
    assert thumbnails.png_path(thumb_dir(app), sha).read_bytes() == response.data  # stored once made

    again = get(client, doc, {**bearer(tokens["off4"]), "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == response.headers["ETag"]
    assert again.headers["Cache-Control"].startswith("private")
    stale = get(client, doc, {**bearer(tokens["off4"]), "If-None-Match": '"t0-other"'})
    assert stale.status_code == 200 and stale.data == response.data


def test_a_thumbnail_not_yet_made_is_made_on_demand(client, app, tokens):  # noqa: F811
    doc = new_doc(app, data=text_pdf("theo yêu cầu"), year=2026)  # no worker, no task: nothing made yet
    path = thumbnails.png_path(thumb_dir(app), sha_of(app, doc))
    assert not path.exists()
    response = get(client, doc, bearer(tokens["off6"]))
    assert response.status_code == 200 and "X-Thumbnail" not in response.headers
    assert path.read_bytes() == response.data


def test_the_browser_session_may_load_it(client, app, auth, org_data):
    doc = new_doc(app, data=text_pdf("phiên"), year=2026)
    assert_error(get(client, doc), 401, "unauthorized")
    auth.login("viewer")
    response = get(client, doc)
    assert response.status_code == 200 and response.mimetype == "image/png"


def test_trashed_and_unknown_documents_are_404_for_everyone(client, app, tokens):  # noqa: F811
    doc = new_doc(app, data=text_pdf("thùng rác"), year=2026)
    assert get(client, doc, bearer(tokens["admin"])).status_code == 200
    with app.app_context():
        db.session.get(Document, doc).deleted_at = utcnow()
        db.session.commit()
    for name in ("admin", "viewer"):
        assert_error(get(client, doc, bearer(tokens[name])), 404)
        # Not even with the ETag of the picture it had.
        response = get(client, doc, {**bearer(tokens[name]), "If-None-Match": f'"{thumbnails.page_etag(sha_of(app, doc))}"'})
        assert_error(response, 404)
    assert_error(get(client, 999999, bearer(tokens["admin"])), 404)


def test_a_pdf_that_cannot_be_drawn_gets_the_placeholder_once_remembered(client, app, tokens, monkeypatch):  # noqa: F811
    doc = new_doc(app, data=pdf_factory.make_truncated_pdf(keep=0.6), year=2026)
    response = get(client, doc, bearer(tokens["viewer"]))
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data == thumbnails.placeholder_png()
    assert response.headers["X-Thumbnail"] == "placeholder; reason=failed"
    assert response.headers["ETag"] == f'"{thumbnails.PLACEHOLDER_ETAG}"'
    assert response.headers["Cache-Control"] == f"private, max-age={thumbnails.PLACEHOLDER_MAX_AGE}"
    assert thumbnails.failure_path(thumb_dir(app), sha_of(app, doc)).is_file()

    def must_not_run(*args, **kwargs):
        raise AssertionError("a remembered failure was drawn again")

    monkeypatch.setattr(thumbnails, "render_first_page", must_not_run)
    assert get(client, doc, bearer(tokens["viewer"])).data == thumbnails.placeholder_png()
    cached = get(client, doc, {**bearer(tokens["viewer"]), "If-None-Match": response.headers["ETag"]})
    assert cached.status_code == 304


def test_a_missing_original_or_a_busy_server_gets_an_uncached_placeholder(client, app, tokens):  # noqa: F811
    lost = new_doc(app, year=2026)  # no original in the archive (a `check` finding)
    response = get(client, lost, bearer(tokens["viewer"]))
    assert response.status_code == 200 and response.data == thumbnails.placeholder_png()
    assert response.headers["Cache-Control"] == "no-store" and "ETag" not in response.headers
    assert response.headers["X-Thumbnail"] == "placeholder; reason=missing"
    assert not thumbnails.failure_path(thumb_dir(app), sha_of(app, lost)).exists()  # not the PDF's fault

    doc = new_doc(app, data=text_pdf("bận"), year=2026)
    pool = thumbnails.render_pool(app)
    pool.wait_s = 0
    with pool.slot("a", expected_s=1), pool.slot("b", expected_s=1):  # every render slot taken
        busy = get(client, doc, bearer(tokens["viewer"]))
    assert busy.status_code == 200 and busy.headers["X-Thumbnail"] == "placeholder; reason=busy"
    assert busy.headers["Cache-Control"] == "no-store"
    assert not thumbnails.failure_path(thumb_dir(app), sha_of(app, doc)).exists()
    assert "X-Thumbnail" not in get(client, doc, bearer(tokens["viewer"])).headers  # free again: the real one


def test_purge_removes_the_thumbnail(app, org_data):
    from portal.auth import services as auth_services
    from portal.documents import services as docs

    doc = new_doc(app, data=text_pdf("xóa hẳn"), year=2026)
    with app.app_context():
        assert thumbnails.make_for_document(doc) == "done"
        sha = sha_of(app, doc)
        thumbnails.forget(sha)  # the document still has it: kept
        assert thumbnails.png_path(thumb_dir(app), sha).is_file()
        admin = auth_services.get_user("admin")
        document = docs.get_document(doc)
        docs.delete(admin, document)
        docs.purge(admin, docs.get_document(doc, include_deleted=True))
        assert not thumbnails.png_path(thumb_dir(app), sha).exists()


# --- the template macro --------------------------------------------------------------------------

def test_the_macro_reserves_the_frame_and_loads_lazily(app):
    with app.test_request_context():
        macro = app.jinja_env.get_template("documents/_thumbnail.html").module.thumbnail
        small = str(macro({"id": 7}))
        large = str(macro({"id": 7}, size="lg"))
        gone = str(macro({"id": 7, "deleted": True}))
    assert 'class="doc-thumb doc-thumb-sm"' in small
    for attribute in ('loading="lazy"', 'decoding="async"', 'width="40"', 'height="57"', 'alt=""',
                      'src="/api/v1/documents/7/thumbnail"'):
        assert attribute in small
    assert 'width="240"' in large and 'height="340"' in large
    assert "<img" not in gone and "doc-thumb" in gone


# --- the real worker -----------------------------------------------------------------------------

def _wait_for(path: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not path.is_file():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


def _wait_for_log(portal: PortalProcess, text: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while text not in portal.worker_log():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


def _upload(portal: PortalProcess, token: str, marker: str) -> dict:
    status, body = portal.upload(text_pdf(marker), f"ke-hoach-{marker}.pdf", token=token, fields={"year": "2026"})
    assert status == 201, body
    return body


def test_the_real_worker_draws_the_thumbnail_of_an_upload(tmp_path):
    with PortalProcess(tmp_path, instance_config="PORTAL_THUMBNAIL_BACKFILL_MINUTES = 0\n") as portal:
        portal.init()
        portal.start()
        token = portal.token("admin")
        portal.start_worker("--workers", "1")
        # Upload once the worker has started (and run its start-up backfill): then only the task queued by the
        # upload itself can make the thumbnail; no page asks for it.
        assert _wait_for_log(portal, "queued at the worker's start", 60), portal.worker_log()[-3000:]
        document = _upload(portal, token, "worker")
        path = portal.instance / "thumbnails" / document["sha256"][:2] / f"{document['sha256']}.png"
        assert _wait_for(path, 60), portal.worker_log()[-3000:]
        assert picture(path.read_bytes()).width == thumbnails.WIDTH
        log = portal.worker_log()
        assert "make_thumbnail" in log and "not found in TaskRegistry" not in log and "Traceback" not in log
        status, body = portal.request("GET", f"/api/v1/documents/{document['id']}/thumbnail", token=token)
        assert status == 200 and body == path.read_bytes()


def test_thumbnails_missing_while_no_worker_ran_are_made_when_one_starts(tmp_path):
    with PortalProcess(tmp_path, instance_config="PORTAL_THUMBNAIL_BACKFILL_MINUTES = 0\n") as portal:
        portal.init()
        portal.start()
        token = portal.token("admin")
        document = _upload(portal, token, "backfill")
        path = portal.instance / "thumbnails" / document["sha256"][:2] / f"{document['sha256']}.png"
        time.sleep(1)
        assert not path.exists()
        # The queued task is lost too: only the worker's start-up backfill can bring it.
        if (portal.instance / "tasks.sqlite3").exists():
            with sqlite3.connect(portal.instance / "tasks.sqlite3") as queue:
                queue.execute("delete from task")
        portal.start_worker("--workers", "1")
        assert _wait_for(path, 60), portal.worker_log()[-3000:]
