"""``BookingRules.when_emptied``: a session made for its one booking goes when the booking does.

The consulting rebuild's showcase makes a PENDING consultation per booking; a
client who cancels, a hold that runs out and a card declined (at once or by a
later webhook) used to leave it PENDING, the consultant's time blocked for
good. Each case runs on the in-memory store and on SQLite.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import InvalidValue, PaymentDeclined, WrongType
from sessionkit.model.booking import CANCELLED, EXPIRED, HELD
from sessionkit.model.events import SessionCanceled
from sessionkit.model.money import Money
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies import BookingRules, FixedPrice, RefundPolicy, RefundTier
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.payments import FakeGateway

from ._store_support import STORES, StoreMaker

T = "naksha"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = NOW + timedelta(days=2)
ASHA = ResourceRef("consultant", "asha")
RULES = BookingRules(when_emptied="cancel", hold_for=timedelta(minutes=30))


class Desk:
    """A consultant's kit: priced one-seat consultations, cancelled when their booking ends."""

    def __init__(self, store: StoreMaker, rules: BookingRules):
        self.events = RecordingPublisher()
        self.clock = ManualClock(NOW)
        self.gateway = FakeGateway(clock=self.clock.now)
        counter = itertools.count(1)
        self.kit = SessionKit(
            uow=store(self.events),
            clock=self.clock,
            ids=lambda: f"x{next(counter)}",
            booking_rules=rules,
            gateway=self.gateway,
            pricing=FixedPrice(Money.of(2000, "INR")),
            refunds=RefundPolicy(tiers=(RefundTier(timedelta(hours=24), 100),), late_percent=50),
        )

    def consultation(self, *, capacity: int = 1, hours: int = 0) -> Session:
        start = START + timedelta(hours=hours)
        return self.kit.sessions.create_extra(
            T,
            actor="asha",
            start=start,
            end=start + timedelta(hours=1),
            resources=[ASHA],
            lifecycle="consulting",
            capacity=capacity,
        )

    def status(self, session: Session) -> str:
        return self.kit.queries.get(T, session.id).status

    def cancellations(self) -> list[tuple[str, str | None, str | None]]:
        return [
            (e.session.id, e.actor, e.reason)
            for e in self.events.events
            if isinstance(e, SessionCanceled)
        ]

    def deliver(self) -> None:
        for event in self.gateway.drain():
            self.kit.payments.apply(T, event)


@pytest.fixture(params=list(STORES.values()), ids=list(STORES))
def desk(request: pytest.FixtureRequest) -> Desk:
    return Desk(request.param, RULES)


def test_a_clients_cancel_cancels_the_consultation_and_frees_its_time(desk: Desk) -> None:
    s = desk.consultation()
    checkout = desk.kit.payments.book(T, s.id, "client:ravi", actor="ravi", role="client")
    desk.gateway.pay(checkout.payment.intent_ref or "")
    desk.deliver()
    desk.kit.sessions.fire(T, s.id, "confirm", actor="asha")
    desk.clock.set(START - timedelta(hours=10))
    desk.kit.bookings.cancel(T, checkout.booking.id, actor="ravi", role="client")
    assert desk.status(s) == "CANCELLED"
    assert desk.cancellations() == [(s.id, "ravi", "its last booking was cancelled")]
    # The client's refund is the client's (late: half), not a host's full one.
    refunded = desk.kit.payments.get(T, checkout.payment.id)
    assert refunded.refunded == Decimal(1000)
    # Its time is free: another consultation of that consultant fits there again.
    assert desk.consultation().status == "PENDING"


def test_a_hold_that_runs_out_cancels_it_by_the_tick_and_by_expire_due(desk: Desk) -> None:
    first, second = desk.consultation(), desk.consultation(hours=3)
    desk.kit.payments.book(T, first.id, "client:ravi", actor="ravi", role="client")
    desk.kit.payments.book(T, second.id, "client:mina", actor="mina", role="client")
    desk.clock.advance(timedelta(minutes=31))
    desk.kit.tick(T, kinds=["expire_holds"])
    assert [desk.status(first), desk.status(second)] == ["CANCELLED", "CANCELLED"]
    assert {(sid, reason) for sid, _, reason in desk.cancellations()} == {
        (first.id, "its last booking ran out"),
        (second.id, "its last booking ran out"),
    }
    assert [b.status for b in desk.kit.bookings.for_session(T, first.id)] == [EXPIRED]


def test_expire_due_cancels_it_too(desk: Desk) -> None:
    s = desk.consultation()
    desk.kit.payments.book(T, s.id, "client:ravi", actor="ravi", role="client")
    report = desk.kit.bookings.expire_due(T, now=NOW + timedelta(minutes=31))
    assert (report.expired, desk.status(s)) == (1, "CANCELLED")


def test_a_card_declined_at_once_or_later_cancels_it(desk: Desk) -> None:
    at_once, later = desk.consultation(), desk.consultation(hours=3)
    desk.gateway.decline_next()
    with pytest.raises(PaymentDeclined):
        desk.kit.payments.book(T, at_once.id, "client:ravi", actor="ravi", role="client")
    assert desk.status(at_once) == "CANCELLED"
    checkout = desk.kit.payments.book(T, later.id, "client:mina", actor="mina", role="client")
    assert desk.status(later) == "PENDING"
    desk.gateway.decline(checkout.payment.intent_ref or "")
    desk.deliver()
    assert desk.status(later) == "CANCELLED"
    reasons = [reason or "" for _, _, reason in desk.cancellations()]
    assert [r.startswith("its last booking's payment failed") for r in reasons] == [True, True]


def test_a_group_session_stays_while_a_booking_is_in_play(desk: Desk) -> None:
    s = desk.consultation(capacity=2)
    ravi = desk.kit.payments.book(T, s.id, "client:ravi", actor="ravi", role="client")
    mina = desk.kit.payments.book(T, s.id, "client:mina", actor="mina", role="client")
    desk.kit.bookings.cancel(T, ravi.booking.id, actor="ravi", role="client")
    assert desk.status(s) == "PENDING"
    assert desk.kit.bookings.get(T, mina.booking.id).status == HELD
    desk.kit.bookings.cancel(T, mina.booking.id, actor="mina", role="client")
    assert desk.status(s) == "CANCELLED"


@pytest.mark.parametrize("store", list(STORES.values()), ids=list(STORES))
def test_without_the_rule_a_session_keeps_its_status(
    store: StoreMaker,
) -> None:
    desk = Desk(store, BookingRules(hold_for=timedelta(minutes=30)))
    s = desk.consultation()
    checkout = desk.kit.payments.book(T, s.id, "client:ravi", actor="ravi", role="client")
    desk.kit.bookings.cancel(T, checkout.booking.id, actor="ravi", role="client")
    assert (desk.status(s), desk.cancellations()) == ("PENDING", [])


def test_a_session_its_lifecycle_cannot_cancel_is_left_as_it_is(desk: Desk) -> None:
    # An invoice never paid, written off by the consultant after the consultation took
    # place: the booking goes, the COMPLETED consultation stays (no "cancel" from there).
    s = desk.consultation()
    invoice = desk.kit.payments.book(
        T, s.id, "client:ravi", actor="asha", role="client", manual=True, confirm=True
    )
    desk.kit.sessions.fire(T, s.id, "confirm", actor="asha")
    desk.clock.set(START + timedelta(hours=2))  # consulting completes only once started
    desk.kit.sessions.fire(T, s.id, "complete", actor="asha")
    desk.kit.bookings.cancel(T, invoice.booking.id, actor="asha", role="host")
    assert desk.kit.bookings.get(T, invoice.booking.id).status == CANCELLED
    assert (desk.status(s), desk.cancellations()) == ("COMPLETED", [])


def test_a_write_off_after_the_consultation_took_place_leaves_it(desk: Desk) -> None:
    # Still CONFIRMED (the consultant marks it completed by hand): the write-off of its
    # unpaid invoice after the end cancelled the consultation that had happened.
    s = desk.consultation()
    invoice = desk.kit.payments.book(
        T, s.id, "client:ravi", actor="asha", role="client", manual=True, confirm=True
    )
    desk.kit.sessions.fire(T, s.id, "confirm", actor="asha")
    desk.clock.set(START + timedelta(hours=2))
    desk.kit.bookings.cancel(T, invoice.booking.id, actor="asha", role="host")
    assert (desk.status(s), desk.cancellations()) == ("CONFIRMED", [])
    assert desk.kit.sessions.fire(T, s.id, "complete", actor="asha").status == "COMPLETED"


def test_a_move_that_finds_its_only_hold_run_out_releases_it(desk: Desk) -> None:
    # The move marks the run-out hold EXPIRED itself, so the tick found nothing left to
    # expire and the session stayed PENDING for good.
    s = desk.consultation()
    desk.kit.payments.book(T, s.id, "client:ravi", actor="ravi", role="client")
    desk.clock.advance(timedelta(hours=1))
    moved = desk.kit.sessions.update(T, s.id, actor="asha", start=START + timedelta(hours=5))
    assert (moved.status, desk.status(s)) == ("CANCELLED", "CANCELLED")
    assert desk.cancellations() == [(s.id, "asha", "its last booking ran out")]


def test_a_capacity_change_that_finds_its_only_hold_run_out_releases_it(desk: Desk) -> None:
    # The change settles the session, which marks the run-out hold EXPIRED: the tick then
    # found nothing left to expire and the session stayed PENDING for good.
    s, unbooked = desk.consultation(), desk.consultation(hours=3)
    desk.kit.payments.book(T, s.id, "client:ravi", actor="ravi", role="client")
    desk.clock.advance(timedelta(hours=1))
    changed = desk.kit.sessions.update(T, s.id, actor="asha", capacity=2)
    assert (changed.status, desk.status(s)) == ("CANCELLED", "CANCELLED")
    assert desk.cancellations() == [(s.id, "asha", "its last booking ran out")]
    assert [b.status for b in desk.kit.bookings.for_session(T, s.id)] == [EXPIRED]
    # A session that never had a booking is not one its last booking left.
    assert desk.kit.sessions.update(T, unbooked.id, actor="asha", capacity=2).status == "PENDING"


@pytest.mark.parametrize(
    ("value", "error"), [(5, WrongType), ("cancel now", InvalidValue), ("", InvalidValue)]
)
def test_a_bad_transition_name_is_refused_when_the_rules_are_made(
    value: object, error: type[Exception]
) -> None:
    with pytest.raises(error) as caught:
        BookingRules(when_emptied=value)  # type: ignore[arg-type]
    assert "when_emptied" in str(caught.value)


def test_a_transition_no_lifecycle_of_the_kit_has_is_refused_when_the_kit_is_made() -> None:
    # Before, a typo ("cancle") was taken, and a session its last booking left stayed
    # as it was, silently, its time blocked: exactly what the rule is there to prevent.
    with pytest.raises(InvalidValue) as caught:
        SessionKit(
            uow=InMemoryStore().unit_of_work,
            clock=ManualClock(NOW),
            booking_rules=BookingRules(when_emptied="cancle"),
        )
    assert caught.value.value == "cancle"
    assert "BookingRules.when_emptied 'cancle' is no transition of any lifecycle" in str(
        caught.value
    )
    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock(NOW), booking_rules=RULES)
    assert kit.context.booking_rules == RULES
