"""The second review of the quick booking's transport (``_wire``).

Each test pins one defect of the pipelined round trips, each of which failed
before its fix. Which way a booking went is read from the spy on
``book_quickly`` (:mod:`._quick_spy`). PostgreSQL only
(``SESSIONKIT_TEST_POSTGRES_URL``); each test makes its own engine in a
throwaway schema.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from sessionkit.adapters.sqlalchemy import _quick
from sessionkit.adapters.sqlalchemy import _wire as wire
from sessionkit.adapters.sqlalchemy.mapping import session_from_row
from sessionkit.policies import BookingRules

from ._quick_spy import (
    POSTGRES_URL,
    T,
    answered,
    one_connection,
    open_session,
    quick_kit,
)


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    return answered(monkeypatch)


def test_an_interrupt_in_the_quick_rollback_leaves_no_pipeline_in_the_pool(
    answers: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    with one_connection() as engine:
        # A per-day limit sends every booking the long way after the lock: _ended rolls back.
        kit = quick_kit(engine, booking_rules=BookingRules(per_day=5))
        session = open_session(kit, 10)
        received = wire._received
        rolled_back = wire.rolled_back
        rolling: list[bool] = []

        def rolled_back_spied(pooled: Any, dialect: Any) -> None:
            rolling.append(True)
            try:
                rolled_back(pooled, dialect)
            finally:
                rolling.pop()

        def interrupted(connection: Any, expected: int) -> list[Any]:
            # As psycopg's Connection.wait answers a Ctrl-C: the generator is run to its
            # end (the server's answer read), then the KeyboardInterrupt is raised again.
            results = received(connection, expected)
            if rolling:
                raise KeyboardInterrupt
            return results

        monkeypatch.setattr(wire, "rolled_back", rolled_back_spied)
        monkeypatch.setattr(wire, "_received", interrupted)
        with pytest.raises(KeyboardInterrupt):
            kit.bookings.book(T, session.id, "student:ann", actor="ann")
        monkeypatch.setattr(wire, "_received", received)
        # The next user of the pool's one connection: a unit's statement on psycopg's cursor.
        with engine.connect() as connection:
            counted = connection.execute(text("SELECT count(*) FROM sessionkit_bookings")).scalar()
        assert (answers, counted) == ([KeyboardInterrupt], 0)


def test_a_column_changed_under_a_prepared_statement_costs_one_booking_at_most(
    answers: list[object],
) -> None:
    assert POSTGRES_URL is not None
    with one_connection() as engine:
        kit = quick_kit(engine)
        session = open_session(kit, 10)
        kit.bookings.book(T, session.id, "student:ann", actor="ann")  # the lock is prepared
        # A migration on another connection widens a column the lock's statement returns.
        _migrated(engine, "ALTER COLUMN title TYPE VARCHAR(400)")
        for who in ("bob", "cy", "dan"):
            kit.bookings.book(T, session.id, f"student:{who}", actor=who)
        # psycopg forgets a prepared statement that failed: here the round trip is sent
        # again at once, the statement prepared anew.
        assert answers == ["booked"] * 4
        assert len(kit.bookings.for_session(T, session.id)) == 4


def test_a_column_changed_under_the_quick_way_is_read_as_it_now_is(
    answers: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert POSTGRES_URL is not None
    read: list[int] = []

    def seen(row: Any) -> Any:
        read.append(row["capacity"])
        return session_from_row(row)

    monkeypatch.setattr(_quick, "session_from_row", seen)
    # Nothing prepared: the statement is parsed at each run, so its plan is always new.
    with one_connection(connect_args={"prepare_threshold": None}) as engine:
        kit = quick_kit(engine)
        session = open_session(kit, 10)
        kit.bookings.book(T, session.id, "student:ann", actor="ann")
        # A migration on another connection widens the capacity (int4 to int8).
        _migrated(engine, "ALTER COLUMN capacity TYPE BIGINT")
        kit.bookings.book(T, session.id, "student:bob", actor="bob")
        assert (read, answers) == ([10, 10], ["booked", "booked"])


def _migrated(engine: Engine, change: str) -> None:
    """``ALTER TABLE sessionkit_sessions`` ``change`` on a connection of its own (a migration)."""
    assert POSTGRES_URL is not None
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar()
    other = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with other.connect() as connection:
            connection.execute(text(f'ALTER TABLE "{schema}".sessionkit_sessions {change}'))
    finally:
        other.dispose()
