"""Filing rules (DESIGN §4.1), through the running app's API and pages as each officer would try them.

Who is who in 2026 (tests/conftest.py Org): K1 is led by U2 (off2), U1 (off1) is a plain member and
led K1 in 2025; K2 is led by U5 (no account), U4 (off4) and U6 (off6) are members.
"""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from portal.auth import services as auth_services
from portal.documents.models import Document
from portal.extensions import db
from portal.schedule import services as schedule
from portal.text import now_local
from tests.test_api_documents import API, assert_error, bearer, token_for, upload
from tests.test_documents_views import PLAN, pdf

# A Board step with a document as evidence: the Board's inspection notice (TB) for each bloc.
BOARD_STEP = {"seq": 1, "title": "Ban TĐKT kiểm tra", "starts_on": "01/01/2026", "due_on": "30/06/2026",
              "scope": "board", "responsible": "board", "evidence_type": "TB"}
COUNCIL_STEP = {"seq": 2, "title": "Hội đồng xét Cờ thi đua", "starts_on": "01/01/2026", "due_on": "30/06/2026",
                "scope": "council", "responsible": "council", "evidence_type": "QĐ"}


@pytest.fixture
def tokens(app, org_data):
    return {name: token_for(app, name) for name in ("admin", "off1", "off2", "off4", "off6")}


_counter = iter(range(1, 10_000))


def a_pdf() -> bytes:
    return pdf(PLAN.replace("27/KH-UBND", f"{next(_counter)}/TB-UBND"))


def file(client, token, **fields):
    fields.setdefault("year", "2026")
    fields.setdefault("issue_date", "2026-03-10")
    return upload(client, a_pdf(), headers=bearer(token), **fields)


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Document.id)))


@pytest.mark.parametrize("user, fields, status, bloc", [
    ("off1", {"type": "BC"}, 201, "K1"),                          # its own unit: filed in its unit's bloc that year
    ("off1", {"type": "BC", "unit": "U1"}, 201, "K1"),
    ("off1", {"type": "BC", "unit": "U1", "bloc": "K1"}, 201, "K1"),
    ("off1", {"type": "TB", "bloc": "K2"}, 403, None),            # another bloc: never
    ("off1", {"type": "TB", "unit": "U1", "bloc": "K2"}, 403, None),
    ("off1", {"type": "GU", "bloc": "K1", "unit": ""}, 403, None),  # K1's own document: only its leader that year
    ("off1", {"type": "GU", "bloc": "K1", "unit": "", "year": "2025", "issue_date": "2025-03-10"}, 201, "K1"),  # it led K1 in 2025
    ("off2", {"type": "GU", "bloc": "K1", "unit": ""}, 201, "K1"),  # the leader unit files the bloc's document
    ("off2", {"type": "GU", "bloc": "K2", "unit": ""}, 403, None),
    ("off2", {"type": "BC", "unit": "U1"}, 403, None),            # leading gives no right over a member's documents
    ("off4", {"type": "BC", "unit": "U4", "bloc": "K1"}, 403, None),
    ("off6", {"type": "QĐ", "unit": ""}, 403, None),              # province-wide: the Board's
    ("admin", {"type": "QĐ", "unit": ""}, 201, None),
    ("admin", {"type": "BC", "unit": "U4"}, 201, "K2"),          # the Board files for a unit: in that unit's bloc
])
def test_upload_files_only_where_the_rules_allow(app, client, tokens, user, fields, status, bloc):
    before = count(app)
    response = file(client, tokens[user], **fields)
    if status == 201:
        assert response.status_code == 201, response.get_data(as_text=True)
        assert response.get_json()["bloc"] == bloc
    else:
        assert_error(response, status)
        assert count(app) == before  # nothing stored


def test_a_units_document_lies_in_its_units_bloc_whoever_files_it(app, client, tokens):
    error = assert_error(file(client, tokens["admin"], type="BC", unit="U4", bloc="K1"), 422)
    assert "U4" not in error["message"] and "Đài Phát thanh" in error["fields"]["bloc"]
    assert "Khối thi đua số 2" in error["fields"]["bloc"]


def test_editing_cannot_move_a_document_into_another_bloc(app, client, tokens):
    doc = file(client, tokens["off1"], type="BC").get_json()
    headers = bearer(tokens["off1"])
    for change in ({"bloc": "K2"}, {"unit": "U4"}, {"unit": None, "bloc": "K1"}):
        response = client.patch(f"{API}/documents/{doc['id']}", json={"version": doc["version"], **change}, headers=headers)
        assert_error(response, 403)
    again = client.get(f"{API}/documents/{doc['id']}", headers=headers).get_json()
    assert (again["bloc"], again["unit"], again["version"]) == ("K1", "U1", doc["version"])


def test_moving_a_document_to_another_year_follows_the_units_bloc(app, client, tokens, org_data):
    doc = file(client, tokens["admin"], type="BC", unit="U4").get_json()  # U4 is in K2 in 2026 and 2025
    assert doc["bloc"] == "K2"
    response = client.patch(f"{API}/documents/{doc['id']}", json={"version": doc["version"], "unit": "U2"},
                            headers=bearer(tokens["admin"]))
    assert response.status_code == 200 and response.get_json()["bloc"] == "K1"  # U2 is in K1 in 2026


def _status(app, seq: int, bloc: str = "K1") -> str:
    from portal.schedule import progress as prog

    with app.app_context():
        progress = prog.year_progress(2026, today=date(2026, 7, 10))
        row = next(r for r in progress.rows if r.bloc.code == bloc)
        return next(c for c in row.cells if c.milestone.seq == seq).status


def test_no_officers_document_completes_a_board_or_council_step(app, client, tokens):
    """The reported hole: a plain member's upload turned a Board step from overdue to done."""
    with app.app_context():
        schedule.replace_milestones(auth_services.SYSTEM, 2026, [BOARD_STEP, COUNCIL_STEP])
    assert _status(app, 1) == _status(app, 2) == "overdue"
    assert file(client, tokens["off1"], type="TB", bloc="K2").status_code == 403
    assert file(client, tokens["off1"], type="TB").status_code == 201          # its unit's own TB
    assert file(client, tokens["off2"], type="TB", bloc="K1", unit="").status_code == 201  # the leader's bloc TB
    assert file(client, tokens["off2"], type="QĐ", bloc="K1", unit="").status_code == 201
    assert (_status(app, 1), _status(app, 2), _status(app, 1, "K2")) == ("overdue", "overdue", "overdue")
    assert file(client, tokens["admin"], type="TB", bloc="K1", unit="").status_code == 201  # the Board's notice for K1
    assert (_status(app, 1), _status(app, 1, "K2")) == ("done_on_time", "overdue")
    assert file(client, tokens["admin"], type="QĐ", unit="").status_code == 201  # a province-wide decision
    assert (_status(app, 2), _status(app, 2, "K2")) == ("done_on_time", "done_on_time")


def test_a_leader_cannot_check_off_a_board_step(app, client, auth, org_data):
    with app.app_context():
        milestones = schedule.replace_milestones(auth_services.SYSTEM, 2026, [BOARD_STEP, COUNCIL_STEP])
        ids = [m.id for m in milestones]
    auth.login("off2")  # leads K1 in 2026
    token = auth.csrf()
    for milestone_id in ids:
        response = client.post(f"/progress/milestones/{milestone_id}/blocs/K1/check",
                               data={"csrf_token": token, "note": "Đã làm", "done_on": now_local().strftime("%d/%m/%Y")})
        assert response.status_code == 403
    assert _status(app, 1) == "overdue"
