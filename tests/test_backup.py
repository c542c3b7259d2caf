"""backup and restore: a round trip keeps every document and original; restore refuses to overwrite by accident."""
import io

from portal import create_app
from portal.auth import services as auth
from portal.documents import services as docs
from portal.extensions import db
from portal.maintenance import init_instance
from tests import pdf_factory
from tests.conftest import FAST_ARGON2
from tests.unit.test_document_services import DIRECTIVE, PLAN


def instance(tmp_path, name):
    base = tmp_path / name
    return create_app({"TESTING": True, "PORTAL_INSTANCE_DIR": str(base / "instance"), "PORTAL_ARCHIVE_DIR": str(base / "archive"),
                       "PORTAL_ARGON2_PARAMS": FAST_ARGON2, "PORTAL_TASKS_IMMEDIATE": True, "PORTAL_ADMIN_PASSWORD": "mat-khau-admin"})


def test_backup_and_restore_round_trip(tmp_path):
    source = instance(tmp_path, "a")
    with source.app_context():
        init_instance()
        admin = auth.get_user("admin")
        plan = docs.ingest(admin, io.BytesIO(pdf_factory.make_text_pdf(None, PLAN)), "kh.pdf", {}).document
        docs.ingest(admin, io.BytesIO(pdf_factory.make_text_pdf(None, DIRECTIVE)), "ct.pdf", {})
        original = docs.original_file(plan).read_bytes()
    result = source.test_cli_runner().invoke(args=["backup", str(tmp_path / "bk")])
    assert result.exit_code == 0, result.output
    assert "2 văn bản, 2 tệp gốc" in result.output
    # A second backup into the same folder is refused.
    assert source.test_cli_runner().invoke(args=["backup", str(tmp_path / "bk")]).exit_code == 1
    with source.app_context():
        db.engine.dispose()

    target = instance(tmp_path, "b")
    result = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
    assert result.exit_code == 0, result.output
    assert "lập lại chỉ mục 2 văn bản" in result.output
    with target.app_context():
        restored = docs.get_document(plan.id)
        assert restored.number == "27/KH-UBND"
        assert docs.original_file(restored).read_bytes() == original
        assert auth.verify_password(auth.get_user("admin"), "mat-khau-admin")
        from portal.search import services as search
        from portal.search.engine import SearchQuery

        assert [h.id for h in search.search(SearchQuery(q="khoi thi dua")).hits] == [plan.id]
        search.close_engines()
        db.engine.dispose()
    # Restoring over a portal that has documents needs --force.
    result = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
    assert result.exit_code == 1 and "--force" in result.output
    with source.app_context():
        from portal.search import services as search

        search.close_engines()


def test_restore_refuses_a_folder_that_is_not_a_backup(tmp_path):
    (tmp_path / "x").mkdir()
    app = instance(tmp_path, "c")
    result = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "x")])
    assert result.exit_code == 1 and "manifest.json" in result.output
