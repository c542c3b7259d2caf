"""The portal on `PORTAL_SEARCH_ENGINE=postgres`: the index is a table of its PostgreSQL database.

The service- and page-level search tests of tests/test_search.py and tests/test_search_like.py run here
again on the postgres engine (imported below: same bodies, this module's `app`/`engine_app`), then what
only this engine can do: two portals with separate instance and index folders share one index.
"""
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.auth import services as accounts
from portal.documents import services as docs
from portal.documents.models import Document
from portal.extensions import db
from portal.search import services as search
from portal.search.engine import SearchQuery
from tests.conftest import FAST_ARGON2, Org, make_app
from tests.test_search import (  # noqa: F401  (collected again here, on the postgres engine)
    FLAG,
    test_check_finds_changed_and_missing_originals,
    test_crash_between_commit_and_indexing_is_repaired,
    test_metadata_edit_reaches_the_index,
    test_reindex_and_check_commands,
    test_reindex_rebuilds_from_the_database,
    test_search_page_fragment_and_api,
    test_snippets_escape_document_html,
    test_trash_hides_and_restore_brings_back,
    test_uploaded_document_is_searchable_right_after_commit,
    upload,
)
from tests.test_search_like import (  # noqa: F401
    TOPICS,
    _archive,
    test_api_page_and_fragment,
    test_cited_number_brings_the_cited_document,
    test_document_of_common_words_still_finds_its_neighbours,
    test_engine_statistics_agree_with_the_seam_fallback,
    test_filters_apply_and_facets_count_the_hits,
    test_nearest_first_never_itself_accents_ignored,
    test_trashed_document_has_no_similar,
    test_trashed_documents_never_come_back,
)
from tests.unit.test_document_services import DIRECTIVE, PLAN


@pytest.fixture
def database_url(postgres_database_url):
    """PostgreSQL only: the engine needs it (skipped without PostgreSQL, failed when CI requires it)."""
    return postgres_database_url


@pytest.fixture
def app(tmp_path, database_url):
    app = make_app(tmp_path, DATABASE_URL=database_url, PORTAL_SEARCH_ENGINE="postgres")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def engine_app(app):
    Org(app)
    return app


def test_the_index_is_the_search_index_table(engine_app):
    with engine_app.app_context():
        plan = upload(PLAN)
        eng = search.engine()
        assert eng.name == "postgres" and eng.db is db.engine  # the app's own pool
        row = db.session.execute(sa.text("SELECT id, number_key, title FROM search_index")).one()
        assert (row.id, row.number_key) == (plan.id, "27-kh-ubnd")
        assert not list(Path(engine_app.config["PORTAL_INDEX_DIR"]).glob("postgres*"))  # no index folder


def test_api_and_page_search_facets_like_and_trash(app, client, auth, org_data):
    with app.app_context():
        flag, plan = upload(FLAG).id, upload(PLAN).id
        upload(DIRECTIVE, name="ct.pdf")
    auth.login("off1")
    body = client.get("/api/v1/search?q=thi+dua").get_json()
    assert {i["id"] for i in body["items"]} >= {flag, plan}
    assert body["total"] == len(body["items"])
    assert sum(body["facets"]["type"].values()) == body["total"]
    only_kh = client.get("/api/v1/search?q=thi+dua&type=KH").get_json()
    assert [i["id"] for i in only_kh["items"]] == [plan] and only_kh["facets"]["type"] == {"KH": 1}
    number = client.get("/api/v1/search?q=27/KH-UBND").get_json()
    assert [i["id"] for i in number["items"]] == [plan]
    assert "<mark>" in client.get("/api/v1/search?q=co+thi+dua").get_json()["items"][0]["snippet"]
    page = client.get("/search?q=Cờ+thi+đua")
    assert page.status_code == 200 and "<mark>Cờ thi đua</mark>" in page.text
    like = client.get(f"/api/v1/search?like={flag}").get_json()
    assert flag not in [i["id"] for i in like["items"]]
    with app.app_context():
        docs.delete(accounts.get_user("admin"), db.session.get(Document, plan))
    after = client.get("/api/v1/search?q=thi+dua").get_json()
    assert plan not in [i["id"] for i in after["items"]]
    assert client.get("/search?q=27/KH-UBND").status_code == 200
    assert client.get("/api/v1/search?q=27/KH-UBND").get_json()["total"] == 0


def test_two_portals_with_their_own_folders_share_one_index(tmp_path, database_url):
    """An upload through one portal process is searchable through another at once (no index folder to copy)."""
    first = make_app(tmp_path / "one", DATABASE_URL=database_url, PORTAL_SEARCH_ENGINE="postgres")
    second = make_app(tmp_path / "two", DATABASE_URL=database_url, PORTAL_SEARCH_ENGINE="postgres")
    Org(first)
    with first.app_context():
        plan = upload(PLAN)
    with second.app_context():
        assert [h.id for h in search.search(SearchQuery(q="khoi thi dua")).hits] == [plan.id]
        docs.delete(accounts.get_user("admin"), db.session.get(Document, plan.id))
    with first.app_context():
        assert search.search(SearchQuery(q="khoi thi dua")).hits == []


def _config(tmp_path, url, engine):
    return {"TESTING": True, "SECRET_KEY": "x", "PORTAL_INSTANCE_DIR": str(tmp_path / "i"), "DATABASE_URL": url,
            "PORTAL_ARCHIVE_DIR": str(tmp_path / "a"), "PORTAL_SEARCH_ENGINE": engine, "PORTAL_ARGON2_PARAMS": FAST_ARGON2}


def test_postgres_engine_on_sqlite_stops_the_start(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    with pytest.raises(ValueError, match="PORTAL_SEARCH_ENGINE=postgres cần DATABASE_URL là PostgreSQL"):
        create_app(_config(tmp_path, database_url, "postgres"))
    with pytest.raises(ValueError, match="PORTAL_SEARCH_ENGINE='lucene' không được hỗ trợ"):
        create_app(_config(tmp_path, database_url, "lucene"))
    assert create_app(_config(tmp_path, database_url, " Tantivy ")).config["PORTAL_SEARCH_ENGINE"] == "tantivy"


def test_health_reports_the_index_table(app, client):
    body = client.get("/api/v1/health").get_json()
    assert body["index"] == "ok" and body["db"] == "ok"
