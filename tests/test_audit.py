"""The one audit trail: its services (filters, pages, full names, Unicode, Vietnam time), the Board's page
(filters, pages, htmx fragment, XLSX), the JSON API, rights, and every feature's changes landing in it."""
from __future__ import annotations

import io
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal import audit
from portal.auth import services as auth_services
from portal.errors import ValidationFailed
from portal.extensions import db
from tests.conftest import PASSWORD, count_queries, csrf_from
from tests.pdf_factory import make_text_pdf

API = "/api/v1"
UTC = timezone.utc


def token_for(app, username: str) -> str:
    with app.app_context():
        return auth_services.create_token(None, auth_services.get_user(username), "test")


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def add_event(actor, action, kind, obj_id, *, at=None, before=None, after=None, summary=""):
    """Record one event (at a chosen moment) and commit it; call inside an app context."""
    event = audit.record(actor, action, kind, obj_id, before=before, after=after, summary=summary)
    if at is not None:
        event.at = at
    db.session.commit()
    return event


def clear_trail() -> None:
    db.session.execute(sa.delete(audit.AuditEvent))
    db.session.commit()


@pytest.fixture
def people(ctx, org_data):
    """The org's accounts plus one whose name is all diacritics, and an empty trail."""
    auth_services.create_user(None, username="khoa", password=PASSWORD, role="officer", unit_code="U3",
                              full_name="Âu Minh Khoa")
    clear_trail()
    return {name: auth_services.get_user(name) for name in ("admin", "off1", "off2", "viewer", "khoa")}


# --- services ----------------------------------------------------------------------------------

def test_filters_by_object_person_action_and_days(people):
    admin, khoa = people["admin"], people["khoa"]
    add_event(admin, "create", "unit", "U7", at=datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    add_event(admin, "update", "unit", "U7", at=datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    add_event(khoa, "update", "unit", "U1", at=datetime(2026, 3, 6, 2, 0, tzinfo=UTC))
    add_event(khoa, "upload", "document", 12, at=datetime(2026, 3, 7, 2, 0, tzinfo=UTC))
    add_event(None, "ocr", "document", 12, at=datetime(2026, 3, 8, 2, 0, tzinfo=UTC))

    def objects(**filters):
        return [e.object for e in audit.query(audit.AuditFilters(**filters)).items]

    assert objects() == ["document:12", "document:12", "unit:U1", "unit:U7", "unit:U7"]  # newest first
    assert objects(kind="unit") == ["unit:U1", "unit:U7", "unit:U7"]
    assert objects(kind="unit", object_id="U7") == ["unit:U7", "unit:U7"]
    assert objects(actor="khoa") == ["document:12", "unit:U1"]
    assert objects(actor="system") == ["document:12"]
    assert objects(action="update") == ["unit:U1", "unit:U7"]
    assert objects(since=date(2026, 3, 5), until=date(2026, 3, 6)) == ["unit:U1", "unit:U7"]
    assert objects(kind="unit", actor="admin", action="create") == ["unit:U7"]
    assert objects(kind="scorecard") == []
    # The API's one-argument form reads the same.
    assert audit.parse_filters({"object": "unit:U7"}) == audit.AuditFilters(kind="unit", object_id="U7")
    assert audit.parse_filters({"object": "document"}) == audit.AuditFilters(kind="document")
    assert audit.parse_filters({"kind": "unit", "object_id": "U7", "since": "05/03/2026", "until": "2026-03-06"}) == \
        audit.AuditFilters(kind="unit", object_id="U7", since=date(2026, 3, 5), until=date(2026, 3, 6))


def test_days_are_days_in_vietnam(people):
    # 17:30 UTC on 31 March is 00:30 on 1 April in Hà Nội: it belongs to 1 April.
    add_event(people["admin"], "update", "bloc", "K1", at=datetime(2026, 3, 31, 17, 30, tzinfo=UTC))
    [entry] = audit.query(audit.AuditFilters(since=date(2026, 4, 1))).items
    assert audit.event_dict(entry)["at"] == "2026-04-01T00:30:00+07:00"
    assert audit.query(audit.AuditFilters(until=date(2026, 3, 31))).total == 0
    assert audit.query(audit.AuditFilters(since=date(2026, 4, 1), until=date(2026, 4, 1))).total == 1
    assert audit.query(audit.AuditFilters(since=date(2026, 4, 2))).total == 0


def test_pages_are_fixed_size_newest_first(people):
    for i in range(120):
        add_event(people["admin"], "update", "unit", f"P{i:03d}", at=datetime(2026, 1, 1, tzinfo=UTC).replace(minute=i % 60, hour=i // 60))
    first = audit.query(audit.AuditFilters(kind="unit"))
    assert (first.total, first.pages, len(first.items)) == (120, 3, 50)
    assert first.items[0].event.object_id == "P119"
    third = audit.query(audit.AuditFilters(kind="unit"), page=3)
    assert len(third.items) == 20 and third.items[-1].event.object_id == "P000"
    seen = [e.event.object_id for p in (1, 2, 3) for e in audit.query(audit.AuditFilters(kind="unit"), page=p).items]
    assert len(set(seen)) == 120
    assert audit.query(audit.AuditFilters(kind="unit"), page=4).items == []
    assert first.page_numbers() == [1, 2, 3]
    assert audit.AuditPage([], 1000, 10, 50).page_numbers() == [1, None, 8, 9, 10, 11, 12, None, 20]


def test_each_event_as_data_with_full_names_and_readable_unicode(people):
    add_event(people["khoa"], "update", "user", "khoa", before={"full_name": "Au Minh Khoa"},
              after={"full_name": "Âu Minh Khoa", "ghi chú": "Đổi họ tên theo CCCD"}, summary="Sửa tài khoản khoa")
    add_event(None, "ocr", "document", 3, summary="Nhận dạng chữ (OCR) văn bản #3")
    gone = add_event(None, "create", "bloc", "K9")
    gone.actor_name = "nguoi-cu"  # an account removed since: its id is gone, its name stays
    db.session.commit()
    nameless = people["off1"]
    nameless.full_name = ""
    db.session.commit()
    add_event(nameless, "check", "milestone", 4, after={"bloc": "K1"})
    items = [audit.event_dict(e) for e in audit.query().items]
    assert [i["actor"] for i in items] == ["off1", "nguoi-cu", "Hệ thống", "Âu Minh Khoa"]
    khoa = items[-1]
    assert set(khoa) == {"at", "actor", "action", "object", "summary", "before", "after"}
    assert khoa["object"] == "user:khoa" and khoa["action"] == "update"
    assert khoa["after"] == {"full_name": "Âu Minh Khoa", "ghi chú": "Đổi họ tên theo CCCD"}
    assert khoa["at"].endswith("+07:00")


def test_the_page_of_events_costs_two_queries_whatever_its_size(people, app):
    for i in range(60):
        add_event(people["khoa" if i % 2 else "admin"], "update", "unit", f"Q{i}")
    with count_queries(app) as statements:
        page = audit.query(audit.AuditFilters(), page=1)
        [audit.event_dict(e) for e in page.items]
    assert len(page.items) == 50 and len(statements) == 2


@pytest.mark.parametrize("args, field", [
    ({"object": "Unit:U1"}, "object"),
    ({"object": "unit;drop"}, "object"),
    ({"kind": "x" * 41}, "kind"),
    ({"object_id": "U1"}, "object_id"),
    ({"object": "unit:" + "x" * 81}, "object"),
    ({"object": "unit:U1\x00"}, "object"),
    ({"actor": "a\x1b"}, "actor"),
    ({"actor": "a" * 81}, "actor"),
    ({"action": "DROP TABLE"}, "action"),
    ({"since": "32/01/2026"}, "since"),
    ({"since": "hôm qua"}, "since"),
    ({"until": "31/12/9999"}, "until"),
    ({"since": "02/03/2026", "until": "01/03/2026"}, "until"),
])
def test_bad_filters_are_refused_in_vietnamese(ctx, args, field):
    with pytest.raises(ValidationFailed) as refused:
        audit.parse_filters(args)
    assert field in refused.value.errors
    assert refused.value.status == 422 and refused.value.message


def test_unknown_kinds_and_actions_show_their_code(people):
    assert audit.kind_label("document") == "Văn bản" and audit.action_label("criteria.lock") == "Khóa bảng tiêu chí"
    assert audit.kind_label("gadget") == "gadget" and audit.action_label("gadget.spin") == "gadget.spin"


# --- the Board's page --------------------------------------------------------------------------

@pytest.fixture
def trail(app, org_data):
    """A small trail with a document, a unit edit and a criteria table, recorded by named people."""
    with app.app_context():
        auth_services.create_user(None, username="khoa", password=PASSWORD, role="officer", unit_code="U3",
                                  full_name="Âu Minh Khoa")
        clear_trail()
        admin, khoa = auth_services.get_user("admin"), auth_services.get_user("khoa")
        add_event(admin, "update", "unit", "U1", at=datetime(2026, 3, 31, 17, 30, tzinfo=UTC),
                  before={"code": "U1", "name": "Sở Nội vụ", "active": True},
                  after={"code": "U1", "name": "Sở Nội vụ tỉnh Tuyên Quang", "active": True},
                  summary="Sửa đơn vị Sở Nội vụ tỉnh Tuyên Quang")
        add_event(khoa, "upload", "document", 42, at=datetime(2026, 4, 2, 3, 0, tzinfo=UTC),
                  after={"title": "Kế hoạch tổ chức phong trào thi đua", "guidance": "x" * 400},
                  summary="=HYPERLINK(\"http://example.com\") Tải lên văn bản")
        add_event(admin, "criteria.lock", "criteria_table", "K1-2026", at=datetime(2026, 4, 3, 3, 0, tzinfo=UTC),
                  after={"locked": True}, summary="Khóa bảng điểm K1-2026")
    return app


def test_board_reads_the_whole_trail(client, auth, trail):
    auth.login("admin")
    response = client.get("/audit")
    assert response.status_code == 200
    page = response.text
    assert "Âu Minh Khoa" in page and "Nguyễn Văn Quản" in page
    assert "01/04/2026 00:30" in page  # 17:30 UTC on 31/03, shown in Vietnam time
    assert "Khóa bảng tiêu chí" in page and "Tải lên" in page  # actions in words
    assert 'href="/documents/42"' in page and 'href="/scoring/2026/K1/criteria"' in page and 'href="/org/units/U1/edit"' in page
    # before/after field by field, in readable Unicode; unchanged fields folded away; long values folded
    assert "Sở Nội vụ tỉnh Tuyên Quang" in page and "Tên" in page
    assert "\\u00" not in page and "&#34;name&#34;" not in page and "{&#34;" not in page
    assert "2 trường không đổi" in page
    assert "<details><summary>" + "x" * 80 + "…</summary>" in page
    assert 'href="/audit/export.xlsx"' in page
    assert 'href="/audit"' in page and "Nhật ký" in page  # the menu link


def test_filters_narrow_the_page_and_dates_are_vietnamese(client, auth, trail):
    auth.login("admin")
    page = client.get("/audit?kind=unit&object_id=U1").text
    assert "Sửa đơn vị Sở Nội vụ" in page and "Khóa bảng điểm" not in page
    page = client.get("/audit?actor=khoa").text
    assert "Tải lên văn bản" in page and "Sửa đơn vị" not in page
    page = client.get("/audit?since=01/04/2026&until=02/04/2026").text
    assert "Sửa đơn vị" in page and "Tải lên văn bản" in page and "Khóa bảng điểm" not in page
    page = client.get("/audit?action=criteria.lock").text
    assert "Khóa bảng điểm" in page and "Sửa đơn vị" not in page
    assert 'href="/audit/export.xlsx?action=criteria.lock"' in page
    # The API's form of the filters works here too, and the form shows them as understood.
    page = client.get("/audit?object=unit:U1&since=2026-04-01&actor=nguoi-cu").text
    assert '<option value="unit" selected>' in page and 'value="U1"' in page and 'value="01/04/2026"' in page
    assert '<option value="nguoi-cu" selected>' in page and "Không có thay đổi nào khớp với bộ lọc." in page


def test_bad_filters_show_the_message_and_change_nothing(client, auth, trail):
    auth.login("admin")
    response = client.get("/audit?since=32/13/2026")
    assert response.status_code == 422
    assert "không phải là ngày" in response.text and 'aria-invalid="true"' in response.text
    fragment = client.get("/audit?since=32/13/2026", headers={"HX-Request": "true", "HX-Target": "audit-results"})
    assert fragment.status_code == 200 and "không phải là ngày" in fragment.text
    assert client.get("/audit?page=abc").status_code == 200  # an old bookmark's page number is not worth an error


def test_htmx_gets_only_the_results_block(client, auth, trail):
    auth.login("admin")
    response = client.get("/audit?kind=document", headers={"HX-Request": "true", "HX-Target": "audit-results"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="audit-results">')
    assert "<html" not in response.text and "Tải lên văn bản" in response.text and "Sửa đơn vị" not in response.text
    assert "HX-Request" in response.headers["Vary"]
    page = client.get("/audit").text
    assert 'hx-target="#audit-results"' in page and 'hx-push-url="true"' in page


def test_page_links_keep_the_filters(client, auth, trail):
    with trail.app_context():
        admin = auth_services.get_user("admin")
        for i in range(60):
            audit.record(admin, "update", "bloc", "K1", after={"name": f"Khối {i}"}, summary=f"Sửa khối lần {i}")
        db.session.commit()
    auth.login("admin")
    page = client.get("/audit?kind=bloc&actor=admin").text
    assert "Trang sau" in page
    assert 'href="/audit?page=2&amp;kind=bloc&amp;actor=admin"' in page
    second = client.get("/audit?page=2&kind=bloc&actor=admin").text
    assert "Sửa khối lần 0" in second and "Sửa khối lần 59" not in second and "Trang trước" in second


def test_page_query_count_does_not_grow_with_rows(client, auth, trail, app):
    auth.login("admin")
    client.get("/audit")
    with count_queries(app) as small:
        client.get("/audit")
    with app.app_context():
        admin = auth_services.get_user("admin")
        for i in range(80):
            audit.record(admin if i % 2 else None, "update", "document" if i % 3 else "milestone", i + 1,
                         before={"title": "cũ"}, after={"title": f"mới {i}", "bloc": "K1"}, summary=f"Sửa {i}")
        db.session.commit()
    with count_queries(app) as large:
        client.get("/audit")
    assert len(large) == len(small)


def test_export_is_an_xlsx_of_the_filtered_trail(client, auth, trail):
    auth.login("admin")
    response = client.get("/audit/export.xlsx?since=01/04/2026")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5)]
    assert rows[0][:4] == ["Thời gian", "Người thực hiện", "Tài khoản", "Thao tác"]
    assert len(rows) == 4  # heading + three events since 1 April (Vietnam time)
    assert rows[-1][0] == datetime(2026, 4, 1, 0, 30)  # Vietnam wall time
    assert rows[-1][1] == "Nguyễn Văn Quản" and rows[-1][3] == "Sửa"
    assert "Tên: Sở Nội vụ tỉnh Tuyên Quang" in rows[-1][8]
    upload = next(r for r in rows if r[3] == "Tải lên")
    assert upload[1] == "Âu Minh Khoa" and upload[4] == "Văn bản" and upload[5] == "42"
    # A summary that looks like a formula stays text.
    cell = next(c for c in ws["G"] if isinstance(c.value, str) and c.value.startswith("=HYPERLINK"))
    assert cell.data_type == "s" and cell.quotePrefix
    assert ws["A3"].value is None  # not capped
    fewer = load_workbook(io.BytesIO(client.get("/audit/export.xlsx?kind=criteria_table").data)).active
    assert [c.value for c in fewer["D"]][5:] == ["Khóa bảng tiêu chí"]
    assert client.get("/audit/export.xlsx?since=hôm-qua").status_code == 422


def test_export_is_capped_with_a_note(client, auth, trail, monkeypatch):
    monkeypatch.setattr(audit.services, "EXPORT_LIMIT", 2)
    auth.login("admin")
    ws = load_workbook(io.BytesIO(client.get("/audit/export.xlsx").data)).active
    assert "Chỉ xuất 2 thay đổi mới nhất trong 3" in ws["A3"].value
    assert [c.value for c in ws["G"]][5:] == ["Khóa bảng điểm K1-2026", '=HYPERLINK("http://example.com") Tải lên văn bản']


@pytest.mark.parametrize("path", ["/audit", "/audit/export.xlsx", "/org/audit"])
@pytest.mark.parametrize("username", ["off1", "off2", "viewer"])
def test_only_the_board_reads_the_trail(client, auth, trail, path, username):
    auth.login(username)
    response = client.get(path)
    assert response.status_code == 403
    assert "không có quyền" in response.text


@pytest.mark.parametrize("path", ["/audit", "/audit/export.xlsx", "/audit?kind=unit"])
def test_anonymous_is_sent_to_login(client, trail, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    partial = client.get(path, headers={"HX-Request": "true", "HX-Target": "audit-results"})
    assert partial.status_code == 401 and "/login" in partial.headers["HX-Redirect"]


def test_menu_link_is_for_the_board_only(client, auth, trail):
    auth.login("off2")
    assert 'href="/audit"' not in client.get("/").text
    auth.logout()
    auth.login("admin")
    assert 'href="/audit"' in client.get("/").text


def test_old_org_page_redirects_to_the_trail(client, auth, trail):
    auth.login("admin")
    response = client.get("/org/audit?kind=unit")
    assert response.status_code == 302 and response.headers["Location"] == "/audit?kind=unit"
    assert "Sửa đơn vị Sở Nội vụ" in client.get("/org/audit", follow_redirects=True).text


# --- the JSON API ------------------------------------------------------------------------------

def test_api_lists_the_trail_newest_first(client, trail):
    token = token_for(trail, "admin")
    response = client.get(f"{API}/audit?object=unit:U1", headers=bearer(token))
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    assert set(body) >= {"items", "total", "page", "pages"}
    assert (body["total"], body["page"], body["pages"], body["next_page"]) == (1, 1, 1, None)
    [item] = body["items"]
    assert item == {"at": "2026-04-01T00:30:00+07:00", "actor": "Nguyễn Văn Quản", "action": "update", "object": "unit:U1",
                    "summary": "Sửa đơn vị Sở Nội vụ tỉnh Tuyên Quang",
                    "before": {"code": "U1", "name": "Sở Nội vụ", "active": True},
                    "after": {"code": "U1", "name": "Sở Nội vụ tỉnh Tuyên Quang", "active": True}}
    assert "Sở Nội vụ tỉnh Tuyên Quang" in response.get_data(as_text=True)  # readable, not \u escapes
    everything = client.get(f"{API}/audit", headers=bearer(token)).get_json()
    objects = [i["object"] for i in everything["items"] if not i["object"].startswith("user:")]  # not the token just made
    assert objects == ["criteria_table:K1-2026", "document:42", "unit:U1"]


def test_api_filters_and_pages(client, trail):
    token = token_for(trail, "admin")

    def objects(query):
        response = client.get(f"{API}/audit?{query}", headers=bearer(token))
        assert response.status_code == 200, response.get_data(as_text=True)
        return [i["object"] for i in response.get_json()["items"]]

    assert objects("object=document") == ["document:42"]
    assert objects("actor=khoa") == ["document:42"]
    assert objects("action=criteria.lock") == ["criteria_table:K1-2026"]
    assert objects("since=2026-04-02&until=03/04/2026") == ["criteria_table:K1-2026", "document:42"]
    assert objects("object=unit&since=2026-04-02") == []
    with trail.app_context():
        for i in range(55):
            audit.record(None, "update", "bloc", "K2", summary=f"lần {i}")
        db.session.commit()
    first = client.get(f"{API}/audit?object=bloc:K2", headers=bearer(token)).get_json()
    assert (first["total"], first["pages"], first["next_page"], len(first["items"])) == (55, 2, 2, 50)
    second = client.get(f"{API}/audit?object=bloc:K2&page=2", headers=bearer(token)).get_json()
    assert [i["summary"] for i in second["items"]] == [f"lần {i}" for i in range(4, -1, -1)]
    assert client.get(f"{API}/audit?object=bloc:K2&page=9", headers=bearer(token)).get_json()["items"] == []
    last = client.get(f"{API}/audit?page=2147483647", headers=bearer(token))  # the largest page: empty, never an overflow
    assert last.status_code == 200 and last.get_json()["items"] == [] and last.get_json()["page"] == 2147483647


@pytest.mark.parametrize("query, field", [
    ("object=Unit:U1", "object"), ("since=31/02/2026", "since"), ("until=tomorrow", "until"),
    ("action=x%00", "action"), ("actor=%00", "actor"), ("page=0", "page"), ("page=abc", "page"),
    ("page=99999999999999999999", "page"),
])
def test_api_refuses_bad_parameters(client, trail, query, field):
    response = client.get(f"{API}/audit?{query}", headers=bearer(token_for(trail, "admin")))
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and error["message"] and field in error["fields"]


@pytest.mark.parametrize("username", ["off1", "off2", "viewer"])
def test_api_is_for_the_board_only(client, trail, username):
    response = client.get(f"{API}/audit", headers=bearer(token_for(trail, username)))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_api_needs_authentication(client, trail):
    response = client.get(f"{API}/audit")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    assert client.get(f"{API}/audit", headers=bearer("tdp_khong-hop-le")).status_code == 401


def test_api_is_described_in_the_spec(client, trail):
    spec = client.get(f"{API}/openapi.json").get_json()
    operation = spec["paths"]["/audit"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"object", "actor", "action", "since", "until", "page"}
    assert {"200", "401", "403", "422"} <= set(operation["responses"])


# --- every feature writes to the one trail -----------------------------------------------------

def test_every_feature_changes_land_in_the_one_trail(client, auth, app, org_data):
    from portal.schedule.models import Milestone

    token = token_for(app, "admin")
    headers = bearer(token)

    def ok(response, status=200):
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    ok(client.post(f"{API}/units", json={"code": "U7", "name": "Sở Xây dựng", "kind": "so_nganh"}, headers=headers), 201)
    ok(client.post(f"{API}/users", json={"username": "canbo7", "password": "mat-khau-can-bo-7", "role": "officer",
                                         "unit": "U1", "full_name": "Đặng Thị Ánh"}, headers=headers), 201)
    plan = make_text_pdf(None, "ỦY BAN NHÂN DÂN TỈNH\nSố: 12/KH-UBND\nKẾ HOẠCH\nTổ chức phong trào thi đua năm 2026")
    document = ok(client.post(f"{API}/documents", data={"file": (io.BytesIO(plan), "ke-hoach.pdf"), "type": "KH", "year": "2026",
                                                        "unit": "U1"}, content_type="multipart/form-data", headers=headers), 201)
    criteria = [{"group": "I. Nhiệm vụ", "title": "Hoàn thành chỉ tiêu", "max_points": "10", "kind": "scored"}]
    ok(client.put(f"{API}/years/2026/blocs/K1/criteria", json={"criteria": criteria}, headers=headers))
    scores = ok(client.get(f"{API}/years/2026/blocs/K1/scores", headers=headers))
    card, criterion = scores["scorecards"][0]["id"], scores["criteria"][0]["id"]
    ok(client.put(f"{API}/scores/{card}/{criterion}/bloc", json={"points": "8.5", "version": 0}, headers=headers))
    ok(client.put(f"{API}/years/2026/milestones", json=[{"title": "Ký kết giao ước thi đua", "due_on": "2026-03-31",
                                                          "scope": "bloc", "evidence_type": "GU"}], headers=headers))
    with app.app_context():
        milestone_id = db.session.scalar(sa.select(Milestone.id).where(Milestone.year == 2026))
    auth.login("admin")
    page = client.get(f"/progress/milestones/{milestone_id}/blocs/K1")
    checked = client.post(f"/progress/milestones/{milestone_id}/blocs/K1/check",
                          data={"csrf_token": csrf_from(page.text), "note": "Đã ký ngày 20/3", "done_on": "20/03/2026"})
    assert checked.status_code == 302, checked.get_data(as_text=True)

    body = ok(client.get(f"{API}/audit", headers=headers))
    seen = {(i["object"].split(":")[0], i["action"]) for i in body["items"]}
    assert {("unit", "create"), ("user", "create"), ("document", "upload"), ("scorecard", "score"),
            ("schedule", "replace"), ("milestone", "check")} <= seen
    assert any(kind == "criteria_table" for kind, _action in seen)
    assert f"document:{document['id']}" in {i["object"] for i in body["items"]}
    assert {i["actor"] for i in body["items"] if i["action"] in ("upload", "score", "check")} == {"Nguyễn Văn Quản"}
    check = next(i for i in body["items"] if i["action"] == "check")
    assert check["after"]["note"] == "Đã ký ngày 20/3"
    # …and all of it on the Board's page, each in words.
    trail_page = client.get("/audit").text
    for words in ("Tải lên", "Chấm điểm", "Đánh dấu hoàn thành", "Thay cả danh sách", "Đặng Thị Ánh"):
        assert words in trail_page, words
