"""The watched import folder (PORTAL_CONSUME_DIR, DESIGN §4.1) as plain functions: hints from folder
names, files still being written, claims two processes race for, moves with notes, duplicates after a
crash, refusal reasons, NFD names, the one-pass command and the worker's chain of passes."""
from __future__ import annotations

import io
import os
import re
import subprocess
import threading
import time
import unicodedata
from pathlib import Path, PurePath

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from portal import audit
from portal.auth.services import SYSTEM
from portal.documents import consume, consume_tasks
from portal.documents import services as docs
from portal.documents.models import Document
from portal.extensions import db
from tests import pdf_factory
from tests.unit.test_document_services import DIRECTIVE, PLAN

NOTE_TIME = re.compile(r"Thời gian: \d{2}/\d{2}/\d{4} \d{2}:\d{2}")


def pdf(text: str = PLAN) -> bytes:
    return pdf_factory.make_text_pdf(None, text)


@pytest.fixture
def root(app, org_data, tmp_path):
    folder = tmp_path / "consume"
    folder.mkdir()
    app.config["PORTAL_CONSUME_DIR"] = str(folder)
    return folder


def drop(root: Path, rel: str, data: bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def run(app, root: Path, **kw) -> consume.PassReport:
    with app.app_context():
        return consume.run_pass(root, settle_s=kw.pop("settle_s", 0), sightings=kw.pop("sightings", consume.Sightings()), **kw)


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def note(path: Path) -> str:
    return path.with_name(path.name + ".txt").read_text(encoding="utf-8-sig")


def documents(app) -> list[Document]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Document).order_by(Document.id)))
        for row in rows:
            row.unit, row.bloc  # noqa: B018  (loaded before the context ends)
            db.session.expunge(row)
        return rows


# --- hints -------------------------------------------------------------------------------------

def test_hints_from_folder_names_in_any_order(app, org_data):
    nfd = unicodedata.normalize("NFD", "Kế hoạch")
    cases = {
        "2026/KH/U1/a.pdf": (2026, "KH", None, "U1", []),
        "u1/kh/2026/a.pdf": (2026, "KH", None, "U1", []),
        "K1/Năm 2025/Báo cáo/a.pdf": (2025, "BC", "K1", None, []),
        f"{nfd}/a.pdf": (None, "KH", None, None, []),
        "qd/a.pdf": (None, "QĐ", None, None, []),
        "Scan mới/1999/2026/ttr/a.pdf": (2026, "TTr", None, None, ["Scan mới", "1999"]),
        "2026/2025/KH/CT/a.pdf": (2026, "KH", None, None, ["2025", "CT"]),  # CT: type taken, no unit CT
        "a.pdf": (None, None, None, None, []),
    }
    with app.app_context():
        for rel, (year, type_, bloc, unit, ignored) in cases.items():
            hints = consume.read_hints(PurePath(rel))
            assert (hints.year, hints.type, hints.bloc, hints.unit, hints.ignored) == (year, type_, bloc, unit, ignored), rel
        hints = consume.read_hints(PurePath("2026/KH/U1/a.pdf"))
        assert hints.fields() == {"year": "2026", "type": "KH", "unit": "U1"}
        assert consume.read_hints(PurePath("Scan mới/U1/a.pdf")).describe() == \
            "đơn vị U1; bỏ qua tên thư mục không hiểu: “Scan mới”"


# --- which files are ready ---------------------------------------------------------------------

def test_hidden_temporary_and_reserved_files_are_left_alone(app, root):
    for rel in (".an.pdf", "~$bao-cao.docx", "quet.pdf.part", "tai-ve.tmp", "Thumbs.db", "desktop.ini",
                ".Trash/a.pdf", "@eaDir/a.pdf", "done/x.pdf", "refused/y.pdf", "processing/z.pdf"):
        drop(root, rel, pdf())
    found = consume.scan(root, settle_s=0, sightings=consume.Sightings())
    assert found.ready == [] and found.waiting == []
    assert run(app, root).outcomes == []
    assert len(files(root)) == 11  # nothing moved


def test_a_file_still_being_written_waits(app, root, monkeypatch):
    clock = [1000.0]
    sightings = consume.Sightings(clock=lambda: clock[0])
    data = pdf()
    path = drop(root, "2026/KH/quet.pdf", data)
    # Just written: neither quiet for 5 s nor seen twice 5 s apart.
    assert consume.scan(root, settle_s=5, sightings=sightings).waiting == [path]
    clock[0] += 2
    assert consume.scan(root, settle_s=5, sightings=sightings).waiting == [path]
    # It grew: the two looks start again.
    with open(path, "ab") as out:
        out.write(b"\n")
    clock[0] += 4
    assert consume.scan(root, settle_s=5, sightings=sightings).waiting == [path]
    clock[0] += 5
    assert consume.scan(root, settle_s=5, sightings=sightings).ready == [path]

    # Or quiet long enough by its own times (a worker that just started has seen nothing yet).
    other = drop(root, "2026/KH/cu.pdf", data)
    monkeypatch.setattr(consume, "_wall", lambda: os.stat(other).st_ctime + 6)
    assert consume.scan(root, settle_s=5, sightings=consume.Sightings()).ready == [other, path]


def test_a_pdf_without_its_trailer_waits_until_the_grace_time(app, root, monkeypatch):
    data = pdf()
    cut = data[: len(data) // 2]  # a scan in transfer: %PDF- at the start, no %%EOF yet
    path = drop(root, "dang-gui.pdf", cut)
    assert consume.scan(root, settle_s=0, sightings=consume.Sightings()).waiting == [path]
    monkeypatch.setattr(consume, "_wall", lambda: os.stat(path).st_ctime + consume.TRAILER_GRACE_S + 1)
    assert consume.scan(root, settle_s=0, sightings=consume.Sightings()).ready == [path]
    report = run(app, root)
    assert [o.status for o in report.outcomes] == ["refused"]
    assert "hỏng" in note(root / "refused" / "dang-gui.pdf") or "không đọc được" in note(root / "refused" / "dang-gui.pdf").lower()


# --- importing ---------------------------------------------------------------------------------

def test_a_dropped_pdf_is_imported_with_its_hints_and_moved_to_done(app, root):
    data = pdf()  # the plan says 2025; the folder says 2026, U1
    drop(root, "2026/KH/U1/ke-hoach.pdf", data)
    report = run(app, root)
    [outcome] = report.outcomes
    assert outcome.status == "imported", outcome
    [document] = documents(app)
    assert (document.year, document.type, document.unit.code, document.bloc.code) == (2026, "KH", "U1", "K1")
    assert document.number == "27/KH-UBND" and document.original_name == "ke-hoach.pdf"
    assert document.uploaded_by_id is None and document.filed_by_board  # the Board, as `flask import`
    done = root / "done" / "2026" / "KH" / "U1" / "ke-hoach.pdf"
    assert done.read_bytes() == data
    text = note(done)
    assert "Tệp: 2026/KH/U1/ke-hoach.pdf" in text and "27/KH-UBND" in text
    assert f"/documents/{document.id}" in text and NOTE_TIME.search(text)
    assert files(root) == ["done/2026/KH/U1/ke-hoach.pdf", "done/2026/KH/U1/ke-hoach.pdf.txt"]
    assert (root / "2026" / "KH" / "U1").is_dir()  # the user's folders stay for the next scans
    assert not any((root / "processing").iterdir())
    with app.app_context():
        events = audit.events_for("document", document.id)
        assert sorted(e.action for e in events) == ["consume", "upload"]
        [event] = [e for e in events if e.action == "consume"]
        assert event.actor_name == "system"
        assert event.summary.startswith("Nhập từ thư mục theo dõi: 2026/KH/U1/ke-hoach.pdf")
        assert "năm 2026, loại KH, đơn vị U1" in event.summary


def test_refusals_are_moved_with_a_reason(app, root):
    drop(root, "2026/KH/U1/ke-hoach.pdf", pdf())
    run(app, root)
    drop(root, "2026/ban-sao.pdf", pdf())  # the same bytes again
    drop(root, "2026/hong.pdf", pdf_factory.make_not_pdf())
    drop(root, "2026/to-trinh.docx", b"PK\x03\x04 word")
    drop(root, "2026/K2/U1/chi-thi.pdf", pdf(DIRECTIVE))  # U1 is in K1 in 2026
    report = run(app, root)
    assert sorted((o.rel, o.status) for o in report.outcomes) == [
        ("2026/K2/U1/chi-thi.pdf", "refused"), ("2026/ban-sao.pdf", "refused"), ("2026/hong.pdf", "refused"),
        ("2026/to-trinh.docx", "refused")]
    refused = root / "refused" / "2026"
    assert "Tệp này đã có trong lưu trữ: văn bản 27/KH-UBND" in note(refused / "ban-sao.pdf")
    assert "không phải là tệp PDF" in note(refused / "hong.pdf")
    assert "Không phải tệp PDF (tệp docx)" in note(refused / "to-trinh.docx")
    assert "thuộc Khối thi đua số 1 năm 2026" in note(refused / "K2" / "U1" / "chi-thi.pdf")
    for name in ("ban-sao.pdf", "hong.pdf", "to-trinh.docx"):
        text = note(refused / name)
        assert "KHÔNG NHẬP" in text and NOTE_TIME.search(text), text
    assert (refused / "to-trinh.docx").read_bytes() == b"PK\x03\x04 word"  # the bytes kept as dropped
    assert len(documents(app)) == 1


def test_too_large_is_refused(app, root):
    app.config["PORTAL_UPLOAD_MAX_MB"] = 0
    drop(root, "lon.pdf", pdf())
    [outcome] = run(app, root).outcomes
    assert outcome.status == "refused" and "giới hạn 0 MB" in note(root / "refused" / "lon.pdf")


def test_a_name_taken_in_done_gets_a_suffix(app, root):
    drop(root, "2026/a.pdf", pdf())
    run(app, root)
    drop(root, "2026/a.pdf", pdf(DIRECTIVE))
    run(app, root)
    assert files(root / "done") == ["2026/a (2).pdf", "2026/a (2).pdf.txt", "2026/a.pdf", "2026/a.pdf.txt"]
    assert len(documents(app)) == 2


def test_a_note_never_overwrites_a_file(app, root):
    drop(root, "x.pdf.txt", b"ghi chu cua nguoi dung")  # refused (not a PDF) first, into refused/x.pdf.txt
    run(app, root)
    drop(root, "x.pdf", b"not a pdf either")
    run(app, root)
    refused = root / "refused"
    assert (refused / "x.pdf.txt").read_bytes() == b"ghi chu cua nguoi dung"
    assert "KHÔNG NHẬP" in (refused / "x.pdf.2.txt").read_text(encoding="utf-8-sig")


def test_nfd_names(app, root):
    folder = unicodedata.normalize("NFD", "Kế hoạch")
    name = unicodedata.normalize("NFD", "Kế hoạch số 27.pdf")
    drop(root, f"2026/{folder}/{name}", pdf())
    [outcome] = run(app, root).outcomes
    assert outcome.status == "imported"
    [document] = documents(app)
    assert document.type == "KH" and document.original_name == "Kế hoạch số 27.pdf"  # NFC in the archive
    assert (root / "done" / "2026" / folder / name).is_file()  # the folder keeps the name as dropped


def test_a_symlink_is_refused_and_its_target_untouched(app, root, tmp_path):
    secret = tmp_path / "ngoai.pdf"
    secret.write_bytes(pdf())
    os.symlink(secret, root / "lien-ket.pdf")
    [outcome] = run(app, root).outcomes
    assert outcome.status == "refused"
    assert os.path.islink(root / "refused" / "lien-ket.pdf") and secret.is_file()
    assert documents(app) == []


def test_a_database_outage_gives_the_file_back(app, root, monkeypatch):
    def down(*a, **kw):
        raise OperationalError("select 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(docs, "ingest", down)
    path = drop(root, "2026/a.pdf", pdf())
    [outcome] = run(app, root).outcomes
    assert outcome.status == "returned" and path.is_file()
    assert files(root) == ["2026/a.pdf"] and not any((root / "processing").iterdir())


# --- claims ------------------------------------------------------------------------------------

def test_only_one_of_many_racing_claims_wins(tmp_path):
    root = tmp_path / "consume"
    for round_ in range(20):
        path = drop(root, f"2026/a{round_}.pdf", b"%PDF-1.7\n%%EOF\n")
        barrier = threading.Barrier(8)
        won = []

        def take():
            barrier.wait()
            item = consume.claim(root, path)
            if item is not None:
                won.append(item)

        threads = [threading.Thread(target=take) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(won) == 1, round_
        assert won[0].path.read_bytes() == b"%PDF-1.7\n%%EOF\n" and not path.exists()
        consume._release(won[0].id)
    # The losers left no claim folders behind.
    assert len(list((root / "processing").iterdir())) == 20


def test_two_passes_at_once_import_each_file_once(app, root):
    """The worker and a `flask consume` run by hand (or two workers) scanning the same folder together."""
    datas = [pdf(PLAN.replace("27/KH-UBND", f"{n}/KH-UBND")) for n in range(40, 46)]
    for n, data in enumerate(datas):
        drop(root, f"2026/KH/U1/ke-hoach-{n}.pdf", data)
    reports = []

    def one_pass():
        reports.append(run(app, root))

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcomes = [o for r in reports for o in r.outcomes]
    assert sorted(o.status for o in outcomes) == ["imported"] * 6, outcomes
    assert len(documents(app)) == 6
    assert len(files(root / "done")) == 12 and files(root / "refused") == []


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def left_by_a_crash(root: Path, rel: str, data: bytes, *, claimed_at: float, pid: int | None = None) -> Path:
    claim_id = f"{int(claimed_at)}_{pid or dead_pid()}_deadbeef_{consume.socket.gethostname()}"
    return drop(root / "processing" / claim_id, rel, data)


def test_a_claim_left_by_a_killed_process_is_imported(app, root):
    left_by_a_crash(root, "2026/KH/U1/ke-hoach.pdf", pdf(), claimed_at=time.time())
    [outcome] = run(app, root).outcomes
    assert outcome.status == "imported"
    assert documents(app)[0].unit.code == "U1"
    assert files(root) == ["done/2026/KH/U1/ke-hoach.pdf", "done/2026/KH/U1/ke-hoach.pdf.txt"]


def test_stored_before_the_crash_goes_to_done_not_twice(app, root):
    data = pdf()
    claimed_at = time.time() - 1
    left_by_a_crash(root, "2026/KH/ke-hoach.pdf", data, claimed_at=claimed_at)
    with app.app_context():  # the crashed run had committed the document, then died before moving the file
        docs.ingest(SYSTEM, io.BytesIO(data), "ke-hoach.pdf", {"year": "2026", "type": "KH"})
    [outcome] = run(app, root).outcomes
    assert outcome.status == "done"
    assert len(documents(app)) == 1
    text = note(root / "done" / "2026" / "KH" / "ke-hoach.pdf")
    assert "đã có trong lưu trữ (đã nhập trước khi việc nhập bị gián đoạn)" in text.lower()
    assert not any((root / "processing").iterdir())


def test_a_crash_claim_of_an_old_duplicate_is_refused_as_a_duplicate(app, root):
    data = pdf()
    with app.app_context():
        docs.ingest(SYSTEM, io.BytesIO(data), "cu.pdf", {})
    left_by_a_crash(root, "ban-sao.pdf", data, claimed_at=time.time() + 3600)  # claimed long after that upload
    [outcome] = run(app, root).outcomes
    assert outcome.status == "refused" and "đã có trong lưu trữ" in note(root / "refused" / "ban-sao.pdf")


def test_a_claim_in_progress_is_not_taken_over(app, root):
    live = drop(root, "a.pdf", pdf())
    item = consume.claim(root, live)  # this process holds it (another thread is importing it)
    assert consume.recover_claims(root) == []
    # Another live process on this machine holding a fresh claim: left alone too.
    left_by_a_crash(root, "b.pdf", pdf(DIRECTIVE), claimed_at=time.time(), pid=os.getppid())
    assert consume.recover_claims(root) == []
    consume._release(item.id)  # the thread died without finishing: the next pass takes it over
    [recovered] = consume.recover_claims(root)
    assert recovered.rel == PurePath("a.pdf") and recovered.recovered


def test_an_unexpected_error_leaves_the_file_for_the_next_pass(app, root, monkeypatch):
    real = consume.read_hints
    calls = []

    def broken_once(rel):
        calls.append(rel)
        if len(calls) == 1:
            raise RuntimeError("a bug")
        return real(rel)

    monkeypatch.setattr(consume, "read_hints", broken_once)
    drop(root, "2026/KH/U1/a.pdf", pdf())
    assert run(app, root).outcomes == []
    assert [p.name for p in (root / "processing").rglob("*.pdf")] == ["a.pdf"]
    [outcome] = run(app, root).outcomes  # taken over: its claim is no thread's any more
    assert outcome.status == "imported" and documents(app)[0].unit.code == "U1"
    assert files(root) == ["done/2026/KH/U1/a.pdf", "done/2026/KH/U1/a.pdf.txt"]


# --- the command and the worker's chain ---------------------------------------------------------

def test_the_consume_command_runs_one_pass(app, root):
    if "consume" not in app.cli.commands:
        consume.register(app)
    drop(root, "2026/KH/U1/ke-hoach.pdf", pdf())
    drop(root, "2026/ghi-chu.docx", b"PK\x03\x04")
    result = app.test_cli_runner().invoke(args=["consume", "--settle", "0"])
    assert result.exit_code == 0, result.output
    assert "Đã nhập  2026/KH/U1/ke-hoach.pdf → done/2026/KH/U1/ke-hoach.pdf" in result.output
    assert "Từ chối  2026/ghi-chu.docx → refused/2026/ghi-chu.docx: Không phải tệp PDF" in result.output
    assert "đã nhập 1 · từ chối 1 · đang chờ 0" in result.output
    app.config["PORTAL_CONSUME_DIR"] = None
    result = app.test_cli_runner().invoke(args=["consume"])
    assert result.exit_code == 2 and "PORTAL_CONSUME_DIR" in result.output


def test_the_chain_passes_only_while_it_is_the_living_one(app, root, monkeypatch):
    app.config["PORTAL_CONSUME_SETTLE"] = 0
    monkeypatch.setattr(consume_tasks, "config", lambda key, default=None: app.config.get(key, default))
    drop(root, "2026/KH/U1/a.pdf", pdf())
    with app.app_context():
        chain = consume_tasks.start_chain()  # immediate mode: the first pass runs here
        assert len(documents(app)) == 1
        drop(root, "2026/KH/U1/b.pdf", pdf(DIRECTIVE))
        consume_tasks.consume_folder.call_local("an-old-chain")  # superseded: does nothing
        assert len(documents(app)) == 1
        consume_tasks.consume_folder.call_local(chain)
        assert len(documents(app)) == 2


def test_the_watchdog_restarts_stopped_passes_and_nothing_runs_when_off(app, root, monkeypatch):
    app.config["PORTAL_CONSUME_SETTLE"] = 0
    monkeypatch.setattr(consume_tasks, "config", lambda key, default=None: app.config.get(key, default))
    started = []
    monkeypatch.setattr(consume_tasks, "start_chain", lambda: started.append(1))
    consume_tasks.huey.put(consume_tasks.BEAT_KEY, 0.0)  # the last pass was long ago
    consume_tasks.consume_watchdog.call_local()
    assert started == [1]
    consume_tasks.huey.put(consume_tasks.BEAT_KEY, time.time())
    consume_tasks.consume_watchdog.call_local()
    assert started == [1]
    app.config["PORTAL_CONSUME_DIR"] = None
    consume_tasks.huey.put(consume_tasks.BEAT_KEY, 0.0)
    consume_tasks.consume_watchdog.call_local()
    drop(root, "a.pdf", pdf())
    with app.app_context():
        consume_tasks.consume_folder.call_local(consume_tasks.huey.get(consume_tasks.CHAIN_KEY, peek=True) or "x")
    assert started == [1] and documents(app) == [] and (root / "a.pdf").is_file()
