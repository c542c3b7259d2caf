"""Docs that tests keep honest: every CLI command, config key and API route appears in the README."""
import re
from pathlib import Path

import pytest

from portal.config import ENV_KEYS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_config_key_is_documented():
    for key in ENV_KEYS:
        assert f"`{key}`" in README, key


def _commands(group, prefix=""):
    import click

    for name, command in group.commands.items():
        if name in ("db", "routes", "shell", "run"):  # Flask's and Flask-Migrate's own
            continue
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}"


def test_every_cli_command_is_documented(app):
    commands = list(_commands(app.cli))
    assert "init" in commands and "org load" in commands
    for command in commands:
        assert f"`{command}" in README, command


def test_every_api_route_is_documented(app):
    routes = sorted({re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule) for rule in app.url_map.iter_rules()
                     if rule.rule.startswith("/api/v1/")})
    assert routes
    for route in routes:
        assert route in README, route


@pytest.mark.parametrize("command", ["scripts/serve", "scripts/test"])
def test_readme_gives_the_two_commands(command):
    assert f"{command} " in README
    assert (Path(__file__).resolve().parent.parent / command).stat().st_mode & 0o111


def test_wsgi_entry_point_builds_the_app(tmp_path, monkeypatch):
    import importlib
    import sys

    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("PORTAL_ARCHIVE_DIR", str(tmp_path / "archive"))
    sys.modules.pop("wsgi", None)
    module = importlib.import_module("wsgi")
    assert module.app.config["PORTAL_INSTANCE_DIR"] == str((tmp_path / "instance").resolve())
    sys.modules.pop("wsgi", None)
