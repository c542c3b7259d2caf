"""Login, logout, throttling, session cookie, CSRF and security headers."""
import pytest

from tests.conftest import PASSWORD, csrf_from


def test_login_page_is_vietnamese(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert "Đăng nhập" in page.text
    assert 'lang="vi"' in page.text


def test_pages_redirect_to_login(client, org_data):
    response = client.get("/org/units")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_login_and_logout(client, auth, org_data):
    response = auth.login("off1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert "Sở Nội vụ" in home.text  # the officer's unit
    assert "Cán bộ 1" in home.text
    response = auth.logout()
    assert response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_wrong_password_gives_one_message_and_no_session(client, auth, org_data):
    response = auth.login("off1", password="sai-mat-khau")
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.text
    assert client.get("/").status_code == 302
    # An unknown user gets the very same message (no account enumeration).
    response = auth.login("khong-co-ai", password="sai-mat-khau")
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.text


def test_login_is_throttled_after_repeated_failures(client, auth, app, org_data):
    limit = app.config["PORTAL_LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        auth.login("off1", password="sai")
    response = auth.login("off1")  # even the right password is refused while throttled
    assert response.status_code == 429
    assert "quá nhiều lần" in response.text
    assert client.get("/").status_code == 302
    # Another account from the same address is not locked by off1's failures.
    assert auth.login("off2").status_code == 302


def test_success_clears_failures(client, auth, app, org_data):
    for _ in range(app.config["PORTAL_LOGIN_MAX_FAILURES"] - 1):
        auth.login("off1", password="sai")
    assert auth.login("off1").status_code == 302
    auth.logout()
    for _ in range(app.config["PORTAL_LOGIN_MAX_FAILURES"] - 1):
        auth.login("off1", password="sai")
    assert auth.login("off1").status_code == 302


def test_next_only_follows_local_paths(client, org_data):
    for target, expected in (("/org/units", "/org/units"), ("https://evil.example/", "/"), ("//evil.example", "/")):
        client.get("/login")
        page = client.get(f"/login?next={target}")
        response = client.post("/login", data={"username": "admin", "password": PASSWORD, "next": target,
                                               "csrf_token": csrf_from(page.text)})
        assert response.headers["Location"] == expected
        client.post("/logout", data={"csrf_token": csrf_from(client.get("/").text)})


def test_session_cookie_is_httponly_and_samesite(client, auth, org_data):
    response = auth.login("admin")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_login_without_csrf_token_is_refused(client, org_data):
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
    assert "tải lại trang" in response.text
    assert client.get("/").status_code == 302


def test_logout_needs_a_post_with_csrf(client, auth, org_data):
    auth.login("admin")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_password_change_ends_other_sessions(client, auth, app, org_data):
    auth.login("off1")
    assert client.get("/").status_code == 200
    with app.app_context():
        from portal.auth import services

        services.set_password(None, services.get_user("off1"), "mat-khau-moi-123")
    assert client.get("/").status_code == 302


def test_inactive_user_cannot_log_in(client, auth, app, org_data):
    from portal.extensions import db

    with app.app_context():
        from portal.auth import services

        user = services.get_user("off2")
        user.active = False
        db.session.commit()
    response = auth.login("off2")
    assert response.status_code == 200
    assert "không đúng" in response.text


def test_security_headers(client, auth, org_data):
    auth.login("admin")
    response = client.get("/org/units")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "no-store"
    # No inline script anywhere on the page (the CSP would block it).
    assert "<script>" not in response.text and "onclick=" not in response.text


def test_error_pages_are_vietnamese(client, auth, org_data):
    auth.login("admin")
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.text


def test_500_page_is_vietnamese_and_rolls_back(app, client, auth, org_data):
    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    auth.login("admin")
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Lỗi hệ thống" in response.text
    assert "RuntimeError" not in response.text


def test_language_switch_to_english_and_back(client, auth, org_data):
    auth.login("admin")
    token = auth.csrf()
    client.post("/lang/en", data={"csrf_token": token, "next": "/org/units"})
    page = client.get("/org/units")
    assert 'lang="en"' in page.text
    assert "Units" in page.text
    client.post("/lang/vi", data={"csrf_token": auth.csrf(), "next": "/"})
    assert "Đơn vị" in client.get("/org/units").text


def test_htmx_request_without_login_gets_a_redirect_header(client):
    response = client.get("/org/units", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_board_creates_an_account_on_the_users_page(client, auth, app, org_data):
    auth.login("admin")
    token = auth.csrf("/users")
    response = client.post("/users", data={"csrf_token": token, "username": "moi.canbo", "full_name": "Trần Thị Mới",
                                           "role": "officer", "unit": "U3", "password": "mat-khau-dai"})
    assert response.status_code == 302
    with app.app_context():
        from portal.auth import services

        user = services.get_user("moi.canbo")
        assert user.unit.code == "U3" and user.full_name == "Trần Thị Mới"


@pytest.mark.parametrize("data, message", [
    ({"username": "X Y", "role": "officer", "unit": "U1", "password": "mat-khau-dai"}, "Tên đăng nhập gồm"),
    ({"username": "abc", "role": "officer", "unit": "", "password": "mat-khau-dai"}, "phải gắn với một đơn vị"),
    ({"username": "abc", "role": "viewer", "unit": "", "password": "ngan"}, "ít nhất 8 ký tự"),
])
def test_bad_account_form_changes_nothing(client, auth, app, org_data, data, message):
    auth.login("admin")
    response = client.post("/users", data={"csrf_token": auth.csrf("/users"), "full_name": "", **data})
    assert response.status_code == 422
    assert message in response.text
    with app.app_context():
        from portal.auth import services

        assert len(services.list_users()) == 6


def test_officers_cannot_see_or_create_accounts(client, auth, org_data):
    auth.login("off1")
    assert client.get("/users").status_code == 403
    response = client.post("/users", data={"csrf_token": auth.csrf(), "username": "x1", "role": "admin", "password": "12345678"})
    assert response.status_code == 403
