"""Notes on documents (issue 13 item 3, DESIGN §4.1): `POST /api/v1/documents/<id>/notes` `{text}` → 201
`{id, text, author, created_at}`, a document's JSON carries `notes`, notes are searchable (through the outbox, and
again after a rebuild), audited; who may add (officers and the Board, not viewers) and delete (the author, the
Board); the notes section of the document page with its htmx form."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.documents.models import Document, DocumentNote
from portal.extensions import db
from tests.conftest import AuthActions, csrf_from
from tests.test_documents_views import events, new_doc, pdf_bytes, state

API = "/api/v1/documents"
MARK = "Đã trình lãnh đạo Sở ngày 12/3 — chờ ý kiến chỉ đạo"


def session(app, username: str):
    client = app.test_client()
    actions = AuthActions(client)
    actions.login(username)
    return client, {"X-CSRFToken": actions.csrf()}


@pytest.fixture
def doc(app, org_data):
    return new_doc(app, unit="U6", bloc="K2", year=2026, number="09/BC-BDT", title="Báo cáo của Ban Dân tộc",
                   text="Nội dung báo cáo", data=pdf_bytes("notes"))


def search_ids(client, q: str) -> list[int]:
    response = client.get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [hit["id"] for hit in response.get_json()["items"]]


def test_add_note_through_the_api(app, doc):
    client, headers = session(app, "off1")  # any officer may leave a note on a document it reads
    response = client.post(f"{API}/{doc}/notes", json={"text": f"  {MARK}  "}, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    note = response.get_json()
    assert {"id", "text", "author", "created_at"} <= set(note)
    assert note["text"] == MARK and note["author"] == "off1" and note["author_name"] == "Cán bộ 1"
    body = client.get(f"{API}/{doc}").get_json()
    assert [n["text"] for n in body["notes"]] == [MARK]
    listed = client.get(API).get_json()["items"]
    assert [n["id"] for n in next(d for d in listed if d["id"] == doc)["notes"]] == [note["id"]]
    assert events(app, doc)[-1] == "note.add"


def test_notes_are_searchable_and_survive_a_rebuild(app, doc):
    client, headers = session(app, "admin")
    assert search_ids(client, "trinh lanh dao") == []
    note = client.post(f"{API}/{doc}/notes", json={"text": MARK}, headers=headers).get_json()
    assert search_ids(client, "trinh lanh dao") == [doc]  # without accents, through the outbox
    with app.app_context():
        from portal.search import services as search

        search.rebuild_index()
    assert search_ids(client, "chờ ý kiến chỉ đạo") == [doc]  # `reindex` includes the notes
    assert client.delete(f"{API}/{doc}/notes/{note['id']}", headers=headers).status_code == 204
    assert search_ids(client, "trinh lanh dao") == []


def test_bad_notes_are_refused_and_change_nothing(app, doc):
    client, headers = session(app, "off6")
    before = state(app)
    for body, status in (({"text": "   "}, 422), ({}, 422), ({"text": 5}, 422), ({"text": "a\x07b"}, 422),
                         ({"text": "x" * 2001}, 422), (["text"], 400)):
        response = client.post(f"{API}/{doc}/notes", json=body, headers=headers)
        assert response.status_code == status, (body, response.get_data(as_text=True))
        assert set(response.get_json()) == {"error"}
    assert client.post(f"{API}/999999/notes", json={"text": "x"}, headers=headers).status_code == 404
    viewer, vheaders = session(app, "viewer")
    assert viewer.post(f"{API}/{doc}/notes", json={"text": MARK}, headers=vheaders).status_code == 403
    assert state(app) == before
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(DocumentNote.id))) == 0


def test_delete_note_by_its_author_or_the_board(app, doc):
    author, headers = session(app, "off6")
    first = author.post(f"{API}/{doc}/notes", json={"text": "Ghi chú thứ nhất"}, headers=headers).get_json()["id"]
    second = author.post(f"{API}/{doc}/notes", json={"text": "Ghi chú thứ hai"}, headers=headers).get_json()["id"]
    other, oheaders = session(app, "off1")
    assert other.delete(f"{API}/{doc}/notes/{first}", headers=oheaders).status_code == 403
    other_doc = new_doc(app, unit="U1", bloc="K1", year=2026, title="Văn bản khác", data=pdf_bytes("other"))
    assert author.delete(f"{API}/{other_doc}/notes/{first}", headers=headers).status_code == 404  # not that document's
    assert author.delete(f"{API}/{doc}/notes/{first}", headers=headers).status_code == 204
    board, bheaders = session(app, "admin")
    assert board.delete(f"{API}/{doc}/notes/{second}", headers=bheaders).status_code == 204
    assert author.delete(f"{API}/{doc}/notes/{second}", headers=headers).status_code == 404
    assert events(app, doc)[-4:] == ["note.add", "note.add", "note.delete", "note.delete"]
    with app.app_context():
        from portal import audit

        removed = audit.events_for("document", doc)[0]
        assert removed.before["text"] == "Ghi chú thứ hai" and removed.actor_name == "admin"


def test_notes_go_with_a_purged_document(app, doc):
    client, headers = session(app, "admin")
    client.post(f"{API}/{doc}/notes", json={"text": MARK}, headers=headers)
    with app.app_context():
        from portal.auth import services as auth_services
        from portal.documents import services as docs

        admin = auth_services.get_user("admin")
        document = db.session.get(Document, doc)
        docs.delete(admin, document)
        docs.purge(admin, document)
        assert db.session.scalar(sa.select(sa.func.count(DocumentNote.id))) == 0


# --- the document page ----------------------------------------------------------------------------

def test_notes_section_with_htmx_form(app, doc):
    client, _ = session(app, "off6")
    page = client.get(f"/documents/{doc}").get_data(as_text=True)
    assert 'id="notes"' in page and "Chưa có ghi chú nào." in page and f'hx-post="/documents/{doc}/notes"' in page
    token = csrf_from(page)
    fragment = client.post(f"/documents/{doc}/notes", data={"csrf_token": token, "text": MARK},
                           headers={"HX-Request": "true", "HX-Target": "notes"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and MARK in html and "Cán bộ 6" in html and "<html" not in html
    assert "Xóa ghi chú này?" in html  # the author may take it back
    refused = client.post(f"/documents/{doc}/notes", data={"csrf_token": token, "text": "  "},
                          headers={"HX-Request": "true", "HX-Target": "notes"})
    assert refused.status_code == 200 and "Ghi chú đang để trống" in refused.get_data(as_text=True)
    plain = client.post(f"/documents/{doc}/notes", data={"csrf_token": token, "text": ""})
    assert plain.status_code == 422 and "Ghi chú đang để trống" in plain.get_data(as_text=True)
    added = client.post(f"/documents/{doc}/notes", data={"csrf_token": token, "text": "Ghi chú không dùng htmx"})
    assert added.status_code == 302 and added.headers["Location"].endswith(f"/documents/{doc}#notes")
    with app.app_context():
        note_id = db.session.scalar(sa.select(DocumentNote.id).where(DocumentNote.text == MARK))
    # Another officer sees the notes but no delete button; the viewer sees no form.
    other, _ = session(app, "off1")
    seen = other.get(f"/documents/{doc}").get_data(as_text=True)
    assert MARK in seen and f"/notes/{note_id}/delete" not in seen
    token = csrf_from(seen)
    assert other.post(f"/documents/{doc}/notes/{note_id}/delete", data={"csrf_token": token}).status_code == 403
    viewer, _ = session(app, "viewer")
    read = viewer.get(f"/documents/{doc}").get_data(as_text=True)
    assert MARK in read and f'hx-post="/documents/{doc}/notes"' not in read
    deleted = client.post(f"/documents/{doc}/notes/{note_id}/delete", data={"csrf_token": csrf_from(page)},
                          headers={"HX-Request": "true", "HX-Target": "notes"})
    assert deleted.status_code == 200 and MARK not in deleted.get_data(as_text=True)


def test_notes_page_without_csrf_changes_nothing(app, doc):
    client, _ = session(app, "off6")
    before = state(app)
    response = client.post(f"/documents/{doc}/notes", data={"text": MARK})
    assert 400 <= response.status_code < 500
    assert state(app) == before
