"""Sessions as deployed: a real waitress server, a browser's cookie, logout, a server killed with -9."""
from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

from tests.procs import ADMIN_PASSWORD, PortalProcess


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A browser's cookie jar against one server; never follows redirects (the tests look at them)."""

    def __init__(self, base: str, cookie: str | None = None):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        self.cookie = cookie

    def open(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)
        if self.cookie:
            request.add_header("Cookie", f"session={self.cookie}")
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(), response.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace"), exc.headers.get("Location", "")

    def csrf(self, path: str) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.open(path)[1]).group(1)

    def login(self, username: str, password: str) -> None:
        status, _, location = self.open("/login", {"username": username, "password": password, "csrf_token": self.csrf("/login")})
        assert status == 302 and not location.endswith("/login"), status

    def session_cookie(self) -> str:
        return next(c.value for c in self.jar if c.name == "session")


def test_a_copied_cookie_dies_with_logout_and_a_session_outlives_a_killed_server(tmp_path):
    with PortalProcess(tmp_path) as portal:
        portal.init()
        portal.start()
        browser = Browser(portal.url)
        browser.login("admin", ADMIN_PASSWORD)
        copied = browser.session_cookie()
        assert Browser(portal.url, copied).open("/")[0] == 200
        # The session is a record in the database: a server killed with -9 and started again keeps it.
        portal.kill()
        portal.start()
        assert browser.open("/")[0] == 200
        status, _, location = browser.open("/logout", {"csrf_token": browser.csrf("/")})
        assert status == 302 and location.endswith("/login")
        status, _, location = Browser(portal.url, copied).open("/")
        assert status == 302 and "/login" in location
        assert Browser(portal.url, copied).open("/api/v1/me")[0] == 401
