"""PostgreSQL for real: the URL works as documented, `init` hides the password, the demo loads, edge values."""
import dataclasses
import io
import time

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.config import masked_database_url, normalise_database_url
from portal.extensions import db
from tests import pg
from tests import pdf_factory
from tests.conftest import FAST_ARGON2, postgres_url_or_skip, postgresql_only


@pytest.mark.parametrize(("given", "used"), [
    ("postgresql://thidua:bi-mat@db.local/thidua", "postgresql+psycopg://thidua:bi-mat@db.local/thidua"),
    ("postgres://thidua:bi-mat@db.local:5433/thidua", "postgresql+psycopg://thidua:bi-mat@db.local:5433/thidua"),
    ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
    ("postgresql+psycopg2://u@h/d", "postgresql+psycopg2://u@h/d"),  # a driver chosen on purpose is kept
    ("sqlite:////srv/portal.sqlite3", "sqlite:////srv/portal.sqlite3"),
])
def test_database_url_is_normalised_to_psycopg3(given, used):
    assert normalise_database_url(given) == used


def test_database_url_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://thidua:bi-mat@db.local/thidua")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "PORTAL_INSTANCE_DIR": str(tmp_path / "i"),
                      "PORTAL_ARCHIVE_DIR": str(tmp_path / "a")})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://thidua:bi-mat@db.local/thidua"
    with app.app_context():
        assert db.engine.dialect.driver == "psycopg"  # the engine is made (no connection yet): the driver is installed
        db.engine.dispose()


def test_masked_database_url_hides_only_the_password():
    assert masked_database_url("postgresql+psycopg://thidua:p%40ss@db.local:5433/thidua") == \
        "postgresql+psycopg://thidua:***@db.local:5433/thidua"
    assert masked_database_url("sqlite:////srv/portal.sqlite3") == "sqlite:////srv/portal.sqlite3"


def _pg_app(tmp_path, url, **extra):
    return create_app({"TESTING": True, "SECRET_KEY": "x", "PORTAL_INSTANCE_DIR": str(tmp_path / "instance"),
                       "PORTAL_ARCHIVE_DIR": str(tmp_path / "archive"), "PORTAL_INDEX_DIR": str(tmp_path / "index"),
                       "DATABASE_URL": url, "PORTAL_ARGON2_PARAMS": FAST_ARGON2, "PORTAL_TASKS_IMMEDIATE": True, **extra})


@pytest.fixture
def empty_pg_url():
    url = postgres_url_or_skip(empty=True)
    yield url
    pg.drop_database(url)


def test_init_on_postgres_never_prints_the_password(tmp_path, empty_pg_url, monkeypatch):
    monkeypatch.delenv("PORTAL_ADMIN_PASSWORD", raising=False)
    # The test cluster trusts loopback, so any password connects; as written by a user: postgresql://.
    url = empty_pg_url.replace("postgresql+psycopg://postgres@", "postgresql://postgres:mat-khau-csdl-9f3@")
    app = _pg_app(tmp_path, url)
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "mat-khau-csdl-9f3" not in result.output
    assert "Cơ sở dữ liệu: postgresql+psycopg://postgres:***@127.0.0.1:" in result.output
    with app.app_context():
        db.engine.dispose()


def test_demo_loads_on_postgres_from_an_empty_database(tmp_path, empty_pg_url):
    """`demo` migrates an empty PostgreSQL database and loads the province, schedules and scores; twice is safe.

    Without the sample PDFs: with them the command takes minutes on SQLite and PostgreSQL alike (each
    PDF is inspected in a sandboxed child process; the database's share is ~20 s), and ingest on
    PostgreSQL is covered by the document tests.
    """
    app = _pg_app(tmp_path, empty_pg_url)
    runner = app.test_cli_runner()
    started = time.perf_counter()
    result = runner.invoke(args=["demo", "--no-documents"])
    seconds = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    print(f"demo --no-documents on PostgreSQL: {seconds:.1f} s")
    again = runner.invoke(args=["demo", "--no-documents"])
    assert again.exit_code == 0, again.output
    assert "Đơn vị: 0 mới" in again.output
    from tests.conftest import AuthActions

    client = app.test_client()
    assert AuthActions(client).login(as_="bantdkt", password="demo-Thidua-2026").status_code == 302
    results = client.get("/api/v1/years/2025/blocs/K1/results").get_json()
    assert results["items"] and all(item["rank"] for item in results["items"] if item.get("complete", True))
    progress = client.get("/api/v1/years/2025/progress").get_json()
    assert len(progress["blocs"]) == 6
    assert client.get("/").status_code == 200
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@postgresql_only
def test_vietnamese_collation_exists_on_the_test_cluster(app):
    """portal.db.vi_collate orders by ICU's `vi-x-icu` on PostgreSQL: Debian's build has it."""
    from portal.db import vi_collate
    from portal.org.models import Unit

    with app.app_context():
        names = ["Sở Y tế", "Sở Tài chính", "Ban Dân tộc", "Đài Phát thanh", "Ủy ban nhân dân", "Ấp Bắc", "Anh"]
        for i, name in enumerate(names):
            db.session.add(Unit(code=f"U{i}", name=name, short_name=name, kind="so_nganh"))
        db.session.commit()
        ordered = list(db.session.scalars(sa.select(Unit.name).order_by(vi_collate(Unit.name))))
        assert ordered == ["Anh", "Ấp Bắc", "Ban Dân tộc", "Đài Phát thanh", "Sở Tài chính", "Sở Y tế", "Ủy ban nhân dân"]


# --- what PostgreSQL refuses and SQLite took: on both databases ----------------------------------

PLAN_TEXT = """ỦY BAN NHÂN DÂN TỈNH LAM SƠN
Số: 27/KH-UBND                    Lam Sơn, ngày 10 tháng 01 năm 2025
KẾ HOẠCH
Tổ chức hoạt động các Khối thi đua thuộc tỉnh năm 2025
"""


def _with_nul(text: str) -> str:
    return text.replace("KẾ HOẠCH", "KẾ\x00 HOẠCH").replace("Khối", "Kh\x00ối") + "\x00"


def test_nul_in_a_pdf_text_layer_is_dropped_before_storing(ctx, org_data, monkeypatch):
    from portal.auth import services as auth
    from portal.documents import services as docs

    real = docs._guarded_inspect

    def inspect_with_nul(*args, **kwargs):
        found = real(*args, **kwargs)
        return dataclasses.replace(found, pages_text=[_with_nul(page) for page in found.pages_text])

    monkeypatch.setattr(docs, "_guarded_inspect", inspect_with_nul)
    document = docs.ingest(auth.get_user("admin"), io.BytesIO(pdf_factory.make_text_pdf(None, PLAN_TEXT)), "kh.pdf", {}).document
    db.session.expire_all()
    stored = docs.get_document(document.id)
    assert "\x00" not in stored.text and "KẾ HOẠCH" in stored.text and "Khối thi đua" in stored.text
    assert stored.number == "27/KH-UBND"


def test_nul_in_ocr_text_is_dropped_before_storing(ctx, org_data, monkeypatch):
    from portal.auth import services as auth
    from portal.documents import ocr
    from portal.documents import services as docs

    def fake_ocr(path, **kwargs):
        return ocr.OcrResult(pages_text=[_with_nul(PLAN_TEXT)], page_count=1)

    monkeypatch.setattr(ocr, "ocr_pdf", fake_ocr)
    scanned = pdf_factory.make_scanned_pdf(None, "KẾ HOẠCH")
    document = docs.ingest(auth.get_user("admin"), io.BytesIO(scanned), "scan.pdf", {}).document  # OCR runs at once in tests
    db.session.expire_all()
    stored = docs.get_document(document.id)
    assert stored.ocr_status == "done" and stored.text_source == "ocr"
    assert "\x00" not in stored.text and "Khối thi đua" in stored.text


@pytest.mark.parametrize("value", [2**31, 2**63, 10**30, -(2**63) - 1, "2147483648", "12abc", True])
def test_getters_answer_not_found_for_ids_no_row_can_have(ctx, org_data, value):
    """Ids are PostgreSQL `integer`: a bigger number reached the driver and failed the request (500)."""
    from portal.auth import services as auth
    from portal.documents import services as docs
    from portal.errors import NotFound
    from portal.org import services as org
    from portal.schedule import services as schedule
    from portal.scoring import services as scoring

    admin = auth.get_user("admin")
    table = scoring.table_for(org.get_bloc("K1"), 2025)
    getters = [docs.get_document, lambda v: docs.get_document_for(admin, v), schedule.get_milestone,
               scoring.get_table, scoring.get_scorecard, lambda v: scoring.get_criterion(table, v)]
    if isinstance(value, int):
        getters += [org.get_unit, org.get_bloc]
    for getter in getters:
        with pytest.raises(NotFound):
            getter(value)
    assert org.get_unit("U1").code == "U1"  # the session is still usable


def test_first_save_of_a_score_at_version_0_succeeds(ctx, org_data):
    """A never-set score has version 0; its first save must store version 1 (PostgreSQL answered 409)."""
    from portal.auth import services as auth
    from portal.errors import Conflict
    from tests.unit.test_scoring_services import build_table

    _table, cards, criteria = build_table()
    admin = auth.get_user("admin")
    cell = scoring_save(admin, cards["U1"], criteria[0], "8.5", 0)
    assert (cell.version, str(cell.points)) == (1, "8.5")
    with pytest.raises(Conflict):
        scoring_save(admin, cards["U1"], criteria[0], "9", 0)  # someone saved it first: stale
    assert scoring_save(admin, cards["U1"], criteria[0], "9", 1).version == 2


def scoring_save(actor, card, criterion, points, version):
    from portal.scoring import services as scoring

    return scoring.save_score(actor, card, criterion, "bloc", points, version)
