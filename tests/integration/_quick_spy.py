"""The quick booking's tests' helpers: a spy on ``book_quickly``, an engine, a session.

A listener of the engine's statements turns PostgreSQL's quick booking way
off, so the tests of that way learn what it did from a spy on
``SqlAlchemyStore.book_quickly`` instead (:func:`spy_book_quickly`,
:func:`answered`).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import postgres_schema
from sessionkit.model import Booking, ResourceRef, Session
from sessionkit.ports import QuickRefusal
from sessionkit.testing.clocks import ManualClock

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


@contextmanager
def quick_engine(**options: Any) -> Iterator[Engine]:
    """An engine with ``options`` on a throwaway schema with sessionkit's tables; skip if unset."""
    if not POSTGRES_URL:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to test the quick booking on PostgreSQL")
    with postgres_schema(POSTGRES_URL, **options) as engine:
        yield engine


@contextmanager
def one_connection(**options: Any) -> Iterator[Engine]:
    """A :func:`quick_engine` whose pool holds one connection: the one the tests look at."""
    with quick_engine(pool_size=1, max_overflow=0, **options) as engine:
        yield engine


def quick_kit(engine: Engine, **options: Any) -> SessionKit:
    """A kit over ``engine``'s store at :data:`NOW`, its ids counted (``id-0001``, ...)."""
    counter = itertools.count(1)
    return SessionKit(
        uow=SqlAlchemyStore(engine).unit_of_work,
        clock=ManualClock(NOW),
        ids=lambda: f"id-{next(counter):04d}",
        **options,
    )


def open_session(kit: SessionKit, capacity: int, tutor: str = "t1") -> Session:
    """A one-hour session of ``tutor``'s, open for booking with ``capacity`` seats."""
    return kit.sessions.create_extra(
        T,
        actor="tina",
        title="Algebra",
        start=datetime(2026, 3, 4, 10, tzinfo=UTC),
        end=datetime(2026, 3, 4, 11, tzinfo=UTC),
        resources=[ResourceRef("tutor", tutor)],
        lifecycle="lms",
        capacity=capacity,
    )


def answered(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """What each ``book_quickly`` call answers: ``"booked"``, ``None``, or the error's type."""
    seen: list[object] = []

    def record(answer: Booking | BaseException | None) -> None:
        if answer is None or isinstance(answer, Booking):
            seen.append(None if answer is None else "booked")
        else:
            seen.append(type(answer))

    spy_book_quickly(monkeypatch, record)
    return seen


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
