"""Shared pytest configuration: Hypothesis profiles.

``HYPOTHESIS_PROFILE=thorough`` runs many more examples (used before a release);
the default ``fast`` profile keeps the suite quick enough for every commit.
"""

from __future__ import annotations

import gc
import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "fast",
    # 40, not Hypothesis' 100: the whole suite must run well within CI's half hour on a 2-core
    # machine (at 60 it took 28 minutes there on 2026-12-06); thorough is for releases.
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Set the objects collection made aside from the garbage collector (``gc.freeze``).

    The collected suite (modules, test items, parameters: about two million objects) lives
    until the end, and every full collection walked it again: in a run of the FastAPI tests
    alone, 44 full collections took 92 of its 328 s. Frozen objects count as alive, which
    they are; whatever the tests make is collected as before.
    """
    gc.collect()
    gc.freeze()


def _restore_hypothesis_printer() -> None:
    """Undo schemathesis' swap of Hypothesis' printer, which prints falsifying examples blank.

    schemathesis (a dev dependency, for the OpenAPI tests) replaces
    ``hypothesis.core.RepresentationPrinter`` with one that prints nothing, for
    its own speed, when it sets itself up: every other property test's failure
    then read ``x=,`` instead of the value that failed.
    """
    from hypothesis import core
    from hypothesis.vendor import pretty

    if core.RepresentationPrinter is not pretty.RepresentationPrinter:  # type: ignore[attr-defined]
        core.RepresentationPrinter = pretty.RepresentationPrinter  # type: ignore[attr-defined]


_restore_hypothesis_printer()


@pytest.fixture(autouse=True)
def _hypothesis_prints_examples() -> None:
    """Keep the printer restored: schemathesis may set itself up again in a test of its own."""
    _restore_hypothesis_printer()
