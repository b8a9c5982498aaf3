"""``StorageUnavailable``'s message claims nothing of the database's side.

The same message is raised for a connection that never opened, one lost in the
middle of a unit of work and one lost in its ``COMMIT``, which the database may
have applied (the unit's note says so). "the operation did not complete" (as
"the unit of work was rolled back" before it) was false for that last one: a
lost COMMIT that had been applied was told, in its message, that it had not.
"""

from __future__ import annotations

import sqlite3

import pytest

from sessionkit.adapters._driver_faults import translate
from sessionkit.errors import StorageUnavailable


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_a_lost_connection_says_only_that_sessionkit_could_not_finish(backend: str) -> None:
    error = translate(
        sqlite3.OperationalError("server closed the connection unexpectedly"),
        backend=backend,
        disconnect=True,
        remedy="upgrade(engine)",
    )
    assert isinstance(error, StorageUnavailable)
    assert str(error) == (
        f"the connection to {backend} failed or was lost (server closed the connection "
        "unexpectedly); sessionkit could not finish the operation"
    )
    assert "did not complete" not in str(error)
    assert "rolled back" not in str(error)
