"""The watched import folder as deployed: a real worker with PORTAL_CONSUME_DIR set, files dropped the
way a scanner drops them, the outcome read back over the API and from done/ and refused/.

The second test kills the worker (SIGKILL, with its PDF child) while a long PDF is being imported and
proves the file is neither lost nor stored twice once a worker starts again.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests import pdf_factory
from tests.procs import PortalProcess
from tests.unit.test_document_services import DIRECTIVE, PLAN

# Far below Huey's one-minute periodic tasks: the chain of passes is what makes this fast.
WAIT_S = 45


def installation(tmp_path: Path) -> tuple[PortalProcess, Path]:
    consume = tmp_path / "may-quet"
    consume.mkdir()
    portal = PortalProcess(tmp_path / "portal", env={"PORTAL_CONSUME_DIR": str(consume), "PORTAL_CONSUME_INTERVAL": "1",
                                                    "PORTAL_CONSUME_SETTLE": "1"})
    return portal, consume


def set_up_org(portal: PortalProcess, token: str) -> None:
    for body, path in (({"code": "U1", "name": "Sở Nội vụ", "kind": "so_nganh"}, "/api/v1/units"),
                       ({"code": "K1", "name": "Khối thi đua số 1"}, "/api/v1/blocs")):
        status, answer = portal.request("POST", path, token=token, json_body=body)
        assert status == 201, answer
    status, answer = portal.request("PUT", "/api/v1/years/2026/memberships", token=token,
                                    json_body=[{"unit": "U1", "bloc": "K1", "role": "leader"}])
    assert status == 200, answer


def drop(consume: Path, rel: str, data: bytes) -> Path:
    """Write as a network copy does: under a temporary name, then renamed into place."""
    path = consume / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    part.rename(path)
    return path


def wait_for(condition, portal: PortalProcess, timeout: float = WAIT_S, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"not within {timeout} s: {what}\n{portal.worker_log()[-4000:]}")


def listing(folder: Path) -> list[str]:
    """The files below `folder`; the worker moves files and removes its claim folders meanwhile, and os.walk
    (unlike Path.rglob) skips a folder that vanishes under it."""
    return sorted(str((Path(top) / name).relative_to(folder)) for top, _dirs, names in os.walk(folder) for name in names)


def test_the_worker_imports_dropped_pdfs_and_sets_the_rest_aside(tmp_path):
    portal, consume = installation(tmp_path)
    with portal:
        portal.init()
        portal.start()
        token = portal.token("admin")
        set_up_org(portal, token)
        portal.start_worker("--workers", "2")
        started = time.monotonic()
        plan = drop(consume, "2026/KH/U1/ke-hoach.pdf", pdf_factory.make_text_pdf(None, PLAN))
        drop(consume, "2026/KH/U1/chi-thi.pdf", pdf_factory.make_text_pdf(None, DIRECTIVE))
        drop(consume, "2026/KH/U1/hong.pdf", pdf_factory.make_not_pdf())
        drop(consume, "2026/KH/U1/to-trinh.docx", b"PK\x03\x04 not a pdf")
        expected = ["done/2026/KH/U1/chi-thi.pdf", "done/2026/KH/U1/chi-thi.pdf.txt",
                    "done/2026/KH/U1/ke-hoach.pdf", "done/2026/KH/U1/ke-hoach.pdf.txt",
                    "refused/2026/KH/U1/hong.pdf", "refused/2026/KH/U1/hong.pdf.txt",
                    "refused/2026/KH/U1/to-trinh.docx", "refused/2026/KH/U1/to-trinh.docx.txt"]
        wait_for(lambda: listing(consume) == expected, portal, what=f"{listing(consume)}")
        elapsed = time.monotonic() - started
        assert not plan.exists() and (consume / "2026" / "KH" / "U1").is_dir()

        status, body = portal.request("GET", "/api/v1/documents?year=2026&unit=U1", token=token)
        assert status == 200 and body["total"] == 2, body
        by_name = {d["original_name"]: d for d in body["items"]}
        assert {(d["year"], d["type"], d["bloc"], d["unit"]) for d in by_name.values()} == {(2026, "KH", "K1", "U1")}
        assert by_name["ke-hoach.pdf"]["number"] == "27/KH-UBND"
        status, original = portal.request("GET", f"/api/v1/documents/{by_name['ke-hoach.pdf']['id']}/file", token=token)
        assert status == 200 and original == (consume / "done/2026/KH/U1/ke-hoach.pdf").read_bytes()

        refused = consume / "refused/2026/KH/U1"
        assert "không phải là tệp PDF" in (refused / "hong.pdf.txt").read_text(encoding="utf-8-sig")
        assert "Không phải tệp PDF (tệp docx)" in (refused / "to-trinh.docx.txt").read_text(encoding="utf-8-sig")
        done_note = (consume / "done/2026/KH/U1/ke-hoach.pdf.txt").read_text(encoding="utf-8-sig")
        assert f"/documents/{by_name['ke-hoach.pdf']['id']}" in done_note

        status, trail = portal.request("GET", f"/api/v1/audit?object=document:{by_name['ke-hoach.pdf']['id']}", token=token)
        assert status == 200, trail  # the audit trail names where the document came from
        assert any("Nhập từ thư mục theo dõi: 2026/KH/U1/ke-hoach.pdf" in e["summary"] for e in trail["items"]), trail

        log = portal.worker_log()
        assert "not found in TaskRegistry" not in log and "Traceback" not in log, log[-4000:]
        assert elapsed < WAIT_S


def test_a_worker_killed_mid_import_loses_nothing_and_stores_nothing_twice(tmp_path):
    portal, consume = installation(tmp_path)
    with portal:
        portal.init()
        portal.start()
        token = portal.token("admin")
        set_up_org(portal, token)
        # 300 pages: seconds of inspection in the PDF child, a wide window to kill the worker in.
        long_plan = pdf_factory.make_text_pdf(None, [PLAN.replace("27/KH-UBND", "31/KH-UBND")] * 300)
        portal.start_worker("--workers", "1")
        drop(consume, "2026/KH/U1/ke-hoach-dai.pdf", long_plan)
        claimed = wait_for(lambda: [p for p in (consume / "processing").rglob("ke-hoach-dai.pdf")]
                           if (consume / "processing").is_dir() else None, portal, what="the file claimed")
        portal.stop_workers(signal.SIGKILL)
        # Killed mid-import: the file waits in processing/ (this is what makes the test meaningful).
        assert claimed[0].is_file(), listing(consume)
        assert listing(consume / "done") == [] and listing(consume / "refused") == []

        portal.start_worker("--workers", "1")
        wait_for(lambda: "done/2026/KH/U1/ke-hoach-dai.pdf.txt" in listing(consume), portal, timeout=90,
                 what=f"the file retried after the restart: {listing(consume)}")
        assert listing(consume) == ["done/2026/KH/U1/ke-hoach-dai.pdf", "done/2026/KH/U1/ke-hoach-dai.pdf.txt"]
        assert (consume / "done/2026/KH/U1/ke-hoach-dai.pdf").read_bytes() == long_plan
        status, body = portal.request("GET", "/api/v1/documents?year=2026", token=token)
        assert status == 200 and body["total"] == 1, body
        assert body["items"][0]["number"] == "31/KH-UBND" and body["items"][0]["page_count"] == 300
        # Either the restart imported it, or the killed run had stored it and the note says so.
        note = (consume / "done/2026/KH/U1/ke-hoach-dai.pdf.txt").read_text(encoding="utf-8-sig")
        assert "Đã nhập vào lưu trữ" in note or "đã nhập trước khi việc nhập bị gián đoạn" in note, note
        assert "not found in TaskRegistry" not in portal.worker_log()
