"""Migrations: `init` builds the same schema as the models, and running it again changes nothing (both databases)."""
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal import create_app
from portal.extensions import db
from tests import pg
from tests.conftest import FAST_ARGON2, postgres_url_or_skip


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    """A database with nothing in it, not even the schema: the migrations must build everything."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.sqlite3'}"
        return
    url = postgres_url_or_skip(empty=True)
    yield url
    pg.drop_database(url)


def _fresh_app(tmp_path, url):
    return create_app({"TESTING": True, "SECRET_KEY": "x", "PORTAL_INSTANCE_DIR": str(tmp_path / "i"),
                       "PORTAL_ARCHIVE_DIR": str(tmp_path / "a"), "DATABASE_URL": url,
                       "PORTAL_ARGON2_PARAMS": FAST_ARGON2, "PORTAL_ADMIN_PASSWORD": "mat-khau-admin"})


def schema_diff(connection) -> list:
    """What Alembic's autogenerate would still change to make the database match the models."""
    return compare_metadata(MigrationContext.configure(connection, opts={"render_as_batch": True, "compare_type": True}),
                            db.metadata)


def test_migrations_match_the_models(tmp_path, empty_database_url):
    from portal.maintenance import init_instance

    app = _fresh_app(tmp_path, empty_database_url)
    with app.app_context():
        assert sa.inspect(db.engine).get_table_names() == []
        init_instance()
        with db.engine.connect() as connection:
            diff = schema_diff(connection)
        assert diff == [], diff
        db.engine.dispose()


def test_init_twice_keeps_data_and_schema(tmp_path, empty_database_url):
    app = _fresh_app(tmp_path, empty_database_url)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["init"])
    assert first.exit_code == 0, first.output
    assert "Đã tạo tài khoản quản trị: admin" in first.output
    assert "mat-khau-admin" not in first.output  # the configured password is not echoed
    with app.app_context():
        head = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        db.session.remove()
    second = runner.invoke(args=["init"])
    assert second.exit_code == 0, second.output
    assert "Tài khoản admin đã có; giữ nguyên." in second.output
    with app.app_context():
        from portal.auth import services as auth

        assert auth.get_user("admin") is not None
        assert db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == head
        with db.engine.connect() as connection:
            assert schema_diff(connection) == []
        db.session.remove()
        db.engine.dispose()
