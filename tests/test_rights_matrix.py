"""The authorisation matrix (issue "An authorisation matrix test generated from the URL map").

Every route and method of `app.url_map` (but `static`) is called by seven personas, for objects of bloc K1 in
2026 (see conftest's Org: U2 leads K1 in 2026, U1 led it in 2025 and is a plain member now, U3 is a member):

    anonymous · viewer · unrelated (off4, K2) · member (off3, U3) · leader (off2, U2) · last_leader (off1, U1) · board (admin)

The expected outcome of each route is written ONCE, in MATRIX below, as a 7-letter string in that order:

    L  needs login: 302 to /login for a page or a form, 401 for the API (and for htmx)
    D  denied: exactly 403
    N  not found: 404 (a page that hides an object)
    O  allowed: anything else below 500 (200, a redirect elsewhere, 204, 409/422 refusals of the data…)

A 5xx is always a failure. A route of the URL map missing from MATRIX fails the test, and so does an entry of
MATRIX that names no route: a new route must be added here, with what each persona may do with it.

Besides the answers' status, the test checks what pages SHOW and LINK:
- every HTML page a persona got (200) is crawled one level: no link of it (<a href>, hx-get) may lead that persona
  to a 403, and no form, button or htmx write it offers may be refused with a 403 either;
- the draft (unsubmitted) self-score note of U3 is seen by U3's officer and the Board only, on any page or API answer;
- the title of a trashed document is seen by the Board only.

Writes change the world: the matrix runs on SQLite only, and after every call that is not a GET the database file,
the archive and the index folders and the caller's cookies are put back as they were once the world was built
and every persona logged in (sessions are rows of user_session, so a restore brings them back too).
All findings are collected and reported at once as tables.
"""
from __future__ import annotations

import html as html_lib
import io
import os
import re
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.text import TZ
from tests import pdf_factory
from tests.conftest import PASSWORD, AuthActions, csrf_from, sqlite_only
from tests.test_documents_views import edit_form, new_doc, pdf_bytes
from tests.unit.test_document_services import PLAN
from tests.unit.test_schedule_services import make_schedule, plan_items
from tests.unit.test_scoring_services import CRITERIA, OFFICIAL_SHEET, _xlsx, build_table, fill

PERSONAS = ("anonymous", "viewer", "unrelated", "member", "leader", "last_leader", "board")
ACCOUNTS = {"anonymous": None, "viewer": "viewer", "unrelated": "off4", "member": "off3", "leader": "off2",
            "last_leader": "off1", "board": "admin"}

# What must not leak: U3's draft self-score note, and the title of a document in the trash.
DRAFT_MARK = "GHI-CHU-NHAP-U3"
DRAFT_NOTE = f"{DRAFT_MARK}: số liệu còn chờ Chi cục Thống kê xác nhận"
DRAFT_POINTS = ("16,37", "16.37", "23,37", "23.37")  # its points on item 2 and its draft total (7 + 16,37)
DRAFT_READERS = {"member", "board"}
TRASH_MARK = "THUNG-RAC-K1-7Q2"
TRASH_TITLE = f"Báo cáo đã hủy {TRASH_MARK}"
TRASH_READERS = {"board"}

NEW_PASSWORD = "Mat-khau-moi-2026!"
# At least this many calls (routes × variants × personas): a matrix that shrinks by accident is caught.
MIN_CALLS = 800
# RIGHTS_MATRIX_VERBOSE=1 (with -s) prints every route's actual outcomes and statuses.
VERBOSE = bool(os.environ.get("RIGHTS_MATRIX_VERBOSE"))


# --- the table ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One way to call a route, with the outcome expected for each persona (PERSONAS order).

    `values` fill the rule's `<…>` parts (a literal, or a callable(world, persona)); unnamed parts take DEFAULTS.
    `body` is a callable(world, persona) -> (kind, data) with kind form | json | multipart | none.
    """

    expect: str
    values: dict = field(default_factory=dict)
    body: Callable[[dict, str], tuple[str, Any]] | None = None
    query: str | Callable[[dict, str], str] = ""  # a string, or made from the world and the persona
    label: str = ""
    login_redirect_ok: bool = False  # logout's job is to send everybody to the login page
    htmx: str | None = None  # send as htmx with this HX-Target (a partial answer; without login: 401)


@dataclass(frozen=True)
class File:
    data: bytes
    name: str
    content_type: str = "application/octet-stream"


def form(**data):
    return lambda w, p: ("form", data)


def json_body(data):
    return lambda w, p: ("json", data(w, p) if callable(data) else data)


ANY = "LOOOOOO"        # any logged-in account
PUBLIC = "OOOOOOO"     # no login needed
BOARD = "LDDDDDO"      # the Board only
LEADER = "LDDDODO"     # the leader unit's officers that year, and the Board
OWN_UNIT = "LDDODDO"   # U3's own officers (the member persona), and the Board
OFFICERS = "LDOOOOO"   # every officer, and the Board (not viewers)
CARD_READERS = "LDDOODO"  # U3's card: its own unit, the bloc's leader (bloc stages), the Board

U3_DOC = {"document_id": lambda w, p: w["doc_u3"]}
K1_DOC = {"document_id": lambda w, p: w["doc_k1"]}
PROVINCE_DOC = {"document_id": lambda w, p: w["doc_plan"]}
K1_2025_DOC = {"document_id": lambda w, p: w["doc_k1_2025"]}
LAST_YEAR = "LDDDDOO"  # K1's objects of 2025: U1 (the last_leader persona) led K1 then; U2 was only the deputy
TRASHED = {"document_id": lambda w, p: w["doc_trash"]}
OWN_VIEW = {"view_id": lambda w, p: w["views"][p]}        # the persona's own private view
SHARED_VIEW = {"view_id": lambda w, p: w["view_shared"]}  # off2's (the leader's) view shared with everyone
OTHERS_VIEW = {"view_id": lambda w, p: w["view_u6"]}      # off6's private view: 404 to everyone, the Board included


def _doc_edit(key):
    return lambda w, p: ("form", {**w["edit_forms"][key], "title": "Trích yếu đã sửa qua ma trận quyền"})


def _doc_patch(key):
    return lambda w, p: ("json", {"version": w["doc_versions"][key], "title": "Trích yếu đã sửa qua API"})


def _criteria_version(extra=None):
    return lambda w, p: ("form", {"version": str(w["table_version"]), **(extra or {})})


def _own_username(w, p):
    return ACCOUNTS[p] or "admin"


def _self_cell(points):
    return lambda w, p: ("form", {f"p-{w['card_u3']}-{w['crit'][0]}": points, f"v-{w['card_u3']}-{w['crit'][0]}": "1"})


def _score_file(key):
    """The import form/API body of helper C's score templates: a Board-made template with one changed cell."""
    stage = key.rsplit("_", 1)[1]
    return lambda w, p: ("multipart", {"stage": stage, "file": File(w[key], "mau.xlsx")})


def _membership_form(w, p):
    data = {}
    for unit, bloc, role in w["memberships"]:
        data[f"bloc-{unit}"] = bloc
        data[f"role-{unit}"] = role
    return ("form", data)


def _schedule_form(w, p):
    data = {"action": "save", "stamp": w["schedule_stamp"]}
    for i, row in enumerate(w["schedule_rows"]):
        for name, value in row.items():
            data[f"{name}-{i}"] = value
    return ("form", data)


MATRIX: dict[tuple[str, str], Case | list[Case]] = {
    # --- login, logout, language, the own account --------------------------------------------------
    ("/login", "GET"): Case(PUBLIC),
    ("/login", "POST"): Case(PUBLIC, body=form(username="viewer", password=PASSWORD)),
    ("/logout", "POST"): Case(PUBLIC, login_redirect_ok=True),
    ("/lang/<code>", "POST"): Case(PUBLIC, values={"code": "vi"}, body=form(next="/")),
    ("/account", "GET"): Case(ANY),
    ("/account/password", "POST"): Case(ANY, body=form(current=PASSWORD, password=NEW_PASSWORD, confirm=NEW_PASSWORD)),
    ("/account/tokens", "POST"): Case(ANY, body=form(name="Ma trận quyền")),
    ("/account/tokens/<int:token_id>/revoke", "POST"): [
        Case(ANY, label="own token"),
        Case("LNNNNNN", {"token_id": lambda w, p: w["tokens"]["off6"]}, label="another's token")],
    # --- the Board's account pages ----------------------------------------------------------------
    ("/users", "GET"): Case(BOARD),
    ("/users", "POST"): Case(BOARD, body=form(username="off9", full_name="Cán bộ 9", role="officer", unit="U6",
                                              password=NEW_PASSWORD)),
    ("/users/<username>", "GET"): Case(BOARD),
    ("/users/<username>", "POST"): Case(BOARD, body=form(full_name="Cán bộ Sáu", role="officer", unit="U6", active="y")),
    ("/users/<username>/password", "POST"): Case(BOARD, body=form(password=NEW_PASSWORD)),
    ("/users/<username>/tokens/<int:token_id>/revoke", "POST"): Case(BOARD, values={"token_id": lambda w, p: w["tokens"]["off6"]}),
    # --- the audit trail --------------------------------------------------------------------------
    ("/audit", "GET"): Case(BOARD),
    ("/audit/export.xlsx", "GET"): Case(BOARD),
    ("/org/audit", "GET"): Case(BOARD),
    # --- org ----------------------------------------------------------------------------------------
    ("/org/units", "GET"): Case(ANY),
    ("/org/units/new", "GET"): Case(BOARD),
    ("/org/units/new", "POST"): Case(BOARD, body=form(code="U9", name="Sở Xây dựng", short_name="SXD", kind="so_nganh", active="y")),
    ("/org/units/<code>/edit", "GET"): Case(BOARD, values={"code": "U3"}),
    ("/org/units/<code>/edit", "POST"): Case(BOARD, values={"code": "U3"}, body=lambda w, p: ("form", {
        "code": "U3", "name": "Ủy ban nhân dân huyện Bản Mường (sửa)", "short_name": "Đơn vị 3", "kind": "so_nganh",
        "active": "y", "version": str(w["unit_u3_version"])})),
    ("/org/blocs", "GET"): Case(ANY),
    ("/org/blocs/new", "GET"): Case(BOARD),
    ("/org/blocs/new", "POST"): Case(BOARD, body=form(code="K9", name="Khối thi đua số 9", active="y")),
    ("/org/blocs/<code>/edit", "GET"): Case(BOARD, values={"code": "K1"}),
    ("/org/blocs/<code>/edit", "POST"): Case(BOARD, values={"code": "K1"}, body=lambda w, p: ("form", {
        "code": "K1", "name": "Khối thi đua số 1 (sửa)", "active": "y", "version": str(w["bloc_k1_version"])})),
    ("/org/memberships", "GET"): Case(ANY),
    ("/org/years/<int:year>/memberships", "GET"): Case(ANY),
    ("/org/years/<int:year>/memberships", "POST"): Case(BOARD, body=_membership_form),
    ("/org/years/<int:year>/memberships/check", "POST"): Case(BOARD, body=_membership_form),
    ("/org/years/<int:year>/memberships/copy", "POST"): Case(BOARD),
    # --- documents (pages) ------------------------------------------------------------------------
    ("/documents", "GET"): Case(ANY),
    ("/documents/upload", "GET"): Case(OFFICERS),
    ("/documents/upload", "POST"): Case(OFFICERS, body=lambda w, p: ("multipart", {
        "year": "2026", "files": File(w["upload_pdf"], "bao-cao-ma-tran.pdf", "application/pdf")})),
    ("/documents/trash", "GET"): Case(BOARD),
    ("/documents/<int:document_id>", "GET"): [Case(ANY, U3_DOC, label="U3"), Case(ANY, K1_DOC, label="K1"),
                                              Case("LNNNNNN", TRASHED, label="trashed")],
    ("/documents/<int:document_id>/status", "GET"): Case(ANY, U3_DOC),
    ("/documents/<int:document_id>/file", "GET"): Case(ANY, U3_DOC),
    ("/documents/<int:document_id>/edit", "GET"): [Case(OWN_UNIT, U3_DOC, label="U3"), Case(LEADER, K1_DOC, label="K1"),
                                                   Case(BOARD, PROVINCE_DOC, label="province"),
                                                   Case(LAST_YEAR, K1_2025_DOC, label="K1 2025")],
    ("/documents/<int:document_id>/edit", "POST"): [Case(OWN_UNIT, U3_DOC, _doc_edit("u3"), label="U3"),
                                                    Case(LEADER, K1_DOC, _doc_edit("k1"), label="K1"),
                                                    Case(BOARD, PROVINCE_DOC, _doc_edit("plan"), label="province"),
                                                    Case(LAST_YEAR, K1_2025_DOC, _doc_edit("k1_2025"), label="K1 2025")],
    ("/documents/<int:document_id>/delete", "POST"): [Case(OWN_UNIT, U3_DOC, label="U3"), Case(LEADER, K1_DOC, label="K1")],
    ("/documents/bulk", "POST"): [
        Case(OWN_UNIT, body=lambda w, p: ("form", {"ids": str(w["doc_u3"]), "set_issuer": "UBND huyện Bản Mường",
                                                   "action": "set"}), label="U3 set"),
        Case(LEADER, body=lambda w, p: ("form", {"ids": str(w["doc_k1"]), "set_type": "GU", "action": "set"}), label="K1 set"),
        Case(OWN_UNIT, body=lambda w, p: ("form", {"ids": str(w["doc_u3"]), "action": "delete"}), label="U3 delete"),
        Case(LEADER, body=lambda w, p: ("form", {"ids": str(w["doc_k1"]), "action": "delete"}), label="K1 delete")],
    ("/documents/<int:document_id>/ocr", "POST"): Case(OWN_UNIT, U3_DOC),
    ("/documents/<int:document_id>/restore", "POST"): Case(BOARD, TRASHED),
    ("/documents/inbox", "GET"): Case(ANY),
    ("/documents/inbox/<int:document_id>", "POST"): [Case(OWN_UNIT, U3_DOC, _doc_edit("u3"), label="U3"),
                                                      Case(LEADER, K1_DOC, _doc_edit("k1"), label="K1")],
    ("/documents/<int:document_id>/notes", "POST"): Case(OFFICERS, U3_DOC, form(text="Ghi chú qua ma trận quyền")),
    ("/documents/<int:document_id>/notes/<int:note_id>/delete", "POST"): Case(
        OWN_UNIT, {**U3_DOC, "note_id": lambda w, p: w["note_u3"]}),
    ("/documents/<int:document_id>/purge", "POST"): Case(BOARD, TRASHED, form(confirm="1")),
    ("/documents/views", "GET"): Case(ANY),
    ("/documents/views", "POST"): Case(ANY, body=form(name="Bộ lọc qua ma trận quyền", year="2026", bloc="K1", sort="title")),
    ("/documents/views/<int:view_id>", "POST"): [
        Case(ANY, OWN_VIEW, form(name="Đổi tên qua ma trận quyền"), label="own"),
        Case("LDDDODO", SHARED_VIEW, form(name="Đổi tên qua ma trận quyền"), label="shared, rename"),
        Case(ANY, SHARED_VIEW, form(pinned="1"), label="shared, pin"),
        Case("LNNNNNN", OTHERS_VIEW, form(pinned="1"), label="another's private")],
    ("/documents/views/<int:view_id>/delete", "POST"): [
        Case(ANY, OWN_VIEW, label="own"), Case("LDDDODO", SHARED_VIEW, label="shared"),
        Case("LNNNNNN", OTHERS_VIEW, label="another's private")],
    # --- search -----------------------------------------------------------------------------------
    ("/search", "GET"): [Case(ANY, query="q=đã+hủy", label="words"),  # words of the trashed title (the marker itself would be echoed)
                         Case(ANY, query=lambda w, p: f"like={w['doc_k1']}", label="like"),
                         Case("LNNNNNN", query=lambda w, p: f"like={w['doc_trash']}", label="like trashed")],
    # --- dashboard ----------------------------------------------------------------------------------
    ("/", "GET"): Case(ANY),
    ("/progress/<int:year>", "GET"): Case(ANY),
    ("/progress/<int:year>/blocs/<code>", "GET"): [
        Case(ANY, values={"code": "K1"}), Case(ANY, values={"code": "K1"}, htmx="drill-K1", label="htmx")],
    ("/progress/<int:year>/export.xlsx", "GET"): Case(ANY),
    ("/progress/<int:year>/print", "GET"): Case(ANY),
    ("/progress/milestones/<int:milestone_id>/blocs/<code>", "GET"): [
        Case(ANY, values={"code": "K1"}), Case(ANY, values={"code": "K1"}, htmx="cell-panel", label="htmx")],
    ("/progress/milestones/<int:milestone_id>/blocs/<code>/check", "POST"): [
        Case(LEADER, {"code": "K1", "milestone_id": lambda w, p: w["milestone_open"]},
             form(note="Đã nhận bản giấy", done_on="28/06/2026"), label="bloc step 2026"),
        Case(BOARD, {"code": "K1", "milestone_id": lambda w, p: w["milestone_council"]},
             form(note="Hội đồng đã họp", done_on="20/11/2026"), label="council step 2026"),
        Case(LAST_YEAR, {"code": "K1", "milestone_id": lambda w, p: w["milestone_2025"]},
             form(note="Bổ sung hồ sơ 2025", done_on="28/06/2025"), label="bloc step 2025")],
    ("/progress/checks/<int:check_id>/undo", "POST"): Case(LEADER),
    # --- schedule -----------------------------------------------------------------------------------
    ("/schedule", "GET"): Case(ANY),
    ("/schedule/<int:year>", "GET"): Case(ANY),
    ("/schedule/<int:year>/edit", "GET"): Case(BOARD),
    ("/schedule/<int:year>/edit", "POST"): Case(BOARD, body=_schedule_form),
    ("/schedule/<int:year>/copy", "POST"): Case(BOARD, body=form(from_year="2025", replace="1")),
    ("/schedule/<int:year>/propose", "GET"): Case(BOARD),
    ("/schedule/<int:year>/propose", "POST"): Case(BOARD, body=lambda w, p: ("form", {"document": str(w["doc_plan"])})),
    # --- scoring: overview, criteria ----------------------------------------------------------------
    ("/scoring/", "GET"): Case(ANY),
    ("/scoring/<int:year>", "GET"): Case(ANY),
    ("/scoring/<int:year>/thresholds", "POST"): Case(BOARD, body=form(excellent="95", good="85", completed="70", version="")),
    ("/scoring/<int:year>/<bloc_code>/criteria", "GET"): Case(ANY),
    ("/scoring/<int:year>/<bloc_code>/criteria/copy", "POST"): Case(
        LEADER, body=_criteria_version({"source_bloc": "K1", "source_year": "2025", "replace": "1"})),
    ("/scoring/<int:year>/<bloc_code>/criteria/import", "POST"): Case(LEADER, body=lambda w, p: ("multipart", {
        "version": str(w["table_version"]), "replace": "1", "file": File(w["criteria_xlsx"], "bang-diem.xlsx")})),
    ("/scoring/<int:year>/<bloc_code>/criteria/items", "POST"): Case(LEADER, body=_criteria_version({
        "group": "I. Thực hiện nhiệm vụ chính trị", "title": "Giảm nghèo bền vững", "max_points": "5", "kind": "scored"})),
    # GET of one row: "cancel an edit" — the table as everybody reads it
    ("/scoring/<int:year>/<bloc_code>/criteria/items/<int:criterion_id>", "GET"): Case(ANY),
    ("/scoring/<int:year>/<bloc_code>/criteria/items/<int:criterion_id>", "POST"): Case(
        LEADER, body=_criteria_version({**CRITERIA[0], "title": "Hoàn thành chỉ tiêu được giao (sửa)"})),
    ("/scoring/<int:year>/<bloc_code>/criteria/items/<int:criterion_id>/edit", "GET"): [
        Case(LEADER, label="2026"),
        Case(LAST_YEAR, {"year": 2025, "criterion_id": lambda w, p: w["crit_2025"][0]}, label="2025")],
    ("/scoring/<int:year>/<bloc_code>/criteria/items/<int:criterion_id>/<op>", "POST"): Case(
        LEADER, values={"op": "down"}, body=_criteria_version()),
    ("/scoring/<int:year>/<bloc_code>/criteria/lock", "POST"): Case(LEADER, body=_criteria_version()),
    ("/scoring/<int:year>/<bloc_code>/criteria/unlock", "POST"): Case(BOARD, body=_criteria_version({"reason": "Sửa bảng"})),
    # --- scoring: the sheet, the scorecards, cells --------------------------------------------------
    ("/scoring/<int:year>/<bloc_code>/sheet", "GET"): [Case(LEADER, label="bloc"),
                                                       Case(BOARD, query="stage=appraisal", label="appraisal")],
    ("/scoring/<int:year>/<bloc_code>/sheet", "POST"): Case(LEADER, body=lambda w, p: ("form", {
        f"p-{w['card_u3']}-{w['crit'][0]}": "8", f"v-{w['card_u3']}-{w['crit'][0]}": "1"})),
    ("/scoring/<int:year>/<bloc_code>/sheet.xlsx", "GET"): Case(LEADER),
    ("/scoring/<int:year>/<bloc_code>/self", "GET"): Case("LDDOOOD"),  # one's own unit's card; the Board has none
    ("/scoring/cards/<int:scorecard_id>", "GET"): Case(CARD_READERS),
    ("/scoring/cards/<int:scorecard_id>", "POST"): Case(OWN_UNIT, body=_self_cell("8")),
    ("/scoring/cards/<int:scorecard_id>/submit", "POST"): Case(OWN_UNIT),
    ("/scoring/cards/<int:scorecard_id>/return", "POST"): Case(BOARD, body=form(reason="Bổ sung minh chứng")),
    ("/scoring/cards/<int:scorecard_id>/appraisal-copy", "POST"): Case(BOARD),
    ("/scoring/cards/<int:scorecard_id>/history", "GET"): Case(CARD_READERS),
    ("/scoring/cells/<int:scorecard_id>/<int:criterion_id>/<stage>", "GET"): [
        Case(OWN_UNIT, {"stage": "self"}, label="self (draft)"), Case(CARD_READERS, {"stage": "bloc"}, label="bloc"),
        Case(OWN_UNIT, {"stage": "self"}, label="self (draft), htmx", htmx="cell-self")],
    ("/scoring/cells/<int:scorecard_id>/<int:criterion_id>/<stage>", "POST"): [
        Case(OWN_UNIT, {"stage": "self"}, _self_cell("8"), label="self"),
        Case(LEADER, {"stage": "bloc"}, lambda w, p: ("form", {"points": "8", "version": "1"}), label="bloc"),
        Case(BOARD, {"stage": "appraisal"}, lambda w, p: ("form", {"points": "8", "version": "0"}), label="appraisal")],
    # --- scoring: results (a draft: the leader and the Board), exports --------------------------------
    ("/scoring/<int:year>/<bloc_code>/results", "GET"): Case(LEADER),
    ("/scoring/<int:year>/<bloc_code>/results.xlsx", "GET"): Case(LEADER),
    ("/scoring/<int:year>/<bloc_code>/record", "GET"): Case(LEADER),
    ("/scoring/<int:year>/<bloc_code>/record.pdf", "GET"): Case(LEADER),
    ("/scoring/<int:year>/<bloc_code>/results/<action>", "POST"): [
        Case(LEADER, {"action": "submit"}, label="submit"), Case(BOARD, {"action": "appraise"}, label="appraise"),
        Case(BOARD, {"action": "reopen"}, form(reason="Chấm lại"), label="reopen")],
    ("/scoring/<int:year>/<bloc_code>/results/flags", "POST"): Case(BOARD, body=lambda w, p: ("form", {"chosen": str(w["card_u3"])})),
    ("/scoring/<int:year>/<bloc_code>/results/gov-flag/<int:scorecard_id>", "POST"): Case(BOARD, body=form(marked="1")),
    # Word drafts: the same right as record.pdf and the results (a draft is the leader's and the Board's).
    ("/scoring/<int:year>/<bloc_code>/record.docx", "GET"): Case(LEADER),
    ("/scoring/<int:year>/<bloc_code>/report.docx", "GET"): Case(LEADER),
    # --- scoring: scores from Excel --------------------------------------------------------------------
    # bloc stage: the leader's and the Board's. self stage: each K1 officer gets its own unit's column (the unrelated
    # K2 officer scores no unit: 403); importing the Board's template with a change in U3's column is U3's officer's
    # or the Board's right, and a refusal of that column (422) for the other K1 officers: an "O".
    ("/scoring/<int:year>/<bloc_code>/scores/template.xlsx", "GET"): [
        Case(LEADER, query="stage=bloc", label="bloc"), Case("LDDOOOO", query="stage=self", label="self")],
    ("/scoring/<int:year>/<bloc_code>/scores/import", "POST"): [
        Case(LEADER, body=_score_file("score_template_bloc"), label="bloc"),
        Case("LDDOOOO", body=_score_file("score_template_self"), label="self")],
    # --- scoring: the bloc meeting and next year's leadership ---------------------------------------------
    # Read by everyone logged in; details and proposal: the year's leader unit's officers, Board; confirm: Board
    # (there is no proposal in the world, so the Board's confirm answers 422: an "O").
    ("/scoring/<int:year>/<bloc_code>/meeting", "GET"): Case(ANY),
    ("/scoring/<int:year>/<bloc_code>/meeting", "POST"): Case(LEADER, body=form(
        version="0", held_on="20/11/2026", held_time="08:30", place="Hội trường Sở Tài chính", chair="Nguyễn Văn A, Giám đốc",
        secretary="Trần Thị B", present="U3", content="Bình xét thi đua năm 2026")),
    ("/scoring/<int:year>/<bloc_code>/meeting/leadership", "POST"): Case(LEADER, body=form(version="0", leader="U3", deputy="U1", note="")),
    ("/scoring/<int:year>/<bloc_code>/meeting/confirm", "POST"): Case(BOARD, body=form(version="")),
    ("/scoring/<int:year>/leadership", "GET"): Case(ANY),
    ("/scoring/<int:year>/leadership/confirm", "POST"): Case(BOARD),
    # --- the JSON API ---------------------------------------------------------------------------------
    ("/api/v1/health", "GET"): Case(PUBLIC),
    ("/api/v1/openapi.json", "GET"): Case(PUBLIC),
    ("/api/v1/me", "GET"): Case(ANY),
    ("/api/v1/users", "GET"): Case(BOARD),
    ("/api/v1/users", "POST"): Case(BOARD, body=json_body({"username": "off9", "password": NEW_PASSWORD, "role": "viewer",
                                                           "full_name": "Người xem 9"})),
    ("/api/v1/users/<username>", "PATCH"): Case(BOARD, body=json_body({"full_name": "Cán bộ Sáu"})),
    ("/api/v1/users/<username>/password", "POST"): [
        Case(ANY, {"username": _own_username}, json_body({"current": PASSWORD, "password": NEW_PASSWORD}), label="own"),
        Case(BOARD, {"username": "off6"}, json_body({"password": NEW_PASSWORD}), label="another's")],
    ("/api/v1/audit", "GET"): Case(BOARD),
    ("/api/v1/units", "GET"): Case(ANY),
    ("/api/v1/units", "POST"): Case(BOARD, body=json_body({"code": "U9", "name": "Sở Xây dựng", "short_name": "SXD",
                                                           "kind": "so_nganh"})),
    ("/api/v1/units/<code>", "GET"): Case(ANY, values={"code": "U3"}),
    ("/api/v1/blocs", "GET"): Case(ANY),
    ("/api/v1/blocs", "POST"): Case(BOARD, body=json_body({"code": "K9", "name": "Khối thi đua số 9"})),
    ("/api/v1/blocs/<code>", "GET"): Case(ANY, values={"code": "K1"}),
    ("/api/v1/years/<year>/memberships", "GET"): Case(ANY),
    ("/api/v1/years/<year>/memberships", "PUT"): Case(BOARD, body=json_body(lambda w, p: {"items": [
        {"unit": u, "bloc": b, "role": r} for u, b, r in w["memberships"]]})),
    ("/api/v1/documents", "GET"): Case(ANY),
    ("/api/v1/documents/export.xlsx", "GET"): Case(ANY),
    ("/api/v1/documents/bulk", "POST"): [
        Case(OWN_UNIT, body=json_body(lambda w, p: {"ids": [w["doc_u3"]], "set": {"issuer": "UBND huyện Bản Mường"}}), label="U3 set"),
        Case(LEADER, body=json_body(lambda w, p: {"ids": [w["doc_k1"]], "set": {"type": "GU", "year": 2026}}), label="K1 set"),
        Case(OWN_UNIT, body=json_body(lambda w, p: {"ids": [w["doc_u3"]], "action": "delete"}), label="U3 delete"),
        Case("LDDDDDO", body=json_body(lambda w, p: {"ids": [w["doc_u3"], w["doc_k1"]], "action": "delete"}),
             label="U3+K1: nobody but the Board may change both")],
    ("/api/v1/documents", "POST"): Case(OFFICERS, body=lambda w, p: ("multipart", {
        "year": "2026", "file": File(w["upload_pdf"], "bao-cao-api.pdf", "application/pdf")})),
    ("/api/v1/documents/<int:document_id>", "GET"): [Case(ANY, U3_DOC, label="U3"), Case("LNNNNNN", TRASHED, label="trashed")],
    ("/api/v1/documents/<int:document_id>", "PATCH"): [Case(OWN_UNIT, U3_DOC, _doc_patch("u3"), label="U3"),
                                                       Case(LEADER, K1_DOC, _doc_patch("k1"), label="K1")],
    ("/api/v1/documents/<int:document_id>", "DELETE"): [Case(OWN_UNIT, U3_DOC, label="U3"), Case(LEADER, K1_DOC, label="K1")],
    ("/api/v1/documents/<int:document_id>/file", "GET"): Case(ANY, U3_DOC),
    ("/api/v1/documents/<int:document_id>/thumbnail", "GET"): [Case(ANY, U3_DOC, label="U3"),
                                                               Case("LNNNNNN", TRASHED, label="trashed")],
    ("/api/v1/documents/<int:document_id>/restore", "POST"): Case(BOARD, TRASHED),
    ("/api/v1/documents/<int:document_id>/notes", "POST"): Case(OFFICERS, U3_DOC, json_body({"text": "Ghi chú qua API"})),
    ("/api/v1/documents/<int:document_id>/notes/<int:note_id>", "DELETE"): Case(
        OWN_UNIT, {**U3_DOC, "note_id": lambda w, p: w["note_u3"]}),
    ("/api/v1/saved-views", "GET"): Case(ANY),
    ("/api/v1/saved-views", "POST"): Case(ANY, body=json_body({"name": "Bộ lọc qua API", "filters": {"year": 2026, "bloc": "K1"},
                                                               "sort": "title"})),
    ("/api/v1/saved-views/<int:view_id>", "PATCH"): [
        Case(ANY, OWN_VIEW, json_body({"name": "Đổi tên qua API"}), label="own"),
        Case("LDDDODO", SHARED_VIEW, json_body({"name": "Đổi tên qua API"}), label="shared, rename"),
        Case(ANY, SHARED_VIEW, json_body({"pinned": True}), label="shared, pin"),
        Case("LNNNNNN", OTHERS_VIEW, json_body({"pinned": True}), label="another's private")],
    ("/api/v1/saved-views/<int:view_id>", "DELETE"): [
        Case(ANY, OWN_VIEW, label="own"), Case("LDDDODO", SHARED_VIEW, label="shared"),
        Case("LNNNNNN", OTHERS_VIEW, label="another's private")],
    ("/api/v1/search", "GET"): [Case(ANY, query="q=đã+hủy", label="words"),
                                Case(ANY, query=lambda w, p: f"like={w['doc_k1']}", label="like")],
    ("/api/v1/years/<year>/milestones", "GET"): Case(ANY),
    ("/api/v1/years/<year>/milestones", "PUT"): Case(BOARD, body=json_body(lambda w, p: {"items": plan_items(2026)})),
    ("/api/v1/years/<year>/milestones/copy", "POST"): Case(BOARD, body=json_body({"from_year": 2025, "replace": True})),
    ("/api/v1/years/<year>/milestones/propose", "POST"): Case(BOARD, body=json_body(lambda w, p: {"document": w["doc_plan"]})),
    ("/api/v1/years/<year>/progress", "GET"): Case(ANY),
    ("/api/v1/years/<year>/blocs/<bloc>/criteria", "GET"): Case(ANY),
    ("/api/v1/years/<year>/blocs/<bloc>/criteria", "PUT"): Case(LEADER, body=json_body(lambda w, p: {
        "criteria": CRITERIA, "version": w["table_version"]})),
    ("/api/v1/years/<year>/blocs/<bloc>/scores", "GET"): Case(ANY),
    ("/api/v1/years/<year>/blocs/<bloc>/scores/template.xlsx", "GET"): [
        Case(LEADER, query="stage=bloc", label="bloc"), Case("LDDOOOO", query="stage=self", label="self")],
    ("/api/v1/years/<year>/blocs/<bloc>/scores/import", "POST"): [
        Case(LEADER, body=_score_file("score_template_bloc"), label="bloc"),
        Case("LDDOOOO", body=_score_file("score_template_self"), label="self")],
    ("/api/v1/scores/<int:scorecard>/<int:criterion>/<stage>", "PUT"): [
        Case(OWN_UNIT, {"stage": "self"}, json_body({"points": "8", "version": 1}), label="self"),
        Case(LEADER, {"stage": "bloc"}, json_body({"points": "8", "version": 1}), label="bloc"),
        Case(BOARD, {"stage": "appraisal"}, json_body({"points": "8", "version": 0}), label="appraisal")],
    ("/api/v1/years/<year>/blocs/<bloc>/results", "GET"): Case(LEADER),
    ("/api/v1/years/<year>/blocs/<bloc>/results/submit", "POST"): Case(LEADER, body=json_body({})),
    ("/api/v1/years/<year>/blocs/<bloc>/results/appraise", "POST"): Case(BOARD, body=json_body({})),
    ("/api/v1/years/<year>/blocs/<bloc>/results/finalize", "POST"): Case(BOARD, body=json_body({})),
    ("/api/v1/years/<year>/blocs/<bloc>/results/reopen", "POST"): Case(BOARD, body=json_body({"reason": "Chấm lại"})),
    ("/api/v1/years/<year>/blocs/<bloc>/record.docx", "GET"): Case(LEADER),
    ("/api/v1/years/<year>/blocs/<bloc>/report.docx", "GET"): Case(LEADER),
    ("/api/v1/years/<year>/blocs/<bloc>/leadership", "GET"): Case(ANY),
    ("/api/v1/years/<year>/blocs/<bloc>/leadership", "PUT"): Case(LEADER, body=json_body(
        {"leader": "U3", "deputy": "U1", "note": "Luân phiên", "version": 0})),
    ("/api/v1/years/<year>/blocs/<bloc>/leadership/confirm", "POST"): Case(BOARD, body=json_body({})),
    ("/api/v1/years/<year>/blocs/<bloc>/meeting", "GET"): Case(ANY),
    ("/api/v1/years/<year>/blocs/<bloc>/meeting", "PUT"): Case(LEADER, body=json_body(
        {"held_at": "2026-11-20T08:30", "place": "Hội trường", "chair": "Nguyễn Văn A", "secretary": "Trần Thị B",
         "present_units": ["U3"], "content": "Bình xét", "version": 0})),
}

# URL parts every rule shares (a rule may override them in its Case's values).
DEFAULTS: dict[str, Callable[[dict, str], Any]] = {
    "year": lambda w, p: 2026,
    "bloc": lambda w, p: "K1",
    "bloc_code": lambda w, p: "K1",
    "document_id": lambda w, p: w["doc_u3"],
    "scorecard_id": lambda w, p: w["card_u3"],
    "scorecard": lambda w, p: w["card_u3"],
    "criterion_id": lambda w, p: w["crit"][0],
    "criterion": lambda w, p: w["crit"][0],
    "milestone_id": lambda w, p: w["milestone_checked"],
    "check_id": lambda w, p: w["check"],
    "username": lambda w, p: "off6",
    "token_id": lambda w, p: w["tokens"][ACCOUNTS[p] or "admin"],  # the persona's own token
}

# How a CSRF refusal reads (web.py / errors.py / api/views.py): the page's own text, the API's error code.
CSRF_REFUSALS = ("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ", '"csrf_failed"')

RULE_PART = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def matrix_cases() -> list[tuple[str, str, Case]]:
    out = []
    for (rule, method), cases in MATRIX.items():
        for case in cases if isinstance(cases, list) else [cases]:
            out.append((rule, method, case))
    return out


def url_map_routes(app) -> set[tuple[str, str]]:
    return {(r.rule, m) for r in app.url_map.iter_rules() if r.endpoint != "static"
            for m in r.methods - {"HEAD", "OPTIONS"}}


def coverage_problems(app) -> list[str]:
    routes, table = url_map_routes(app), set(MATRIX)
    problems = [f"route without a MATRIX entry: {m} {r}" for r, m in sorted(routes - table)]
    problems += [f"MATRIX entry without a route: {m} {r}" for r, m in sorted(table - routes)]
    for rule, method, case in matrix_cases():
        if len(case.expect) != len(PERSONAS) or set(case.expect) - set("LDNO"):
            problems.append(f"bad expectation {case.expect!r} for {method} {rule}")
    return problems


# --- the world ---------------------------------------------------------------------------------------

@pytest.fixture
def pinned_today(monkeypatch):
    """25/11/2026: the year of the matrix is this year (the dashboard and the scoring overview show it)."""
    monkeypatch.setattr("portal.text.dates.now_local", lambda: datetime(2026, 11, 25, 9, 0, tzinfo=TZ))


def build_world(app) -> dict:
    """K1/2026 objects for every route: documents, a trashed one, a schedule with a check-off, criteria, scorecards, tokens."""
    from portal.auth import services as accounts
    from portal.auth.models import ApiToken
    from portal.documents import notes as document_notes
    from portal.documents import services as docs
    from portal.documents.models import Document
    from portal.org import services as org
    from portal.schedule import progress as prog
    from portal.schedule import services as schedule
    from portal.scoring import score_workbooks
    from portal.scoring import services as scoring
    from portal.search import services as search

    w: dict[str, Any] = {}
    with app.app_context():
        accounts.create_user(None, username="off3", password=PASSWORD, role="officer", unit_code="U3", full_name="Cán bộ 3")
    w["doc_u3"] = new_doc(app, unit="U3", bloc="K1", year=2026, type="BC", report_kind="tong_ket", number="15/BC-UBND",
                          title="Báo cáo tổng kết năm 2026 của huyện Bản Mường", data=pdf_bytes("u3-2026"))
    w["doc_k1"] = new_doc(app, bloc="K1", year=2026, type="GU", number="01/GU-K1", title="Giao ước thi đua Khối 1 năm 2026",
                          data=pdf_bytes("k1-2026"))
    w["doc_plan"] = new_doc(app, year=2026, type="KH", number="27/KH-UBND", text=PLAN,
                            title="Kế hoạch hoạt động của các Khối thi đua năm 2026", data=pdf_bytes("plan-2026"))
    w["doc_trash"] = new_doc(app, unit="U3", bloc="K1", year=2026, type="BC", title=TRASH_TITLE, text=f"Nội dung {TRASH_MARK}",
                             data=pdf_bytes("trash-2026"))
    w["doc_k1_2025"] = new_doc(app, bloc="K1", year=2025, type="GU", number="01/GU-K1",
                               title="Giao ước thi đua Khối 1 năm 2025", data=pdf_bytes("k1-2025"))
    w["edit_forms"] = {key: edit_form(app, w[f"doc_{key}"]) for key in ("u3", "k1", "plan", "k1_2025")}
    with app.app_context():
        admin, off2, off3 = (accounts.get_user(n) for n in ("admin", "off2", "off3"))
        w["doc_versions"] = {key: db.session.get(Document, w[f"doc_{key}"]).version for key in ("u3", "k1", "plan", "k1_2025")}
        # Indexed while alive, then trashed: a search must not find it any more.
        search.rebuild_index()
        docs.delete(admin, db.session.get(Document, w["doc_trash"]))
        w["note_u3"] = document_notes.add_note(off3, db.session.get(Document, w["doc_u3"]), "Ghi chú của U3 trong ma trận quyền").id

        w["tokens"] = {}
        for name in ("viewer", "off1", "off2", "off3", "off4", "off6", "admin"):
            user = accounts.get_user(name)
            raw = accounts.create_token(user, user, "Mã của ma trận")
            w["tokens"][name] = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.token_hash == ApiToken.hash(raw)))

        from portal.documents import saved_views

        # Saved views: one private view per persona, the leader's view shared with everyone (and pinned by it),
        # and off6's private view nobody else may reach.
        w["views"] = {persona: saved_views.create_view(accounts.get_user(name), name="Bộ lọc riêng của ma trận",
                                                       filters={"year": 2026}).id
                      for persona, name in ACCOUNTS.items() if name}
        w["views"]["anonymous"] = w["views"]["viewer"]
        w["view_shared"] = saved_views.create_view(off2, name="Văn bản Khối 1 năm 2026", filters={"bloc": "K1", "year": 2026},
                                                   shared=True, pinned=True).id
        w["view_u6"] = saved_views.create_view(accounts.get_user("off6"), name="Bộ lọc riêng của Ban Dân tộc",
                                               filters={"bloc": "K2"}).id

        w["milestone_2025"] = make_schedule(2025)[1].id  # bloc scope
        milestones = make_schedule(2026)
        k1 = org.get_bloc("K1")
        check = prog.check_off(off2, milestones[0], k1, note="Ký giao ước tại hội nghị", done_on=date(2026, 1, 20),
                               today=date(2026, 11, 25))
        w["check"] = check.id
        w["milestone_checked"] = milestones[0].id   # bloc scope, checked off by the leader
        w["milestone_open"] = milestones[1].id      # bloc scope, not done yet
        w["milestone_council"] = milestones[4].id   # council scope: the Board's
        current = schedule.milestones_for_year(2026)
        w["schedule_stamp"] = schedule.schedule_stamp(current)
        w["schedule_rows"] = [{"id": str(m.id), "title": m.title, "starts_on": m.starts_on.strftime("%d/%m/%Y") if m.starts_on else "",
                               "due_on": m.due_on.strftime("%d/%m/%Y"), "scope": m.scope, "responsible": m.responsible,
                               "evidence_type": m.evidence_type or ""} for m in current]

        w["crit_2025"] = [c.id for c in build_table("K1", 2025)[2]]  # last year's table, led by U1
        table, cards, criteria = build_table("K1", 2026)
        w["card_u3"] = cards["U3"].id
        w["crit"] = [c.id for c in criteria]
        # U3's draft self-score (never submitted) with a note; the leader's bloc score for U3.
        fill(off3, cards["U3"], criteria, "self", ["7", None, None, None])
        scoring.save_score(off3, scoring.get_scorecard(w["card_u3"]), criteria[1], "self", "16,37", 0, note=DRAFT_NOTE)
        fill(off2, scoring.get_scorecard(w["card_u3"]), criteria, "bloc", ["9", None, None, None])
        # Score templates the Board made now (so their cell versions are current), each with U3's item 1 changed to 6:
        # a Board-made template holds every K1 unit's column (E U2, F U3, G U1); line 9 is item 1.
        for stage in ("bloc", "self"):
            w[f"score_template_{stage}"] = _changed_cell(score_workbooks.template_xlsx(admin, scoring.get_table(table.id), stage),
                                                         "F9", 6)
        # The first score locked the table: unlocked again, so the criteria editor's calls go all the way.
        scoring.unlock_table(admin, scoring.get_table(table.id), "Bổ sung tiêu chí")
        w["table_version"] = scoring.get_table(table.id).version

        w["memberships"] = [(r.unit, r.bloc, r.role) for r in org.membership_rows(2026)]
        w["unit_u3_version"] = org.get_unit("U3").version
        w["bloc_k1_version"] = org.get_bloc("K1").version
    w["upload_pdf"] = pdf_factory.make_text_pdf(None, "BÁO CÁO\nKết quả công tác thi đua năm 2026 của đơn vị")
    w["criteria_xlsx"] = _xlsx(OFFICIAL_SHEET).getvalue()
    return w


def _changed_cell(data: bytes, cell: str, value) -> bytes:
    """A score template (see build_world) with one cell of its score sheet changed, as an official would fill it in."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    book["Chấm điểm"][cell] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- calling, restoring, classifying ------------------------------------------------------------------

class World:
    """The app's state on disk: a snapshot taken once, put back after every write."""

    def __init__(self, app, folder: Path):
        self.app = app
        self.folder = folder
        with app.app_context():
            self.db_file = Path(db.engine.url.database)
        self.dirs = {"archive": Path(app.config["PORTAL_ARCHIVE_DIR"]), "index": Path(app.config["PORTAL_INDEX_DIR"])}

    def _close(self) -> None:
        from portal.search.services import close_engines

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        close_engines()

    def snapshot(self) -> None:
        self._close()
        assert not Path(f"{self.db_file}-wal").exists() or Path(f"{self.db_file}-wal").stat().st_size == 0, \
            "the SQLite WAL was not checkpointed: the snapshot would miss writes"
        self.folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.db_file, self.folder / "db.sqlite3")
        for name, path in self.dirs.items():
            if path.exists():
                shutil.copytree(path, self.folder / name)

    def restore(self) -> None:
        self._close()
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{self.db_file}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.folder / "db.sqlite3", self.db_file)
        for name, path in self.dirs.items():
            shutil.rmtree(path, ignore_errors=True)
            if (self.folder / name).exists():
                shutil.copytree(self.folder / name, path)


@dataclass
class Persona:
    name: str
    client: Any
    csrf: str
    cookies: dict = field(default_factory=dict)

    def save_cookies(self) -> None:
        self.cookies = dict(self.client._cookies)

    def restore_cookies(self) -> None:
        self.client._cookies.clear()
        self.client._cookies.update(self.cookies)


def log_in(app, name: str) -> Persona:
    client = app.test_client()
    username = ACCOUNTS[name]
    if username is None:
        page = client.get("/login")
        token = csrf_from(page.text)
    else:
        response = AuthActions(client).login(username)
        assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/", \
            f"{username} could not log in ({response.status_code})"
        token = AuthActions(client).csrf()
    return Persona(name, client, token)


def build_url(rule: str, case: Case, w: dict, persona: str) -> str:
    def part(match):
        name = match.group(1)
        source = case.values.get(name, DEFAULTS.get(name))
        if source is None:
            raise KeyError(f"no value for <{name}> of {rule}: give it in the Case's values")
        return str(source(w, persona) if callable(source) else source)

    url = RULE_PART.sub(part, rule)
    query = case.query(w, persona) if callable(case.query) else case.query
    return f"{url}?{query}" if query else url


def send(persona: Persona, method: str, url: str, case: Case, w: dict):
    client = persona.client
    headers = {"HX-Request": "true", "HX-Target": case.htmx} if case.htmx else {}
    if method == "GET":
        return client.get(url, headers=headers)
    kind, data = case.body(w, persona.name) if case.body else ("form", {})
    if url.startswith("/api/"):
        headers["X-CSRFToken"] = persona.csrf
    if kind == "json":
        return client.open(url, method=method, json=data, headers=headers)
    fields = {k: (io.BytesIO(v.data), v.name, v.content_type) if isinstance(v, File) else v for k, v in data.items()}
    fields["csrf_token"] = persona.csrf
    if kind == "multipart":
        return client.open(url, method=method, data=fields, headers=headers, content_type="multipart/form-data")
    return client.open(url, method=method, data=fields, headers=headers)


def classify(response, case: Case | None = None) -> str:
    status = response.status_code
    if status >= 500:
        return str(status)
    if status == 401:
        return "L"
    if status in (301, 302, 303, 307, 308):
        target = urlsplit(response.headers.get("Location", "")).path
        if target == "/login" and not (case and case.login_redirect_ok):
            return "L"
        return "O"
    if status == 403:
        return "D"
    if status == 404:
        return "N"
    if status == 400 and any(m in response.get_data(as_text=True) for m in CSRF_REFUSALS):
        return "CSRF"  # the harness's fault, never an allowed outcome
    return "O"


def readable_text(response) -> str:
    """The answer as text for the leak checks: HTML/JSON/text as is, an XLSX's sheets and strings unzipped."""
    data = response.get_data()
    mimetype = response.mimetype or ""
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as book:
                return "\n".join(book.read(n).decode("utf-8", "replace") for n in book.namelist() if n.endswith(".xml"))
        except zipfile.BadZipFile:
            return ""
    if mimetype.startswith("text/") or "json" in mimetype or "xml" in mimetype:
        return data.decode("utf-8", "replace")
    return ""


HREF = re.compile(r"<a\b[^>]*?\shref\s*=\s*(\"[^\"]*\"|'[^']*')", re.I | re.S)
HX_GET = re.compile(r"\shx-get\s*=\s*(\"[^\"]*\"|'[^']*')", re.I)
FORM_TAG = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.I | re.S)
SUBMIT = re.compile(r"<button\b(?![^>]*\stype\s*=\s*[\"']?(?:button|reset))[^>]*>|<input\b[^>]*\stype\s*=\s*[\"']?(?:submit|image)", re.I)
ATTR = re.compile(r"\s([a-z-]+)\s*=\s*(\"[^\"]*\"|'[^']*')", re.I)
HX_WRITE = re.compile(r"\shx-(post|put|patch|delete)\s*=\s*(\"[^\"]*\"|'[^']*')", re.I)
FORMACTION = re.compile(r"\sformaction\s*=\s*(\"[^\"]*\"|'[^']*')", re.I)


def _own_url(quoted: str) -> str | None:
    """A relative /… URL of this app from a quoted attribute value, without its fragment; None for anything else."""
    href = html_lib.unescape(quoted[1:-1]).strip().split("#", 1)[0]
    if not href.startswith("/") or href.startswith("//"):
        return None
    path = urlsplit(href).path
    if path.startswith("/static/") or path == "/logout":
        return None
    return href


def page_links(text: str) -> list[str]:
    """Links of a page to this app (<a href>, and htmx's hx-get): relative /… paths, without /static, /logout, '#',
    javascript:, mailto:, external."""
    found = (_own_url(q) for q in HREF.findall(text) + HX_GET.findall(text))
    return [u for u in found if u]


def page_actions(text: str, page_url: str) -> list[tuple[str, str]]:
    """(method, url) of every write a page offers: post forms one can submit, buttons' formaction, hx-post/put/patch/delete.

    A post form with no submit control of its own and none pointing at it (`form="id"`) offers nothing: the readers'
    read-only view of an editing table is such a form.
    """
    actions = []
    for attrs, inner in FORM_TAG.findall(text):
        values = {k.lower(): v for k, v in ATTR.findall(attrs)}
        form_id = values.get("id", '""')[1:-1]
        outside = form_id and re.search(rf"<(?:button|input)\b[^>]*\sform\s*=\s*[\"']?{re.escape(form_id)}[\"'\s>]", text)
        if not (SUBMIT.search(inner) or outside or "hx-trigger" in attrs):
            continue
        if values.get("method", '"get"')[1:-1].lower() == "post":
            url = _own_url(values["action"]) if values.get("action", '""')[1:-1].strip() else page_url
            if url:
                actions.append(("POST", url))
    for quoted in FORMACTION.findall(text):
        if url := _own_url(quoted):
            actions.append(("POST", url))
    for verb, quoted in HX_WRITE.findall(text):
        if url := _own_url(quoted):
            actions.append((verb.upper(), url))
    return actions


def table(headers: list[str], rows: list[tuple]) -> str:
    rows = [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(widths[i]) for i, h in enumerate(headers))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(widths[i]) for i, c in enumerate(r)) for r in rows]
    return "\n".join(out)


# --- the tests ------------------------------------------------------------------------------------------

@sqlite_only
def test_the_matrix_names_every_route_of_the_url_map(app):
    problems = coverage_problems(app)
    assert not problems, "\n".join(problems)


@sqlite_only
def test_rights_matrix(app, org_data, tmp_path, pinned_today):
    started = time.perf_counter()
    problems = coverage_problems(app)
    routes = url_map_routes(app)
    w = build_world(app)
    personas = {name: log_in(app, name) for name in PERSONAS}
    world = World(app, tmp_path / "snapshot")
    world.snapshot()  # after every login: a restore brings the sessions back
    for persona in personas.values():
        persona.save_cookies()

    mismatches: list[tuple] = []
    leaks: list[tuple] = []
    pages: dict[str, list[tuple[str, str]]] = {name: [] for name in PERSONAS}

    seen_by: dict[str, set[str]] = {"draft note": set(), "draft points": set(), "trashed title": set()}

    def check_leaks(persona: str, what: str, text: str) -> None:
        found = {"draft note": DRAFT_MARK in text, "trashed title": TRASH_MARK in text,
                 "draft points": any(re.search(rf"(?<![\d.,]){re.escape(p)}(?![\d])", text) for p in DRAFT_POINTS)}
        readers = {"draft note": DRAFT_READERS, "draft points": DRAFT_READERS, "trashed title": TRASH_READERS}
        for key, hit in found.items():
            if hit:
                seen_by[key].add(persona)
                if persona not in readers[key]:
                    leaks.append((what, persona, f"{key} of U3" if key.startswith("draft") else key))

    calls = 0
    route_entries = 0
    for rule, method, case in matrix_cases():
        if (rule, method) not in routes:
            continue
        route_entries += 1
        actual = []
        for i, name in enumerate(PERSONAS):
            persona = personas[name]
            url = build_url(rule, case, w, name)
            response = send(persona, method, url, case, w)
            calls += 1
            try:
                outcome = classify(response, case)
                text = readable_text(response)
                html = response.mimetype == "text/html"
                status = response.status_code
            finally:
                response.close()
            if method != "GET":
                world.restore()
                persona.restore_cookies()
            actual.append(f"{outcome}:{status}")
            what = f"{method} {url}"
            check_leaks(name, what, text)
            if outcome != case.expect[i]:
                mismatches.append((f"{rule}" + (f" [{case.label}]" if case.label else ""), method, name, case.expect[i],
                                   f"{outcome} ({status})"))
            if method == "GET" and status == 200 and html:
                pages[name].append((url, text))
        if VERBOSE:
            print(f"{method:6} {rule} {case.label}: expected {case.expect}, got {' '.join(actual)}")

    # One level of links from every page each persona got: none may lead it to a 403 (or a server error).
    bad_links: list[tuple] = []
    crawled = 0
    for name in PERSONAS:
        persona = personas[name]
        seen: dict[str, tuple[str, int]] = {}
        for page_url, text in pages[name]:
            for link in page_links(text):
                if link not in seen:
                    response = persona.client.get(link)
                    crawled += 1
                    try:
                        seen[link] = (classify(response), response.status_code)
                        check_leaks(name, f"GET {link} (linked from {page_url})", readable_text(response))
                    finally:
                        response.close()
                outcome, status = seen[link]
                if outcome == "D" or len(outcome) > 1 or (outcome == "L" and name != "anonymous"):
                    bad_links.append((name, page_url, link, status))

    # Every write a page offers (a form, a button, an htmx call), sent once with just the CSRF token: none may
    # answer that persona 403 (a button that can only be refused is the same leak as such a link).
    bad_actions: list[tuple] = []
    tried = 0
    for name in PERSONAS:
        persona = personas[name]
        offered: dict[tuple[str, str], str] = {}
        for page_url, text in pages[name]:
            for action in page_actions(text, page_url):
                offered.setdefault(action, page_url)
        for (method, url), page_url in sorted(offered.items()):
            headers = {"X-CSRFToken": persona.csrf} if url.startswith("/api/") else {}
            response = persona.client.open(url, method=method, data={"csrf_token": persona.csrf}, headers=headers)
            tried += 1
            try:
                outcome, status = classify(response), response.status_code
                check_leaks(name, f"{method} {url} (offered on {page_url})", readable_text(response))
            finally:
                response.close()
            world.restore()
            persona.restore_cookies()
            if outcome == "D" or len(outcome) > 1 or (outcome == "L" and name != "anonymous"):
                bad_actions.append((name, page_url, f"{method} {url}", status))

    elapsed = time.perf_counter() - started
    print(f"\nrights matrix: {len(routes)} routes×methods ({route_entries} cases with variants) × {len(PERSONAS)} personas "
          f"= {calls} calls; {crawled} linked pages crawled; {tried} offered actions tried; {elapsed:.1f} s")

    # Controls: those who may see the secrets did see them, so the searches above look for the right text.
    for key, readers in (("draft note", DRAFT_READERS), ("draft points", DRAFT_READERS), ("trashed title", TRASH_READERS)):
        if not readers <= seen_by[key]:
            problems.append(f"harness: the {key} was never shown to {sorted(readers - seen_by[key])}; the leak check proves nothing")

    report = []
    if problems:
        report.append("MATRIX and URL map disagree:\n" + "\n".join(problems))
    if mismatches:
        report.append(f"{len(mismatches)} outcomes differ from the matrix:\n"
                      + table(["route", "method", "persona", "expected", "actual"], mismatches))
    if bad_links:
        report.append(f"{len(bad_links)} links lead to a refusal (or an error):\n"
                      + table(["persona", "page", "link", "status"], sorted(set(bad_links))))
    if bad_actions:
        report.append(f"{len(bad_actions)} forms or buttons offer a write that is refused (or fails):\n"
                      + table(["persona", "page", "action", "status"], sorted(set(bad_actions))))
    if leaks:
        report.append(f"{len(leaks)} answers show what the persona may not see:\n"
                      + table(["request", "persona", "what"], sorted(set(leaks))))
    assert calls >= MIN_CALLS, f"only {calls} calls: the matrix shrank"
    if report:
        pytest.fail("\n\n".join(report), pytrace=False)
