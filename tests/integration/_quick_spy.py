"""A spy on ``SqlAlchemyStore.book_quickly``: which way a booking went, without a listener.

A listener of the engine's statements turns PostgreSQL's quick booking way
off, so the tests of that way learn what it did from this spy instead.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.model import Booking, Session
from sessionkit.ports import QuickRefusal


def spy_book_quickly(
    monkeypatch: pytest.MonkeyPatch, record: Callable[[Booking | BaseException | None], None]
) -> None:
    """Hand ``record`` each ``book_quickly`` answer: the booking, ``None``, or the error raised."""
    quickly = SqlAlchemyStore.book_quickly

    def spied(
        store: SqlAlchemyStore,
        tenant: str,
        session_id: str,
        admit: Callable[[Session], Booking | None],
        refuse: QuickRefusal | None = None,
    ) -> Booking | None:
        try:
            answer = quickly(store, tenant, session_id, admit, refuse)
        except BaseException as error:
            record(error)
            raise
        record(answer)
        return answer

    monkeypatch.setattr(SqlAlchemyStore, "book_quickly", spied)
