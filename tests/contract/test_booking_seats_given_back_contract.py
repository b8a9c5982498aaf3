"""Storage contract for a booking that gives back some of its seats (a partial cancel).

``kit.bookings.cancel(..., seats=k)`` stores the booking again with fewer
seats, in its status: every store must keep the new count (``version`` + 1),
count only those seats from then on, and accept it in a session whose
capacity was lowered below its booked seats (the update adds no seat). Held
to the in-memory store, SQLite, and PostgreSQL / MySQL when their URLs are set
(``SESSIONKIT_TEST_POSTGRES_URL``, ``SESSIONKIT_TEST_MYSQL_URL``), each test on
empty tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import ClassVar

import attrs
import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.testing import clear_tables, mysql_database, postgres_schema
from sessionkit.errors import CapacityExceeded
from sessionkit.model.booking import CONFIRMED, HELD, WAITLISTED, Booking
from sessionkit.ports import BOOKINGS, EventPublisher, UnitOfWorkFactory
from sessionkit.testing.contract import TENANT
from sessionkit.testing.contract._booking_support import at_hours
from sessionkit.testing.contract._support import ContractBase
from sessionkit.testing.contract.bookings import make_booking, make_booking_session

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")


class SeatsGivenBackContract(ContractBase):
    """What every store does with a booking stored again with fewer seats."""

    def booked(self, store: UnitOfWorkFactory, capacity: int, *bookings: Booking) -> None:
        """Store session ``s1`` of ``capacity`` seats and ``bookings`` in it."""
        with store() as uow:
            uow.sessions.add(make_booking_session("s1", capacity=capacity))
            for booking in bookings:
                uow.repository(BOOKINGS).add(booking)
            uow.commit()

    @staticmethod
    def fewer(booking: Booking, seats: int, *, version: int = 1, hours: float = -40) -> Booking:
        """``booking`` with ``seats``, stamped ``hours`` after T0 (a partial cancel's write)."""
        return attrs.evolve(
            booking, seats=seats, updated_at=at_hours(hours), updated_by="ana", version=version
        )

    def test_the_seats_given_back_are_kept_and_free_for_a_newcomer(
        self, store: UnitOfWorkFactory
    ) -> None:
        family = make_booking("a", seats=3)
        self.booked(store, 3, family)
        with store() as uow:
            repo = uow.repository(BOOKINGS)
            kept = repo.update(self.fewer(family, 2), expected_version=1)
            assert (kept.seats, kept.version, kept.status) == (2, 2, CONFIRMED)
            uow.commit()
        with store() as uow:
            repo = uow.repository(BOOKINGS)
            assert repo.get(TENANT, "a") == kept
            assert repo.seats_taken(TENANT, ["s1"], at=at_hours(-39)) == {"s1": 2}
            repo.add(make_booking("n", created=-39))
            with pytest.raises(CapacityExceeded) as full:
                repo.add(make_booking("m", created=-38))
            assert (full.value.capacity, full.value.taken, full.value.asked) == (3, 3, 1)
            uow.commit()
        with store() as uow:
            taken = uow.repository(BOOKINGS).seats_taken(TENANT, ["s1"], at=at_hours(-37))
            assert taken == {"s1": 3}

    def test_seats_are_given_back_in_a_session_over_its_lowered_capacity(
        self, store: UnitOfWorkFactory
    ) -> None:
        family = make_booking("a", seats=3)
        self.booked(store, 3, family)
        with store() as uow:
            session = uow.sessions.get(TENANT, "s1")
            uow.sessions.update(attrs.evolve(session, capacity=1), expected_version=session.version)
            uow.commit()
        with store() as uow:
            repo = uow.repository(BOOKINGS)
            kept = repo.update(self.fewer(family, 2), expected_version=1)
            assert (kept.seats, kept.version) == (2, 2)
            with pytest.raises(CapacityExceeded):  # taking one back adds a seat: refused
                repo.update(self.fewer(kept, 3, version=2, hours=-39), expected_version=2)
            uow.commit()
        with store() as uow:
            repo = uow.repository(BOOKINGS)
            assert repo.get(TENANT, "a") == kept
            assert repo.seats_taken(TENANT, ["s1"], at=at_hours(-38)) == {"s1": 2}

    def test_a_hold_and_a_waitlist_place_keep_their_status_with_fewer_seats(
        self, store: UnitOfWorkFactory
    ) -> None:
        held = make_booking("h", seats=2, status=HELD, hold_until=10)
        place = make_booking("w", seats=3, status=WAITLISTED, position=1)
        self.booked(store, 2, held, place)
        with store() as uow:
            repo = uow.repository(BOOKINGS)
            kept_hold = repo.update(self.fewer(held, 1), expected_version=1)
            kept_place = repo.update(self.fewer(place, 1), expected_version=1)
            uow.commit()
        assert (kept_hold.status, kept_hold.hold_expires_at) == (HELD, at_hours(10))
        assert (kept_place.status, kept_place.position) == (WAITLISTED, 1)
        with store() as uow:
            seating = uow.repository(BOOKINGS).seating(TENANT, "s1", at=at_hours(-39))
        assert seating.taken == 1
        assert [(b.id, b.seats, b.version) for b in seating.waiting] == [("w", 1, 2)]


class TestMemorySeatsGivenBack(SeatsGivenBackContract):
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        return InMemoryStore(publisher).unit_of_work


class TestSQLiteSeatsGivenBack(SeatsGivenBackContract):
    engines: ClassVar[dict[int, Engine]] = {}

    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        engine = create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        create_schema(engine)
        factory = SqlAlchemyStore(engine, publisher).unit_of_work
        self.engines[id(factory)] = engine
        return factory

    def dispose_store(self, store: UnitOfWorkFactory) -> None:
        self.engines.pop(id(store)).dispose()


@pytest.fixture(scope="module")
def postgres() -> Iterator[Engine]:
    """One schema for the module, dropped after it; each test starts from empty tables."""
    assert POSTGRES_URL is not None
    with postgres_schema(POSTGRES_URL) as engine:
        yield engine


@pytest.fixture(scope="module")
def mysql() -> Iterator[Engine]:
    """One database for the module, dropped after it; each test starts from empty tables."""
    assert MYSQL_URL is not None
    with mysql_database(MYSQL_URL) as engine:
        yield engine


class TestPostgresSeatsGivenBack(SeatsGivenBackContract):
    @pytest.fixture(autouse=True)
    def _engine(self, postgres: Engine) -> None:
        self.engine = postgres

    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        clear_tables(self.engine)
        return SqlAlchemyStore(self.engine, publisher).unit_of_work


class TestMySQLSeatsGivenBack(SeatsGivenBackContract):
    @pytest.fixture(autouse=True)
    def _engine(self, mysql: Engine) -> None:
        self.engine = mysql

    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        clear_tables(self.engine)
        return SqlAlchemyStore(self.engine, publisher).unit_of_work


# Without a server the classes are not collected at all.
if not POSTGRES_URL:
    del TestPostgresSeatsGivenBack
if not MYSQL_URL:
    del TestMySQLSeatsGivenBack
