"""PostgreSQL: a connection that has the lock bound and UTC from its start needs no ``set_config``.

A unit of work bounds its lock waits with ``set_config('lock_timeout', ...)``
(and ``TimeZone``) before its first statement, one round trip each. An engine
whose connections are opened with the same ``lock_timeout`` and ``TimeZone=UTC``
(``connect_args={"options": "-c lock_timeout=... -c TimeZone=UTC"}``) has both
already: there the units send none, their waits stay bounded, and they read
instants in UTC. Both are read from the driver, with no statement: the
``lock_timeout`` of the connection's startup options, and the ``TimeZone`` the
server reports at the moment.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.pool import NullPool

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import postgres_schema
from sessionkit.errors import StorageTimeout
from sessionkit.testing.clocks import ManualClock

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
NOW = datetime(2027, 1, 4, 8, tzinfo=UTC)
BOUND = timedelta(milliseconds=400)
SETTINGS = text("SELECT current_setting('TimeZone'), current_setting('lock_timeout')")
pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="set SESSIONKIT_TEST_POSTGRES_URL to run on PostgreSQL"
)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    assert POSTGRES_URL is not None
    options: str = request.param
    with postgres_schema(
        POSTGRES_URL, pool_size=2, max_overflow=0, connect_args={"options": options}
    ) as made:
        yield made


class Sent:
    """The statements an engine's connections send."""

    def __init__(self, engine: Engine) -> None:
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _c: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        self.statements.append(statement)

    def starts(self) -> list[str]:
        return [" ".join(statement.split()[:2]) for statement in self.statements]

    def bounds(self) -> int:
        return sum("set_config" in statement for statement in self.statements)


def _kit(engine: Engine) -> tuple[SessionKit, str]:
    kit = SessionKit(
        uow=SqlAlchemyStore(engine, lock_timeout=BOUND).unit_of_work, clock=ManualClock(NOW)
    )
    start = NOW + timedelta(days=1)
    session = kit.sessions.create_extra(
        "acme",
        actor="admin",
        start=start,
        end=start + timedelta(hours=1),
        lifecycle="lms",
        capacity=5,
    )
    return kit, session.id


def _settings(engine: Engine) -> tuple[str, str]:
    with SqlAlchemyStore(engine, lock_timeout=BOUND).unit_of_work() as uow:
        zone, bound = uow.db().connection().execute(SETTINGS).one()
        return str(zone), str(bound)


@pytest.mark.parametrize(
    "engine",
    ["-c lock_timeout=400ms -c TimeZone=UTC", "-c TimeZone=UTC -c lock_timeout=400"],
    indirect=True,
)
def test_a_connection_with_both_from_its_start_gets_no_set_config(engine: Engine) -> None:
    kit, session_id = _kit(engine)
    sent = Sent(engine)
    for n in range(3):
        kit.bookings.book("acme", session_id, f"student:s{n}", actor="admin", confirm=True)
    # The lock and the checked insert per booking, on the one connection used so far.
    assert sent.starts() == ["SELECT sessionkit_sessions.tenant,", "INSERT INTO"] * 3
    assert _settings(engine) == ("UTC", "400ms")
    booking = kit.bookings.for_session("acme", session_id)[0]
    assert (booking.session_start, booking.created_at) == (NOW + timedelta(days=1), NOW)
    assert booking.created_at.tzinfo is UTC
    # Bounded still: with the session's row locked on that connection, a booking runs on
    # the pool's second one and waits no longer than its lock_timeout.
    with engine.connect() as other:
        other.execute(text("SELECT 1 FROM sessionkit_sessions FOR UPDATE")).all()
        started = time.monotonic()
        with pytest.raises(StorageTimeout) as refused:
            kit.bookings.book("acme", session_id, "student:late", actor="admin", confirm=True)
        waited = time.monotonic() - started
    assert 0.35 < waited < 5
    assert refused.value.timeout == BOUND
    assert sent.bounds() == 0


@pytest.mark.parametrize(
    "engine",
    [
        "",
        "-c lock_timeout=500ms -c TimeZone=UTC",  # another bound
        "-c lock_timeout=400ms -c TimeZone=Europe/Berlin",  # another zone
    ],
    indirect=True,
)
def test_a_connection_without_either_gets_both_in_each_transaction(engine: Engine) -> None:
    kit, session_id = _kit(engine)
    sent = Sent(engine)
    for n in range(3):
        kit.bookings.book("acme", session_id, f"student:s{n}", actor="admin", confirm=True)
    assert sent.bounds() == 3
    assert _settings(engine) == ("UTC", "400ms")
    booking = kit.bookings.for_session("acme", session_id)[0]
    assert booking.created_at.tzinfo is UTC


@pytest.mark.parametrize("engine", ["-c lock_timeout=400ms -c TimeZone=UTC"], indirect=True)
def test_a_zone_set_on_the_connection_later_is_seen(engine: Engine) -> None:
    kit, session_id = _kit(engine)
    with engine.connect() as host:  # the pool's one connection so far, later the units'
        host.execute(text("SET TimeZone = 'Europe/Berlin'"))
        host.commit()
    sent = Sent(engine)
    kit.bookings.book("acme", session_id, "student:ana", actor="admin", confirm=True)
    assert sent.bounds() == 1
    assert _settings(engine) == ("UTC", "400ms")
    booking = kit.bookings.for_session("acme", session_id)[0]
    assert booking.created_at == NOW
    assert booking.created_at.tzinfo is UTC
    with engine.connect() as host:  # and the transaction's zone ended with it
        assert host.execute(text("SHOW TimeZone")).scalar() == "Europe/Berlin"


@pytest.mark.parametrize(
    ("options", "bounds"),
    [("-c lock_timeout=400ms -c TimeZone=UTC", 0), ("-c TimeZone=UTC", 3)],
    ids=["both", "zone only"],
)
def test_a_connection_per_unit_sends_no_statement_more(options: str, bounds: int) -> None:
    # NullPool (behind PgBouncer, say): every unit has a new connection, so nothing
    # is learnt once for many units; reading the driver costs no statement.
    assert POSTGRES_URL is not None
    with postgres_schema(
        POSTGRES_URL, poolclass=NullPool, connect_args={"options": options}
    ) as engine:
        kit, session_id = _kit(engine)
        sent = Sent(engine)
        for n in range(3):
            kit.bookings.book("acme", session_id, f"student:s{n}", actor="admin", confirm=True)
        assert sent.bounds() == bounds
        assert len(sent.statements) == 3 * 2 + bounds
