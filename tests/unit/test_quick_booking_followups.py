"""Follow-ups of the review of the quick booking's last commits (ef46c6f6, dd52ec0e).

Each test pins a difference a host can see from before those commits, and is
``xfail(strict=True)`` until it is fixed (patches: the review's report).
"""

from __future__ import annotations

from typing import Any

import pytest

from sessionkit.adapters.sqlalchemy.mapping import session_from_row, session_values
from sessionkit.errors import SessionKitError, WrongType
from sessionkit.testing.contract import make_session


@pytest.mark.xfail(
    strict=True,
    reason=(
        "dd52ec0e: session_from_row parses refs through functools.lru_cache, which hashes "
        "the stored value first: a non-text resource in a row edited outside sessionkit "
        "raises a bare TypeError, no longer ResourceRef.parse's WrongType (a SessionKitError)"
    ),
)
@pytest.mark.parametrize(
    "stored",
    [["teacher", "t1"], {"kind": "teacher", "id": "t1"}],
    ids=["a-list", "a-mapping"],
)
def test_a_stored_resource_that_is_not_text_is_refused_as_wrong_type(stored: Any) -> None:
    row = session_values(make_session("s1"))
    row["resources"] = [stored]
    with pytest.raises(SessionKitError) as raised:
        session_from_row(row)
    assert type(raised.value) is WrongType
    assert raised.value.name == "resource"


def test_a_stored_resource_that_is_a_number_is_still_wrong_type() -> None:
    """The hashable case, which the cache passes on to ``ResourceRef.parse`` unchanged."""
    row = session_values(make_session("s1"))
    row["resources"] = [5]
    with pytest.raises(WrongType):
        session_from_row(row)
