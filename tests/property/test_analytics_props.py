"""Analytics agree across stores: random data, every figure, memory against each SQL backend.

Hypothesis builds a tenant's sessions (statuses of several lifecycles, up to
three resources, spread over two weeks), seat and cancelled bookings of a few
clients, a payment per booking in any status and two currencies (refunds
within what came in, amounts with six decimal places), and reschedule
requests in every answered status. The same data goes into the memory store
and into SQLite (PostgreSQL and MariaDB too when their URLs are set); every
figure of ``kit.analytics`` must come out equal, grouped every way, over a
random window and scope. Another tenant's copy of the data must never count.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import clear_tables
from sessionkit.model.analytics import CountBy, RevenueBy
from sessionkit.model.booking import Booking
from sessionkit.model.money import Money
from sessionkit.model.payment import Payment
from sessionkit.model.query import SessionQuery
from sessionkit.model.reschedule import RescheduleRequest
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import BOOKINGS, PAYMENTS, RESCHEDULES, UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.timespan import TimeSpan

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
TENANTS = ("acme", "globex")
STATUSES = ("SCHEDULED", "COMPLETED", "FINISHED", "CANCELLED", "NO_SHOW", "MISSED", "PENDING")
LIFECYCLES = ("consulting", "coaching", "lms")
RESOURCES = tuple(ResourceRef.parse(r) for r in ("teacher:ana", "teacher:ben", "room:r1"))
CLIENTS = ("client:x", "client:y", "student:z")
BOOKING_STATUSES = ("CONFIRMED", "HELD", "OFFERED", "WAITLISTED", "CANCELLED", "EXPIRED")
PAYMENT_STATUSES = (
    "PENDING",
    "AUTHORIZED",
    "PAID",
    "FAILED",
    "CANCELLED",
    "PARTIALLY_REFUNDED",
    "REFUNDED",
)
REQUEST_STATUSES = ("APPROVED", "AUTO_APPROVED", "DECLINED", "WITHDRAWN", "EXPIRED", "PENDING")


def _micro(n: int) -> Decimal:
    """Return ``n`` millionths: an amount with the six places an amount column keeps."""
    return Decimal(n).scaleb(-6)


@st.composite
def data_sets(draw: st.DrawFn) -> list[Any]:
    """A tenant's random sessions with bookings, payments and requests, as records to store."""
    records: list[Any] = []
    sessions: list[Session] = []
    for n in range(draw(st.integers(0, 8))):
        start = T0 + timedelta(hours=draw(st.integers(0, 14 * 24)))
        sessions.append(
            Session(
                id=f"s{n}",
                tenant=TENANTS[0],
                title=f"s{n}",
                span=TimeSpan(start, start + timedelta(minutes=draw(st.sampled_from([30, 60])))),
                tz="UTC",
                status=draw(st.sampled_from(STATUSES)),
                lifecycle=draw(st.sampled_from(LIFECYCLES)),
                busy=False,  # no conflict checks in the way: analytics do not read busy
                created_at=T0 - timedelta(days=30),
                resources=draw(st.lists(st.sampled_from(RESOURCES), unique=True, max_size=3)),
                is_extra=True,
                capacity=10,
            )
        )
    records.extend(sessions)
    bookings = 0
    for session in sessions:
        for client in draw(st.lists(st.sampled_from(CLIENTS), unique=True, max_size=3)):
            booking = Booking(
                id=f"b{bookings}",
                tenant=session.tenant,
                session_id=session.id,
                participant=client,
                status=draw(st.sampled_from(BOOKING_STATUSES)),
                session_start=session.start,
                session_end=session.end,
                created_at=session.created_at,
            )
            bookings += 1
            records.append(booking)
            if draw(st.booleans()):
                micros = draw(st.integers(min_value=1, max_value=10**9))
                back = draw(st.integers(0, micros))
                due = draw(st.integers(0, micros - back))
                records.append(
                    Payment(
                        id=f"p{booking.id}",
                        tenant=booking.tenant,
                        booking_id=booking.id,
                        session_id=session.id,
                        participant=booking.participant,
                        session_start=session.start,
                        amount=Money(_micro(micros), draw(st.sampled_from(["EUR", "JPY"]))),
                        provider=draw(st.sampled_from(["card", "manual"])),
                        status=draw(st.sampled_from(PAYMENT_STATUSES)),
                        refunded=_micro(back),
                        refund_due=_micro(due),
                        due=None,
                        created_at=session.created_at,
                    )
                )
        asked = draw(st.lists(st.sampled_from(REQUEST_STATUSES), max_size=3))
        pending = False
        for k, status in enumerate(asked):
            if status == "PENDING" and pending:
                continue  # one pending request per session
            pending = pending or status == "PENDING"
            records.append(
                RescheduleRequest(
                    id=f"r{session.id}-{k}",
                    tenant=session.tenant,
                    session_id=session.id,
                    role="student",
                    requested_by="ana",
                    reason="exam",
                    session_start=session.start,
                    proposed_start=session.start + timedelta(days=1),
                    deadline=T0,
                    status=status,
                    created_at=T0 - timedelta(days=1, minutes=k),
                )
            )
    return records


def _store(factory: UnitOfWorkFactory, records: list[Any]) -> None:
    """Store ``records`` for the first tenant and a copy for the second (which must not count)."""
    copies = [*records, *(attrs.evolve(r, tenant=TENANTS[1]) for r in records)]
    with factory() as uow:
        uow.sessions.add_many([r for r in copies if isinstance(r, Session)])
        uow.repository(BOOKINGS).add_many([r for r in copies if isinstance(r, Booking)])
        uow.repository(PAYMENTS).add_many([r for r in copies if isinstance(r, Payment)])
        uow.repository(RESCHEDULES).add_many(
            [r for r in copies if isinstance(r, RescheduleRequest)]
        )
        uow.commit()


scopes = st.builds(
    SessionQuery,
    # An empty list too: a dashboard's selection of none, which counts no session.
    resources=st.one_of(st.none(), st.lists(st.sampled_from(RESOURCES), max_size=2)),
    statuses=st.one_of(st.none(), st.lists(st.sampled_from(STATUSES), max_size=3)),
)


def _ordered(window: tuple[int | None, int | None]) -> tuple[int | None, int | None]:
    """The window with its ends in order: a reversed one is ``InvalidWindow``."""
    lo, hi = window
    return window if lo is None or hi is None or lo <= hi else (hi, lo)


windows: st.SearchStrategy[tuple[int | None, int | None]] = st.tuples(
    st.one_of(st.none(), st.integers(0, 14 * 24)), st.one_of(st.none(), st.integers(0, 14 * 24))
).map(_ordered)


def _figures(kit: SessionKit, scope: SessionQuery, window: tuple[int | None, int | None]) -> Any:
    tenant = TENANTS[0]
    lo, hi = (None if h is None else T0 + timedelta(hours=h) for h in window)
    a = kit.analytics
    return (
        [a.counts(tenant, by=by, scope=scope, start_from=lo, start_to=hi) for by in DIMENSIONS],
        [a.rates(tenant, by=by, scope=scope, start_from=lo, start_to=hi) for by in DIMENSIONS],
        [a.revenue(tenant, by=by, start_from=lo, start_to=hi) for by in MONEY_DIMENSIONS],
        a.clients(tenant, start_from=lo, start_to=hi),
        a.progress(tenant, scope, now=T0 + timedelta(days=7)),
        a.progress(tenant, scope, total=5, now=T0 + timedelta(days=30)),
    )


DIMENSIONS: tuple[CountBy | None, ...] = (None, "kind", "resource", "participant")
MONEY_DIMENSIONS: tuple[RevenueBy | None, ...] = (None, "provider", "client", "status")


@settings(
    # Each example stores the data in every backend: few examples, ten times more when thorough.
    max_examples=10 * (10 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 1),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)
@given(records=data_sets(), scope=scopes, window=windows)
def test_every_store_gives_the_memory_stores_figures(
    engines: list[Engine],
    records: list[Any],
    scope: SessionQuery,
    window: tuple[int | None, int | None],
) -> None:
    clock = ManualClock(T0)
    memory = InMemoryStore().unit_of_work
    _store(memory, records)
    expected = _figures(SessionKit(uow=memory, clock=clock), scope, window)
    for engine in engines:
        clear_tables(engine)
        sql = SqlAlchemyStore(engine).unit_of_work
        _store(sql, records)
        assert _figures(SessionKit(uow=sql, clock=clock), scope, window) == expected, engine.url
