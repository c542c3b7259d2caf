"""Fuzz the JSON API from its own OpenAPI description against a real server: never a 5xx.

A real waitress process serves `wsgi:app` on a throwaway instance (SQLite, then PostgreSQL) holding a
small province: units, blocs, memberships, a criteria table with scores, a schedule, documents. The
schemathesis CLI then sends, for every operation in /api/v1/openapi.json, the schema's examples, its
boundary values (the coverage phase: ids at 2³¹−1, years at the ends of their range, empty and
overlong strings, wrong types) and random valid and invalid requests, as the Board (bearer token)
and anonymously, and checks that no answer is a server error and that every answer matches the
description. CI-sized: a few examples per operation; set API_FUZZ_EXAMPLES for a longer run.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import pg
from tests.pdf_factory import make_text_pdf
from tests.procs import PortalProcess

ST = Path(sys.executable).parent / "st"
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "4"))
SEED = os.environ.get("API_FUZZ_SEED", "20261207")
CHECKS = "not_a_server_error,response_schema_conformance"


@pytest.fixture(params=["sqlite", "postgresql"])
def portal(request, tmp_path):
    """A real portal server with a little data in it, on SQLite or on a fresh PostgreSQL database."""
    url = None
    if request.param == "postgresql":
        url = pg.fresh_database_url(empty=True)
        if url is None:
            if pg.required():
                pytest.fail(pg.missing_message())
            pytest.skip(pg.missing_message())
    server = PortalProcess(tmp_path / "portal", database_url=url)
    try:
        server.init()
        server.start()
        token = server.token("admin")
        _seed(server, token)
        yield server, token
    finally:
        server.close()
        if url:
            pg.drop_database(url)


def _ok(answer, *statuses):
    status, body = answer
    assert status in statuses, f"{status}: {body}"
    return body


def _seed(server: PortalProcess, token: str) -> None:
    """Units, blocs, two years of memberships, criteria with scores, a schedule and two documents."""
    call = server.request
    for i in range(1, 5):
        _ok(call("POST", "/api/v1/units", token=token, json_body={"code": f"U{i}", "name": f"Sở thử nghiệm {i}",
                                                                   "kind": "so_nganh"}), 201)
    for code in ("K1", "K2"):
        _ok(call("POST", "/api/v1/blocs", token=token, json_body={"code": code, "name": f"Khối thi đua {code}"}), 201)
    for year in (2025, 2026):
        items = [{"unit": "U1", "bloc": "K1", "role": "leader"}, {"unit": "U2", "bloc": "K1", "role": "member"},
                 {"unit": "U3", "bloc": "K2", "role": "leader"}, {"unit": "U4", "bloc": "K2", "role": "member"}]
        _ok(call("PUT", f"/api/v1/years/{year}/memberships", token=token, json_body=items), 200)
    _ok(call("POST", "/api/v1/users", token=token, json_body={"username": "canbo1", "password": "mat-khau-can-bo-1",
                                                               "role": "officer", "unit": "U1"}), 201)
    criteria = [{"group": "I. Nhiệm vụ", "title": "Hoàn thành chỉ tiêu", "max_points": "10", "kind": "scored"},
                {"group": "I. Nhiệm vụ", "title": "Cải cách hành chính", "max_points": "5", "kind": "scored"},
                {"title": "Sáng kiến", "max_points": "2", "kind": "bonus"}]
    _ok(call("PUT", "/api/v1/years/2026/blocs/K1/criteria", token=token, json_body={"criteria": criteria}), 200)
    scores = _ok(call("GET", "/api/v1/years/2026/blocs/K1/scores", token=token), 200)
    card = scores["scorecards"][0]
    _ok(call("PUT", f"/api/v1/scores/{card['id']}/{scores['criteria'][0]['id']}/bloc", token=token,
             json_body={"points": "8.5", "version": 0}), 200)
    milestones = [{"title": "Ký kết giao ước thi đua", "due_on": "2026-03-31", "scope": "bloc", "evidence_type": "GU"},
                  {"title": "Báo cáo tổng kết", "starts_on": "2026-11-01", "due_on": "2026-12-15", "scope": "bloc",
                   "evidence_type": "BC-TK"}]
    _ok(call("PUT", "/api/v1/years/2026/milestones", token=token, json_body=milestones), 200)
    plan = make_text_pdf(None, "ỦY BAN NHÂN DÂN TỈNH\nSố: 12/KH-UBND\nKẾ HOẠCH\nTổ chức phong trào thi đua năm 2026\n"
                               "Các Khối ký kết giao ước thi đua trước ngày 31/3/2026.")
    _ok(server.upload(plan, "ke-hoach.pdf", token=token, fields={"type": "KH", "year": "2026", "unit": "U1"}), 201)
    report = make_text_pdf(None, "Số: 15/BC-K1\nBÁO CÁO\nSơ kết phong trào thi đua 6 tháng đầu năm 2026 của Khối 1.")
    _ok(server.upload(report, "bao-cao.pdf", token=token, fields={"type": "BC", "year": "2026", "bloc": "K1"}), 201)


def _fuzz(server: PortalProcess, tmp_path: Path, name: str, *headers: str) -> None:
    """Run schemathesis over every operation; fail with its report and the server's log on any failure."""
    args = [str(ST), "run", f"{server.url}/api/v1/openapi.json", "--url", f"{server.url}/api/v1",
            "--checks", CHECKS, "--phases", "examples,coverage,fuzzing", "--mode", "all",
            "--max-examples", str(EXAMPLES), "--seed", SEED, "--generation-database", "none",
            "--workers", "2", "--request-timeout", "60", "--suppress-health-check", "all",
            "--no-color", "--warnings", "off", "--report", "junit", "--report-dir", str(tmp_path / f"report-{name}")]
    for header in headers:
        args += ["-H", header]
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    (tmp_path / f"schemathesis-{name}.txt").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        pytest.fail(f"schemathesis ({name}) found failures:\n{done.stdout[-60000:]}\n{done.stderr[-3000:]}\n"
                    f"--- server log ---\n{server.server_log()[-10000:]}", pytrace=False)


def test_fuzz_the_api_as_the_board_and_anonymously(portal, tmp_path):
    server, token = portal
    _fuzz(server, tmp_path, "board", f"Authorization: Bearer {token}")
    _fuzz(server, tmp_path, "anonymous")
    # The server is still up and answering after everything it was sent.
    status, body = server.request("GET", "/api/v1/health")
    assert status == 200 and body["status"] == "ok", body
