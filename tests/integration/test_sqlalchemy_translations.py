"""Every ``IntegrityError`` the database raises becomes the kind's own error, on every backend.

Each refusal here comes from the database (the record is not repeated inside
a batch, where Python would catch it first): the error is the kind's own, its
fields say what was refused and by whom (``existing`` loaded from the
database), the driver's error is only its ``__cause__``, and the unit of work
stays usable: an earlier write still commits.

SQLite always; PostgreSQL with ``SESSIONKIT_TEST_POSTGRES_URL``, MySQL/MariaDB
with ``SESSIONKIT_TEST_MYSQL_URL``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import timedelta

import attrs
import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.testing import clear_tables, mysql_database, postgres_schema
from sessionkit.errors import (
    BookingNotFound,
    Duplicate,
    DuplicatePayment,
    DuplicateSeries,
    DuplicateSession,
    SeriesNotFound,
    SessionKitError,
    StillReferenced,
)
from sessionkit.model.payment import ReceivedEvent
from sessionkit.ports import BOOKINGS, PAYMENT_EVENTS, PAYMENTS, UnitOfWork
from sessionkit.testing.contract import T0, TENANT, make_series, make_session
from sessionkit.testing.contract.bookings import make_booking, make_booking_session
from sessionkit.testing.contract.payments import make_payment

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")

FIRST = make_session("s1", series_id="series-1", busy=False)
"""Stored before each test: occurrence T0 of series-1, starting at T0."""


@pytest.fixture(scope="module")
def postgres() -> Iterator[Engine]:
    if not POSTGRES_URL:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run this on PostgreSQL")
    with postgres_schema(POSTGRES_URL) as engine:
        yield engine


@pytest.fixture(scope="module")
def mysql() -> Iterator[Engine]:
    if not MYSQL_URL:
        pytest.skip("set SESSIONKIT_TEST_MYSQL_URL to run this on MySQL/MariaDB")
    with mysql_database(MYSQL_URL) as engine:
        yield engine


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def store(request: pytest.FixtureRequest) -> Iterator[SqlAlchemyStore]:
    if request.param == "sqlite":
        engine = create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        create_schema(engine)
    else:
        engine = request.getfixturevalue(request.param)
        clear_tables(engine)
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow:
        uow.series.add(make_series("series-1"))
        uow.sessions.add(FIRST)
        uow.commit()
    yield store
    if request.param == "sqlite":
        engine.dispose()


def _refused(
    store: SqlAlchemyStore, write: Callable[[UnitOfWork], object], error: type[SessionKitError]
) -> SessionKitError:
    """Run ``write`` after an earlier write in one unit; return its error, check the unit."""
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("kept", at=100))
        with pytest.raises(error) as caught:
            write(uow)
        assert isinstance(caught.value.__cause__, IntegrityError)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.sessions.get(TENANT, "kept").id == "kept"
    return caught.value


def test_a_taken_session_id(store: SqlAlchemyStore) -> None:
    again = make_session("s1", at=50, busy=False)
    error = _refused(store, lambda uow: uow.sessions.add(again), DuplicateSession)
    assert isinstance(error, DuplicateSession)
    assert (error.kind, error.key, error.session_id, error.tenant) == (
        "session",
        "id",
        "s1",
        TENANT,
    )
    assert error.existing == FIRST


def test_a_taken_occurrence(store: SqlAlchemyStore) -> None:
    # Same series and occurrence key, another start (a moved occurrence).
    twin = make_session("s2", series_id="series-1", at=3, key=FIRST.occurrence_key, busy=False)
    error = _refused(store, lambda uow: uow.sessions.add_many([twin]), DuplicateSession)
    assert isinstance(error, DuplicateSession)
    assert (error.key, error.session_id, error.existing) == ("occurrence", "s2", FIRST)
    assert "occurrence" in str(error)


def test_a_taken_series_start(store: SqlAlchemyStore) -> None:
    # Same series and start, no occurrence key: the race of two create_extra calls.
    extra = make_session("x1", series_id="series-1", is_extra=True, busy=False)
    error = _refused(store, lambda uow: uow.sessions.add(extra), DuplicateSession)
    assert isinstance(error, DuplicateSession)
    assert (error.key, error.session_id, error.existing) == ("series_start", "x1", FIRST)
    assert FIRST.start.isoformat() in str(error)


def test_an_update_onto_a_taken_series_start(store: SqlAlchemyStore) -> None:
    other = make_session("s2", series_id="series-1", at=5, key=None, is_extra=True, busy=False)
    with store.unit_of_work() as uow:
        uow.sessions.add(other)
        uow.commit()
    moved = attrs.evolve(other, span=other.span.shift(timedelta(hours=-5)))
    assert moved.start == T0
    error = _refused(
        store, lambda uow: uow.sessions.update(moved, expected_version=1), DuplicateSession
    )
    assert isinstance(error, DuplicateSession)
    assert (error.key, error.session_id, error.existing) == ("series_start", "s2", FIRST)


def test_a_taken_series_id(store: SqlAlchemyStore) -> None:
    again = make_series("series-1", title="again")

    def write(uow: UnitOfWork) -> None:
        uow.series.add_many([make_series("series-2"), again])

    error = _refused(store, write, DuplicateSeries)
    assert isinstance(error, DuplicateSeries)
    assert (error.kind, error.key, error.series_id, error.tenant) == (
        "series",
        "id",
        "series-1",
        TENANT,
    )
    assert error.existing == make_series("series-1")
    with store.unit_of_work() as uow:
        assert uow.series.get_many(TENANT, ["series-2"]) == []


@pytest.mark.parametrize("how", ["add", "update"])
def test_a_session_of_a_missing_series(store: SqlAlchemyStore, how: str) -> None:
    if how == "add":
        orphan = make_session("o1", series_id="nowhere", at=7, busy=False)

        def write(uow: UnitOfWork) -> object:
            uow.sessions.add(orphan)
            return None

    else:

        def write(uow: UnitOfWork) -> object:
            moved = attrs.evolve(FIRST, series_id="nowhere")
            return uow.sessions.update(moved, expected_version=1)

    error = _refused(store, write, SeriesNotFound)
    assert isinstance(error, SeriesNotFound)
    assert (error.kind, error.series_id, error.tenant) == ("series", "nowhere", TENANT)


# ---------------------------------------------------------------------- payments

PAID = make_payment("p1", session_id="pay", booking_id="b1", intent_ref="pi_1")
"""Stored by ``_paid``: booking b1's payment, known to the provider as pi_1."""


def _paid(store: SqlAlchemyStore) -> None:
    """Store a session, bookings b1 and b2, b1's payment and one provider-event receipt."""
    with store.unit_of_work() as uow:
        uow.sessions.add(make_booking_session("pay", at=200))
        bookings = uow.repository(BOOKINGS)
        bookings.add_many([make_booking(b, session_id="pay", at=200) for b in ("b1", "b2")])
        uow.repository(PAYMENTS).add(PAID)
        uow.repository(PAYMENT_EVENTS).add(_receipt())
        uow.commit()


def _receipt(outcome: str = "applied") -> ReceivedEvent:
    return ReceivedEvent(
        id="fake:evt_1",
        tenant=TENANT,
        payment_id="p1",
        type="succeeded",
        outcome=outcome,
        received_at=T0,
    )


def test_a_second_payment_for_a_booking(store: SqlAlchemyStore) -> None:
    _paid(store)
    again = make_payment("p2", session_id="pay", booking_id="b1", intent_ref="pi_2")
    error = _refused(store, lambda uow: uow.repository(PAYMENTS).add(again), DuplicatePayment)
    assert isinstance(error, DuplicatePayment)
    assert (error.kind, error.key, error.record_id, error.tenant) == (
        "payment",
        "booking",
        "p2",
        TENANT,
    )
    assert error.existing == PAID


def test_a_taken_intent(store: SqlAlchemyStore) -> None:
    _paid(store)
    twin = make_payment("p2", session_id="pay", booking_id="b2", intent_ref="pi_1")
    error = _refused(store, lambda uow: uow.repository(PAYMENTS).add(twin), DuplicatePayment)
    assert isinstance(error, DuplicatePayment)
    assert (error.key, error.record_id, error.existing) == ("intent", "p2", PAID)


def test_an_update_onto_a_taken_intent(store: SqlAlchemyStore) -> None:
    _paid(store)
    other = make_payment("p2", session_id="pay", booking_id="b2")
    with store.unit_of_work() as uow:
        uow.repository(PAYMENTS).add(other)
        uow.commit()
    moved = attrs.evolve(other, intent_ref="pi_1")

    def write(uow: UnitOfWork) -> object:
        return uow.repository(PAYMENTS).update(moved, expected_version=1)

    error = _refused(store, write, DuplicatePayment)
    assert isinstance(error, DuplicatePayment)
    assert (error.key, error.existing) == ("intent", PAID)


def test_a_payment_of_a_missing_booking(store: SqlAlchemyStore) -> None:
    orphan = make_payment("p9", session_id="pay", booking_id="nowhere")
    error = _refused(store, lambda uow: uow.repository(PAYMENTS).add(orphan), BookingNotFound)
    assert isinstance(error, BookingNotFound)
    assert (error.kind, error.record_id, error.tenant) == ("booking", "nowhere", TENANT)


def test_a_receipt_stored_twice_is_the_generic_duplicate(store: SqlAlchemyStore) -> None:
    # kit.payments.apply recognises a concurrent delivery of one event by this kind name.
    _paid(store)
    again = _receipt("stale")
    error = _refused(store, lambda uow: uow.repository(PAYMENT_EVENTS).add(again), Duplicate)
    assert type(error) is Duplicate
    assert (error.kind, error.key, error.record_id) == ("payment_event", "id", "fake:evt_1")
    assert error.existing == _receipt()


def test_a_booking_with_a_payment_is_still_referenced(store: SqlAlchemyStore) -> None:
    _paid(store)

    def write(uow: UnitOfWork) -> None:
        uow.repository(BOOKINGS).delete(TENANT, "b1", expected_version=1)

    error = _refused(store, write, StillReferenced)
    assert isinstance(error, StillReferenced)
    assert (error.kind, error.record_id, error.referenced_by) == ("booking", "b1", {"payment": 1})
    with store.unit_of_work() as uow:
        assert uow.repository(BOOKINGS).get(TENANT, "b1").id == "b1"
