"""The analytics contract's data set, hand-counted, and the factories it is made with.

:func:`seed_analytics` stores sessions of two kinds on three resources,
bookings of three clients, payments in two currencies and every interesting
status, reschedule requests moved and not, and another tenant's session; the
tests of :class:`~sessionkit.testing.contract.analytics.AnalyticsContract`
write out the figures it gives. Private to :mod:`.analytics`, which exports
:func:`seed_analytics`, :func:`make_payment` and :func:`make_seat` under its own
name; kept apart because both of that contract's topic mixins (``_analytics_counts``,
``_analytics_money``) and the contract itself build on it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import attrs

from sessionkit.model.booking import CANCELLED as BOOKING_CANCELLED
from sessionkit.model.booking import CONFIRMED, Booking
from sessionkit.model.money import Money
from sessionkit.model.payment import (
    FAILED,
    PAID,
    PARTIALLY_REFUNDED,
    PENDING,
    REFUNDED,
    Payment,
)
from sessionkit.model.reschedule import APPROVED, AUTO_APPROVED, DECLINED
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import BOOKINGS, PAYMENTS, RESCHEDULES, UnitOfWorkFactory
from sessionkit.testing.contract._support import ANA as TEACHER_ANA
from sessionkit.testing.contract._support import (
    BEN,
    OTHER_TENANT,
    ROOM,
    T0,
    make_session,
)
from sessionkit.testing.contract.reschedules import make_reschedule

__all__ = ["make_payment", "make_seat", "seed_analytics"]


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def make_payment(
    payment_id: str,
    booking: Booking,
    amount: str,
    currency: str = "EUR",
    *,
    status: str = PAID,
    provider: str = "card",
    refunded: str = "0",
) -> Payment:
    """Return the payment of ``booking`` of ``amount`` (text, exact) with ``status``."""
    return Payment(
        id=payment_id,
        tenant=booking.tenant,
        booking_id=booking.id,
        session_id=booking.session_id,
        participant=booking.participant,
        session_start=booking.session_start,
        amount=Money.of(amount, currency),
        provider=provider,
        status=status,
        refunded=Decimal(refunded),
        due=None,
        created_at=booking.created_at,
    )


def make_seat(booking_id: str, session: Session, client: str, status: str = CONFIRMED) -> Booking:
    """Return ``client``'s booking (``"kind:id"``) of one seat in ``session``."""
    return Booking(
        id=booking_id,
        tenant=session.tenant,
        session_id=session.id,
        participant=ResourceRef.parse(client),
        role="client",
        status=status,
        session_start=session.start,
        session_end=session.end,
        created_at=session.created_at,
    )


def _consulting(session: Session) -> Session:
    return attrs.evolve(session, lifecycle="consulting")


def seed_analytics(store: UnitOfWorkFactory) -> None:
    """Store the contract's data set (see the module docstring and the tests for its figures)."""
    sessions = [
        _consulting(make_session("s1", at=0, status="COMPLETED")),
        _consulting(make_session("s2", at=24, status="COMPLETED", resources=(TEACHER_ANA, ROOM))),
        _consulting(make_session("s3", at=48, status="NO_SHOW", resources=(BEN,))),
        _consulting(make_session("s4", at=72, status="CANCELLED", resources=(BEN,), busy=False)),
        attrs.evolve(make_session("s5", at=200, status="SCHEDULED"), lifecycle="coaching"),
        make_session("g1", tenant=OTHER_TENANT, at=0, status="COMPLETED"),
    ]
    s1, s2, s3, s4, s5, g1 = sessions
    seats = [
        make_seat("b1", s1, "client:x"),
        make_seat("b2", s2, "client:x"),
        make_seat("b3", s3, "client:y"),
        make_seat("b4", s4, "client:y", BOOKING_CANCELLED),
        make_seat("b5", s5, "client:z"),
        make_seat("g1", g1, "client:x"),
    ]
    b1, b2, b3, b4, b5, gb = seats
    payments = [
        make_payment("p1", b1, "60.00"),
        make_payment("p2", b2, "60.00", status=PARTIALLY_REFUNDED, refunded="20.00"),
        make_payment("p3", b3, "40.00", status=PENDING, provider="manual"),
        make_payment("p4", b4, "40.00", status=REFUNDED, refunded="40.00"),
        make_payment("p5", b5, "50.00", "USD", status=FAILED),
        make_payment("g1", gb, "999.99"),
    ]
    requests = [
        make_reschedule("r1", session_id="s2", status=APPROVED),
        make_reschedule("r2", session_id="s2", status=AUTO_APPROVED, created=1),
        make_reschedule("r3", session_id="s3", status=DECLINED),
        make_reschedule("r4", session_id="s5", status=APPROVED),
        make_reschedule("g1", tenant=OTHER_TENANT, session_id="g1", status=APPROVED),
    ]
    with store() as uow:
        uow.sessions.add_many(sessions)
        uow.repository(BOOKINGS).add_many(seats)
        uow.repository(PAYMENTS).add_many(payments)
        uow.repository(RESCHEDULES).add_many(requests)
        uow.commit()
