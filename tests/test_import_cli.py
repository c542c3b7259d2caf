"""`flask --app portal import PATH… [--year Y] [--type CODE] [--bloc CODE] [--unit CODE] [--as-user NAME]`
(DESIGN §4): folders recursively, duplicates skipped, refusals with reasons on stderr, a summary, exit status."""
from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import audit
from portal.documents.models import Document
from portal.extensions import db
from tests import pdf_factory
from tests.test_documents_views import DIRECTIVE, PLAN, archive_files, pdf, plan_numbered, temp_files

SUMMARY = re.compile(r"Đã nhập: (\d+) · Bỏ qua \(trùng\): (\d+) · Từ chối: (\d+)")


def invoke(runner, *args):
    return runner.invoke(args=["import", *map(str, args)])


def summary(result) -> tuple[int, int, int]:
    match = SUMMARY.search(result.stdout)
    assert match, result.output
    return tuple(int(n) for n in match.groups())


def stored(app) -> list[Document]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Document).order_by(Document.original_name)))
        for row in rows:
            row.bloc, row.unit  # load before leaving the context  # noqa: B018
            db.session.expunge(row)
        return rows


@pytest.fixture
def tree(tmp_path):
    """in/2025/ke-hoach-27.pdf, in/2025/khoi-1/chi-thi-05.PDF, in/2026/ban-sao.pdf (same bytes as the plan;
    later in the walk), in/hong.pdf (a Word file named .pdf), in/ghi-chu.txt (not a PDF name: not looked at)."""
    root = tmp_path / "in"
    pdf_factory.make_text_pdf(root / "2025" / "ke-hoach-27.pdf", PLAN)
    pdf_factory.make_text_pdf(root / "2025" / "khoi-1" / "chi-thi-05.PDF", DIRECTIVE)
    pdf_factory.make_text_pdf(root / "2026" / "ban-sao.pdf", PLAN)
    pdf_factory.make_not_pdf(root / "hong.pdf")
    (root / "ghi-chu.txt").write_text("không phải PDF", encoding="utf-8")
    return root


def test_import_a_folder_tree(runner, app, org_data, tree, tmp_path):
    missing = tmp_path / "khong-co" / "van-ban.pdf"
    result = invoke(runner, tree, missing)
    assert result.exit_code == 1, result.output
    assert summary(result) == (2, 1, 2)
    # Duplicates are reported as skipped (stdout), refusals with their reasons on stderr.
    assert re.search(r"bỏ qua\s+\S*ban-sao\.pdf: Tệp này đã có trong lưu trữ: văn bản [^#\s]+", result.stdout)
    assert re.search(r"từ chối \S*hong\.pdf: Tệp tải lên không phải là tệp PDF.*chưa được lưu", result.stderr)
    assert f"từ chối {missing}: Không tìm thấy tệp." in result.stderr
    assert "từ chối" not in result.stdout and "ke-hoach-27.pdf" not in result.stderr
    assert "Đang nhập văn bản" in result.stdout  # the progress bar's label
    assert "ghi-chu.txt" not in result.output
    docs = stored(app)
    assert sorted(d.original_name for d in docs) == ["chi-thi-05.PDF", "ke-hoach-27.pdf"]
    plan = next(d for d in docs if d.original_name == "ke-hoach-27.pdf")
    # Metadata detected from the text.
    assert (plan.type, plan.number, plan.year, plan.signer) == ("KH", "27/KH-UBND", 2025, "Trần Văn Minh")
    assert len(archive_files(app)) == 2 and temp_files(app) == []
    with app.app_context():
        [event] = audit.events_for("document", plan.id)
        assert event.action == "upload" and event.actor_name == "system"


def test_a_second_run_skips_everything_already_imported(runner, app, org_data, tree):
    (tree / "hong.pdf").unlink()
    first = invoke(runner, tree)
    assert first.exit_code == 0, first.output
    assert summary(first) == (2, 1, 0)
    assert "1 tệp trùng nội dung với tệp khác trong lần nhập này" in first.stdout
    again = invoke(runner, tree)
    assert again.exit_code == 0, again.output
    assert summary(again) == (0, 3, 0)
    assert again.stdout.count("  bỏ qua  ") == 3
    assert "Trong số bỏ qua: 3 tệp đã có trong lưu trữ từ trước, 0 tệp trùng nội dung" in again.stdout
    assert len(stored(app)) == 2


def test_all_good_exits_zero(runner, app, org_data, tmp_path):
    folder = tmp_path / "tot"
    for n in (30, 31, 32):
        (folder / f"kh-{n}.pdf").parent.mkdir(parents=True, exist_ok=True)
        (folder / f"kh-{n}.pdf").write_bytes(plan_numbered(n))
    single = tmp_path / "rieng.pdf"
    single.write_bytes(pdf(DIRECTIVE))
    result = invoke(runner, folder, single)  # folders and single files together
    assert result.exit_code == 0, result.output
    assert summary(result) == (4, 0, 0)
    assert result.stderr == ""
    assert sorted(d.number for d in stored(app)) == ["05/CT-UBND", "30/KH-UBND", "31/KH-UBND", "32/KH-UBND"]


def test_options_apply_to_every_file(runner, app, org_data, tmp_path):
    folder = tmp_path / "khoi"
    pdf_factory.make_text_pdf(folder / "a.pdf", PLAN)
    pdf_factory.make_text_pdf(folder / "con" / "b.pdf", DIRECTIVE)
    result = invoke(runner, folder, "--year", 2026, "--type", "TB", "--bloc", "K1", "--unit", "U2")
    assert result.exit_code == 0, result.output
    docs = stored(app)
    assert [(d.year, d.type, d.bloc.code, d.unit.code) for d in docs] == [(2026, "TB", "K1", "U2")] * 2
    assert {d.number for d in docs} == {"27/KH-UBND", "05/CT-UBND"}  # what no option says is still read


def test_bad_option_values_refuse_every_file_with_the_reason(runner, app, org_data, tmp_path):
    folder = tmp_path / "f"
    pdf_factory.make_text_pdf(folder / "a.pdf", PLAN)
    result = invoke(runner, folder, "--type", "XYZ", "--bloc", "K9")
    assert result.exit_code == 1
    assert summary(result) == (0, 0, 1)
    assert "Loại văn bản không hợp lệ." in result.stderr and "K9" in result.stderr
    assert stored(app) == [] and archive_files(app) == []


def test_no_pdfs_found(runner, app, org_data, tmp_path):
    folder = tmp_path / "trong"
    folder.mkdir()
    (folder / "bang-diem.xlsx").write_bytes(b"PK")
    result = invoke(runner, folder)
    assert result.exit_code == 1
    assert "Không tìm thấy tệp PDF nào." in result.stderr


def test_unknown_user_is_exit_2(runner, app, org_data, tree):
    result = invoke(runner, tree, "--as-user", "khong-ai")
    assert result.exit_code == 2
    assert "khong-ai" in result.stderr
    assert stored(app) == []


def test_paths_are_required(runner, app, org_data):
    result = runner.invoke(args=["import"])
    assert result.exit_code == 2


def test_as_user_applies_that_users_rights(runner, app, org_data, tmp_path):
    folder = tmp_path / "u6"
    pdf_factory.make_text_pdf(folder / "a.pdf", PLAN)
    pdf_factory.make_text_pdf(folder / "b.pdf", DIRECTIVE)
    refused = invoke(runner, folder, "--as-user", "off6", "--unit", "U1")
    assert refused.exit_code == 1 and summary(refused) == (0, 0, 2)
    assert refused.stderr.count("không có quyền") == 2
    assert stored(app) == []
    result = invoke(runner, folder, "--as-user", "off6")
    assert result.exit_code == 0, result.output
    docs = stored(app)
    assert [d.unit.code for d in docs] == ["U6", "U6"]
    assert docs[0].bloc.code == "K2" and docs[1].bloc is None  # U6 is in K2 in 2025; the directive is of 2024
    with app.app_context():
        assert audit.events_for("document", docs[0].id)[0].actor_name == "off6"


def test_entries_that_cannot_be_read_are_reported_not_ignored(runner, app, org_data, tmp_path):
    folder = tmp_path / "lien-ket"
    pdf_factory.make_text_pdf(folder / "tot.pdf", PLAN)
    os.symlink(folder / "da-xoa.pdf", folder / "hong-lien-ket.pdf")  # a dangling link named .pdf
    result = invoke(runner, folder)
    assert result.exit_code == 1, result.output
    assert summary(result) == (1, 0, 1)
    assert "hong-lien-ket.pdf" in result.stderr


def test_an_unreadable_file_is_refused_with_the_reason(runner, app, org_data, tmp_path, monkeypatch):
    from portal.documents import imports

    folder = tmp_path / "khoa"
    locked = folder / "khoa.pdf"
    pdf_factory.make_text_pdf(locked, PLAN)
    pdf_factory.make_text_pdf(folder / "mo.pdf", DIRECTIVE)
    locked.chmod(0)  # unreadable for anyone but root; the tests may run as root, so also:
    real_open = open

    def guarded_open(path, *args, **kwargs):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(imports, "open", guarded_open, raising=False)
    try:
        result = invoke(runner, folder)
    finally:
        locked.chmod(0o644)
    assert result.exit_code == 1, result.output
    assert summary(result) == (1, 0, 1)
    assert f"từ chối {locked}: Không đọc được tệp: Permission denied" in result.stderr


def test_help_lists_the_options(runner, app):
    result = runner.invoke(args=["import", "--help"])
    assert result.exit_code == 0
    for option in ("--year", "--type", "--bloc", "--unit", "--as-user"):
        assert option in result.output


# --- bulk speed: resumable, index in batches ---------------------------------------------------------


def numbered_folder(tmp_path, numbers) -> Path:
    folder = tmp_path / "lo"
    folder.mkdir(exist_ok=True)
    for n in numbers:
        (folder / f"kh-{n:03d}.pdf").write_bytes(plan_numbered(n))
    return folder


def indexed_ids(app) -> set[int]:
    from portal.search import services as search

    with app.app_context():
        return search.engine().ids()


def outbox_rows(app) -> int:
    from portal.documents.models import IndexOutbox

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(IndexOutbox.id)))


def test_the_index_is_updated_once_per_batch_not_per_document(runner, app, org_data, tmp_path, monkeypatch):
    from portal.documents import imports
    from portal.search import services as search

    monkeypatch.setattr(imports, "INDEX_BATCH", 2)
    writes: list[int] = []
    real_engine = search.engine

    def counting_engine(app=None):
        eng = real_engine(app)
        if not getattr(eng, "_counted", False):
            real_add = eng.add_or_update

            def add_or_update(docs):
                docs = list(docs)
                writes.append(len(docs))
                return real_add(docs)

            eng.add_or_update, eng._counted = add_or_update, True
        return eng

    monkeypatch.setattr(search, "engine", counting_engine)
    result = invoke(runner, numbered_folder(tmp_path, range(41, 46)))
    assert result.exit_code == 0, result.output
    assert summary(result) == (5, 0, 0)
    assert writes == [2, 2, 1]  # one index commit per batch of 2 and one at the end, not one per document
    assert indexed_ids(app) == {d.id for d in stored(app)} and outbox_rows(app) == 0


def test_an_interrupted_import_keeps_what_it_did_and_a_rerun_continues(runner, app, org_data, tmp_path, monkeypatch):
    from portal.documents import services as docs

    folder = numbered_folder(tmp_path, range(51, 56))
    real_ingest = docs.ingest
    calls: list[str] = []

    def ingest_then_ctrl_c(actor, stream, name, fields=None, **kw):
        calls.append(name)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl+C while the third file is being read
        return real_ingest(actor, stream, name, fields, **kw)

    monkeypatch.setattr(docs, "ingest", ingest_then_ctrl_c)
    first = invoke(runner, folder)
    assert first.exit_code == 130, first.output
    assert summary(first) == (2, 0, 0)
    assert "Đã dừng giữa chừng: còn 3 tệp chưa xử lý" in first.stderr and "chạy lại đúng lệnh này" in first.stderr
    done = stored(app)
    assert [d.number for d in done] == ["51/KH-UBND", "52/KH-UBND"]
    # What was reported imported is searchable although the batch never filled up.
    assert indexed_ids(app) == {d.id for d in done} and outbox_rows(app) == 0

    calls.clear()
    monkeypatch.setattr(docs, "ingest", lambda actor, stream, name, fields=None, **kw: (
        calls.append(name), real_ingest(actor, stream, name, fields, **kw))[1])
    again = invoke(runner, folder)
    assert again.exit_code == 0, again.output
    assert summary(again) == (3, 2, 0)
    assert calls == ["kh-053.pdf", "kh-054.pdf", "kh-055.pdf"]  # finished files are not parsed again
    assert "2 tệp đã có trong lưu trữ từ trước, 0 tệp trùng nội dung" in again.stdout
    assert sorted(d.number for d in stored(app)) == [f"{n}/KH-UBND" for n in range(51, 56)]
    assert len(archive_files(app)) == 5 and temp_files(app) == []


def test_outbox_rows_a_killed_import_left_are_applied_by_the_next_one(runner, app, org_data, tmp_path):
    from flask import g

    from portal.auth.services import SYSTEM
    from portal.documents import services as docs

    # As a killed import leaves them: documents committed with their outbox rows, the index not updated.
    with app.app_context():
        g.defer_indexing = True
        for n in (61, 62):
            docs.ingest(SYSTEM, io.BytesIO(plan_numbered(n)), f"kh-{n}.pdf")
    assert outbox_rows(app) == 2 and indexed_ids(app) == set()
    result = invoke(runner, numbered_folder(tmp_path, [63]))
    assert result.exit_code == 0, result.output
    assert outbox_rows(app) == 0 and indexed_ids(app) == {d.id for d in stored(app)} and len(stored(app)) == 3
