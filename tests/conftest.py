"""Fixtures in the shape of flaskr's: app, client, runner, auth; plus an org factory and CSRF helpers."""
from __future__ import annotations

import re
import sqlite3
import sys

import pytest

from portal import create_app
from portal.extensions import db
from tests import pg

PASSWORD = "mat-khau-thu-nghiem"
# Cheap argon2 for tests (the real parameters are argon2-cffi's defaults).
FAST_ARGON2 = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


def pytest_report_header(config):
    import pypdf
    import whoosh

    folder = pg.bin_dir()
    postgres = f"PostgreSQL from {folder}" if folder else "no PostgreSQL (its tests skip)"
    if pg.required():
        postgres += f" ({pg.REQUIRE_ENV}=1)"
    return [f"SQLite {sqlite3.sqlite_version}, {postgres}, Whoosh {whoosh.versionstring()}, pypdf {pypdf.__version__}, "
            f"Python {sys.version.split()[0]}"]


def pytest_sessionstart(session):
    """Compile the translation catalogs when they are missing or stale (the install step does it too)."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (Path(__file__).resolve().parent.parent / "portal" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with open(po, "rb") as src:
                catalog = read_po(src)
            with open(mo, "wb") as out:
                write_mo(out, catalog)


def pytest_collection_modifyitems(items):
    """Mark browser tests `e2e` and run them last.

    Playwright's sync API keeps an asyncio loop running in the main thread while the browser lives,
    so code that calls asyncio.run() (pyHanko's signer) must not run after it in the same session.
    """
    browser_tests = [item for item in items if "/e2e/" in str(item.path)]
    for item in browser_tests:
        item.add_marker(pytest.mark.e2e)
    items[:] = [item for item in items if item not in browser_tests] + browser_tests


@pytest.fixture(autouse=True)
def no_leaked_state():
    """Fail the test that leaves process-wide state changed (the clock).

    A benchmark once pinned `now_local` for the rest of the run, so clock tests failed on any other day.
    """
    import portal.text.dates as dates

    clock = dates.now_local
    yield
    leaked = []
    if dates.now_local is not clock:
        dates.now_local = clock
        leaked.append("portal.text.dates.now_local")
    if leaked:
        pytest.fail(f"the test left process-wide state changed: {', '.join(leaked)}")


def make_app(tmp_path, **overrides):
    """Create an app whose instance, archive and index live under tmp_path, with the schema created."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "PORTAL_INSTANCE_DIR": str(tmp_path / "instance"),
        "PORTAL_ARCHIVE_DIR": str(tmp_path / "archive"),
        "PORTAL_INDEX_DIR": str(tmp_path / "index"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "PORTAL_ARGON2_PARAMS": FAST_ARGON2,
        "PORTAL_TASKS_IMMEDIATE": True,
    }
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        db.create_all()
    _made_apps.append(app)
    return app


_made_apps: list = []


def dispose_made_apps() -> None:
    """Close the pooled connections of every app make_app made (psycopg warns about a connection left open).

    The search engines close too: each test's index folder is new, so an engine left open only held
    files until the interpreter's exit (a ResourceWarning per file there).
    """
    from portal.search.services import close_engines

    if _made_apps:
        close_engines()
    while _made_apps:
        app = _made_apps.pop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(autouse=True)
def _dispose_engines():
    yield
    dispose_made_apps()


DATABASES = ("sqlite", "postgresql")
# For a test that is about SQLite itself (its file, its backup API): `@sqlite_only` or `pytestmark = sqlite_only`.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
postgresql_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def postgres_url_or_skip(empty: bool = False) -> str:
    """A fresh PostgreSQL database URL; skips the test without PostgreSQL, or fails it when CI requires one."""
    url = pg.fresh_database_url(empty=empty)
    if url is None:
        if pg.required():
            pytest.fail(pg.missing_message())
        pytest.skip(pg.missing_message())
    return url


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path):
    """A new, empty database with the schema: every test using `app` runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    yield from _postgres_database()


@pytest.fixture
def postgres_database_url():
    """A new PostgreSQL database, for what only PostgreSQL can do (skipped without it, failed when CI requires it)."""
    yield from _postgres_database()


def _postgres_database():
    url = postgres_url_or_skip()
    yield url
    dispose_made_apps()  # the fixtures that use this one are done with it
    pg.drop_database(url)


@pytest.fixture
def app(tmp_path, database_url):
    app = make_app(tmp_path, DATABASE_URL=database_url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An application context for service-level tests."""
    with app.app_context():
        yield app


class Org:
    """A small province: two blocs, six units, memberships for 2025 and 2026 with leaders rotating.

    2025: K1 led by U1 (deputy U2), members U3; K2 led by U4 (deputy U5), member U6.
    2026: K1 led by U2 (deputy U3), member U1;  K2 led by U5, members U4, U6.
    Accounts: admin (Board), off1 (U1), off2 (U2), off4 (U4), off6 (U6), viewer.
    """

    YEAR_A, YEAR_B = 2025, 2026

    def __init__(self, app):
        from portal.auth import services as auth
        from portal.org import services as org

        with app.app_context():
            for i in range(1, 7):
                org.create_unit(None, {"code": f"U{i}", "name": NAMES[i - 1], "short_name": f"Đơn vị {i}", "kind": "so_nganh"})
            org.create_bloc(None, {"code": "K1", "name": "Khối thi đua số 1"})
            org.create_bloc(None, {"code": "K2", "name": "Khối thi đua số 2"})
            R = org.MembershipRow
            org.replace_memberships(None, 2025, [R("U1", "K1", "leader"), R("U2", "K1", "deputy"), R("U3", "K1", "member"),
                                                 R("U4", "K2", "leader"), R("U5", "K2", "deputy"), R("U6", "K2", "member")])
            org.replace_memberships(None, 2026, [R("U2", "K1", "leader"), R("U3", "K1", "deputy"), R("U1", "K1", "member"),
                                                 R("U5", "K2", "leader"), R("U4", "K2", "member"), R("U6", "K2", "member")])
            auth.create_user(None, username="admin", password=PASSWORD, role="admin", full_name="Nguyễn Văn Quản")
            for n in (1, 2, 4, 6):
                auth.create_user(None, username=f"off{n}", password=PASSWORD, role="officer", unit_code=f"U{n}",
                                 full_name=f"Cán bộ {n}")
            auth.create_user(None, username="viewer", password=PASSWORD, role="viewer", full_name="Người Xem")


NAMES = ["Sở Nội vụ", "Sở Tài chính", "Ủy ban nhân dân huyện Bản Mường", "Đài Phát thanh và Truyền hình tỉnh",
         "Sở Y tế", "Ban Dân tộc"]


@pytest.fixture
def org_data(app):
    return Org(app)


TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def csrf_from(html: str) -> str:
    match = TOKEN_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, as_: str = "admin", password: str = PASSWORD):
        page = self._client.get("/login")
        return self._client.post("/login", data={"username": as_, "password": password, "csrf_token": csrf_from(page.text)})

    def logout(self):
        return self._client.post("/logout", data={"csrf_token": self.csrf()})

    def csrf(self, path: str = "/") -> str:
        """Return a valid CSRF token for the client's current session."""
        response = self._client.get(path)
        if response.status_code in (301, 302):
            response = self._client.get("/login")
        return csrf_from(response.text)


@pytest.fixture
def auth(client):
    return AuthActions(client)


def count_queries(app):
    """Context manager counting SQL statements run on the app's engine."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counter():
        statements = []

        def before(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counter()
