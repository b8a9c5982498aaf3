"""Skip a test below the release of a library that it needs, saying so (for ``nox -s lowest``).

Only for a test that uses a newer feature than pyproject.toml's floor: where sessionkit's own
code needs the feature, the floor is raised instead, so that sessionkit is tested as installed.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import pytest
from packaging.version import Version

__all__ = ["needs"]


def needs(distribution: str, release: str, why: str = "") -> pytest.MarkDecorator:
    """A ``skipif`` mark for a test that needs ``distribution`` at ``release`` or later.

    ``why``: what the test uses that the earlier releases lack. A distribution not installed
    is not skipped here: the test's own import says so.
    """
    try:
        installed = version(distribution)
    except PackageNotFoundError:
        return pytest.mark.skipif(False, reason=f"{distribution} is not installed")
    reason = f"needs {distribution} >= {release}, not {installed}" + (f": {why}" if why else "")
    return pytest.mark.skipif(Version(installed) < Version(release), reason=reason)
