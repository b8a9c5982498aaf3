"""Per-participant no-shows through the SQL store: decided once, kept on the payment, read back.

A paid academy circle on a SQLite file (and PostgreSQL and MariaDB when their
URLs are set; the engines of ``conftest.py``): the clock completes it with one
student seen and two absent, the absent get the no-show share back in the
same unit of work; the decision survives a round trip through the payment
row, a correction to ABSENT refunds who came in full, and corrections back
and forth, or a tick run again, refund nothing more.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.model.attendance import JOIN, PresenceEvent
from sessionkit.model.money import Money
from sessionkit.model.payment import PARTIALLY_REFUNDED, REFUNDED, PaymentChanged
from sessionkit.policies import ATTENDED, NO_SHOW, FixedPrice, RefundPolicy
from sessionkit.services.attendance import attendance_facts
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.payments import FakeGateway

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = NOW + timedelta(days=1)
END = START + timedelta(hours=1)
STUDENTS = ("student:ana", "student:ben", "student:cy")


@pytest.fixture
def kit_and_events(race_engine: Engine) -> tuple[SessionKit, RecordingPublisher, FakeGateway]:
    clock = ManualClock(NOW)
    events = RecordingPublisher()
    gateway = FakeGateway(clock=clock.now, instant=True)
    counter = itertools.count(1)
    kit = SessionKit(
        uow=SqlAlchemyStore(race_engine, events).unit_of_work,
        clock=clock,
        ids=lambda: f"x{next(counter)}",
        gateway=gateway,
        pricing=FixedPrice(Money.of("60", "EUR")),
        refunds=RefundPolicy(no_show_percent=50, no_show_fee=Money.of("5", "EUR")),
        facts=attendance_facts(),
    )
    return kit, events, gateway


def test_absent_students_are_refunded_once_and_the_decision_reads_back(
    kit_and_events: tuple[SessionKit, RecordingPublisher, FakeGateway],
) -> None:
    kit, events, gateway = kit_and_events
    circle = kit.sessions.create_extra(
        T,
        actor="tara",
        title="Hifz circle",
        start=START,
        end=END,
        lifecycle="academy",
        capacity=3,
        resources=["teacher:tara"],
    )
    payments = {}
    for who in STUDENTS:
        checkout = kit.payments.book(T, circle.id, who, actor=who)
        for paid in gateway.drain():
            kit.payments.apply(T, paid)
        assert checkout.payment is not None
        payments[who] = checkout.payment.id
    kit.advance_due(T, now=START - timedelta(minutes=15))
    seen = PresenceEvent(
        provider="meet",
        event_id="e1",
        session_id=circle.id,
        participant="student:ana",
        action=JOIN,
        at=START,
    )
    kit.attendance.record_presence(T, [seen], now=START)
    done = END + timedelta(minutes=10)
    assert [s.status for s in kit.advance_due(T, now=done).advanced] == ["COMPLETED"]
    assert kit.advance_due(T, now=done).advanced == ()
    got = {w: kit.payments.get(T, p) for w, p in payments.items()}
    assert [(got[w].status, got[w].refunded) for w in STUDENTS] == [
        ("PAID", Decimal(0)),
        (PARTIALLY_REFUNDED, Decimal("25.00")),
        (PARTIALLY_REFUNDED, Decimal("25.00")),
    ]
    outcomes = kit.attendance.outcomes(T, circle.id)
    assert [(str(o.participant), o.outcome, o.rule, o.refund, o.decided_at) for o in outcomes] == [
        ("student:ana", ATTENDED, None, None, None),
        ("student:ben", NO_SHOW, "no_show", Money.of("25.00", "EUR"), done),
        ("student:cy", NO_SHOW, "no_show", Money.of("25.00", "EUR"), done),
    ]
    # The teacher never came after all: ana waited, so she gets everything back; ben
    # and cy were decided already. Back and forth again refunds nothing more.
    for status in ("ABSENT", "COMPLETED", "ABSENT"):
        kit.usage.correct(T, circle.id, status, actor="admin", reason="teacher absent")
    assert kit.payments.get(T, payments["student:ana"]).status == REFUNDED
    refunds = sorted(
        (e.payment.participant.id, e.refund.amount)
        for e in events.events
        if isinstance(e, PaymentChanged) and e.refund is not None
    )
    assert refunds == [("ana", Decimal(60)), ("ben", Decimal("25.00")), ("cy", Decimal("25.00"))]
    [ana] = [o for o in kit.attendance.outcomes(T, circle.id) if o.participant.id == "ana"]
    assert (ana.outcome, ana.rule, ana.refund) == (ATTENDED, "host_no_show", Money.of(60, "EUR"))
