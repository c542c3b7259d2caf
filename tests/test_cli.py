"""The command line (DESIGN §4): init, user create, create-token, org load, demo."""
import logging
import re

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.audit import AuditEvent
from portal.auth import services as auth
from portal.auth.models import User
from portal.demo import province
from portal.extensions import db
from portal.org import services as org
from portal.org.models import Bloc, Membership, Unit
from tests.conftest import FAST_ARGON2, AuthActions

GOOD_SHEET = """\ufeffMã đơn vị;Tên đơn vị;Tên viết tắt;Loại;Mã khối;Tên khối;Năm;Vai trò
SNV;Sở Nội vụ;SNV;Sở, ban, ngành;KT;Khối thi đua Kinh tế - Tổng hợp;2025;Trưởng khối
STC;Sở Tài chính;STC;so_nganh;KT;;2025;Phó Trưởng khối
SCT;Sở Công Thương;;so_nganh;KT;;2025;Thành viên
SNV;;;;KT;;2026;Thành viên
STC;;;;KT;;2026;Trưởng khối
SCT;;;;KT;;2026;Thành viên
"""


def fresh_app(tmp_path, **overrides):
    """An app on an empty database (no create_all): `init` must build the schema through migrations."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "PORTAL_INSTANCE_DIR": str(tmp_path / "instance"),
        "PORTAL_ARCHIVE_DIR": str(tmp_path / "archive"),
        "PORTAL_INDEX_DIR": str(tmp_path / "index"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "PORTAL_ARGON2_PARAMS": FAST_ARGON2,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def empty_app(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_ADMIN_PASSWORD", raising=False)
    app = fresh_app(tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def no_password_env(monkeypatch):
    monkeypatch.delenv("PORTAL_USER_PASSWORD", raising=False)


def invoke(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=list(args), **kwargs)


def printed_password(output: str) -> str:
    match = re.search(r"Mật khẩu \(chỉ hiện một lần\): (\S+)", output)
    assert match, output
    return match.group(1)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def counts(app) -> dict:
    return {model.__name__: count(app, model) for model in (Unit, Bloc, Membership, User, AuditEvent)}


def check_password(app, username, password) -> bool:
    with app.app_context():
        return auth.verify_password(auth.get_user(username), password)


# --- init ----------------------------------------------------------------------------------------

def test_init_builds_the_schema_by_migrations_and_creates_admin(empty_app, tmp_path):
    with empty_app.app_context():
        assert sa.inspect(db.engine).get_table_names() == []
    result = invoke(empty_app, "init")
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"unit", "bloc", "membership", "user", "api_token", "audit_event", "alembic_version"} <= tables
        head = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert head
        # The migration made the same partial unique indexes as the models (one leader per bloc-year).
        indexes = {ix["name"] for ix in sa.inspect(db.engine).get_indexes("membership")}
        assert {"uq_membership_leader", "uq_membership_deputy"} <= indexes
        admin = auth.get_user("admin")
        assert admin.role == "admin" and admin.unit is None
    assert "Đã tạo tài khoản quản trị: admin" in result.output
    password = printed_password(result.output)
    assert len(password) >= 12
    assert check_password(empty_app, "admin", password)
    assert str(tmp_path / "archive") in result.output
    for folder in ("instance", "archive", "index"):
        assert (tmp_path / folder).is_dir()


def test_init_twice_is_safe(empty_app):
    first = invoke(empty_app, "init")
    password = printed_password(first.output)
    with empty_app.app_context():
        hash_before = auth.get_user("admin").password_hash
    second = invoke(empty_app, "init")
    assert second.exit_code == 0, second.output
    assert "Tài khoản admin đã có; giữ nguyên." in second.output
    assert "Mật khẩu" not in second.output
    with empty_app.app_context():
        assert auth.get_user("admin").password_hash == hash_before
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    assert check_password(empty_app, "admin", password)


def test_init_uses_admin_password_from_config_without_printing_it(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_ADMIN_PASSWORD", raising=False)
    app = fresh_app(tmp_path, PORTAL_ADMIN_PASSWORD="mat-khau-quan-tri-cau-hinh")
    result = invoke(app, "init")
    assert result.exit_code == 0, result.output
    assert "Đã tạo tài khoản quản trị: admin" in result.output
    assert "mat-khau-quan-tri-cau-hinh" not in result.output
    assert "Mật khẩu" not in result.output
    assert check_password(app, "admin", "mat-khau-quan-tri-cau-hinh")


def test_init_uses_admin_password_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_ADMIN_PASSWORD", "mat-khau-tu-moi-truong")
    app = fresh_app(tmp_path)
    result = invoke(app, "init")
    assert result.exit_code == 0, result.output
    assert "mat-khau-tu-moi-truong" not in result.output
    assert check_password(app, "admin", "mat-khau-tu-moi-truong")


def test_init_leaves_the_apps_logging_working(empty_app, caplog):
    # Alembic's env.py runs logging.config.fileConfig(), which used to disable every existing logger.
    empty_app.logger.info("trước khi init")
    invoke(empty_app, "init")
    assert not empty_app.logger.disabled
    with caplog.at_level(logging.ERROR):
        empty_app.logger.error("sau khi init")
    assert "sau khi init" in caplog.text


# --- user create ---------------------------------------------------------------------------------

def test_user_create_with_password_from_environment(app, org_data, monkeypatch):
    monkeypatch.setenv("PORTAL_USER_PASSWORD", "mat-khau-moi-truong")
    result = invoke(app, "user", "create", "Can.Bo", "--role", "officer", "--unit", "u3", "--full-name", "Lò  Văn Páo")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["Đã tạo tài khoản can.bo (officer, U3)."]
    assert "mat-khau-moi-truong" not in result.output
    with app.app_context():
        user = auth.get_user("can.bo")
        assert (user.role, user.unit.code, user.full_name) == ("officer", "U3", "Lò Văn Páo")
    assert check_password(app, "can.bo", "mat-khau-moi-truong")


def test_user_create_generates_and_prints_password_once(app, org_data):
    result = invoke(app, "user", "create", "xem", "--role", "viewer")
    assert result.exit_code == 0, result.output
    assert result.output.count("Mật khẩu") == 1
    password = printed_password(result.output)
    assert check_password(app, "xem", password)
    with app.app_context():
        assert auth.get_user("xem").unit is None


def test_user_create_admin(app, org_data):
    result = invoke(app, "user", "create", "bantdkt", "--role", "admin", "--full-name", "Ban Thi đua")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert auth.get_user("bantdkt").is_admin


@pytest.mark.parametrize("args, message", [
    (["cb", "--role", "officer", "--unit", "NOPE"], "Không tìm thấy đơn vị NOPE."),
    (["cb", "--role", "officer"], "Cán bộ của đơn vị phải gắn với một đơn vị."),
    (["off1", "--role", "viewer"], "Tên đăng nhập off1 đã tồn tại."),
    (["Cán bộ", "--role", "viewer"], "Tên đăng nhập gồm 2–80 ký tự"),
])
def test_user_create_errors_exit_nonzero_with_vietnamese_message(app, org_data, args, message):
    before = counts(app)
    result = invoke(app, "user", "create", *args)
    assert result.exit_code == 1
    assert "Lỗi: Thông tin tài khoản chưa hợp lệ." in result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert "Mật khẩu (chỉ hiện một lần)" not in result.output
    assert counts(app) == before


def test_user_create_refuses_a_short_password_from_environment(app, org_data, monkeypatch):
    monkeypatch.setenv("PORTAL_USER_PASSWORD", "ngan")
    result = invoke(app, "user", "create", "cb", "--role", "viewer")
    assert result.exit_code == 1
    assert "Mật khẩu cần ít nhất 8 ký tự." in result.output
    with app.app_context():
        assert auth.get_user("cb") is None


def test_user_create_refuses_an_unknown_role(app, org_data):
    result = invoke(app, "user", "create", "cb", "--role", "boss")
    assert result.exit_code == 2
    with app.app_context():
        assert auth.get_user("cb") is None


# --- tokens --------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["create-token"], ["user", "create-token"]])
def test_create_token_prints_a_working_token_last(app, org_data, command):
    result = invoke(app, *command, "off1")
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token == result.stdout.strip().splitlines()[-1]
    assert token.startswith("tdp_") and " " not in token
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json()["username"] == "off1"
    assert response.get_json()["memberships"]["2025"] == {"bloc": "K1", "role": "leader"}


def test_create_token_with_label_and_twice_gives_two_tokens(app, org_data):
    first = invoke(app, "user", "create-token", "admin", "--label", "kịch bản sao lưu").output.strip().splitlines()[-1]
    second = invoke(app, "create-token", "admin").output.strip().splitlines()[-1]
    assert first != second
    client = app.test_client()
    for token in (first, second):
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize("command", [["create-token"], ["user", "create-token"]])
def test_create_token_for_unknown_user_fails(app, org_data, command):
    result = invoke(app, *command, "khong-co")
    assert result.exit_code == 1
    assert "Lỗi: không có tài khoản khong-co." in result.output
    assert "tdp_" not in result.output


# --- org load ------------------------------------------------------------------------------------

def test_org_load_good_sheet(app, tmp_path):
    path = tmp_path / "to-chuc.csv"
    path.write_text(GOOD_SHEET, encoding="utf-8")
    result = invoke(app, "org", "load", str(path))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Đơn vị: 3 thêm mới, 0 cập nhật",
        "Khối thi đua: 1 thêm mới, 0 cập nhật",
        "Năm 2025: 3 đơn vị, 3 thay đổi",
        "Năm 2026: 3 đơn vị, 3 thay đổi",
    ]
    with app.app_context():
        assert [u.code for u in org.list_units()] == ["SCT", "SNV", "STC"]
        assert org.leader_of(org.get_bloc("KT").id, 2026).unit.code == "STC"
    again = invoke(app, "org", "load", str(path))
    assert again.exit_code == 0
    assert "Năm 2026: 3 đơn vị, 0 thay đổi" in again.output
    assert "Đơn vị: 0 thêm mới, 0 cập nhật" in again.output


def test_org_load_bad_sheet_saves_nothing(app, org_data, tmp_path):
    path = tmp_path / "loi.csv"
    path.write_text(GOOD_SHEET + "SXD;Sở Xây dựng;;;KT;;2026;Chủ tịch\nSYT;Sở Y tế;;;KT;;20x6;\n", encoding="utf-8")
    before = counts(app)
    result = invoke(app, "org", "load", str(path))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "Lỗi: Tệp có 2 dòng lỗi; chưa có thay đổi nào được lưu."
    assert "  - Dòng 8: vai trò không rõ (Chủ tịch); dùng Trưởng khối, Phó Trưởng khối hoặc Thành viên." in lines
    assert "  - Dòng 9: Năm không hợp lệ: 20x6." in lines
    assert "Traceback" not in result.output
    assert counts(app) == before


def test_org_load_membership_problem_names_lines(app, org_data, tmp_path):
    path = tmp_path / "loi.csv"
    path.write_text(GOOD_SHEET.replace("SCT;;;;KT;;2026;Thành viên", "SCT;;;;KT;;2026;Trưởng khối"), encoding="utf-8")
    before = counts(app)
    result = invoke(app, "org", "load", str(path))
    assert result.exit_code == 1
    assert "Dòng 6, 7 (năm 2026): Khối thi đua Kinh tế - Tổng hợp có 2 Trưởng khối" in result.output
    assert counts(app) == before


@pytest.mark.parametrize("name, content, message", [
    ("khong-co.csv", None, "Không tìm thấy tệp"),
    ("org.docx", b"PK\x03\x04", "Chỉ nhận tệp CSV hoặc XLSX"),
    ("org.xlsx", b"PK\x03\x04 hong", "Không đọc được tệp XLSX"),
    ("org.csv", b"", "trống"),
])
def test_org_load_unreadable_files(app, org_data, tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    before = counts(app)
    result = invoke(app, "org", "load", str(path))
    assert result.exit_code == 1
    assert result.output.startswith("Lỗi: ")
    assert message in result.output
    assert counts(app) == before


# --- demo ----------------------------------------------------------------------------------------

def demo_args(app) -> list[str]:
    """`demo`, without the sample PDFs when the command offers that (they take a minute; tested elsewhere)."""
    options = {p.name for p in app.cli.commands["demo"].params}
    return ["demo", "--no-documents"] if "documents" in options else ["demo"]


def test_demo_loads_the_province_and_is_safe_to_run_twice(empty_app):
    result = invoke(empty_app, *demo_args(empty_app))
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        assert len(org.list_units()) == len(province.UNITS) == 64
        assert [b.code for b in org.list_blocs()] == ["K1", "K2", "K3", "K4", "K5", "K6"]
        assert org.membership_years() == [2026, 2025, 2024]
        for year in (2024, 2025, 2026):
            overview = org.bloc_overview(year)
            assert all(entry["leader"] is not None for entry in overview), year
            assert sum(entry["count"] for entry in overview) == len(province.memberships(year))
        # K1 in 2025 is led by huyện Bản Mường, deputy Na Hang (the sample pledge).
        k1 = {e["bloc"].code: e for e in org.bloc_overview(2025)}["K1"]
        assert (k1["leader"].code, k1["deputy"].code) == ("H-BANMUONG", "H-NAHANG")
        usernames = set(db.session.scalars(sa.select(User.username)))
        assert {u.username for u in province.USERS} | {"admin"} == usernames
    # Every demo account is printed with its password.
    for user in province.USERS:
        assert re.search(rf"^\s+{re.escape(user.username)}\s+{user.role}\s+.*{re.escape(user.password)}$", result.output, re.M), user
    before = counts(empty_app)

    again = invoke(empty_app, *demo_args(empty_app))
    assert again.exit_code == 0, again.output
    assert "Đơn vị: 0 mới" in again.output
    assert again.output.count("đã có danh sách thành viên, giữ nguyên") == 3
    assert counts(empty_app) == before

    # Log in with an account exactly as printed: an officer of a 2026 leader unit.
    line = next(line for line in result.output.splitlines() if line.strip().startswith("sxd.canbo"))
    username, role, unit, password = line.split()
    client = empty_app.test_client()
    response = AuthActions(client).login(as_=username, password=password)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    me = client.get("/api/v1/me").get_json()
    assert (me["username"], me["role"], me["unit"]) == ("sxd.canbo", role, unit)
    assert me["memberships"]["2026"] == {"bloc": "K2", "role": "leader"}
