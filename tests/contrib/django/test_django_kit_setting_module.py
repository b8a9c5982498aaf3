"""``SESSIONKIT_KIT`` naming the kit's module, not the kit in it, says so.

``SESSIONKIT_KIT = "myproject.kit"`` (the module docs/django.md writes the kit
in) was refused with Django's import_string words, 'Module "myproject" does
not define a "kit" attribute/class', though ``myproject.kit`` is there; once
something had imported the module, the same setting read "is module, not a
SessionKit". Either way the message now names the module and what to write.
A relative path (".kit", ".kit.get_kit") escaped as Python's ValueError or
TypeError; it is refused as ImproperlyConfigured, which ``sessionkit_tick``
and the admin report.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from sessionkit.contrib.django.conf import get_kit

HINT = (
    "SESSIONKIT_KIT = 'hostpkg_kitmod.kit' names a module: name the SessionKit in it or the"
    " function returning it, e.g. 'hostpkg_kitmod.kit.get_kit'"
)


@pytest.fixture
def host_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A host package ``hostpkg_kitmod`` with a module ``kit`` defining ``get_kit``."""
    package = tmp_path / "hostpkg_kitmod"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "kit.py").write_text("def get_kit():\n    raise AssertionError('not called')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("hostpkg_kitmod", "hostpkg_kitmod.kit"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return "hostpkg_kitmod.kit"


def test_module_not_imported_yet(host_package: str) -> None:
    with (
        override_settings(SESSIONKIT_KIT=host_package),
        pytest.raises(ImproperlyConfigured) as caught,
    ):
        get_kit()
    assert str(caught.value) == HINT


def test_module_imported_already(host_package: str) -> None:
    __import__(host_package)
    with (
        override_settings(SESSIONKIT_KIT=host_package),
        pytest.raises(ImproperlyConfigured) as caught,
    ):
        get_kit()
    assert str(caught.value) == HINT


def test_missing_module_keeps_the_import_error(host_package: str) -> None:
    with (
        override_settings(SESSIONKIT_KIT="hostpkg_kitmod.kitt.get_kit"),
        pytest.raises(ImproperlyConfigured) as caught,
    ):
        get_kit()
    assert str(caught.value) == (
        "SESSIONKIT_KIT = 'hostpkg_kitmod.kitt.get_kit' cannot be imported:"
        " No module named 'hostpkg_kitmod.kitt'"
    )


@pytest.mark.parametrize(
    "path", [".kit", ".kit.get_kit", "..kit"], ids=["module", "function", "parent"]
)
def test_relative_path_is_improperly_configured(path: str) -> None:
    """Python refused ".kit" as ValueError, ".kit.get_kit" and "..kit" as TypeError."""
    with override_settings(SESSIONKIT_KIT=path), pytest.raises(ImproperlyConfigured) as caught:
        get_kit()
    assert str(caught.value) == (
        f"SESSIONKIT_KIT = '{path}' is relative: give the full dotted path, from the top"
        " package as an import at a module's top would, e.g. 'lms.kit.get_kit'"
    )


def test_a_kit_module_that_fails_to_import_runs_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its ImportError was taken for a module not imported yet, and the module run again."""
    package = tmp_path / "hostpkg_kitfail"
    package.mkdir()
    (package / "__init__.py").write_text("RUNS = []\n")
    (package / "kit.py").write_text(
        "from hostpkg_kitfail import RUNS\nRUNS.append(1)\nimport hostpkg_kitfail_missing_dep\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("hostpkg_kitfail", "hostpkg_kitfail.kit"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    with (
        override_settings(SESSIONKIT_KIT="hostpkg_kitfail.kit.get_kit"),
        pytest.raises(ImproperlyConfigured) as caught,
    ):
        get_kit()
    said = (
        "SESSIONKIT_KIT = 'hostpkg_kitfail.kit.get_kit' cannot be imported:"
        " No module named 'hostpkg_kitfail_missing_dep'"
    )
    assert (str(caught.value), sys.modules["hostpkg_kitfail"].RUNS) == (said, [1])
