"""The public API: everything in sessionkit.__all__ exists, and nothing private leaks."""

from __future__ import annotations

import types

import sessionkit
from sessionkit import errors


def test_all_names_exist_and_are_public() -> None:
    for name in sessionkit.__all__:
        assert hasattr(sessionkit, name), name
        assert not name.startswith("_") or name == "__version__"


def test_all_equals_the_public_names() -> None:
    # As httpx does: every public name of the package is in __all__ and nothing else is;
    # submodules are reached as attributes, not re-exported names. The package imports a
    # name on its first use: use them all, so that vars() holds every one.
    for name in sessionkit.__all__:
        getattr(sessionkit, name)
    public = {
        name
        for name, value in vars(sessionkit).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(sessionkit.__all__) - {"__version__"} == public
    assert len(sessionkit.__all__) == len(set(sessionkit.__all__))


def test_every_error_is_exported_and_rooted() -> None:
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.SessionKitError)
        assert name in sessionkit.__all__, name


def test_core_import_does_not_pull_in_sqlalchemy() -> None:
    import subprocess
    import sys

    code = "import sys, sessionkit, sessionkit.recurrence; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
