"""Instance set-up: database migrations, folders and the first admin (used by `init` and `demo`)."""
from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from flask_migrate import upgrade

from portal.auth import services as auth


def init_instance() -> dict:
    """Create or upgrade the database, the folders and the first admin; safe to run again.

    Returns {"admin_created": bool, "admin_password": str | None}; the password is only returned when
    it was generated here (it is never stored in clear).
    """
    for key in ("PORTAL_INSTANCE_DIR", "PORTAL_ARCHIVE_DIR", "PORTAL_INDEX_DIR"):
        Path(current_app.config[key]).mkdir(parents=True, exist_ok=True)
    with _logging_kept():
        upgrade(directory=str(Path(__file__).parent / "migrations"))
    if auth.get_user("admin") is not None:
        return {"admin_created": False, "admin_password": None}
    password = current_app.config.get("PORTAL_ADMIN_PASSWORD") or os.environ.get("PORTAL_ADMIN_PASSWORD")
    generated = not password
    password = password or auth.generate_password()
    auth.create_user(None, username="admin", password=password, role="admin", full_name="Quản trị Ban TĐKT")
    return {"admin_created": True, "admin_password": password if generated else None}


@contextmanager
def _logging_kept():
    """Run a block and put the process's logging back as it was afterwards.

    Alembic's env.py calls logging.config.fileConfig(), which disables every logger that already
    exists (the app's own among them) and replaces the root handlers, for the rest of the process:
    after `init` in a long-lived process (a test session, a shell) app.logger.exception went nowhere.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    enabled = [lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger) and not lg.disabled]
    try:
        yield
    finally:
        for lg in enabled:
            lg.disabled = False
        root.handlers[:] = handlers
        root.setLevel(level)
