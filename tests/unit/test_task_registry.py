"""Every task defined under portal/ is known to an app built from scratch (as the worker builds it).

The worker dequeues a task by name; a module that defines tasks but is never imported when the app
is built makes it log "… not found in TaskRegistry" and drop the task (OCR never ran that way).
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TASK_DECORATORS = {"task", "periodic_task"}

BUILD_APP = """
import json, os, sys
from portal import create_app
from portal.tasks import registered_tasks
create_app({"SECRET_KEY": "x", "PORTAL_INSTANCE_DIR": sys.argv[1], "PORTAL_ARCHIVE_DIR": sys.argv[1] + "/archive",
            "PORTAL_INDEX_DIR": sys.argv[1] + "/index", "DATABASE_URL": "sqlite:///" + sys.argv[1] + "/db.sqlite3"})
print(json.dumps(sorted(registered_tasks())))
"""


def defined_tasks() -> set[str]:
    """The names Huey gives the functions decorated with @huey.task(…) / @huey.periodic_task(…) in portal/."""
    names = set()
    for path in (ROOT / "portal").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Attribute) and target.attr in TASK_DECORATORS:
                    names.add(f"{module}.{node.name}")
    return names


def test_the_source_scan_finds_the_known_tasks():
    tasks = defined_tasks()
    assert "portal.documents.tasks.ocr_document" in tasks
    assert "portal.documents.tasks.requeue_ocr" in tasks
    assert "portal.search.tasks.apply_index_outbox" in tasks


def test_an_app_built_in_a_fresh_process_knows_every_task(tmp_path):
    run = subprocess.run([sys.executable, "-c", BUILD_APP, str(tmp_path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    registered = set(json.loads(run.stdout.strip().splitlines()[-1]))
    missing = defined_tasks() - registered
    assert not missing, f"task modules not imported by portal.tasks.load_task_modules: {sorted(missing)}"


def test_task_modules_are_imported_by_the_registry_module():
    source = (ROOT / "portal" / "tasks.py").read_text(encoding="utf-8")
    for module in {name.rsplit(".", 1)[0] for name in defined_tasks()}:
        assert f"import {module}" in source, module
