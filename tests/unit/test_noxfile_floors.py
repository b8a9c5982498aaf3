"""The ``lowest`` nox session's pins come from pyproject.toml's floors, and only from them."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def noxfile() -> ModuleType:
    pytest.importorskip("nox")
    spec = importlib.util.spec_from_file_location("_sessionkit_noxfile", _ROOT / "noxfile.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_floor_is_pinned_without_extras_and_the_rest_is_left_alone(
    noxfile: ModuleType, tmp_path: Path
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        """
[project]
name = "sessionkit"
dependencies = ["attrs>=23.2", "tzdata"]

[project.optional-dependencies]
postgres = ["sessionkit[sqlalchemy]", "psycopg[binary]>=3.1.4,<4"]
jobs = ["croniter"]
other = ["pandas>=2.1"]
""",
        encoding="utf-8",
    )

    pins = noxfile.floor_pins(pyproject, ("postgres", "jobs"))

    assert pins == ["attrs==23.2", "psycopg==3.1.4"]


def test_the_session_pins_every_declared_floor_of_the_runtime_and_library_extras(
    noxfile: ModuleType,
) -> None:
    project = tomllib.loads((_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = noxfile._LOWEST_EXTRAS

    pins = noxfile.floor_pins(_ROOT / "pyproject.toml", extras)

    names = {pin.split("==")[0] for pin in pins}
    assert {"attrs", "icalendar", "sqlalchemy", "psycopg", "procrastinate"} <= names
    assert "sessionkit" not in names
    assert "pytest" not in names  # test tools stay current
    assert set(extras) == set(project["optional-dependencies"]) - {"test", "bench", "dev"}
