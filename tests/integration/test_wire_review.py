"""The review of 2a1f1a15: the quick booking's transport in libpq's pipeline mode (``_wire``).

Each test pins one way the pipelined quick booking differs from what the
statements sent one by one on psycopg's cursors (and a unit of work) did;
each failed before its fix.
Which way a booking went is read from the spy on ``book_quickly``
(:mod:`._quick_spy`). PostgreSQL only (``SESSIONKIT_TEST_POSTGRES_URL``); each
test makes its own engine in a throwaway schema.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy import _wire as wire
from sessionkit.errors import AlreadyBooked, StorageUnavailable
from sessionkit.policies import BookingRules
from sessionkit.testing.clocks import ManualClock

from ._quick_spy import POSTGRES_URL, T, answered, open_session, quick_engine

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
RULES = BookingRules(waitlist=True, hold_for=timedelta(minutes=15))


@contextmanager
def _admin() -> Iterator[Engine]:
    """A connection pool of its own, in AUTOCOMMIT, to watch and end the store's backends."""
    assert POSTGRES_URL is not None
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        yield admin
    finally:
        admin.dispose()


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    return answered(monkeypatch)


def _kit(store: SqlAlchemyStore) -> SessionKit:
    counter = itertools.count(1)
    return SessionKit(
        uow=store.unit_of_work,
        booking_rules=RULES,
        clock=ManualClock(NOW),
        ids=lambda: f"id-{next(counter):04d}",
    )


def _pid(engine: Engine) -> int:
    """The server pid of the connection the pool lends next (a pool of one here)."""
    with engine.connect() as connection:
        return int(connection.connection.dbapi_connection.info.backend_pid)  # type: ignore[union-attr]


def test_a_rollback_of_psycopgs_leaves_the_next_booking_quick(answers: list[object]) -> None:
    with quick_engine(pool_size=1, max_overflow=0) as engine:
        kit = _kit(SqlAlchemyStore(engine))
        session = open_session(kit, 5)
        kit.bookings.book(T, session.id, "student:ann", actor="ann")  # prepared: _sessionkit_N
        with engine.begin() as connection:  # a unit's statement, run often: psycopg prepares it
            for _ in range(6):
                connection.exec_driver_sql("SELECT 1")
        with pytest.raises(AlreadyBooked):  # the long way refuses: its unit rolls back
            kit.bookings.book(T, session.id, "student:ann", actor="ann")
        kit.bookings.book(T, session.id, "student:bob", actor="bob")
        assert answers == ["booked", None, "booked"]


def test_the_quick_booking_counts_seats_as_a_unit_does(answers: list[object]) -> None:
    server_default = "-c default_transaction_isolation=serializable"
    with (
        quick_engine(
            pool_size=2, isolation_level="READ COMMITTED", connect_args={"options": server_default}
        ) as engine,
        _admin() as admin,
    ):
        kit = _kit(SqlAlchemyStore(engine))
        session = open_session(kit, 1)
        elsewhere = open_session(kit, 1, tutor="t2")
        bob = kit.bookings.book(T, elsewhere.id, "student:bob", actor="bob")
        raised: list[BaseException] = []

        def book_ann() -> None:
            try:
                kit.bookings.book(T, session.id, "student:ann", actor="ann")
            except BaseException as error:  # noqa: BLE001  # looked at below
                raised.append(error)

        with engine.connect() as holder:  # a unit's connection: its BEGIN is READ COMMITTED
            holder.execute(
                text("SELECT id FROM sessionkit_sessions WHERE id = :id FOR UPDATE"),
                {"id": session.id},
            )
            holding = int(holder.connection.dbapi_connection.info.backend_pid)  # type: ignore[union-attr]
            ann = threading.Thread(target=book_ann)
            ann.start()
            _until_blocked_by(admin, holding)
            # The lock holder takes the session's only seat (bob's booking, moved in).
            holder.execute(
                text("UPDATE sessionkit_bookings SET session_id = :session WHERE id = :id"),
                {"session": session.id, "id": bob.id},
            )
            holder.commit()
            ann.join(timeout=10)
        with engine.connect() as connection:
            stored = connection.execute(
                text("SELECT count(*) FROM sessionkit_bookings WHERE session_id = :id"),
                {"id": session.id},
            ).scalar()
        assert (stored, [type(error).__name__ for error in raised]) == (1, ["CapacityExceeded"])


def _until_blocked_by(admin: Engine, holder: int) -> None:
    """Return once a backend waits for a lock the backend ``holder`` holds (the quick booking)."""
    deadline = time.monotonic() + 10
    with admin.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE :holder = ANY(pg_blocking_pids(pid))"
                ),
                {"holder": holder},
            ).scalar()
            if waiting:
                return
            connection.rollback()  # pg_stat_activity is fixed per transaction: look afresh
            time.sleep(0.01)
    raise AssertionError("no backend came to wait for the session's lock")


def test_a_value_the_driver_cannot_encode_keeps_the_connection(answers: list[object]) -> None:
    with quick_engine(
        pool_size=1, max_overflow=0, connect_args={"client_encoding": "latin1"}
    ) as engine:
        kit = _kit(SqlAlchemyStore(engine))
        session = open_session(kit, 5)
        before = _pid(engine)
        with pytest.raises(UnicodeEncodeError):  # as the long way raises it
            kit.bookings.book(T, f"{session.id}\u20ac", "student:ann", actor="ann")
        assert (answers, _pid(engine)) == ([None], before)


def test_a_backend_gone_before_the_insert_is_not_lost_in_commit(
    answers: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    with quick_engine(pool_size=1, max_overflow=0) as engine, _admin() as admin:
        kit = _kit(SqlAlchemyStore(engine))
        session = open_session(kit, 5)
        sent = wire.sent

        def ended_first(pooled: Any, dialect: Any, steps: Sequence[wire.Step]) -> list[wire.Done]:
            if steps[-1] is wire.COMMIT:  # the server ends the backend while admit ran
                _terminated(admin, int(pooled.dbapi_connection.info.backend_pid))
            return sent(pooled, dialect, steps)

        monkeypatch.setattr(wire, "sent", ended_first)
        with pytest.raises(StorageUnavailable) as raised:
            kit.bookings.book(T, session.id, "student:ann", actor="ann")
        monkeypatch.setattr(wire, "sent", sent)
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT count(*) FROM sessionkit_bookings")).scalar()
        assert (stored, raised.value.outcome_unknown) == (0, False)


def _terminated(admin: Engine, pid: int) -> None:
    """End the backend ``pid`` (as a server restart or an administrator does); wait till gone."""
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        deadline = time.monotonic() + 10
        while connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        ).scalar():
            assert time.monotonic() < deadline, "the backend did not end"
            connection.rollback()  # pg_stat_activity is fixed per transaction: look afresh
            time.sleep(0.01)
