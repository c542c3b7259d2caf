"""JSON API for accounts (DESIGN §4.1): list, edit, deactivate, passwords — Board only, except one's own password."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.auth import services as auth_services
from portal.auth.models import User
from portal.extensions import db
from tests.conftest import PASSWORD, AuthActions
from tests.test_api_org import assert_error, bearer, token_for

API = "/api/v1"


@pytest.fixture
def tokens(app, org_data):
    return {name: token_for(app, name) for name in ("admin", "off1", "off2", "viewer")}


def accounts(app) -> list:
    with app.app_context():
        return sorted((u.username, u.role, u.unit_id, u.full_name, u.active, u.password_hash)
                      for u in db.session.scalars(sa.select(User)))


def test_board_lists_accounts_with_full_names(app, client, tokens):
    body = client.get(f"{API}/users", headers=bearer(tokens["admin"])).get_json()
    by_name = {item["username"]: item for item in body["items"]}
    assert set(by_name) == {"admin", "off1", "off2", "off4", "off6", "viewer"}
    assert by_name["off1"] == {"username": "off1", "full_name": "Cán bộ 1", "role": "officer", "unit": "U1",
                               "active": True, "last_login": None}


@pytest.mark.parametrize("user", ["off1", "off2", "viewer"])
def test_only_the_board_reads_and_changes_accounts(app, client, tokens, user):
    before = accounts(app)
    headers = bearer(tokens[user])
    assert_error(client.get(f"{API}/users", headers=headers), 403, "forbidden")
    assert_error(client.patch(f"{API}/users/off2", json={"role": "admin"}, headers=headers), 403, "forbidden")
    assert_error(client.patch(f"{API}/users/{user}", json={"role": "admin"}, headers=headers), 403, "forbidden")
    assert_error(client.post(f"{API}/users/off4/password", json={"password": "chiem-quyen-2026"}, headers=headers),
                 403, "forbidden")
    assert accounts(app) == before


def test_anonymous_gets_401(app, client, org_data):
    assert_error(client.get(f"{API}/users"), 401, "unauthorized")
    assert_error(client.patch(f"{API}/users/off1", json={"active": False}), 401, "unauthorized")


def test_board_moves_a_transferred_officer_and_renames(app, client, tokens):
    response = client.patch(f"{API}/users/off1", json={"unit": "U4", "full_name": "Âu Minh Khoa"}, headers=bearer(tokens["admin"]))
    assert response.status_code == 200
    assert response.get_json()["unit"] == "U4" and response.get_json()["full_name"] == "Âu Minh Khoa"
    # Rights follow the new unit at once: off1 now files for U4, not U1.
    me = client.get(f"{API}/me", headers=bearer(tokens["off1"])).get_json()
    assert me["unit"] == "U4" and me["memberships"]["2026"]["bloc"] == "K2"


def test_deactivation_through_the_api_is_401_on_the_next_request(app, tokens):
    browser = app.test_client()
    AuthActions(browser).login("off1")
    assert browser.get(f"{API}/me").status_code == 200
    response = app.test_client().patch(f"{API}/users/off1", json={"active": False}, headers=bearer(tokens["admin"]))
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert_error(browser.get(f"{API}/me"), 401, "unauthorized")
    assert_error(app.test_client().get(f"{API}/me", headers=bearer(tokens["off1"])), 401, "unauthorized")


@pytest.mark.parametrize("body, field", [
    ({"role": "chief"}, "role"),
    ({"role": "officer", "unit": None}, "unit"),
    ({"unit": "KHONG-CO"}, "unit"),
    ({"active": "no"}, "active"),
    ({"full_name": "Tên\u0000lỗi"}, "full_name"),
    ({"username": "doi-ten"}, "username"),
    ({}, None),
])
def test_bad_edits_are_422_and_change_nothing(app, client, tokens, body, field):
    before = accounts(app)
    error = assert_error(client.patch(f"{API}/users/off1", json=body, headers=bearer(tokens["admin"])), 422, "validation_failed")
    if field:
        assert field in error["fields"]
    assert accounts(app) == before


def test_unknown_account_is_404(app, client, tokens):
    assert_error(client.patch(f"{API}/users/khong-co", json={"active": False}, headers=bearer(tokens["admin"])), 404, "not_found")
    assert_error(client.post(f"{API}/users/khong-co/password", json={"password": "mat-khau-tam-1"},
                             headers=bearer(tokens["admin"])), 404, "not_found")


def test_own_password_change_needs_the_current_one(app, client, tokens):
    headers = bearer(tokens["off1"])
    error = assert_error(client.post(f"{API}/users/off1/password", json={"password": "mot-mat-khau-moi"}, headers=headers),
                         422, "validation_failed")
    assert "hiện tại" in error["message"]
    response = client.post(f"{API}/users/off1/password", json={"current": PASSWORD, "password": "mot-mat-khau-moi"}, headers=headers)
    assert response.status_code == 204 and response.get_data() == b""
    assert AuthActions(app.test_client()).login("off1", "mot-mat-khau-moi").status_code == 302
    with app.app_context():
        assert auth_services.get_user("off1").must_change_password is False


def test_board_sets_a_temporary_password(app, client, tokens):
    browser = app.test_client()
    AuthActions(browser).login("off2")
    response = client.post(f"{API}/users/off2/password", json={"password": "tam-thoi-2026"}, headers=bearer(tokens["admin"]))
    assert response.status_code == 204
    assert browser.get(f"{API}/me").status_code == 401  # its sessions ended
    with app.app_context():
        assert auth_services.get_user("off2").must_change_password is True


@pytest.mark.parametrize("password, message", [("ngan", "ít nhất 8"), ("off1", "ít nhất 8"), ("OFF1OFF1", None),
                                               ("12345678", "dễ đoán"), ("x" * 201, "tối đa 200")])
def test_password_rules_through_the_api(app, client, tokens, password, message):
    before = accounts(app)
    response = client.post(f"{API}/users/off1/password", json={"password": password}, headers=bearer(tokens["admin"]))
    if message is None:
        assert response.status_code == 204
        return
    error = assert_error(response, 422, "validation_failed")
    assert message in error["message"]
    assert accounts(app) == before
