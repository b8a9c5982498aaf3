"""Findings of the events-and-reliability audit, on the in-memory store and on SQLite.

A publisher that raises after a unit of work committed does not undo the
commit, and the error reaches the caller; what the commit left to do once it
is durable is still done.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool
from tests.unit._store_support import STORES, StoreMaker, kit_on

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.errors import StorageUnavailable
from sessionkit.model.events import DomainEvent, SessionUpdated
from sessionkit.model.money import Money
from sessionkit.policies import BookingRules, Rate
from sessionkit.testing.payments import FakeGateway

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


class PublisherDown(Exception):
    """What the failing publisher raises."""


class FailingPublisher:
    """Records what it is given until ``failing`` is set, then raises for every batch."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []
        self.failing = False

    def publish(self, events: Sequence[DomainEvent]) -> None:
        if self.failing:
            raise PublisherDown("the event bus is down")
        self.events.extend(events)


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
def test_a_publisher_error_keeps_no_refund_back(store: StoreMaker) -> None:
    publisher = FailingPublisher()
    gateway = FakeGateway(clock=lambda: NOW)
    kit = kit_on(
        store(publisher),
        NOW,
        gateway=gateway,
        pricing=Rate(Money.of(40, "EUR")),
        booking_rules=BookingRules(hold_for=timedelta(minutes=15)),
    )
    lesson = kit.sessions.create_extra(
        "acme",
        actor="tina",
        title="Maths",
        start=NOW + timedelta(days=2),
        end=NOW + timedelta(days=2, minutes=90),
        resources=["tutor:tina"],
        lifecycle="marketplace",
        capacity=3,
    )
    checkout = kit.payments.book("acme", lesson.id, "student:ana", actor="ana", role="student")
    assert checkout.payment.intent_ref is not None
    gateway.pay(checkout.payment.intent_ref)
    for event in gateway.drain():
        kit.payments.apply("acme", event)
    assert kit.bookings.get("acme", checkout.booking.id).status == "CONFIRMED"
    assert str(gateway.collected("EUR")) == "60.00 EUR"

    publisher.failing = True
    with pytest.raises(PublisherDown):
        kit.sessions.cancel("acme", lesson.id, actor="tina", reason="tutor ill")

    # The cancel committed, and the refund it left due went to the provider at once, as it
    # does when the publisher works; before, it waited for kit.payments.run_due.
    assert (
        kit.queries.get("acme", lesson.id).status == "CANCELLED"
    )  # the marketplace preset's spelling
    assert kit.bookings.get("acme", checkout.booking.id).status == "CANCELLED"
    payment = kit.payments.get("acme", checkout.payment.id)
    assert (payment.status, payment.due) == ("REFUNDED", None)
    assert str(gateway.collected("EUR")) == "0.00 EUR"


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
def test_a_publisher_error_lets_the_expiry_job_settle_every_session(store: StoreMaker) -> None:
    publisher = FailingPublisher()
    rules = BookingRules(hold_for=timedelta(minutes=15), waitlist=True)
    kit = kit_on(store(publisher), NOW, booking_rules=rules)
    sessions = [
        kit.sessions.create_extra(
            "acme",
            actor="tina",
            title=f"Algebra {day}",
            start=NOW + timedelta(days=day),
            end=NOW + timedelta(days=day, hours=1),
            resources=["tutor:tina"],
            lifecycle="lms",
            capacity=1,
        )
        for day in (1, 2, 3)
    ]
    for session in sessions:
        kit.bookings.book("acme", session.id, "student:ana", actor="ana")
        kit.bookings.book("acme", session.id, "student:ben", actor="ben", waitlist=True)

    publisher.failing = True
    with pytest.raises(PublisherDown) as raised:
        kit.expire_holds("acme", now=NOW + timedelta(minutes=20))

    # Every session was settled, not only the first one: each hold expired and its seat
    # was offered to the waitlist; the report is in the error's notes.
    found = [
        sorted((str(b.participant), b.status) for b in kit.bookings.for_session("acme", s.id))
        for s in sessions
    ]
    assert found == [[("student:ana", "EXPIRED"), ("student:ben", "OFFERED")]] * 3
    assert raised.value.__notes__[0] == (
        "the expiry job committed its work: "
        "ExpiryReport(expired=3, offered=3, sessions=3, more=False)"
    )
    assert len(raised.value.__notes__) == 3  # the later sessions' publisher errors


def test_a_failed_closing_rollback_keeps_the_committed_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = create_engine("sqlite://", poolclass=StaticPool)
    create_schema(engine)
    publisher = FailingPublisher()
    store = SqlAlchemyStore(engine, publisher)
    kit = kit_on(store.unit_of_work, NOW)
    lesson = kit.sessions.create_extra(
        "acme",
        actor="tina",
        title="Maths",
        start=NOW + timedelta(days=2),
        end=NOW + timedelta(days=2, hours=1),
        resources=["tutor:tina"],
        lifecycle="lms",
    )
    publisher.events.clear()

    def lost(self: object) -> None:
        raise StorageUnavailable("the connection was lost")

    def commit_then_leave() -> None:
        with store.unit_of_work() as uow:
            session = uow.sessions.get("acme", lesson.id)
            kept = SessionUpdated(tenant="acme", actor="kept", at=NOW, session=session, old={})
            uow.collect([kept])
            uow.commit()
            uow.collect([attrs.evolve(kept, actor="dropped")])
            # The block leaves without a second commit; rolling that part back fails.
            monkeypatch.setattr("sessionkit.adapters.sqlalchemy._db.CoreSession.rollback", lost)

    with pytest.raises(StorageUnavailable):
        commit_then_leave()

    # The first commit stands, so its event goes out; the uncommitted one does not.
    assert [(type(e).__name__, e.actor) for e in publisher.events] == [("SessionUpdated", "kept")]


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
def test_a_publisher_error_lets_the_cleanup_remove_every_batch(store: StoreMaker) -> None:
    """``remove_unbooked`` stopped at the first batch whose events the publisher refused."""
    publisher = FailingPublisher()
    kit = kit_on(store(publisher), NOW + timedelta(days=10))
    slots = [
        kit.sessions.create_extra(
            "acme",
            actor="tina",
            title=f"Slot {hour}",
            start=NOW + timedelta(hours=hour),
            end=NOW + timedelta(hours=hour, minutes=30),
            resources=["tutor:tina"],
            lifecycle="lms",
            capacity=1,
        )
        for hour in range(5)
    ]

    publisher.failing = True
    with pytest.raises(PublisherDown) as raised:
        kit.bookings.remove_unbooked("acme", actor="cron", batch=2)

    # Every batch went (three units of work of at most 2 sessions), not only the first.
    assert kit.queries.list("acme").items == ()
    notes = raised.value.__notes__
    assert notes[0].startswith("the cleanup committed its work: CleanupReport(removed=(")
    assert all(slot.id in notes[0] for slot in slots)
    assert len(notes) == 3  # the two later batches' publisher errors
    publisher.failing = False
    assert kit.bookings.remove_unbooked("acme", actor="cron", batch=2).removed == ()
