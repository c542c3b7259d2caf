"""Migrations: `init` builds the same schema as the models, and running it again changes nothing."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal import create_app
from portal.extensions import db
from tests.conftest import FAST_ARGON2


def _fresh_app(tmp_path):
    return create_app({"TESTING": True, "SECRET_KEY": "x", "PORTAL_INSTANCE_DIR": str(tmp_path / "i"),
                       "PORTAL_ARCHIVE_DIR": str(tmp_path / "a"), "DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}",
                       "PORTAL_ARGON2_PARAMS": FAST_ARGON2, "PORTAL_ADMIN_PASSWORD": "mat-khau-admin"})


def test_migrations_match_the_models(tmp_path):
    from portal.maintenance import init_instance

    app = _fresh_app(tmp_path)
    with app.app_context():
        init_instance()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts={"render_as_batch": True}), db.metadata)
        assert diff == [], diff
        db.engine.dispose()


def test_init_twice_keeps_data(tmp_path):
    from portal.auth import services as auth
    from portal.maintenance import init_instance

    app = _fresh_app(tmp_path)
    with app.app_context():
        first = init_instance()
        assert first["admin_created"] and first["admin_password"] is None  # the configured password is not echoed
        second = init_instance()
        assert not second["admin_created"]
        assert auth.get_user("admin") is not None
        db.engine.dispose()
