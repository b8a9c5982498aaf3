"""``kit.attendance.outcomes`` reads a session's payments in one query, not one per booking.

It asked the payment repository for each confirmed booking's payment
(``for_booking``), one SELECT each: a circle of 30 paid a statement per
student. The port's ``for_bookings`` reads them all at once.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import create_engine, event
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.model.attendance import ABSENT, JOIN, PRESENT
from sessionkit.model.money import Money
from sessionkit.policies import FixedPrice, RefundPolicy
from sessionkit.policies.no_shows import ATTENDED, NO_SHOW
from sessionkit.services import SessionKit
from sessionkit.services.attendance import attendance_facts
from sessionkit.testing.clocks import ManualClock

from ._attendance_support import MIN, START, T, presence

STUDENTS = ("student:ana", "student:ben", "student:cem", "student:dan")


def test_outcomes_of_a_paid_circle_select_its_payments_once() -> None:
    engine = create_engine("sqlite://", poolclass=StaticPool)
    create_schema(engine)
    try:
        kit = SessionKit(
            uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(START - timedelta(days=1)),
            facts=attendance_facts(), pricing=FixedPrice(Money.of(60, "EUR")),
            refunds=RefundPolicy(no_show_percent=50),
        )  # fmt: skip
        circle = kit.sessions.create_extra(
            T, actor="t", start=START, end=START + 60 * MIN, lifecycle="academy", capacity=4,
            resources=["teacher:t1"],
        )  # fmt: skip
        paid = {}
        for who in STUDENTS:
            checkout = kit.payments.book(T, circle.id, who, actor=who, manual=True, confirm=True)
            kit.payments.mark_paid(T, [checkout.payment.id], actor="t1")
            paid[who] = checkout.payment.id
        kit.advance_due(T, now=START - 10 * MIN)
        kit.attendance.record_presence(T, [presence(1, "student:ana", JOIN, 0, circle.id)])
        kit.advance_due(T, now=START + 70 * MIN)  # COMPLETED: the absent decided as no-shows
        sent: list[str] = []

        def seen(_connection: object, _cursor: object, statement: str, *_rest: object) -> None:
            if statement.lstrip().startswith("SELECT") and "FROM sessionkit_payments" in statement:
                sent.append(statement)

        event.listen(engine, "before_cursor_execute", seen)
        try:
            got = kit.attendance.outcomes(T, circle.id)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert len(sent) == 1
        half = Money.of(30, "EUR")
        shown = [(str(o.participant), o.payment_id, o.attendance, o.outcome, o.refund) for o in got]
        assert shown == [
            ("student:ana", paid["student:ana"], PRESENT, ATTENDED, None),
            ("student:ben", paid["student:ben"], ABSENT, NO_SHOW, half),
            ("student:cem", paid["student:cem"], ABSENT, NO_SHOW, half),
            ("student:dan", paid["student:dan"], ABSENT, NO_SHOW, half),
        ]
    finally:
        engine.dispose()
