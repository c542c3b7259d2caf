"""Sessions that really end, accounts the Board can run, passwords, tokens and login throttling (issue 11 §3–5)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.audit import AuditEvent
from portal.auth import services as auth_services
from portal.auth.models import ApiToken, User, UserSession
from portal.extensions import db
from portal.text import utcnow
from tests.conftest import PASSWORD, AuthActions, csrf_from, make_app

API = "/api/v1"
NEW_PASSWORD = "mot-mat-khau-moi-2026"


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def with_cookie(app, value: str):
    """A fresh browser that carries a copied session cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def logged_in(client) -> bool:
    return client.get("/").status_code == 200


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def audit_actions(app, username: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "user",
                                                                          AuditEvent.object_id == username)
                                       .order_by(AuditEvent.id)))


# --- sessions ---------------------------------------------------------------------------------------

def test_a_copied_cookie_is_refused_after_logout(app, client, auth, org_data):
    auth.login("off1")
    copied = session_cookie(client)
    thief = with_cookie(app, copied)
    assert logged_in(thief)  # the copy works while the session lives...
    auth.logout()
    assert not logged_in(client)
    assert thief.get("/").status_code == 302  # ...and dies with it on the server
    assert thief.get(f"{API}/me").status_code == 401


def test_login_renews_the_session_id(app, client, auth, org_data):
    auth.login("off1")
    first = session_cookie(client)
    auth.logout()
    auth.login("off1")
    assert session_cookie(client) != first
    assert not logged_in(with_cookie(app, first))
    with app.app_context():
        rows = db.session.scalars(sa.select(UserSession).order_by(UserSession.id)).all()
        assert [r.ended_at is not None for r in rows] == [True, False]
        assert len({r.token_hash for r in rows}) == 2


@pytest.mark.parametrize("field, age", [("last_seen_at", timedelta(minutes=241)), ("created_at", timedelta(hours=13))])
def test_idle_and_absolute_timeouts_end_a_session(app, client, auth, org_data, field, age):
    auth.login("off1")
    assert logged_in(client)
    with app.app_context():
        row = db.session.scalar(sa.select(UserSession))
        setattr(row, field, utcnow() - age)
        if field == "created_at":
            row.last_seen_at = utcnow()
        db.session.commit()
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with app.app_context():
        assert db.session.scalar(sa.select(UserSession)).ended_at is not None


def test_a_session_in_use_stays_alive_without_a_write_per_request(app, client, auth, org_data):
    auth.login("off1")
    with app.app_context():
        row = db.session.scalar(sa.select(UserSession))
        row.last_seen_at = utcnow() - timedelta(minutes=200)
        db.session.commit()
    assert logged_in(client)
    with app.app_context():
        seen = db.session.scalar(sa.select(UserSession)).last_seen_at
    assert logged_in(client)
    with app.app_context():
        assert db.session.scalar(sa.select(UserSession)).last_seen_at == seen  # touched at most once a minute


def test_changing_ones_password_ends_the_other_sessions_only(app, client, auth, org_data):
    auth.login("off1")
    other = app.test_client()
    AuthActions(other).login("off1")
    page = client.get("/account")
    assert page.status_code == 200 and "Đổi mật khẩu" in page.text
    response = client.post("/account/password", data={"csrf_token": csrf_from(page.text), "current": PASSWORD,
                                                       "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert logged_in(client)
    assert not logged_in(other)
    assert AuthActions(app.test_client()).login("off1", NEW_PASSWORD).status_code == 302
    assert "change_password" in audit_actions(app, "off1")


@pytest.mark.parametrize("form, message", [
    ({"current": "sai-mat-khau", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, "Mật khẩu hiện tại không đúng"),
    ({"current": PASSWORD, "password": "ngan", "confirm": "ngan"}, "ít nhất 8 ký tự"),
    ({"current": PASSWORD, "password": "off1", "confirm": "off1"}, "ít nhất 8 ký tự"),
    ({"current": PASSWORD, "password": "12345678", "confirm": "12345678"}, "quá dễ đoán"),
    ({"current": PASSWORD, "password": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa"}, "quá dễ đoán"),
    ({"current": PASSWORD, "password": PASSWORD, "confirm": PASSWORD}, "phải khác mật khẩu hiện tại"),
    ({"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"}, "không khớp"),
])
def test_a_refused_password_change_says_why_and_changes_nothing(app, client, auth, org_data, form, message):
    auth.login("off1")
    with app.app_context():
        before = auth_services.get_user("off1").password_hash
    response = client.post("/account/password", data={"csrf_token": auth.csrf("/account"), **form})
    assert response.status_code == 422
    assert message in response.text
    with app.app_context():
        assert auth_services.get_user("off1").password_hash == before


def test_password_rules_are_stated_in_vietnamese(client, auth, org_data):
    auth.login("admin")
    for path in ("/account", "/users", "/users/off1"):
        assert "Mật khẩu dài 8–200 ký tự, khác tên đăng nhập" in client.get(path).text


# --- the Board runs accounts -----------------------------------------------------------------------

def test_board_edits_an_account_on_its_page(app, client, auth, org_data):
    auth.login("admin")
    page = client.get("/users/off1")
    assert page.status_code == 200 and "Cán bộ 1" in page.text
    response = client.post("/users/off1", data={"csrf_token": csrf_from(page.text), "full_name": "Âu Minh Khoa",
                                                 "role": "officer", "unit": "U3", "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        user = auth_services.get_user("off1")
        assert (user.full_name, user.unit.code, user.active) == ("Âu Minh Khoa", "U3", True)
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "update").order_by(AuditEvent.id.desc()))
        assert event.before["unit"] == "U1" and event.after["unit"] == "U3" and event.after["full_name"] == "Âu Minh Khoa"
    listing = client.get("/users").text
    assert "Âu Minh Khoa" in listing and 'href="/users/off1"' in listing


def test_deactivating_ends_sessions_and_tokens_at_once(app, client, auth, org_data):
    officer = app.test_client()
    AuthActions(officer).login("off1")
    with app.app_context():
        token = auth_services.create_token(None, auth_services.get_user("off1"), "bảng tính")
    assert officer.get(f"{API}/me").status_code == 200
    auth.login("admin")
    page = client.get("/users/off1")
    response = client.post("/users/off1", data={"csrf_token": csrf_from(page.text), "full_name": "Cán bộ 1",
                                                 "role": "officer", "unit": "U1"})  # "active" unticked
    assert response.status_code == 302
    assert officer.get(f"{API}/me").status_code == 401
    assert officer.get("/").status_code == 302
    assert app.test_client().get(f"{API}/me", headers=bearer(token)).status_code == 401
    assert AuthActions(app.test_client()).login("off1").status_code == 200  # refused with the one message
    assert "Đã khóa" in client.get("/users").text
    # Reactivated: the person logs in again; the old tokens stay revoked.
    response = client.post("/users/off1", data={"csrf_token": auth.csrf("/users/off1"), "full_name": "Cán bộ 1",
                                                 "role": "officer", "unit": "U1", "active": "y"})
    assert response.status_code == 302
    assert AuthActions(app.test_client()).login("off1").status_code == 302
    assert app.test_client().get(f"{API}/me", headers=bearer(token)).status_code == 401
    assert audit_actions(app, "off1")[-2:] == ["deactivate", "reactivate"]


def test_the_board_cannot_lock_itself_out(app, client, auth, org_data):
    auth.login("admin")
    response = client.post("/users/admin", data={"csrf_token": auth.csrf("/users/admin"), "full_name": "Nguyễn Văn Quản",
                                                  "role": "viewer", "unit": ""})
    assert response.status_code == 422 and "tự khóa hoặc tự bỏ quyền quản trị" in response.text
    with app.app_context():
        user = auth_services.get_user("admin")
        assert (user.role, user.active) == ("admin", True)


def test_an_officer_needs_a_unit(app, client, auth, org_data):
    auth.login("admin")
    response = client.post("/users/viewer", data={"csrf_token": auth.csrf("/users/viewer"), "full_name": "Người Xem",
                                                   "role": "officer", "unit": "", "active": "y"})
    assert response.status_code == 422 and "phải gắn với một đơn vị" in response.text
    with app.app_context():
        assert auth_services.get_user("viewer").role == "viewer"


def test_a_temporary_password_must_be_changed_at_next_login(app, client, auth, org_data):
    officer = app.test_client()
    AuthActions(officer).login("off1")
    auth.login("admin")
    response = client.post("/users/off1/password", data={"csrf_token": auth.csrf("/users/off1"), "password": "tam-thoi-2026"})
    assert response.status_code == 302
    assert not logged_in(officer)  # the Board's reset ends the user's sessions
    assert AuthActions(officer).login("off1", PASSWORD).status_code == 200  # the old password is gone
    response = AuthActions(officer).login("off1", "tam-thoi-2026")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account")
    # Every other page and API call sends the user to choose a password first.
    assert officer.get("/documents").headers["Location"].endswith("/account")
    response = officer.get(f"{API}/years/2026/progress")
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "password_change_required"
    page = officer.get("/account")
    assert "mật khẩu tạm" in page.text
    response = officer.post("/account/password", data={"csrf_token": csrf_from(page.text), "current": "tam-thoi-2026",
                                                        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert officer.get("/documents").status_code == 200
    assert audit_actions(app, "off1")[-2:] == ["reset_password", "change_password"]
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.object_type == "user")).all()
        assert not any("tam-thoi" in str((e.before, e.after, e.summary)) for e in events)  # never the password itself


def test_officers_and_viewers_cannot_reach_account_management(app, client, auth, org_data):
    for username in ("off1", "viewer"):
        auth.login(username)
        token = auth.csrf()
        assert client.get("/users/off2").status_code == 403
        assert client.post("/users/off2", data={"csrf_token": token, "role": "admin", "full_name": "x"}).status_code == 403
        assert client.post("/users/off2/password", data={"csrf_token": token, "password": "chiem-quyen-2026"}).status_code == 403
        auth.logout()
    with app.app_context():
        assert auth_services.get_user("off2").role == "officer"


# --- tokens -------------------------------------------------------------------------------------

def test_everyone_lists_creates_and_revokes_their_own_tokens(app, client, auth, org_data):
    auth.login("viewer")
    page = client.get("/account")
    response = client.post("/account/tokens", data={"csrf_token": csrf_from(page.text), "name": "Bảng tính tổng hợp"})
    assert response.status_code == 200
    token = response.text.split('<code class="token">')[1].split("</code>")[0]
    assert token.startswith("tdp_")
    assert app.test_client().get(f"{API}/me", headers=bearer(token)).get_json()["username"] == "viewer"
    page = client.get("/account")
    assert token not in page.text and token[:12] in page.text and "Bảng tính tổng hợp" in page.text  # shown once
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    assert client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(page.text)}).status_code == 302
    assert app.test_client().get(f"{API}/me", headers=bearer(token)).status_code == 401
    assert "Đã thu hồi" in client.get("/account").text


def test_nobody_revokes_another_users_token_from_their_own_page(app, client, auth, org_data):
    with app.app_context():
        token = auth_services.create_token(None, auth_services.get_user("off2"), "")
        token_id = db.session.scalar(sa.select(ApiToken.id))
    auth.login("off1")
    assert client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": auth.csrf()}).status_code == 404
    assert app.test_client().get(f"{API}/me", headers=bearer(token)).status_code == 200
    auth.logout()
    auth.login("admin")  # the Board can, from the account's page
    response = client.post(f"/users/off2/tokens/{token_id}/revoke", data={"csrf_token": auth.csrf()})
    assert response.status_code == 302
    assert app.test_client().get(f"{API}/me", headers=bearer(token)).status_code == 401


# --- throttling -------------------------------------------------------------------------------------

def login_from(app, address: str, username: str, password: str, *, forwarded: str | None = None):
    client = app.test_client()
    page = client.get("/login", environ_base={"REMOTE_ADDR": address})
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def test_a_stranger_cannot_lock_a_user_out_from_their_own_desk(app, org_data):
    for _ in range(5):
        assert login_from(app, "203.0.113.9", "off1", "doan-mo").status_code == 200
    assert login_from(app, "203.0.113.9", "off1", PASSWORD).status_code == 429  # the guesser's address is held
    assert login_from(app, "10.1.2.3", "off1", PASSWORD).status_code == 302      # the officer's desk is not


def test_an_address_trying_many_accounts_meets_its_ceiling(app, org_data):
    with app.app_context():
        limit = app.config["PORTAL_LOGIN_MAX_FAILURES_PER_IP"]
    for i in range(limit):
        login_from(app, "198.51.100.7", f"khong-co-{i}", "doan-mo")
    assert login_from(app, "198.51.100.7", "off2", PASSWORD).status_code == 429
    assert login_from(app, "10.1.2.3", "off2", PASSWORD).status_code == 302


def test_an_account_tried_from_many_addresses_meets_the_slower_ceiling(tmp_path, database_url):
    from tests.conftest import Org

    app = make_app(tmp_path, DATABASE_URL=database_url, PORTAL_LOGIN_MAX_FAILURES_PER_ACCOUNT=12)
    Org(app)
    for i in range(12):
        assert login_from(app, f"192.0.2.{i + 1}", "off4", "doan-mo").status_code == 200
    assert login_from(app, "192.0.2.200", "off4", PASSWORD).status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(tmp_path, database_url):
    from tests.conftest import Org

    app = make_app(tmp_path, DATABASE_URL=database_url, PORTAL_TRUSTED_PROXIES=1)
    Org(app)
    for _ in range(5):
        login_from(app, "127.0.0.1", "off1", "doan-mo", forwarded="203.0.113.9")
    assert login_from(app, "127.0.0.1", "off1", PASSWORD, forwarded="203.0.113.9").status_code == 429
    assert login_from(app, "127.0.0.1", "off1", PASSWORD, forwarded="10.1.2.3").status_code == 302
    with app.app_context():
        assert set(db.session.scalars(sa.select(UserSession.ip))) == {"10.1.2.3"}


def test_without_trusted_proxies_a_forwarded_header_is_ignored(app, org_data):
    for i in range(5):
        login_from(app, "203.0.113.9", "off1", "doan-mo", forwarded=f"10.9.9.{i}")  # a client picking its own address
    assert login_from(app, "203.0.113.9", "off1", PASSWORD, forwarded="10.1.2.3").status_code == 429


def test_account_pages_list_sessions_with_address(app, client, auth, org_data):
    auth.login("off1")
    page = client.get("/account")
    assert "phiên này" in page.text and "127.0.0.1" in page.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 6


def test_old_session_records_and_login_attempts_are_purged(app, client, auth, org_data):
    from portal.auth import sessions
    from portal.auth.models import LoginAttempt

    auth.login("off1")
    auth.logout()
    auth.login("off2")
    with app.app_context():
        for row in db.session.scalars(sa.select(UserSession)):
            if row.ended_at is not None:
                row.ended_at = utcnow() - timedelta(days=31)
        for row in db.session.scalars(sa.select(LoginAttempt)):
            row.at = utcnow() - timedelta(days=31)
        db.session.commit()
        assert sessions.purge_old(days=30) >= 3
        assert db.session.scalar(sa.select(sa.func.count(UserSession.id))) == 1  # off2's live session stays
    assert logged_in(client)
