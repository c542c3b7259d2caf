"""`check --repair` cleans a crash's leftovers: orphan originals quarantined (never deleted), dead temporary
uploads removed, and an upload in flight left alone; the outbox applier and its catch-up."""
import io
import os
import threading
import time

import pytest
import sqlalchemy as sa

from portal.documents import archive
from portal.documents.models import IndexOutbox
from portal.extensions import db
from portal.search import services as search
from portal.search.engine import SearchQuery
from tests.test_search import PLAN, ids, upload

ORPHAN = b"%PDF-1.7\n% the original of an upload whose commit never happened\n%%EOF\n"


@pytest.fixture
def app(tmp_path):
    from tests.conftest import Org, make_app

    app = make_app(tmp_path)
    Org(app)
    return app  # conftest closes its engines and connections after the test


@pytest.fixture
def no_grace(monkeypatch):
    """Files count as old at once (ctime cannot be set back); only the in-flight lock protects them."""
    monkeypatch.setattr(archive, "GRACE_SECONDS", 0.0)


def aged(path, seconds=3600):
    past = time.time() - seconds
    os.utime(path, (past, past))
    return path


def orphan(root):
    """An original placed by an upload that died before its commit."""
    received = archive.receive(io.BytesIO(ORPHAN), root, max_bytes=1 << 20)
    path = archive.place(received, root)
    received.release()  # the process died: its lock went with it
    return path


def test_repair_quarantines_orphans_and_removes_dead_temporaries(app, no_grace):
    with app.app_context():
        plan = upload(PLAN)
        root = archive.archive_root(app.config)
        lost = orphan(root)
        relative = str(lost.relative_to(root))
        dead = root / "tmp" / "dead.part"  # written before a crash
        dead.write_bytes(b"%PDF-1.7 half an upload")
        aged(dead)

        report = search.check()
        assert report.orphan_files == [relative]
        assert report.stale_temporary == ["tmp/dead.part"]
        assert report.problems == 2 and lost.exists() and dead.exists()  # `check` alone changes nothing

        search.check(repair=True)
        kept = root / archive.ORPHANS / relative
        assert not lost.exists() and kept.read_bytes() == ORPHAN  # moved, same relative path, never deleted
        manifest = (root / archive.ORPHANS / archive.MANIFEST).read_text().splitlines()
        assert [line.split("\t")[1:3] for line in manifest] == [[relative, f"{archive.ORPHANS}/{relative}"]]
        assert not dead.exists()
        assert search.check().problems == 0
        assert ids(search.search(SearchQuery(q="khoi thi dua"))) == [plan.id]  # the real document untouched
        assert archive.original_path(root, plan.sha256).is_file()


def test_an_upload_in_flight_is_left_alone(app, no_grace):
    with app.app_context():
        root = archive.archive_root(app.config)
        writing = archive.receive(io.BytesIO(b"%PDF-1.7 still being inspected"), root, max_bytes=1 << 20)
        aged(writing.path)  # a slow inspection: old mtime, but its uploader still holds the lock
        placing = archive.receive(io.BytesIO(ORPHAN), root, max_bytes=1 << 20)
        placed = archive.place(placing, root)  # placed, its commit not done yet

        report = search.check(repair=True)
        assert report.orphan_files == [] and report.stale_temporary == []
        assert writing.path.exists() and placed.exists()
        assert search.check().problems == 0

        placing.release()  # its commit failed and the process died before removing the file
        writing.release()
        report = search.check()
        assert report.orphan_files == [str(placed.relative_to(root))]
        assert report.stale_temporary == [str(writing.path.relative_to(root))]
        search.check(repair=True)
        assert search.check().problems == 0 and not writing.path.exists() and not placed.exists()


def test_a_young_unlocked_temporary_is_left_alone(app):
    with app.app_context():
        root = archive.archive_root(app.config)
        (root / "tmp").mkdir(parents=True, exist_ok=True)
        fresh = root / "tmp" / "just-created.part"  # created, not locked yet
        fresh.write_bytes(b"%PDF")
        search.check(repair=True)
        assert fresh.exists() and search.check().problems == 0


def test_check_command_reports_then_repairs_leftovers(app, no_grace):
    runner = app.test_cli_runner()
    with app.app_context():
        root = archive.archive_root(app.config)
        orphan(root)
        (root / "tmp" / "dead.part").write_bytes(b"x")
        aged(root / "tmp" / "dead.part")
    result = runner.invoke(args=["check", "--no-verify-files"])
    assert result.exit_code == 1
    assert "Tệp trong kho không thuộc văn bản nào: 1" in result.output
    assert "Tệp tạm do tải lên bị gián đoạn để lại: 1 — tmp/dead.part" in result.output
    result = runner.invoke(args=["check", "--repair", "--no-verify-files"])
    assert result.exit_code == 0, result.output
    assert "tệp mồ côi vào orphans/" in result.output and "Đã sửa xong." in result.output
    assert runner.invoke(args=["check"]).exit_code == 0


def test_pending_updates_are_applied_before_a_search(app, monkeypatch):
    with app.app_context():
        # An upload whose index update never ran (the server was killed right after the commit).
        monkeypatch.setattr(search, "apply_outbox", lambda *a, **k: 0)
        plan = upload(PLAN)
        monkeypatch.undo()
        assert search.pending_count() == 1
        monkeypatch.setattr(search, "_STARTED", search.utcnow() + search.STUCK_AFTER)  # as if written before a restart
        assert ids(search.search(SearchQuery(q="khoi thi dua"))) == [plan.id]
        assert search.pending_count() == 0


def test_a_search_does_not_wait_for_updates_being_applied(app, monkeypatch):
    with app.app_context():
        monkeypatch.setattr(search, "apply_outbox", lambda *a, **k: 0)
        upload(PLAN)
        monkeypatch.undo()
        # A row written a moment ago by this process is its uploader's job: no applier runs.
        monkeypatch.setattr(search, "_apply", lambda *a: pytest.fail("a search applied a fresh row"))
        assert ids(search.search(SearchQuery(q="khoi thi dua"))) == []
        assert search.pending_count() == 1


def test_one_applier_at_a_time(app):
    """Concurrent appliers never delete a row whose update they did not write (the kill -9 loss)."""
    with app.app_context():
        first = upload(PLAN)
    inside = threading.Event()
    release = threading.Event()
    original = search._apply_locked

    def slow(limit):
        inside.set()
        release.wait(5)
        return original(limit)

    results = []

    def holder():
        with app.app_context():
            search._apply_locked = slow
            try:
                results.append(search.apply_outbox())
            finally:
                search._apply_locked = original
                db.session.remove()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert inside.wait(5)
        with app.app_context():
            # Another applier gives up at once instead of interleaving with the one running.
            assert search.apply_outbox(wait=0) == 0
    finally:
        release.set()
        thread.join(10)
    with app.app_context():
        assert search.pending_count() == 0
        assert ids(search.search(SearchQuery(q="khoi thi dua"))) == [first.id]


def test_write_is_fsynced_before_rows_go(app, monkeypatch):
    """The engine's files reach the disk while the outbox row still exists (a power cut loses nothing)."""
    from portal.search import base

    pending_at_fsync = []
    real = base.fsync_tree

    def fsync_tree(path, since=0):
        real(path, since)
        pending_at_fsync.append(search.pending_count())

    monkeypatch.setattr(base, "fsync_tree", fsync_tree)
    with app.app_context():
        upload(PLAN)
        assert pending_at_fsync == [1] and search.pending_count() == 0


def test_a_reused_outbox_id_is_applied_not_lost(app, monkeypatch):
    """SQLite reuses the rowid of an emptied table: deleting applied rows by id alone took a newer row with it."""
    with app.app_context():
        monkeypatch.setattr(search, "apply_outbox", lambda *a, **k: 0)
        plan = upload(PLAN)
        monkeypatch.undo()
        eng = search.engine()
        real_add, removed = eng.add_or_update, []

        def add_or_update(docs):
            count = real_add(docs)
            if not removed:
                # Meanwhile (before the fix: another applier) the row was applied and deleted, and a
                # new change got the same id (SQLite before migration 0005 handed it out again; set
                # here by hand, so the exact-pair delete is proven on its own).
                row_id = db.session.scalar(sa.select(IndexOutbox.id))
                db.session.execute(sa.delete(IndexOutbox))
                db.session.add(IndexOutbox(id=row_id, document_id=plan.id + 1000, action="remove"))
                db.session.flush()
            return count

        monkeypatch.setattr(eng, "add_or_update", add_or_update)
        monkeypatch.setattr(eng, "remove", lambda ids: removed.extend(ids))
        search.apply_outbox()
        assert removed == [plan.id + 1000] and search.pending_count() == 0


def test_outbox_ids_are_never_handed_out_again(app):
    """An emptied outbox does not give the next update an id an applier may still hold (migration 0005)."""
    with app.app_context():
        first = IndexOutbox(document_id=1, action="index")
        db.session.add(first)
        db.session.commit()
        used = first.id
        db.session.execute(sa.delete(IndexOutbox))
        db.session.commit()
        second = IndexOutbox(document_id=2, action="index")
        db.session.add(second)
        db.session.commit()
        assert second.id > used
