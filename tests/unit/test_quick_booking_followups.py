"""Follow-ups of the review of the quick booking's last commits (ef46c6f6, dd52ec0e).

Each test pins a difference a host could see from before those commits, fixed since.
"""

from __future__ import annotations

from typing import Any

import pytest

from sessionkit.adapters.sqlalchemy.mapping import session_from_row, session_values
from sessionkit.errors import SessionKitError, WrongType
from sessionkit.testing.contract import make_session


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
