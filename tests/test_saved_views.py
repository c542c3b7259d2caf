"""Saved views of the archive (issue 13 item 3): a named set of the list's filters and sort, private or shared with
everyone, pinnable to the home page. Service, pages and API, on both databases: private views are invisible to others
(the Board included), shared ones visible; a pin is per person; names are unique per owner (a clear 422); a view opens
the list with exactly its filters and sort; a bloc or unit gone from the org leaves a stale filter, shown as such, never
a 500; CSRF on every POST; 403/404 on others' views; every change audited; the home's cost bounded whatever the pins."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from portal.documents.models import Document, SavedView, SavedViewPin
from portal.extensions import db
from tests.conftest import count_queries, csrf_from
from tests.test_document_notes import session
from tests.test_documents_views import new_doc

API = "/api/v1/saved-views"

@pytest.fixture
def archive(app, org_data):
    """Documents of K1 and K2 in 2025 and 2026, some confirmed, with issuers and titles that sort differently."""
    rows = [
        dict(unit="U2", bloc="K1", year=2026, type="BC", number="03/BC-STC", title="Báo cáo sơ kết Sở Tài chính",
             issue_date=date(2026, 6, 20), issuer="Sở Tài chính", metadata_confirmed=True),
        dict(unit="U1", bloc="K1", year=2026, type="BC", number="11/BC-SNV", title="Ảnh hưởng của thi đua (báo cáo)",
             issue_date=date(2026, 11, 2), issuer="Sở Nội vụ", metadata_confirmed=False),
        dict(bloc="K1", year=2026, type="GU", number="01/GU-K1", title="Giao ước thi đua Khối 1",
             issue_date=date(2026, 1, 15), issuer="Khối thi đua số 1", metadata_confirmed=True),
        dict(unit="U6", bloc="K2", year=2026, type="BC", number="09/BC-BDT", title="Báo cáo của Ban Dân tộc",
             issue_date=date(2026, 11, 20), issuer="Ban Dân tộc", metadata_confirmed=True),
        dict(unit="U1", bloc="K1", year=2025, type="BC", number="07/BC-SNV", title="Báo cáo tổng kết 2025",
             issue_date=date(2025, 11, 25), issuer="Sở Nội vụ", metadata_confirmed=True),
    ]
    return [new_doc(app, **row) for row in rows]

def saved(app) -> list[tuple]:
    with app.app_context():
        return sorted(db.session.execute(sa.select(SavedView.id, SavedView.owner_id, SavedView.name, SavedView.shared,
                                                   SavedView.filters, SavedView.sort)).all())

def pins(app) -> list[tuple]:
    with app.app_context():
        return sorted(db.session.execute(sa.select(SavedViewPin.user_id, SavedViewPin.view_id)).all())

def actions(app, view_id) -> list[str]:
    with app.app_context():
        from portal import audit

        return [e.action for e in reversed(audit.events_for("saved_view", view_id))]

def listed_ids(client, url: str) -> list[int]:
    """The ids of the documents the list page shows, in its order."""
    import re

    page = client.get(url)
    assert page.status_code == 200, url
    body = page.get_data(as_text=True)
    section = body[body.index('id="document-results"'):]
    return [int(i) for i in re.findall(r'href="/documents/(\d+)"', section)]

# --- the API ------------------------------------------------------------------------------------

def test_save_list_and_open_through_the_api(app, archive):
    client, headers = session(app, "off2")
    body = {"name": "  Báo cáo   Khối 1 năm 2026 ", "filters": {"year": 2026, "type": "BC", "bloc": "k1"},
            "sort": "title", "shared": False, "pinned": True}
    response = client.post(API, json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    view = response.get_json()
    assert view["name"] == "Báo cáo Khối 1 năm 2026" and view["owner"] == "off2" and view["pinned"] is True
    assert view["filters"] == {"year": 2026, "type": "BC", "bloc": "K1", "unit": None, "issuer": None, "confirmed": None}
    assert view["sort"] == "title" and view["shared"] is False and view["stale"] == []
    assert view["url"] == "/documents?year=2026&type=BC&bloc=K1&sort=title"
    listed = client.get(API).get_json()
    assert [v["id"] for v in listed["items"]] == [view["id"]] and listed["total"] == 1
    # The view opens the list with exactly its filters and sort: the same rows, in the same order, as the list itself.
    assert listed_ids(client, view["url"]) == [archive[1], archive[0]]  # "Ảnh…" before "Báo…", the Vietnamese way
    assert listed_ids(client, view["url"]) == listed_ids(client, "/documents?sort=title&bloc=K1&type=BC&year=2026")
    assert actions(app, view["id"]) == ["create"]

def test_private_views_are_invisible_to_everyone_else_even_the_board(app, archive):
    owner, headers = session(app, "off6")
    view = owner.post(API, json={"name": "Của riêng tôi", "filters": {"bloc": "K2"}}, headers=headers).get_json()
    for other in ("off1", "viewer", "admin"):
        client, oheaders = session(app, other)
        assert view["id"] not in [v["id"] for v in client.get(API).get_json()["items"]]
        for call in (client.patch(f"{API}/{view['id']}", json={"pinned": True}, headers=oheaders),
                     client.patch(f"{API}/{view['id']}", json={"name": "Chiếm"}, headers=oheaders),
                     client.delete(f"{API}/{view['id']}", headers=oheaders)):
            assert call.status_code == 404, (other, call.get_data(as_text=True))
            assert set(call.get_json()) == {"error"}
        page = client.get("/documents/views").get_data(as_text=True)
        assert "Của riêng tôi" not in page
        token = csrf_from(page)
        assert client.post(f"/documents/views/{view['id']}", data={"csrf_token": token, "pinned": "1"}).status_code == 404
        assert client.post(f"/documents/views/{view['id']}/delete", data={"csrf_token": token}).status_code == 404
    assert [row[2] for row in saved(app)] == ["Của riêng tôi"] and pins(app) == []

def test_shared_views_are_seen_by_all_and_pins_are_per_person(app, archive):
    owner, headers = session(app, "off2")
    view = owner.post(API, json={"name": "Văn bản Khối 1", "filters": {"bloc": "K1"}, "shared": True, "pinned": True},
                      headers=headers).get_json()
    reader, rheaders = session(app, "viewer")
    seen = reader.get(API).get_json()["items"]
    assert [(v["id"], v["pinned"], v["owner"]) for v in seen] == [(view["id"], False, "off2")]
    pinned = reader.patch(f"{API}/{view['id']}", json={"pinned": True}, headers=rheaders)
    assert pinned.status_code == 200 and pinned.get_json()["pinned"] is True
    # Pinning someone's shared view pins it for me only; unpinning mine leaves theirs.
    assert owner.patch(f"{API}/{view['id']}", json={"pinned": False}, headers=headers).get_json()["pinned"] is False
    assert reader.get(API).get_json()["items"][0]["pinned"] is True
    assert "Văn bản Khối 1" in reader.get("/").get_data(as_text=True)
    assert "Văn bản Khối 1" not in owner.get("/").get_data(as_text=True)
    # Others may not rename, unshare or delete it; only its owner (and the Board) may.
    for call in (reader.patch(f"{API}/{view['id']}", json={"name": "Đổi"}, headers=rheaders),
                 reader.patch(f"{API}/{view['id']}", json={"shared": False}, headers=rheaders),
                 reader.delete(f"{API}/{view['id']}", headers=rheaders)):
        assert call.status_code == 403, call.get_data(as_text=True)
    other, oheaders = session(app, "off4")
    assert other.patch(f"{API}/{view['id']}", json={"name": "Đổi", "pinned": True}, headers=oheaders).status_code == 403
    assert pins(app) == [(_uid(app, "viewer"), view["id"])]  # the refused PATCH pinned nothing either
    # Unsharing takes it off everyone else's home page.
    unshared = owner.patch(f"{API}/{view['id']}", json={"shared": False}, headers=headers)
    assert unshared.status_code == 200 and unshared.get_json()["shared"] is False
    assert reader.get(API).get_json()["items"] == [] and pins(app) == []
    assert "Văn bản Khối 1" not in reader.get("/").get_data(as_text=True)
    assert actions(app, view["id"]) == ["create", "pin", "unpin", "unshare"]
    with app.app_context():
        from portal import audit

        unshare = audit.events_for("saved_view", view["id"])[0]
        assert unshare.after == {"shared": False, "pins_removed": 1} and unshare.actor_name == "off2"

def _uid(app, username):
    with app.app_context():
        from portal.auth import services as auth

        return auth.get_user(username).id

def test_the_board_may_delete_a_shared_view_and_viewers_may_not_share(app, archive):
    owner, headers = session(app, "off1")
    view = owner.post(API, json={"name": "Báo cáo năm 2026", "filters": {"year": "2026", "type": "BC"}, "shared": True},
                      headers=headers).get_json()
    board, bheaders = session(app, "admin")
    assert board.patch(f"{API}/{view['id']}", json={"pinned": True}, headers=bheaders).status_code == 200
    assert board.delete(f"{API}/{view['id']}", headers=bheaders).status_code == 204
    assert saved(app) == [] and pins(app) == []
    assert actions(app, view["id"]) == ["create", "pin", "remove"]
    viewer, vheaders = session(app, "viewer")
    refused = viewer.post(API, json={"name": "Của người xem", "shared": True}, headers=vheaders)
    assert refused.status_code == 403 and "chia sẻ" in refused.get_json()["error"]["message"]
    private = viewer.post(API, json={"name": "Của người xem", "pinned": True}, headers=vheaders)
    assert private.status_code == 201
    assert viewer.patch(f"{API}/{private.get_json()['id']}", json={"shared": True}, headers=vheaders).status_code == 403
    assert viewer.patch(f"{API}/{private.get_json()['id']}", json={"name": "Riêng"}, headers=vheaders).status_code == 200
    assert [row[2:4] for row in saved(app)] == [("Riêng", False)]

def test_names_are_unique_per_owner_with_a_clear_422(app, archive):
    client, headers = session(app, "off2")
    first = client.post(API, json={"name": "Báo cáo Khối 1"}, headers=headers).get_json()
    again = client.post(API, json={"name": "báo cáo  KHỐI 1"}, headers=headers)
    assert again.status_code == 422
    error = again.get_json()["error"]
    assert error["code"] == "validation_failed" and "Bạn đã có một bộ lọc tên" in error["message"] and "name" in error["fields"]
    second = client.post(API, json={"name": "Báo cáo Khối 2"}, headers=headers).get_json()
    renamed = client.patch(f"{API}/{second['id']}", json={"name": "Báo cáo khối 1"}, headers=headers)
    assert renamed.status_code == 422 and "Bạn đã có một bộ lọc tên" in renamed.get_json()["error"]["message"]
    # Another person may use the same name; renaming to the same name (or only its case) is fine.
    other, oheaders = session(app, "off1")
    assert other.post(API, json={"name": "Báo cáo Khối 1"}, headers=oheaders).status_code == 201
    assert client.patch(f"{API}/{first['id']}", json={"name": "Báo cáo khối 1"}, headers=headers).status_code == 200
    assert sorted(row[2] for row in saved(app)) == ["Báo cáo Khối 1", "Báo cáo Khối 2", "Báo cáo khối 1"]

def test_bad_input_is_refused_and_changes_nothing(app, archive):
    client, headers = session(app, "off2")
    view = client.post(API, json={"name": "Có sẵn"}, headers=headers).get_json()
    before = (saved(app), pins(app))
    bad_bodies = [
        {}, {"name": "   "}, {"name": 5}, {"name": "x" * 81}, {"name": "a\x07b"},
        {"name": "N", "filters": {"year": 1800}}, {"name": "N", "filters": {"year": "năm ngoái"}},
        {"name": "N", "filters": {"type": "XYZ"}}, {"name": "N", "filters": {"bloc": "K9"}},
        {"name": "N", "filters": {"unit": "U99"}}, {"name": "N", "filters": {"issuer": "x" * 301}},
        {"name": "N", "filters": {"confirmed": "có lẽ"}}, {"name": "N", "filters": {"page": 2}},
        {"name": "N", "filters": ["year"]}, {"name": "N", "sort": "random"}, {"name": "N", "shared": "yes"},
        {"name": "N", "pinned": 1},
    ]
    for body in bad_bodies:
        response = client.post(API, json=body, headers=headers)
        assert response.status_code == 422, (body, response.get_data(as_text=True))
        assert set(response.get_json()) == {"error"} and response.get_json()["error"]["message"]
    assert client.post(API, json=["name"], headers=headers).status_code == 400
    for patch in ({}, {"filters": {}}, {"name": ""}, {"shared": "1"}, {"pinned": None}, {"name": None}):
        assert client.patch(f"{API}/{view['id']}", json=patch, headers=headers).status_code == 422, patch
    assert client.patch(f"{API}/999999", json={"name": "X"}, headers=headers).status_code == 404
    assert client.delete(f"{API}/99999999999999", headers=headers).status_code == 404
    assert (saved(app), pins(app)) == before
    assert actions(app, view["id"]) == ["create"]

def test_at_most_eight_pins(app, archive):
    client, headers = session(app, "off2")
    ids = [client.post(API, json={"name": f"Bộ lọc {i}", "pinned": True}, headers=headers).get_json()["id"] for i in range(8)]
    ninth = client.post(API, json={"name": "Bộ lọc 9", "pinned": True}, headers=headers)
    assert ninth.status_code == 422 and "tối đa" in ninth.get_json()["error"]["message"]
    unpinned = client.post(API, json={"name": "Bộ lọc 9"}, headers=headers).get_json()
    assert client.patch(f"{API}/{unpinned['id']}", json={"pinned": True}, headers=headers).status_code == 422
    assert client.patch(f"{API}/{ids[0]}", json={"pinned": False}, headers=headers).status_code == 200
    assert client.patch(f"{API}/{unpinned['id']}", json={"pinned": True}, headers=headers).status_code == 200
    assert len(pins(app)) == 8

def test_api_needs_login_and_csrf(app, archive):
    anonymous = app.test_client()
    assert anonymous.get(API).status_code == 401
    assert anonymous.post(API, json={"name": "X"}).status_code == 401
    client, headers = session(app, "off2")
    refused = client.post(API, json={"name": "X"})  # a session without the CSRF header
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    view = client.post(API, json={"name": "X"}, headers=headers).get_json()
    assert client.patch(f"{API}/{view['id']}", json={"name": "Y"}).status_code == 400
    assert client.delete(f"{API}/{view['id']}").status_code == 400
    assert [row[2] for row in saved(app)] == ["X"]

# --- the service: counts, staleness, the list's rules ----------------------------------------------

def test_counts_match_the_list_in_one_query(app, archive):
    from portal.auth import services as auth
    from portal.documents import saved_views as sv
    from portal.documents import services as docs

    cases = [({}, "date"), ({"year": 2026}, "title"), ({"bloc": "K1", "type": "BC"}, "number"),
             ({"unit": "U1"}, "uploaded"), ({"confirmed": False}, "date"), ({"confirmed": True, "year": 2026}, "date"),
             ({"issuer": "Sở Nội vụ"}, "date"), ({"bloc": "K2", "year": 2025}, "date")]
    with app.test_request_context():
        owner = auth.get_user("off2")
        views = [sv.create_view(owner, name=f"V{i}", filters=f, sort=s) for i, (f, s) in enumerate(cases)]
        assert all(v.filters is not None for v in views)  # loaded again after the commits, before counting
        with count_queries(app) as statements:
            counts = sv.document_counts(views)
        assert len(statements) == 1
        for view, (filters, sort) in zip(views, cases):
            page = docs.list_documents(docs.DocumentFilters(**filters, sort=sort))
            assert counts[view.id] == page.total, (filters, counts[view.id], page.total)
        assert [counts[v.id] for v in views] == [5, 4, 3, 2, 1, 3, 2, 0]

def test_a_bloc_or_unit_gone_from_the_org_leaves_a_stale_filter_not_a_500(app, archive):
    client, headers = session(app, "off2")
    with app.app_context():
        from portal.org import services as org

        org.create_bloc(None, {"code": "K7", "name": "Khối tạm"})
        org.create_unit(None, {"code": "U7", "name": "Đơn vị tạm", "kind": "khac"})
    view = client.post(API, json={"name": "Khối tạm", "filters": {"bloc": "K7", "unit": "U7"}, "pinned": True},
                       headers=headers).get_json()
    assert view["stale"] == []
    with app.app_context():
        db.session.execute(sa.text("DELETE FROM bloc WHERE code = 'K7'"))
        db.session.execute(sa.text("DELETE FROM unit WHERE code = 'U7'"))
        db.session.commit()
    listed = client.get(API)
    assert listed.status_code == 200 and listed.get_json()["items"][0]["stale"] == ["bloc", "unit"]
    home = client.get("/")
    assert home.status_code == 200
    text = home.get_data(as_text=True)
    assert "Khối tạm" in text and "bộ lọc cũ" in text and "khối K7 không còn trong danh mục" in text
    manage = client.get("/documents/views")
    assert manage.status_code == 200 and "Khối K7 (không còn)" in manage.get_data(as_text=True)
    assert client.get(view["url"]).status_code == 200  # the list opens, with nothing in it
    assert client.patch(f"{API}/{view['id']}", json={"name": "Khối đã bỏ"}, headers=headers).status_code == 200
    assert client.delete(f"{API}/{view['id']}", headers=headers).status_code == 204

# --- the pages ------------------------------------------------------------------------------------

def test_save_from_the_list_menu_with_htmx(app, archive):
    from flask import render_template_string

    client, headers = session(app, "off2")
    token = headers["X-CSRFToken"]
    # htmx posts the save form with the filter form's live values (hx-include): the menu comes back with the view in it.
    fragment = client.post("/documents/views", data={"csrf_token": token, "name": "Báo cáo K1", "shared": "1", "pinned": "1",
                                                     "year": "2026", "type": "BC", "bloc": "K1", "unit": "", "issuer": "",
                                                     "sort": "title"},
                           headers={"HX-Request": "true", "HX-Target": "saved-views"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html and 'id="saved-views"' in html
    assert "Đã lưu bộ lọc “Báo cáo K1”." in html and "/documents?year=2026&amp;type=BC&amp;bloc=K1&amp;sort=title" in html
    assert "<noscript>" not in html  # no stale copy of the filters in an htmx answer
    assert saved(app)[0][2:] == ("Báo cáo K1", True, {"year": 2026, "type": "BC", "bloc": "K1"}, "title")
    refused = client.post("/documents/views", data={"csrf_token": token, "name": "báo cáo k1"},
                          headers={"HX-Request": "true", "HX-Target": "saved-views"})
    assert refused.status_code == 200 and "Bạn đã có một bộ lọc tên" in refused.get_data(as_text=True)
    assert len(saved(app)) == 1
    # The partial as the list includes it: the current filters go in <noscript> for a browser without script.
    with app.test_request_context("/documents?year=2026&bloc=K1&sort=number"):
        from flask_login import login_user

        from portal.auth import services as auth

        login_user(auth.get_user("viewer"))
        menu = render_template_string('{% include "documents/_saved_views.html" %}')
    assert "Báo cáo K1" in menu and "Lưu bộ lọc này…" in menu
    assert '<input type="hidden" name="year" value="2026">' in menu and '<input type="hidden" name="sort" value="number">' in menu
    assert 'name="shared"' not in menu  # a viewer saves private views only

def test_save_without_javascript(app, archive):
    client, _ = session(app, "off1")
    token = csrf_from(client.get("/documents/views").get_data(as_text=True))
    saved_page = client.post("/documents/views", data={"csrf_token": token, "name": "Chưa xác nhận", "confirmed": "false"})
    assert saved_page.status_code == 302 and saved_page.headers["Location"] == "/documents?confirmed=false"
    refused = client.post("/documents/views", data={"csrf_token": token, "name": "", "year": "2026", "bloc": "K1"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Hãy đặt tên cho bộ lọc." in page
    assert '<input type="hidden" name="bloc" value="K1">' in page  # the filters wait in the form to be saved with a name
    assert [row[2] for row in saved(app)] == ["Chưa xác nhận"]

def test_list_page_has_the_menu(app, archive):
    client, _ = session(app, "off2")
    page = client.get("/documents?year=2026").get_data(as_text=True)
    if 'id="saved-views"' not in page:
        pytest.skip("templates/documents/index.html does not include the menu yet (see /tmp/merge3/E/templates_include.txt)")
    assert "Bộ lọc đã lưu" in page and "Lưu bộ lọc này…" in page and 'hx-include="form.filters"' in page

def test_manage_page_rename_share_pin_delete(app, archive):
    client, headers = session(app, "off2")
    view = client.post(API, json={"name": "Giao ước", "filters": {"type": "GU"}}, headers=headers).get_json()
    page = client.get("/documents/views").get_data(as_text=True)
    assert "Giao ước" in page and "Giao ước thi đua" in page  # the name, and its filter in words
    assert 'data-confirm="Xóa bộ lọc “Giao ước”?' in page and "Chia sẻ “Giao ước” với mọi người?" in page
    token = csrf_from(page)
    url = f"/documents/views/{view['id']}"
    assert client.post(url, data={"csrf_token": token, "name": "Giao ước các khối"}).status_code == 302
    assert client.post(url, data={"csrf_token": token, "shared": "1"}).status_code == 302
    assert client.post(url, data={"csrf_token": token, "pinned": "1"}).status_code == 302
    assert saved(app)[0][2:4] == ("Giao ước các khối", True) and len(pins(app)) == 1
    home = client.get("/").get_data(as_text=True)
    assert "Giao ước các khối" in home and "1 văn bản" in home and 'href="/documents?type=GU"' in home
    refused = client.post(url, data={"csrf_token": token, "name": " "})
    assert refused.status_code == 422 and "Hãy đặt tên cho bộ lọc." in refused.get_data(as_text=True)
    page = client.get("/documents/views").get_data(as_text=True)
    assert "Thôi chia sẻ “Giao ước các khối”?" in page
    # Another officer sees it shared, may pin it, and is offered no rename or delete.
    other, _ = session(app, "off4")
    seen = other.get("/documents/views").get_data(as_text=True)
    assert "Giao ước các khối" in seen and f"{url}/delete" not in seen and f'id="name-{view["id"]}"' not in seen
    assert other.post(f"{url}/delete", data={"csrf_token": csrf_from(seen)}).status_code == 403
    assert client.post(f"{url}/delete", data={"csrf_token": token}).status_code == 302
    assert saved(app) == [] and pins(app) == []
    assert actions(app, view["id"]) == ["create", "rename", "share", "pin", "remove"]

@pytest.mark.parametrize("path", ["/documents/views", "/documents/views/{id}", "/documents/views/{id}/delete"])
def test_every_post_needs_csrf(app, archive, path):
    client, headers = session(app, "off2")
    view = client.post(API, json={"name": "Giữ nguyên", "shared": True}, headers=headers).get_json()
    before = (saved(app), pins(app))
    response = client.post(path.format(id=view["id"]), data={"name": "Đổi", "pinned": "1"})
    assert response.status_code == 400
    assert (saved(app), pins(app)) == before

def test_pages_need_login(app, archive):
    client = app.test_client()
    assert client.get("/documents/views").status_code == 302
    assert client.post("/documents/views", data={"name": "x"}).status_code in (302, 400)

# --- the home page ---------------------------------------------------------------------------------

def test_home_cost_does_not_grow_with_pins(app, archive):
    client, headers = session(app, "off2")
    client.get("/")
    with count_queries(app) as none:
        assert client.get("/").status_code == 200
    client.post(API, json={"name": "Một", "filters": {"bloc": "K1", "unit": "U2"}, "pinned": True}, headers=headers)
    with count_queries(app) as one:
        assert client.get("/").status_code == 200
    for i in range(7):
        client.post(API, json={"name": f"Ghim {i}", "filters": {"bloc": "K2" if i % 2 else "K1", "unit": f"U{i % 6 + 1}",
                                                                  "year": 2026}, "pinned": True}, headers=headers)
    with count_queries(app) as eight:
        page = client.get("/")
    assert page.status_code == 200 and page.get_data(as_text=True).count('class="pin-link') == 8
    assert len(one) <= len(none) + 4 and len(eight) == len(one), (len(none), len(one), len(eight))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 5
