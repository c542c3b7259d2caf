"""Every dependency has an upper bound, build requirements included: a release made tomorrow must not turn main red."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _requirements() -> list[str]:
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    extras = [r for group in data["project"].get("optional-dependencies", {}).values() for r in group]
    return [*data["build-system"]["requires"], *data["project"]["dependencies"], *extras]


def test_every_requirement_is_bounded_above():
    unbounded = [r for r in _requirements() if not re.search(r"(<|==)\s*[\d.]+", r)]
    assert unbounded == []


def test_the_license_is_an_spdx_expression():
    # A TOML table here is deprecated by setuptools (an error in its releases after 2027-02-18).
    assert isinstance(tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["license"], str)
