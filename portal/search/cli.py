"""`reindex` and `check` commands: thin shells over the search services."""
from __future__ import annotations

import click


def register(app) -> None:
    """Attach the search commands to the app."""

    @app.cli.command("reindex")
    def reindex_command():
        """Rebuild the search index from the database into a fresh index and swap it in atomically."""
        from portal.search import services

        total = services.live_count()
        with click.progressbar(length=total, label="Đang lập chỉ mục", show_pos=True) as bar:
            seen = [0]

            def progress(done: int) -> None:
                bar.update(done - seen[0])
                seen[0] = done

            count = services.rebuild_index(progress=progress)
            bar.update(max(0, total - seen[0]))
        click.echo(f"Đã lập chỉ mục {count} văn bản ({app.config['PORTAL_SEARCH_ENGINE']}).")

    @app.cli.command("check")
    @click.option("--repair", is_flag=True, help="Sửa những gì sửa được (chỉ mục, cập nhật còn chờ; tệp mồ côi "
                  "chuyển vào archive/orphans/, tệp tạm do sự cố để lại bị xoá).")
    @click.option("--no-verify-files", is_flag=True, help="Không tính lại SHA-256 của tệp gốc (nhanh hơn).")
    def check_command(repair, no_verify_files):
        """Report mismatches between database, index and archive files; exit 1 when any problem remains."""
        from portal.search import services

        report = services.check(repair=repair, verify_files=not no_verify_files)
        lines = [
            ("Văn bản chưa có trong chỉ mục", report.missing_from_index),
            ("Mục chỉ mục không còn văn bản", report.index_without_document),
            ("Văn bản thiếu tệp gốc", report.files_missing),
            ("Văn bản có tệp gốc bị thay đổi (SHA-256 khác)", report.files_changed),
            ("Tệp trong kho không thuộc văn bản nào", report.orphan_files),
            ("Tệp tạm do tải lên bị gián đoạn để lại", report.stale_temporary),
        ]
        for label, items in lines:
            shown = ", ".join(str(i) for i in items[:20]) + (" …" if len(items) > 20 else "")
            click.echo(f"{label}: {len(items)}{(' — ' + shown) if items else ''}")
        click.echo(f"Cập nhật chỉ mục đang chờ: {report.pending_updates}")
        for note in report.repaired:
            click.echo(f"Đã sửa: {note}")
        remaining = report
        if repair:
            remaining = services.check(repair=False, verify_files=not no_verify_files)
        if remaining.problems:
            click.echo(f"Còn {remaining.problems} vấn đề.", err=True)
            raise SystemExit(1)
        click.echo("Không có vấn đề nào." if not report.problems else "Đã sửa xong.")
