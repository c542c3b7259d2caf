"""Command line (`flask --app portal …`): thin click shells over services (DESIGN §4)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from portal.errors import ServiceError


def _fail(exc: ServiceError) -> None:
    click.echo(f"Lỗi: {exc.message}", err=True)
    for key, message in exc.errors.items():
        click.echo(f"  - {message}", err=True)
    raise SystemExit(1)


def register_cli(app) -> None:
    """Attach every command to the app."""

    @app.cli.command("init")
    def init_command():
        """Create or upgrade the database, folders and the first admin (safe to run again)."""
        from portal.config import masked_database_url
        from portal.maintenance import init_instance

        result = init_instance()
        click.echo(f"Cơ sở dữ liệu: {masked_database_url(current_app.config['DATABASE_URL'])}")
        click.echo(f"Lưu trữ tệp gốc: {current_app.config['PORTAL_ARCHIVE_DIR']}")
        click.echo(f"Chỉ mục tìm kiếm: {current_app.config['PORTAL_INDEX_DIR']}")
        if result["admin_created"]:
            click.echo("Đã tạo tài khoản quản trị: admin")
            if result["admin_password"]:
                click.echo(f"Mật khẩu (chỉ hiện một lần): {result['admin_password']}")
        else:
            click.echo("Tài khoản admin đã có; giữ nguyên.")

    @app.cli.command("demo")
    @click.option("--documents/--no-documents", default=True, help="Nạp cả văn bản mẫu (PDF thật, mất khoảng một phút).")
    def demo_command(documents):
        """Load the demo province Lam Sơn: blocs, units, memberships, accounts."""
        from portal.demo import load_demo
        from portal.maintenance import init_instance

        setup = init_instance()
        result = load_demo(click.echo, documents=documents)
        click.echo("\nTài khoản dùng thử (mật khẩu chỉ dùng cho bản demo):")
        click.echo(f"  {'tên đăng nhập':<16} {'vai trò':<8} {'đơn vị':<12} mật khẩu")
        for u in result["accounts"]:
            click.echo(f"  {u.username:<16} {u.role:<8} {u.unit_code or 'Ban TĐKT':<12} {u.password}")
        if setup["admin_created"] and setup["admin_password"]:
            click.echo(f"  {'admin':<16} {'admin':<8} {'Ban TĐKT':<12} {setup['admin_password']}  (tạo mới, chỉ hiện một lần)")

    user_group = AppGroup("user", help="Quản lý tài khoản.")

    @user_group.command("create")
    @click.argument("name")
    @click.option("--role", type=click.Choice(["admin", "officer", "viewer"]), required=True)
    @click.option("--unit", "unit_code", default=None, help="Mã đơn vị (bắt buộc với officer).")
    @click.option("--full-name", default="", help="Họ và tên.")
    def user_create(name, role, unit_code, full_name):
        """Create an account; the password comes from PORTAL_USER_PASSWORD or is generated and printed once."""
        from portal.auth import services as auth

        password = os.environ.get("PORTAL_USER_PASSWORD")
        generated = not password
        password = password or auth.generate_password()
        try:
            user = auth.create_user(None, username=name, password=password, role=role, unit_code=unit_code, full_name=full_name)
        except ServiceError as exc:
            _fail(exc)
        click.echo(f"Đã tạo tài khoản {user.username} ({user.role}{', ' + user.unit.code if user.unit else ''}).")
        if generated:
            click.echo(f"Mật khẩu (chỉ hiện một lần): {password}")

    def _create_token(name: str, label: str) -> None:
        from portal.auth import services as auth

        user = auth.get_user(name)
        if user is None:
            click.echo(f"Lỗi: không có tài khoản {name}.", err=True)
            raise SystemExit(1)
        token = auth.create_token(None, user, label)
        click.echo(f"Mã API mới cho {user.username} (chỉ hiện một lần; gửi ở header Authorization: Bearer …):")
        click.echo(token)

    @user_group.command("create-token")
    @click.argument("name")
    @click.option("--label", default="", help="Ghi chú cho mã (ví dụ tên kịch bản dùng nó).")
    def user_create_token(name, label):
        """Print a new API token for the account as the last line."""
        _create_token(name, label)

    app.cli.add_command(user_group)

    @app.cli.command("create-token")
    @click.argument("name")
    @click.option("--label", default="", help="Ghi chú cho mã.")
    def create_token_command(name, label):
        """Print a new API token for the account NAME as the last line of output."""
        _create_token(name, label)

    org_group = AppGroup("org", help="Tổ chức: đơn vị, khối, thành viên.")

    @org_group.command("load")
    @click.argument("file", type=click.Path(dir_okay=False))
    def org_load(file):
        """Load units, blocs and yearly memberships from a CSV or XLSX sheet (all or nothing)."""
        from portal.org import services as org

        try:
            summary = org.load_org_sheet(None, file)
        except ServiceError as exc:
            _fail(exc)
        click.echo(f"Đơn vị: {summary['units_created']} thêm mới, {summary['units_updated']} cập nhật")
        click.echo(f"Khối thi đua: {summary['blocs_created']} thêm mới, {summary['blocs_updated']} cập nhật")
        for year, info in summary["years"].items():
            click.echo(f"Năm {year}: {info['units']} đơn vị, {info['changed']} thay đổi")

    app.cli.add_command(org_group)

    @app.cli.command("backup")
    @click.argument("dest", type=click.Path(file_okay=False))
    def backup_command(dest):
        """Back up the database, the original files and the instance secrets into the new folder DEST."""
        from portal.backup import backup

        try:
            manifest = backup(dest)
        except ServiceError as exc:
            _fail(exc)
        click.echo(f"Đã sao lưu vào {dest}: {manifest['documents']} văn bản, {manifest['original_files']} tệp gốc.")
        if not manifest["database"].endswith(".sqlite3"):
            click.echo("Cơ sở dữ liệu PostgreSQL: hãy sao lưu thêm bằng pg_dump.")

    @app.cli.command("restore")
    @click.argument("src", type=click.Path(file_okay=False, exists=True))
    @click.option("--force", is_flag=True, help="Ghi đè cả khi cổng đã có dữ liệu.")
    def restore_command(src, force):
        """Restore a backup made by `backup` (stop the portal first), verify the originals, rebuild the index."""
        from portal.backup import restore
        from portal.maintenance import init_instance
        from portal.search.services import rebuild_index

        try:
            summary = restore(src, force=force)
        except ServiceError as exc:
            _fail(exc)
        init_instance()  # a backup from an older version gets the newer migrations
        count = rebuild_index()
        click.echo(f"Đã khôi phục {summary['files']} tệp gốc; lập lại chỉ mục {count} văn bản.")
        if summary["missing"] or summary["changed"]:
            click.echo(f"Cảnh báo: {summary['missing']} tệp gốc thiếu, {summary['changed']} tệp khác SHA-256.", err=True)
            raise SystemExit(1)

    translate = AppGroup("translate", help="Bản dịch giao diện (Babel).")
    root = Path(__file__).resolve().parent.parent

    def _pybabel(*args: str) -> None:
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=root)

    @translate.command("update")
    def translate_update():
        """Extract marked strings and merge them into every catalog."""
        _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-o", "portal/translations/messages.pot", ".")
        _pybabel("update", "-i", "portal/translations/messages.pot", "-d", "portal/translations")

    @translate.command("compile")
    def translate_compile():
        """Compile the catalogs (.po → .mo)."""
        _pybabel("compile", "-d", "portal/translations")

    app.cli.add_command(translate)
