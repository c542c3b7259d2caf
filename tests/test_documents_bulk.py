"""Bulk edit and bulk delete of documents (issue 13 item 3, DESIGN §4.1 `POST /api/v1/documents/bulk`): all or
nothing — one document the caller may not change (or may not file where the edit would put it) and nothing
changes; every document is confirmed, audited and queued for the index like a single edit or delete; the trash
keeps what a bulk delete removed; the list page's bulk bar (checkboxes only where the user may change, CSRF,
refusals naming documents as people know them)."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal import audit
from portal.auth import services as auth_services
from portal.documents import bulk
from portal.documents.models import Document, IndexOutbox
from portal.errors import Forbidden, NotFound, ValidationFailed
from portal.extensions import db
from portal.search import services as search
from tests.conftest import AuthActions, csrf_from
from tests.test_documents_views import events, new_doc, pdf_bytes, state

API = "/api/v1/documents/bulk"


def login(app, username: str):
    client = app.test_client()
    AuthActions(client).login(username)
    return client


def post_api(client, body):
    return client.post(API, json=body, headers={"X-CSRFToken": AuthActions(client).csrf()})


def row(app, document_id: int) -> dict:
    with app.app_context():
        d = db.session.get(Document, document_id)
        return {"type": d.type, "year": d.year, "issuer": d.issuer, "bloc": d.bloc.code if d.bloc else None,
                "unit": d.unit.code if d.unit else None, "confirmed": d.metadata_confirmed, "deleted": d.deleted,
                "confirmed_by": d.confirmed_by.username if d.confirmed_by else None}


def outbox(app, document_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(IndexOutbox.action).where(IndexOutbox.document_id == document_id)
                                       .order_by(IndexOutbox.id)))


def user(username: str):
    return auth_services.get_user(username)


@pytest.fixture
def world(app, org_data):
    """2026: U3's two reports (K1), U6's report (K2), a K1 bloc document; 2025: a K1 bloc document. All unconfirmed."""
    with app.app_context():
        auth_services.create_user(None, username="off3", password="mat-khau-thu-nghiem", role="officer", unit_code="U3",
                                  full_name="Cán bộ 3")
    return {
        "u3a": new_doc(app, unit="U3", bloc="K1", year=2026, type="BC", report_kind="tong_ket", number="15/BC-UBND",
                       title="Báo cáo tổng kết của U3", data=pdf_bytes("u3a")),
        "u3b": new_doc(app, unit="U3", bloc="K1", year=2026, type="OTHER", title="Báo cáo sơ kết của U3", data=pdf_bytes("u3b")),
        "u6": new_doc(app, unit="U6", bloc="K2", year=2026, number="08/BC-BDT", title="Báo cáo của Ban Dân tộc",
                      data=pdf_bytes("u6")),
        "k1": new_doc(app, bloc="K1", year=2026, type="GU", number="01/GU-K1", title="Giao ước Khối 1", data=pdf_bytes("k1")),
        "k1_2025": new_doc(app, bloc="K1", year=2025, type="GU", title="Giao ước Khối 1 năm 2025", data=pdf_bytes("k25")),
    }


# --- the service ---------------------------------------------------------------------------------

def test_bulk_edit_sets_confirms_audits_and_indexes_each_document(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_DEFER_INDEXING", True)  # keep the outbox rows to look at them
    ids = [world["u3a"], world["u3b"]]
    with app.app_context():
        assert bulk.bulk_update(user("off3"), ids, {"type": "BC", "issuer": "UBND huyện Bản Mường"}) == 2
    for key in ("u3a", "u3b"):
        assert row(app, world[key]) == {"type": "BC", "year": 2026, "issuer": "UBND huyện Bản Mường", "bloc": "K1",
                                             "unit": "U3", "confirmed": True, "deleted": False, "confirmed_by": "off3"}
        assert events(app, world[key]) == ["update"]
        assert outbox(app, world[key]) == ["index"]
    with app.app_context():
        event = audit.events_for("document", world["u3a"])[0]
        assert event.before["confirmed"] is False and event.after["confirmed"] is True
        assert event.before["issuer"] == "" and event.after["issuer"] == "UBND huyện Bản Mường"
        assert event.summary == "Sửa và xác nhận thông tin văn bản 15/BC-UBND (sửa hàng loạt)"
        # The untouched documents stay as they were.
        assert db.session.get(Document, world["u6"]).metadata_confirmed is False


def test_a_report_kind_goes_with_a_type_that_is_not_a_report(app, world):
    with app.app_context():
        bulk.bulk_update(user("admin"), [world["u3a"]], {"type": "CV"})
        assert db.session.get(Document, world["u3a"]).report_kind is None


def test_setting_only_what_is_already_there_confirms_without_an_edit_line(app, world):
    with app.app_context():
        bulk.bulk_update(user("admin"), [world["k1"]], {"type": "GU", "year": 2026})
    assert row(app, world["k1"])["confirmed"] is True
    assert events(app, world["k1"]) == ["confirm"]
    with app.app_context():  # and again: nothing to confirm, nothing to record
        bulk.bulk_update(user("admin"), [world["k1"]], {"type": "GU"})
    assert events(app, world["k1"]) == ["confirm"]


def test_unit_without_bloc_takes_the_units_bloc_that_year(app, world):
    with app.app_context():
        bulk.bulk_update(user("admin"), [world["u3b"]], {"unit": "U6"})
    assert (row(app, world["u3b"])["unit"], row(app, world["u3b"])["bloc"]) == ("U6", "K2")
    with app.app_context():  # clearing the unit keeps the bloc (a bloc document), like the single edit
        bulk.bulk_update(user("admin"), [world["u3b"]], {"unit": None})
    assert (row(app, world["u3b"])["unit"], row(app, world["u3b"])["bloc"]) == (None, "K2")


def test_one_foreign_document_refuses_the_whole_batch(app, world):
    before = state(app)
    with app.app_context():
        with pytest.raises(Forbidden) as refused:
            bulk.bulk_update(user("off3"), [world["u3a"], world["u6"], world["u3b"]], {"issuer": "UBND huyện"})
        assert "“08/BC-BDT”" in refused.value.message and str(world["u6"]) not in refused.value.message
        assert "15/BC-UBND" not in refused.value.message  # only the refused one is named
        with pytest.raises(Forbidden):
            bulk.bulk_delete(user("off3"), [world["u3a"], world["u6"]])
    assert state(app) == before


def test_the_filing_rules_decide_the_resulting_place(app, world):
    before = state(app)
    with app.app_context():
        # U3's officer may change U3's documents, but not file them as U4's.
        with pytest.raises(Forbidden) as refused:
            bulk.bulk_update(user("off3"), [world["u3a"], world["u3b"]], {"unit": "U4"})
        assert "“15/BC-UBND”" in refused.value.message and "“Báo cáo sơ kết của U3”" in refused.value.message
        # K1's leader of 2026 (U2) may not move a K1 document to 2025, when U1 led K1.
        with pytest.raises(Forbidden):
            bulk.bulk_update(user("off2"), [world["k1"]], {"year": 2025})
        # A unit's document lies in its unit's bloc that year, whoever files it: 422 for the Board too.
        with pytest.raises(ValidationFailed) as misplaced:
            bulk.bulk_update(user("admin"), [world["u3a"], world["k1"]], {"bloc": "K2"})
        assert "“15/BC-UBND”" in misplaced.value.message and "Khối thi đua số 1" in misplaced.value.message
        assert "01/GU-K1" not in misplaced.value.message
    assert state(app) == before
    with app.app_context():  # the leader's own: K1's document of 2026, yes; K1's of 2025, no
        assert bulk.bulk_update(user("off2"), [world["k1"]], {"issuer": "Khối thi đua số 1"}) == 1
        with pytest.raises(Forbidden):
            bulk.bulk_update(user("off2"), [world["k1_2025"]], {"issuer": "Khối thi đua số 1"})
        with pytest.raises(Forbidden):
            bulk.bulk_update(user("viewer"), [world["k1"]], {"issuer": "Khối"})


def test_unknown_or_trashed_ids_are_404_and_nothing_changes(app, world):
    with app.app_context():
        bulk.bulk_delete(user("admin"), [world["k1_2025"]])
    before = state(app)
    with app.app_context():
        for ids in ([world["u3a"], 987654], [world["u3a"], world["k1_2025"]]):
            with pytest.raises(NotFound) as missing:
                bulk.bulk_update(user("admin"), ids, {"type": "BC"})
            assert "1 văn bản đã chọn không còn trong kho" in missing.value.message
            assert str(ids[1]) not in missing.value.message and str(ids[1]) in missing.value.errors["ids"]
            with pytest.raises(NotFound):
                bulk.bulk_delete(user("admin"), ids)
    assert state(app) == before


def test_bulk_delete_goes_to_the_trash_and_comes_back(app, world, monkeypatch):
    board = login(app, "admin")
    with app.app_context():
        search.rebuild_index()
    assert board.get("/api/v1/search?q=bao cao cua U3").get_json()["total"] == 2
    monkeypatch.setitem(app.config, "PORTAL_DEFER_INDEXING", True)
    ids = [world["u3a"], world["u3b"]]
    with app.app_context():
        assert bulk.bulk_delete(user("off3"), ids) == 2
    for key in ("u3a", "u3b"):
        assert row(app, world[key])["deleted"] is True
        assert events(app, world[key]) == ["delete"] and outbox(app, world[key]) == ["remove"]
    with app.app_context():
        search.apply_outbox()
    assert board.get("/api/v1/search?q=bao cao cua U3").get_json()["total"] == 0
    with app.app_context():
        event = audit.events_for("document", world["u3a"])[0]
        assert event.actor_name == "off3" and event.before["unit"] == "U3"
        assert event.summary == "Chuyển vào thùng rác văn bản 15/BC-UBND (xóa hàng loạt)"
    trash = board.get("/documents/trash")
    assert "Báo cáo tổng kết của U3" in trash.text and "Báo cáo sơ kết của U3" in trash.text
    restored = board.post(f"/api/v1/documents/{world['u3a']}/restore", headers={"X-CSRFToken": AuthActions(board).csrf()})
    assert restored.status_code == 200 and restored.get_json()["deleted"] is False
    assert row(app, world["u3a"])["deleted"] is False and events(app, world["u3a"]) == ["delete", "restore"]
    assert outbox(app, world["u3a"]) == ["index"]
    with app.app_context():
        search.apply_outbox()
    assert board.get("/api/v1/search?q=bao cao cua U3").get_json()["total"] == 1


# --- the API ---------------------------------------------------------------------------------------

def test_api_bulk_edit_and_delete(app, world):
    client = login(app, "off3")
    response = post_api(client, {"ids": [world["u3a"], world["u3b"]], "set": {"year": "2026", "issuer": "UBND huyện Bản Mường"}})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"updated": 2}
    assert row(app, world["u3b"])["issuer"] == "UBND huyện Bản Mường" and row(app, world["u3b"])["confirmed"] is True
    listed = client.get("/api/v1/documents?confirmed=false").get_json()
    assert world["u3a"] not in {d["id"] for d in listed["items"]}

    response = post_api(client, {"ids": [world["u3b"]], "action": "delete"})
    assert response.status_code == 200 and response.get_json() == {"updated": 1}
    assert client.get(f"/api/v1/documents/{world['u3b']}").status_code == 404


def test_api_all_or_nothing_with_one_foreign_document(app, world):
    client = login(app, "off3")
    before = state(app)
    for body in ({"ids": [world["u3a"], world["u6"]], "set": {"type": "CV"}}, {"ids": [world["u3a"], world["u6"]], "action": "delete"}):
        response = post_api(client, body)
        assert response.status_code == 403
        error = response.get_json()["error"]
        assert error["code"] == "forbidden" and "“08/BC-BDT”" in error["message"]
    response = post_api(client, {"ids": [world["u3a"]], "set": {"unit": "U6"}})  # not U3's to file as U6's
    assert response.status_code == 403
    response = post_api(client, {"ids": [world["u3a"], 99999], "set": {"type": "CV"}})
    assert response.status_code == 404 and response.get_json()["error"]["fields"]["ids"] == "Không tìm thấy: 99999."
    assert state(app) == before


def test_api_bulk_with_a_bearer_token_needs_no_csrf(app, world):
    with app.app_context():
        officer = user("off3")
        token = auth_services.create_token(officer, officer, "Sửa hàng loạt")
    response = app.test_client().post(API, json={"ids": [world["u3a"]], "set": {"type": "BC"}},
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.get_json() == {"updated": 1}
    assert app.test_client().post(API, json={"ids": [world["u3a"]], "action": "delete"}).status_code == 401


@pytest.mark.parametrize("body, field, words", [
    ({"ids": [], "set": {"type": "BC"}}, "ids", "Chưa chọn văn bản nào"),
    ({"set": {"type": "BC"}}, "ids", "Chưa chọn văn bản nào"),
    ({"ids": "1,2", "set": {"type": "BC"}}, "ids", "danh sách"),
    ({"ids": ["abc"], "set": {"type": "BC"}}, "ids", "không hợp lệ"),
    ({"ids": [True], "set": {"type": "BC"}}, "ids", "không hợp lệ"),
    ({"ids": [1.5], "set": {"type": "BC"}}, "ids", "không hợp lệ"),
    ({"ids": [2**40], "set": {"type": "BC"}}, "ids", "không hợp lệ"),
    ({"ids": list(range(1, bulk.MAX_IDS + 2)), "set": {"type": "BC"}}, "ids", "tối đa 500"),
    ({"ids": ["U3A"], "set": {}}, "set", "ít nhất một"),
    ({"ids": ["U3A"], "set": ["type"]}, "set", "ít nhất một"),
    ({"ids": ["U3A"], "set": {"title": "Mới"}}, "title", "Không sửa hàng loạt được các trường: title"),
    ({"ids": ["U3A"], "set": {"type": "BC"}, "version": 3}, "version", "Không nhận các khóa: version"),
    ({"ids": ["U3A"]}, "set", "đúng một trong hai"),
    ({"ids": ["U3A"], "set": {"type": "BC"}, "action": "delete"}, "set", "đúng một trong hai"),
    ({"ids": ["U3A"], "action": "purge"}, "action", "chỉ nhận “delete”"),
    ({"ids": ["U3A"], "set": {"type": "XX"}}, "type", "Loại văn bản không hợp lệ"),
    ({"ids": ["U3A"], "set": {"type": ""}}, "type", "không được để trống"),
    ({"ids": ["U3A"], "set": {"year": None}}, "year", "không được để trống"),
    ({"ids": ["U3A"], "set": {"year": "hai nghìn"}}, "year", "Năm không hợp lệ"),
    ({"ids": ["U3A"], "set": {"year": 1800}}, "year", "Năm phải từ"),
    ({"ids": ["U3A"], "set": {"year": True}}, "year", "phải là một số"),
    ({"ids": ["U3A"], "set": {"bloc": "K9"}}, "bloc", "Không tìm thấy khối thi đua K9"),
    ({"ids": ["U3A"], "set": {"unit": ["U3"]}}, "unit", "phải là một chuỗi"),
    ({"ids": ["U3A"], "set": {"issuer": "x" * 301}}, "issuer", "Dài tối đa 300"),
    ({"ids": ["U3A"], "set": {"issuer": "UBND\x07"}}, "issuer", "ký tự điều khiển"),
])
def test_api_refuses_bad_requests_with_422(app, world, body, field, words):
    client = login(app, "admin")
    before = state(app)
    if body.get("ids") == ["U3A"]:  # a real document, so that only the rest of the body is at fault
        body = {**body, "ids": [world["u3a"]]}
    response = post_api(client, body)
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and words in error["message"], error
    assert field in error.get("fields", {}), error
    assert state(app) == before


def test_api_refuses_duplicates(app, world):
    response = post_api(login(app, "admin"), {"ids": [world["u3a"], world["u3b"], world["u3a"]], "set": {"type": "BC"}})
    assert response.status_code == 422 and "hai lần" in response.get_json()["error"]["message"]


def test_api_refuses_a_body_that_is_not_an_object(app, world):
    client = login(app, "admin")
    assert post_api(client, [world["u3a"]]).status_code == 400
    response = client.post(API, data="ids=1", headers={"X-CSRFToken": AuthActions(client).csrf(),
                                                       "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415


# --- the page ------------------------------------------------------------------------------------

def picks(html: str) -> set[int]:
    return {int(v) for v in re.findall(r'class="bulk-pick" name="ids" value="(\d+)"', html)}


def test_list_offers_checkboxes_only_where_the_user_may_change(app, world):
    officer = login(app, "off3").get("/documents")
    assert picks(officer.text) == {world["u3a"], world["u3b"]}
    assert 'id="bulk-form"' in officer.text and 'id="bulk-all"' in officer.text and "Chuyển vào thùng rác" in officer.text
    # the bar offers the officer's own unit only, and the blocs its unit belongs to
    bar = officer.text.split('id="bulk-form"')[1].split("</form>")[0]
    assert "Ủy ban nhân dân huyện Bản Mường" in bar and "Ban Dân tộc" not in bar and "K1 · " in bar and "K2 · " not in bar
    leader = login(app, "off2").get("/documents")
    assert picks(leader.text) == {world["k1"]}
    viewer = login(app, "viewer").get("/documents")
    assert picks(viewer.text) == set() and 'id="bulk-form"' not in viewer.text and 'id="bulk-all"' not in viewer.text
    board = login(app, "admin")
    assert picks(board.get("/documents").text) == set(world.values())
    # The htmx fragment of the results carries the bar too, acting on the filtered list.
    fragment = board.get("/documents?year=2026&type=GU", headers={"HX-Request": "true", "HX-Target": "document-results"})
    assert fragment.text.lstrip().startswith('<section id="document-results">') and "<html" not in fragment.text
    assert picks(fragment.text) == {world["k1"]}
    assert 'action="/documents/bulk?year=2026&amp;type=GU"' in fragment.text


def test_page_bulk_edit_redirects_to_the_list_with_a_message(app, world):
    client = login(app, "off3")
    token = csrf_from(client.get("/documents").text)
    response = client.post("/documents/bulk?year=2026", data={
        "csrf_token": token, "ids": [str(world["u3a"]), str(world["u3b"])], "set_type": "BC", "set_year": "",
        "set_bloc": "", "set_unit": "", "set_issuer": " UBND huyện Bản Mường ", "action": "set"})
    assert response.status_code == 302 and response.headers["Location"] == "/documents?year=2026"
    page = client.get(response.headers["Location"])
    assert "Đã cập nhật 2 văn bản." in page.text
    assert row(app, world["u3b"])["type"] == "BC" and row(app, world["u3b"])["issuer"] == "UBND huyện Bản Mường"
    assert row(app, world["u3b"])["confirmed"] is True


def test_page_clears_a_unit_with_the_none_choice(app, world):
    client = login(app, "admin")
    token = csrf_from(client.get("/documents").text)
    response = client.post("/documents/bulk", data={"csrf_token": token, "ids": [str(world["u3b"])], "set_unit": "-",
                                                    "action": "set"})
    assert response.status_code == 302
    assert (row(app, world["u3b"])["unit"], row(app, world["u3b"])["bloc"]) == (None, "K1")


def test_page_bulk_delete(app, world):
    client = login(app, "off3")
    token = csrf_from(client.get("/documents").text)
    response = client.post("/documents/bulk", data={"csrf_token": token, "ids": [str(world["u3a"]), str(world["u3b"])],
                                                    "set_type": "BC", "action": "delete"})
    assert response.status_code == 302
    assert "Đã chuyển 2 văn bản vào thùng rác. Ban TĐKT có thể khôi phục." in client.get("/documents").text
    assert row(app, world["u3a"])["deleted"] and row(app, world["u3b"])["deleted"]
    assert row(app, world["u3a"])["type"] == "BC" and events(app, world["u3b"]) == ["delete"]  # deleting sets nothing


def test_page_refusal_names_documents_keeps_the_choice_and_changes_nothing(app, world):
    client = login(app, "off3")
    token = csrf_from(client.get("/documents").text)
    before = state(app)
    response = client.post("/documents/bulk", data={"csrf_token": token, "ids": [str(world["u3a"]), str(world["u6"])],
                                                    "set_type": "CV", "action": "set"})
    assert response.status_code == 403
    flash = re.search(r'<p class="flash flash-error">(.*?)</p>', response.text, re.S).group(1)
    assert "Bạn không có quyền sửa: “08/BC-BDT”. Chưa thay đổi văn bản nào." in flash
    assert str(world["u6"]) not in flash
    assert re.search(rf'value="{world["u3a"]}" form="bulk-form" checked', response.text)  # the choice is kept
    assert re.search(r'<option value="CV" selected>', response.text)
    assert state(app) == before


@pytest.mark.parametrize("data, status, words", [
    ({"set_type": "BC", "action": "set"}, 422, "Chưa chọn văn bản nào."),
    ({"ids": "{u3a}", "action": "set"}, 422, "Hãy chọn ít nhất một thông tin cần sửa"),
    ({"ids": "{u3a}", "set_year": "1800", "action": "set"}, 422, "Năm phải từ"),
    ({"ids": "{u3a}", "set_bloc": "K2", "action": "set"}, 422, "“15/BC-UBND”"),
    ({"ids": "987654", "action": "delete"}, 404, "1 văn bản đã chọn không còn trong kho"),
])
def test_page_refusals(app, world, data, status, words):
    client = login(app, "admin")
    token = csrf_from(client.get("/documents").text)
    before = state(app)
    data = {k: v.format(**world) for k, v in data.items()}
    response = client.post("/documents/bulk", data={"csrf_token": token, **data})
    assert response.status_code == status
    assert words in response.text and "Kho văn bản" in response.text  # the list again, with the message
    assert state(app) == before


def test_page_needs_csrf_and_login(app, world):
    client = login(app, "admin")
    before = state(app)
    response = client.post("/documents/bulk", data={"ids": [str(world["u3a"])], "action": "delete"})
    assert response.status_code == 400 and "Phiên làm việc đã hết hạn" in response.text
    assert state(app) == before
    anonymous = app.test_client().post("/documents/bulk", data={"ids": [str(world["u3a"])], "action": "delete"})
    assert anonymous.status_code in (302, 400) and not row(app, world["u3a"])["deleted"]
