"""`import`, `thumbnails` and `worker` commands: thin shells over services."""
from __future__ import annotations

import click


def register(app) -> None:
    """Attach the archive's commands to the app."""

    @app.cli.command("import")
    @click.argument("paths", nargs=-1, required=True, type=click.Path())
    @click.option("--year", type=int, default=None, help="Năm của các văn bản (mặc định: đọc từ văn bản).")
    @click.option("--type", "doc_type", default=None, help="Mã loại văn bản (KH, CT, BC, …).")
    @click.option("--bloc", default=None, help="Mã khối thi đua.")
    @click.option("--unit", default=None, help="Mã đơn vị.")
    @click.option("--as-user", default=None, help="Tài khoản đứng tên (mặc định: hệ thống, quyền Ban TĐKT).")
    def import_command(paths, year, doc_type, bloc, unit, as_user):
        """Import PDFs (folders recursively) with metadata detection; duplicates are skipped.

        Resumable: run again after an interruption, the files already imported are skipped by their
        SHA-256 without being parsed again (see portal.documents.imports)."""
        from portal.auth import services as auth
        from portal.documents.imports import find_pdfs, import_files

        actor = auth.SYSTEM
        if as_user:
            actor = auth.get_user(as_user)
            if actor is None:
                click.echo(f"Lỗi: không có tài khoản {as_user}.", err=True)
                raise SystemExit(2)
        fields = {k: v for k, v in (("year", year), ("type", doc_type), ("bloc", bloc), ("unit", unit)) if v}
        files = find_pdfs(paths)
        if not files:
            click.echo("Không tìm thấy tệp PDF nào.", err=True)
            raise SystemExit(1)
        with click.progressbar(length=len(files), label="Đang nhập văn bản", show_pos=True,
                               item_show_func=lambda p: p.name if p else "") as bar:
            summary = import_files(actor, files, fields, progress=lambda p: bar.update(1, p))
        click.echo(f"Đã nhập: {len(summary.imported)} · Bỏ qua (trùng): {len(summary.skipped)} · Từ chối: {len(summary.refused)}")
        if summary.skipped:
            click.echo(f"  Trong số bỏ qua: {summary.already_there} tệp đã có trong lưu trữ từ trước, "
                       f"{summary.same_run_duplicates} tệp trùng nội dung với tệp khác trong lần nhập này.")
        for path, reason in summary.skipped:
            click.echo(f"  bỏ qua  {path}: {reason}")
        for path, reason in summary.refused:
            click.echo(f"  từ chối {path}: {reason}", err=True)
        if summary.interrupted:
            click.echo(f"Đã dừng giữa chừng: còn {summary.not_reached} tệp chưa xử lý. Các văn bản đã nhập được giữ lại; "
                       "chạy lại đúng lệnh này để nhập tiếp (những tệp đã nhập sẽ được bỏ qua, không nhập lại).", err=True)
            raise SystemExit(130)
        if summary.refused:
            raise SystemExit(1)

    @app.cli.command("thumbnails")
    @click.option("--retry-failed", is_flag=True, help="Thử lại cả các văn bản trước đây không vẽ được.")
    def thumbnails_command(retry_failed):
        """Make the missing first-page thumbnails here and now (an older archive, after a restore)."""
        from portal.documents import thumbnails

        todo = thumbnails.missing(retry_failed=retry_failed)
        outcomes: dict[str, int] = {}
        with click.progressbar(todo, label="Đang tạo ảnh trang đầu", show_pos=True) as bar:
            for _document_id, sha in bar:
                outcome = thumbnails.make(sha, retry=retry_failed)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
        made = outcomes.get("done", 0)
        click.echo(f"Đã tạo: {made} · Không vẽ được: {outcomes.get('failed', 0)} · "
                   f"Thiếu tệp gốc: {outcomes.get('missing', 0)} · Cần làm: {len(todo)}")
        if outcomes.get("unavailable"):
            click.echo("Lỗi: máy chủ chưa cài pdftoppm (gói poppler-utils).", err=True)
            raise SystemExit(1)

    from portal.documents.consume import register as register_consume

    register_consume(app)

    @app.cli.command("worker")
    @click.option("--workers", default=2, show_default=True, help="Số luồng xử lý.")
    def worker_command(workers):
        """Run the task queue (OCR, bulk work, index repair) until stopped."""
        from flask import current_app

        from portal.tasks import describe, huey

        if huey.immediate:
            click.echo("PORTAL_TASKS_IMMEDIATE đang bật: tác vụ chạy ngay trong yêu cầu, không cần worker.")
            return
        import logging

        # Huey reports each task it runs (and the OCR requeue what it picked up) at INFO: show it.
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        click.echo(f"Hàng đợi tác vụ: {describe(current_app.config)} · {workers} luồng. Ctrl+C để dừng.")
        consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
        consumer.run()
