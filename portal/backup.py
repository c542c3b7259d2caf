"""Backup and restore of an instance: the database, the original files and the instance secrets.

The search index is not copied: it is derived and `restore` rebuilds it. A SQLite database is
copied with SQLite's online backup API, so a backup may run while the portal serves requests.
With PostgreSQL the database is backed up with `pg_dump` (said in the manifest); this command then
copies the files only.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from portal.documents import archive
from portal.documents.models import Document
from portal.errors import ServiceError
from portal.extensions import db

MANIFEST = "manifest.json"
DB_NAME = "portal.sqlite3"


def _sqlite_path() -> Path | None:
    url = db.engine.url
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") else None


def backup(dest: str | Path) -> dict:
    """Write a complete backup into the folder `dest` (which must be new or empty); return the manifest."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise ServiceError(_("Thư mục %(path)s đã có dữ liệu; hãy chọn một thư mục mới.", path=str(dest)))
    dest.mkdir(parents=True, exist_ok=True)
    cfg = current_app.config
    sqlite_path = _sqlite_path()
    if sqlite_path is not None:
        source = sqlite3.connect(str(sqlite_path))
        target = sqlite3.connect(str(dest / DB_NAME))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    root = archive.archive_root(cfg)
    copied = 0
    for sha in db.session.scalars(sa.select(Document.sha256)):
        src = archive.original_path(root, sha)
        if src.is_file():
            dst = archive.original_path(dest / "archive", sha)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
            copied += 1
    instance = Path(cfg["PORTAL_INSTANCE_DIR"])
    (dest / "instance").mkdir(exist_ok=True)
    for name in ("secret_key", "config.py"):
        if (instance / name).is_file():
            shutil.copy2(instance / name, dest / "instance" / name)
    trust = Path(cfg["PORTAL_TRUST_DIR"])
    if trust.is_dir():
        shutil.copytree(trust, dest / "instance" / "trust", dirs_exist_ok=True)
    revision = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() if sa.inspect(db.engine).has_table("alembic_version") else None
    manifest = {
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "database": DB_NAME if sqlite_path is not None else "postgresql (back it up with pg_dump)",
        "schema_revision": revision,
        "documents": db.session.scalar(sa.select(sa.func.count(Document.id))),
        "original_files": copied,
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def restore(src: str | Path, *, force: bool = False) -> dict:
    """Restore a backup into this instance (portal stopped), verify every original, and return a summary."""
    src = Path(src)
    manifest_path = src / MANIFEST
    if not manifest_path.is_file():
        raise ServiceError(_("%(path)s không phải là bản sao lưu của cổng (thiếu manifest.json).", path=str(src)))
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    sqlite_path = _sqlite_path()
    if sqlite_path is None:
        raise ServiceError(_("Cơ sở dữ liệu hiện dùng PostgreSQL: hãy khôi phục bằng pg_restore, rồi chạy lại lệnh này với SQLite hoặc chỉ chép thư mục archive."))
    if not (src / DB_NAME).is_file():
        raise ServiceError(_("Bản sao lưu không có cơ sở dữ liệu SQLite."))
    if not force and sa.inspect(db.engine).has_table("document"):
        has_data = db.session.scalar(sa.select(sa.func.count(Document.id)))
        if has_data:
            raise ServiceError(_("Cổng hiện đã có %(n)s văn bản; thêm --force để ghi đè bằng bản sao lưu.", n=has_data))
    db.session.remove()
    db.engine.dispose()
    tmp = sqlite_path.with_suffix(".restoring")
    shutil.copy2(src / DB_NAME, tmp)
    for suffix in ("-wal", "-shm"):
        Path(str(sqlite_path) + suffix).unlink(missing_ok=True)
    os.replace(tmp, sqlite_path)
    cfg = current_app.config
    root = archive.archive_root(cfg)
    restored = missing = changed = 0
    for sha in db.session.scalars(sa.select(Document.sha256)):
        source = archive.original_path(src / "archive", sha)
        target = archive.original_path(root, sha)
        if not source.is_file():
            missing += 1
            continue
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            os.chmod(target, 0o444)
        if archive.file_sha256(target) != sha:
            changed += 1
        restored += 1
    instance = Path(cfg["PORTAL_INSTANCE_DIR"])
    for name in ("secret_key", "config.py"):
        if (src / "instance" / name).is_file():
            shutil.copy2(src / "instance" / name, instance / name)
    if (src / "instance" / "trust").is_dir():
        shutil.copytree(src / "instance" / "trust", cfg["PORTAL_TRUST_DIR"], dirs_exist_ok=True)
    return {"manifest": manifest, "files": restored, "missing": missing, "changed": changed}
