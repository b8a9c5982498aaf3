"""Where ``kit.bookings.book``'s quick way on PostgreSQL once differed from the long way.

The review of 3911bf27 (``SqlAlchemyStore.book_quickly``): each test here
pins one difference a caller could see, fixed since. Which way ran is read from a spy on
``book_quickly`` (what it answered), never from a cursor listener, which turns
the quick way off. Each test makes its own engine (the pool's options are what
the tests are about) in a throwaway schema; PostgreSQL only
(``SESSIONKIT_TEST_POSTGRES_URL``).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session as OrmSession

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, SqlAlchemyUnitOfWork, register
from sessionkit.adapters.sqlalchemy._kind import registered
from sessionkit.adapters.sqlalchemy.booking_rows import booking_values
from sessionkit.errors import StorageReadOnly, StorageTimeout, StorageUnavailable
from sessionkit.model import Booking
from sessionkit.model.booking import HELD, WAITLISTED
from sessionkit.policies import BookingRules
from sessionkit.ports import BOOKINGS
from sessionkit.testing.clocks import ManualClock

from ._quick_spy import POSTGRES_URL, T, answered, open_session, quick_engine

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
RULES = BookingRules(waitlist=True, hold_for=timedelta(minutes=15))


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    return answered(monkeypatch)


def _kit(store: SqlAlchemyStore, **options: Any) -> SessionKit:
    options.setdefault("clock", ManualClock(NOW))
    counter = itertools.count(1)
    options.setdefault("ids", lambda: f"id-{next(counter):04d}")
    return SessionKit(uow=store.unit_of_work, booking_rules=RULES, **options)


def _warm(engine: Engine, count: int) -> list[int]:
    """Open ``count`` pooled connections at once, give them back; their server pids, in order."""
    held = [engine.connect() for _ in range(count)]
    pids = [int(c.connection.dbapi_connection.info.backend_pid) for c in held]  # type: ignore[union-attr]
    for connection in held:
        connection.close()
    return pids


def test_a_fallback_leaves_no_lock_held_without_the_pools_reset(answers: list[object]) -> None:
    with quick_engine(pool_size=2, pool_reset_on_return=None) as engine:
        store = SqlAlchemyStore(engine, lock_timeout=timedelta(seconds=1))
        kit = _kit(store)
        session = open_session(kit, 1)
        _warm(engine, 2)  # two idle connections: the unit takes the other one
        kit.bookings.book(T, session.id, "student:ann", actor="ann")
        queued = kit.bookings.book(T, session.id, "student:bob", actor="bob", waitlist=True)
        assert (queued.status, answers) == (WAITLISTED, ["booked", None])


def test_a_dead_connection_invalidates_the_pool(answers: list[object]) -> None:
    with quick_engine(pool_size=2) as engine:
        store = SqlAlchemyStore(engine)
        kit = _kit(store)
        session = open_session(kit, 5)
        pids = _warm(engine, 2)
        admin = create_engine(str(POSTGRES_URL), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                for pid in pids:  # the server restarted, say
                    connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            admin.dispose()
        with pytest.raises(StorageUnavailable):
            kit.bookings.book(T, session.id, "student:ann", actor="ann")
        booked = kit.bookings.book(T, session.id, "student:bob", actor="bob")
        assert (booked.status, answers) == (HELD, [StorageUnavailable, "booked"])


def test_a_full_pool_is_waited_for_once(
    answers: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    with quick_engine(pool_size=1, max_overflow=0, pool_timeout=0.2) as engine:
        store = SqlAlchemyStore(engine)
        kit = _kit(store)
        session = open_session(kit, 5)
        waits: list[str] = []
        lend = engine.pool._do_get

        def counted() -> Any:
            try:
                return lend()
            except PoolTimeout:
                waits.append("timed out")
                raise

        monkeypatch.setattr(engine.pool, "_do_get", counted)
        with engine.connect(), pytest.raises(StorageTimeout):
            kit.bookings.book(T, session.id, "student:ann", actor="ann")
        assert waits == ["timed out"]


def test_the_hosts_commit_listener_sees_the_booking(answers: list[object]) -> None:
    with quick_engine() as engine:
        store = SqlAlchemyStore(engine)
        kit = _kit(store)
        session = open_session(kit, 5)
        commits: list[str] = []
        event.listen(engine, "commit", lambda _connection: commits.append("commit"))
        kit.bookings.book(T, session.id, "student:ann", actor="ann")
        assert commits == ["commit"]


def test_the_hosts_error_listener_sees_a_lock_timeout(answers: list[object]) -> None:
    with quick_engine(pool_size=2) as engine:
        store = SqlAlchemyStore(engine, lock_timeout=timedelta(milliseconds=200))
        kit = _kit(store)
        session = open_session(kit, 5)
        seen: list[str] = []
        event.listen(engine, "handle_error", lambda context: seen.append(type(context).__name__))
        with engine.connect() as holder:
            holder.execute(
                text("SELECT id FROM sessionkit_sessions WHERE id = :id FOR UPDATE"),
                {"id": session.id},
            )
            with pytest.raises(StorageTimeout):
                kit.bookings.book(T, session.id, "student:ann", actor="ann")
            holder.rollback()
        assert seen == ["ExceptionContextImpl"]


def test_a_fallback_draws_one_id(answers: list[object]) -> None:
    with quick_engine() as engine:
        drawn: list[str] = []
        counter = itertools.count(1)

        def ids() -> str:
            drawn.append(f"id-{next(counter):04d}")
            return drawn[-1]

        kit = _kit(SqlAlchemyStore(engine), ids=ids)
        session = open_session(kit, 1)
        kit.bookings.book(T, session.id, "student:ann", actor="ann")
        before = len(drawn)
        queued = kit.bookings.book(T, session.id, "student:bob", actor="bob", waitlist=True)
        assert (drawn[before:], queued.id, answers) == ([queued.id], queued.id, ["booked", None])


class _Ticking:
    """A clock that moves a second on at each reading."""

    def __init__(self) -> None:
        self.readings: list[datetime] = []

    def now(self) -> datetime:
        self.readings.append(NOW + timedelta(seconds=len(self.readings)))
        return self.readings[-1]


def test_a_fallback_reads_the_clock_once(answers: list[object]) -> None:
    with quick_engine() as engine:
        clock = _Ticking()
        kit = _kit(SqlAlchemyStore(engine), clock=clock)
        session = open_session(kit, 1)
        kit.bookings.book(T, session.id, "student:ann", actor="ann")
        before = len(clock.readings)
        queued = kit.bookings.book(T, session.id, "student:bob", actor="bob", waitlist=True)
        assert (clock.readings[before:], queued.created_at) == (
            [queued.created_at],
            queued.created_at,
        )


def test_a_failed_commit_raises_sqlalchemys_error(answers: list[object]) -> None:
    with quick_engine() as engine:
        kit = _kit(SqlAlchemyStore(engine))
        session = open_session(kit, 5)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "CREATE FUNCTION review_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$"
                )
            )
            connection.execute(
                text(
                    "CREATE CONSTRAINT TRIGGER review_refuse AFTER INSERT ON sessionkit_bookings "
                    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION review_refuse()"
                )
            )
        with pytest.raises(DBAPIError, match="refused at commit"):
            kit.bookings.book(T, session.id, "student:ann", actor="ann")


class _InHostsSession(SqlAlchemyStore):
    """A host's store whose units run in the request's ORM session (``store.join``)."""

    host: OrmSession

    def unit_of_work(self) -> SqlAlchemyUnitOfWork:
        return self.join(self.host)


def test_a_store_whose_units_join_the_hosts_session_books_in_it(answers: list[object]) -> None:
    with quick_engine() as engine:
        store = _InHostsSession(engine)
        kit = _kit(store)
        with OrmSession(engine) as host:
            store.host = host
            session = open_session(kit, 5)
            host.commit()
            kit.bookings.book(T, session.id, "student:ann", actor="ann")
            host.rollback()  # the request failed after the booking
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT count(*) FROM sessionkit_bookings")).scalar()
        assert (stored, "booked" in answers) == (0, False)


def test_a_read_only_engine_refuses_the_booking(answers: list[object]) -> None:
    with quick_engine() as engine:
        session = open_session(_kit(SqlAlchemyStore(engine)), 5)
        readonly = engine.execution_options(postgresql_readonly=True)
        kit = _kit(SqlAlchemyStore(readonly))
        with pytest.raises(StorageReadOnly):
            kit.bookings.book(T, session.id, "student:ann", actor="ann")


def test_a_refused_connection_is_asked_for_once(
    answers: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    with quick_engine(pool_size=1) as engine:
        kit = _kit(SqlAlchemyStore(engine))
        session = open_session(kit, 5)
        engine.pool.dispose()  # the idle connection goes: the next checkout connects
        dialect: Any = engine.dialect
        attempts: list[str] = []

        def refused(_record: object) -> object:
            attempts.append("connect")
            raise dialect.loaded_dbapi.OperationalError("connection refused")

        monkeypatch.setattr(engine.pool, "_invoke_creator", refused)
        with pytest.raises(StorageUnavailable):
            kit.bookings.book(T, session.id, "student:ann", actor="ann")
        assert attempts == ["connect"]


def test_the_registered_bookings_description_writes_the_booking(answers: list[object]) -> None:
    found = registered(BOOKINGS.name)
    assert found is not None
    default = found[1]

    def stamped(booking: Booking) -> dict[str, Any]:
        return {**booking_values(booking), "metadata": {**booking.metadata, "via": "host"}}

    with quick_engine() as engine:
        kit = _kit(SqlAlchemyStore(engine))
        session = open_session(kit, 5)
        register(BOOKINGS, attrs.evolve(default, values=stamped))
        try:
            kit.bookings.book(T, session.id, "student:ann", actor="ann")
        finally:
            register(BOOKINGS, default)
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT metadata FROM sessionkit_bookings")).scalar()
        assert stored == {"via": "host"}
