"""Several server processes behave as one portal: the real app under gunicorn (gunicorn.conf.py, preloaded,
2 workers), driven over HTTP.

Each check pins a keep-alive connection to one worker process (a connection stays with the process
that accepted it; the test-only `X-Served-By-Pid` header of tests/wsgi_pid.py names it and every answer
is checked against it), so "logged in through one process, used through the other" is a fact of the
run, not a probability. What is proved: a session made by one worker is good in the other and logout in
one ends it in both; login throttling counts the failures of both; an upload through one worker is found
by a search through the other (whose searcher was already open); two saves of one score cell from the
same version through the two workers give one 200 and one 409 every round.
"""
from __future__ import annotations

import http.client
import http.cookies
import json
import os
import re
import time
import urllib.parse
from pathlib import Path

import pytest

from portal.demo.province import DEMO_PASSWORD
from tests.pdf_factory import make_text_pdf
from tests.procs import PortalProcess, score_race

PID = "X-Served-By-Pid"
YEAR, BLOC = 2026, "K1"  # the demo's open year; huyện Na Hang leads K1 and scores its bloc stage
LEADER = "h-nahang"


class Pinned:
    """HTTP through one worker process: a keep-alive connection that process accepted.

    A connection the server closed when idle (keep-alive timeout) is opened again until the same
    process accepts it. Cookies live in `jar`, which two Pinned can share: one browser whose requests
    land on either process."""

    def __init__(self, port: int, pid: str, jar: dict | None = None, conn: http.client.HTTPConnection | None = None):
        self.port, self.pid, self.conn = port, pid, conn
        self.jar = {} if jar is None else jar

    @classmethod
    def two_workers(cls, port: int, jar: dict | None = None) -> tuple["Pinned", "Pinned"]:
        first = None
        for _ in range(200):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            pid = _probe(conn)
            if first is None:
                first = cls(port, pid, jar, conn)
            elif pid != first.pid:
                return first, cls(port, pid, first.jar, conn)
            else:
                conn.close()
        raise AssertionError("200 connections, all accepted by one process")

    def _reconnect(self) -> None:
        for _ in range(200):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            if _probe(conn) == self.pid:
                self.conn = conn
                return
            conn.close()
        raise AssertionError(f"process {self.pid} accepted none of 200 connections")

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
                token: str | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
        headers = dict(headers or {})
        if self.jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        if token:
            headers["Authorization"] = f"Bearer {token}"
        for _ in range(5):
            if self.conn is None:
                self._reconnect()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError):  # closed while idle: nothing was served
                self.conn.close()
                self.conn = None
        else:
            raise AssertionError(f"{method} {path}: the connection kept failing")
        assert response.headers[PID] == self.pid, "a pinned connection was served by another process"
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(value).items():
                if morsel.value and morsel["max-age"] != "0" and "1970" not in morsel["expires"]:
                    self.jar[name] = morsel.value
                else:
                    self.jar.pop(name, None)
        return response.status, response.headers, data

    def page(self, path: str) -> tuple[int, str, str]:
        status, headers, data = self.request("GET", path)
        return status, data.decode(errors="replace"), headers.get("Location", "")

    def post_form(self, path: str, fields: dict) -> tuple[int, str, str]:
        status, headers, data = self.request("POST", path, body=urllib.parse.urlencode(fields).encode(),
                                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        return status, data.decode(errors="replace"), headers.get("Location", "")

    def csrf(self, path: str) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.page(path)[1]).group(1)

    def login(self, username: str, password: str) -> tuple[int, str, str]:
        return self.post_form("/login", {"username": username, "password": password, "csrf_token": self.csrf("/login")})

    def api(self, method: str, path: str, token: str, payload=None) -> tuple[int, dict]:
        body = json.dumps(payload).encode() if payload is not None else None
        status, _, data = self.request(method, path, body=body, token=token,
                                       headers={"Content-Type": "application/json"} if body else None)
        return status, json.loads(data) if data else {}

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def _probe(conn: http.client.HTTPConnection) -> str:
    conn.request("GET", "/static/favicon.svg")
    response = conn.getresponse()
    response.read()
    assert response.status == 200
    return response.headers[PID]


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    root = tmp_path_factory.mktemp("gunicorn")
    with PortalProcess(root, serve_with="gunicorn", workers=2, pid_header=True) as portal:
        portal.flask("demo", "--no-documents")
        portal.start()
        yield portal


@pytest.fixture
def pair(portal):
    a, b = Pinned.two_workers(portal.port)
    yield a, b
    a.close()
    b.close()


def _parent(pid: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^PPid:\s*(\d+)", status, re.M).group(1))


def test_two_worker_processes_of_one_master_answer(portal, pair):
    a, b = pair
    assert a.pid != b.pid
    if Path("/proc").is_dir():
        assert _parent(a.pid) == _parent(b.pid) == portal.server.pid


def test_a_session_made_by_one_process_works_in_the_other_and_logout_ends_it_in_both(portal, pair):
    a, b = pair
    status, _, location = a.login(LEADER, DEMO_PASSWORD)
    assert status == 302 and not location.endswith("/login")
    copied = dict(a.jar)
    status, body, _ = b.page("/")
    assert status == 200 and 'name="password"' not in body  # the dashboard, not the login form
    assert b.request("GET", "/api/v1/me")[0] == 200
    # Logout through the other process, with the CSRF token of a page the first one made; the copied
    # cookie is dead in both.
    status, _, location = b.post_form("/logout", {"csrf_token": a.csrf("/")})
    assert status == 302 and location.endswith("/login")
    for pinned in (Pinned(portal.port, a.pid, dict(copied), a.conn), Pinned(portal.port, b.pid, dict(copied), b.conn)):
        status, _, location = pinned.page("/")
        assert status == 302 and "/login" in location, (pinned.pid, status)
        assert pinned.request("GET", "/api/v1/me")[0] == 401


def test_login_throttling_counts_the_failures_of_every_process(portal, pair):
    a, b = pair
    username = "svhttdl.canbo"  # not used by the other tests: its lock stays here
    # PORTAL_LOGIN_MAX_FAILURES is 5: 3 failures through one process and 2 through the other, so
    # neither process alone saw enough of them to lock the account.
    for pinned in (a, a, a, b, b):
        status, body, _ = pinned.login(username, "sai-mat-khau")
        assert status == 200 and 'name="password"' in body  # the form again, with its message
    # The right password is refused now, through either process.
    for pinned in (a, b):
        status, _, _ = pinned.login(username, DEMO_PASSWORD)
        assert status == 429, (pinned.pid, status)


def test_an_upload_through_one_process_is_found_by_a_search_through_the_other(portal, pair):
    a, b = pair
    token = portal.token("admin")
    word = "khongtrung" + os.urandom(4).hex()
    # The other process opens its searcher first, so finding the document needs a reopen there.
    status, found = b.api("GET", f"/api/v1/search?q={word}", token)
    assert status == 200 and found["total"] == 0
    pdf = make_text_pdf(None, [f"Kế hoạch thi đua năm 2026\nNội dung {word} cho khối thi đua."])
    boundary = "----thidua" + os.urandom(8).hex()
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="year"\r\n\r\n2026\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="ke-hoach-{word}.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\n").encode() + pdf + f"\r\n--{boundary}--\r\n".encode()
    status, _, data = a.request("POST", "/api/v1/documents", body=body, token=token,
                                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 201, data[:500]
    document_id = json.loads(data)["id"]
    deadline = time.monotonic() + 10
    while True:
        status, found = b.api("GET", f"/api/v1/search?q={word}", token)
        assert status == 200
        if found["total"] or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [item["id"] for item in found["items"]] == [document_id]
    assert b.api("GET", f"/api/v1/documents/{document_id}", token)[0] == 200


def test_a_score_race_across_processes_gives_one_200_and_one_409(portal, pair):
    a, b = pair
    token = portal.token(LEADER)
    status, feed = a.api("GET", f"/api/v1/years/{YEAR}/blocs/{BLOC}/scores", token)
    assert status == 200
    card = feed["scorecards"][0]
    criterion = next(c for c in feed["criteria"] if c.get("max_points") and float(c["max_points"]) >= 8)
    path = f"/api/v1/scores/{card['id']}/{criterion['id']}/bloc"
    version = next(s["version"] for s in card["scores"] if s["criterion"] == criterion["id"] and s["stage"] == "bloc")
    for round_ in range(8):
        winner, _ = score_race(lambda points: a.api("PUT", path, token, {"points": points, "version": version}),
                               lambda points: b.api("PUT", path, token, {"points": points, "version": version}),
                               round_, version)
        status, now = b.api("GET", f"/api/v1/years/{YEAR}/blocs/{BLOC}/scores", token)
        stored = next(s for c in now["scorecards"] if c["id"] == card["id"] for s in c["scores"]
                      if s["criterion"] == criterion["id"] and s["stage"] == "bloc")
        assert stored["version"] == version + 1 and float(stored["points"]) == float(winner)
        version += 1


def test_a_forked_child_drops_the_parents_connections_pools_and_searchers(app):
    """What gunicorn's preload relies on (portal._after_fork_in_child and each module's own fork hook): the child of a fork opens its own
    database connections, task-queue connection, searcher and PDF pools; the parent's stay untouched."""
    import sqlalchemy as sa

    from portal.documents import pdf, thumbnails
    from portal.extensions import db
    from portal.search import services as search
    from portal.tasks import huey

    with app.app_context():
        db.session.execute(sa.text("SELECT 1"))
        parent_pool = db.engine.pool
        held = db.engine.connect()  # a connection checked out at the fork, as a busy thread would hold one
        search.engine()  # an open searcher
        pdf.inspection_pool(app)
        thumbnails.render_pool(app)
        getattr(huey.storage, "conn", None)  # opens the task queue's SQLite connection (a no-op for other storages)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report, never return into pytest
            code = 1
            try:
                with app.app_context():
                    report = {"new_pool": db.engine.pool is not parent_pool,
                              "query": db.session.execute(sa.text("SELECT 1")).scalar(),
                              "searchers": len(search._engines), "appliers": len(search._appliers),
                              "pools": [k for k in ("pdf_inspections", "thumbnail_renders") if k in app.extensions],
                              "queue_connection": getattr(huey.storage, "_conn", None) is None}
                    db.session.remove()
                os.write(write, json.dumps(report).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        _, status = os.waitpid(pid, 0)
        report = json.loads(os.read(read, 65536) or b"{}")
        os.close(read)
        assert os.waitstatus_to_exitcode(status) == 0
        assert report == {"new_pool": True, "query": 1, "searchers": 0, "appliers": 0, "pools": [],
                          "queue_connection": True}
        # The parent's own connection, pool and searcher still work.
        assert held.execute(sa.text("SELECT 1")).scalar() == 1
        held.close()
        assert db.engine.pool is parent_pool and len(search._engines) == 1
        search.close_engines()


def test_the_gunicorn_settings_take_workers_and_threads_from_the_environment(monkeypatch):
    import runpy

    from tests.procs import ROOT

    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setenv("PORTAL_SERVER_THREADS", "6")  # the file writes it back; monkeypatch restores it
    monkeypatch.setenv("PORTAL_WORKERS", "auto")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    cpus = len(os.sched_getaffinity(0))
    assert (settings["workers"], settings["threads"], settings["worker_class"]) == (cpus + 1, 6, "gthread")
    assert settings["preload_app"] and settings["bind"] == ["127.0.0.1:5000"] and settings["forwarded_allow_ips"] == ""
    assert os.environ["PORTAL_SERVER_THREADS"] == "6"
    monkeypatch.setenv("PORTAL_WORKERS", "3")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"] == 3
    monkeypatch.setenv("PORTAL_WORKERS", "0")
    with pytest.raises(ValueError, match="PORTAL_WORKERS"):
        runpy.run_path(str(ROOT / "gunicorn.conf.py"))
