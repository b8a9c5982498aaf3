"""PostgreSQL: sessionkit's transactions read instants in UTC whatever the server's zone.

A unit of work that bounds its lock waits sets ``TimeZone`` to UTC for its
transaction in the same statement (``_SET_LOCK_TIMEOUT``), so psycopg reads
``timestamptz`` values as ``datetime.UTC`` itself. Checked on a connection
whose own zone is Europe/Berlin (as a server configured for Germany has it):
the instants read are the ones written, already in UTC; a store without a
lock bound, and the host's own transaction, read the same instants through
the converter; and the setting ends with the transaction.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import sessionmaker
from sqlalchemy.orm.session import JoinTransactionMode

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import postgres_schema
from sessionkit.model import ResourceRef
from sessionkit.testing.clocks import ManualClock

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
NOW = datetime(2026, 3, 28, 12, tzinfo=UTC)  # the night of the 29th moves Berlin's clocks
SETTINGS = text("SELECT current_setting('TimeZone'), current_setting('lock_timeout')")
"""The zone and lock bound of the connection's transaction."""
pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="set SESSIONKIT_TEST_POSTGRES_URL to run on PostgreSQL"
)


@pytest.fixture(scope="module")
def berlin() -> Iterator[Engine]:
    assert POSTGRES_URL is not None
    with postgres_schema(
        POSTGRES_URL, connect_args={"options": "-c TimeZone=Europe/Berlin"}
    ) as engine:
        yield engine


def _booked(kit: SessionKit, hour: int) -> str:
    start = NOW + timedelta(hours=hour)
    session = kit.sessions.create_extra(
        "acme",
        actor="admin",
        start=start,
        end=start + timedelta(hours=1),
        resources=[ResourceRef("teacher", f"t{hour}")],
        lifecycle="lms",
        capacity=3,
    )
    kit.bookings.book("acme", session.id, "student:ana", actor="admin", confirm=True)
    return session.id


@pytest.mark.parametrize("lock_timeout", [timedelta(seconds=5), None])
def test_instants_read_back_in_utc_on_a_server_in_another_zone(
    berlin: Engine, lock_timeout: timedelta | None
) -> None:
    with berlin.connect() as connection:
        assert connection.execute(text("SHOW TimeZone")).scalar() == "Europe/Berlin"
    kit = SessionKit(
        uow=SqlAlchemyStore(berlin, lock_timeout=lock_timeout).unit_of_work,
        clock=ManualClock(NOW),
    )
    session_id = _booked(kit, 14 if lock_timeout else 15)  # after the change, 1 hour ahead
    start = NOW + timedelta(hours=14 if lock_timeout else 15)
    session = kit.queries.get("acme", session_id)
    assert (session.start, session.end) == (start, start + timedelta(hours=1))
    assert session.start.tzinfo is UTC
    [listed] = kit.bookings.bookable("acme", start=start, end=start + timedelta(minutes=1))
    assert (listed.start, listed.end, listed.remaining) == (start, start + timedelta(hours=1), 2)
    assert listed.start.tzinfo is UTC
    [booking] = kit.bookings.for_session("acme", session_id)
    assert (booking.session_start, booking.created_at) == (start, NOW)
    assert booking.created_at.tzinfo is UTC


def test_a_booking_command_sets_the_zone_with_its_lock_of_the_session(berlin: Engine) -> None:
    store = SqlAlchemyStore(berlin, lock_timeout=timedelta(seconds=5))
    kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW))
    session_id = _booked(kit, 20)
    with store.unit_of_work() as uow:
        # The command's first statement bounds the waits itself (no set_config before it).
        uow.bookings.lock_session("acme", session_id)
        connection = uow.db().connection()
        assert connection.execute(text("SHOW lock_timeout")).scalar() == "5s"
        assert connection.execute(text("SHOW TimeZone")).scalar() == "UTC"
        [booking] = uow.bookings.for_session("acme", session_id)
        assert booking.created_at == NOW


def test_the_zone_is_the_transaction_s_alone(berlin: Engine) -> None:
    store = SqlAlchemyStore(berlin, lock_timeout=timedelta(seconds=5))
    with store.unit_of_work() as uow:
        connection = uow.db().connection()
        assert connection.execute(text("SHOW TimeZone")).scalar() == "UTC"
        inner: Any = connection.connection.driver_connection
        assert inner.execute("SELECT now()").fetchone()[0].tzinfo is UTC
    with berlin.connect() as after:
        assert after.execute(text("SHOW TimeZone")).scalar() == "Europe/Berlin"


@pytest.mark.parametrize("mode", ["conditional_savepoint", "create_savepoint"])
def test_a_unit_in_the_transaction_of_a_host_s_connection_leaves_its_settings_alone(
    berlin: Engine, mode: JoinTransactionMode
) -> None:
    with berlin.connect() as host:
        outer = host.begin()
        maker = sessionmaker(bind=host, join_transaction_mode=mode, expire_on_commit=False)
        kit = SessionKit(uow=SqlAlchemyStore(maker).unit_of_work, clock=ManualClock(NOW))
        session_id = _booked(kit, 30)
        assert kit.queries.get("acme", session_id).start == NOW + timedelta(hours=30)
        assert tuple(host.execute(SETTINGS).one()) == ("Europe/Berlin", "0")
        outer.rollback()


def test_a_unit_on_a_host_s_idle_connection_bounds_its_own_transaction(berlin: Engine) -> None:
    with berlin.connect() as host:
        maker = sessionmaker(bind=host, expire_on_commit=False)
        store = SqlAlchemyStore(maker, lock_timeout=timedelta(seconds=5))
        with store.unit_of_work() as uow:
            connection = uow.db().connection()
            assert tuple(connection.execute(SETTINGS).one()) == ("UTC", "5s")
        host.rollback()
