"""The inbox of unconfirmed documents (issue 13 item 2, DESIGN §4.1 `confirmed=false`): which uploads start
unconfirmed, confirming through PATCH and the inbox page (one key, then the next one), the inbox's rights (the
policy's filing rules, as a query), the count in the archive, the migration's backfill; and item 4 on the
document page: signature times in local time, full names, no internal ids in messages."""
from __future__ import annotations

import io
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from portal.auth import policy
from portal.auth import services as auth_services
from portal.documents import services as docs
from portal.documents.models import Document
from portal.documents.views import signed_at_local
from portal.extensions import db
from tests.conftest import AuthActions, csrf_from
from tests.test_documents_views import PLAN, edit_form, events, ingest, new_doc, pdf, pdf_bytes, state

API = "/api/v1/documents"
CONFIRM_BUTTON = "Xác nhận và sang văn bản tiếp"


def confirmed(app, document_id: int) -> tuple[bool, str | None]:
    with app.app_context():
        d = db.session.get(Document, document_id)
        return d.metadata_confirmed, d.confirmed_by.username if d.confirmed_by else None


def inbox_ids(app, username: str) -> list[int]:
    with app.app_context():
        return [d.id for d in docs.inbox(auth_services.get_user(username))]


def login(app, username: str):
    client = app.test_client()
    AuthActions(client).login(username)
    return client


@pytest.fixture
def world(app, org_data):
    """Unconfirmed documents of K1/K2 in 2026 (uploaded one minute apart, oldest first) and one confirmed."""
    with app.app_context():
        auth_services.create_user(None, username="off3", password="mat-khau-thu-nghiem", role="officer", unit_code="U3",
                                  full_name="Cán bộ 3")
    t = lambda minute: datetime(2026, 3, 1, 8, minute, tzinfo=timezone.utc)  # noqa: E731
    ids = {
        "u3": new_doc(app, unit="U3", bloc="K1", year=2026, number="15/BC-UBND", title="Báo cáo của U3",
                      uploaded_at=t(1), data=pdf_bytes("u3")),
        "k1": new_doc(app, bloc="K1", year=2026, number="01/GU-K1", title="Giao ước Khối 1", uploaded_at=t(2),
                      data=pdf_bytes("k1")),
        "u6": new_doc(app, unit="U6", bloc="K2", year=2026, title="Báo cáo của U6", uploaded_at=t(3), data=pdf_bytes("u6")),
        "plan": new_doc(app, year=2026, number="27/KH-UBND", title="Kế hoạch của tỉnh", uploaded_at=t(4), data=pdf_bytes("plan")),
        "k1_2025": new_doc(app, bloc="K1", year=2025, title="Giao ước Khối 1 năm 2025", uploaded_at=t(5), data=pdf_bytes("k25")),
        "done": new_doc(app, unit="U3", bloc="K1", year=2026, title="Đã xác nhận", metadata_confirmed=True, uploaded_at=t(0),
                        data=pdf_bytes("done")),
    }
    return ids


# --- which uploads start unconfirmed -------------------------------------------------------------

def test_detected_metadata_starts_unconfirmed_and_typed_metadata_confirmed(app, org_data):
    detected = ingest(app, pdf(), "ke-hoach.pdf", fields={"year": "2025"})  # the year alone: the rest was read
    typed = ingest(app, pdf(PLAN.replace("27/KH", "28/KH")), "ke-hoach-28.pdf", fields={
        "type": "KH", "number": "28/KH-UBND", "issue_date": "08/01/2025", "issuer": "UBND tỉnh Lam Sơn",
        "signer": "Trần Văn Minh", "signer_title": "KT. Chủ tịch, Phó Chủ tịch",
        "title": "Tổ chức hoạt động các Khối thi đua thuộc tỉnh năm 2025"})
    assert confirmed(app, detected) == (False, None)
    assert confirmed(app, typed) == (True, "admin")
    with app.app_context():
        body = {d["id"]: d for d in docs.to_dicts([db.session.get(Document, i) for i in (detected, typed)])}
        assert body[detected]["confirmed"] is False and body[typed]["confirmed"] is True
        assert docs.to_dict(db.session.get(Document, detected))["confirmed"] is False


def test_metadata_given_needs_the_title_and_nothing_left_to_the_reader():
    read = {"type": "KH", "number": "27/KH-UBND", "title": "Kế hoạch", "issuer": "UBND tỉnh", "signer": None}
    assert not docs.metadata_given({}, read)
    assert not docs.metadata_given({"year": 2025, "bloc": None}, read)
    assert not docs.metadata_given({"title": "Kế hoạch", "type": "KH"}, read)  # number and issuer were read
    assert docs.metadata_given({"title": "Kế hoạch", "type": "KH", "number": "27/KH-UBND", "issuer": "UBND tỉnh"}, read)
    assert not docs.metadata_given({"type": "KH"}, {})  # a scan with nothing read and nothing typed: needs a look


# --- the API: confirmed=false, PATCH confirmed ----------------------------------------------------

def test_api_lists_unconfirmed_and_patch_confirms(app, world):
    client = login(app, "admin")
    listed = client.get(f"{API}?confirmed=false").get_json()
    assert {d["id"] for d in listed["items"]} == {world[k] for k in ("u3", "k1", "u6", "plan", "k1_2025")}
    assert all(d["confirmed"] is False for d in listed["items"])
    assert [d["id"] for d in client.get(f"{API}?confirmed=true").get_json()["items"]] == [world["done"]]
    assert client.get(API).get_json()["total"] == 6
    bad = client.get(f"{API}?confirmed=maybe")
    assert bad.status_code == 422 and "confirmed" in bad.get_json()["error"]["message"]

    headers = {"X-CSRFToken": AuthActions(client).csrf()}
    version = client.get(f"{API}/{world['plan']}").get_json()["version"]
    refused = client.patch(f"{API}/{world['plan']}", json={"version": version, "confirmed": False}, headers=headers)
    assert refused.status_code == 422 and confirmed(app, world["plan"]) == (False, None)
    ok = client.patch(f"{API}/{world['plan']}", json={"version": version, "confirmed": True}, headers=headers)
    assert ok.status_code == 200, ok.get_data(as_text=True)
    assert ok.get_json()["confirmed"] is True and ok.get_json()["title"] == "Kế hoạch của tỉnh"
    assert confirmed(app, world["plan"]) == (True, "admin")
    assert events(app, world["plan"])[-1] == "confirm"
    assert world["plan"] not in {d["id"] for d in client.get(f"{API}?confirmed=false").get_json()["items"]}
    # Confirming again changes nothing and records nothing.
    again = client.patch(f"{API}/{world['plan']}", json={"version": ok.get_json()["version"], "confirmed": True},
                         headers=headers)
    assert again.status_code == 200 and events(app, world["plan"]).count("confirm") == 1


def test_any_metadata_edit_confirms(app, world):
    client = login(app, "off3")  # U3's officer may edit U3's document
    version = client.get(f"{API}/{world['u3']}").get_json()["version"]
    response = client.patch(f"{API}/{world['u3']}", json={"version": version, "title": "Báo cáo tổng kết của U3"},
                            headers={"X-CSRFToken": AuthActions(client).csrf()})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["confirmed"] is True
    assert confirmed(app, world["u3"]) == (True, "off3")
    assert events(app, world["u3"])[-1] == "update"  # one event: the edit, which says it confirmed
    with app.app_context():
        from portal import audit

        event = audit.events_for("document", world["u3"])[0]
        assert event.before["confirmed"] is False and event.after["confirmed"] is True
        assert event.summary == "Sửa và xác nhận thông tin văn bản 15/BC-UBND"  # named by its number, no id


def test_patch_confirmed_needs_the_right_to_edit(app, world):
    client = login(app, "off4")  # K2's leader in 2025, a plain member of K2 in 2026: not U3's
    version = client.get(f"{API}/{world['u3']}").get_json()["version"]
    response = client.patch(f"{API}/{world['u3']}", json={"version": version, "confirmed": True},
                            headers={"X-CSRFToken": AuthActions(client).csrf()})
    assert response.status_code == 403 and confirmed(app, world["u3"]) == (False, None)


# --- the inbox's rights: the policy's filing rules, as a query ------------------------------------

def test_inbox_is_what_the_user_may_edit_oldest_first(app, world):
    assert inbox_ids(app, "admin") == [world[k] for k in ("u3", "k1", "u6", "plan", "k1_2025")]
    assert inbox_ids(app, "off3") == [world["u3"]]
    assert inbox_ids(app, "off2") == [world["k1"]]  # U2 leads K1 in 2026 (not in 2025)
    assert inbox_ids(app, "off1") == [world["k1_2025"]]  # U1 led K1 in 2025
    assert inbox_ids(app, "off6") == [world["u6"]]
    assert inbox_ids(app, "off4") == []
    assert inbox_ids(app, "viewer") == []
    with app.app_context():
        for name in ("admin", "off1", "off2", "off3", "off4", "off6", "viewer"):
            user = auth_services.get_user(name)
            expected = [d.id for d in docs.inbox(user)]
            unconfirmed = db.session.scalars(sa.select(Document).where(Document.metadata_confirmed.is_(False))
                                             .order_by(Document.uploaded_at)).all()
            # The query and the policy agree on every document.
            assert expected == [d.id for d in unconfirmed if policy.can(user, "document.write", docs.scope_of(d), year=d.year)]
            assert docs.inbox_count(user) == len(expected)


def test_archive_shows_the_count(app, world):
    page = login(app, "admin").get("/documents").get_data(as_text=True)
    assert "Cần xác nhận (5)" in page and 'href="/documents/inbox"' in page
    assert "Cần xác nhận (1)" in login(app, "off3").get("/documents").get_data(as_text=True)
    assert "Cần xác nhận" not in login(app, "viewer").get("/documents").get_data(as_text=True)


def test_archive_count_stops_at_its_cap(app, world, monkeypatch):
    """After a whole folder is imported everything waits: the list's button stops counting (it is on every request)."""
    monkeypatch.setattr(docs, "INBOX_BADGE_CAP", 3)
    page = login(app, "admin").get("/documents").get_data(as_text=True)
    assert "Cần xác nhận (3+)" in page
    assert "Cần xác nhận (1)" in login(app, "off3").get("/documents").get_data(as_text=True)
    with app.app_context():
        admin = auth_services.get_user("admin")
        assert docs.inbox_count(admin, cap=3) == 4 and docs.inbox_count(admin, cap=5) == docs.inbox_count(admin) == 5


# --- the inbox page -------------------------------------------------------------------------------

def test_inbox_page_shows_the_oldest_with_its_pdf_and_form(app, world):
    client = login(app, "admin")
    page = client.get("/documents/inbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-document="{world["u3"]}"' in html
    assert f'/documents/{world["u3"]}/file?inline=1' in html and "<iframe" in html
    assert CONFIRM_BUTTON in html and 'accesskey="s"' in html and "js/inbox.js" in html
    assert f'name="next" value="{world["k1"]}"' in html
    chosen = client.get(f"/documents/inbox?document={world['plan']}").get_data(as_text=True)
    assert f'data-document="{world["plan"]}"' in chosen and f'name="next" value="{world["k1_2025"]}"' in chosen
    # A document that is not in the user's inbox is not opened there: the oldest one is.
    other = client.get(f"/documents/inbox?document={world['done']}").get_data(as_text=True)
    assert f'data-document="{world["u3"]}"' in other
    # The inline file may be framed by the portal's own pages (and only by them).
    framed = client.get(f"/documents/{world['u3']}/file?inline=1")
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in framed.headers["Content-Security-Policy"]
    framed.close()


def test_inbox_confirm_saves_corrections_and_opens_the_next(app, world):
    client = login(app, "admin")
    token = csrf_from(client.get("/documents/inbox").get_data(as_text=True))
    form = edit_form(app, world["u3"], title="Báo cáo tổng kết năm 2026 của U3", csrf_token=token, next=str(world["k1"]))
    response = client.post(f"/documents/inbox/{world['u3']}", data=form)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/documents/inbox?document={world['k1']}")
    assert confirmed(app, world["u3"]) == (True, "admin")
    with app.app_context():
        assert db.session.get(Document, world["u3"]).title == "Báo cáo tổng kết năm 2026 của U3"
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'data-document="{world["k1"]}"' in after and "Đã xác nhận văn bản “15/BC-UBND”" in after
    # Unchanged values confirm too, with one "confirm" event.
    form = edit_form(app, world["k1"], csrf_token=token)
    assert client.post(f"/documents/inbox/{world['k1']}", data=form).status_code == 302
    assert events(app, world["k1"])[-1] == "confirm" and confirmed(app, world["k1"])[0]


def test_inbox_confirm_refuses_bad_input_stale_version_and_no_right(app, world):
    client = login(app, "admin")
    token = csrf_from(client.get("/documents/inbox").get_data(as_text=True))
    before = state(app)
    bad = client.post(f"/documents/inbox/{world['u3']}", data=edit_form(app, world["u3"], issue_date="31/02/2026", csrf_token=token))
    assert bad.status_code == 422 and CONFIRM_BUTTON in bad.get_data(as_text=True)
    stale = client.post(f"/documents/inbox/{world['u3']}", data=edit_form(app, world["u3"], version="99", csrf_token=token))
    assert stale.status_code == 409 and "người khác sửa" in stale.get_data(as_text=True)
    no_csrf = client.post(f"/documents/inbox/{world['u3']}", data=edit_form(app, world["u3"]))
    assert 400 <= no_csrf.status_code < 500
    assert state(app) == before and confirmed(app, world["u3"]) == (False, None)
    officer = login(app, "off6")
    token = csrf_from(officer.get("/documents/inbox").get_data(as_text=True))
    denied = officer.post(f"/documents/inbox/{world['u3']}", data=edit_form(app, world["u3"], csrf_token=token))
    assert denied.status_code == 403 and confirmed(app, world["u3"]) == (False, None)


def test_empty_inbox(app, world):
    html = login(app, "off4").get("/documents/inbox").get_data(as_text=True)
    assert 'id="inbox-empty"' in html and "<iframe" not in html
    assert login(app, "viewer").get("/documents/inbox").status_code == 200


def test_inbox_page_queries_do_not_grow_with_the_queue(app, world):
    from tests.conftest import count_queries

    client = login(app, "admin")
    client.get("/documents/inbox")
    with count_queries(app) as few:
        client.get("/documents/inbox")
    for n in range(12):
        new_doc(app, unit="U6", bloc="K2", year=2026, title=f"Thêm {n}", data=pdf_bytes(f"more-{n}"))
    with count_queries(app) as many:
        client.get("/documents/inbox")
    assert len(many) == len(few), (len(few), len(many))


# --- the document page: local times, names, no internal ids --------------------------------------

def test_document_page_local_signature_time_and_names(app, world):
    with app.app_context():
        d = db.session.get(Document, world["done"])
        d.signature = [{"intact": True, "signer_name": "Trần Văn Minh", "signed_at": "2026-12-07T00:06:00+00:00",
                        "time_source": "timestamp", "issuer": "CA thử", "summary_vi": "Chữ ký hợp lệ", "trusted": False}]
        d.uploaded_by_id = auth_services.get_user("off3").id
        d.confirmed_by_id = auth_services.get_user("admin").id
        d.confirmed_at = datetime(2026, 3, 2, 1, 30, tzinfo=timezone.utc)
        db.session.commit()
    html = login(app, "viewer").get(f"/documents/{world['done']}").get_data(as_text=True)
    assert "Ký lúc 07/12/2026 07:06" in html and "2026-12-07" not in html
    assert "Cán bộ 3" in html and "Nguyễn Văn Quản · 02/03/2026 08:30" in html
    assert signed_at_local("garbage") == "garbage" and signed_at_local(None) == ""


def test_messages_name_documents_without_internal_ids(app, org_data):
    first = ingest(app, pdf(), "ke-hoach.pdf")
    client = login(app, "admin")
    token = csrf_from(client.get("/documents/upload").get_data(as_text=True))
    response = client.post("/documents/upload", data={"csrf_token": token, "files": (io.BytesIO(pdf()), "ban-sao.pdf")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert "đã có trong lưu trữ: văn bản 27/KH-UBND" in html and f"#{first}" not in html
    missing = client.get("/documents/999999")
    assert missing.status_code == 404 and "#999999" not in missing.get_data(as_text=True)


# --- the migration's backfill ---------------------------------------------------------------------

def test_migration_backfill(tmp_path, database_url):
    """0009 on an archive of 0008: edited documents and typed uploads stay confirmed; read ones go to the inbox."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.maintenance import _logging_kept
    from tests.conftest import FAST_ARGON2

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "PORTAL_INSTANCE_DIR": str(tmp_path / "i"),
                      "PORTAL_ARCHIVE_DIR": str(tmp_path / "a"), "PORTAL_INDEX_DIR": str(tmp_path / "x"),
                      "DATABASE_URL": database_url, "PORTAL_ARGON2_PARAMS": FAST_ARGON2})
    directory = str(__import__("pathlib").Path(__import__("portal").__file__).parent / "migrations")
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.drop_all()
        with _logging_kept():
            upgrade(directory=directory, revision="0008_score_feed")
        now = datetime(2026, 1, 5, 3, 0, tzinfo=timezone.utc)
        with db.engine.begin() as conn:
            conn.execute(sa.text('INSERT INTO "user" (id, username, password_hash, role, full_name, active, created_at, '
                                 'session_version, must_change_password) '
                                 'VALUES (7, \'off7\', \'x\', \'officer\', \'Cán bộ 7\', true, :now, 1, false)'),
                         {"now": now})
            rows = [  # id, title, detected title, metadata_confirmed
                (1, "Kế hoạch đã sửa", "Kế hoạch", True),   # edited (audit below)
                (2, "Kế hoạch", "Kế hoạch", True),          # uploaded with the year only: read by the portal
                (3, "Giao ước gõ tay", "Giao uoc", True),    # the title was typed at upload
                (4, "Báo cáo", "Báo cáo", False),           # read, never looked at
            ]
            for doc_id, title, detected, was in rows:
                conn.execute(sa.text(
                    "INSERT INTO document (id, type, number, year, issuer, signer, signer_title, title, text, page_count, "
                    "text_source, text_quality, ocr_status, detected, metadata_confirmed, filed_by_board, sha256, size, "
                    "original_name, uploaded_by_id, uploaded_at, updated_at, version) VALUES (:id, 'KH', NULL, 2026, '', '', '', "
                    ":title, '', 1, 'text', 'good', 'none', :detected, :was, false, :sha, 10, 'a.pdf', 7, :now, :now, 1)"),
                    {"id": doc_id, "title": title, "detected": f'{{"title": "{detected}"}}', "was": was,
                     "sha": f"{doc_id:064d}", "now": now})
            conn.execute(sa.text("INSERT INTO audit_event (at, actor_id, actor_name, action, object_type, object_id, summary) "
                                 "VALUES (:at, 7, 'off7', 'update', 'document', '1', 'Sửa')"),
                         {"at": datetime(2026, 2, 1, tzinfo=timezone.utc)})
        with _logging_kept():
            upgrade(directory=directory, revision="0009_document_inbox")
        with db.engine.connect() as conn:
            got = {r.id: (bool(r.metadata_confirmed), r.confirmed_by_id, r.confirmed_at is not None) for r in conn.execute(
                sa.text("SELECT id, metadata_confirmed, confirmed_by_id, confirmed_at FROM document"))}
        assert got == {1: (True, 7, True), 2: (False, None, False), 3: (True, 7, True), 4: (False, None, False)}
        db.session.remove()
        db.engine.dispose()


def test_confirm_keeps_the_issue_date(app, world):
    """Confirming through the inbox keeps the date the reader found (dd/mm/yyyy round trip)."""
    with app.app_context():
        d = db.session.get(Document, world["k1"])
        d.issue_date = date(2026, 1, 20)
        db.session.commit()
    client = login(app, "admin")
    token = csrf_from(client.get("/documents/inbox").get_data(as_text=True))
    assert client.post(f"/documents/inbox/{world['k1']}", data=edit_form(app, world["k1"], csrf_token=token)).status_code == 302
    with app.app_context():
        assert db.session.get(Document, world["k1"]).issue_date == date(2026, 1, 20)
