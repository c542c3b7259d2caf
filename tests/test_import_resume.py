"""Fault test: `kill -9` of a running `flask import`, then the same command again.

The real command in its own process (tests.procs): killed in the middle of the folder, with index
updates still waiting for their batch. Run again, it imports only what is missing (nothing twice,
finished files not parsed again), and every document ends up searchable once the server runs.
"""
from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import time

from tests import pdf_factory
from tests.procs import BIN, ROOT, PortalProcess

FILES = 12


def _count(db_path) -> int:
    try:
        conn = sqlite3.connect(db_path, timeout=10)
        try:
            return conn.execute("SELECT count(*) FROM document").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:  # locked for a moment, or not created yet
        return 0


def test_a_killed_import_run_again_continues_where_it_stopped(tmp_path):
    folder = tmp_path / "ho-so"
    folder.mkdir()
    words = {}
    for n in range(FILES):
        word = f"zxmahoso{n:02d}q"
        words[n] = word
        pages = [f"KẾ HOẠCH số {300 + n}/KH-UBND\nTổ chức phong trào thi đua năm 2025, mã {word}."] + [
            f"Trang {p}: nội dung kế hoạch thi đua khen thưởng của các Khối thi đua." for p in range(2, 8)]
        pdf_factory.make_text_pdf(folder / f"kh-{n:02d}.pdf", pages)
    with PortalProcess(tmp_path / "portal") as portal:
        portal.init()
        db_path = portal.instance / "portal.sqlite3"
        proc = subprocess.Popen([str(BIN / "flask"), "--app", "portal", "import", str(folder)], cwd=ROOT,
                                env=portal.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while _count(db_path) < 3 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            os.killpg(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(30)
        done_before = _count(db_path)
        assert 3 <= done_before < FILES, "the import finished before it could be killed: make the files bigger"

        again = portal.flask("import", str(folder))
        match = re.search(r"Đã nhập: (\d+) · Bỏ qua \(trùng\): (\d+) · Từ chối: (\d+)", again.stdout)
        assert match, again.stdout + again.stderr
        assert tuple(map(int, match.groups())) == (FILES - done_before, done_before, 0)
        assert f"{done_before} tệp đã có trong lưu trữ từ trước" in again.stdout
        assert _count(db_path) == FILES

        portal.start()
        token = portal.token("admin")
        ids = set()
        for word in words.values():
            status, body = portal.request("GET", f"/api/v1/search?q={word}", token=token)
            assert status == 200 and len(body["items"]) == 1, (word, body)
            ids.add(body["items"][0]["id"])
        assert len(ids) == FILES
