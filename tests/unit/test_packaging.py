"""What an install holds: the package, and the console script's module beside it.

The ``sessionkit`` script's entry point is ``src/_sessionkit_cli.py``, outside the
package. Shipped with hatch's ``force-include``, an editable install (``pip install
-e .``, as nox installs) held a copy of it in site-packages, ahead of ``src`` on the
path: an edit of it changed nothing, and its tests tested the copy, until the next
install. Built here with hatchling, as pip builds it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

build = pytest.importorskip("hatchling.build")
pytest.importorskip("editables")  # what hatchling asks for an editable build

ROOT = Path(__file__).resolve().parents[2]


def _files(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {
            name: archive.read(name)
            for name in archive.namelist()
            if ".dist-info/" not in name and not name.endswith("/")
        }


def test_a_wheel_holds_the_package_and_the_console_scripts_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    files = _files(tmp_path / build.build_wheel(str(tmp_path)))
    assert files["_sessionkit_cli.py"] == (ROOT / "src" / "_sessionkit_cli.py").read_bytes()
    assert "sessionkit/__init__.py" in files
    assert (
        files["_sessionkit_hypothesis.py"]
        == (ROOT / "src" / "_sessionkit_hypothesis.py").read_bytes()
    )
    assert {name.split("/")[0] for name in files} == {
        "_sessionkit_cli.py",
        "_sessionkit_hypothesis.py",
        "sessionkit",
    }


def test_an_editable_install_reads_the_console_scripts_module_from_src(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    files = _files(tmp_path / build.build_editable(str(tmp_path)))
    [pth] = [name for name in files if name.endswith(".pth")]
    assert list(files) == [pth]  # no copy of a module, which would shadow src
    assert set(files[pth].decode().split()) == {str(ROOT / "src")}
