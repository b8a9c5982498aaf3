"""The quick booking's round trips in libpq's pipeline mode (``_wire``), on PostgreSQL.

What the transport keeps on a pooled connection (its prepared statements),
what it leaves there for psycopg and the pool (no pipeline, no transaction),
and how it answers a server that forgot its statements (sent again). Which way a booking
went is read from the spy on ``book_quickly``; each test makes its own engine
in a throwaway schema (``SESSIONKIT_TEST_POSTGRES_URL``).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from sessionkit.adapters.sqlalchemy import _direct as direct
from sessionkit.adapters.sqlalchemy import _wire as wire
from sessionkit.adapters.sqlalchemy._booking_statements import SESSION_FOR_UPDATE
from sessionkit.errors import CapacityExceeded
from sessionkit.model.booking import HELD
from sessionkit.policies import BookingRules

from ._quick_spy import T, answered, one_connection, open_session, quick_kit


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    return answered(monkeypatch)


def _named(engine: Engine) -> list[str]:
    """The pooled connection's statements prepared under sessionkit's names."""
    with engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT name FROM pg_prepared_statements"
                    " WHERE name LIKE '\\_sessionkit\\_%' ORDER BY name"
                )
            ).scalars()
        )


def test_a_booking_prepares_its_statements_once_per_connection(answers: list[object]) -> None:
    with one_connection() as engine:
        kit = quick_kit(engine)
        session = open_session(kit, 10)
        for who in ("ann", "bob", "cy"):
            kit.bookings.book(T, session.id, f"student:{who}", actor=who)
        # The lock bound's set_config, the lock and the insert: named at the first booking.
        assert (answers, _named(engine)) == (
            ["booked"] * 3,
            ["_sessionkit_1", "_sessionkit_2", "_sessionkit_3"],
        )


def test_a_connection_that_prepares_nothing_books_without_names(
    answers: list[object],
) -> None:
    with one_connection(connect_args={"prepare_threshold": None}) as engine:
        kit = quick_kit(engine)
        session = open_session(kit, 10)
        for who in ("ann", "bob"):
            kit.bookings.book(T, session.id, f"student:{who}", actor=who)
        assert (answers, _named(engine)) == (["booked", "booked"], [])


def test_statements_the_server_forgot_are_prepared_again(answers: list[object]) -> None:
    with one_connection() as engine:
        kit = quick_kit(engine)
        session = open_session(kit, 10)
        kit.bookings.book(T, session.id, "student:ann", actor="ann")
        with engine.connect() as connection:  # the pool's one connection, as a host's reset
            connection.exec_driver_sql("DEALLOCATE ALL")
            connection.commit()
        bob = kit.bookings.book(T, session.id, "student:bob", actor="bob")
        kit.bookings.book(T, session.id, "student:cy", actor="cy")
        # The first round trip after the DEALLOCATE fails on its unknown name, rolls back
        # and is sent again, prepared anew under names never given before on the connection.
        assert (bob.status, answers, _named(engine)) == (
            HELD,
            ["booked"] * 3,
            ["_sessionkit_4", "_sessionkit_5", "_sessionkit_6"],
        )
        assert len(kit.bookings.for_session(T, session.id)) == 3


def test_a_quick_try_rolled_back_keeps_the_statements_prepared(
    answers: list[object],
) -> None:
    # psycopg prepares its own statements at once here, so its rollback() would send a
    # DEALLOCATE ALL; a per-day limit sends every booking the long way after the lock.
    with one_connection(connect_args={"prepare_threshold": 0}) as engine:
        kit = quick_kit(engine, booking_rules=BookingRules(per_day=5))
        session = open_session(kit, 10)
        for who in ("ann", "bob", "cy"):
            kit.bookings.book(T, session.id, f"student:{who}", actor=who)
        assert (answers, _named(engine)) == (
            [None] * 3,
            ["_sessionkit_1", "_sessionkit_2"],  # the lock bound's and the lock's, once
        )


def test_the_connection_goes_back_idle_and_out_of_pipeline_mode(
    answers: list[object],
) -> None:
    with one_connection() as engine:
        kit = quick_kit(engine)
        full = open_session(kit, 1)
        kit.bookings.book(T, full.id, "student:ann", actor="ann")
        with pytest.raises(CapacityExceeded):
            kit.bookings.book(T, full.id, "student:bob", actor="bob")
        raw: Any = engine.raw_connection()
        try:
            pgconn = raw.dbapi_connection.pgconn
            states = (int(pgconn.pipeline_status), int(pgconn.transaction_status))
            with raw.dbapi_connection.cursor() as cursor:  # psycopg's own cursor still works
                cursor.execute("SELECT count(*) FROM sessionkit_bookings")
                counted = cursor.fetchone()[0]
        finally:
            raw.close()
        assert (answers, states, counted) == (["booked", CapacityExceeded], (0, 0), 1)


def test_without_pipeline_mode_a_booking_takes_the_long_way(
    answers: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    with one_connection() as engine:
        monkeypatch.setattr(wire, "supported", lambda: False)  # a libpq older than 14
        kit = quick_kit(engine)
        session = open_session(kit, 10)
        booked = kit.bookings.book(T, session.id, "student:ann", actor="ann")
        assert (booked.status, answers) == (HELD, [None])


@pytest.mark.parametrize(
    ("sql", "numbered", "order"),
    [
        ("SELECT %(a)s, %(b)s, %(a)s", b"SELECT $1, $2, $1", ("a", "b")),
        ("SELECT 'x%%' || %(x_1)s", b"SELECT 'x%' || $1", ("x_1",)),
        ("SELECT 1", b"SELECT 1", ()),
    ],
)
def test_named_parameters_become_numbered_ones(
    sql: str, numbered: bytes, order: tuple[str, ...]
) -> None:
    assert wire._numbered(sql) == (numbered, order)


def test_a_prepare_a_failed_step_skipped_is_not_taken_as_done() -> None:
    with one_connection() as engine:
        kit = quick_kit(engine)
        session = open_session(kit, 10)
        dialect = engine.dialect
        failing = direct.compiled_for(dialect, text("SELECT 1 / :zero"))
        lock = direct.compiled_for(dialect, SESSION_FOR_UPDATE)
        pooled: Any = engine.raw_connection()
        try:
            steps = [
                wire.BEGIN,
                wire.Step(failing, {"zero": 0}),
                wire.Step(lock, {"tenant": T, "session_id": session.id}),
            ]
            with pytest.raises(wire.StepFailed) as failed:
                wire.sent(pooled, dialect, steps)
            pooled.dbapi_connection.rollback()
            # The division's PREPARE ran; the lock's came after the division failed: skipped.
            known = [name for (sql, _), name in wire._wire(pooled).prepared.items()]
            (done,) = wire.sent(pooled, dialect, [steps[2]])
        finally:
            pooled.close()
        assert (failed.value.index, known, len(done.rows)) == (1, [b"_sessionkit_1"], 1)


def test_a_loader_s_error_sends_the_booking_the_long_way(answers: list[object]) -> None:
    from psycopg.types.json import JsonbBinaryLoader, JsonbLoader

    class Refusing(JsonbLoader):
        def load(self, data: Any) -> Any:
            raise ValueError("a host's loader refuses")

    class RefusingBinary(JsonbBinaryLoader):
        def load(self, data: Any) -> Any:
            raise ValueError("a host's loader refuses")

    with one_connection() as engine:
        kit = quick_kit(engine)
        session = open_session(kit, 10)

        @event.listens_for(engine, "connect")
        def refusing(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.adapters.register_loader("jsonb", Refusing)
            dbapi_connection.adapters.register_loader("jsonb", RefusingBinary)

        engine.dispose()  # connections opened anew, with the host's loaders
        with pytest.raises(ValueError, match="refuses"):
            kit.bookings.book(T, session.id, "student:ann", actor="ann")
        assert answers == [None]  # the long way, which met the same loader
